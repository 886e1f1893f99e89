"""Run every check of the project in order (``make test``).

1. lint: ruff over the package, the tests and the tools;
2. unit: lossbook's tests (oracle, gradients, bad input, reference
   values, Hypothesis properties) and the doctests in its docstrings, on
   two workers;
3. notebooks: nbval re-runs every chapter and compares stored outputs;
4. build: the whole book with warnings as errors, from the outputs stored
   in the notebooks (step 3 has just re-executed every chapter and shown
   that they are what the code produces; ``make book`` executes them);
5. browser: every page of the built site in headless Chromium, on two
   workers.

Every step runs even if an earlier one failed (the browser step needs the
build). The last line counts the tests of all steps together: each pytest
test once, and lint and build as one test each. Output is passed on as
plain text (no terminal colour codes), so a log reads as the screen did.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTS = ROOT / "_build" / "test-reports"
CHROMIUM = Path("/usr/bin/chromium")
SITE_STAMP = ROOT / "_build" / ".site-config"  # see `make book`
PYTEST = [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider",
          "--color=no"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(name: str, cmd: list[str]) -> bool:
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    start = time.perf_counter()
    env = dict(os.environ, NO_COLOR="1")
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          errors="replace", bufsize=1) as proc:
        assert proc.stdout is not None
        warned, repeats = set(), 0
        for line in proc.stdout:
            # kernels colour their tracebacks whatever the terminal is
            line = ANSI.sub("", line)
            # every kernel start logs the same warning: show it once
            if "WARNING" in line and line.startswith("["):
                if line in warned:
                    repeats += 1
                    continue
                warned.add(line)
            sys.stdout.write(line)
        code = proc.wait()
    if repeats:
        print(f"({repeats} repeated warning lines not shown)")
    sys.stdout.flush()
    print(f"=== {name}: exit {code} in {time.perf_counter() - start:.1f} s",
          flush=True)
    return code == 0


def ensure_chromium() -> bool:
    if CHROMIUM.exists():
        return True
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("Chromium is missing: run `sudo apt-get install chromium`, "
              "then `make test` again.", flush=True)
        return False
    print("installing Debian's chromium for the browser checks", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.call(cmd, env=env) != 0:
            return False
    return CHROMIUM.exists()


def junit(name: str) -> list[str]:
    return [f"--junitxml={REPORTS / (name + '.xml')}"]


def count_tests(results: dict[str, bool]) -> tuple[int, int, int]:
    """Passed, failed and skipped tests over all steps.

    A pytest step counts the tests in its JUnit report; a step that failed
    without a failing test in its report (it could not collect, or it
    wrote no report) counts as one failure. lint and build count as one
    test each.
    """
    passed = failed = skipped = 0
    for name, ok in results.items():
        path = REPORTS / f"{name}.xml"
        p = f = s = 0
        if path.exists():
            for suite in ET.parse(path).getroot().iter("testsuite"):
                total = int(suite.get("tests", 0))
                bad = (int(suite.get("failures", 0))
                       + int(suite.get("errors", 0)))
                skip = int(suite.get("skipped", 0))
                p, f, s = p + total - bad - skip, f + bad, s + skip
        elif ok:
            p = 1
        if not ok and f == 0:
            f = 1
        passed, failed, skipped = passed + p, failed + f, skipped + s
    return passed, failed, skipped


def main() -> int:
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    results = {}
    results["lint"] = run("lint", [str(BIN / "ruff"), "check", "lossbook",
                                   "tests", "tools", "_ext"])
    results["unit"] = run("unit", [
        *PYTEST, "tests", "--ignore=tests/site", "--doctest-modules",
        "lossbook", "-n", "2", "--durations=5", *junit("unit")])
    results["notebooks"] = run("notebooks", [
        *PYTEST, "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
        "-n", "2", "--dist", "loadfile", "--durations=10", "chapters",
        *junit("notebooks")])
    results["build"] = run("build", [str(BIN / "python"),
                                     "tools/build_book.py", "--all",
                                     "--stored-outputs"])
    if results["build"]:
        SITE_STAMP.touch()  # every page was rebuilt
    if results["build"] and ensure_chromium():
        results["browser"] = run("browser", [
            *PYTEST, "tests/site", "-q", "-n", "2", *junit("browser")])
    else:
        results["browser"] = False
    print("\n=== summary: " + ", ".join(
        f"{k} {'ok' if v else 'FAILED'}" for k, v in results.items()))
    passed, failed, skipped = count_tests(results)
    line = f"{passed} passed, {failed} failed"
    print("make test: " + line + (f", {skipped} skipped" if skipped else ""),
          flush=True)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
