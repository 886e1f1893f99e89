"""Fixtures shared by the test modules, and the ulp report.

Every oracle test records the worst ulp error it saw for its function
through the ``ulp_report`` fixture; the table is printed at the end of the
run so that ``make test`` shows how close each loss is to exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from oracle import MAX_ULP, ulp_error

import lossbook

settings.register_profile("lossbook", max_examples=60, deadline=None,
                          derandomize=True)
settings.load_profile("lossbook")


def _pin_hypothesis_constants() -> None:
    """Draw from one fixed pool of source literals, whatever is imported.

    Besides its seeded random choices, Hypothesis draws a few percent of
    its numbers from the literals it finds in the local modules loaded so
    far, and it looks again whenever ``sys.modules`` grows. Which modules
    are loaded depends on which test files pytest collected, so with
    ``derandomize=True`` a property test still drew other examples in the
    full unit run than in a run of its own file. The pool is pinned here
    to the literals of the package's source (its thresholds, such as the
    box functions' ``2**250``, are the values worth drawing), so that a
    test draws the same examples in every run of the same code.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import _constants_from_source
    except ImportError:  # a Hypothesis without a constant pool
        return
    pool = providers._local_constants
    for path in sorted(Path(lossbook.__file__).parent.rglob("*.py")):
        pool = pool | _constants_from_source(path.read_bytes(), limit=True)
    providers._get_local_constants = lambda: pool
    providers.CONSTANTS_CACHE.cache.clear()


_pin_hypothesis_constants()

_WORST: dict[str, tuple[float, int]] = {}


class UlpReport:
    """Collects the worst ulp error per function across the test run."""

    def check(self, name: str, actual, exact, *, max_ulp: float = MAX_ULP):
        """Record and assert the ulp error of each ``actual`` vs ``exact``."""
        actual = np.atleast_1d(np.asarray(actual, dtype=np.float64)).ravel()
        exact = list(np.atleast_1d(np.asarray(exact, dtype=object)).ravel())
        assert len(actual) == len(exact)
        errors = [ulp_error(a, e) for a, e in zip(actual, exact, strict=True)]
        worst, count = _WORST.get(name, (0.0, 0))
        _WORST[name] = (max(worst, *errors), count + len(errors))
        bad = [(i, a, float(e), err) for i, (a, e, err) in
               enumerate(zip(actual, exact, errors, strict=True))
               if not err <= max_ulp]
        assert not bad, f"{name}: errors above {max_ulp} ulp: {bad[:5]}"


@pytest.fixture(scope="session")
def ulp_report() -> UlpReport:
    return UlpReport()


@pytest.fixture(autouse=True)
def _print_options():
    with np.printoptions(precision=6, suppress=True):
        yield


def pytest_sessionfinish(session):
    # in a pytest-xdist worker the table is handed to the controller, which
    # prints one table for the whole run
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["ulp_worst"] = {k: list(v) for k, v in _WORST.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for name, (worst, count) in node.workeroutput.get("ulp_worst",
                                                      {}).items():
        old_worst, old_count = _WORST.get(name, (0.0, 0))
        _WORST[name] = (max(old_worst, worst), old_count + count)


def pytest_terminal_summary(terminalreporter):
    if not _WORST:
        return
    tr = terminalreporter
    tr.section("worst error against the 50-digit SymPy oracle (float64)")
    tr.write_line(f"{'function':<40}{'worst ulp':>10}{'values':>9}")
    for name in sorted(_WORST):
        worst, count = _WORST[name]
        tr.write_line(f"{name:<40}{worst:>10.2f}{count:>9}")
