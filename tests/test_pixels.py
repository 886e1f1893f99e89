"""Tests for lossbook.pixels: hand-checked values, properties, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb
from lossbook.metrics import mask_iou
from lossbook.pixels import (
    box_mean,
    foreground_probability,
    object_iou,
    object_zones,
    pixel_features,
    segment,
    standardize,
)
from lossbook.training import FitResult


def _brute_box_mean(x: np.ndarray, size: int) -> np.ndarray:
    """The definition, one window at a time (cut at the border)."""
    r = size // 2
    out = np.empty_like(x)
    for n, i, j in np.ndindex(*x.shape):
        window = x[n, max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1]
        out[n, i, j] = window.mean()
    return out


# ---------------------------------------------------------------------------
# box_mean and pixel_features
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 5, 9])
def test_box_mean_matches_definition(size):
    x = np.random.default_rng(0).normal(size=(2, 7, 6))
    np.testing.assert_allclose(box_mean(x, size), _brute_box_mean(x, size),
                               rtol=0, atol=1e-12)


def test_box_mean_hand_values_and_identity():
    x = np.zeros((1, 3, 3))
    x[0, 1, 1] = 9.0
    # centre: 9/9; edge middle: 9/6; corner: 9/4
    np.testing.assert_allclose(box_mean(x, 3)[0],
                               [[2.25, 1.5, 2.25], [1.5, 1.0, 1.5],
                                [2.25, 1.5, 2.25]])
    np.testing.assert_array_equal(box_mean(x, 1), x)
    # a window wider than the image is the image mean everywhere
    np.testing.assert_allclose(box_mean(x, 99), np.ones((1, 3, 3)))


def test_box_mean_keeps_constants_and_dtype():
    out = box_mean(np.full((1, 5, 4), 2.5, dtype=np.float32), 5)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, 2.5)


@pytest.mark.parametrize("size, error", [(2, ValueError), (0, ValueError),
                                         (-3, ValueError), (3.0, TypeError),
                                         (True, TypeError)])
def test_box_mean_rejects_bad_size(size, error):
    with pytest.raises(error, match="size"):
        box_mean(np.zeros((1, 3, 3)), size)


def test_box_mean_rejects_bad_images():
    with pytest.raises(ValueError, match=r"images must have shape \(N, H, "
                       r"W\)"):
        box_mean(np.zeros((3, 3)), 3)
    with pytest.raises(ValueError, match="images must be finite"):
        box_mean(np.full((1, 2, 2), np.nan), 3)


def test_pixel_features_layout():
    images = np.random.default_rng(1).normal(size=(2, 5, 6))
    X = pixel_features(images, sizes=(3, 5))
    assert X.shape == (2 * 5 * 6, 3)
    assert X.dtype == np.float64
    per_pixel = X.reshape(2, 5, 6, 3)
    np.testing.assert_array_equal(per_pixel[..., 0], images)
    np.testing.assert_allclose(per_pixel[..., 1], box_mean(images, 3))
    np.testing.assert_allclose(per_pixel[..., 2], box_mean(images, 5))


def test_pixel_features_default_sizes():
    assert pixel_features(np.zeros((1, 4, 4))).shape == (16, 4)
    with pytest.raises(ValueError, match="odd"):
        pixel_features(np.zeros((1, 4, 4)), sizes=(3, 4))


# ---------------------------------------------------------------------------
# standardize
# ---------------------------------------------------------------------------


def test_standardize_uses_training_statistics():
    train = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    test = np.array([[6.0, 7.0]])
    s_train, s_test = standardize(train, test)
    np.testing.assert_allclose(s_train.mean(axis=0), 0.0, atol=1e-15)
    # column 0 has std sqrt(8/3); the constant column is only centred
    np.testing.assert_allclose(s_train[:, 0].std(), 1.0)
    np.testing.assert_array_equal(s_train[:, 1], 0.0)
    np.testing.assert_allclose(s_test, [[4 / np.sqrt(8 / 3), 2.0]])


def test_standardize_single_and_bad_columns():
    (only,) = standardize([[1.0], [3.0]])
    np.testing.assert_array_equal(only.ravel(), [-1.0, 1.0])
    with pytest.raises(ValueError, match=r"others\[0\] must have shape"):
        standardize(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="train must have shape"):
        standardize(np.zeros(3))


# ---------------------------------------------------------------------------
# foreground_probability and segment
# ---------------------------------------------------------------------------

X2 = np.array([[-1.0], [0.0], [2.0], [0.5]])


def test_probability_from_logit_and_sigmoid_models():
    logit_fit = FitResult(np.array([1.0]), np.array(0.0), "identity")
    prob_fit = FitResult(np.array([1.0]), np.array(0.0), "sigmoid")
    expected = 1 / (1 + np.exp(-X2.ravel()))
    for fit in (logit_fit, prob_fit):
        out = foreground_probability(fit, X2, (1, 2, 2))
        assert out.shape == (1, 2, 2)
        np.testing.assert_allclose(out.ravel(), expected)


def test_probability_from_class_models():
    # two classes, logits (0, x): p_1 = sigma(x), the binary model above
    weights = np.array([[0.0, 1.0]])
    for link in ("identity", "softmax"):
        fit = FitResult(weights, np.zeros(2), link)
        np.testing.assert_allclose(
            foreground_probability(fit, X2, (2, 1, 2)).ravel(),
            1 / (1 + np.exp(-X2.ravel())))
    # three classes with equal logits: foreground is 2/3
    fit = FitResult(np.zeros((1, 3)), np.zeros(3), "identity")
    np.testing.assert_allclose(foreground_probability(fit, X2, (4, 1, 1)),
                               2 / 3)


def test_segment_thresholds():
    fit = FitResult(np.array([1.0]), np.array(0.0), "identity")
    np.testing.assert_array_equal(segment(fit, X2, (1, 1, 4)).ravel(),
                                  [False, False, True, True])
    # sigma(0.5) = 0.62: above 0.6, below 0.7
    np.testing.assert_array_equal(
        segment(fit, X2, (1, 1, 4), threshold=0.6).ravel(),
        [False, False, True, True])
    np.testing.assert_array_equal(
        segment(fit, X2, (1, 1, 4), threshold=0.7).ravel(),
        [False, False, True, False])
    with pytest.raises(ValueError, match="threshold"):
        segment(fit, X2, (1, 1, 4), threshold=1.5)


def test_probability_rejects_bad_shape_and_models():
    fit = FitResult(np.array([1.0]), np.array(0.0), "identity")
    with pytest.raises(ValueError, match="N \\* H \\* W = 4"):
        foreground_probability(fit, X2, (1, 2, 3))
    with pytest.raises(TypeError, match="shape must be a tuple"):
        foreground_probability(fit, X2, 4)
    with pytest.raises(ValueError, match="softmax model needs"):
        foreground_probability(FitResult(np.array([1.0]), np.array(0.0),
                                         "softmax"), X2, (1, 1, 4))
    with pytest.raises(ValueError, match="K >= 2"):
        foreground_probability(FitResult(np.zeros((1, 2)), np.zeros(2),
                                         "sigmoid"), X2, (1, 1, 4))


def test_end_to_end_on_toy_masks():
    # a clean image set is segmented almost perfectly by a trained model
    images, masks = lb.data.toy_masks(4, size=16, noise=0.1, seed=3)
    (X,) = standardize(pixel_features(images))
    fit = lb.training.fit_linear(X, (masks > 0).ravel().astype(float),
                                 lb.binary_cross_entropy_with_logits,
                                 lr=2.0, steps=100)
    pred = segment(fit, X, images.shape)
    assert float(mask_iou(masks > 0, pred)) > 0.9


# ---------------------------------------------------------------------------
# object_iou
# ---------------------------------------------------------------------------


def test_object_iou_hand_values():
    masks = [[[1, 0, 0, 0, 2, 2]]]
    pred = [[[1, 1, 0, 0, 1, 0]]]
    # zones by nearest object (tie at pixel 2 goes to label 1):
    # object 1 {0} vs prediction {0, 1} in its zone -> 1/2;
    # object 2 {4, 5} vs prediction {4} -> 1/2
    np.testing.assert_allclose(object_iou(masks, pred, 1), [0.5])
    np.testing.assert_allclose(object_iou(masks, pred, 2), [0.5])


def test_object_iou_perfect_empty_and_absent():
    masks = np.array([[[1, 0, 2]], [[0, 0, 2]]])
    np.testing.assert_array_equal(object_iou(masks, masks > 0, 2),
                                  [1.0, 1.0])
    np.testing.assert_array_equal(object_iou(masks, np.zeros((2, 1, 3)), 2),
                                  [0.0, 0.0])
    # label 1 is missing from the second image
    out = object_iou(masks, masks > 0, 1)
    assert out[0] == 1.0 and np.isnan(out[1])


def test_object_iou_single_object_is_mask_iou():
    _, masks = lb.data.toy_masks(3, seed=1)
    only_large = np.where(masks == 2, 2, 0)
    pred = np.random.default_rng(0).random(masks.shape) < 0.1
    pred |= only_large > 0
    np.testing.assert_allclose(object_iou(only_large, pred, 2),
                               mask_iou(only_large > 0, pred, axis=(1, 2)))


def test_object_iou_rejects_bad_input():
    with pytest.raises(ValueError, match="label must be >= 1"):
        object_iou([[[1]]], [[[1]]], 0)
    with pytest.raises(TypeError, match="label must be an integer"):
        object_iou([[[1]]], [[[1]]], 1.0)
    with pytest.raises(ValueError, match="same shape"):
        object_iou([[[1, 0]]], [[[1]]], 1)
    with pytest.raises(ValueError, match="masks must hold"):
        object_iou([[[-1]]], [[[1]]], 1)
    with pytest.raises(ValueError, match="y_pred must hold"):
        object_iou([[[1]]], [[[0.5]]], 1)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        object_iou([[1]], [[1]], 1)


def test_object_zones_split_by_nearest_object():
    # tie at pixel 2 goes to label 1; an image with no object is all 0
    zones = object_zones([[[1, 0, 0, 0, 2, 2]], [[0, 0, 0, 0, 0, 0]]])
    np.testing.assert_array_equal(zones, [[[1, 1, 1, 2, 2, 2]],
                                          [[0, 0, 0, 0, 0, 0]]])
    assert zones.dtype == np.int64
    _, masks = lb.data.toy_masks(2, seed=4)
    zones = object_zones(masks)
    # every object pixel lies in its own zone
    assert (zones[masks > 0] == masks[masks > 0]).all()


def test_object_iou_with_precomputed_zones():
    _, masks = lb.data.toy_masks(3, seed=2)
    pred = np.random.default_rng(1).random(masks.shape) < 0.2
    zones = object_zones(masks)
    for label in (1, 2):
        np.testing.assert_array_equal(
            object_iou(masks, pred, label, zones=zones),
            object_iou(masks, pred, label))
    with pytest.raises(ValueError, match="masks and zones must have"):
        object_iou(masks, pred, 1, zones=zones[:, :5])
