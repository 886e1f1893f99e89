"""The reader's side: a phone, the keyboard, search, print, a slow line.

- At 390 × 844 no page is wider than the screen; tapping ☰ opens the
  book's navigation and a chapter link in it works; the page-contents
  button opens the contents. On a desktop ☰ folds the sidebar and unfolds
  it again.
- The keyboard: no formula is a Tab stop, the header's buttons show a
  focus ring, and Escape in the search dialog gives focus back to the
  button that opened it.
- Search ranks by rules (see ``_ext/static/lossbook-search.js``), checked
  here against the search records for several queries.
- Print, from dark mode: dark text on white, the chapter number kept,
  tables and formulas inside the page width.
- First load on DevTools' "Slow 4G", on a phone: each chapter within its
  byte budget, and no formula shown as TeX after the first paint. The
  same load of each page gives the 390 px width check.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import PHONE, SITE, first_loads, site_pages
from test_site import open_page

PAGES = site_pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]
CHAPTER_BUDGET = 600 * 1024   # bytes on the wire, first load, per chapter
MATH_LAG_MS = 1000            # raw TeX shown after the first paint, at most


# Both checks read one slow-4G load of each page on a phone, measured once
# a run in the background (``FirstLoads`` in ``conftest.py``).
@pytest.fixture(scope="session")
def loads(server) -> dict[str, dict]:
    return first_loads.wait(server)


@pytest.mark.parametrize("page", PAGES)
def test_no_sideways_scrolling_on_a_phone(page, loads):
    r = loads[page]
    assert "error" not in r, r.get("error")
    assert r["width"] <= 390, \
        f"page is {r['width']} px wide at 390 px: {r['wide']}"


def test_phone_navigation(server, browser):
    context, tab = open_page(browser, server, "chapters/focal_loss.html",
                             **PHONE)
    toggle = tab.locator(".primary-toggle:visible").first
    toggle.tap()
    dialog = tab.locator("#pst-primary-sidebar-modal")
    dialog.wait_for(state="visible", timeout=5000)
    link = dialog.get_by_role("link", name=re.compile("Cross-entropy loss"))
    assert link.first.is_visible()
    SCREENSHOTS = SITE.parent / "screenshots"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "phone_navigation_open.png"))
    link.first.tap()
    tab.wait_for_url(re.compile(r"chapters/cross_entropy\.html"))

    contents = tab.locator(".secondary-toggle:visible").first
    contents.tap()
    side = tab.locator("#pst-secondary-sidebar-modal")
    side.wait_for(state="visible", timeout=5000)
    assert side.get_by_role("link").count() > 3
    context.close()


def test_landing_page_on_a_phone(server, browser):
    context, tab = open_page(browser, server, "intro.html", **PHONE)
    tab.wait_for_load_state("networkidle")
    SCREENSHOTS = SITE.parent / "screenshots"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "phone_landing.png"))
    # a reader on a phone sees the title and can fetch the wheel that runs
    # the downloaded chapters
    title = tab.locator("article h1").first
    wheel = tab.locator("article a[href$='.whl']").first
    shown = (title.is_visible(), wheel.is_visible())
    errors = tab.errors
    context.close()
    assert shown == (True, True), f"title, wheel link visible: {shown}"
    assert errors == [], f"console errors: {errors}"


def test_desktop_menu_button_folds_the_sidebar(server, browser):
    context, tab = open_page(browser, server, "chapters/focal_loss.html")
    sidebar = tab.locator("#pst-primary-sidebar")
    toggle = tab.locator(".primary-toggle:visible").first
    assert sidebar.is_visible()
    toggle.click()
    tab.wait_for_function("() => getComputedStyle(document.querySelector("
                          "'#pst-primary-sidebar')).visibility === 'hidden'")
    toggle.click()
    tab.wait_for_function("() => getComputedStyle(document.querySelector("
                          "'#pst-primary-sidebar')).visibility === 'visible'")
    context.close()


def _tab_to(tab, selector: str, limit: int = 60) -> dict | None:
    """Press Tab until an element matching ``selector`` has focus."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        hit = tab.evaluate("""s => {
            const e = document.activeElement;
            if (!e || !e.matches(s)) return null;
            const c = getComputedStyle(e);
            return {style: c.outlineStyle, width: parseFloat(c.outlineWidth),
                    shadow: c.boxShadow};
        }""", selector)
        if hit:
            return hit
    return None


def test_keyboard(server, browser):
    context, tab = open_page(browser, server, "chapters/focal_loss.html")
    tab.wait_for_load_state("networkidle")
    stops = tab.evaluate("""() => [...document.querySelectorAll(
        '.math [tabindex], mjx-container[tabindex]')].length""")
    assert stops == 0, f"{stops} formulas are Tab stops"
    for selector in (".bd-header-article .primary-toggle",
                     ".dropdown-download-buttons .dropdown-toggle"):
        ring = _tab_to(tab, selector)
        assert ring is not None, f"Tab never reaches {selector}"
        assert ring["style"] != "none" and ring["width"] >= 2, \
            f"no focus ring on {selector}: {ring}"

    tab.locator(".search-button-field:visible").first.click()
    tab.locator("#pst-search-dialog input").fill("focal")
    tab.keyboard.press("Escape")
    tab.wait_for_function("() => !document.querySelector("
                          "'#pst-search-dialog').open")
    focused = tab.evaluate("""() => document.activeElement === document.body
        ? 'body' : document.activeElement.className""")
    assert "search-button" in focused, f"focus went to {focused}"
    context.close()


# ---------------------------------------------------------------- search

def _records() -> list[dict]:
    return json.loads((SITE / "_static" / "lossbook-search.json").read_text(
        encoding="utf-8"))["records"]


def _words(text: str) -> list[str]:
    def normal(w: str) -> str:
        w = w.lower()
        if len(w) > 4 and w.endswith("ies"):
            return w[:-3] + "y"
        if len(w) > 3 and w.endswith("s") and not re.search(r"(ss|us|is)$", w):
            return w[:-1]
        return w
    return [normal(w) for w in re.findall(r"[^\W_]+", text)]


def _search(tab, server, query: str) -> tuple[str, list[dict]]:
    tab.goto(f"{server}/search.html?q={query}")
    tab.wait_for_function("() => { const s = document.querySelector("
                          "'#lb-search-status'); return s && s.textContent"
                          " && !s.textContent.startsWith('Searching'); }")
    status = tab.inner_text("#lb-search-status")
    results = tab.evaluate(r"""() => [...document.querySelectorAll(
        'ul.search li')].map(li => ({
          href: li.querySelector("a").getAttribute("href")
                  .replace(/^\.\//, ""),
          title: li.querySelector('a').textContent,
          preview: li.querySelector('.lb-preview').textContent}))""")
    return status, results


def _check_ranking(query: str, results: list[dict], records: list[dict]):
    by_url = {r["u"]: r for r in records}
    phrase = " ".join(_words(query))
    aliases = {" ".join(_words(a)): r["t"] for r in records
               for a in r.get("a", [])}
    phrases = {phrase} | ({" ".join(_words(aliases[phrase]))}
                          if phrase in aliases else set())
    ranked = []
    for result in results:
        record = by_url[result["href"]]
        title, text = _words(record["t"]), _words(record["x"])
        words = set(title) | set(text)
        names = [" ".join(title)] + [" ".join(_words(a))
                                     for a in record.get("a", [])]
        assert any(all(w in words for w in p.split()) for p in phrases), \
            f"{query!r}: {record['t']!r} lacks a query word (whole words)"
        preview = result["preview"]
        assert preview.strip(), f"{query!r}: empty preview for {record['t']}"
        assert not re.search(r"\\[a-zA-Z]+|\$", preview), \
            f"{query!r}: TeX in the preview of {record['t']}: {preview}"
        # a contents list reads as a run of numbered section titles
        assert len(re.findall(r"\b\d+\.\d+\.\s", preview)) < 3, \
            f"{query!r}: the preview of {record['t']} is a contents list"
        in_title = any(p in " ".join(title) for p in phrases)
        as_phrase = in_title or any(p in " ".join(text) for p in phrases)
        ranked.append((record, in_title, as_phrase,
                       any(n in phrases for n in names)))
    # 1. a chapter section titled with the phrase comes first, if any
    titled = [r for r in records if r["k"] == "chapter" and any(
        p in " ".join(_words(r["t"])) for p in phrases)]
    if titled:
        first = ranked[0]
        assert first[0]["k"] == "chapter" and first[1], \
            f"{query!r}: first result {first[0]['t']!r} is not a chapter " \
            f"section titled with the phrase"
    # 2. the glossary entry for the term comes before any other
    #    (untitled) section, and before every API entry
    glossary = [i for i, r in enumerate(ranked)
                if r[0]["k"] == "glossary" and r[3]]
    if glossary:
        g = glossary[0]
        assert all(r[1] and r[0]["k"] == "chapter" for r in ranked[:g]), \
            f"{query!r}: the glossary entry is ranked {g + 1}"
    # 3. results holding the phrase come before those that do not
    seen_without = False
    for record, _, as_phrase, _ in ranked:
        assert not (as_phrase and seen_without), \
            f"{query!r}: {record['t']!r} has the phrase but is ranked " \
            f"below a result without it"
        seen_without |= not as_phrase
    # 4. within the same kind of match, chapters before the API reference
    for i, (record, in_title, as_phrase, _) in enumerate(ranked):
        for later, lt, lp, _ in ranked[i + 1:]:
            if later["k"] == "chapter" and record["k"] in ("api",
                                                          "api-page"):
                assert (in_title, as_phrase) > (lt, lp), \
                    f"{query!r}: API entry {record['t']!r} above chapter " \
                    f"section {later['t']!r} with an equal match"


@pytest.mark.parametrize("query", ["label smoothing", "KL divergence",
                                   "focal", "cross-entropy", "Huber"])
def test_search_ranking(query, server, browser):
    records = _records()
    context, tab = open_page(browser, server, "search.html")
    status, results = _search(tab, server, query)
    context.close()
    matching = [r for r in records
                if set(_words(query)) <= set(_words(r["t"] + " " + r["x"]))]
    if matching:
        assert results, f"{query!r}: no result, though {matching[0]['t']!r}"
        _check_ranking(query, results, records)
    else:
        assert "No section matches" in status


def test_search_is_whole_word(server, browser):
    context, tab = open_page(browser, server, "search.html")
    for query, not_word in (("hinge", "thing"), ("divergence", "diverging")):
        _, results = _search(tab, server, query)
        by_url = {r["u"]: r for r in _records()}
        for result in results:
            record = by_url[result["href"]]
            words = set(_words(record["t"] + " " + record["x"]))
            assert _words(query)[0] in words, \
                f"{query!r} matched {record['t']!r} (by {not_word!r}?)"
    context.close()


def test_search_empty_result_helps(server, browser):
    context, tab = open_page(browser, server, "search.html")
    status, results = _search(tab, server, "zyxwvu")
    assert results == []
    assert "No section matches" in status and "never uses" in status
    links = tab.locator("#lb-search-status a")
    assert links.count() >= 2, "no way on from an empty result"
    context.close()


# ----------------------------------------------------------------- print

PRINT_JS = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number)
      .map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bg = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const ratio = (el) => {
    const a = lum(getComputedStyle(el).color), b = lum(bg(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const article = document.querySelector('article.bd-article');
  const width = article.getBoundingClientRect().right;
  const h1 = article.querySelector('h1');
  const texts = [...article.querySelectorAll('p, li, h1, h2, td, th')]
    .filter(e => e.offsetParent !== null).slice(0, 400);
  return {
    title: h1 && h1.offsetParent !== null ? h1.innerText : null,
    worst: Math.min(...texts.map(ratio)),
    wide: [...article.querySelectorAll('table, div.math svg')]
      .filter(e => e.getBoundingClientRect().right > width + 1)
      .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().width)),
  };
}
"""


@pytest.mark.parametrize("page", ["chapters/cross_entropy.html",
                                  "chapters/focal_loss.html"])
def test_print_from_dark_mode(page, server, browser):
    context, tab = open_page(browser, server, page, color_scheme="dark",
                             viewport={"width": 720, "height": 1000})
    tab.evaluate("localStorage.setItem('mode', 'dark'); "
                 "document.documentElement.dataset.theme = 'dark'")
    tab.emulate_media(media="print", color_scheme="dark")
    result = tab.evaluate(PRINT_JS)
    context.close()
    assert result["title"] and re.match(r"\d+\.\s", result["title"]), \
        f"printed title without its chapter number: {result['title']!r}"
    assert result["worst"] >= 4.5, \
        f"printed text contrast {result['worst']:.2f}:1"
    assert result["wide"] == [], f"wider than the printed page: {result}"


# ------------------------------------------------------------ first load

def test_first_load_on_slow_4g(loads):
    problems = []
    for page, r in loads.items():
        if "error" in r:
            problems.append(f"{page}: {r['error']}")
            continue
        if page in CHAPTERS and r["bytes"] > CHAPTER_BUDGET:
            problems.append(f"{page}: {r['bytes'] / 1024:.0f} kB on first "
                            f"load (budget {CHAPTER_BUDGET // 1024} kB)")
        if r["math"] is not None and r["math"] - r["paint"] > MATH_LAG_MS:
            problems.append(f"{page}: raw TeX shown "
                            f"{r['math'] - r['paint']:.0f} ms after the "
                            f"first paint")
    assert problems == [], "\n".join(problems)
