"""Execute outdated chapters into the jupyter-cache, two at a time.

Jupyter Book executes notebooks one after another while it reads them. On
a machine with several cores the same work finishes sooner when the
notebooks that have no up-to-date cache record are executed in parallel
first, with MyST-NB's own execution function, and stored in the cache that
the build then reads (``execute.cache`` in ``_config.yml``). A notebook
that fails here is simply left uncached: the build executes it again and
reports the error with its traceback, as it would without this step.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
TIMEOUT = 120  # seconds per cell, as ``execute.timeout`` in _config.yml


def _execute(path: Path) -> tuple[Path, nbformat.NotebookNode | None, float]:
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=TIMEOUT,
                                 allow_errors=False, meta_override=True)
    return path, (None if result.err else nb), result.time


def main(argv: list[str]) -> int:
    workers = int(argv[0]) if argv else min(2, os.cpu_count() or 1)
    cache = get_cache(str(CACHE))
    outdated = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not any(c.cell_type == "code" for c in nb.cells):
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            outdated.append(path)
    if not outdated:
        print("jupyter-cache: every chapter is up to date", flush=True)
        return 0
    print(f"jupyter-cache: executing {len(outdated)} chapter(s) on "
          f"{workers} worker(s)", flush=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for path, nb, seconds in pool.map(_execute, outdated):
            if nb is None:
                print(f"  {path.name}: failed, left to the build", flush=True)
                continue
            record = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, record.uri,
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            print(f"  {path.name}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
