"""Tests for lossbook.segmentation: dice_loss, soft_iou_loss and
cross_entropy_iou_loss_2d.

The oracle is the 50-digit evaluation of lossbook.symbolic.segmentation,
averaged over the classes at 50 digits; hand values have comments.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import central_difference

import lossbook
from lossbook import segmentation as lseg
from lossbook._numerics import softmax
from lossbook.classification import cross_entropy
from lossbook.segmentation import (
    GRADIENTS,
    cross_entropy_iou_loss_2d,
    dice_loss,
    soft_iou_loss,
)
from lossbook.symbolic import ORACLE_DIGITS
from lossbook.symbolic import segmentation as sym

OVERLAP = {"dice_loss": dice_loss, "soft_iou_loss": soft_iou_loss}
REDUCTIONS = ("mean", "sum", "none")


def _one_hot(labels, num_classes):
    return np.eye(num_classes)[labels]


def _masks(seed, shape=(4, 3, 3, 3), *, extreme=False, soft=False):
    """A one-hot (or soft) target and probabilities, class axis last."""
    rng = np.random.default_rng(seed)
    if soft:
        y = rng.uniform(size=shape)
    else:
        y = _one_hot(rng.integers(0, shape[-1], shape[:-1]), shape[-1])
    p = rng.uniform(size=shape)
    if extreme:
        # within 1e-12 of 0 and 1, agreeing or disagreeing with the target
        tiny = rng.uniform(0, 1e-12, shape)
        p = np.where(rng.uniform(size=shape) < 0.7, np.abs(y - tiny),
                     1 - np.abs(y - tiny))
    return y, p


def _overlap_oracle(name, y, p, smooth):
    """Per-sample loss: the mean over the classes of the SymPy loss."""
    n_pixels = int(np.prod(y.shape[1:-1]))
    d = getattr(sym, name)(n_pixels)
    out = []
    for n in range(y.shape[0]):
        with mpmath.workdps(ORACLE_DIGITS):
            per_class = [d.evaluate(*y[n, ..., c].ravel(),
                                    *p[n, ..., c].ravel(), smooth=smooth)
                         for c in range(y.shape[-1])]
            out.append(mpmath.fsum(per_class) / len(per_class))
    return out


# ---------------------------------------------------------------------------
# oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("smooth", [0.0, 1e-5, 1.0])
@pytest.mark.parametrize("regime", ["random", "extreme", "soft"])
@pytest.mark.parametrize("name", list(OVERLAP))
def test_oracle_overlap_losses(name, regime, smooth, ulp_report):
    seed = ["random", "extreme", "soft"].index(regime)
    y, p = _masks(seed, extreme=regime == "extreme", soft=regime == "soft")
    actual = OVERLAP[name](y, p, smooth=smooth, reduction="none")
    ulp_report.check(name, actual, _overlap_oracle(name, y, p, smooth))


@pytest.mark.parametrize("name", list(OVERLAP))
def test_oracle_binary_masks_without_class_axis(name, ulp_report):
    y, p = _masks(21, (5, 4, 4, 1), extreme=True)
    actual = OVERLAP[name](y[..., 0], p[..., 0], smooth=0.0, axis=None,
                           reduction="none")
    ulp_report.check(name, actual, _overlap_oracle(name, y, p, 0.0))


_COMBINED = {}


def _combined_definition(num_pixels, num_classes):
    key = (num_pixels, num_classes)
    if key not in _COMBINED:
        _COMBINED[key] = sym.cross_entropy_iou_loss_2d(*key)
    return _COMBINED[key]


def _combined_oracle(labels, logits, smooth, *, wrt=None):
    """Per-sample loss (or derivative in the logit ``wrt``), class last."""
    n, c = labels.shape[0], logits.shape[-1]
    d = _combined_definition(labels[0].size, c)
    expr = None if wrt is None else d.derivative(d.wrt[wrt])
    return [d.evaluate(*_one_hot(labels[i], c).ravel(),
                       *logits[i].ravel(), expr=expr, smooth=smooth)
            for i in range(n)]


@pytest.mark.parametrize("smooth", [0.0, 1.0])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_oracle_cross_entropy_iou_loss_2d(scale, smooth, ulp_report):
    # logits up to +-1000: softmax underflows, the loss must not
    rng = np.random.default_rng(int(scale))
    labels = rng.integers(0, 3, (6, 2, 2))
    logits = rng.normal(0, scale, (6, 2, 2, 3))
    # half the samples predicted confidently and correctly
    margin = np.where(np.arange(6) < 3, 40.0 * scale, 0.0)[:, None, None]
    np.put_along_axis(logits, labels[..., None],
                      np.take_along_axis(logits, labels[..., None], -1)
                      + margin[..., None], axis=-1)
    actual = cross_entropy_iou_loss_2d(labels, logits, smooth=smooth,
                                       reduction="none")
    ulp_report.check("cross_entropy_iou_loss_2d", actual,
                     _combined_oracle(labels, logits, smooth))


# ---------------------------------------------------------------------------
# hand values
# ---------------------------------------------------------------------------


def test_hand_values():
    y = [[1.0, 1.0, 0.0, 0.0]]
    half = [[1.0, 0.0, 0.0, 0.0]]
    disjoint = [[0.0, 0.0, 1.0, 1.0]]
    for fn in (dice_loss, soft_iou_loss):
        # perfect prediction: no mismatch at all
        assert float(fn(y, y, smooth=0.0, axis=None)) == 0.0
        # disjoint masks: no intersection, loss 1
        assert float(fn(y, disjoint, smooth=0.0, axis=None)) == 1.0
    # half of a 2-pixel target: Dice 1 - 2/3, IoU 1 - 1/2
    assert math.isclose(float(dice_loss(y, half, smooth=0.0, axis=None)),
                        1 / 3, rel_tol=1e-15)
    assert float(soft_iou_loss(y, half, smooth=0.0, axis=None)) == 0.5
    # smooth = 1: Dice 1 - (2 + 1)/(2 + 1 + 1), IoU 1 - (1 + 1)/(2 + 1)
    assert float(dice_loss(y, half, axis=None)) == 0.25
    assert math.isclose(float(soft_iou_loss(y, half, axis=None)), 1 / 3,
                        rel_tol=1e-15)


@pytest.mark.parametrize("smooth", [0.0, 1.0])
@pytest.mark.parametrize("name", list(OVERLAP))
def test_empty_target_and_empty_prediction(name, smooth):
    # s / s = 1 for s > 0, and the limit s -> 0+ at s = 0: loss 0, no NaN
    fn = OVERLAP[name]
    empty = np.zeros((2, 3, 3))
    assert float(fn(empty, empty, smooth=smooth, axis=None)) == 0.0
    grad = GRADIENTS[fn](empty, empty, smooth=smooth, axis=None)
    if smooth == 0:
        # the loss jumps from 0 to 1 there: its gradient is taken as 0
        np.testing.assert_array_equal(grad, 0.0)
    else:
        # P / (P + s): slope 1/s per pixel, over 2 samples for the mean
        np.testing.assert_array_equal(grad, 0.5)
    # with smooth = 0 any prediction on an empty target is a total miss
    some = empty.copy()
    some[0, 0, 0] = 0.25
    got = fn(empty, some, smooth=0.0, axis=None, reduction="none")
    np.testing.assert_array_equal(got, [1.0, 0.0])


def test_per_class_average():
    # sample with two classes: class 0 perfect (0), class 1 disjoint (1)
    y = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    p = np.array([[[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]])
    for fn in (dice_loss, soft_iou_loss):
        assert float(fn(y, p, smooth=0.0)) == 0.5


def test_cross_entropy_iou_hand_value():
    # one pixel, two classes, equal logits: CE = ln 2; p = 1/2 gives IoU
    # losses 1 - (1/2)/1 and 1 - 0/(1/2), their mean 3/4
    got = float(cross_entropy_iou_loss_2d([[[0]]], [[[[0.0, 0.0]]]],
                                          smooth=0.0))
    assert math.isclose(got, (math.log(2) + 0.75) / 2, rel_tol=1e-15)


def test_cross_entropy_iou_absent_class_with_underflow():
    # class 2 absent, its probability e^-2000 underflows to 0: P / P = 1 is
    # still its exact IoU loss (softmax is never exactly 0)
    labels = np.array([[[0, 1]]])
    logits = np.array([[[[1000.0, 0.0, -1000.0], [0.0, 1000.0, -1000.0]]]])
    got = float(cross_entropy_iou_loss_2d(labels, logits, smooth=0.0))
    # CE ~ e^-1000 = 0; IoU losses: ~0, ~0 and 1, mean 1/3; half of it
    assert got == 1 / 6


# ---------------------------------------------------------------------------
# identities and properties
# ---------------------------------------------------------------------------

_probs = hnp.arrays(np.float64, (3, 5), elements=st.floats(0, 1))


@given(_probs, _probs)
def test_dice_is_2j_over_1_plus_j(y, p):
    # per class at smooth = 0: D = 2J / (1 + J)
    dice = 1 - dice_loss(y, p, smooth=0.0, axis=None, reduction="none")
    jac = 1 - soft_iou_loss(y, p, smooth=0.0, axis=None, reduction="none")
    np.testing.assert_allclose(dice, 2 * jac / (1 + jac), rtol=1e-12,
                               atol=1e-15)
    # J <= D, so the IoU loss is never below the Dice loss
    assert np.all(jac <= dice + 1e-15)


@given(_probs, _probs, st.floats(0, 10))
@pytest.mark.parametrize("name", list(OVERLAP))
def test_bounded_in_unit_interval(name, y, p, smooth):
    got = OVERLAP[name](y, p, smooth=smooth, axis=None, reduction="none")
    assert np.all((got >= 0) & (got <= 1))


@given(hnp.arrays(np.int64, (2, 3, 4), elements=st.integers(0, 2)))
@pytest.mark.parametrize("name", list(OVERLAP))
def test_zero_at_perfect_one_hot_prediction(name, labels):
    y = _one_hot(labels, 3)
    for smooth in (0.0, 1.0):
        assert np.all(OVERLAP[name](y, y, smooth=smooth,
                                    reduction="none") == 0)


@pytest.mark.parametrize("name", list(OVERLAP))
def test_class_axis_layouts_agree(name):
    fn = OVERLAP[name]
    y, p = _masks(31, (2, 3, 4, 5))
    expected = fn(y, p, reduction="none")
    channels_first = fn(np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1),
                        axis=1, reduction="none")
    np.testing.assert_allclose(channels_first, expected, rtol=1e-15)
    # axis=2 and its negative spelling
    mid = fn(np.moveaxis(y, -1, 2), np.moveaxis(p, -1, 2), axis=-2,
             reduction="none")
    np.testing.assert_allclose(mid, expected, rtol=1e-15)


def test_cross_entropy_iou_is_mean_of_its_parts():
    rng = np.random.default_rng(32)
    labels = rng.integers(0, 4, (3, 5, 6))
    logits = rng.normal(0, 2, (3, 5, 6, 4))
    ce = cross_entropy(labels, logits)
    iou = soft_iou_loss(_one_hot(labels, 4), softmax(logits, -1),
                        smooth=0.5)
    got = cross_entropy_iou_loss_2d(labels, logits, smooth=0.5)
    assert math.isclose(float(got), (ce + iou) / 2, rel_tol=1e-14)
    first = cross_entropy_iou_loss_2d(labels, np.moveaxis(logits, -1, 1),
                                      axis=1, smooth=0.5, reduction="none")
    np.testing.assert_allclose(
        first, cross_entropy_iou_loss_2d(labels, logits, smooth=0.5,
                                         reduction="none"), rtol=1e-15)


# ---------------------------------------------------------------------------
# reductions and dtypes
# ---------------------------------------------------------------------------

ALL = {**OVERLAP, "cross_entropy_iou_loss_2d": cross_entropy_iou_loss_2d}


def _args(name, seed=41, dtype=np.float64):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, (4, 2, 3))
    if name == "cross_entropy_iou_loss_2d":
        return labels, rng.normal(0, 2, (4, 2, 3, 3)).astype(dtype)
    p = rng.uniform(0.05, 0.95, (4, 2, 3, 3))
    return _one_hot(labels, 3).astype(dtype), p.astype(dtype)


@pytest.mark.parametrize("name", list(ALL))
def test_reductions(name):
    fn = ALL[name]
    y, p = _args(name)
    none = fn(y, p, reduction="none")
    assert none.shape == (4,)
    assert math.isclose(float(fn(y, p, reduction="sum")), float(none.sum()),
                        rel_tol=1e-15)
    assert math.isclose(float(fn(y, p, reduction="mean")),
                        float(none.mean()), rel_tol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(ALL))
def test_dtypes(name, reduction):
    fn = ALL[name]
    y, p = _args(name, dtype=np.float32)
    assert fn(y, p, reduction=reduction).dtype == np.float32
    assert GRADIENTS[fn](y, p, reduction=reduction).dtype == np.float32
    y64, p64 = _args(name)
    np.testing.assert_allclose(fn(y, p, reduction=reduction),
                               fn(y64, p64, reduction=reduction), rtol=1e-5)
    if name != "cross_entropy_iou_loss_2d":
        ints = (p64 > 0.5).astype(int)
        assert fn(y64.astype(bool), ints).dtype == np.float64


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [-1, 1, None])
@pytest.mark.parametrize("smooth", [0.0, 1.0])
@pytest.mark.parametrize("name", list(OVERLAP))
def test_overlap_gradient_matches_central_differences(name, smooth, axis,
                                                      reduction):
    fn = OVERLAP[name]
    y, p = _masks(51, (3, 2, 3, 3), soft=axis is None)
    p = 0.05 + 0.9 * p  # central differences stay inside [0, 1]
    if axis == 1:
        y, p = np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1)
    grad = GRADIENTS[fn](y, p, smooth=smooth, axis=axis,
                         reduction=reduction)
    assert grad.shape == p.shape

    def total(x):
        return float(np.sum(fn(y, x, smooth=smooth, axis=axis,
                               reduction=reduction)))

    np.testing.assert_allclose(grad, central_difference(total, p),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("smooth", [0.0, 1.0])
def test_cross_entropy_iou_gradient_matches_central_differences(
        smooth, axis, reduction):
    labels, logits = _args("cross_entropy_iou_loss_2d", seed=52)
    if axis == 1:
        logits = np.moveaxis(logits, -1, 1)
    fn = cross_entropy_iou_loss_2d
    grad = GRADIENTS[fn](labels, logits, smooth=smooth, axis=axis,
                         reduction=reduction)
    assert grad.shape == logits.shape

    def total(z):
        return float(np.sum(fn(labels, z, smooth=smooth, axis=axis,
                               reduction=reduction)))

    np.testing.assert_allclose(grad, central_difference(total, logits),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", list(OVERLAP))
def test_overlap_gradient_matches_sympy_derivative(name):
    y, p = _masks(53, (2, 4, 3), soft=True)
    smooth = 0.5
    grad = GRADIENTS[OVERLAP[name]](y, p, smooth=smooth, reduction="sum")
    d = getattr(sym, name)(4)
    exact = np.empty_like(p)
    for n, k, c in np.ndindex(p.shape):
        value = d.evaluate(*y[n, :, c], *p[n, :, c],
                           expr=d.derivative(d.wrt[k]), smooth=smooth)
        # the per-sample loss is the mean over the 3 classes
        exact[n, k, c] = float(value) / 3
    np.testing.assert_allclose(grad, exact, rtol=1e-12, atol=1e-16)


def test_cross_entropy_iou_gradient_matches_sympy_derivative():
    rng = np.random.default_rng(54)
    labels = rng.integers(0, 3, (2, 2))
    logits = rng.normal(0, 2, (2, 2, 3))
    grad = GRADIENTS[cross_entropy_iou_loss_2d](labels, logits, smooth=0.5,
                                                reduction="sum")
    exact = np.empty_like(logits)
    for j, (k, c) in enumerate(np.ndindex(2, 3)):
        values = _combined_oracle(labels, logits, 0.5, wrt=j)
        exact[:, k, c] = [float(v) for v in values]
    np.testing.assert_allclose(grad, exact, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("name", list(ALL))
def test_gradient_reductions(name):
    fn = ALL[name]
    y, p = _args(name, seed=55)
    g_sum = GRADIENTS[fn](y, p, reduction="sum")
    np.testing.assert_array_equal(GRADIENTS[fn](y, p, reduction="none"),
                                  g_sum)
    # "mean" averages the 4 samples
    np.testing.assert_allclose(GRADIENTS[fn](y, p, reduction="mean"),
                               g_sum / 4, rtol=1e-15)
    np.testing.assert_array_equal(
        lossbook.gradients.gradient(fn, y, p, reduction="sum"), g_sum)


def test_gradients_registry_covers_every_loss():
    assert set(GRADIENTS) == set(ALL.values())


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

_Y = np.array([[[1.0, 0.0], [0.0, 1.0]]])
_P = np.array([[[0.8, 0.2], [0.3, 0.7]]])

BAD_OVERLAP_INPUT = [
    ("shape", _Y, _P[..., :1], {}, ValueError, "same shape"),
    ("nan", _Y, np.where(_P > 0.5, np.nan, _P), {}, ValueError,
     "y_prob must be finite"),
    ("inf", np.where(_Y > 0, np.inf, 0), _P, {}, ValueError,
     "y_true must be finite"),
    ("prob>1", _Y, _P * 2, {}, ValueError, r"y_prob must hold prob"),
    ("prob<0", _Y - 0.5, _P, {}, ValueError, r"y_true must hold prob"),
    ("smooth<0", _Y, _P, {"smooth": -1.0}, ValueError,
     "smooth must be >= 0"),
    ("smooth-str", _Y, _P, {"smooth": "1"}, TypeError,
     "smooth must be a real"),
    ("axis-batch", _Y, _P, {"axis": 0}, ValueError,
     "axis must not be the batch axis 0 of y_prob"),
    ("axis-batch-neg", _Y, _P, {"axis": -3}, ValueError,
     r"batch axis 0 of y_prob \(axis=-3 is axis 0"),
    ("axis-range", _Y, _P, {"axis": 3}, ValueError, "axis must be in"),
    ("axis-float", _Y, _P, {"axis": 1.0}, TypeError,
     "axis must be an integer"),
    ("no-batch", 1.0, 0.5, {"axis": None}, ValueError,
     "y_prob must have a batch axis"),
    ("reduction", _Y, _P, {"reduction": "batchmean"}, ValueError,
     "reduction"),
    ("empty", np.zeros((0, 2)), np.zeros((0, 2)), {}, ValueError,
     "y_true must not be empty"),
    ("text", _Y, "mask", {}, TypeError, "y_prob must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "y", "p", "kwargs", "error", "match"), BAD_OVERLAP_INPUT,
    ids=[c[0] for c in BAD_OVERLAP_INPUT])
@pytest.mark.parametrize("name", list(OVERLAP))
def test_bad_overlap_input(name, case, y, p, kwargs, error, match):
    before = [np.array(a, copy=True) for a in (y, p)
              if not isinstance(a, str)]
    for fn in (OVERLAP[name], GRADIENTS[OVERLAP[name]]):
        with pytest.raises(error, match=match):
            fn(y, p, **kwargs)
    after = [np.asarray(a) for a in (y, p) if not isinstance(a, str)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


_L = np.array([[0, 1], [1, 1]])
_Z = np.zeros((2, 2, 2))

BAD_COMBINED_INPUT = [
    ("label-shape", _L[:1], _Z, {}, ValueError, "y_true must have shape"),
    ("probabilities", np.ones((2, 2, 2)) / 2, _Z, {}, ValueError,
     "y_true must have shape"),
    ("label-range", _L + 1, _Z, {}, ValueError,
     r"y_true must hold class labels in \[0, 2\)"),
    ("label-float", _L + 0.5, _Z, {}, ValueError,
     "y_true must hold integer class labels"),
    ("nan", _L, np.full((2, 2, 2), np.nan), {}, ValueError,
     "logits must be finite"),
    ("smooth<0", _L, _Z, {"smooth": -0.5}, ValueError,
     "smooth must be >= 0"),
    ("axis-batch", _L, _Z, {"axis": 0}, ValueError,
     "axis must not be the batch axis 0 of logits"),
    ("axis-none", _L, _Z, {"axis": None}, TypeError,
     "axis must be an integer"),
    ("reduction", _L, _Z, {"reduction": "all"}, ValueError, "reduction"),
    ("empty", np.zeros((0, 2), int), np.zeros((0, 2, 2)), {}, ValueError,
     "logits must not be empty"),
    ("text", _L, "logits", {}, TypeError, "logits must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "y", "z", "kwargs", "error", "match"), BAD_COMBINED_INPUT,
    ids=[c[0] for c in BAD_COMBINED_INPUT])
def test_bad_cross_entropy_iou_input(case, y, z, kwargs, error, match):
    before = [np.array(a, copy=True) for a in (y, z)
              if not isinstance(a, str)]
    fn = cross_entropy_iou_loss_2d
    for f in (fn, GRADIENTS[fn]):
        with pytest.raises(error, match=match):
            f(y, z, **kwargs)
    after = [np.asarray(a) for a in (y, z) if not isinstance(a, str)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(ALL))
def test_inputs_not_modified(name):
    y, p = _args(name, seed=61)
    y_copy, p_copy = y.copy(), p.copy()
    ALL[name](y, p, reduction="none")
    GRADIENTS[ALL[name]](y, p)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(p, p_copy)


def test_module_exports():
    assert set(lseg.__all__) == {"GRADIENTS", "cross_entropy_iou_loss_2d",
                                 "dice_loss", "soft_iou_loss"}
