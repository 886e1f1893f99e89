"""Browser checks of the built site: every page, as a reader gets it.

For each page at 1440 px: HTTP 200, no console errors (a missing favicon
would be one), every image loaded, every formula rendered as SVG in the
HTML with no raw TeX left in the text and no math script loaded, no
request to any host but 127.0.0.1, the footer shown and the theme's
near-empty top bar not, no table or display formula cut off (one wider
than the column scrolls inside its own box), folded plumbing cells
folded, every figure with alt text that is not a file name and a
numbered caption, and axe-core reporting no critical or serious
violation. Every internal link points at a page and anchor that exist.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import SITE, site_pages

PAGES = site_pages()
SCREENSHOTS = SITE.parent / "screenshots"

# TeX delimiters and commands that must not survive in the visible text
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\sum|\\log")

VISIBLE_TEXT_JS = """
() => {
  const root = document.querySelector('main') || document.body;
  const copy = root.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, '
    + 'textarea').forEach(e => e.remove());
  return copy.innerText;
}
"""

# Every table and display formula in the article either fits in the
# column, or sits in a box of its own that scrolls sideways; nothing is
# cut off by an ancestor that hides overflow.
CLIPPED_JS = """
() => {
  const article = document.querySelector('article.bd-article');
  if (!article) return [];
  const limit = article.getBoundingClientRect();
  const bad = [];
  const items = [...article.querySelectorAll('table'),
                 ...article.querySelectorAll('div.math mjx-container > svg')];
  for (const el of items) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    let node = el.parentElement, scroller = null, hider = null;
    while (node && node !== article) {
      const ox = getComputedStyle(node).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scroller = node; break; }
      if (ox === 'hidden' || ox === 'clip') { hider = hider || node; }
      node = node.parentElement;
    }
    const label = (el.closest('[id]') || el).id || el.tagName;
    if (scroller) {
      const s = scroller.getBoundingClientRect();
      if (s.right > limit.right + 1 || s.left < limit.left - 1)
        bad.push(`${label}: its scroll box leaves the column`);
      continue;
    }
    const edge = hider ? hider.getBoundingClientRect() : limit;
    if (box.right > edge.right + 1 || box.left < edge.left - 1)
      bad.push(`${label}: ${Math.round(box.width)} px wide, cut at `
               + `${Math.round(edge.right - box.left)} px`);
  }
  return bad;
}
"""

# Every image in the article has alt text that describes it (not empty,
# not a file name or path) and sits in a figure with a numbered caption.
FIGURES_JS = """
() => {
  const bad = [];
  const article = document.querySelector('article.bd-article');
  if (!article) return bad;
  const fileLike = /(^|[\\/])[\\w.-]+\\.(png|jpe?g|gif|svg|webp)$/i;
  for (const img of article.querySelectorAll('img')) {
    const name = (img.getAttribute('src') || '').split('/').pop();
    const alt = (img.getAttribute('alt') || '').trim();
    if (!alt) bad.push(`${name}: no alt text`);
    else if (fileLike.test(alt) || alt === name)
      bad.push(`${name}: alt text is a file name`);
    const figure = img.closest('figure');
    const caption = figure && figure.querySelector('figcaption');
    if (!caption || !caption.textContent.trim())
      bad.push(`${name}: no caption`);
    else if (!/^\\s*Fig\\.\\s*\\d+(\\.\\d+)*/.test(
        (caption.querySelector('.caption-number') || {}).textContent || ''))
      bad.push(`${name}: caption has no figure number`);
    else if (!figure.id)
      bad.push(`${name}: figure has no name to reference`);
  }
  return bad;
}
"""

FOLDED_JS = """
() => [...document.querySelectorAll('.cell.tag_hide-input')]
  .filter(cell => {
    const details = cell.querySelector(':scope > details.hide');
    const input = cell.querySelector('.cell_input');
    return !details || details.open || !input
      || input.getBoundingClientRect().height > 0;
  }).map(cell => cell.textContent.trim().slice(0, 60))
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


def open_page(browser, server, page, **context_options):
    """A tab showing ``page``; console errors and foreign requests noted."""
    options = {"viewport": {"width": 1440, "height": 900}, **context_options}
    context = browser.new_context(**options)
    tab = context.new_page()
    tab.errors, tab.foreign = [], []
    tab.on("console", lambda m: tab.errors.append(m.text)
           if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))

    def route(r):
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            tab.foreign.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.response = tab.goto(f"{server}/{page}", wait_until="load")
    return context, tab


def load_all_images(tab) -> None:
    """Lazy images are fetched when scrolled near; fetch them all now."""
    tab.evaluate("""() => Promise.all([...document.images].map(img => {
        img.loading = 'eager';
        return img.complete ? null : new Promise(done => {
            img.addEventListener('load', done);
            img.addEventListener('error', done);
        });
    }))""")


def axe_violations(tab, axe_source: str) -> list[str]:
    """axe-core's critical and serious violations on the current page."""
    tab.add_script_tag(content=axe_source)
    result = tab.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.length,
            target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['impact']} {v['id']} ({v['nodes']} nodes, e.g. "
            f"{v['target']})" for v in result
            if v["impact"] in ("critical", "serious")]


@pytest.mark.parametrize("page", PAGES)
def test_page(page, server, browser, axe_source):
    context, tab = open_page(browser, server, page)
    tab.wait_for_load_state("networkidle")
    load_all_images(tab)

    assert tab.response is not None and tab.response.status == 200
    assert tab.foreign == [], f"requests to other hosts: {tab.foreign}"
    assert tab.errors == [], f"console errors: {tab.errors}"

    broken = tab.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src)")
    assert broken == [], f"images that did not load: {broken}"

    scripts = tab.eval_on_selector_all(
        "script[src]", "s => s.map(e => e.getAttribute('src'))")
    heavy = [s for s in scripts if re.search(
        r"mathjax|tex-(chtml|svg|mml)|fontawesome\.js|searchindex\.js", s)]
    assert heavy == [], f"scripts the page does not need: {heavy}"

    unrendered = tab.eval_on_selector_all(
        ".math", "els => els.filter(e => !e.querySelector('mjx-container > "
        "svg'))" ".map(e => e.textContent.slice(0, 60))")
    assert unrendered == [], f"math not rendered: {unrendered}"
    raw = RAW_TEX.findall(tab.evaluate(VISIBLE_TEXT_JS))
    assert raw == [], f"raw TeX left in the page text: {raw[:5]}"

    assert tab.locator(".lb-footer").first.is_visible(), "no footer"
    assert not tab.locator("#pst-header").is_visible(), "empty top bar"

    clipped = tab.evaluate(CLIPPED_JS)
    assert clipped == [], f"cut off at 1440 px: {clipped}"

    unfolded = tab.evaluate(FOLDED_JS)
    assert unfolded == [], f"hide-input cells shown unfolded: {unfolded}"

    # py-modindex's only images are Sphinx's +/- togglers, not figures
    if page != "py-modindex.html":
        figures = tab.evaluate(FIGURES_JS)
        assert figures == [], f"figures: {figures}"

    violations = axe_violations(tab, axe_source)
    assert violations == [], f"axe-core: {violations}"

    if page.startswith("chapters/"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = page.replace("/", "_").removesuffix(".html")
        # the first screen only: a full-page capture costs seconds
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
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
