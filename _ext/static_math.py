"""Math rendered at build time: SVG in the page, no math script.

Sphinx writes each formula as TeX between ``\\(``/``\\)`` or ``\\[``/``\\]``
for a script to typeset in the reader's browser; on a slow connection the
reader then sees raw TeX for seconds. This extension registers a math
renderer (``html_math_renderer = "static_svg"``) that writes the same
markup without loading any script, and, once the HTML is written, runs
MathJax in Node (``_ext/node/render_math.cjs``) over every page and puts
the SVG, with its MathML for screen readers, in place of the TeX. A TeX
error fails the build and names the formula.

The macros of ``mathjax3_config["tex"]["macros"]`` apply, as they would
in the browser.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from node_tools import run_node
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

RENDERER = "static_svg"
CSS_FILE = "lossbook-math.css"

# Sphinx's markup for inline and display math (the TeX is HTML-escaped,
# so it holds no "<")
INLINE = re.compile(
    r'(<span class="math notranslate nohighlight">)\\\((.*?)\\\)(</span>)',
    re.S)
DISPLAY = re.compile(
    r'(<div class="(?:[^"]*\s)?math(?:\s[^"]*)?"[^>]*>)'
    r'((?:\s*<span class="eqno">.*?</span>)?)'
    r'(.*?)(</div>)', re.S)
CACHE_MARK = 'id="MJX-SVG-global-cache"'


def _delegate(kind: str, which: int):
    """A visitor that calls the mathjax renderer's visitor (as MyST set it)."""

    def visitor(self, node):
        registry = self.builder.app.registry
        table = (registry.html_inline_math_renderers if kind == "inline"
                 else registry.html_block_math_renderers)
        function = table["mathjax"][which]
        if function is not None:
            return function(self, node)
        return None

    return visitor


def _display_tex(body: str) -> str:
    body = body.strip()
    if body.startswith("\\[") and body.endswith("\\]"):
        body = body[2:-2]
    return body


def _collect(page: str) -> list[dict]:
    items = []
    for match in INLINE.finditer(page):
        items.append({"tex": html.unescape(match.group(2)), "display": False})
    for match in DISPLAY.finditer(page):
        tex = _display_tex(match.group(3))
        if tex:
            items.append({"tex": html.unescape(tex), "display": True})
    return items


def _substitute(page: str, rendered: list[str], cache: str) -> str:
    out = iter(rendered)
    page = INLINE.sub(lambda m: m.group(1) + next(out) + m.group(3), page)

    def display(match: re.Match) -> str:
        if not _display_tex(match.group(3)):
            return match.group(0)
        return match.group(1) + match.group(2) + next(out) + match.group(4)

    page = DISPLAY.sub(display, page)
    if cache:
        # the glyph definitions the formulas refer to, once per page
        page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + cache, page,
                      count=1)
    return page


def render_site(outdir: Path, macros: dict[str, str]) -> int:
    """Replace the TeX of every page under ``outdir``; return the count."""
    jobs, texts = [], {}
    for path in sorted(outdir.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if CACHE_MARK in text:
            continue  # rendered by an earlier build, page unchanged since
        items = _collect(text)
        if items:
            jobs.append({"id": str(path), "items": items})
            texts[str(path)] = text
    if not jobs:
        return 0
    result = json.loads(run_node(
        "render_math.cjs", json.dumps({"macros": macros, "pages": jobs})))
    if result["errors"]:
        lines = [f"{Path(e['id']).relative_to(outdir)}: {e['message']}: "
                 f"{e['tex'][:120]}" for e in result["errors"]]
        raise ExtensionError("TeX that MathJax cannot render:\n"
                             + "\n".join(lines))
    static = outdir / "_static"
    static.mkdir(exist_ok=True)
    (static / CSS_FILE).write_text(result["css"], encoding="utf-8")
    count = 0
    for page in result["pages"]:
        text = _substitute(texts[page["id"]], page["items"], page["cache"])
        Path(page["id"]).write_text(text, encoding="utf-8")
        count += len(page["items"])
    return count


def _macros(app: Sphinx) -> dict[str, str]:
    config = app.config.mathjax3_config or {}
    return dict((config.get("tex") or {}).get("macros") or {})


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    count = render_site(Path(app.outdir), _macros(app))
    logger.info(f"static_math: {count} formulas rendered to SVG")


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer(
        RENDERER,
        (_delegate("inline", 0), _delegate("inline", 1)),
        (_delegate("block", 0), _delegate("block", 1)))
    app.add_css_file(CSS_FILE)
    # before the site's other finishing steps, which read the rendered math
    app.connect("build-finished", _build_finished, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
