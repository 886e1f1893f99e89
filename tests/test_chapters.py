"""House rules for the chapter notebooks, checked on their stored form.

nbval re-runs the notebooks; these tests check what nbval does not: that a
helper is defined in one notebook only, that every chapter carries its
label, exercises and references, and that stored outputs hold no errors,
object reprs or memory addresses.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).parents[1] / "chapters").glob("*.ipynb"))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _is_placeholder(path: Path) -> bool:
    return not any(c["cell_type"] == "code" for c in _cells(path))


WRITTEN = [p for p in CHAPTERS if not _is_placeholder(p)]


def test_there_are_chapters():
    assert len(CHAPTERS) == 10


def test_no_function_is_defined_in_two_notebooks():
    # reusable code belongs in lossbook; a notebook defines only what it
    # teaches (naive_... versions), and never the same thing twice
    where = defaultdict(set)
    for path in CHAPTERS:
        for cell in _cells(path):
            if cell["cell_type"] == "code":
                for name in re.findall(r"^\s*def (\w+)", _source(cell), re.M):
                    where[name].add(path.name)
    twice = {k: sorted(v) for k, v in where.items() if len(v) > 1}
    assert twice == {}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_title_carries_its_label(path):
    first = _source(_cells(path)[0])
    label = path.stem.replace("_", "-")
    assert first.startswith(f"({label})=\n# "), first[:80]


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_chapter_ends_with_summary_exercises_and_references(path):
    headings = [line for c in _cells(path) if c["cell_type"] == "markdown"
                for line in _source(c).splitlines() if line.startswith("## ")]
    titles = [h[3:].strip().lower() for h in headings]
    for wanted in ("summary", "exercises", "references"):
        assert any(t.startswith(wanted) for t in titles), (wanted, titles)
    text = "\n".join(_source(c) for c in _cells(path))
    assert "{footbibliography}" in text
    assert ":::{solution}" in text and ":class: dropdown" in text


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_stored_outputs_are_clean(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, f"cell {i} never ran"
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stored an error"
            text = "".join(out.get("text", "")) + "".join(
                out.get("data", {}).get("text/plain", ""))
            # a figure shown with plt.show() stores "<Figure size ...>" as
            # the text of its image; a returned object's repr is a mistake
            if out["output_type"] == "execute_result":
                assert not re.search(r"<matplotlib|<Figure|at 0x", text), \
                    f"cell {i} stored an object repr: {text[:80]}"
            assert not re.search(r"0x[0-9a-f]{8,}", text), \
                f"cell {i} stored a memory address: {text[:80]}"
            assert out.get("name") != "stderr", \
                f"cell {i} wrote to stderr: {text[:120]}"
