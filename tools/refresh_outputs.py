"""Re-execute chapter notebooks and store their outputs (``make outputs``).

Usage: ``python tools/refresh_outputs.py [chapters/name.ipynb ...]``
(no argument: every notebook in ``chapters/``). Each notebook runs top to
bottom in a fresh kernel with the chapter folder as working directory; the
stored outputs are what nbval later compares, so cell timings and other
run-specific metadata are dropped.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(
        (ROOT / "chapters").glob("*.ipynb")
    )
    for path in paths:
        print(f"{path.name:<32} {refresh(path):6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
