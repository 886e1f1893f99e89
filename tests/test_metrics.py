"""Tests for lossbook.metrics: hand-checked values, properties, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossbook.metrics import (
    average_precision,
    mask_iou,
    precision_at_threshold,
    precision_recall_curve,
    recall_at_threshold,
)

# the example of scikit-learn's precision_recall_curve docs, checked by
# hand: thresholds 0.8 (TP 1, FP 0), 0.4 (1, 1), 0.35 (2, 1), 0.1 (2, 2)
Y4 = [0, 0, 1, 1]
S4 = [0.1, 0.4, 0.35, 0.8]


def _labels_and_scores():
    """At least one positive, small integer scores so that ties happen."""
    return st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any),
            st.lists(st.integers(-3, 3), min_size=n, max_size=n),
        )
    )


# ---------------------------------------------------------------------------
# precision_recall_curve
# ---------------------------------------------------------------------------


def test_curve_hand_values():
    precision, recall, thresholds = precision_recall_curve(Y4, S4)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(recall, [1.0, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(thresholds, [0.1, 0.35, 0.4, 0.8])
    assert precision.dtype == recall.dtype == thresholds.dtype == np.float64


def test_curve_ties_form_one_threshold():
    # scores 0.5, 0.5 tie (one positive, one negative): one point P = 1/2
    precision, recall, thresholds = precision_recall_curve(
        [1, 0, 1], [0.5, 0.5, 0.9]
    )
    np.testing.assert_array_equal(thresholds, [0.5, 0.9])
    np.testing.assert_allclose(precision, [2 / 3, 1.0, 1.0])
    np.testing.assert_array_equal(recall, [1.0, 0.5, 0.0])


def test_curve_accepts_bool_float_labels_and_2d():
    expected = precision_recall_curve(Y4, S4)
    for labels in (np.array(Y4, bool), np.array(Y4, float)):
        for a, b in zip(precision_recall_curve(labels, S4), expected,
                        strict=True):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(
        precision_recall_curve(np.reshape(Y4, (2, 2)), np.reshape(S4, (2, 2))),
        expected,
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def test_curve_inputs_not_modified():
    y, s = np.array(Y4), np.array(S4)
    precision_recall_curve(y, s)
    np.testing.assert_array_equal(y, Y4)
    np.testing.assert_array_equal(s, S4)


@given(_labels_and_scores())
def test_curve_properties(data):
    y, s = np.array(data[0]), np.array(data[1], float)
    precision, recall, thresholds = precision_recall_curve(y, s)
    assert precision.shape == recall.shape == (thresholds.size + 1,)
    np.testing.assert_array_equal(thresholds, np.unique(s))
    assert recall[0] == 1.0 and recall[-1] == 0.0 and precision[-1] == 1.0
    assert (np.diff(recall) <= 0).all()
    # everything predicted positive: precision is the prevalence
    assert precision[0] == pytest.approx(y.mean())
    assert ((precision >= 0) & (precision <= 1)).all()


@given(_labels_and_scores())
def test_curve_invariant_under_monotone_map(data):
    y, s = np.array(data[0]), np.array(data[1], float)
    p1, r1, _ = precision_recall_curve(y, s)
    p2, r2, _ = precision_recall_curve(y, 1 / (1 + np.exp(-s)))
    np.testing.assert_allclose(p1, p2)
    np.testing.assert_allclose(r1, r2)


# ---------------------------------------------------------------------------
# average_precision
# ---------------------------------------------------------------------------


def test_ap_hand_value():
    # recall 1/2 gained at precision 1, the other 1/2 at precision 2/3
    assert average_precision(Y4, S4) == pytest.approx(5 / 6)
    assert isinstance(average_precision(Y4, S4), np.float64)


def test_ap_perfect_and_worst_rankings():
    y = np.array([0, 0, 0, 1, 1])
    assert average_precision(y, [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0
    # positives ranked last: found at ranks 4 and 5 -> (1/4 + 2/5) / 2
    assert average_precision(y, [0.9, 0.8, 0.7, 0.2, 0.1]) == pytest.approx(
        (1 / 4 + 2 / 5) / 2
    )


def test_ap_constant_scores_is_prevalence():
    y = np.array([1, 0, 0, 0, 0, 0, 1, 0])
    assert average_precision(y, np.zeros(8)) == pytest.approx(0.25)


@given(_labels_and_scores())
def test_ap_matches_precision_at_each_positive(data):
    # with no ties, AP is the mean over positives of the precision at the
    # rank where each positive is found
    y = np.array(data[0])
    s = np.arange(y.size, dtype=float)[::-1]  # distinct, in given order
    ranks = np.flatnonzero(y) + 1
    expected = np.mean(np.arange(1, ranks.size + 1) / ranks)
    assert average_precision(y, s) == pytest.approx(expected)


@given(_labels_and_scores())
def test_ap_in_unit_interval(data):
    ap = average_precision(np.array(data[0]), np.array(data[1], float))
    assert 0 < ap <= 1


# ---------------------------------------------------------------------------
# precision and recall at a threshold
# ---------------------------------------------------------------------------


def test_threshold_hand_values():
    y, s = [0, 1, 1, 0], [0.6, 0.9, 0.2, 0.1]
    # predicted positive: 0.6 (neg), 0.9 (pos)
    assert precision_at_threshold(y, s) == 0.5
    assert recall_at_threshold(y, s) == 0.5
    # the comparison is >=: a score equal to the threshold counts
    assert recall_at_threshold(y, s, 0.2) == 1.0
    # logits with threshold 0 give the rule p >= 0.5
    z = np.log(np.array(s) / (1 - np.array(s)))
    assert precision_at_threshold(y, z, 0.0) == 0.5


def test_threshold_zero_division():
    assert precision_at_threshold([1, 0], [0.1, 0.2]) == 0.0
    assert precision_at_threshold([1, 0], [0.1, 0.2], zero_division=1) == 1.0


@given(_labels_and_scores())
def test_threshold_points_lie_on_curve(data):
    y, s = np.array(data[0]), np.array(data[1], float)
    precision, recall, thresholds = precision_recall_curve(y, s)
    for k, t in enumerate(thresholds):
        assert precision_at_threshold(y, s, t) == pytest.approx(precision[k])
        assert recall_at_threshold(y, s, t) == pytest.approx(recall[k])


# ---------------------------------------------------------------------------
# mask_iou
# ---------------------------------------------------------------------------


def test_mask_iou_hand_values():
    assert mask_iou([1, 1, 0, 0], [0, 1, 1, 0]) == pytest.approx(1 / 3)
    assert mask_iou([1, 1, 0], [1, 1, 0]) == 1.0
    assert mask_iou([1, 0], [0, 1]) == 0.0
    # a 2x2 square inside a 4x4 one: 4 / 16
    big = np.zeros((6, 6), int)
    big[1:5, 1:5] = 1
    small = np.zeros((6, 6), int)
    small[2:4, 2:4] = 1
    assert mask_iou(big, small) == 0.25


def test_mask_iou_empty_masks():
    assert mask_iou([0, 0], [0, 0]) == 1.0
    assert mask_iou([0, 0], [0, 0], empty_value=0.0) == 0.0


def test_mask_iou_per_image():
    y_true = np.array([[[1, 1], [0, 0]], [[0, 0], [0, 0]]], bool)
    y_pred = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 0]]], bool)
    iou = mask_iou(y_true, y_pred, axis=(1, 2))
    assert iou.shape == (2,) and iou.dtype == np.float64
    np.testing.assert_array_equal(iou, [0.5, 1.0])


@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.booleans(), min_size=n, max_size=n),
    st.lists(st.booleans(), min_size=n, max_size=n))))
def test_mask_iou_properties(masks):
    a, b = np.array(masks[0]), np.array(masks[1])
    iou = float(mask_iou(a, b))
    assert iou == float(mask_iou(b, a))
    assert 0 <= iou <= 1
    assert float(mask_iou(a, a)) == 1.0
    # Dice = 2 IoU / (1 + IoU) for hard masks with a non-empty union
    if (a | b).any():
        dice = 2 * (a & b).sum() / (a.sum() + b.sum())
        assert dice == pytest.approx(2 * iou / (1 + iou))


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

CURVE_FUNCTIONS = [precision_recall_curve, average_precision,
                   precision_at_threshold, recall_at_threshold]


@pytest.mark.parametrize("fn", CURVE_FUNCTIONS)
def test_bad_input_curves(fn):
    with pytest.raises(ValueError, match="same shape"):
        fn([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"y_true must hold class labels"):
        fn([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="integer class labels"):
        fn([0, 0.5], [0.1, 0.2])
    with pytest.raises(ValueError, match="scores must be finite"):
        fn([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="scores must be finite"):
        fn([0, 1], [0.1, np.inf])
    with pytest.raises(ValueError, match="must not be empty"):
        fn([], [])
    with pytest.raises(TypeError, match="scores must be a numeric"):
        fn([0, 1], ["a", "b"])


@pytest.mark.parametrize("fn", [precision_recall_curve, average_precision,
                                recall_at_threshold])
def test_no_positive_raises(fn):
    with pytest.raises(ValueError, match="at least one positive"):
        fn([0, 0, 0], [0.1, 0.2, 0.3])


def test_bad_threshold_and_zero_division():
    with pytest.raises(ValueError, match="threshold must be finite"):
        recall_at_threshold([0, 1], [0.1, 0.2], np.nan)
    with pytest.raises(TypeError, match="threshold must be a real number"):
        precision_at_threshold([0, 1], [0.1, 0.2], "0.5")
    with pytest.raises(ValueError, match="zero_division must be <= 1"):
        precision_at_threshold([0, 1], [0.1, 0.2], zero_division=2)


def test_bad_input_mask_iou():
    with pytest.raises(ValueError, match="same shape"):
        mask_iou([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="y_pred must hold class labels"):
        mask_iou([0, 1], [0, 3])
    with pytest.raises(ValueError, match="y_pred must hold integer"):
        mask_iou([0, 1], [0, 0.7])
    with pytest.raises(ValueError, match="axis must be None or valid"):
        mask_iou([0, 1], [0, 1], axis=2)
    with pytest.raises(ValueError, match="empty_value must be <= 1"):
        mask_iou([0, 1], [0, 1], empty_value=2.0)
    with pytest.raises(ValueError, match="must not be empty"):
        mask_iou([], [])
