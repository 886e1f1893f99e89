"""Build the HTML site strictly and say where it is (``make book``).

Warnings are errors (``-W``), unresolved references are reported
(``-n``), and a notebook that raises stops the build. Extra arguments go
to ``jupyter-book build``; ``make test`` passes ``--all`` so that every
page is read again and no warning hides in Sphinx's incremental build.

By default chapters are executed through the jupyter-cache: those whose
cache record is out of date run two at a time first
(``tools/warm_cache.py``). ``--stored-outputs`` renders the outputs stored
in the notebooks instead and executes nothing; ``make test`` builds that
way because its nbval step has just re-executed every chapter and shown
that the stored outputs are what the code produces, so executing them a
second time would prove nothing new. The wall time is printed so that
clean and cached builds can be compared.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
STORED_CONFIG = ROOT / "_build" / "config-stored-outputs.yml"


def stored_outputs_config() -> Path:
    """Write ``_config.yml`` with notebook execution off; return its path.

    Jupyter Book resolves ``local_extensions`` against the folder of the
    configuration file, so those paths are made absolute; every other path
    in it is relative to the book's root, which does not change.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    local = config["sphinx"]["local_extensions"]
    for name, path in local.items():
        local[name] = str((ROOT / path).resolve())
    STORED_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    STORED_CONFIG.write_text(yaml.safe_dump(config, sort_keys=False),
                             "utf-8")
    return STORED_CONFIG


def main(argv: list[str]) -> int:
    stored = "--stored-outputs" in argv
    extra = [a for a in argv if a != "--stored-outputs"]
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(ROOT), "--builder", "html",
           "--warningiserror", "--nitpick", "--keep-going", *extra]
    start = time.perf_counter()
    if stored:
        cmd += ["--config", str(stored_outputs_config())]
    else:
        # execute outdated chapters in parallel first; the build then reads
        # them from the cache (a failure is left to the build to report)
        warm = ROOT / "tools" / "warm_cache.py"
        subprocess.call([sys.executable, str(warm)], cwd=ROOT)
    status = subprocess.call(cmd, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if status != 0:
        print(f"book build FAILED after {elapsed:.1f} s; notebook logs are "
              f"in {SITE / 'reports'}", flush=True)
        return status
    how = "stored outputs" if stored else "chapters executed through the cache"
    print(f"book built in {elapsed:.1f} s ({how})", flush=True)
    print(f"site: {SITE / 'index.html'}", flush=True)
    print(f"view: python -m http.server --bind 127.0.0.1 -d "
          f"{SITE.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
