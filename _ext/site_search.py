"""The book's search: whole words, sections, and the chapters first.

Sphinx's search matches word stems and substrings ("hinge" finds "thing",
"divergence" finds "diverging"), ranks whole pages, and builds previews
from page text that still holds TeX and contents lists. This extension
writes ``_static/lossbook-search.json`` once the site is written and its
math rendered: one record per section (its numbered title, its page, its
prose without code, contents lists or formula markup), per glossary entry
and per API entry. ``_ext/static/lossbook-search.js``, loaded on the search
page only, ranks the records (see that file) and shows each result with a
preview around the match.

A glossary term written with a hyphenated proper name also answers to its
initials ("Kullback–Leibler divergence" to "KL divergence").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from sphinx.application import Sphinx

INDEX_FILE = "lossbook-search.json"
SCRIPT_FILE = "lossbook-search.js"
STATIC = Path(__file__).resolve().parent / "static"

# markup whose text is not prose a reader searches for: these elements,
# elements of these classes, and display formulas
NOISE_TAGS = {"script", "style", "nav", "pre", "button", "img"}
NOISE_CLASSES = {"toctree-wrapper", "headerlink", "cell_input", "eqno",
                 "footnote-list", "sd-tab-set"}


def _is_noise(tag: Tag) -> bool:
    classes = set(tag.get("class") or ())
    return (tag.name in NOISE_TAGS or bool(classes & NOISE_CLASSES)
            or (tag.name == "div" and "math" in classes)
            or tag.get("id") == "jb-print-docs-body")
# the drawn formulas (their MathML stays) and the page's glyph cache are
# most of a page's bytes and none of its text; dropping them before
# parsing makes the index several times faster to build
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
NAME_RUN = re.compile(r"\b(?:[A-Z][a-z]+[-–])+[A-Z][a-z]+\b")
SPACE = re.compile(r"\s+")


BLOCKS = ("p", "li", "dt", "dd", "tr", "th", "td", "div", "section",
          "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption")


def _text(node: Tag) -> str:
    return SPACE.sub(" ", node.get_text("")).strip()


def _prepare(root: Tag) -> None:
    """Formulas become the text of their MathML (display formulas go, as
    they read badly as text); block elements are kept apart by a space."""
    for node in root.find_all(_is_noise):
        if not node.decomposed:
            node.decompose()
    for container in root.find_all("mjx-container"):
        mml = container.find("mjx-assistive-mml")
        container.replace_with(mml.get_text("", strip=True) if mml else "")
    for block in root.find_all(BLOCKS):
        block.insert(0, " ")
        block.append(" ")


def aliases(term: str) -> list[str]:
    """Other spellings of a glossary term: initials for hyphenated names."""
    found = []
    for run in NAME_RUN.findall(term):
        initials = "".join(part[0] for part in re.split(r"[-–]", run))
        found.append(term.replace(run, initials))
    return found


def _own_text(section: Tag) -> tuple[str, list[str]]:
    """The text of ``section`` outside its subsections, and its bold terms."""
    parts, bold = [], []
    for child in section.children:
        if not isinstance(child, Tag):
            if str(child).strip():
                parts.append(str(child).strip())
            continue
        if child.name == "section" or re.fullmatch(r"h[1-6]", child.name):
            continue
        if child.name == "dl" and any(c in child.get("class", [])
                                      for c in ("py", "glossary")):
            continue  # indexed as entries of their own
        parts.append(_text(child))
        bold += [_text(b) for b in child.find_all(["strong", "dfn"])]
    return SPACE.sub(" ", " ".join(parts)).strip(), bold


def page_records(html: str, url: str, kind: str, order: int) -> list[dict]:
    """The search records of one page."""
    start = html.find('<article class="bd-article"')
    end = html.find("</article>", start)
    if start >= 0 and end >= 0:
        html = html[start:end + len("</article>")]
    soup = BeautifulSoup(SVG.sub("", html), "html.parser")
    article = soup.select_one("article.bd-article") or soup
    if article is None:
        return []
    _prepare(article)
    page_title = ""
    first = article.find(re.compile(r"h1"))
    if first is not None:
        page_title = _text(first)
    records = []
    for rank, section in enumerate(article.select("section[id]")):
        heading = section.find(re.compile(r"h[1-6]"))
        if heading is None:
            continue
        text, bold = _own_text(section)
        records.append({
            "u": f"{url}#{section['id']}" if rank else url,
            "t": _text(heading), "p": page_title, "k": kind,
            "x": text, "b": bold, "o": order * 1000 + rank,
        })
    for dt in article.select("dl.glossary > dt[id]"):
        dd = dt.find_next_sibling("dd")
        term = _text(dt)
        records.append({
            "u": f"{url}#{dt['id']}", "t": term, "p": page_title,
            "k": "glossary", "x": _text(dd) if dd else "", "b": [],
            "a": aliases(term), "o": order * 1000 + len(records),
        })
    for dt in article.select("dl.py > dt.sig[id]"):
        dd = dt.find_next_sibling("dd")
        summary = ""
        if dd is not None:
            paragraph = dd.find("p")
            summary = _text(paragraph) if paragraph else ""
        name = dt["id"].split(".")[-1]
        records.append({
            "u": f"{url}#{dt['id']}", "t": name, "p": page_title,
            "k": "api", "x": f"{_text(dt)} {summary}".strip(), "b": [],
            "o": order * 1000 + len(records),
        })
    return records


def _page_order(outdir: Path) -> list[str]:
    """Pages in the order of the book's navigation."""
    root = outdir / "intro.html"
    if not root.exists():
        return []
    soup = BeautifulSoup(root.read_text(encoding="utf-8"), "html.parser")
    order = ["intro.html"]
    for link in soup.select("nav.bd-docs-nav a.reference.internal"):
        href = link.get("href", "").split("#")[0]
        if href and href not in order:
            order.append(href)
    return order


def _kind(url: str) -> str:
    if url.startswith("chapters/"):
        return "chapter"
    if url == "reference/api.html":
        return "api-page"
    return "page"


def build_index(outdir: Path) -> dict:
    """The search records of every page of the site under ``outdir``."""
    order = _page_order(outdir)
    records = []
    for url in order:
        path = outdir / url
        if path.exists():
            records += page_records(path.read_text(encoding="utf-8"), url,
                                    _kind(url), order.index(url))
    return {"records": records}


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    index = build_index(outdir)
    (outdir / "_static" / INDEX_FILE).write_text(
        json.dumps(index, ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8")


def _search_page_only(app, pagename, templatename, context, doctree):
    if pagename == "search":
        app.add_js_file(SCRIPT_FILE, defer="defer")


def _add_static(app: Sphinx, config) -> None:
    config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_static)
    app.connect("html-page-context", _search_page_only)
    # after the math is rendered (400), so the records hold no TeX
    app.connect("build-finished", _build_finished, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
