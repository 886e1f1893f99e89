"""A chapter downloaded from the site runs with nothing but the wheel.

As a reader would: a new virtual environment, ``pip install`` of the
lossbook wheel the site serves (its dependencies come from the package
index, pinned to the lock file's versions so the run is repeatable) plus a
notebook runner, then the chapter's ``.ipynb`` fetched from the site into
an empty folder and executed top to bottom there.

The environment is prepared in the background from the start of the
browser step (``pytest_sessionstart`` in ``conftest.py``), so the install
overlaps the other browser checks.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request

from conftest import reader_env

# the quickest chapter to run; any chapter must run the same way
CHAPTER = "chapters/focal_loss"


def test_downloaded_chapter_runs_with_only_the_wheel(server, tmp_path):
    python = reader_env.wait()
    folder = tmp_path / "reader"
    folder.mkdir()
    with urllib.request.urlopen(f"{server}/_sources/{CHAPTER}.ipynb") as r:
        notebook = r.read()
    source = folder / "chapter.ipynb"
    source.write_bytes(notebook)
    run = subprocess.run(
        [str(python), "-c",
         "import nbformat, nbclient, sys\n"
         "nb = nbformat.read(sys.argv[1], as_version=4)\n"
         "nbclient.NotebookClient(nb, timeout=300, kernel_name='python3',"
         " resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
         "nbformat.write(nb, sys.argv[3])\n",
         str(source), str(folder), str(folder / "executed.ipynb")],
        cwd=folder, capture_output=True, text=True, timeout=900,
        env=reader_env.environment(folder))
    assert run.returncode == 0, run.stderr[-3000:]
    executed = json.loads((folder / "executed.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
