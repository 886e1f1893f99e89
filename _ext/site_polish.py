"""Finishing touches on the written site: lighter pages, no dead weight.

After the HTML is written (and its math rendered by ``static_math``):

- the Font Awesome script goes from every page: the icons render from the
  Font Awesome web font that the theme's CSS already loads, and the script
  (over 500 kB) only swapped each icon for an inline SVG; the font itself
  is cut down to the icons the site uses (150 kB to a few kB), and the
  theme's stylesheet loses the rules of the 1,800 icons it does not use;
- images load lazily, with their size given so nothing jumps;
- Sphinx's search script and index load on the search page only; the
  theme loaded them everywhere for a search-as-you-type mode the book
  does not use;
- the primary sidebar is a landmark, the search field button is named by
  its visible text, and citation lists lose ARIA roles that misstate them;
- every table sits in a box that scrolls sideways when the table is wider
  than the column (``lossbook.js`` makes such a box keyboard-reachable);
- source maps are deleted and the comments that point at them removed;
- ``lossbook-print.css`` is made from the theme's and Pygments' own rules
  for the light theme, restated for a page printed from dark mode, so that
  print is dark text on white in either mode.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from sphinx.application import Sphinx

PRINT_CSS = "lossbook-print.css"

FONTAWESOME = re.compile(
    r'\s*<(?:script defer src|link rel="preload" as="script" href)='
    r'"[^"]*scripts/fontawesome\.js[^"]*"\s*/?>(?:</script>)?')
SEARCH_ASSETS = re.compile(
    r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data'
    r'\.js|searchindex\.js)"></script>')
TABLE_OPEN = re.compile(r"<table\b")
TABLE_CLOSE = re.compile(r"</table>")
SOURCE_MAP_COMMENT = re.compile(
    r"\n?(?://[#@] sourceMappingURL=[^\n]*|/\*[#@] sourceMappingURL=[^*]*\*/)")
LIGHT_SELECTOR = re.compile(r'html\[data-theme=(["\']?)light\1\]')
ICON_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
ICON_RULE = re.compile(r"\.(fa-[a-z0-9-]+):(?:before|after)")
PRIVATE_USE = re.compile(r'content:\s*"\\([ef][0-9a-f]{3})"')
FONT_SRC = re.compile(
    r'src:url\((?P<path>[^)]*webfonts/[\w-]+)\.woff2\) format\("woff2"\),'
    r'url\((?P=path)\.ttf\) format\("truetype"\)')
SEARCH_FIELD_LABEL = re.compile(
    r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="[^"]*"')
IMG = re.compile(r"<img\b(?P<attrs>[^>]*?)\s*/?>")


def _wrap_tables(page: str) -> str:
    """Put each outermost table in a ``div.lb-scroll`` (idempotent)."""
    if 'class="lb-scroll"' in page:
        return page
    out, depth, pos = [], 0, 0
    tags = sorted([(m.start(), "open") for m in TABLE_OPEN.finditer(page)]
                  + [(m.end(), "close") for m in TABLE_CLOSE.finditer(page)])
    for index, kind in tags:
        out.append(page[pos:index])
        pos = index
        if kind == "open":
            if depth == 0:
                out.append('<div class="lb-scroll">')
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                out.append("</div>")
    out.append(page[pos:])
    return "".join(out)


def _lazy_images(page: str, path: Path) -> str:
    """Images load when scrolled near, with their size reserved."""

    def lazy(match: re.Match) -> str:
        attrs = match.group("attrs")
        if "loading=" in attrs:
            return match.group(0)
        extra = ' loading="lazy" decoding="async"'
        src = re.search(r'src="([^"]+)"', attrs)
        if src and "width=" not in attrs and "height=" not in attrs \
                and not src.group(1).startswith(("data:", "http")):
            image = (path.parent / src.group(1)).resolve()
            if image.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif") \
                    and image.exists():
                with Image.open(image) as im:
                    extra += f' width="{im.width}" height="{im.height}"'
        return f"<img{attrs}{extra} />"

    return IMG.sub(lazy, page)


def _landmarks_and_names(page: str) -> str:
    """The sidebar is a landmark; buttons are named by their visible text."""
    page = page.replace(
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">',
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" '
        'role="complementary" aria-label="Book navigation">')
    # a citation list marked up as an ARIA list of "doc-biblioentry"
    # items is misread (axe: a critical aria-required-children); plain
    # markup reads as a numbered list of references
    page = page.replace('<div role="list" class="citation-list">',
                        '<div class="citation-list">')
    page = page.replace(' role="doc-biblioentry"', "")
    # a folded cell's summary reads "Show code cell source"; the generic
    # aria-label "Toggle hidden content" hid that from screen readers and
    # voice control (axe: label-content-name-mismatch)
    page = page.replace('<summary aria-label="Toggle hidden content">',
                        "<summary>")
    # "Search Ctrl+K" is the visible name; aria-label="Search" hid half
    return SEARCH_FIELD_LABEL.sub(r"\1", page)


def polish_page(page: str, path: Path) -> str:
    """The finished HTML of one page (``path`` locates its images)."""
    page = _landmarks_and_names(page)
    page = FONTAWESOME.sub("", page)
    page = SEARCH_ASSETS.sub("", page)
    page = _lazy_images(page, path)
    return _wrap_tables(page)


def slim_icons(outdir: Path) -> set[int]:
    """Keep the icon rules and glyphs the site uses; return the glyphs."""
    static = outdir / "_static"
    used: set[str] = set()
    for path in outdir.rglob("*.html"):
        used |= set(ICON_CLASS.findall(path.read_text(encoding="utf-8")))
    for path in static.rglob("*.js"):
        if path.name != "fontawesome.js":
            used |= set(ICON_CLASS.findall(path.read_text(
                encoding="utf-8", errors="replace")))
    sheet = static / "styles" / "pydata-sphinx-theme.css"
    css = sheet.read_text(encoding="utf-8")
    kept, pos = [], 0
    for start, end, selector in _rule_spans(css):
        names = [ICON_RULE.fullmatch(s.strip()) for s in selector.split(",")]
        if all(names) and not any(n.group(1) in used for n in names):
            kept.append(css[pos:start])
            pos = end
    kept.append(css[pos:])
    css = FONT_SRC.sub(r'src:url(\g<path>.ttf) format("truetype")',
                       "".join(kept))
    sheet.write_text(css, encoding="utf-8")
    codepoints = set()
    for path in static.rglob("*.css"):
        codepoints |= {int(c, 16) for c in PRIVATE_USE.findall(
            path.read_text(encoding="utf-8", errors="replace"))}
    return codepoints


def subset_fonts(webfonts: Path, codepoints: set[int]) -> None:
    """Cut each Font Awesome font to ``codepoints``; drop the WOFF2 copies."""
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)

    for path in webfonts.glob("*.ttf"):
        font = TTFont(path)
        cmap = font.getBestCmap() or {}
        keep = [c for c in codepoints if c in cmap]
        options = subset.Options()
        options.notdef_outline = True
        options.name_IDs = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep or [0x20])
        subsetter.subset(font)
        font.save(path)
    for path in webfonts.glob("*.woff2"):
        path.unlink()


def _rule_spans(css: str):
    """(start, end, selector) of each rule outside any @-block."""
    depth, brace, selector_start = 0, 0, 0
    for i, char in enumerate(css):
        if char == "{":
            if depth == 0:
                brace = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                segment = css[selector_start:brace]
                # a comment before the rule is not part of it
                start = selector_start + segment.rfind("*/") + 2 \
                    if "*/" in segment else selector_start
                selector = css[start:brace].strip()
                if not selector.startswith("@"):
                    yield start, i + 1, selector
                selector_start = i + 1


def _top_level_rules(css: str):
    """(selector, body) of each rule outside any @-block."""
    for start, end, selector in _rule_spans(css):
        body = css[start:end]
        yield selector, body[body.index("{") + 1:-1]


def print_css(stylesheets: list[str]) -> str:
    """Light-theme rules restated for ``html[data-theme=dark]`` in print."""
    rules = []
    for css in stylesheets:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        for selector, body in _top_level_rules(css):
            parts = [s.strip() for s in selector.split(",")]
            if parts and all(LIGHT_SELECTOR.match(s) for s in parts):
                dark = ",".join(LIGHT_SELECTOR.sub(
                    'html[data-theme="dark"]', s) for s in parts)
                rules.append(f"{dark}{{{body}}}")
    return ("/* made at build time from the theme's light rules: a page "
            "printed from dark mode prints like light mode */\n"
            "@media print{\n" + "\n".join(rules) + "\n}\n")


def polish_site(outdir: Path) -> None:
    """Apply the finishing steps to every page and asset under ``outdir``."""
    for path in outdir.rglob("*.html"):
        relative = path.relative_to(outdir)
        if relative.parts[0] in ("_static", "_sources", "_downloads"):
            continue
        text = path.read_text(encoding="utf-8")
        polished = polish_page(text, path)
        if polished != text:
            path.write_text(polished, encoding="utf-8")
    static = outdir / "_static"
    webfonts = static / "vendor" / "fontawesome" / "webfonts"
    if (static / "styles" / "pydata-sphinx-theme.css").exists():
        subset_fonts(webfonts, slim_icons(outdir))
    for path in outdir.rglob("*.map"):
        path.unlink()
    for path in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        stripped = SOURCE_MAP_COMMENT.sub("", text)
        if stripped != text:
            path.write_text(stripped, encoding="utf-8",
                            errors="surrogateescape")
    sheets = [static / "styles" / "pydata-sphinx-theme.css",
              static / "pygments.css"]
    (static / PRINT_CSS).write_text(print_css(
        [p.read_text(encoding="utf-8") for p in sheets if p.exists()]),
        encoding="utf-8")


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        polish_site(Path(app.outdir))


def setup(app: Sphinx) -> dict:
    # after every other stylesheet, so that its rules win in print
    app.add_css_file(PRINT_CSS, media="print", priority=900)
    app.connect("build-finished", _build_finished, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
