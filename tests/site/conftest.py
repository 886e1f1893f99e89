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
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")

sys.path.insert(0, str(ROOT / "_ext"))

# Chromium talks to Google's services at start-up unless told not to; the
# closed network refuses those connections and they would show as errors.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-dev-shm-usage",
]

# a phone: the 390 px checks and the slow-4G first load use it
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
         "has_touch": True, "device_scale_factor": 2}

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

    Created in the background as soon as the session starts, by the one
    process that starts the session (the pytest-xdist controller, or pytest
    itself without workers). The install leaves its exit code in a file, so
    ``wait`` in any worker returns the venv's Python once it has finished.
    """

    VARIABLE = "LOSSBOOK_READER_ENV"  # the folder, handed to the workers

    def __init__(self):
        self.process: subprocess.Popen | None = None

    @property
    def folder(self) -> Path | None:
        value = os.environ.get(self.VARIABLE)
        return Path(value) if value else None

    def start(self) -> None:
        wheels = sorted((SITE / "_downloads").glob("lossbook-*.whl"))
        if not wheels:
            return
        folder = Path(tempfile.mkdtemp(prefix="lossbook-reader-"))
        os.environ[self.VARIABLE] = str(folder)
        venv = folder / "venv"
        python = venv / "bin" / "python"
        script = (
            f"{sys.executable} -m venv {venv} && "
            f"{python} -m pip install --quiet --disable-pip-version-check "
            f"-c {ROOT / 'requirements' / 'lock.txt'} "
            f"{wheels[-1]} nbclient ipykernel; "
            f"echo $? > {folder / 'exit-code'}")
        with open(folder / "install.log", "w") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT,
                env=self.environment(folder))

    def environment(self, folder: Path) -> dict:
        # no user-level Jupyter kernels or settings may leak in
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV"))}
        env["JUPYTER_DATA_DIR"] = str(folder / "jupyter-data")
        env["JUPYTER_CONFIG_DIR"] = str(folder / "jupyter-config")
        env["IPYTHONDIR"] = str(folder / "ipython")
        return env

    def wait(self, timeout: float = 900) -> Path:
        folder = self.folder
        if folder is None:
            raise RuntimeError("no lossbook wheel in _build/html/_downloads")
        done = folder / "exit-code"
        deadline = time.monotonic() + timeout
        while not done.exists() or not done.read_text().strip():
            if time.monotonic() > deadline:
                raise RuntimeError(f"installing the wheel took over "
                                   f"{timeout:.0f} s")
            time.sleep(0.5)
        if done.read_text().strip() != "0":
            raise RuntimeError("installing the wheel failed:\n"
                               + (folder / "install.log").read_text())
        return folder / "venv" / "bin" / "python"

    def remove(self) -> None:
        if self.process is None:
            return  # a worker: the controller owns the folder
        if self.process.poll() is None:
            self.process.kill()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


reader_env = ReaderEnvironment()


def serve_site() -> tuple[http.server.ThreadingHTTPServer, str]:
    """The built site on a free port of 127.0.0.1, and its address."""
    handler = functools.partial(_SiteHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


class FirstLoads:
    """Every page's slow-4G first load on a phone, measured once a run.

    The measurement (``first_load.measure``) is mostly waiting on the
    throttled network, so the process that starts the session runs it in
    a thread of its own from the start, alongside the other checks; the
    tests that read it (first-load budgets, 390 px width) wait for its
    file, in whichever worker they run.
    """

    VARIABLE = "LOSSBOOK_FIRST_LOAD"  # the result file, handed to workers

    def __init__(self):
        self.results: dict[str, dict] | None = None

    def start(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="lossbook-first-load-"))
        os.environ[self.VARIABLE] = str(folder / "results.json")
        threading.Thread(target=self._run, args=(folder,), name="first-load",
                         daemon=True).start()

    def _run(self, folder: Path) -> None:
        from first_load import measure

        httpd, base = serve_site()
        try:
            results = measure(base, site_pages())
        except BaseException as exc:  # each page's test shows it
            error = {"error": f"{type(exc).__name__}: {exc}"}
            results = {page: error for page in site_pages()}
        finally:
            httpd.shutdown()
        self.results = results
        partial = folder / "results.part"
        partial.write_text(json.dumps(results))
        partial.rename(folder / "results.json")  # readers never see half

    def wait(self, server: str, timeout: float = 900) -> dict[str, dict]:
        value = os.environ.get(self.VARIABLE)
        if value is None:  # not started: a run of single tests
            from first_load import measure

            return measure(server, site_pages())
        path, deadline = Path(value), time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the first-load measurement took over "
                                   f"{timeout:.0f} s")
            time.sleep(0.5)
        return json.loads(path.read_text())

    def remove(self) -> None:
        value = os.environ.get(self.VARIABLE)
        if self.results is not None and value:
            shutil.rmtree(Path(value).parent, ignore_errors=True)


first_loads = FirstLoads()


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):
        return  # the controller has started both before the workers
    args = [str(a).rstrip("/") for a in session.config.args]
    if any(a.endswith("site") or "test_download_runs" in a for a in args):
        reader_env.start()
    if any(a.endswith("site") or "test_reader" in a for a in args):
        first_loads.start()


def pytest_sessionfinish(session, exitstatus):
    reader_env.remove()
    first_loads.remove()


@pytest.fixture(scope="session")
def server():
    httpd, base = serve_site()
    yield base
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
    if first_loads.results:
        from first_load import table

        terminalreporter.section("first load of each page (slow-4G "
                                 "emulation, phone, cold cache)")
        for line in table(first_loads.results).splitlines():
            terminalreporter.write_line(line)
