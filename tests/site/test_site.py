"""Browser checks of the built site: every page, as a reader gets it.

For each page: HTTP 200, no console errors, every image loaded, every
math element rendered by the bundled MathJax with no raw TeX left in the
text, no request to any host but 127.0.0.1, and every internal link
pointing at a page and anchor that exist.
"""

from __future__ import annotations

import functools
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import SITE, STATS, site_pages

PAGES = site_pages()
SCREENSHOTS = SITE.parent / "screenshots"

# TeX delimiters that must not survive in visible text once MathJax ran
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\sum|\\log")

VISIBLE_TEXT_JS = """
() => {
  const root = document.querySelector('main') || document.body;
  const copy = root.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, '
    + 'mjx-assistive-mml, .highlight, textarea').forEach(e => e.remove());
  return copy.innerText;
}
"""


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache
def _parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("page", PAGES)
def test_page(page, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors, foreign, sizes = [], [], []

    tab.on("console", lambda m: errors.append(m.text)
           if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("requestfinished",
           lambda r: sizes.append(r.sizes()["responseBodySize"]))

    start = time.perf_counter()
    response = tab.goto(f"{server}/{page}", wait_until="load")
    tab.wait_for_function(
        "() => !window.MathJax || !MathJax.startup"
        " || MathJax.startup.promise.then(() => true)")
    tab.wait_for_load_state("networkidle")
    elapsed_ms = 1000 * (time.perf_counter() - start)
    STATS.append((page, sum(sizes), elapsed_ms))

    assert response is not None and response.status == 200
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert errors == [], f"console errors: {errors}"

    broken = tab.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src)")
    assert broken == [], f"images that did not load: {broken}"

    unrendered = tab.eval_on_selector_all(
        ".math", "els => els.filter(e => !e.querySelector('mjx-container'))"
        ".map(e => e.textContent.slice(0, 60))")
    assert unrendered == [], f"math not rendered: {unrendered}"
    raw = RAW_TEX.findall(tab.evaluate(VISIBLE_TEXT_JS))
    assert raw == [], f"raw TeX left in the page text: {raw[:5]}"

    if page.startswith("chapters/"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = page.replace("/", "_").removesuffix(".html")
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(page):
    source = SITE / page
    missing = []
    for href in _parse(source).hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("mailto:"):
            continue
        target = (source.parent / unquote(parts.path)).resolve() \
            if parts.path else source
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            missing.append(href)
        elif parts.fragment and target.suffix == ".html" and \
                unquote(parts.fragment) not in _parse(target).ids:
            missing.append(href)
    assert missing == [], f"links that do not resolve: {missing}"


def test_search_finds_entropy(server, browser):
    tab = browser.new_page()
    tab.goto(f"{server}/search.html?q=entropy")
    tab.wait_for_selector("ul.search li", timeout=20_000)
    assert tab.locator("ul.search li").count() > 0
    tab.close()
