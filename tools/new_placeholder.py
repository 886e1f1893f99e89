"""Write a placeholder chapter: ``python tools/new_placeholder.py NAME TITLE``.

A placeholder holds the chapter's title, its label and one paragraph saying
the chapter is coming, so that the table of contents is complete from the
start and every slot already builds and runs under nbval.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def placeholder(name: str, title: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"({name.replace('_', '-')})=\n# {title}\n\n"
            "This chapter is coming. It will follow the chapter template "
            "described in {doc}`/reference/contributing`: why the loss "
            "exists, its definition from `lossbook.symbolic`, a derivation "
            "in SymPy, its behaviour, its numerics, an experiment, advice "
            "for practice, and exercises."
        ),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.replace('_', '-')}-{i}"
    return nb


if __name__ == "__main__":
    name, title = sys.argv[1], sys.argv[2]
    nbformat.write(placeholder(name, title),
                   ROOT / "chapters" / f"{name}.ipynb")
