"""Fixtures for the browser checks of the built site.

The site in ``_build/html`` is served on 127.0.0.1 by a thread of this
process and opened in Debian's Chromium through Playwright. Text files go
out gzip-compressed when the browser asks for it, as any static host does,
so the bytes counted are the bytes a reader downloads. Any request to
another host is recorded and aborted, so a page that tries to load from
elsewhere fails its test instead of hanging on the closed network.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
# page -> (bytes on the wire, requests, first paint ms, math ready ms)
STATS: dict[str, tuple[int, int, float, float | None]] = {}

sys.path.insert(0, str(ROOT / "_ext"))

# Chromium talks to Google's services at start-up unless told not to; the
# closed network refuses those connections and they would show as errors.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-dev-shm-usage",
]

COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".txt", ".ipynb",
                ".map", ".inv")


def site_pages() -> list[str]:
    """Every HTML page of the site, as a path relative to its root."""
    if not (SITE / "index.html").exists():
        raise RuntimeError(f"no built site at {SITE}: run `make book` first")
    skip = ("_static", "_sources", "_images", "reports", "_sphinx_design",
            "_downloads")
    return sorted(
        str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
        if p.relative_to(SITE).parts[0] not in skip
    )


@functools.lru_cache(maxsize=512)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that compresses text, like a real host."""

    def log_message(self, format, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if (not wants_gzip or not path.endswith(COMPRESSIBLE)
                or not os.path.isfile(path)):
            return super().send_head()
        body = _gzipped(path, os.path.getmtime(path))
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return io.BytesIO(body)


class ReaderEnvironment:
    """A fresh venv with only the site's lossbook wheel and a runner.

    Created in the background as soon as the session starts; ``wait``
    returns its Python once the install has finished.
    """

    def __init__(self):
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        wheels = sorted((SITE / "_downloads").glob("lossbook-*.whl"))
        if not wheels:
            return
        self.folder = Path(tempfile.mkdtemp(prefix="lossbook-reader-"))
        venv = self.folder / "venv"
        python = venv / "bin" / "python"
        script = (
            f"{sys.executable} -m venv {venv} && "
            f"{python} -m pip install --quiet --disable-pip-version-check "
            f"-c {ROOT / 'requirements' / 'lock.txt'} "
            f"{wheels[-1]} nbclient ipykernel")
        self.log = open(self.folder / "install.log", "w")
        self.process = subprocess.Popen(
            ["bash", "-c", script], stdout=self.log, stderr=subprocess.STDOUT,
            env=self.environment(self.folder))

    def environment(self, folder: Path) -> dict:
        # no user-level Jupyter kernels or settings may leak in
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV"))}
        env["JUPYTER_DATA_DIR"] = str(folder / "jupyter-data")
        env["JUPYTER_CONFIG_DIR"] = str(folder / "jupyter-config")
        env["IPYTHONDIR"] = str(folder / "ipython")
        return env

    def wait(self) -> Path:
        if self.process is None:
            raise RuntimeError("no lossbook wheel in _build/html/_downloads")
        code = self.process.wait(timeout=900)
        self.log.close()
        if code != 0:
            raise RuntimeError("installing the wheel failed:\n"
                               + (self.folder / "install.log").read_text())
        return self.folder / "venv" / "bin" / "python"

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


reader_env = ReaderEnvironment()


def pytest_sessionstart(session):
    wanted = any("test_download_runs" in str(a) or a.rstrip("/").endswith(
        "site") for a in session.config.args)
    if wanted:
        reader_env.start()


def pytest_sessionfinish(session, exitstatus):
    reader_env.remove()


@pytest.fixture(scope="session")
def server():
    handler = functools.partial(_SiteHandler, directory=str(SITE))
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


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, from the npm package the build installed."""
    from node_tools import ensure_node_packages

    folder = ensure_node_packages()
    return (folder / "node_modules" / "axe-core" / "axe.min.js").read_text(
        encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    if not STATS:
        return
    tr = terminalreporter
    tr.section("first load of each page (slow-4G emulation, cold cache)")
    tr.write_line(f"{'page':<40}{'kB':>7}{'requests':>10}"
                  f"{'paint ms':>10}{'math ms':>9}")
    for page, (size, count, paint, math) in sorted(STATS.items()):
        math_text = "-" if math is None else f"{math:.0f}"
        tr.write_line(f"{page:<40}{size / 1024:>7.0f}{count:>10}"
                      f"{paint:>10.0f}{math_text:>9}")
    total = sum(s for s, *_ in STATS.values())
    tr.write_line(f"{'total':<40}{total / 1024:>7.0f}")
