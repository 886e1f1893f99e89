"""Tests for lossbook.custom (the pinball loss) against its SymPy definition.

The same groups as every loss family: oracle values (50-digit SymPy
evaluation), gradients (central differences and the SymPy derivative,
including the kink), properties (Hypothesis: the minimiser is the
empirical quantile, quantile 0.5 is half of mae), reductions and dtypes,
and bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import central_difference

from lossbook import custom, regression
from lossbook.custom import pinball_loss, pinball_loss_gradient
from lossbook.regression import mae
from lossbook.symbolic.custom import pinball_loss as sym_pinball_loss

SYMBOLIC = sym_pinball_loss()
GRADIENT = custom.GRADIENTS[pinball_loss]
QUANTILES = (0.5, 0.1, 0.9, 0.01, 0.999, 1e-6, 1 / 3)
REDUCTIONS = ("mean", "sum", "none")


def _pairs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions with residuals from 1e-12 up to 1e8.

    Adds residuals of exactly 0 (the kink) and +-1 ulp around it.
    """
    rng = np.random.default_rng(seed)
    n = 100
    y = rng.normal(size=n) * 10.0 ** rng.integers(-2, 9, size=n)
    u = rng.normal(size=n) * 10.0 ** rng.uniform(-12, 8, size=n)
    edges = np.array([0.0, 5e-324, -5e-324, 1.0, np.nextafter(1.0, 2)])
    y = np.concatenate([y, edges, [3.0, -7.5]])
    y_pred = np.concatenate([y[:n] - u, np.zeros(edges.size), [3.0, -7.5]])
    return y, y_pred


def _oracle(y, y_pred, quantile, *, derivative: bool = False):
    expr = SYMBOLIC.derivative() if derivative else None
    return [SYMBOLIC.evaluate(a, b, expr=expr, quantile=quantile)
            for a, b in zip(y, y_pred, strict=True)]


# ---------------------------------------------------------------------------
# values against the SymPy oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantile", QUANTILES)
def test_oracle_values(quantile, ulp_report):
    y, y_pred = _pairs(seed=QUANTILES.index(quantile))
    actual = pinball_loss(y, y_pred, quantile=quantile, reduction="none")
    ulp_report.check("pinball_loss", actual, _oracle(y, y_pred, quantile))


def test_naive_tilted_form_cancels():
    # why lossbook does not use 0.5|u| + (q - 0.5)u: for q near 0 and an
    # under-prediction (u > 0) the two terms nearly cancel
    q, u = 1e-6, 3.0
    naive = 0.5 * abs(u) + (q - 0.5) * u
    exact = SYMBOLIC.evaluate(u, 0.0, quantile=q)
    assert abs(naive - float(exact)) / float(exact) > 1e-12
    assert float(pinball_loss([u], [0.0], quantile=q)) == pytest.approx(
        float(exact), rel=1e-15)


def test_hand_values():
    # by hand, q = 0.25: u = y - y_pred = (2, -4, 0)
    y, y_pred = [3.0, 0.0, 1.0], [1.0, 4.0, 1.0]
    values = pinball_loss(y, y_pred, quantile=0.25, reduction="none")
    np.testing.assert_array_equal(values, [0.25 * 2, 0.75 * 4, 0.0])
    assert float(pinball_loss(y, y_pred, quantile=0.25,
                              reduction="sum")) == 3.5


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("quantile", (0.5, 0.1, 0.9, 0.37))
def test_gradient_matches_central_differences(quantile, reduction):
    rng = np.random.default_rng(3)
    y = rng.normal(size=(3, 4))
    u = rng.uniform(-3.0, 3.0, size=(3, 4))
    u[np.abs(u) < 1e-3] += 0.01  # away from the kink, where the one-
    # sided slopes differ

    def total(x):
        return float(np.sum(pinball_loss(y, x, quantile=quantile,
                                         reduction=reduction)))

    grad = GRADIENT(y, y - u, quantile=quantile, reduction=reduction)
    assert grad.shape == u.shape
    np.testing.assert_allclose(
        grad, central_difference(total, y - u), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("quantile", QUANTILES)
def test_gradient_matches_sympy_derivative(quantile, ulp_report):
    # includes u = 0, where SymPy's Heaviside(0) = 1/2 gives 1/2 - q
    y, y_pred = _pairs(seed=11)
    grad = GRADIENT(y, y_pred, quantile=quantile, reduction="none")
    exact = _oracle(y, y_pred, quantile, derivative=True)
    ulp_report.check("pinball_loss (gradient)", grad, exact)


def test_gradient_at_the_kink_is_the_midpoint():
    # the midpoint of the subdifferential [-q, 1 - q] at y == y_pred, and
    # the central difference there (a symmetric quotient) agrees with it
    y = np.array([2.0, 2.0])
    for q in (0.1, 0.5, 0.8):
        grad = pinball_loss_gradient(y, y, quantile=q, reduction="none")
        np.testing.assert_allclose(grad, 0.5 - q, rtol=1e-15)

        def total(x, q=q):
            return float(pinball_loss(y, x, quantile=q, reduction="sum"))

        np.testing.assert_allclose(central_difference(total, y), 0.5 - q,
                                   rtol=1e-6, atol=1e-9)


def test_median_gradient_is_half_of_mae_gradient():
    rng = np.random.default_rng(4)
    y = rng.normal(size=20)
    y_pred = np.concatenate([y[:5], rng.normal(size=15)])  # some kinks
    np.testing.assert_array_equal(
        GRADIENT(y, y_pred, quantile=0.5, reduction="sum"),
        0.5 * regression.GRADIENTS[mae](y, y_pred, reduction="sum"),
    )


@pytest.mark.parametrize("quantile", (0.5, 0.2))
def test_gradient_reductions(quantile):
    rng = np.random.default_rng(5)
    y, y_pred = rng.normal(size=(2, 6)), rng.normal(size=(2, 6)) * 3
    per = GRADIENT(y, y_pred, quantile=quantile, reduction="none")
    np.testing.assert_array_equal(
        GRADIENT(y, y_pred, quantile=quantile, reduction="sum"), per
    )
    np.testing.assert_allclose(
        GRADIENT(y, y_pred, quantile=quantile, reduction="mean"),
        per / per.size, rtol=1e-15,
    )


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_pair = st.integers(1, 8).flatmap(
    lambda n: st.tuples(hnp.arrays(np.float64, n, elements=_floats),
                        hnp.arrays(np.float64, n, elements=_floats))
)
_quantile = st.floats(1e-3, 1 - 1e-3)


@given(_pair, _quantile)
def test_nonnegative_zero_at_target_and_mirror(pair, quantile):
    y, y_pred = pair
    values = pinball_loss(y, y_pred, quantile=quantile, reduction="none")
    assert (values >= 0).all()
    assert (pinball_loss(y, y, quantile=quantile, reduction="none")
            == 0).all()
    # swapping target and prediction swaps q and 1 - q (exactly when
    # 1 - (1 - q) == q in floating point)
    if 1 - (1 - quantile) == quantile:
        np.testing.assert_allclose(
            pinball_loss(y_pred, y, quantile=1 - quantile,
                         reduction="none"),
            values, rtol=1e-15, atol=0,
        )


@given(_pair)
def test_median_is_half_of_mae(pair):
    y, y_pred = pair
    np.testing.assert_array_equal(
        pinball_loss(y, y_pred, quantile=0.5, reduction="none"),
        0.5 * mae(y, y_pred, reduction="none"),
    )


@given(
    hnp.arrays(np.float64, st.integers(1, 40),
               elements=st.floats(-1e3, 1e3, allow_nan=False)),
    _quantile,
)
def test_minimiser_is_the_empirical_quantile(sample, quantile):
    # R(c) = sum_i loss(y_i, c) is convex and piecewise linear with kinks
    # at the sample points, so its minimum is attained at one of them;
    # the subgradient argument says the empirical quantile
    # (inverse of the empirical CDF) is a minimiser
    best = np.quantile(sample, quantile, method="inverted_cdf")

    def risk(c):
        return float(pinball_loss(sample, np.full_like(sample, c),
                                  quantile=quantile, reduction="sum"))

    candidates = np.unique(sample)
    risks = np.array([risk(c) for c in candidates])
    tol = 1e-12 * max(1.0, float(np.abs(sample).sum()))
    assert risk(best) <= risks.min() + tol
    # and it is a minimiser of the continuous risk: a step either side
    # does not lower it
    for step in (1e-3, -1e-3):
        assert risk(best) <= risk(best + step) + tol


@given(_pair, st.floats(0.05, 0.95))
def test_reductions(pair, quantile):
    y, y_pred = pair
    per = pinball_loss(y, y_pred, quantile=quantile, reduction="none")
    assert per.shape == y.shape
    np.testing.assert_allclose(
        pinball_loss(y, y_pred, quantile=quantile, reduction="sum"),
        per.sum(), rtol=1e-14)
    np.testing.assert_allclose(
        pinball_loss(y, y_pred, quantile=quantile), per.mean(), rtol=1e-14)


# ---------------------------------------------------------------------------
# dtypes, scalars, inputs untouched
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtypes(reduction):
    y32 = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
    p32 = np.array([[0.0, 1.0], [-2.0, 0.0]], dtype=np.float32)
    out32 = pinball_loss(y32, p32, quantile=0.3, reduction=reduction)
    assert out32.dtype == np.float32
    grad32 = GRADIENT(y32, p32, quantile=0.3, reduction=reduction)
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(
        out32, pinball_loss(y32.astype(float), p32.astype(float),
                            quantile=0.3, reduction=reduction), rtol=1e-6)
    ints = pinball_loss([[1, 2], [3, 4]], [[0, 2], [5, 4]],
                        reduction=reduction)
    assert ints.dtype == np.float64
    bools = pinball_loss([True, False], [False, False], reduction=reduction)
    assert bools.dtype == np.float64
    # float64 gradient for a float32 prediction against float64 targets
    mixed = GRADIENT(y32.astype(float), p32, reduction=reduction)
    assert mixed.dtype == np.float32
    if reduction != "none":
        assert np.ndim(out32) == 0


def test_scalar_inputs():
    assert np.shape(pinball_loss(1.0, 3.0, reduction="none")) == ()
    assert float(pinball_loss(1.0, 3.0, quantile=0.2)) == pytest.approx(1.6)
    assert np.shape(GRADIENT(1.0, 3.0, reduction="none")) == ()


def test_inputs_not_modified():
    y = np.array([1.0, -2.0, 3.0])
    y_pred = np.array([0.5, 0.5, 10.0], dtype=np.float32)
    before = y.copy(), y_pred.copy()
    pinball_loss(y, y_pred, quantile=0.7)
    GRADIENT(y, y_pred, quantile=0.7)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(y_pred, before[1])


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

_GOOD = ([0.0, 1.0], [0.5, -1.0])
BAD = [
    # (y_true, y_pred, kwargs, exception, message)
    ([0.0, 1.0], [0.5, -1.0, 2.0], {}, ValueError, "y_true and y_pred"),
    ([0.0, np.nan], [0.5, -1.0], {}, ValueError, "y_true.*finite"),
    ([0.0, 1.0], [np.inf, -1.0], {}, ValueError, "y_pred.*finite"),
    ([], [], {}, ValueError, "y_true must not be empty"),
    (["a", "b"], [0.5, -1.0], {}, TypeError, "y_true.*numeric"),
    ([0.0, 1.0], [None, 1.0], {}, TypeError, "y_pred.*numeric"),
    (*_GOOD, {"reduction": "avg"}, ValueError, "reduction"),
    (*_GOOD, {"reduction": None}, ValueError, "reduction"),
    (*_GOOD, {"quantile": 0.0}, ValueError, "quantile must be > 0.0"),
    (*_GOOD, {"quantile": 1.0}, ValueError, "quantile must be < 1.0"),
    (*_GOOD, {"quantile": -0.1}, ValueError, "quantile must be > 0.0"),
    (*_GOOD, {"quantile": 90}, ValueError, "quantile must be < 1.0"),
    (*_GOOD, {"quantile": np.nan}, ValueError, "quantile must be finite"),
    (*_GOOD, {"quantile": "0.5"}, TypeError, "quantile must be a real"),
    (*_GOOD, {"quantile": None}, TypeError, "quantile must be a real"),
    (*_GOOD, {"quantile": True}, TypeError, "quantile must be a real"),
]


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "match"), BAD,
    ids=[f"bad-{i}" for i in range(len(BAD))],
)
def test_bad_input(y_true, y_pred, kwargs, error, match):
    y_arr = np.array(y_true, dtype=object if None in y_true else None)
    p_arr = np.array(y_pred, dtype=object if None in y_pred else None)
    y_copy, p_copy = y_arr.copy(), p_arr.copy()
    for fn in (pinball_loss, GRADIENT):
        with pytest.raises(error, match=match):
            fn(y_arr, p_arr, **kwargs)
    np.testing.assert_array_equal(y_arr, y_copy)
    np.testing.assert_array_equal(p_arr, p_copy)


def test_gradients_registry():
    assert custom.GRADIENTS == {pinball_loss: pinball_loss_gradient}
