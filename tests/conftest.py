"""Fixtures shared by the test modules, and the ulp report.

Every oracle test records the worst ulp error it saw for its function
through the ``ulp_report`` fixture; the table is printed at the end of the
run so that ``make test`` shows how close each loss is to exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings
from oracle import MAX_ULP, ulp_error

settings.register_profile("lossbook", max_examples=60, deadline=None,
                          derandomize=True)
settings.load_profile("lossbook")

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


def pytest_terminal_summary(terminalreporter):
    if not _WORST:
        return
    tr = terminalreporter
    tr.section("worst error against the 50-digit SymPy oracle (float64)")
    tr.write_line(f"{'function':<40}{'worst ulp':>10}{'values':>9}")
    for name in sorted(_WORST):
        worst, count = _WORST[name]
        tr.write_line(f"{name:<40}{worst:>10.2f}{count:>9}")
