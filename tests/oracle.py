"""Shared test helpers: errors in ulps and central differences.

The ulp error of a float64 result ``a`` against an exact value ``e`` (an
mpmath number) is ``|a - e| / ulp(e)``, where ``ulp(e)`` is the spacing of
float64 numbers at ``e``. A correctly rounded result has error <= 0.5.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np

MAX_ULP = 8.0


def ulp_error(actual: float, exact: mpmath.mpf) -> float:
    """Error of ``actual`` in units in the last place of ``exact``."""
    actual = float(actual)
    if mpmath.isinf(exact):
        return 0.0 if actual == float(exact) else np.inf
    if not np.isfinite(actual):
        return np.inf
    # spacing of the float64 nearest the exact value; at zero, the smallest
    # subnormal, so an exactly-zero loss must come out as (nearly) zero too
    spacing = np.spacing(abs(float(exact)))
    with mpmath.workdps(60):
        return float(abs(mpmath.mpf(actual) - exact) / mpmath.mpf(spacing))


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Numerical gradient of a scalar function by central differences."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
