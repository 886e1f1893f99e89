"""Tests for lossbook.overlap: Tversky, focal Tversky, generalized Dice
and Lovász-softmax.

The closed forms are checked against the 50-digit evaluation of
lossbook.symbolic.overlap (averaged over the classes at 50 digits); the
Lovász-softmax loss against the exact Lovász extension (an integral over
thresholds in rationals), which is itself checked against brute force
over all orderings.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from oracle import central_difference

import lossbook
from lossbook import overlap as lov
from lossbook.overlap import (
    GRADIENTS,
    focal_tversky_loss,
    generalized_dice_loss,
    lovasz_jaccard_gradient,
    lovasz_softmax_loss,
    tversky_loss,
)
from lossbook.segmentation import dice_loss, soft_iou_loss
from lossbook.symbolic import ORACLE_DIGITS
from lossbook.symbolic import overlap as sym

CLOSED = {"tversky_loss": tversky_loss,
          "focal_tversky_loss": focal_tversky_loss,
          "generalized_dice_loss": generalized_dice_loss}
REDUCTIONS = ("mean", "sum", "none")
PARAMS = {"tversky_loss": {"alpha": 0.3, "beta": 0.7},
          "focal_tversky_loss": {"alpha": 0.3, "beta": 0.7, "gamma": 0.75},
          "generalized_dice_loss": {}}


def _one_hot(labels, num_classes):
    return np.eye(num_classes)[labels]


def _masks(seed, shape=(4, 3, 3, 3), *, extreme=False, soft=False):
    rng = np.random.default_rng(seed)
    if soft:
        y = rng.uniform(size=shape)
    else:
        # every class present in every sample (generalized Dice's oracle)
        labels = rng.integers(0, shape[-1], shape[:-1])
        flat = labels.reshape(shape[0], -1)
        flat[:, :shape[-1]] = np.arange(shape[-1])
        y = _one_hot(labels, shape[-1])
    p = rng.uniform(size=shape)
    if extreme:
        tiny = rng.uniform(0, 1e-12, shape)
        p = np.where(rng.uniform(size=shape) < 0.7, np.abs(y - tiny),
                     1 - np.abs(y - tiny))
    return y, p


def _oracle(name, y, p, smooth, **params):
    """Per-sample 50-digit loss; class axis last."""
    n_pix = int(np.prod(y.shape[1:-1]))
    c = y.shape[-1]
    out = []
    with mpmath.workdps(ORACLE_DIGITS):
        if name == "generalized_dice_loss":
            d = sym.generalized_dice_loss(n_pix, c)
            for n in range(y.shape[0]):
                out.append(d.evaluate(*y[n].reshape(-1, c).ravel(),
                                      *p[n].reshape(-1, c).ravel(),
                                      smooth=smooth))
            return out
        d = getattr(sym, name)(n_pix)
        for n in range(y.shape[0]):
            per_class = [d.evaluate(*y[n, ..., k].ravel(),
                                    *p[n, ..., k].ravel(), smooth=smooth,
                                    **params) for k in range(c)]
            out.append(mpmath.fsum(per_class) / c)
    return out


# ---------------------------------------------------------------------------
# oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("smooth", [0.0, 1e-5, 1.0])
@pytest.mark.parametrize("regime", ["random", "extreme", "soft"])
@pytest.mark.parametrize("name", list(CLOSED))
def test_oracle_closed_forms(name, regime, smooth, ulp_report):
    seed = ["random", "extreme", "soft"].index(regime)
    y, p = _masks(seed, extreme=regime == "extreme", soft=regime == "soft")
    got = CLOSED[name](y, p, smooth=smooth, reduction="none", **PARAMS[name])
    ulp_report.check(name, got, _oracle(name, y, p, smooth, **PARAMS[name]),
                     max_ulp=4.0)


@pytest.mark.parametrize("name", ["tversky_loss", "focal_tversky_loss"])
def test_oracle_binary_masks_without_class_axis(name, ulp_report):
    y, p = _masks(21, (5, 4, 4, 1), extreme=True)
    got = CLOSED[name](y[..., 0], p[..., 0], smooth=0.0, axis=None,
                       reduction="none", **PARAMS[name])
    ulp_report.check(name, got, _oracle(name, y, p, 0.0, **PARAMS[name]),
                     max_ulp=4.0)


def _lovasz_oracle(labels, logits, classes="present", per_image=False):
    """Per image (or for the pooled batch) exact loss, class axis last."""
    c = logits.shape[-1]
    if per_image:
        return [sym.lovasz_softmax_loss(labels[i].ravel(),
                                        logits[i].reshape(-1, c), classes)
                for i in range(labels.shape[0])]
    return [sym.lovasz_softmax_loss(labels.ravel(), logits.reshape(-1, c),
                                    classes)]


def _as_mpf(values):
    return [mpmath.mpf(v.numerator) / v.denominator for v in values]


@pytest.mark.parametrize("classes", ["present", "all", [0, 2]])
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_oracle_lovasz_softmax(scale, per_image, classes, ulp_report):
    rng = np.random.default_rng(int(scale) + 3 * per_image)
    labels = rng.integers(0, 3, (3, 2, 3))
    labels[0] = 0  # classes 1 and 2 absent from image 0
    logits = rng.normal(0, scale, (3, 2, 3, 3))
    got = lovasz_softmax_loss(labels, logits, classes=classes,
                              per_image=per_image, reduction="none")
    with mpmath.workdps(ORACLE_DIGITS):
        exact = _as_mpf(_lovasz_oracle(labels, logits, classes, per_image))
    ulp_report.check("lovasz_softmax_loss", got, exact, max_ulp=4.0)


def test_lovasz_extension_thresholds_equal_orderings():
    # the integral over thresholds is the largest greedy sum over every
    # ordering: the Jaccard set loss is submodular
    rng = np.random.default_rng(7)
    for _ in range(12):
        n = int(rng.integers(1, 6))
        fg = list(rng.uniform(size=n) < 0.5)
        errors = list(np.round(rng.uniform(size=n), 2))  # with ties
        assert sym.lovasz_extension(errors, fg) == \
            sym.lovasz_extension_by_orderings(errors, fg)


def test_lovasz_extension_at_zero_one_errors_is_the_iou_loss():
    # binary errors: the extension is the set function itself
    fg = [True, True, False, False, True]
    for bits in itertools.product([0, 1], repeat=5):
        wrong = {i for i, b in enumerate(bits) if b}
        assert sym.lovasz_extension(list(bits), fg) == \
            sym.jaccard_set_loss(fg, wrong)


def test_lovasz_jaccard_gradient_increments():
    rng = np.random.default_rng(8)
    g = (rng.uniform(size=9) < 0.4).astype(float)
    got = lovasz_jaccard_gradient(g)
    fg = list(g > 0)
    prev = Fraction(0)
    for j in range(9):
        cur = sym.jaccard_set_loss(fg, set(range(j + 1)))
        # one rounding of an exact fraction: correctly rounded
        assert got[j] == float(cur - prev)
        prev = cur
    assert math.isclose(got.sum(), 1.0, rel_tol=1e-15)


def test_lovasz_binary_probabilities_give_iou_loss():
    # near one-hot logits: errors are 0 or 1 and the loss is 1 - IoU
    labels = np.array([[[0, 0, 1, 1]]])
    pred = np.array([[[0, 1, 1, 1]]])
    logits = 60.0 * (np.eye(2)[pred] - 0.5)
    got = float(lovasz_softmax_loss(labels, logits, per_image=True))
    # class 0: IoU 1/2, class 1: IoU 2/3; mean loss (1/2 + 1/3)/2
    assert math.isclose(got, 5 / 12, rel_tol=1e-12)


# ---------------------------------------------------------------------------
# identities
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("smooth", [0.0, 0.5, 1.0])
def test_tversky_special_cases(smooth):
    y, p = _masks(11, soft=True)
    half = tversky_loss(y, p, alpha=0.5, beta=0.5, smooth=smooth,
                        reduction="none")
    # TP + (FP + FN)/2 = (Y + P)/2: Dice with smoothing 2s
    np.testing.assert_allclose(
        half, dice_loss(y, p, smooth=2 * smooth, reduction="none"),
        rtol=1e-14)
    if smooth == 0:
        np.testing.assert_allclose(half, dice_loss(y, p, smooth=0.0,
                                                   reduction="none"),
                                   rtol=1e-14)
    else:
        assert np.all(half != dice_loss(y, p, smooth=smooth,
                                        reduction="none"))
    one = tversky_loss(y, p, alpha=1.0, beta=1.0, smooth=smooth,
                       reduction="none")
    np.testing.assert_allclose(
        one, soft_iou_loss(y, p, smooth=smooth, reduction="none"),
        rtol=1e-14)


def test_tversky_alpha_weights_false_positives():
    y = np.array([[1.0, 1.0, 0.0, 0.0]])
    over = np.array([[1.0, 1.0, 1.0, 1.0]])  # FP only
    under = np.array([[1.0, 0.0, 0.0, 0.0]])  # FN only
    kw = {"alpha": 0.2, "beta": 0.8, "smooth": 0.0, "axis": None}
    # FP = 2: 1 - 2/(2 + 0.4); FN = 1: 1 - 1/(1 + 0.8)
    assert math.isclose(float(tversky_loss(y, over, **kw)), 0.4 / 2.4,
                        rel_tol=1e-15)
    assert math.isclose(float(tversky_loss(y, under, **kw)), 0.8 / 1.8,
                        rel_tol=1e-15)


def test_focal_tversky_is_power_of_tversky():
    y, p = _masks(12, (3, 4, 1))
    t = tversky_loss(y[..., 0], p[..., 0], axis=None, reduction="none")
    for gamma in (0.5, 0.75, 1.0, 2.0):
        ft = focal_tversky_loss(y[..., 0], p[..., 0], gamma=gamma,
                                axis=None, reduction="none")
        np.testing.assert_allclose(ft, t ** gamma, rtol=1e-15)


def test_generalized_dice_absent_class_rule():
    # sample 0: class 2 absent -> weight max(1/2^2, 1/2^2) = 1/4 as well;
    # sample 1: only class 0 present
    y = _one_hot(np.array([[0, 0, 1, 1], [0, 0, 0, 0]]), 3)
    p = np.full(y.shape, 1 / 3)
    got = generalized_dice_loss(y, p, smooth=0.0, reduction="none")
    # sample 0: w = 1/4 each; num sum w(Y+P-2I) = (1/4)(2 + 4/3 - 4/3)*2
    # + (1/4)(4/3); den (1/4)(2 + 4/3)*2 + (1/4)(4/3)
    num0 = 0.25 * (2 + 4 / 3 - 4 / 3) * 2 + 0.25 * 4 / 3
    den0 = 0.25 * (2 + 4 / 3) * 2 + 0.25 * 4 / 3
    # sample 1: w0 = 1/16 and the absent classes get 1/16 too
    num1 = (4 + 4 / 3 - 8 / 3) + 4 / 3 + 4 / 3
    den1 = (4 + 4 / 3) + 4 / 3 + 4 / 3
    np.testing.assert_allclose(got, [num0 / den0, num1 / den1], rtol=1e-15)
    # nothing present at all: weights 0, loss 0 (s/s, or its limit)
    empty = np.zeros((1, 4, 2))
    for smooth in (0.0, 1e-5):
        assert float(generalized_dice_loss(empty, np.full((1, 4, 2), 0.5),
                                           smooth=smooth)) == 0.0


def test_perfect_prediction_is_zero():
    y, _ = _masks(13)
    for name, fn in CLOSED.items():
        assert np.all(fn(y, y, smooth=0.0, reduction="none",
                         **PARAMS[name]) == 0)


@pytest.mark.parametrize("name", list(CLOSED))
def test_class_axis_layouts_agree(name):
    fn = CLOSED[name]
    y, p = _masks(31, (2, 3, 4, 5))
    expected = fn(y, p, reduction="none", **PARAMS[name])
    first = fn(np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1), axis=1,
               reduction="none", **PARAMS[name])
    np.testing.assert_allclose(first, expected, rtol=1e-15)
    mid = fn(np.moveaxis(y, -1, 2), np.moveaxis(p, -1, 2), axis=-2,
             reduction="none", **PARAMS[name])
    np.testing.assert_allclose(mid, expected, rtol=1e-15)


def test_lovasz_layouts_and_pooling():
    rng = np.random.default_rng(32)
    labels = rng.integers(0, 3, (2, 3, 4))
    logits = rng.normal(0, 2, (2, 3, 4, 3))
    for per_image in (False, True):
        a = lovasz_softmax_loss(labels, logits, per_image=per_image)
        b = lovasz_softmax_loss(labels, np.moveaxis(logits, -1, 1), axis=1,
                                per_image=per_image)
        assert math.isclose(float(a), float(b), rel_tol=1e-15)
    # one image: per image and per batch agree
    one = lovasz_softmax_loss(labels[:1], logits[:1])
    assert float(one) == float(lovasz_softmax_loss(labels[:1], logits[:1],
                                                   per_image=True))
    assert lovasz_softmax_loss(labels, logits,
                               reduction="none").shape == (1,)


# ---------------------------------------------------------------------------
# reductions and dtypes
# ---------------------------------------------------------------------------

ALL = {**CLOSED, "lovasz_softmax_loss": lovasz_softmax_loss}


def _args(name, seed=41, dtype=np.float64):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, (4, 2, 3))
    if name == "lovasz_softmax_loss":
        return labels, rng.normal(0, 2, (4, 2, 3, 3)).astype(dtype)
    p = rng.uniform(0.05, 0.95, (4, 2, 3, 3))
    return _one_hot(labels, 3).astype(dtype), p.astype(dtype)


def _kw(name):
    return {"per_image": True} if name == "lovasz_softmax_loss" else {}


@pytest.mark.parametrize("name", list(ALL))
def test_reductions(name):
    fn = ALL[name]
    y, p = _args(name)
    none = fn(y, p, reduction="none", **_kw(name))
    assert none.shape == (4,)
    assert math.isclose(float(fn(y, p, reduction="sum", **_kw(name))),
                        float(none.sum()), rel_tol=1e-15)
    assert math.isclose(float(fn(y, p, **_kw(name))), float(none.mean()),
                        rel_tol=1e-15)


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
    if name != "lovasz_softmax_loss":
        ints = (p64 > 0.5).astype(int)
        assert fn(y64.astype(bool), ints).dtype == np.float64


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [-1, 1, None])
@pytest.mark.parametrize("smooth", [0.0, 1.0])
@pytest.mark.parametrize("name", list(CLOSED))
def test_closed_form_gradient_matches_central_differences(name, smooth,
                                                          axis, reduction):
    fn = CLOSED[name]
    y, p = _masks(51, (3, 2, 3, 3), soft=axis is None)
    p = 0.05 + 0.9 * p
    if axis == 1:
        y, p = np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1)
    kw = {"smooth": smooth, "axis": axis, "reduction": reduction,
          **PARAMS[name]}
    grad = GRADIENTS[fn](y, p, **kw)
    assert grad.shape == p.shape

    def total(x):
        return float(np.sum(fn(y, x, **kw)))

    np.testing.assert_allclose(grad, central_difference(total, p),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["tversky_loss", "focal_tversky_loss"])
def test_gradient_matches_sympy_derivative(name):
    y, p = _masks(53, (2, 4, 3), soft=True)
    grad = GRADIENTS[CLOSED[name]](y, p, smooth=0.5, reduction="sum",
                                   **PARAMS[name])
    d = getattr(sym, name)(4)
    exact = np.empty_like(p)
    for n, k, c in np.ndindex(p.shape):
        value = d.evaluate(*y[n, :, c], *p[n, :, c],
                           expr=d.derivative(d.wrt[k]), smooth=0.5,
                           **PARAMS[name])
        exact[n, k, c] = float(value) / 3
    np.testing.assert_allclose(grad, exact, rtol=1e-12, atol=1e-16)


def test_generalized_dice_gradient_matches_sympy_derivative():
    y, p = _masks(54, (1, 3, 2))
    grad = GRADIENTS[generalized_dice_loss](y, p, smooth=0.5,
                                            reduction="sum")
    d = sym.generalized_dice_loss(3, 2)
    for j, (k, c) in enumerate(np.ndindex(3, 2)):
        value = d.evaluate(*y[0].ravel(), *p[0].ravel(),
                           expr=d.derivative(d.wrt[j]), smooth=0.5)
        assert math.isclose(grad[0, k, c], float(value), rel_tol=1e-12)


def test_focal_tversky_gradient_at_perfect_class():
    y = np.array([[1.0, 0.0, 1.0]])
    for gamma, expected in ((0.75, 0.0), (2.0, 0.0)):
        g = GRADIENTS[focal_tversky_loss](y, y, gamma=gamma, smooth=0.0,
                                          axis=None)
        np.testing.assert_array_equal(g, expected)
    # gamma = 1 is Tversky's own gradient
    np.testing.assert_array_equal(
        GRADIENTS[focal_tversky_loss](y, y, gamma=1.0, smooth=0.0,
                                      axis=None),
        GRADIENTS[tversky_loss](y, y, smooth=0.0, axis=None))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("classes", ["present", "all", [1, 2]])
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("axis", [-1, 1])
def test_lovasz_gradient_matches_central_differences(axis, per_image,
                                                     classes, reduction):
    # random logits: no two errors tie, the loss is linear near the point
    rng = np.random.default_rng(55)
    labels = rng.integers(0, 3, (2, 3, 3))
    labels[0] = 0
    logits = rng.normal(0, 2, (2, 3, 3, 3))
    if axis == 1:
        logits = np.moveaxis(logits, -1, 1)
    kw = {"axis": axis, "classes": classes, "per_image": per_image,
          "reduction": reduction}
    grad = GRADIENTS[lovasz_softmax_loss](labels, logits, **kw)
    assert grad.shape == logits.shape

    def total(z):
        return float(np.sum(lovasz_softmax_loss(labels, z, **kw)))

    np.testing.assert_allclose(grad, central_difference(total, logits),
                               rtol=1e-6, atol=1e-9)


def test_lossbook_gradient_dispatches():
    for name, fn in ALL.items():
        y, p = _args(name, seed=56)
        np.testing.assert_array_equal(lossbook.gradient(fn, y, p),
                                      GRADIENTS[fn](y, p))


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
    ("prob>1", _Y, _P * 2, {}, ValueError, r"y_prob must hold prob"),
    ("prob<0", _Y - 0.5, _P, {}, ValueError, r"y_true must hold prob"),
    ("smooth<0", _Y, _P, {"smooth": -1.0}, ValueError,
     "smooth must be >= 0"),
    ("axis-batch", _Y, _P, {"axis": 0}, ValueError,
     "must not be the batch axis 0"),
    ("axis-range", _Y, _P, {"axis": 3}, ValueError, "axis must be in"),
    ("reduction", _Y, _P, {"reduction": "batchmean"}, ValueError,
     "reduction"),
    ("empty", np.zeros((0, 2)), np.zeros((0, 2)), {}, ValueError,
     "y_true must not be empty"),
    ("text", _Y, "mask", {}, TypeError, "y_prob must be a numeric"),
]
BAD_TVERSKY = [
    ("alpha<0", _Y, _P, {"alpha": -0.1}, ValueError, "alpha must be >= 0"),
    ("beta<0", _Y, _P, {"beta": -1}, ValueError, "beta must be >= 0"),
    ("beta-str", _Y, _P, {"beta": "0.5"}, TypeError,
     "beta must be a real"),
]


def _raises_without_modifying(fns, y, p, kwargs, error, match):
    before = [np.array(a, copy=True) for a in (y, p)
              if not isinstance(a, str)]
    for fn in fns:
        with pytest.raises(error, match=match):
            fn(y, p, **kwargs)
    after = [np.asarray(a) for a in (y, p) if not isinstance(a, str)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("case", "y", "p", "kwargs", "error", "match"), BAD_OVERLAP_INPUT,
    ids=[c[0] for c in BAD_OVERLAP_INPUT])
@pytest.mark.parametrize("name", list(CLOSED))
def test_bad_overlap_input(name, case, y, p, kwargs, error, match):
    fn = CLOSED[name]
    _raises_without_modifying((fn, GRADIENTS[fn]), y, p, kwargs, error,
                              match)


@pytest.mark.parametrize(
    ("case", "y", "p", "kwargs", "error", "match"), BAD_TVERSKY,
    ids=[c[0] for c in BAD_TVERSKY])
@pytest.mark.parametrize("name", ["tversky_loss", "focal_tversky_loss"])
def test_bad_tversky_weights(name, case, y, p, kwargs, error, match):
    fn = CLOSED[name]
    _raises_without_modifying((fn, GRADIENTS[fn]), y, p, kwargs, error,
                              match)


@pytest.mark.parametrize("gamma", [0.0, -1.0])
def test_focal_tversky_gamma_must_be_positive(gamma):
    with pytest.raises(ValueError, match="gamma must be > 0"):
        focal_tversky_loss(_Y, _P, gamma=gamma)


_L = np.array([[0, 1], [1, 1]])
_Z = np.zeros((2, 2, 2))

BAD_LOVASZ = [
    ("label-shape", _L[:1], _Z, {}, ValueError, "y_true must have shape"),
    ("label-range", _L + 1, _Z, {}, ValueError,
     r"y_true must hold class labels in \[0, 2\)"),
    ("nan", _L, np.full((2, 2, 2), np.nan), {}, ValueError,
     "logits must be finite"),
    ("axis-batch", _L, _Z, {"axis": 0}, ValueError,
     "must not be the batch axis 0"),
    ("classes-word", _L, _Z, {"classes": "some"}, ValueError,
     "classes must be one of"),
    ("classes-empty", _L, _Z, {"classes": []}, ValueError,
     "classes must not be empty"),
    ("classes-range", _L, _Z, {"classes": [0, 2]}, ValueError,
     "classes must be <= 1"),
    ("classes-float", _L, _Z, {"classes": [0.0]}, TypeError,
     "classes must be an integer"),
    ("classes-int", _L, _Z, {"classes": 1}, TypeError,
     "classes must be"),
    ("per-image", _L, _Z, {"per_image": 1}, TypeError,
     "per_image must be True or False"),
    ("reduction", _L, _Z, {"reduction": "all"}, ValueError, "reduction"),
    ("text", _L, "logits", {}, TypeError, "logits must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "y", "z", "kwargs", "error", "match"), BAD_LOVASZ,
    ids=[c[0] for c in BAD_LOVASZ])
def test_bad_lovasz_input(case, y, z, kwargs, error, match):
    for fn in (lovasz_softmax_loss, GRADIENTS[lovasz_softmax_loss]):
        with pytest.raises(error, match=match):
            fn(y, z, **kwargs)


@pytest.mark.parametrize("name", list(ALL))
def test_inputs_not_modified(name):
    y, p = _args(name, seed=61)
    y_copy, p_copy = y.copy(), p.copy()
    ALL[name](y, p, reduction="none")
    GRADIENTS[ALL[name]](y, p)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(p, p_copy)


def test_module_exports():
    assert set(lov.__all__) == {
        "GRADIENTS", "focal_tversky_loss", "generalized_dice_loss",
        "lovasz_jaccard_gradient", "lovasz_softmax_loss", "tversky_loss"}
