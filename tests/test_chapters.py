"""House rules for the chapter notebooks, checked on their stored form.

nbval re-runs the notebooks; these tests check what nbval does not, on
every chapter in ``chapters/`` and ``_toc.yml`` (however many there are):
that the two agree, that each notebook is valid and carries its label,
that a helper is defined in one notebook only, that stored outputs hold no
errors, object reprs or memory addresses, and the rules of
``reference/contributing.md``: the sections of the chapter template in
order, prose before every code cell, code cells of at most 15 lines and
every number in prose glued. The last test follows the contributor's
steps in a copy of the project: add a placeholder chapter, then run these
checks on it.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _toc_files(root: Path) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml``, in order."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")))
    return found


TOC = _toc_files(ROOT)
CHAPTERS = sorted(
    set((ROOT / "chapters").glob("*.ipynb"))
    | {ROOT / f"{f}.ipynb" for f in TOC if f.startswith("chapters/")
       and (ROOT / f"{f}.ipynb").exists()})

# Chapters that are guides rather than the treatment of one loss: they keep
# the frame of the template (why, in practice, summary, exercises,
# references) but need not have its middle sections.
GUIDES = {"choosing_a_loss", "custom_losses"}

# The chapter template of reference/contributing.md: each level-2 heading
# is matched to a section by how its title starts (case is ignored).
TEMPLATE = ("why", "definition", "derivation", "behaviour", "numerics",
            "experiment", "in practice", "summary", "exercises",
            "references")
FRAME = ("why", "in practice", "summary", "exercises", "references")
MAX_CODE_LINES = 15
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell"}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _is_placeholder(path: Path) -> bool:
    return not any(c["cell_type"] == "code" for c in _cells(path))


WRITTEN = [p for p in CHAPTERS if not _is_placeholder(p)]
ids = {"ids": lambda p: p.stem}


# -- prose: what is a heading, what is a number ---------------------------

FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
ROLE = re.compile(r"\{([\w:.-]+)\}`[^`]*`")
CODE = re.compile(r"``.+?``|`[^`]+?`", re.S)
MATH = re.compile(r"\$\$.*?\$\$|(?<![\\$])\$(?=\S)(?:[^$\\]|\\.)+?(?<=\S)\$"
                  r"|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<https?://[^>\s]*>|https?://\S+")
HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^>\n]*>", re.S)
# lines that carry no prose: headings, labels, directive fences and options
MARKUP_LINE = re.compile(
    r"^[ \t]*(#{1,6}[ \t].*|\([\w-]+\)=[ \t]*|:[\w-]+:.*|:{3,}.*|`{3,}.*)$",
    re.M)
LIST_MARKER = re.compile(r"^([ \t]*)\d+[.)](?=[ \t]|$)", re.M)
# a sentence, list item or table cell: the unit one citation covers
SEGMENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(*\[])|\n\s*\n|\|"
                     r"|\n(?=[ \t]*(?:[-*+]|\d+[.)])[ \t])")
CITED = "\x00cite\x00"
# digits that name something rather than state a quantity
YEAR = re.compile(r"(?:et al\.?,?[ \t\n]*\(?|\(|\b(?:January|February|March|"
                  r"April|May|June|July|August|September|October|November|"
                  r"December|since|in|of)[ \t\n]+)(?:1[89]|20)\d\d\b")
ISSUE = re.compile(r"#\d+")
VERSION = re.compile(
    r"\b(?:Python|PyTorch|torch|torchvision|Keras|TensorFlow|JAX|NumPy|"
    r"SymPy|SciPy|SMP|MMDetection|MONAI|Jupyter Book|Sphinx|CUDA|cuDNN|"
    r"version|v)[ \t]*(?:[≥≤<>=]=?[ \t]*)?\d+(?:\.\d+)*\+?", re.I)
DOTTED = re.compile(r"\b\d+(?:\.\d+){2,}\b")
POINTER = re.compile(
    r"\b(?:eqs?|equations?|steps?|exercises?|chapters?|ch|sections?|§|"
    r"figures?|fig|tables?|rows?|columns?|lines?|pages?|pp?)\.?[ \t\n]*"
    r"\d+(?:[ \t\n]*(?:,|and|or|–|-|to)[ \t\n]*\d+)*\b", re.I)
NUMBER = re.compile(r"(?<![\w.\\/#])(?<![A-Za-z]-)[−-]?\d{1,3}"
                    r"(?:[,\u2009\u202f\u00a0 ]\d{3}(?!\d))*\d*(?:\.\d+)?"
                    r"(?:e[−-]?\d+)?(?![\w])", re.I)
UNGLUED_OK = {"0", "1"}
INTEGER = re.compile(r"[−-]?\d{1,3}(,\d{3})*|[−-]?\d+")


def _without_code_blocks(md: str) -> str:
    return FENCE.sub("\n", md)


def _without_exercises(md: str) -> str:
    """Drop the bodies of ``{exercise}`` blocks: a problem's givens are
    posed to the reader, not claimed by the chapter."""
    out, skip = [], None
    for line in md.splitlines():
        opener = re.match(r"^(:{3,})\{exercise\}", line)
        if skip is None and opener:
            skip = opener.group(1)
            continue
        if skip is not None:
            if line.strip() == skip:
                skip = None
            continue
        out.append(line)
    return "\n".join(out)


def level2_headings(path: Path) -> list[tuple[int, str]]:
    """(cell index, title) of every ``## `` heading outside code blocks."""
    return [(i, line[3:].strip())
            for i, c in enumerate(_cells(path)) if c["cell_type"] == "markdown"
            for line in _without_code_blocks(_source(c)).splitlines()
            if line.startswith("## ")]


def template_section(title: str) -> str | None:
    low = title.lower()
    return next((s for s in TEMPLATE if low.startswith(s)), None)


def has_prose(md: str) -> bool:
    """True when a markdown cell holds text besides headings and markup."""
    text = MARKUP_LINE.sub("", _without_code_blocks(md))
    return bool(re.search(r"[A-Za-z]{2,}", text))


def prose_numbers(md: str) -> list[tuple[str, str]]:
    """The numbers a markdown cell states in its prose, with context.

    A number is a run of digits (with thousands commas, a decimal part,
    an exponent) that stands alone as a word. Not counted: anything in
    math, inline code or code blocks, inside a MyST role (``{glue:text}``,
    ``{footcite}``, ``{ref}``, ...), link targets, HTML, headings, labels,
    directive lines, numbered-list markers and ``{exercise}`` bodies;
    digits inside a word or name (float32, log1p, ResNet-101, 3D); years
    of citations and dates; issue and PR numbers (#123); versions (x.y.z,
    or after a library name); whole numbers, which state settings, sizes
    and counts (a percentage still counts); and numbers quoted in a
    sentence that cites its source with ``{footcite}``.
    """
    text = _without_exercises(_without_code_blocks(md))
    text = ROLE.sub(lambda m: CITED if m.group(1).startswith("footcite")
                    else " ", text)
    for pattern in (CODE, MATH, LINK_TARGET, HTML, MARKUP_LINE):
        text = pattern.sub(" ", text)
    found = []
    for segment in SEGMENT.split(text):
        if CITED in segment:
            continue
        segment = LIST_MARKER.sub(r"\1", segment.strip("\n"))
        for pattern in (YEAR, ISSUE, VERSION, DOTTED, POINTER):
            segment = pattern.sub(" ", segment)
        for m in NUMBER.finditer(segment):
            value = m.group()
            if value.lstrip("−-") in UNGLUED_OK:
                continue
            # a whole number is a setting, a size or a count (a batch of
            # 64, 1000 samples, 28 x 28 masks); a measured result has a
            # decimal part or is a percentage
            after = segment[m.end():m.end() + 2].lstrip()
            if INTEGER.fullmatch(value) and not after.startswith("%"):
                continue
            context = segment[max(0, m.start() - 25):m.end() + 15]
            found.append((value, " ".join(context.split())))
    return found


def _report(problems: list[str]) -> str:
    return "\n".join(problems)


# -- the chapters as a set -----------------------------------------------

def test_chapters_and_toc_agree():
    # a chapter missing from the TOC builds as an orphan; an entry without
    # a file breaks the build
    listed = {f for f in TOC if f.startswith("chapters/")}
    on_disk = {f"chapters/{p.stem}" for p in (ROOT / "chapters").glob(
        "*.ipynb")}
    assert on_disk - listed == set(), "chapters missing from _toc.yml"
    assert listed - on_disk == set(), "_toc.yml lists missing chapters"
    assert CHAPTERS, "no chapters found"
    for f in TOC:
        assert any((ROOT / f"{f}{ext}").exists()
                   for ext in (".ipynb", ".md")), f


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


# -- every chapter, placeholders included ----------------------------------

@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_notebook_is_valid(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_title_carries_its_label(path):
    first = _source(_cells(path)[0])
    label = path.stem.replace("_", "-")
    assert first.startswith(f"({label})=\n# "), first[:80]


@pytest.mark.parametrize("path", CHAPTERS, **ids)
def test_every_number_in_prose_is_glued(path):
    # a number typed into a sentence goes stale when the code changes;
    # {glue:text} keeps it the number the cell computed
    problems = [f"cell {i}: {value!r} in '{context}'"
                for i, c in enumerate(_cells(path))
                if c["cell_type"] == "markdown"
                for value, context in prose_numbers(_source(c))]
    assert not problems, (f"{len(problems)} numbers typed in prose:\n"
                          + _report(problems))


# -- written chapters ------------------------------------------------------

def section_problems(headings: list[tuple[int, str]], *,
                     guide: bool) -> list[str]:
    """What breaks the chapter template in a list of (cell, ## title)."""
    sections = [(i, t, template_section(t)) for i, t in headings]
    problems = []
    if not sections or sections[0][2] != "why":
        problems.append(f"the first section is not 'Why ...': "
                        f"{[t for _, t, _ in sections[:1]]}")
    named = [(i, t, s) for i, t, s in sections if s]
    seen = [s for _, _, s in named]
    for s in sorted(set(seen)):
        if seen.count(s) > 1:
            problems.append(f"section {s!r} appears {seen.count(s)} times")
    for (i, t, s), (j, u, r) in itertools.pairwise(named):
        if TEMPLATE.index(r) < TEMPLATE.index(s):
            problems.append(f"cell {j}: '{u}' comes after '{t}' "
                            f"(cell {i}); the template puts {r!r} first")
    missing = [s for s in (FRAME if guide else TEMPLATE) if s not in seen]
    if missing:
        problems.append(f"missing sections: {missing}")
    tail = [s for _, _, s in sections[-4:]]
    if tail != ["in practice", "summary", "exercises", "references"]:
        problems.append(f"the last four sections are not In practice, "
                        f"Summary, Exercises, References: "
                        f"{[t for _, t, _ in sections[-4:]]}")
    return problems


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_sections_follow_the_template(path):
    problems = section_problems(level2_headings(path),
                                guide=path.stem in GUIDES)
    assert not problems, _report(problems)


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_chapter_has_exercises_with_hidden_solutions_and_references(path):
    text = "\n".join(_source(c) for c in _cells(path))
    assert "{footbibliography}" in text
    assert ":::{exercise}" in text
    solutions = re.findall(r"^:::\{solution\}.*\n((?::\w+:.*\n)*)", text,
                           re.M)
    assert solutions, "no {solution} block"
    assert all(":class: dropdown" in opts for opts in solutions), \
        "every solution is hidden behind a dropdown"


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_prose_comes_before_every_code_cell(path):
    # the reader is told what a cell does before seeing it; cells whose
    # input is hidden (glue, table formatting) need no introduction
    cells = _cells(path)
    problems = []
    for i, cell in enumerate(cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & HIDDEN_TAGS:
            continue
        j = i - 1
        while j >= 0 and cells[j]["cell_type"] == "code" and set(
                cells[j].get("metadata", {}).get("tags", [])) & HIDDEN_TAGS:
            j -= 1
        if j < 0 or cells[j]["cell_type"] != "markdown":
            problems.append(f"cell {i}: follows code cell {j}, not prose")
        elif not has_prose(_source(cells[j])):
            problems.append(f"cell {i}: cell {j} before it has no prose")
    assert not problems, _report(problems)


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_code_cells_are_short(path):
    problems = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        n = sum(1 for line in _source(cell).splitlines() if line.strip())
        if n > MAX_CODE_LINES:
            problems.append(f"cell {i}: {n} lines")
    assert not problems, (f"code cells over {MAX_CODE_LINES} non-blank "
                          "lines:\n" + _report(problems))


NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?([\w-]+)>?`")
IMPORT = re.compile(r"^\s*(?:import\s|from\s+\S+\s+import\s)", re.M)


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_imports_are_in_the_first_code_cell(path):
    code = [(i, _source(c)) for i, c in enumerate(_cells(path))
            if c["cell_type"] == "code"]
    late = [i for i, src in code[1:] if IMPORT.search(src)]
    assert late == [], f"cells importing after the first code cell: {late}"
    # a downloaded chapter runs with lossbook and Jupyter alone
    assert "myst_nb" not in code[0][1], \
        "import glue from lossbook.notebook, not from myst_nb"


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_figures_have_caption_name_and_alt_text(path):
    cells = _cells(path)
    prose = "\n".join(_source(c) for c in cells
                      if c["cell_type"] == "markdown")
    numrefs = set(NUMREF.findall(prose))
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not any(
                "image/png" in out.get("data", {}) for out in cell["outputs"]):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        missing = [k for k, v in (("caption", figure.get("caption")),
                                  ("name", figure.get("name")),
                                  ("alt text", image.get("alt"))) if not v]
        if missing:
            problems.append(f"cell {i}: figure without {', '.join(missing)}")
        elif figure["name"] not in numrefs:
            problems.append(f"cell {i}: no {{numref}}`{figure['name']}` "
                            "in the prose")
    assert not problems, _report(problems)


@pytest.mark.parametrize("path", WRITTEN, **ids)
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


@pytest.mark.parametrize("path", WRITTEN, **ids)
def test_unchecked_outputs_are_bounded_by_an_assertion(path):
    # nbval does not compare the outputs of a cell tagged
    # nbval-ignore-output (an ulp count whose last digits depend on the
    # processor); such a cell must check its result itself
    for i, cell in enumerate(_cells(path)):
        tags = cell.get("metadata", {}).get("tags", [])
        if "nbval-ignore-output" in tags:
            assert re.search(r"^\s*assert\s", _source(cell), re.M), \
                f"cell {i} is not compared by nbval and asserts nothing"


# -- the rules themselves --------------------------------------------------

def test_number_rule_counts_what_it_should():
    md = ("(x)=\n## Step 2 of 2017\n\nWe train on 300 boxes for 2.5 s, "
          "see {glue:text}`n_boxes`, $\\gamma = 2$, `alpha=0.25`, "
          "float32, log1p, PyTorch 2.14.1 and pytorch#73205.\n"
          "Lin et al. 2017 report 39.1 AP {footcite}`lin2017focal`.\n"
          "Labels are 0 or 1; 40 % are positive; $p = 0.9$.\n\n1. first\n")
    assert [v for v, _ in prose_numbers(md)] == ["2.5", "40"]


def test_figure_references_are_read():
    prose = "See {numref}`fig-a` and {numref}`Figure %s <fig-b>`."
    found = set(NUMREF.findall(prose))
    assert found == {"fig-a", "fig-b"}


def test_template_rule_reads_headings():
    full = list(enumerate(["Why this loss", "Definition", "Derivation in "
                           "SymPy", "Behaviour", "Numerics", "Experiment: "
                           "boxes", "In practice", "Summary", "Exercises",
                           "References"]))
    assert section_problems(full, guide=False) == []
    swapped = [full[0], full[4], full[3], *full[5:]]
    problems = section_problems(swapped, guide=False)
    assert any("'Behaviour' comes after 'Numerics'" in p for p in problems)
    assert any("'definition'" in p for p in problems)  # missing
    guide = [full[0], (1, "The decision table"), *full[6:]]
    assert section_problems(guide, guide=True) == []
    assert section_problems(guide[1:], guide=True)  # no Why first
    assert template_section("Experiment: regressing boxes") == "experiment"
    assert template_section("In practice") == "in practice"
    assert template_section("The decision table") is None
    assert not has_prose("(x)=\n## Summary\n")
    assert has_prose("(x)=\n## Summary\n\nThe loss is small.")


def test_contributor_path(tmp_path):
    """reference/contributing.md, followed in a copy of the project:
    add a placeholder with any Python, then the chapter checks pass."""
    copy = tmp_path / "lossbook"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "_build", "build", "*.egg-info", "__pycache__",
        ".pytest_cache", ".hypothesis", ".ruff_cache", ".jupyter_cache"))
    # -S: no site-packages, so the script must need the standard library only
    made = subprocess.run(
        [sys.executable, "-S", "tools/new_placeholder.py", "hinge_loss",
         "Hinge loss"], cwd=copy, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    assert "chapters/hinge_loss.ipynb" in made.stdout
    assert "_toc.yml" in made.stdout
    assert "chapters/hinge_loss" in _toc_files(copy)
    nbformat.validate(nbformat.read(copy / "chapters" / "hinge_loss.ipynb",
                                    as_version=4))
    again = subprocess.run(
        [sys.executable, "-S", "tools/new_placeholder.py", "hinge_loss",
         "Hinge loss"], cwd=copy, capture_output=True, text=True, check=False)
    assert again.returncode != 0 and "exists" in again.stderr

    checks = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v",
         "tests/test_chapters.py", "-k", "hinge_loss or toc_agree"],
        cwd=copy, capture_output=True, text=True, check=False)
    assert checks.returncode == 0, checks.stdout[-3000:]
    passed = set(re.findall(r"::(\w+)\[hinge_loss\] PASSED", checks.stdout))
    assert passed >= {"test_notebook_is_valid", "test_title_carries_its_label",
                      "test_every_number_in_prose_is_glued"}, checks.stdout
    assert "test_chapters_and_toc_agree PASSED" in checks.stdout
