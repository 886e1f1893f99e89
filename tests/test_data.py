"""Tests for lossbook.data: determinism, shapes, dtypes and properties."""

from __future__ import annotations

import numpy as np
import pytest

from lossbook import data
from lossbook.activations import log_softmax
from lossbook.ctc import ctc_gradient, ctc_loss

# every generator with small arguments, so each test runs in milliseconds
GENERATORS = {
    "regression_with_outliers": (data.regression_with_outliers, {}),
    "imbalanced_binary": (data.imbalanced_binary, {}),
    "three_class_blobs": (data.three_class_blobs, {}),
    "polynomial_data": (data.polynomial_data, {}),
    "random_boxes": (data.random_boxes, {}),
    "box_pairs": (data.box_pairs, {}),
    "toy_masks": (data.toy_masks, {"n_images": 4}),
    "toy_token_sequences": (data.toy_token_sequences, {}),
    "ctc_toy_task": (data.ctc_toy_task, {}),
}


def _as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_same_seed_same_arrays(name):
    fn, kwargs = GENERATORS[name]
    first = _as_tuple(fn(**kwargs, seed=3))
    second = _as_tuple(fn(**kwargs, seed=3))
    other = _as_tuple(fn(**kwargs, seed=4))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b)
               for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("name", list(GENERATORS))
def test_default_seed_is_zero(name):
    fn, kwargs = GENERATORS[name]
    for a, b in zip(_as_tuple(fn(**kwargs)), _as_tuple(fn(**kwargs, seed=0)),
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_outputs_finite(name):
    fn, kwargs = GENERATORS[name]
    for a in _as_tuple(fn(**kwargs)):
        assert np.isfinite(a).all()


def test_regression_with_outliers():
    x, y, out = data.regression_with_outliers(
        n=50, outlier_fraction=0.2, return_outliers=True)
    assert x.shape == y.shape == out.shape == (50,)
    assert x.dtype == y.dtype == np.float64 and out.dtype == bool
    assert out.sum() == 10  # round(0.2 * 50)
    assert (np.diff(x) >= 0).all()
    residual = y - (1.0 + 2.0 * x)
    # outliers are shifted up by >= 15; the rest is 0.5-sd noise
    assert residual[out].min() > 10 > np.abs(residual[~out]).max()
    # the two-value form is the default
    assert len(data.regression_with_outliers()) == 2


@pytest.mark.parametrize("n, ratio", [(1010, 100), (55, 10), (202, 100)])
def test_imbalanced_binary_ratio(n, ratio):
    X, y = data.imbalanced_binary(n=n, ratio=ratio)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    positives = int(y.sum())
    assert positives == round(n / (ratio + 1))
    assert (n - positives) / positives == pytest.approx(ratio)
    assert set(np.unique(y)) == {0, 1}


def test_imbalanced_binary_classes_separated():
    X, y = data.imbalanced_binary(n=2020, ratio=100, separation=4.0)
    gap = X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0)
    assert np.linalg.norm(gap) == pytest.approx(4.0, abs=1.0)


def test_three_class_blobs():
    X, y = data.three_class_blobs(n_per_class=40)
    assert X.shape == (120, 2) and y.shape == (120,)
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [40, 40, 40]
    means = np.stack([X[y == c].mean(axis=0) for c in range(3)])
    assert np.allclose(np.linalg.norm(means, axis=1), 3.0, atol=0.5)


def test_polynomial_data_and_split():
    x, y = data.polynomial_data(n=40, noise=0.1)
    assert x.shape == y.shape == (40,) and x.dtype == np.float64
    assert 0 <= x.min() and x.max() <= 1
    assert np.std(y - np.sin(2 * np.pi * x)) == pytest.approx(0.1, rel=0.4)
    x_tr, x_val, _, y_val = data.train_val_split(x, y, val_fraction=0.25)
    assert len(x_val) == len(y_val) == 10 and len(x_tr) == 30
    # the split is one permutation shared by both arrays
    assert set(x_tr) | set(x_val) == set(x)
    lookup = dict(zip(x, y, strict=True))
    assert all(lookup[a] == b for a, b in zip(x_val, y_val, strict=True))


def test_random_boxes_valid_and_varied():
    boxes = data.random_boxes(n=500, image_size=512.0, min_size=2.0,
                              max_size=256.0)
    assert boxes.shape == (500, 4) and boxes.dtype == np.float64
    wh = boxes[:, 2:] - boxes[:, :2]
    assert (wh >= 2.0 - 1e-9).all() and (wh <= 256.0 + 1e-9).all()
    assert (boxes >= 0).all() and (boxes <= 512.0).all()
    # log-uniform sizes: both tiny and large boxes appear
    assert wh.min() < 4 and wh.max() > 128


def test_box_pairs_perturbed_and_some_disjoint():
    boxes_true, boxes_pred = data.box_pairs(n=50, disjoint_fraction=0.3)
    assert boxes_true.shape == boxes_pred.shape == (50, 4)
    for boxes in (boxes_true, boxes_pred):
        assert (boxes[:, 2:] > boxes[:, :2]).all()
    disjoint = boxes_pred[:, 0] > boxes_true[:, 2]
    assert disjoint.sum() >= 15  # round(0.3 * 50) moved to the right
    # the others overlap their true box in most cases
    inter_w = (np.minimum(boxes_true[:, 2], boxes_pred[:, 2])
               - np.maximum(boxes_true[:, 0], boxes_pred[:, 0]))
    inter_h = (np.minimum(boxes_true[:, 3], boxes_pred[:, 3])
               - np.maximum(boxes_true[:, 1], boxes_pred[:, 1]))
    overlap = (inter_w > 0) & (inter_h > 0)
    assert overlap[~disjoint].mean() > 0.8


def test_toy_masks_small_and_large_objects():
    images, masks = data.toy_masks(n_images=6, size=32, noise=0.3)
    assert images.shape == masks.shape == (6, 32, 32)
    assert images.dtype == np.float64 and masks.dtype == np.int64
    assert set(np.unique(masks)) == {0, 1, 2}
    small = (masks == 1).sum(axis=(1, 2))
    large = (masks == 2).sum(axis=(1, 2))
    assert (small >= 1).all() and (small <= 20).all()
    assert (large >= 40).all() and (large > 4 * small).all()
    # objects are brighter than the background on average
    assert images[masks > 0].mean() > images[masks == 0].mean() + 0.5


def test_toy_masks_objects_do_not_touch():
    _, masks = data.toy_masks(n_images=20, size=16)
    for mask in masks:
        small = np.argwhere(mask == 1)
        large = np.argwhere(mask == 2)
        gaps = np.abs(small[:, None, :] - large[None, :, :]).max(axis=2)
        assert gaps.min() >= 2


def test_toy_token_sequences():
    tokens, lengths, mask = data.toy_token_sequences(
        n=20, vocab=7, max_len=9, min_len=2, pad_id=3)
    assert tokens.shape == mask.shape == (20, 9) and lengths.shape == (20,)
    assert tokens.dtype == lengths.dtype == np.int64 and mask.dtype == bool
    assert lengths.max() == 9 and lengths.min() == 2
    np.testing.assert_array_equal(mask, np.arange(9) < lengths[:, None])
    assert (tokens[~mask] == 3).all()
    assert (tokens[mask] != 3).all()
    assert tokens.min() >= 0 and tokens.max() < 7


def test_ctc_toy_task_shapes_and_alignment():
    features, targets, in_len, tg_len, alignment = data.ctc_toy_task(
        n=16, T=30, num_classes=6, max_target_len=5, num_features=8,
        return_alignment=True)
    assert features.shape == (30, 16, 8) and targets.shape == (16, 5)
    assert alignment.shape == (30, 16)
    for arr in (targets, in_len, tg_len, alignment):
        assert arr.dtype == np.int64
    assert (tg_len >= 1).all() and (tg_len <= 5).all()
    assert (in_len <= 30).all()
    for n in range(16):
        frames = alignment[: in_len[n], n]
        assert (alignment[in_len[n]:, n] == -1).all()
        # collapsing the frame labels gives back the target
        merged = [c for i, c in enumerate(frames)
                  if i == 0 or c != frames[i - 1]]
        assert [c for c in merged if c != 0] == list(
            targets[n, : tg_len[n]])
        assert (targets[n, tg_len[n]:] == 0).all()
    assert not features[alignment == -1].any()


def test_ctc_toy_task_every_target_alignable():
    _, targets, in_len, tg_len = data.ctc_toy_task(n=64)
    uniform = np.log(np.full((30, 64, 6), 1 / 6))
    assert np.isfinite(ctc_loss(uniform, targets, in_len, tg_len,
                                reduction="none")).all()


def test_ctc_toy_task_learnable_by_linear_classifier():
    # a few hundred steps of gradient descent on a per-frame linear layer,
    # trained by CTC alone, lower the loss on a fresh draw of the same task
    features, targets, in_len, tg_len = data.ctc_toy_task(seed=0)
    weights, bias = np.zeros((8, 6)), np.zeros(6)
    val = data.ctc_toy_task(seed=1)

    def val_loss():
        lp = log_softmax(val[0] @ weights + bias, axis=2)
        return float(ctc_loss(lp, *val[1:]))

    start = val_loss()
    for _ in range(150):
        lp = log_softmax(features @ weights + bias, axis=2)
        g = ctc_gradient(lp, targets, in_len, tg_len, wrt="logits")
        weights -= np.einsum("tnf,tnc->fc", features, g)
        bias -= g.sum(axis=(0, 1))
    assert val_loss() < start / 5


BAD = [
    (data.regression_with_outliers, {"n": 0}, ValueError, "n"),
    (data.regression_with_outliers, {"n": 2.5}, TypeError, "n"),
    (data.regression_with_outliers, {"outlier_fraction": 1.5}, ValueError,
     "outlier_fraction"),
    (data.regression_with_outliers, {"noise": -1.0}, ValueError, "noise"),
    (data.imbalanced_binary, {"n": 50, "ratio": 100}, ValueError, "n"),
    (data.imbalanced_binary, {"ratio": 0}, ValueError, "ratio"),
    (data.three_class_blobs, {"n_per_class": "3"}, TypeError,
     "n_per_class"),
    (data.three_class_blobs, {"spread": -1.0}, ValueError, "spread"),
    (data.polynomial_data, {"noise": float("nan")}, ValueError, "noise"),
    (data.random_boxes, {"min_size": 0.0}, ValueError, "min_size"),
    (data.random_boxes, {"max_size": 1000.0}, ValueError, "max_size"),
    (data.random_boxes, {"min_size": 300.0}, ValueError, "min_size"),
    (data.box_pairs, {"disjoint_fraction": -0.1}, ValueError,
     "disjoint_fraction"),
    (data.toy_masks, {"size": 8}, ValueError, "size"),
    (data.toy_token_sequences, {"min_len": 20}, ValueError, "min_len"),
    (data.toy_token_sequences, {"pad_id": 10}, ValueError, "pad_id"),
    (data.toy_token_sequences, {"vocab": 1}, ValueError, "vocab"),
    (data.ctc_toy_task, {"T": 10}, ValueError, "T"),
    (data.ctc_toy_task, {"symbol_frames": (3, 2)}, ValueError,
     "symbol_frames"),
    (data.ctc_toy_task, {"gap_frames": 2}, TypeError, "gap_frames"),
    (data.ctc_toy_task, {"num_classes": 1}, ValueError, "num_classes"),
    (data.ctc_toy_task, {"seed": -1}, ValueError, "seed"),
    (data.toy_masks, {"seed": 1.0}, TypeError, "seed"),
]


@pytest.mark.parametrize("fn, kwargs, error, match", BAD)
def test_bad_arguments(fn, kwargs, error, match):
    with pytest.raises(error, match=match):
        fn(**kwargs)


SPLIT_BAD = [
    ((), {}, TypeError, "array"),
    ((np.arange(5), np.arange(4)), {}, ValueError, "arrays"),
    ((np.arange(1),), {}, ValueError, "arrays"),
    ((np.arange(5),), {"val_fraction": 1.0}, ValueError, "val_fraction"),
]


@pytest.mark.parametrize("args, kwargs, error, match", SPLIT_BAD)
def test_train_val_split_bad(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.train_val_split(*args, **kwargs)
