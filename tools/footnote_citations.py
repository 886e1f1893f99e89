"""Turn a chapter's citations into per-page footnote citations.

sphinxcontrib-bibtex lets a key appear in only one ``bibliography``
directive, and the book's bibliography page lists every work; so chapters
cite with ``{footcite}`` and end with ``{footbibliography}``. This script
rewrites ``{cite}``/``{cite:p}``/``{cite:t}`` roles and a filtered
``{bibliography}`` block in the given notebooks. Stored outputs are kept.

Usage: ``python tools/footnote_citations.py chapters/x.ipynb ...``
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROLE = re.compile(r"\{cite(:[pt])?\}")
BLOCK = re.compile(r":::\{bibliography\}\n(?::[^\n]*\n)*:::", re.M)


def convert(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        new = ROLE.sub(lambda m: "{footcite" + (m.group(1) or "") + "}",
                       cell.source)
        new = BLOCK.sub(":::{footbibliography}\n:::", new)
        if new != cell.source:
            cell.source = new
            changed += 1
    nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {convert(Path(arg))} cells changed")
