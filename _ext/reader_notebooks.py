"""What a reader downloads: a runnable notebook and the package it needs.

- **The wheel.** When the build starts, lossbook is built into a wheel from
  a temporary copy of the package (the source tree stays clean) and served
  at ``_downloads/<wheel>``. Every page's download menu links it, and the
  ``{lossbook-wheel}`` role links it from prose.
- **Reader notebooks.** The ``.ipynb`` a page offers for download is not the
  chapter's source but an export of it for Jupyter: every MyST-only piece
  of syntax is replaced by what the site shows there. Glued numbers become
  their values (formatted as the page formats them), cross-references
  become the numbered titles they point to, citations become numbered
  notes with the reference list where the page has its bibliography,
  exercises become numbered headings and solutions folded ``<details>``.
  Code cells are unchanged; they import ``glue`` from ``lossbook.notebook``
  and so run with lossbook and Jupyter alone.

A role or directive this module does not know is left as it is; the build
check in ``tests/site`` fails on any MyST syntax left in a download.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DOWNLOADS = "_downloads"

ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<body>[^`]*)`")
TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
LABEL_LINE = re.compile(r"^\([\w:.-]+\)=[ \t]*\n?", re.M)
EQ_LABEL = re.compile(r"(\$\$)[ \t]*\([\w:.-]+\)[ \t]*$", re.M)
FENCE_OPEN = re.compile(
    r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$")


# ---------------------------------------------------------------- the wheel

def wheel_name() -> str:
    """The file name of the wheel this source tree builds."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    return f"{name}-{project['version']}-py3-none-any.whl"


def build_wheel(target: Path) -> Path:
    """Build lossbook's wheel into ``target`` from a copy of the package."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, source / name)
        shutil.copytree(ROOT / "lossbook", source / "lossbook",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps",
             "--no-build-isolation", "--quiet", "--wheel-dir",
             str(Path(tmp) / "dist"), str(source)],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ExtensionError(
                f"building the lossbook wheel failed:\n{result.stderr}")
        built = next((Path(tmp) / "dist").glob("*.whl"))
        destination = target / built.name
        shutil.copy2(built, destination)
    return destination


def _builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    wheel = build_wheel(Path(app.outdir) / DOWNLOADS)
    if wheel.name != wheel_name():
        raise ExtensionError(f"wheel {wheel.name} is not {wheel_name()}")
    logger.info(f"reader_notebooks: built {DOWNLOADS}/{wheel.name}")


def _relative_root(docname: str) -> str:
    return "../" * docname.count("/")


def wheel_role(name, rawtext, text, lineno, inliner, options=None,
               content=None):
    """``{lossbook-wheel}`text``: a link to the wheel served with the site."""
    env = inliner.document.settings.env
    uri = f"{_relative_root(env.docname)}{DOWNLOADS}/{wheel_name()}"
    node = nodes.reference(rawtext, text or wheel_name(), refuri=uri)
    return [node], []


def _add_wheel_button(app, pagename, templatename, context, doctree):
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        group["buttons"].insert(0, {
            "type": "link",
            "url": f"{context['pathto'](DOWNLOADS, 1)}/{wheel_name()}",
            "text": "lossbook wheel",
            "tooltip": "Download lossbook, the package the notebooks import",
            "icon": "fas fa-box",
            "label": "download-wheel-button",
        })


# --------------------------------------------------------- reader notebooks

class Resolver:
    """What the site shows for each role, from Sphinx's environment."""

    def __init__(self, app: Sphinx, docname: str, glue: dict):
        self.env = app.env
        self.docname = docname
        self.glue = glue
        self.std = app.env.domaindata["std"]
        self.citations: list[str] = []   # keys in order of first use
        self.listed = 0                  # how many are already listed
        self.bib = _bibliography(app)
        self.unknown: list[str] = []

    # numbers -----------------------------------------------------------
    def _secnumber(self, docname: str, anchor: str) -> str:
        numbers = self.env.toc_secnumbers.get(docname, {})
        key = f"#{anchor}" if anchor else ""
        number = numbers.get(key) or (numbers.get("") if not anchor else None)
        return ".".join(map(str, number)) if number else ""

    def _fignumber(self, docname: str, kind: str, anchor: str) -> str:
        numbers = self.env.toc_fignumbers.get(docname, {}).get(kind, {})
        number = numbers.get(anchor)
        return ".".join(map(str, number)) if number else ""

    def _label(self, label: str) -> tuple[str, str, str]:
        label = label.lower()
        if label in self.std["labels"]:
            return self.std["labels"][label]
        if label in self.std["anonlabels"]:
            docname, anchor = self.std["anonlabels"][label]
            return docname, anchor, ""
        raise KeyError(label)

    # roles -------------------------------------------------------------
    def ref(self, body: str) -> str:
        text, target = _split_target(body)
        docname, anchor, title = self._label(target)
        for kind, word in (("exercise", "Exercise"), ("figure", "Fig."),
                           ("table", "Table")):
            number = self._fignumber(docname, kind, anchor)
            if number:  # the site shows these as "Exercise 4.1"
                return text or f"{word} {number}"
        number = self._secnumber(docname, anchor)
        shown = text or title
        return f"*{shown}* (§{number})" if number else f"*{shown}*"

    def doc(self, body: str) -> str:
        text, target = _split_target(body)
        if target.startswith("/"):
            docname = target.lstrip("/")
        else:
            base = self.docname.rsplit("/", 1)[0] if "/" in self.docname \
                else ""
            docname = str(Path(base, target)) if base else target
            docname = _normalise(docname)
        docname = docname.removesuffix(".md").removesuffix(".ipynb")
        title = self.env.titles[docname].astext()
        number = self._secnumber(docname, "")
        shown = text or title
        return f"*{shown}* (§{number})" if number else f"*{shown}*"

    def numref(self, body: str) -> str:
        text, target = _split_target(body)
        docname, anchor, _ = self._label(target)
        for kind, word in (("figure", "Fig."), ("table", "Table"),
                           ("code-block", "Listing"),
                           ("exercise", "Exercise")):
            number = self._fignumber(docname, kind, anchor)
            if number:
                if text:
                    return text.replace("{number}", number).replace(
                        "{name}", "")
                return f"{word} {number}"
        number = self._secnumber(docname, anchor)
        return (text or "Section {number}").replace("{number}", number)

    def eq(self, body: str) -> str:
        label = body.strip()
        number = self.env.domaindata["math"]["objects"].get(label)
        if number is None:
            raise KeyError(label)
        docname, eqno = number
        chapter = self._secnumber(docname, "")
        return f"({chapter}.{eqno})" if chapter else f"({eqno})"

    def glue_text(self, body: str) -> str:
        from myst_nb.core.variables import format_plain_text

        key, _, spec = body.rpartition(":")
        if not key:
            key, spec = body, ""
        output = self.glue[key]
        return format_plain_text(output["data"]["text/plain"], spec or "s")

    def glue_any(self, body: str) -> str:
        output = self.glue[body.strip()]
        data = output["data"]
        if "image/png" in data:
            return f"![{body}](data:image/png;base64,{data['image/png']})"
        if "text/markdown" in data:
            return data["text/markdown"]
        from myst_nb.core.variables import format_plain_text

        return format_plain_text(data["text/plain"], "")

    def term(self, body: str) -> str:
        text, _ = _split_target(body)
        return text or body

    def footcite(self, body: str, textual: bool = False) -> str:
        out = []
        for key in (k.strip() for k in body.split(",")):
            if key not in self.citations:
                self.citations.append(key)
            number = self.citations.index(key) + 1
            if textual:
                out.append(f"{_authors(self.bib[key])} [{number}]")
            else:
                out.append(f"[{number}]")
        return ", ".join(out) if textual else "".join(out)

    def bibliography(self) -> str:
        start = self.listed
        self.listed = len(self.citations)
        lines = []
        for number, key in enumerate(self.citations[start:], start + 1):
            lines.append(f"{number}. {_format_entry(self.bib[key])}")
        return "\n".join(lines)

    def role(self, match: re.Match) -> str:
        name, body = match.group("name"), match.group("body")
        handlers = {
            "ref": self.ref, "doc": self.doc, "numref": self.numref,
            "eq": self.eq, "glue:text": self.glue_text, "glue": self.glue_any,
            "glue:any": self.glue_any, "glue:md": self.glue_any,
            "glue:figure": self.glue_any, "term": self.term,
            "footcite": self.footcite, "footcite:p": self.footcite,
            "footcite:t": lambda b: self.footcite(b, textual=True),
            "math": lambda b: f"${b}$",
            "cite": self.footcite, "cite:p": self.footcite,
            "cite:t": lambda b: self.footcite(b, textual=True),
            "abbr": lambda b: _split_target(b.replace("(", "<").replace(
                ")", ">"))[0] or b,
            "kbd": lambda b: f"<kbd>{b}</kbd>",
            "sup": lambda b: f"<sup>{b}</sup>",
            "sub": lambda b: f"<sub>{b}</sub>",
        }
        handler = handlers.get(name)
        if handler is None:
            self.unknown.append(match.group(0))
            return match.group(0)
        try:
            return handler(body)
        except KeyError as exc:
            raise ExtensionError(
                f"{self.docname}: reader export cannot resolve "
                f"{match.group(0)!r} (no {exc})") from exc


def _split_target(body: str) -> tuple[str, str]:
    match = TARGET.match(body.strip())
    if match:
        return match.group("text").strip(), match.group("target").strip()
    return "", body.strip()


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _bibliography(app: Sphinx) -> dict:
    from pybtex.database import parse_file

    entries = {}
    for name in app.config.bibtex_bibfiles:
        entries.update(parse_file(str(Path(app.srcdir) / name)).entries)
    return entries


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names) for p in people]
    if not last:
        return entry.fields.get("title", "")
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


def _format_entry(entry) -> str:
    from pybtex.plugin import find_plugin

    style = find_plugin("pybtex.style.formatting", "plain")()
    formatted = next(iter(style.format_entries([entry])))
    text = formatted.text.render_as("markdown").replace("\\", "")
    return re.sub(r"\burl (\S+?)(,|$)", r"<\1>\2", text.replace("\n", " "))


# directives ------------------------------------------------------------

def _directives(text: str, resolver: Resolver) -> str:
    """MyST directives written as Markdown a notebook renders."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        fence, name, arg = (match.group("fence"), match.group("name"),
                            match.group("arg").strip())
        body, options, j = [], {}, i + 1
        while j < len(lines) and re.match(r"^:[\w-]+:", lines[j]):
            key, _, value = lines[j][1:].partition(":")
            options[key] = value.strip()
            j += 1
        depth, code = 0, None
        while j < len(lines):
            line = lines[j]
            opening = FENCE_OPEN.match(line)
            plain = re.match(r"^(`{3,}|~{3,})", line)
            if code is not None:
                if line.strip() == code:
                    code = None  # end of a code block inside the directive
            elif opening and opening.group("fence") == fence:
                depth += 1
            elif line.strip() == fence and depth == 0:
                break
            elif line.strip() == fence:
                depth -= 1
            elif plain and not opening:
                code = plain.group(1)
            body.append(line)
            j += 1
        inner = _directives("\n".join(body), resolver)
        out.append(_directive(name, arg, options, inner, resolver))
        i = j + 1
    return "\n".join(out)


def _directive(name: str, arg: str, options: dict, body: str,
               resolver: Resolver) -> str:
    if name == "footbibliography":
        listing = resolver.bibliography()
        return listing
    if name == "exercise":
        label = options.get("label", "")
        number = resolver._fignumber(resolver.docname, "exercise", label)
        title = f"Exercise {number}" if number else "Exercise"
        if arg:
            title += f" ({arg})"
        return f"**{title}.**\n\n{body.strip()}\n"
    if name == "solution":
        number = resolver._fignumber(resolver.docname, "exercise", arg)
        title = f"Solution to Exercise {number}" if number else "Solution"
        return (f"<details>\n<summary>{title}</summary>\n\n{body.strip()}"
                f"\n\n</details>\n")
    if name in ("math",):
        return f"$$\n{body.strip()}\n$$"
    if name in ("code-block", "code", "sourcecode"):
        return f"```{arg}\n{body}\n```"
    if name in ("figure", "image"):
        alt = options.get("alt", "")
        caption = body.strip()
        return f"![{alt}]({arg})\n\n*{caption}*" if caption else \
            f"![{alt}]({arg})"
    # admonitions and anything else: a titled block quote
    title = arg or name.replace("-", " ").capitalize()
    quoted = "\n".join(f"> {line}" if line else ">"
                       for line in body.strip().split("\n"))
    return f"> **{title}**\n>\n{quoted}\n"


def reader_markdown(text: str, resolver: Resolver) -> str:
    """One Markdown cell of a chapter as Jupyter renders it."""
    text = LABEL_LINE.sub("", text)
    text = EQ_LABEL.sub(r"\1", text)
    text = _directives(text, resolver)
    return ROLE.sub(resolver.role, text)


def _glue_outputs(notebook) -> dict:
    from myst_nb.ext.glue import extract_glue_data_cell

    data = {}
    for cell in copy.deepcopy(notebook).cells:
        if cell.cell_type == "code":
            data.update(dict(extract_glue_data_cell(cell)))
    return data


def reader_notebook(app: Sphinx, docname: str, notebook):
    """The reader-facing export of the chapter ``docname``."""
    resolver = Resolver(app, docname, _glue_outputs(notebook))
    export = copy.deepcopy(notebook)
    for cell in export.cells:
        if cell.cell_type == "markdown":
            cell.source = reader_markdown(cell.source, resolver)
        elif cell.cell_type == "code":
            # glue's hidden records mean nothing outside the book's build
            cell.outputs = [
                o for o in cell.get("outputs", [])
                if not any(k.startswith("application/papermill.record/")
                           for k in o.get("data", {}))
            ]
    if resolver.unknown:
        logger.warning(f"{docname}: reader export keeps unknown MyST roles "
                       f"{sorted(set(resolver.unknown))}")
    export.metadata.pop("mystnb", None)
    return export


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    count = 0
    for docname in sorted(app.env.found_docs):
        source = Path(app.env.doc2path(docname))
        if source.suffix != ".ipynb":
            continue
        notebook = nbformat.read(source, as_version=4)
        export = reader_notebook(app, docname, notebook)
        target = outdir / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(export, target)
        count += 1
    logger.info(f"reader_notebooks: {count} notebooks exported for readers")


def setup(app: Sphinx) -> dict:
    app.add_role("lossbook-wheel", wheel_role)
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _add_wheel_button, priority=502)
    app.connect("build-finished", _build_finished, priority=450)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
