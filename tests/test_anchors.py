"""Tests for lossbook.anchors: the R-CNN box encoding and its inverse.

Golden values are worked by hand from the formulas of Faster R-CNN
(Ren et al. 2015, Eq. 2), each with a comment; the round trip is checked
on random boxes with Hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossbook.anchors import ROI_HEAD_WEIGHTS, decode_boxes, encode_boxes
from lossbook.boxes import box_convert

ANCHOR = [[0.0, 0.0, 10.0, 20.0]]  # centre (5, 10), size 10 x 20

# ---------------------------------------------------------------------------
# hand-checked values
# ---------------------------------------------------------------------------


def test_encode_hand_values():
    # box centre (10, 20), size 10 x 40: shift (5, 10) over (10, 20),
    # width ratio 1, height ratio 2
    t = encode_boxes([[5.0, 0.0, 15.0, 40.0]], ANCHOR)
    np.testing.assert_allclose(t, [[0.5, 0.5, 0.0, math.log(2.0)]],
                               rtol=0, atol=1e-15)


def test_encode_anchor_itself_is_zero():
    # a box equal to its anchor needs no correction
    assert np.array_equal(encode_boxes(ANCHOR, ANCHOR), np.zeros((1, 4)))


def test_encode_weights_scale_each_target():
    # (10, 10, 5, 5) multiplies the hand values above coordinate-wise
    t = encode_boxes([[5.0, 0.0, 15.0, 40.0]], ANCHOR,
                     weights=ROI_HEAD_WEIGHTS)
    np.testing.assert_allclose(t, [[5.0, 5.0, 0.0, 5 * math.log(2.0)]],
                               rtol=1e-15)


def test_encode_halving_and_doubling_are_symmetric():
    # half and twice the anchor's width: log(1/2) = -log 2
    half = encode_boxes([[2.5, 0.0, 7.5, 20.0]], ANCHOR)
    double = encode_boxes([[-5.0, 0.0, 15.0, 20.0]], ANCHOR)
    assert half[0, 2] == -double[0, 2]
    assert math.isclose(double[0, 2], math.log(2.0), rel_tol=1e-15)


def test_encode_is_scale_invariant():
    # scaling boxes and anchors by the same factor leaves t unchanged
    rng = np.random.default_rng(1)
    boxes, anchors = _random_boxes(rng, 50), _random_boxes(rng, 50)
    t = encode_boxes(boxes, anchors)
    np.testing.assert_allclose(encode_boxes(1000 * boxes, 1000 * anchors),
                               t, rtol=1e-12, atol=1e-12)


def test_encode_accurate_near_equal_sizes():
    # w = w_a (1 + 2^-40): t_w = log1p(2^-40), which log(w / w_a) would
    # round to a few digits
    w = 10.0 * (1 + 2.0**-40)
    t = encode_boxes([[0.0, 0.0, w, 20.0]], ANCHOR)
    assert math.isclose(t[0, 2], math.log1p(2.0**-40), rel_tol=1e-12)


def test_decode_hand_values():
    # inverse of test_encode_hand_values
    boxes = decode_boxes([[0.5, 0.5, 0.0, math.log(2.0)]], ANCHOR)
    np.testing.assert_allclose(boxes, [[5.0, 0.0, 15.0, 40.0]], rtol=1e-15)


def test_decode_zero_deltas_give_the_anchor():
    assert np.array_equal(decode_boxes(np.zeros((1, 4)), ANCHOR),
                          np.asarray(ANCHOR))


def test_decode_clamps_only_when_asked():
    # t_w = 10 is a width e^10 times the anchor's; clamped at log(1000/16)
    # it is 62.5 times
    clip = math.log(1000.0 / 16)
    free = decode_boxes([[0.0, 0.0, 10.0, 0.0]], ANCHOR)
    clamped = decode_boxes([[0.0, 0.0, 10.0, 0.0]], ANCHOR,
                           max_log_scale=clip)
    assert math.isclose(free[0, 2] - free[0, 0], 10 * math.exp(10.0),
                        rel_tol=1e-14)
    assert math.isclose(clamped[0, 2] - clamped[0, 0], 625.0,
                        rel_tol=1e-14)


def test_decode_underflow_gives_zero_width_not_reversed():
    boxes = decode_boxes([[0.0, 0.0, -1000.0, 0.0]], ANCHOR)
    assert boxes[0, 2] - boxes[0, 0] == 0.0


# ---------------------------------------------------------------------------
# round trip
# ---------------------------------------------------------------------------


def _random_boxes(rng, n, scale=100.0):
    corner = rng.uniform(-scale, scale, (n, 2))
    size = np.exp(rng.uniform(np.log(1e-2), np.log(scale), (n, 2)))
    return np.concatenate([corner, corner + size], axis=-1)


@st.composite
def _box(draw, lo=-1e3, hi=1e3):
    x = draw(st.floats(lo, hi))
    y = draw(st.floats(lo, hi))
    w = draw(st.floats(1e-3, 1e3))
    h = draw(st.floats(1e-3, 1e3))
    return [x, y, x + w, y + h]


@given(box=_box(), anchor=_box(),
       weights=st.sampled_from([(1.0, 1.0, 1.0, 1.0), ROI_HEAD_WEIGHTS,
                                (2.0, 3.0, 0.5, 7.0)]))
def test_round_trip_boxes(box, anchor, weights):
    box, anchor = np.array([box]), np.array([anchor])
    if (box[:, 2:] <= box[:, :2]).any():
        return  # x + w rounded back to x: not a box with positive size
    back = decode_boxes(encode_boxes(box, anchor, weights=weights), anchor,
                        weights=weights)
    # each coordinate is a sum of terms of size up to the largest
    # coordinate involved, so compare in ulps of that scale
    scale = max(np.abs(box).max(), np.abs(anchor).max())
    np.testing.assert_allclose(back, box, rtol=0, atol=64 * np.spacing(scale))


@given(t=st.lists(st.floats(-5, 5), min_size=4, max_size=4), anchor=_box())
def test_round_trip_deltas(t, anchor):
    anchor = np.array([anchor])
    if (anchor[:, 2:] <= anchor[:, :2]).any():
        return
    t = np.array([t])
    boxes = decode_boxes(t, anchor)
    if (boxes[:, 2:] <= boxes[:, :2]).any():
        return  # a decoded size below the coordinates' resolution
    centre = box_convert(anchor, "xyxy", "cxcywh")
    back = encode_boxes(boxes, anchor)
    # the centre shift is relative to the anchor's size, the size targets
    # are logs: absolute tolerances in those units
    scale = np.abs(anchor).max() / centre[0, 2:].min()
    np.testing.assert_allclose(back[:, :2], t[:, :2], rtol=0,
                               atol=64 * np.spacing(1.0) * (1 + scale))
    np.testing.assert_allclose(back[:, 2:], t[:, 2:], rtol=0,
                               atol=1e-9 * (1 + scale))


def test_batched_shapes_and_dtypes():
    rng = np.random.default_rng(0)
    boxes = _random_boxes(rng, 6).reshape(2, 3, 4)
    anchors = _random_boxes(rng, 6).reshape(2, 3, 4)
    t = encode_boxes(boxes, anchors)
    assert t.shape == (2, 3, 4) and t.dtype == np.float64
    t32 = encode_boxes(boxes.astype(np.float32), anchors.astype(np.float32))
    assert t32.dtype == np.float32
    back32 = decode_boxes(t32, anchors.astype(np.float32),
                          max_log_scale=4.0)
    assert back32.dtype == np.float32
    assert decode_boxes(t, anchors).shape == (2, 3, 4)
    # integers are computed in float64
    assert encode_boxes([[0, 0, 2, 2]], [[0, 0, 1, 1]]).dtype == np.float64


def test_inputs_not_modified():
    boxes = np.array([[1.0, 2.0, 3.0, 5.0]])
    anchors = np.array([[0.0, 0.0, 4.0, 4.0]])
    b, a = boxes.copy(), anchors.copy()
    decode_boxes(encode_boxes(boxes, anchors), anchors)
    assert np.array_equal(boxes, b) and np.array_equal(anchors, a)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("bad", "match"), [
    ([[0.0, 0.0, 0.0, 1.0]], "width x2 - x1 of boxes must be > 0"),
    ([[0.0, 0.0, 1.0, 0.0]], "height y2 - y1 of boxes must be > 0"),
    ([[1.0, 0.0, 0.0, 1.0]], "boxes must have x2 >= x1"),
    ([[0.0, 0.0, 1.0]], r"boxes must have shape \(\.\.\., 4\)"),
    ([[0.0, 0.0, np.nan, 1.0]], "boxes must be finite"),
    (np.zeros((0, 4)), "boxes must not be empty"),
])
def test_encode_rejects_bad_boxes(bad, match):
    anchors = np.ones((np.asarray(bad).shape[0], 4)) * [0, 0, 1, 1]
    with pytest.raises(ValueError, match=match):
        encode_boxes(bad, anchors if anchors.size else ANCHOR)


def test_encode_rejects_zero_size_anchor():
    with pytest.raises(ValueError, match="width x2 - x1 of anchors"):
        encode_boxes(ANCHOR, [[1.0, 0.0, 1.0, 5.0]])


def test_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        encode_boxes([[0.0, 0.0, 1.0, 1.0]] * 2, ANCHOR)
    with pytest.raises(ValueError, match="same shape"):
        decode_boxes(np.zeros((2, 4)), ANCHOR)


@pytest.mark.parametrize(("weights", "match"), [
    ((1.0, 1.0, 1.0), "weights"),
    ((1.0, 1.0, 0.0, 1.0), r"weights\[2\] must be > 0"),
    ((1.0, -1.0, 1.0, 1.0), r"weights\[1\] must be > 0"),
])
def test_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        encode_boxes(ANCHOR, ANCHOR, weights=weights)
    with pytest.raises(ValueError, match=match):
        decode_boxes(np.zeros((1, 4)), ANCHOR, weights=weights)


def test_decode_rejects_bad_deltas_and_overflow():
    with pytest.raises(ValueError, match="deltas must be finite"):
        decode_boxes([[0.0, np.inf, 0.0, 0.0]], ANCHOR)
    with pytest.raises(ValueError, match=r"deltas must have shape"):
        decode_boxes([[0.0, 0.0]], ANCHOR)
    with pytest.raises(ValueError, match="decoded width"):
        decode_boxes([[0.0, 0.0, 1000.0, 0.0]], ANCHOR)
    with pytest.raises(TypeError, match="max_log_scale"):
        decode_boxes(np.zeros((1, 4)), ANCHOR, max_log_scale="4")


def test_non_numeric():
    with pytest.raises(TypeError, match="boxes"):
        encode_boxes("abcd", ANCHOR)
