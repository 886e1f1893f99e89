"""Add a placeholder chapter: ``python tools/new_placeholder.py NAME TITLE``.

Writes ``chapters/NAME.ipynb`` holding the chapter's title, its label and
one paragraph saying the chapter is coming, and lists it in ``_toc.yml``
at the end of a part (``--part CAPTION``; by default the last numbered
part). The table of contents is then complete from the start and the new
slot already builds and passes the chapter checks.

Only the standard library is used, so any Python 3 runs it; no ``.venv``
is needed. It refuses to overwrite an existing chapter.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_NOTE = (
    "This chapter is coming. It will follow the chapter template "
    "described in {doc}`/reference/contributing`: why the loss exists, "
    "its definition from `lossbook.symbolic`, a derivation in SymPy, its "
    "behaviour, its numerics, an experiment, advice for practice, a "
    "summary, exercises and references."
)


def placeholder(name: str, title: str) -> dict:
    """The notebook (nbformat 4.5, as JSON-ready dict) of a placeholder."""
    label = name.replace("_", "-")
    source = f"({label})=\n# {title}\n\n{TEMPLATE_NOTE}"
    lines = source.splitlines(keepends=True)
    return {
        "cells": [{"cell_type": "markdown", "id": f"{label}-0",
                   "metadata": {}, "source": lines}],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python",
                           "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def add_to_toc(toc: str, name: str, part: str | None) -> tuple[str, str]:
    """Return ``toc`` with ``chapters/NAME`` appended to a part, and the
    part's caption. The text is edited line by line so comments and
    layout stay as they are."""
    lines = toc.splitlines(keepends=True)
    parts = [(i, m.group(1).strip()) for i, line in enumerate(lines)
             if (m := re.match(r"\s*- caption:\s*(.+)", line))]
    if not parts:
        raise SystemExit("_toc.yml has no parts (`- caption:` lines)")
    ends = [i for i, _ in parts[1:]] + [len(lines)]
    spans = [(start, end, caption)
             for (start, caption), end in zip(parts, ends, strict=True)]
    if part is None:
        numbered = [s for s in spans
                    if any("numbered: true" in line
                           for line in lines[s[0]:s[1]])]
        if not numbered:
            raise SystemExit("_toc.yml has no numbered part; pass --part")
        start, end, caption = numbered[-1]
    else:
        found = [s for s in spans if s[2] == part]
        if not found:
            captions = ", ".join(s[2] for s in spans)
            raise SystemExit(f"no part {part!r} in _toc.yml "
                             f"(parts: {captions})")
        start, end, caption = found[0]
    entries = [i for i in range(start, end)
               if re.match(r"\s*- file:", lines[i])]
    if not entries:
        raise SystemExit(f"part {caption!r} in _toc.yml lists no file")
    last = entries[-1]
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{indent}- file: chapters/{name}\n")
    return "".join(lines), caption


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="file name without .ipynb, "
                        "lower case with underscores, e.g. hinge_loss")
    parser.add_argument("title", help='chapter title, e.g. "Hinge loss"')
    parser.add_argument("--part", help="caption of the _toc.yml part to "
                        "add the chapter to (default: the last numbered "
                        "part)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.name):
        parser.error(f"NAME must be lower case letters, digits and "
                     f"underscores, got {args.name!r}")
    notebook = ROOT / "chapters" / f"{args.name}.ipynb"
    if notebook.exists():
        parser.error(f"{notebook.relative_to(ROOT)} exists already")
    toc_path = ROOT / "_toc.yml"
    toc = toc_path.read_text(encoding="utf-8")
    if re.search(rf"^\s*- file:\s*chapters/{args.name}\s*$", toc, re.M):
        parser.error(f"_toc.yml lists chapters/{args.name} already")
    new_toc, caption = add_to_toc(toc, args.name, args.part)
    notebook.write_text(
        json.dumps(placeholder(args.name, args.title), indent=1,
                   ensure_ascii=False) + "\n", encoding="utf-8")
    toc_path.write_text(new_toc, encoding="utf-8")
    print(f"wrote {notebook.relative_to(ROOT)}: title {args.title!r}, "
          f"label {args.name.replace('_', '-')}")
    print(f"listed chapters/{args.name} at the end of part {caption!r} "
          f"in _toc.yml")
    print("next: `make test`, then replace the placeholder cell by cell "
          "(reference/contributing.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
