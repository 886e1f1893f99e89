"""Property tests for the box functions over the whole finite float range.

Valid boxes are drawn in float64, float32 and both in non-native byte
order, with coordinates anywhere in the finite range (subnormals, zero,
values next to the largest float), and in several memory layouts
(contiguous, strided, Fortran order, read-only, zero-stride broadcast).
Each call must give no NaN, no warning, keep float32 as float32, leave its
inputs untouched and agree with a 60-digit mpmath evaluation wherever that
is representable. Invalid boxes must raise a ValueError naming the
argument.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

import lossbook
from lossbook.boxes import (
    box_convert,
    box_iou,
    ciou_loss,
    diou_loss,
    generalized_box_iou,
    giou_loss,
    iou_loss,
)

mp = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
mp.dps = 60

DTYPES = ("float64", "float32", ">f8", ">f4")
LAYOUTS = ("contiguous", "strided", "fortran", "readonly", "broadcast")
LOSSES = {"iou_loss": iou_loss, "giou_loss": giou_loss,
          "diou_loss": diou_loss, "ciou_loss": ciou_loss}
# a fixed budget, so that the run is reproducible and short; no shrinking,
# so that a failing run is as short as a passing one (the example is
# reported as drawn)
BUDGET = settings(max_examples=30, deadline=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate])


def _coordinate(dtype: str) -> st.SearchStrategy[float]:
    width = 8 * np.dtype(dtype).itemsize
    anywhere = st.floats(allow_nan=False, allow_infinity=False, width=width)
    # a small grid makes touching, nested, identical and flat boxes common
    grid = st.integers(-4, 4).map(float)
    return st.one_of(anywhere, grid)


@st.composite
def _boxes(draw, dtype: str, n: int | None = None):
    """``(n, 4)`` valid xyxy boxes of ``dtype`` (as float64 values)."""
    n = draw(st.integers(1, 4)) if n is None else n
    c = _coordinate(dtype)
    rows = []
    for _ in range(n):
        x1, x2 = sorted(draw(st.tuples(c, c)))
        y1, y2 = sorted(draw(st.tuples(c, c)))
        rows.append([x1, y1, x2, y2])
    return np.array(rows, dtype=np.dtype(dtype).newbyteorder("="))


def _layout(values: np.ndarray, dtype: str, layout: str) -> np.ndarray:
    """``values`` as an array of ``dtype`` in one memory layout."""
    arr = values.astype(dtype)
    if layout == "strided":
        big = np.zeros((2 * arr.shape[0], 4), dtype)
        big[::2] = arr
        return big[::2]
    if layout == "fortran":
        return np.asfortranarray(arr)
    if layout == "readonly":
        arr.flags.writeable = False
        return arr
    if layout == "broadcast":
        return np.broadcast_to(arr[:1], arr.shape)
    return arr


def _materialised(arr: np.ndarray) -> np.ndarray:
    return np.array(arr, dtype=np.float64)


# ---------------------------------------------------------------------------
# the reference: the plain definitions in exact rational arithmetic
# ---------------------------------------------------------------------------

# Areas and lengths are sums and products of the coordinates, so they are
# computed exactly as fractions; only the angle of CIoU needs mpmath. The
# ratios are formed as fractions too: a 60-digit ``1 - I / (U + eps)``
# keeps only 13 digits when the loss is 1e-47 (an identical pair of
# 1e16 by 1e23 boxes with eps = 1e-7), which once passed for a 12-ulp
# error of the package.


def _mp(x) -> mpmath.mpf:
    x = Fraction(x)
    return mp.mpf(x.numerator) / x.denominator


def _ref_parts(t, p):
    tx1, ty1, tx2, ty2 = (Fraction(float(v)) for v in t)
    px1, py1, px2, py2 = (Fraction(float(v)) for v in p)
    iw = max(Fraction(0), min(tx2, px2) - max(tx1, px1))
    ih = max(Fraction(0), min(ty2, py2) - max(ty1, py1))
    inter = iw * ih
    union = (tx2 - tx1) * (ty2 - ty1) + (px2 - px1) * (py2 - py1) - inter
    cw = max(tx2, px2) - min(tx1, px1)
    ch = max(ty2, py2) - min(ty1, py1)
    centre2 = ((px1 + px2 - tx1 - tx2) / 2) ** 2 + (
        (py1 + py2 - ty1 - ty2) / 2) ** 2
    angle_t = mp.atan2(_mp(tx2 - tx1), _mp(ty2 - ty1))
    angle_p = mp.atan2(_mp(px2 - px1), _mp(py2 - py1))
    return inter, union, cw * ch, cw**2 + ch**2, centre2, angle_t - angle_p


def _q(num, den):
    """num / den with 0/0 taken as 0, the package's limit rule."""
    return Fraction(0) if den == 0 else Fraction(num) / den


def _ref_loss(name, t, p, eps):
    inter, union, area, diag2, centre2, gap = _ref_parts(t, p)
    e = Fraction(eps)
    # 1 - I / (U + eps), without the cancellation
    iou_term = (Fraction(1) if union + e == 0
                else (union - inter + e) / (union + e))
    if name == "iou_loss":
        return iou_term
    if name == "giou_loss":
        return iou_term + _q(area - union, area + e)
    value = iou_term + _q(centre2, diag2 + e)
    if name == "diou_loss":
        return value
    v = 4 / mp.pi**2 * gap**2
    den = _mp(iou_term + e) + v
    return _mp(value) + (0 if den == 0 else v * v / den)


def _ref_pairwise(t, p, generalized):
    inter, union, area, *_ = _ref_parts(t, p)
    iou = _q(inter, union)
    return iou - _q(area - union, area) if generalized else iou


def _assert_close(actual, exact, dtype, *, atol=0.0, inputs=()):
    """``actual`` within a few ulp of ``exact`` (when representable)."""
    where = [np.asarray(a).tolist() for a in inputs]
    info = np.finfo(np.dtype(dtype))
    for a, e in zip(np.ravel(actual), exact, strict=True):
        if abs(e) > info.max:
            continue  # not representable: any result is a rounding
        assert np.isfinite(a), (a, e)
        tol = 8 * float(info.eps) * abs(float(e)) + atol + float(
            info.smallest_subnormal)
        assert abs(float(a) - float(e)) <= tol, (float(a), float(e), where)


def _call_quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def _result_dtype(*dtypes):
    return (np.float32 if all(np.dtype(d).itemsize == 4 for d in dtypes)
            else np.float64)


# ---------------------------------------------------------------------------
# valid input
# ---------------------------------------------------------------------------


@st.composite
def _loss_case(draw):
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(1, 3))
    bt = draw(_boxes(dtype, n))
    bp = draw(_boxes(dtype, n))
    layouts = draw(st.tuples(st.sampled_from(LAYOUTS),
                             st.sampled_from(LAYOUTS)))
    eps = draw(st.sampled_from([0.0, 1e-7, 1.0, 1e308]))
    return dtype, _layout(bt, dtype, layouts[0]), _layout(
        bp, dtype, layouts[1]), eps


# identical 2.8e16 by 1.2e23 boxes between two points: the loss is
# eps / (U + eps) = 3.07e-47, where a reference that forms 1 - I/(U + eps)
# in 60 digits is 12 ulp off (found in the full unit run)
_FLAT = np.array([[0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 2.8054919988650264e16, 1.161505135239676e23],
                  [0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", LOSSES)
@BUDGET
@given(case=_loss_case())
@example(case=("float64", _FLAT, _FLAT.copy(), 1e-7))
def test_losses_on_the_whole_finite_range(name, case):
    dtype, bt, bp, eps = case
    before = (_materialised(bt), _materialised(bp))
    got = _call_quietly(LOSSES[name], bt, bp, eps=eps, reduction="none")
    mean = _call_quietly(LOSSES[name], bt, bp, eps=eps)
    assert got.dtype == _result_dtype(dtype) == mean.dtype
    assert not np.isnan(got).any() and not np.isnan(mean)
    np.testing.assert_array_equal(_materialised(bt), before[0])
    np.testing.assert_array_equal(_materialised(bp), before[1])
    exact = [_ref_loss(name, t, p, eps)
             for t, p in zip(before[0], before[1], strict=True)]
    _assert_close(got, exact, _result_dtype(dtype), inputs=before)


@pytest.mark.parametrize("generalized", [False, True])
@BUDGET
@given(dtype=st.sampled_from(DTYPES), data=st.data(),
       layouts=st.tuples(st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS)))
def test_pairwise_on_the_whole_finite_range(generalized, dtype, data,
                                            layouts):
    b1 = _layout(data.draw(_boxes(dtype)), dtype, layouts[0])
    b2 = _layout(data.draw(_boxes(dtype)), dtype, layouts[1])
    before = (_materialised(b1), _materialised(b2))
    fn = generalized_box_iou if generalized else box_iou
    got = _call_quietly(fn, b1, b2)
    assert got.shape == (b1.shape[0], b2.shape[0])
    assert got.dtype == _result_dtype(dtype)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(_materialised(b1), before[0])
    np.testing.assert_array_equal(_materialised(b2), before[1])
    exact = [_ref_pairwise(t, p, generalized)
             for t in before[0] for p in before[1]]
    # GIoU subtracts two ratios: a few ulp of 1, not of the result
    eps = float(np.finfo(_result_dtype(dtype)).eps)
    _assert_close(got, exact, _result_dtype(dtype), atol=8 * eps)


FORMATS = ("xyxy", "xywh", "cxcywh")


@BUDGET
@given(dtype=st.sampled_from(DTYPES), data=st.data(),
       fmts=st.tuples(st.sampled_from(FORMATS), st.sampled_from(FORMATS)),
       layout=st.sampled_from(LAYOUTS))
def test_box_convert_on_the_whole_finite_range(dtype, data, fmts, layout):
    xyxy = data.draw(_boxes(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sizes may overflow here
        start = box_convert(xyxy.astype(np.dtype(dtype).newbyteorder("=")),
                            "xyxy", fmts[0])
    if not np.isfinite(start).all():
        return  # a size beyond the range: not a valid box in fmts[0]
    boxes = _layout(start, dtype, layout)
    before = _materialised(boxes)
    got = _call_quietly(box_convert, boxes, *fmts)
    assert got.dtype == _result_dtype(dtype)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(_materialised(boxes), before)
    exact = [_exact_convert(b, *fmts) for b in before]
    _assert_close(got, [v for row in exact for v in row],
                  _result_dtype(dtype))


def _exact_convert(box, in_fmt, out_fmt):
    a, c, s, t = (mp.mpf(float(v)) for v in box)
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, c, a + s, c + t
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - s / 2, c - t / 2, a + s / 2, c + t / 2
    else:
        x1, y1, x2, y2 = a, c, s, t
    if out_fmt == "xyxy":
        return [x1, y1, x2, y2]
    if out_fmt == "xywh":
        return [x1, y1, x2 - x1, y2 - y1]
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]


# ---------------------------------------------------------------------------
# gradients: finite wherever the loss is
# ---------------------------------------------------------------------------


@st.composite
def _gradient_case(draw):
    """Boxes on a grid (touching, nested, identical and zero-width boxes
    are common), scaled by a power of two from tiny to huge."""
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(1, 3))
    grid = st.integers(-3, 3)

    def box():
        x1, x2 = sorted(draw(st.tuples(grid, grid)))
        y1, y2 = sorted(draw(st.tuples(grid, grid)))
        return [x1, y1, x2, y2]

    low, high = (-100, 100) if np.dtype(dtype).itemsize == 4 else (-900,
                                                                   900)
    scale = 2.0 ** draw(st.integers(low, high))
    bt = np.array([box() for _ in range(n)], dtype=float) * scale
    bp = np.array([box() for _ in range(n)], dtype=float) * scale
    eps = draw(st.sampled_from([0.0, 1e-7, 1e308]))
    return dtype, bt.astype(dtype), bp.astype(dtype), eps


@pytest.mark.parametrize("name", LOSSES)
@BUDGET
@given(case=_gradient_case())
def test_gradients_finite_on_kinks_and_degenerate_boxes(name, case):
    dtype, bt, bp, eps = case
    loss = LOSSES[name]
    for reduction in ("none", "mean"):
        value = _call_quietly(loss, bt, bp, eps=eps, reduction=reduction)
        grad = _call_quietly(lossbook.gradient, loss, bt, bp, eps=eps,
                             reduction=reduction)
        assert grad.shape == bt.shape
        assert grad.dtype == _result_dtype(dtype)
        assert np.isfinite(value).all()
        assert np.isfinite(grad).all(), (bt, bp, grad)


def test_huge_eps_gives_the_exact_value():
    # eps = 1e308 swamps every area: I/(U + eps) = 0, the penalty ratios
    # vanish, and the loss is exactly 1 (it was NaN)
    bt, bp = [[0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 3.0]]
    for loss in LOSSES.values():
        assert _call_quietly(loss, bt, bp, eps=1e308) == 1.0


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

_BAD = st.sampled_from(["x2<x1", "y2<y1", "nan", "inf", "shape", "empty"])


def _corrupt(boxes: np.ndarray, how: str) -> np.ndarray:
    bad = np.array(boxes, dtype=float)
    if how == "x2<x1":
        bad[0] = [1.0, 0.0, 0.0, 1.0]
    elif how == "y2<y1":
        bad[0] = [0.0, 1.0, 1.0, 0.0]
    elif how == "nan":
        bad[0, 1] = np.nan
    elif how == "inf":
        bad[0, 3] = np.inf
    elif how == "shape":
        bad = bad[:, :3]
    else:
        bad = bad[:0]
    return bad


@pytest.mark.parametrize("name", LOSSES)
@BUDGET
@given(data=st.data(), how=_BAD, which=st.sampled_from([0, 1]))
def test_invalid_boxes_raise_naming_the_argument(name, data, how, which):
    boxes = [data.draw(_boxes("float64", 2)), data.draw(_boxes("float64", 2))]
    boxes[which] = _corrupt(boxes[which], how)
    arg = ("boxes_true", "boxes_pred")[which]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=arg):
            LOSSES[name](*boxes)
        with pytest.raises(ValueError, match=arg):
            lossbook.gradient(LOSSES[name], *boxes)
        pair = ("boxes1", "boxes2")[which]
        for fn in (box_iou, generalized_box_iou):
            with pytest.raises(ValueError, match=pair):
                fn(*boxes)
        if which == 0:
            with pytest.raises(ValueError, match="boxes"):
                box_convert(boxes[0], "xyxy", "cxcywh")
