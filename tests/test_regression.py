"""Tests for lossbook.regression against lossbook.symbolic.regression.

One group per loss family feature: oracle values (50-digit SymPy
evaluation, more digits where 50 cannot resolve the answer), gradients
(central differences and the SymPy derivative), properties and identities
(Hypothesis), reductions and dtypes, and bad input.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import central_difference

from lossbook import regression
from lossbook.regression import huber, log_cosh, mae, mse, smooth_l1
from lossbook.symbolic import regression as sym

SYMBOLIC = {
    "mse": sym.mse(),
    "mae": sym.mae(),
    "huber": sym.huber(),
    "smooth_l1": sym.smooth_l1(),
    "log_cosh": sym.log_cosh(),
}
LOSSES = {"mse": mse, "mae": mae, "huber": huber, "smooth_l1": smooth_l1,
          "log_cosh": log_cosh}

# (loss name, keyword arguments) covering every keyword of every loss
CASES = [
    ("mse", {}),
    ("mae", {}),
    ("huber", {"delta": 1.0}),
    ("huber", {"delta": 0.1}),
    ("huber", {"delta": 3.5}),
    ("smooth_l1", {"beta": 1.0}),
    ("smooth_l1", {"beta": 1 / 9}),
    ("smooth_l1", {"beta": 0.0}),
    ("log_cosh", {}),
]
CASE_IDS = [f"{name}-{kw}" for name, kw in CASES]
REDUCTIONS = ("mean", "sum", "none")


def _pairs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions with residuals from 1e-12 up to 1e8.

    Adds the switch points of huber and smooth_l1 (|d| = 0.1, 1, 1/9,
    3.5, on and next to them), d = 0, and targets of size 1e8.
    """
    rng = np.random.default_rng(seed)
    n = 100
    y = rng.normal(size=n) * 10.0 ** rng.integers(-2, 9, size=n)
    d = rng.normal(size=n) * 10.0 ** rng.uniform(-12, 8, size=n)
    switch = np.array([0.1, 1.0, 1 / 9, 3.5])
    edges = np.concatenate([switch, np.nextafter(switch, 0),
                            np.nextafter(switch, 2 * switch), [0.0]])
    y = np.concatenate([y, np.zeros(2 * edges.size)])
    y_pred = np.concatenate([y[:n] + d, edges, -edges])
    return y, y_pred


def _oracle(name: str, y, y_pred, kwargs, *, derivative: bool = False):
    defn = SYMBOLIC[name]
    expr = defn.derivative() if derivative else None
    return [defn.evaluate(a, b, expr=expr, **kwargs)
            for a, b in zip(y, y_pred, strict=True)]


# ---------------------------------------------------------------------------
# values against the SymPy oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_oracle_values(name, kwargs, ulp_report):
    y, y_pred = _pairs(seed=CASES.index((name, kwargs)))
    actual = LOSSES[name](y, y_pred, reduction="none", **kwargs)
    ulp_report.check(name, actual, _oracle(name, y, y_pred, kwargs))


def test_log_cosh_tiny_and_huge_residuals(ulp_report):
    # log cosh d ~ d^2/2 down to 1e-300 needs ~ 620 digits to resolve
    # cosh d - 1 against 1, beyond the default 50: evaluate the same
    # SymPy definition at higher precision
    rng = np.random.default_rng(7)
    tiny = 10.0 ** rng.uniform(-150, -6, size=40) * rng.choice([-1, 1], 40)
    huge = np.array([709.0, 710.5, 711.0, 1e4, 1e8, -1e8])
    y_pred = np.concatenate([tiny, huge])
    fn = SYMBOLIC["log_cosh"].evaluator()
    with mpmath.workdps(700):
        exact = [fn(mpmath.mpf(0), mpmath.mpf(float(d))) for d in y_pred]
    actual = log_cosh(np.zeros_like(y_pred), y_pred, reduction="none")
    ulp_report.check("log_cosh", actual, exact)


def test_log_cosh_keras_form_loses_small_residuals():
    # why lossbook does not use d + softplus(-2d) - log 2 for small d:
    # at d = 1e-5 it cancels against log 2 (log cosh 1e-5 ~ 5e-11)
    d = 1e-5
    keras_form = d + np.logaddexp(0.0, -2 * d) - np.log(2.0)
    exact = d * d / 2 - d**4 / 12  # Taylor series, next term ~ 1e-31
    assert abs(keras_form - exact) / exact > 1e-8
    assert float(log_cosh([0.0], [d])) == pytest.approx(exact, rel=1e-15)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_gradient_matches_central_differences(name, kwargs, reduction):
    rng = np.random.default_rng(3)
    y = rng.normal(size=(3, 4))
    d = rng.uniform(-3.0, 3.0, size=(3, 4))
    # keep clear of the kinks |d| = 0, 0.1, 1/9, 1, 3.5 where the one-
    # sided slopes of mae, huber and smooth_l1 differ
    kinks = np.array([0.0, 0.1, 1 / 9, 1.0, 3.5])
    near = np.abs(np.abs(d)[..., None] - kinks).min(axis=-1) < 1e-3
    d[near] += 0.01
    loss = LOSSES[name]

    def total(x):
        return float(np.sum(loss(y, x, reduction=reduction, **kwargs)))

    grad = regression.GRADIENTS[loss](y, y + d, reduction=reduction,
                                      **kwargs)
    assert grad.shape == d.shape
    np.testing.assert_allclose(
        grad, central_difference(total, y + d), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_gradient_matches_sympy_derivative(name, kwargs, ulp_report):
    # includes d = 0 and the switch points: mae's gradient at d = 0 is the
    # subgradient 0, which is also SymPy's sign(0)
    y, y_pred = _pairs(seed=11)
    loss = LOSSES[name]
    grad = regression.GRADIENTS[loss](y, y_pred, reduction="none", **kwargs)
    exact = _oracle(name, y, y_pred, kwargs, derivative=True)
    ulp_report.check(f"{name} (gradient)", grad, exact)


def test_mae_gradient_at_zero_is_zero():
    grad = regression.GRADIENTS[mae]([1.0, 2.0], [1.0, 3.0], reduction="sum")
    np.testing.assert_array_equal(grad, [0.0, 1.0])


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_gradient_reductions(name, kwargs):
    rng = np.random.default_rng(5)
    y, y_pred = rng.normal(size=(2, 6)), rng.normal(size=(2, 6)) * 3
    grad_fn = regression.GRADIENTS[LOSSES[name]]
    per = grad_fn(y, y_pred, reduction="none", **kwargs)
    np.testing.assert_array_equal(
        grad_fn(y, y_pred, reduction="sum", **kwargs), per
    )
    np.testing.assert_allclose(
        grad_fn(y, y_pred, reduction="mean", **kwargs), per / per.size,
        rtol=1e-15,
    )


# ---------------------------------------------------------------------------
# properties and identities
# ---------------------------------------------------------------------------

_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_pair = st.integers(1, 8).flatmap(
    lambda n: st.tuples(hnp.arrays(np.float64, n, elements=_floats),
                        hnp.arrays(np.float64, n, elements=_floats))
)
_positive = st.floats(1e-3, 1e3)


@given(_pair)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_nonnegative_symmetric_and_zero_at_target(name, kwargs, pair):
    y, y_pred = pair
    loss = LOSSES[name]
    values = loss(y, y_pred, reduction="none", **kwargs)
    assert (values >= 0).all()
    # every loss is an even function of d, and fl(a - b) = -fl(b - a)
    np.testing.assert_array_equal(
        values, loss(y_pred, y, reduction="none", **kwargs)
    )
    assert (loss(y, y, reduction="none", **kwargs) == 0).all()


@given(_pair, _positive)
def test_smooth_l1_is_huber_over_beta(pair, beta):
    y, y_pred = pair
    np.testing.assert_allclose(
        smooth_l1(y, y_pred, beta=beta, reduction="none"),
        huber(y, y_pred, delta=beta, reduction="none") / beta,
        rtol=1e-14, atol=1e-300,
    )


@given(_pair)
def test_smooth_l1_with_beta_zero_is_mae(pair):
    y, y_pred = pair
    np.testing.assert_array_equal(
        smooth_l1(y, y_pred, beta=0.0, reduction="none"),
        mae(y, y_pred, reduction="none"),
    )


@given(_pair)
def test_huber_is_half_mse_for_large_delta(pair):
    # with delta beyond every |d| only the quadratic piece is used: the
    # limit delta -> inf is half of mse (not mse, as PyTorch's docs say)
    y, y_pred = pair
    np.testing.assert_array_equal(
        huber(y, y_pred, delta=1e7, reduction="none"),
        0.5 * mse(y, y_pred, reduction="none"),
    )


@given(_pair)
def test_huber_over_delta_tends_to_mae(pair):
    # huber/delta = |d| - delta/2 once |d| > delta, so within delta/2
    y, y_pred = pair
    delta = 1e-9
    np.testing.assert_allclose(
        huber(y, y_pred, delta=delta, reduction="none") / delta,
        mae(y, y_pred, reduction="none"), rtol=0, atol=delta,
    )


@given(_pair)
def test_log_cosh_between_its_asymptotes(pair):
    # |d| - log 2 <= log cosh d <= d^2 / 2, from cosh d <= exp(d^2 / 2)
    # and cosh d >= exp(|d|) / 2
    y, y_pred = pair
    d = np.abs(y_pred - y)
    values = log_cosh(y, y_pred, reduction="none")
    assert (values <= 0.5 * d * d * (1 + 1e-15)).all()
    assert (values >= (d - np.log(2)) * (1 - 1e-15)).all()


def test_huber_is_continuous_with_slope_delta():
    delta = 1.5
    below, above = np.nextafter(delta, 0), np.nextafter(delta, 2)
    values = huber([0.0, 0.0], [below, above], delta=delta, reduction="none")
    assert values[1] - values[0] < 1e-15
    far = huber([0.0, 0.0], [10.0, 11.0], delta=delta, reduction="none")
    assert far[1] - far[0] == pytest.approx(delta)  # slope delta outside


# ---------------------------------------------------------------------------
# reductions, dtypes, inputs untouched
# ---------------------------------------------------------------------------


@given(_pair)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_reductions(name, kwargs, pair):
    y, y_pred = pair
    loss = LOSSES[name]
    per = loss(y, y_pred, reduction="none", **kwargs)
    assert per.shape == y.shape
    np.testing.assert_allclose(loss(y, y_pred, reduction="sum", **kwargs),
                               per.sum(), rtol=1e-14)
    np.testing.assert_allclose(loss(y, y_pred, **kwargs), per.mean(),
                               rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_dtypes(name, kwargs, reduction):
    loss, grad = LOSSES[name], regression.GRADIENTS[LOSSES[name]]
    y32 = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
    p32 = np.array([[0.0, 1.0], [-2.0, 0.25]], dtype=np.float32)
    out32 = loss(y32, p32, reduction=reduction, **kwargs)
    assert out32.dtype == np.float32
    assert grad(y32, p32, reduction=reduction, **kwargs).dtype == np.float32
    np.testing.assert_allclose(
        out32, loss(y32.astype(float), p32.astype(float),
                    reduction=reduction, **kwargs), rtol=1e-6
    )
    ints = loss([[1, 2], [3, 4]], [[0, 2], [5, 4]], reduction=reduction,
                **kwargs)
    assert ints.dtype == np.float64
    bools = loss([True, False], [False, False], reduction=reduction, **kwargs)
    assert bools.dtype == np.float64
    if reduction != "none":
        assert np.ndim(out32) == 0


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_scalar_inputs(name, kwargs):
    # 0-d inputs: one element; "none" keeps the 0-d shape
    loss = LOSSES[name]
    assert np.shape(loss(1.0, 3.0, reduction="none", **kwargs)) == ()
    assert float(loss(1.0, 3.0, **kwargs)) == float(
        loss([1.0], [3.0], **kwargs)
    )


def test_hand_values():
    # by hand, d = (-2, 0.5, 3)
    y, y_pred = [1.0, 0.0, -1.0], [-1.0, 0.5, 2.0]
    assert float(mse(y, y_pred, reduction="sum")) == 4 + 0.25 + 9
    assert float(mae(y, y_pred, reduction="sum")) == 2 + 0.5 + 3
    # delta = 1: 1 * (2 - 0.5), 0.5^2 / 2, 1 * (3 - 0.5)
    assert float(huber(y, y_pred, reduction="sum")) == 1.5 + 0.125 + 2.5
    # beta = 4: all inside, d^2 / 8
    assert float(smooth_l1(y, y_pred, beta=4.0, reduction="sum")) == (
        (4 + 0.25 + 9) / 8
    )


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

_GOOD = ([0.0, 1.0], [0.5, -1.0])
BAD = [
    # (loss, y_true, y_pred, kwargs, exception, message)
    (name, [0.0, 1.0], [0.5, -1.0, 2.0], kw, ValueError, "y_true and y_pred")
    for name, kw in CASES
] + [
    (name, [0.0, np.nan], [0.5, -1.0], kw, ValueError, "y_true.*finite")
    for name, kw in CASES
] + [
    (name, [0.0, 1.0], [np.inf, -1.0], kw, ValueError, "y_pred.*finite")
    for name, kw in CASES
] + [
    (name, [], [], kw, ValueError, "y_true must not be empty")
    for name, kw in CASES
] + [
    (name, ["a", "b"], [0.5, -1.0], kw, TypeError, "y_true.*numeric")
    for name, kw in CASES
] + [
    (name, [0.0, 1.0], [None, 1.0], kw, TypeError, "y_pred.*numeric")
    for name, kw in CASES
] + [
    (name, *_GOOD, {**kw, "reduction": "avg"}, ValueError, "reduction")
    for name, kw in CASES
] + [
    ("huber", *_GOOD, {"delta": -1.0}, ValueError, "delta must be > 0"),
    ("huber", *_GOOD, {"delta": 0.0}, ValueError, "delta must be > 0"),
    ("huber", *_GOOD, {"delta": np.inf}, ValueError, "delta must be finite"),
    ("huber", *_GOOD, {"delta": "1"}, TypeError, "delta must be a real"),
    ("smooth_l1", *_GOOD, {"beta": -0.5}, ValueError, "beta must be >= 0"),
    ("smooth_l1", *_GOOD, {"beta": None}, TypeError, "beta must be a real"),
]


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "kwargs", "error", "match"), BAD,
    ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)],
)
def test_bad_input(name, y_true, y_pred, kwargs, error, match):
    y_arr = np.array(y_true, dtype=object if None in y_true else None)
    p_arr = np.array(y_pred, dtype=object if None in y_pred else None)
    y_copy, p_copy = y_arr.copy(), p_arr.copy()
    loss = LOSSES[name]
    for fn in (loss, regression.GRADIENTS[loss]):
        with pytest.raises(error, match=match):
            fn(y_arr, p_arr, **kwargs)
    np.testing.assert_array_equal(y_arr, y_copy)
    np.testing.assert_array_equal(p_arr, p_copy)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_inputs_not_modified(name, kwargs):
    y = np.array([1.0, -2.0, 3.0])
    y_pred = np.array([0.5, 0.5, 10.0], dtype=np.float32)
    before = y.copy(), y_pred.copy()
    LOSSES[name](y, y_pred, **kwargs)
    regression.GRADIENTS[LOSSES[name]](y, y_pred, **kwargs)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(y_pred, before[1])


def test_gradients_registry_covers_every_loss():
    assert set(regression.GRADIENTS) == set(LOSSES.values())


def test_mean_does_not_overflow_when_the_mean_is_finite():
    # each squared error is 1e308 (finite); their sum overflows, their
    # mean does not, and "mean" must return the mean
    value = mse([0.0, 0.0], [1e154, 1e154])
    assert np.isfinite(value)
    assert value == np.float64(1e154) ** 2
