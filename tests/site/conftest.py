"""Fixtures for the browser checks of the built site.

The site in ``_build/html`` is served on 127.0.0.1 by a thread of this
process and opened in Debian's Chromium through Playwright. Any request to
another host is recorded and aborted, so a page that tries to load from
elsewhere fails its test instead of hanging on the closed network.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
STATS: list[tuple[str, int, float]] = []

# Chromium talks to Google's services at start-up unless told not to; the
# closed network refuses those connections and they would show as errors.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-dev-shm-usage",
]


def site_pages() -> list[str]:
    """Every HTML page of the site, as a path relative to its root."""
    if not (SITE / "index.html").exists():
        raise RuntimeError(f"no built site at {SITE}: run `make book` first")
    skip = ("_static", "_sources", "_images", "reports", "_sphinx_design")
    return sorted(
        str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
        if p.relative_to(SITE).parts[0] not in skip
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(
            "Chromium is missing: run `apt-get install chromium` (as root)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def pytest_terminal_summary(terminalreporter):
    if not STATS:
        return
    tr = terminalreporter
    tr.section("pages: bytes transferred and load time")
    tr.write_line(f"{'page':<48}{'kB':>9}{'ms':>8}")
    for page, size, ms in sorted(STATS):
        tr.write_line(f"{page:<48}{size / 1024:>9.0f}{ms:>8.0f}")
    total = sum(s for _, s, _ in STATS)
    tr.write_line(f"{'total':<48}{total / 1024:>9.0f}")
