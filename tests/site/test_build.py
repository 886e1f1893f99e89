"""Checks of the built files that need no browser.

- Pages load only what they use: no MathJax, no Font Awesome script, and
  Sphinx's search index on no page (the search page uses its own records);
  no source maps anywhere in the deploy.
- A favicon is linked and exists; the landing page links to no local
  server and numbers its citations as the chapters do.
- Every page's download menu, and the landing page, link the lossbook
  wheel, which exists; every chapter's download is a reader notebook with
  no MyST-only syntax left in its Markdown.
- The figure check itself works: on markup as MyST-NB writes a figure
  that follows the book's convention it finds nothing, and on a bare image
  (file-name alt text, no caption) it reports both faults.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import SITE, site_pages
from test_site import FIGURES_JS

PAGES = site_pages()
CHAPTER_SOURCES = sorted((SITE / "_sources" / "chapters").glob("*.ipynb"))

# MyST roles, directives, labels and equation labels: none may reach a
# reader's Jupyter
MYST_SYNTAX = re.compile(
    r"\{[a-z][\w:-]*\}`|^\s*(?::{3,}|`{3,})\{[\w:-]+\}|^\([\w:.-]+\)=\s*$"
    r"|\$\$\s*\([\w:.-]+\)", re.M)


def _html(page: str) -> str:
    return (SITE / page).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_only_what_it_uses(page):
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', _html(page))
    unneeded = [s for s in scripts if re.search(
        r"mathjax|fontawesome\.js|searchindex\.js|searchtools\.js", s)]
    assert unneeded == [], f"{page} loads {unneeded}"
    assert "MathJax" not in re.sub(r"<mjx-container class=\"MathJax\"", "",
                                   _html(page)).split("<body", 1)[0]


def test_no_source_maps_in_the_deploy():
    maps = [str(p.relative_to(SITE)) for p in SITE.rglob("*.map")]
    assert maps == []
    pointers = [str(p.relative_to(SITE)) for p in SITE.rglob("*")
                if p.suffix in (".js", ".css") and "sourceMappingURL" in
                p.read_text(encoding="utf-8", errors="replace")]
    assert pointers == [], f"files pointing at source maps: {pointers}"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "index.html"])
def test_favicon(page):
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', _html(page))
    assert icons, f"{page} links no favicon"
    assert ((SITE / page).parent / icons[0]).resolve().exists()


def test_landing_page():
    html = _html("intro.html")
    assert not re.search(r'href="https?://(127\.0\.0\.1|localhost)', html)
    # numbered notes, as in the chapters, not author-year citations
    assert re.search(r'class="footnote-reference brackets"', html)
    assert not re.search(r'class="cite"|<span class="cite', html)
    assert re.search(r'href="_downloads/lossbook-[^"]+\.whl"', html), \
        "the landing page does not link the lossbook wheel"


# pages Sphinx generates (no source, so no download menu); index.html
# only forwards to intro.html
GENERATED = {"genindex.html", "search.html", "py-modindex.html", "index.html"}


@pytest.mark.parametrize("page", [p for p in PAGES if p not in GENERATED])
def test_download_menu_links_the_wheel(page):
    html = _html(page)
    links = re.findall(r'<a href="([^"]+\.whl)"[^>]*btn-download-wheel',
                       html)
    assert links, f"{page}: the download menu has no wheel"
    assert ((SITE / page).parent / links[0]).resolve().exists()


@pytest.mark.parametrize("source", CHAPTER_SOURCES, ids=lambda p: p.stem)
def test_reader_notebook_has_no_myst_syntax(source):
    notebook = json.loads(source.read_text(encoding="utf-8"))
    left = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            left += [m.group(0) for m in MYST_SYNTAX.finditer(text)]
        for output in cell.get("outputs", []):
            assert not any(k.startswith("application/papermill")
                           for k in output.get("data", {}))
    assert left == [], f"{source.name}: MyST syntax left {left[:8]}"


def test_every_chapter_has_a_reader_notebook():
    pages = {p.removeprefix("chapters/").removesuffix(".html")
             for p in PAGES if p.startswith("chapters/")}
    assert pages == {p.stem for p in CHAPTER_SOURCES}


# MyST-NB's markup for a figure cell with the book's metadata, and for a
# plain image output: the check must pass the first and flag the second
CONFORMING = """<article class="bd-article"><figure class="align-default"
 id="fig-focal-gamma"><img alt="Five curves falling from left to right"
 src="_images/ab12.png"/><figcaption><p><span class="caption-number">Fig. 4.1
 </span><span class="caption-text">Focal loss for five gammas.</span></p>
</figcaption></figure></article>"""
BARE = """<article class="bd-article"><img alt="../_images/ab12.png"
 src="../_images/ab12.png"/></article>"""


def test_figure_check_tells_good_from_bad(browser):
    tab = browser.new_page()
    tab.set_content(CONFORMING)
    assert tab.evaluate(FIGURES_JS) == []
    tab.set_content(BARE)
    problems = tab.evaluate(FIGURES_JS)
    tab.close()
    assert any("file name" in p for p in problems)
    assert any("no caption" in p for p in problems)
