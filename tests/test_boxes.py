"""Tests for lossbook.boxes: box_convert, box_iou, generalized_box_iou and
the IoU, GIoU, DIoU and CIoU losses.

Golden values are plane geometry worked by hand (each has a comment); the
oracle is the 50-digit evaluation of lossbook.symbolic.boxes.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import central_difference

import lossbook
from lossbook import boxes as lb
from lossbook.boxes import (
    GRADIENTS,
    box_convert,
    box_iou,
    ciou_loss,
    diou_loss,
    generalized_box_iou,
    giou_loss,
    iou_loss,
)
from lossbook.symbolic import boxes as sym

LOSSES = {"iou_loss": iou_loss, "giou_loss": giou_loss,
          "diou_loss": diou_loss, "ciou_loss": ciou_loss}
NAMES = tuple(LOSSES)
REDUCTIONS = ("mean", "sum", "none")
FORMATS = ("xyxy", "xywh", "cxcywh")


def _boxes(rng, n, *, size=1.0, offset=0.0):
    """Random xyxy boxes: corners in [offset, offset + 10 size), sides up to
    5 size."""
    corner = offset + rng.uniform(0, 10 * size, (n, 2))
    side = rng.uniform(0, 5 * size, (n, 2))
    return np.concatenate([corner, corner + side], axis=-1)


def _oracle(name, bt, bp, eps, *, wrt=None):
    """Exact loss (or derivative in one predicted coordinate) per box."""
    d = getattr(sym, name)()
    expr = None if wrt is None else d.derivative(d.wrt[wrt])
    return [d.evaluate(*t, *p, expr=expr, eps=eps)
            for t, p in zip(bt.reshape(-1, 4), bp.reshape(-1, 4),
                            strict=True)]


# ---------------------------------------------------------------------------
# oracle: values against the 50-digit SymPy definition
# ---------------------------------------------------------------------------

# (size, offset) of the random boxes: ordinary, tiny boxes near 0, tiny
# boxes at 1e6 (sides ~1e-6 next to coordinates ~1e6) and huge boxes
REGIMES = {
    "unit": (1.0, 0.0),
    "tiny": (1e-6, 0.0),
    "tiny-far": (1e-6, 1e6),
    "huge": (1e6, 0.0),
}


@pytest.mark.parametrize("eps", [0.0, 1e-7])
@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("name", NAMES)
def test_oracle_random_boxes(name, regime, eps, ulp_report):
    size, offset = REGIMES[regime]
    rng = np.random.default_rng(
        [NAMES.index(name), list(REGIMES).index(regime)])
    bt = _boxes(rng, 24, size=size, offset=offset)
    bp = _boxes(rng, 24, size=size, offset=offset)
    # a third nearly identical: 1 - IoU and C - U are then tiny, where a
    # naive subtraction would lose most digits
    bp[:8] = bt[:8] + rng.normal(0, 1e-4 * size, (8, 4))
    bp[:8, 2:] = np.maximum(bp[:8, 2:], bp[:8, :2])
    actual = LOSSES[name](bt, bp, eps=eps, reduction="none")
    ulp_report.check(name, actual, _oracle(name, bt, bp, eps))


@pytest.mark.parametrize("name", NAMES)
def test_oracle_thin_and_contained_boxes(name, ulp_report):
    rng = np.random.default_rng(7)
    bt = _boxes(rng, 12)
    bp = _boxes(rng, 12)
    bp[:4, 2] = bp[:4, 0]  # zero-width predictions
    bp[4:8, 3] = bp[4:8, 1]  # zero-height predictions
    # predictions strictly inside the target: C = U, and C - U = 0
    bp[8:] = bt[8:] + np.array([0.25, 0.25, -0.25, -0.25]) * (
        np.tile(bt[8:, 2:] - bt[8:, :2], 2))
    actual = LOSSES[name](bt, bp, eps=0.0, reduction="none")
    ulp_report.check(name, actual, _oracle(name, bt, bp, 0.0))


# ---------------------------------------------------------------------------
# golden values by hand
# ---------------------------------------------------------------------------

UNIT = [0.0, 0.0, 1.0, 1.0]
TWO = [0.0, 0.0, 2.0, 2.0]


@pytest.mark.parametrize("name", NAMES)
def test_identical_boxes_give_zero(name):
    bt = np.array([UNIT, TWO, [3.0, -1.0, 7.5, 2.0]])
    assert np.all(LOSSES[name](bt, bt, eps=0.0, reduction="none") == 0)


def test_iou_loss_hand_values():
    # a 1x1 box in the corner of a 2x2 box: IoU = 1/4, loss 3/4;
    # unit boxes sharing an edge or a corner: IoU 0, loss 1
    got = iou_loss([TWO, UNIT, UNIT],
                   [UNIT, [1.0, 0.0, 2.0, 1.0], [1.0, 1.0, 2.0, 2.0]],
                   eps=0.0, reduction="none")
    np.testing.assert_array_equal(got, [0.75, 1.0, 1.0])


def test_giou_loss_hand_values():
    # quarter inside: C = U, so 3/4 as for IoU; shared edge: C = U = 2,
    # loss 1; shared corner: C = 4, U = 2, loss 1 + 2/4 (torchvision's
    # "corners" case); one unit apart: C = 3, U = 2, loss 1 + 1/3
    got = giou_loss([TWO, UNIT, UNIT, UNIT],
                    [UNIT, [1.0, 0.0, 2.0, 1.0], [1.0, 1.0, 2.0, 2.0],
                     [2.0, 0.0, 3.0, 1.0]], eps=0.0, reduction="none")
    np.testing.assert_allclose(got, [0.75, 1.0, 1.5, 4 / 3], rtol=1e-15)


def test_giou_loss_of_distant_boxes_tends_to_two():
    # unit boxes d apart on the diagonal: C = (d + 1)^2, U = 2, so the loss
    # is 2 - 2/(d + 1)^2
    for d in (10.0, 1e3, 1e6):
        far = [d, d, d + 1, d + 1]
        got = float(giou_loss(UNIT, far, eps=0.0))
        assert math.isclose(got, 2 - 2 / (d + 1) ** 2, rel_tol=1e-15)
        assert got < 2


def test_diou_and_ciou_hand_values():
    # unit boxes one unit apart: IoU 0, centres 2 apart, enclosing box
    # 3x1: loss 1 + 4/10; both square, so CIoU adds nothing
    assert float(diou_loss(UNIT, [2.0, 0.0, 3.0, 1.0], eps=0.0)) == 1.4
    assert float(ciou_loss(UNIT, [2.0, 0.0, 3.0, 1.0], eps=0.0)) == 1.4
    # a 1x2 box in the middle of a 2x2 box: 1 - IoU = 1/2, rho = 0,
    # v = (4/pi^2)(atan(1) - atan(1/2))^2, alpha v = v^2 / (1/2 + v)
    v = 4 / math.pi**2 * (math.atan(1.0) - math.atan(0.5)) ** 2
    got = float(ciou_loss(TWO, [0.5, 0.0, 1.5, 2.0], eps=0.0))
    assert math.isclose(got, 0.5 + v * v / (0.5 + v), rel_tol=1e-15)


def test_eps_placement_by_hand():
    # quarter inside with eps = 1: I/(U + eps) = 1/5; C - U = 0; the
    # centres differ by (1/2, 1/2), rho^2 = 1/2, c^2 + eps = 8 + 1
    eps = 1.0
    assert float(iou_loss(TWO, UNIT, eps=eps)) == 1 - 1 / 5
    assert float(giou_loss(TWO, UNIT, eps=eps)) == 1 - 1 / 5
    assert math.isclose(float(diou_loss(TWO, UNIT, eps=eps)),
                        1 - 1 / 5 + 0.5 / 9, rel_tol=1e-15)


@pytest.mark.parametrize("eps", [0.0, 1e-7])
@pytest.mark.parametrize("name", NAMES)
def test_zero_area_box_against_itself_gives_one(name, eps):
    # torchvision gives 1 with eps > 0 (pytorch/vision#7746); with eps = 0
    # lossbook takes the limit eps -> 0+, also 1, never NaN
    point = [[2.0, 3.0, 2.0, 3.0]]
    segment = [[2.0, 3.0, 5.0, 3.0]]
    for b in (point, segment):
        assert float(LOSSES[name](b, b, eps=eps)) == 1.0
        grad = GRADIENTS[LOSSES[name]](b, b, eps=eps)
        assert np.isfinite(grad).all()


def test_degenerate_pairwise_never_nan():
    # torchvision's box_iou gives 0/0 = NaN here; lossbook 0
    point = [[1.0, 1.0, 1.0, 1.0]]
    assert box_iou(point, point)[0, 0] == 0.0
    assert generalized_box_iou(point, point)[0, 0] == 0.0


def test_ciou_identical_boxes_with_eps_zero_is_zero():
    # alpha = v / (1 - iou + v) is 0/0 here (NaN in torchvision); the limit
    # of alpha v = v^2 / (1 - iou + v) is 0
    assert float(ciou_loss(TWO, TWO, eps=0.0)) == 0.0
    np.testing.assert_array_equal(GRADIENTS[ciou_loss](TWO, TWO, eps=0.0)
                                  .shape, (4,))


def test_ciou_zero_height_box_is_finite():
    # atan2(w, 0) = pi/2 where torchvision's atan(w / 0) divides by zero;
    # a flat box against a square: v = (4/pi^2)(pi/4 - pi/2)^2 = 1/4
    flat = [0.0, 0.0, 1.0, 0.0]
    got = float(ciou_loss(UNIT, flat, eps=0.0))
    # IoU 0 (zero area), rho^2 = 1/4, c^2 = 2, alpha v = v^2 / (1 + v)
    assert math.isclose(got, 1 + 0.25 / 2 + 0.0625 / 1.25, rel_tol=1e-15)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

_coord = st.floats(-100, 100)
_side = st.floats(0.01, 50)


@st.composite
def _box(draw):
    x, y = draw(_coord), draw(_coord)
    return [x, y, x + draw(_side), y + draw(_side)]


_pair = st.tuples(_box(), _box()).map(np.array)


@given(_pair, st.floats(-1e3, 1e3), st.floats(-1e3, 1e3),
       st.floats(1e-3, 1e3))
@pytest.mark.parametrize("name", NAMES)
def test_invariant_to_shifting_and_scaling_both(name, pair, dx, dy, scale):
    fn = LOSSES[name]
    moved = pair * scale + np.array([dx, dy, dx, dy])
    np.testing.assert_allclose(fn(moved[0], moved[1], eps=0.0),
                               fn(pair[0], pair[1], eps=0.0),
                               rtol=1e-8, atol=1e-8)


@given(_pair)
@pytest.mark.parametrize("name", NAMES)
def test_symmetric_in_swapping_the_boxes(name, pair):
    # IoU, the enclosing box and rho are symmetric; CIoU's v is a square
    fn = LOSSES[name]
    np.testing.assert_allclose(fn(pair[0], pair[1]), fn(pair[1], pair[0]),
                               rtol=1e-14, atol=1e-15)


@given(_pair)
def test_ranges_and_order(pair):
    t, p = pair
    iou = float(iou_loss(t, p, eps=0.0))
    giou = float(giou_loss(t, p, eps=0.0))
    diou = float(diou_loss(t, p, eps=0.0))
    ciou = float(ciou_loss(t, p, eps=0.0))
    # GIoU in (-1, 1] and GIoU <= IoU, so 0 <= IoU loss <= GIoU loss < 2
    assert 0 <= iou <= 1
    assert iou <= giou < 2
    # rho^2 / c^2 < 1 and alpha v >= 0
    assert iou <= diou < 2
    assert diou <= ciou


_dyadic = st.integers(-400, 400).map(lambda k: k / 4)
_half = st.integers(1, 200).map(lambda k: k / 8)


@given(_dyadic, _dyadic, _half, _half, _half, _half)
@pytest.mark.parametrize("name", ["diou_loss", "ciou_loss"])
def test_concentric_boxes_diou_is_iou(name, cx, cy, a, b, c, d):
    # dyadic centres and half-sides make both centres exact: rho = 0
    t = [cx - a, cy - b, cx + a, cy + b]
    p = [cx - c, cy - d, cx + c, cy + d]
    expected = float(iou_loss(t, p, eps=0.0))
    got = float(LOSSES[name](t, p, eps=0.0))
    if name == "diou_loss":
        assert got == expected
    else:
        assert got >= expected


@given(_dyadic, _dyadic, _dyadic, _dyadic, _half, _half,
       st.integers(1, 16))
def test_ciou_is_diou_at_equal_aspect_ratios(x, y, u, v, w, h, k):
    # prediction k times the target's size: w hp - wp h = 0 exactly, v = 0
    t = [x, y, x + w, y + h]
    p = [u, v, u + k * w, v + k * h]
    assert float(ciou_loss(t, p)) == float(diou_loss(t, p))


# ---------------------------------------------------------------------------
# pairwise functions
# ---------------------------------------------------------------------------


def test_pairwise_agree_with_elementwise_losses():
    rng = np.random.default_rng(3)
    b1, b2 = _boxes(rng, 5), _boxes(rng, 7)
    t = np.repeat(b1[:, None, :], 7, axis=1)
    p = np.repeat(b2[None, :, :], 5, axis=0)
    iou = box_iou(b1, b2)
    assert iou.shape == (5, 7)
    np.testing.assert_allclose(
        1 - iou, iou_loss(t, p, eps=0.0, reduction="none"), rtol=1e-14,
        atol=1e-15)
    np.testing.assert_allclose(
        1 - generalized_box_iou(b1, b2),
        giou_loss(t, p, eps=0.0, reduction="none"), rtol=1e-14, atol=1e-15)


def test_pairwise_hand_values_and_shapes():
    # 2x2 vs its quarter: 1/4; unit vs a unit box one apart: IoU 0, GIoU
    # 0 - 1/3
    np.testing.assert_array_equal(box_iou([TWO], [UNIT, TWO]),
                                  [[0.25, 1.0]])
    got = generalized_box_iou([UNIT], [[2.0, 0.0, 3.0, 1.0]])
    np.testing.assert_allclose(got, [[-1 / 3]], rtol=1e-15)
    # any batch shapes: (2, 3, 4) against (5, 4) gives (2, 3, 5)
    rng = np.random.default_rng(4)
    b1, b2 = _boxes(rng, 6).reshape(2, 3, 4), _boxes(rng, 5)
    assert box_iou(b1, b2).shape == (2, 3, 5)
    assert generalized_box_iou(b2, b1).shape == (5, 2, 3)


@given(st.lists(_box(), min_size=1, max_size=4),
       st.lists(_box(), min_size=1, max_size=4))
def test_pairwise_ranges(a, b):
    iou = box_iou(a, b)
    giou = generalized_box_iou(a, b)
    assert np.all((iou >= 0) & (iou <= 1))
    assert np.all((giou > -1) & (giou <= iou))


def test_iou_of_disjoint_boxes_is_exactly_zero():
    # no intersection: U - I and U are the same sum, so 1 - IoU is exactly
    # 1 and the IoU exactly 0, never a rounding below it
    rng = np.random.default_rng(9)
    bt = _boxes(rng, 200)
    bp = bt + np.array([20.0, 0.0, 20.0, 0.0]) * rng.uniform(1, 2, (200, 1))
    np.testing.assert_array_equal(
        iou_loss(bt, bp, eps=0.0, reduction="none"), 1.0)
    assert box_iou(bt, bp).min() == 0.0


def test_pairwise_dtypes():
    f32 = np.array([TWO], dtype=np.float32)
    assert box_iou(f32, f32).dtype == np.float32
    assert generalized_box_iou(f32, [UNIT]).dtype == np.float64
    assert box_iou([[0, 0, 2, 2]], [[0, 0, 1, 1]]).dtype == np.float64


# ---------------------------------------------------------------------------
# box_convert
# ---------------------------------------------------------------------------


def test_box_convert_hand_values():
    # a 4x2 box with its corner at (0, 0): centre (2, 1)
    b = [0.0, 0.0, 4.0, 2.0]
    np.testing.assert_array_equal(box_convert(b, "xyxy", "xywh"),
                                  [0, 0, 4, 2])
    np.testing.assert_array_equal(box_convert(b, "xyxy", "cxcywh"),
                                  [2, 1, 4, 2])
    np.testing.assert_array_equal(box_convert([2, 1, 4, 2], "cxcywh",
                                              "xyxy"), b)
    np.testing.assert_array_equal(box_convert([1, 1, 2, 3], "xywh",
                                              "cxcywh"), [2, 2.5, 2, 3])


@pytest.mark.parametrize("out_fmt", FORMATS)
@pytest.mark.parametrize("in_fmt", FORMATS)
def test_box_convert_round_trips(in_fmt, out_fmt):
    rng = np.random.default_rng(5)
    xyxy = _boxes(rng, 50, size=10.0, offset=-50.0).reshape(5, 10, 4)
    start = box_convert(xyxy, "xyxy", in_fmt)
    back = box_convert(box_convert(start, in_fmt, out_fmt), out_fmt, in_fmt)
    # each conversion rounds once per coordinate, relative to the
    # coordinates' magnitude (~100)
    np.testing.assert_allclose(back, start, rtol=0, atol=1e-12)
    assert back.shape == (5, 10, 4)


def _exact_convert(box, in_fmt, out_fmt):
    """The conversion in exact rational arithmetic."""
    a, c, s, t = (Fraction(float(v)) for v in box)
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


@pytest.mark.parametrize("out_fmt", FORMATS)
@pytest.mark.parametrize("in_fmt", FORMATS)
def test_box_convert_rounds_once_per_coordinate(in_fmt, out_fmt):
    # sizes and positions from 1e-8 to 1e8: every coordinate must be the
    # correctly rounded exact conversion (cxcywh -> xywh through xyxy was
    # 16 ulp off in the widths)
    rng = np.random.default_rng(20)
    n = 400
    pos = rng.choice([-1, 1], (n, 2)) * 10 ** rng.uniform(-8, 8, (n, 2))
    size = 10 ** rng.uniform(-8, 8, (n, 2))
    if in_fmt == "xyxy":
        boxes = np.concatenate([pos, pos + size], axis=1)
    else:
        boxes = np.concatenate([pos, size], axis=1)
    got = box_convert(boxes, in_fmt, out_fmt)
    want = np.array([[float(v) for v in _exact_convert(b, in_fmt, out_fmt)]
                     for b in boxes])
    np.testing.assert_array_equal(got, want)


def test_box_convert_near_the_float_range():
    h = 2.0**1023  # x1 + x2 overflows for x1, x2 >= h
    # the centre of [h/2, h] is 3h/4 and of [-h, h] is 0; a height of 2h
    # lies beyond the float range: inf, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = box_convert([[h / 2, -h, h, h]], "xyxy", "cxcywh")
        np.testing.assert_array_equal(got, [[0.75 * h, 0.0, h / 2, np.inf]])
        back = box_convert([[0.75 * h, 0.0, h / 2, h]], "cxcywh", "xyxy")
        np.testing.assert_array_equal(back, [[h / 2, -h / 2, h, h / 2]])


def test_box_convert_dtypes_and_copies():
    f32 = np.array([[0, 0, 4, 2]], dtype=np.float32)
    assert box_convert(f32, "xyxy", "cxcywh").dtype == np.float32
    assert box_convert([[0, 0, 4, 2]], "xyxy", "xywh").dtype == np.float64
    same = box_convert(f32, "xyxy", "xyxy")
    same[0, 0] = 99
    assert f32[0, 0] == 0


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


def _grad_boxes(seed, shape=(6,)):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    bt = _boxes(rng, n, size=0.4).reshape(*shape, 4)
    bp = _boxes(rng, n, size=0.4).reshape(*shape, 4)
    return bt, bp


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 1e-7, 0.5])
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name, eps, reduction):
    fn = LOSSES[name]
    bt, bp = _grad_boxes(11, (2, 3))
    grad = GRADIENTS[fn](bt, bp, eps=eps, reduction=reduction)
    assert grad.shape == bp.shape

    def total(x):
        # "none": each term's derivative in its own box, i.e. of the sum
        return float(np.sum(fn(bt, x, eps=eps, reduction=reduction)))

    np.testing.assert_allclose(grad, central_difference(total, bp),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_sympy_derivative(name):
    # alpha of CIoU included: the true derivative, not torchvision's
    bt, bp = _grad_boxes(12)
    grad = GRADIENTS[LOSSES[name]](bt, bp, eps=1e-7, reduction="none")
    for k in range(4):
        exact = np.array(_oracle(name, bt, bp, 1e-7, wrt=k), dtype=float)
        np.testing.assert_allclose(grad[:, k], exact, rtol=1e-12,
                                   atol=1e-15)


def test_ciou_gradient_differs_from_frozen_alpha():
    # torchvision computes alpha under no_grad, so its gradient is
    # d(DIoU) + alpha dv; the true derivative adds v d(alpha), which the
    # central differences (and lossbook) see
    t, p = np.array(TWO), np.array([0.3, 0.1, 1.2, 1.9])
    iou = 1 - float(iou_loss(t, p, eps=0.0))

    def v_of(q):
        return 4 / math.pi**2 * (math.atan(1.0) - math.atan(
            (q[2] - q[0]) / (q[3] - q[1]))) ** 2

    v = v_of(p)
    alpha = v / (1 - iou + v)
    frozen = GRADIENTS[diou_loss](t, p, eps=0.0) + alpha * (
        central_difference(v_of, p))
    true = central_difference(lambda q: float(ciou_loss(t, q, eps=0.0)), p)
    grad = GRADIENTS[ciou_loss](t, p, eps=0.0)
    np.testing.assert_allclose(grad, true, rtol=1e-6, atol=1e-9)
    assert np.abs(grad - frozen).max() > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_gradient_at_ties_is_the_one_sided_derivative(name):
    # identical boxes, a shared left edge and boxes that touch: every
    # coordinate sits on a kink; the gradient is the derivative as each
    # predicted coordinate increases (a forward difference)
    fn = LOSSES[name]
    bt = np.array([TWO, TWO, UNIT])
    bp = np.array([TWO, [0.0, 0.5, 1.5, 3.0], [1.0, 0.25, 2.0, 0.75]])
    grad = GRADIENTS[fn](bt, bp, eps=0.0, reduction="sum")
    h = 1e-7
    forward = np.zeros_like(bp)
    base = float(fn(bt, bp, eps=0.0, reduction="sum"))
    for i in np.ndindex(bp.shape):
        step = np.zeros_like(bp)
        step[i] = h
        forward[i] = (float(fn(bt, bp + step, eps=0.0, reduction="sum"))
                      - base) / h
    np.testing.assert_allclose(grad, forward, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_reductions_and_dtype(name):
    fn = LOSSES[name]
    bt, bp = _grad_boxes(13, (2, 3))
    grad_sum = GRADIENTS[fn](bt, bp, reduction="sum")
    np.testing.assert_array_equal(GRADIENTS[fn](bt, bp, reduction="none"),
                                  grad_sum)
    np.testing.assert_allclose(GRADIENTS[fn](bt, bp, reduction="mean"),
                               grad_sum / 6, rtol=1e-15)
    g32 = GRADIENTS[fn](bt.astype(np.float32), bp.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, grad_sum / 6, rtol=1e-3, atol=1e-5)
    # the public entry point dispatches to the same function
    np.testing.assert_array_equal(
        lossbook.gradients.gradient(fn, bt, bp, reduction="sum"), grad_sum)


def test_gradients_registry_covers_every_loss():
    assert set(GRADIENTS) == set(LOSSES.values())


# ---------------------------------------------------------------------------
# reductions and dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_reductions(name):
    fn = LOSSES[name]
    bt, bp = _grad_boxes(14, (2, 3))
    none = fn(bt, bp, reduction="none")
    assert none.shape == (2, 3)
    assert math.isclose(float(fn(bt, bp, reduction="sum")),
                        float(none.sum()), rel_tol=1e-15)
    assert math.isclose(float(fn(bt, bp, reduction="mean")),
                        float(none.mean()), rel_tol=1e-15)
    # a single box: "none" gives a 0-d result
    assert fn(TWO, UNIT, reduction="none").shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_dtypes(name, reduction):
    fn = LOSSES[name]
    f32 = np.array([TWO, UNIT], dtype=np.float32)
    assert fn(f32, f32[::-1], reduction=reduction).dtype == np.float32
    ints = [[0, 0, 2, 2], [0, 0, 1, 1]]
    assert fn(ints, ints[::-1], reduction=reduction).dtype == np.float64
    assert fn(f32, np.asarray(ints, float),
              reduction=reduction).dtype == np.float64


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

_T = [[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 4.0]]
_P = [[0.5, 0.0, 1.0, 2.0], [1.0, 1.0, 1.5, 1.5]]

BAD_LOSS_INPUT = [
    ("shape", _T, _P[:1], {}, ValueError, "same shape"),
    ("nan", _T, [[np.nan, 0, 1, 1], _P[1]], {}, ValueError,
     "boxes_pred must be finite"),
    ("inf", [[0, 0, np.inf, 1], _T[1]], _P, {}, ValueError,
     "boxes_true must be finite"),
    ("x2<x1", _T, [[2.0, 0.0, 1.0, 1.0], _P[1]], {}, ValueError,
     "boxes_pred must have x2 >= x1"),
    ("y2<y1", [[0.0, 3.0, 1.0, 1.0], _T[1]], _P, {}, ValueError,
     "boxes_true must have y2 >= y1"),
    ("last-dim", [[0, 0, 1]], [[0, 0, 1]], {}, ValueError,
     r"boxes_true must have shape \(..., 4\)"),
    ("empty", np.zeros((0, 4)), np.zeros((0, 4)), {}, ValueError,
     "boxes_true must not be empty"),
    ("eps<0", _T, _P, {"eps": -1e-7}, ValueError, "eps must be >= 0"),
    ("eps-nan", _T, _P, {"eps": float("nan")}, ValueError,
     "eps must be finite"),
    ("eps-str", _T, _P, {"eps": "1e-7"}, TypeError, "eps must be a real"),
    ("reduction", _T, _P, {"reduction": "avg"}, ValueError, "reduction"),
    ("text", "boxes", _P, {}, TypeError, "boxes_true must be a numeric"),
    ("objects", _T, [[None, 0, 1, 1]] * 2, {}, TypeError,
     "boxes_pred must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "bt", "bp", "kwargs", "error", "match"), BAD_LOSS_INPUT,
    ids=[c[0] for c in BAD_LOSS_INPUT])
@pytest.mark.parametrize("name", NAMES)
def test_bad_input(name, case, bt, bp, kwargs, error, match):
    copies = [np.array(x, copy=True) if not isinstance(x, str) else x
              for x in (bt, bp)]
    for fn in (LOSSES[name], GRADIENTS[LOSSES[name]]):
        with pytest.raises(error, match=match):
            fn(bt, bp, **kwargs)
    for before, after in zip(copies, (bt, bp), strict=True):
        if not isinstance(after, str):
            np.testing.assert_array_equal(np.asarray(after), before)


BAD_PAIRWISE_INPUT = [
    ("x2<x1", [[2.0, 0.0, 1.0, 1.0]], [UNIT], ValueError,
     "boxes1 must have x2 >= x1"),
    ("nan", [UNIT], [[0.0, np.nan, 1.0, 1.0]], ValueError,
     "boxes2 must be finite"),
    ("last-dim", [[0.0, 1.0]], [UNIT], ValueError,
     r"boxes1 must have shape"),
    ("empty", [UNIT], np.zeros((0, 4)), ValueError,
     "boxes2 must not be empty"),
    ("text", [UNIT], "box", TypeError, "boxes2 must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "b1", "b2", "error", "match"), BAD_PAIRWISE_INPUT,
    ids=[c[0] for c in BAD_PAIRWISE_INPUT])
@pytest.mark.parametrize("fn", [box_iou, generalized_box_iou])
def test_bad_pairwise_input(fn, case, b1, b2, error, match):
    with pytest.raises(error, match=match):
        fn(b1, b2)


BAD_CONVERT_INPUT = [
    ("in_fmt", UNIT, "xyzw", "xyxy", ValueError, "in_fmt must be one of"),
    ("out_fmt", UNIT, "xyxy", "XYXY", ValueError, "out_fmt must be one of"),
    ("x2<x1", [1.0, 0.0, 0.0, 1.0], "xyxy", "xywh", ValueError,
     "boxes must have x2 >= x1"),
    ("width<0", [1.0, 0.0, -1.0, 1.0], "xywh", "xyxy", ValueError,
     r"widths \(column 2\) of boxes"),
    ("height<0", [1.0, 0.0, 1.0, -2.0], "cxcywh", "xyxy", ValueError,
     r"heights \(column 3\) of boxes"),
    ("last-dim", [1.0, 0.0, 1.0], "xywh", "xyxy", ValueError,
     r"boxes must have shape \(..., 4\)"),
    ("scalar", 1.0, "cxcywh", "xyxy", ValueError, "boxes must have shape"),
    ("nan", [np.nan, 0.0, 1.0, 1.0], "xywh", "xyxy", ValueError,
     "boxes must be finite"),
    ("empty", np.zeros((0, 4)), "xywh", "xyxy", ValueError,
     "boxes must not be empty"),
    ("text", "box", "xyxy", "xywh", TypeError, "boxes must be a numeric"),
]


@pytest.mark.parametrize(
    ("case", "b", "in_fmt", "out_fmt", "error", "match"), BAD_CONVERT_INPUT,
    ids=[c[0] for c in BAD_CONVERT_INPUT])
def test_bad_convert_input(case, b, in_fmt, out_fmt, error, match):
    with pytest.raises(error, match=match):
        box_convert(b, in_fmt, out_fmt)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified(name):
    bt, bp = _grad_boxes(15)
    bt_copy, bp_copy = bt.copy(), bp.copy()
    LOSSES[name](bt, bp, reduction="none")
    GRADIENTS[LOSSES[name]](bt, bp)
    box_iou(bt, bp)
    box_convert(bp, "xyxy", "cxcywh")
    np.testing.assert_array_equal(bt, bt_copy)
    np.testing.assert_array_equal(bp, bp_copy)


def test_module_exports():
    assert set(lb.__all__) == {"GRADIENTS", "box_convert", "box_iou",
                               "ciou_loss", "diou_loss",
                               "generalized_box_iou", "giou_loss",
                               "iou_loss"}
