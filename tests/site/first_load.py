"""What a reader's first visit to each page costs on a slow connection.

Each page is opened on a phone (390 × 844) in a fresh browser context
(empty cache) with Chromium's network emulation set to DevTools' "Slow
4G" profile. For each page this records the bytes on the wire (compressed
bodies and headers), the number of requests, the first contentful paint,
the moment every math element on the page is rendered (``None`` on a page
without math), and, once everything has loaded, how wide the document is
and which elements stick out of the screen (the sideways-scrolling check
reads these, so each page is loaded once for both).

``test_reader.py`` asserts budgets on these figures; run this file directly
(``python tests/site/first_load.py``) to print them for the built site.
"""

from __future__ import annotations

import asyncio
import threading

# DevTools' "Slow 4G" preset (formerly "Fast 3G"): 1.6 Mbit/s down and
# 750 kbit/s up, each times 0.9, and 150 ms round trip times 3.75
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.6e6 * 0.9 / 8,
    "uploadThroughput": 750e3 * 0.9 / 8,
}

# pages measured at once: each mostly waits on its throttled connection
CONCURRENCY = 4

# Runs before any script of the page. At every frame it notes whether some
# math element shows TeX source (delimiters or commands) rather than
# rendered math (an <svg> or MathJax's <mjx-container>), until the page
# has loaded and no such element is left. The last frame with raw TeX,
# against the first contentful paint, is how long a reader looks at TeX.
MATH_PROBE = r"""
(() => {
  const state = {count: 0, lastRaw: null, done: false};
  window.__lbMath = state;
  const RAW = '.math:not(:has(svg, mjx-container))';
  // an element the parser has opened but not yet filled is not raw TeX
  const TEX = /\\[(\[]|\\begin|\\frac|\$/;
  const tick = () => {
    const raw = Array.from(document.querySelectorAll(RAW))
      .filter((e) => TEX.test(e.textContent)).length;
    if (raw) state.lastRaw = performance.now();
    if (document.readyState === 'complete' && !raw) {
      state.count = document.querySelectorAll('.math').length;
      state.done = true;
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

RESULT_JS = """
() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const paint = fcp ? fcp.startTime : null;
  const m = window.__lbMath;
  return {paint, count: m.count,
          math: m.count ? Math.max(paint, m.lastRaw || 0) : null};
}
"""

# The document's width, and up to five elements past the screen's right
# edge outside the boxes that scroll on their own (code, formulas, outputs)
WIDTH_JS = """
() => ({
  width: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('article.bd-article *')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && !e.closest(
        '.lb-scroll, div.math, pre, .highlight, .cell_output');
    }).slice(0, 5).map(e => e.tagName + '.' + e.className + ': '
      + e.textContent.slice(0, 40)),
})
"""


async def _measure_page(browser, url: str, timeout_ms: float) -> dict:
    from conftest import PHONE

    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    wire: dict[str, float] = {}
    cdp.on("Network.loadingFinished",
           lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    await page.add_init_script(MATH_PROBE)
    await page.goto(url, wait_until="load", timeout=timeout_ms)
    await page.wait_for_function(
        "() => window.__lbMath.done",
        timeout=timeout_ms)
    # late requests (fonts, images below the fold) still count as part
    # of the first load
    await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    result = await page.evaluate(RESULT_JS)
    layout = await page.evaluate(WIDTH_JS)
    await context.close()
    return {"bytes": int(sum(wire.values())), "requests": len(wire),
            "paint": result["paint"], "math": result["math"],
            "math_count": result["count"], **layout}


async def _measure_all(base_url: str, pages: list[str], concurrency: int,
                       timeout_ms: float, executable: str,
                       args: list[str]) -> dict[str, dict]:
    from playwright.async_api import async_playwright

    results: dict[str, dict] = {}
    gate = asyncio.Semaphore(concurrency)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=executable, headless=True, args=args)

        async def one(page: str) -> None:
            async with gate:
                try:
                    results[page] = await _measure_page(
                        browser, f"{base_url}/{page}", timeout_ms)
                except Exception as exc:
                    results[page] = {"error": f"{type(exc).__name__}: {exc}"}

        await asyncio.gather(*(one(p) for p in pages))
        await browser.close()
    return results


def measure(base_url: str, pages: list[str], *,
            concurrency: int = CONCURRENCY,
            timeout_ms: float = 90_000) -> dict[str, dict]:
    """First-load figures of ``pages`` (paths under ``base_url``)."""
    from conftest import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API (the other browser checks) keeps an event loop
    # running in this thread, so the async measurement gets its own thread
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["results"] = asyncio.run(_measure_all(
                base_url, pages, concurrency, timeout_ms, str(CHROMIUM),
                CHROMIUM_ARGS))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="first-load")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def table(results: dict[str, dict]) -> str:
    """The figures as a text table, one page a line."""
    lines = [f"{'page':<40}{'kB':>7}{'requests':>10}{'paint ms':>10}"
             f"{'math ms':>9}{'math - paint':>14}"]
    for page, r in sorted(results.items()):
        if "error" in r:
            lines.append(f"{page:<40}{r['error'][:80]}")
            continue
        math = "-" if r["math"] is None else f"{r['math']:.0f}"
        lag = ("-" if r["math"] is None
               else f"{max(0.0, r['math'] - r['paint']):.0f}")
        lines.append(f"{page:<40}{r['bytes'] / 1024:>7.0f}"
                     f"{r['requests']:>10}{r['paint']:>10.0f}{math:>9}"
                     f"{lag:>14}")
    total = sum(r["bytes"] for r in results.values() if "error" not in r)
    lines.append(f"{'total':<40}{total / 1024:>7.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import serve_site, site_pages

    httpd, base = serve_site()
    pages = sys.argv[1:] or site_pages()
    workers = int(os.environ.get("CONCURRENCY", CONCURRENCY))
    print(table(measure(base, pages, concurrency=workers)))
    httpd.shutdown()
