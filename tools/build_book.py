"""Build the HTML site strictly and say where it is (``make book``).

Warnings are errors (``-W``), unresolved references are reported
(``-n``), and a notebook that raises stops the build. Extra arguments go
to ``jupyter-book build``; ``make test`` passes ``--all`` so that every
page is read again and no warning hides in Sphinx's incremental build.
Chapters whose cache record is out of date are executed two at a time
first (``tools/warm_cache.py``). The wall time is printed so that clean
and cached builds can be compared.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"


def main() -> int:
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(ROOT), "--builder", "html",
           "--warningiserror", "--nitpick", "--keep-going",
           *sys.argv[1:]]
    start = time.perf_counter()
    # execute outdated chapters in parallel first; the build then reads
    # them from the cache (a failure is left to the build to report)
    subprocess.call([sys.executable, str(ROOT / "tools" / "warm_cache.py")],
                    cwd=ROOT)
    status = subprocess.call(cmd, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if status != 0:
        print(f"book build FAILED after {elapsed:.1f} s; notebook logs are "
              f"in {SITE / 'reports'}", flush=True)
        return status
    print(f"book built in {elapsed:.1f} s", flush=True)
    print(f"site: {SITE / 'index.html'}", flush=True)
    print(f"view: python -m http.server -d {SITE.relative_to(ROOT)}",
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
