"""Tests for lossbook.frameworks, the emulations of framework behaviour.

Expected values are checkable by hand; each says where it comes from. The
PyTorch and torchvision emulations are also compared with numbers recorded
from PyTorch itself in tests/test_reference_values.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossbook import frameworks as fw
from lossbook.ctc import ctc_loss
from lossbook.focal import sigmoid_focal_loss

# -ln(1e-7): Keras's saturation value once a probability is clipped to 1e-7
KERAS_CAP = -math.log(1e-7)
RNG_SEED = 20240607


def _rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def _exact_bce(y, p):
    """-(y log p + (1 - y) log(1 - p)), by the textbook formula."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


# ---------------------------------------------------------------------------
# torch_binary_cross_entropy
# ---------------------------------------------------------------------------


class TestTorchBinaryCrossEntropy:
    def test_clamp_at_100(self):
        # log 0 clamped at -100 (ATen Loss.cpp): each saturated term is 100
        out = fw.torch_binary_cross_entropy(
            [1.0, 0.0], [0.0, 1.0], reduction="none"
        )
        np.testing.assert_array_equal(out, [100.0, 100.0])

    def test_soft_target_at_the_clamp(self):
        # y = 0.3, p = 0: 0.3 * 100 + 0.7 * (-log 1) = 30
        out = fw.torch_binary_cross_entropy([0.3], [0.0], reduction="sum")
        assert float(out) == pytest.approx(30.0, rel=1e-15)

    def test_log1p_near_zero(self):
        # PyTorch 2 takes log1p(-p): -log1p(-1e-12) = 1e-12 + 5e-25, the
        # value torch 2.14.1 returns; log(1 - 1e-12) would give 9.99978e-13
        out = fw.torch_binary_cross_entropy([0.0], [1e-12], reduction="none")
        assert out[0] == pytest.approx(1.0000000000005e-12, rel=1e-15)

    def test_matches_formula_away_from_clamp(self):
        rng = _rng()
        y = rng.uniform(size=50)
        p = rng.uniform(0.01, 0.99, size=50)
        out = fw.torch_binary_cross_entropy(y, p, reduction="none")
        np.testing.assert_allclose(out, _exact_bce(y, p), rtol=1e-12)

    def test_weight_and_reductions(self):
        y, p, w = [1.0, 0.0], [0.5, 0.5], [2.0, 0.0]
        # w * log 2 per element; "mean" divides by the element count, 2
        none = fw.torch_binary_cross_entropy(y, p, weight=w, reduction="none")
        np.testing.assert_allclose(none, [2 * math.log(2), 0.0], rtol=1e-15)
        mean = fw.torch_binary_cross_entropy(y, p, weight=w)
        assert float(mean) == pytest.approx(math.log(2), rel=1e-15)
        total = fw.torch_binary_cross_entropy(y, p, weight=w, reduction="sum")
        assert float(total) == pytest.approx(2 * math.log(2), rel=1e-15)

    def test_float32_kept(self):
        out = fw.torch_binary_cross_entropy(
            np.float32([1.0]), np.float32([0.25])
        )
        assert out.dtype == np.float32


# ---------------------------------------------------------------------------
# Keras cross-entropies
# ---------------------------------------------------------------------------


class TestKerasBinaryCrossentropy:
    def test_saturation_and_perfect_prediction(self):
        out = fw.keras_binary_crossentropy(
            [[1.0], [1.0]], [[0.0], [1.0]], reduction="none"
        )
        # p = 0 clipped to 1e-7: -ln(1e-7); p = 1 clipped to 1 - 1e-7
        assert out.shape == (2,)
        assert out[0] == pytest.approx(KERAS_CAP, rel=1e-14)
        assert out[1] == pytest.approx(-math.log1p(-1e-7), rel=1e-8)

    def test_mean_over_last_axis(self):
        y = [[1.0, 0.0], [0.0, 0.0]]
        p = [[0.5, 0.5], [0.2, 0.4]]
        out = fw.keras_binary_crossentropy(y, p)
        expected = _exact_bce(y, p).mean(axis=-1)
        np.testing.assert_allclose(out, expected, rtol=1e-14)
        mean = fw.keras_binary_crossentropy(y, p, reduction="mean")
        assert float(mean) == pytest.approx(expected.mean(), rel=1e-14)

    def test_axis(self):
        y = np.array([[1.0, 0.0], [0.0, 0.0]])
        p = np.array([[0.5, 0.5], [0.2, 0.4]])
        out = fw.keras_binary_crossentropy(y, p, axis=0)
        np.testing.assert_allclose(
            out, _exact_bce(y, p).mean(axis=0), rtol=1e-14
        )

    def test_label_smoothing(self):
        # y = 1, s = 0.2 -> 1 * 0.8 + 0.1 = 0.9; p = 0.9:
        # -(0.9 log 0.9 + 0.1 log 0.1)
        out = fw.keras_binary_crossentropy(
            [1.0], [0.9], label_smoothing=0.2
        )
        expected = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
        assert float(out) == pytest.approx(expected, rel=1e-14)


class TestKerasCategoricalCrossentropy:
    def test_renormalises_rows(self):
        out = fw.keras_categorical_crossentropy([0.0, 1.0], [0.2, 0.8])
        assert float(out) == pytest.approx(-math.log(0.8), rel=1e-14)
        # [0.1, 0.4] / 0.5 = [0.2, 0.8]; true class 1: -log 0.8
        scaled = fw.keras_categorical_crossentropy([0.0, 1.0], [0.1, 0.4])
        assert float(scaled) == pytest.approx(-math.log(0.8), rel=1e-14)

    def test_saturation(self):
        out = fw.keras_categorical_crossentropy([0.0, 0.0, 1.0],
                                                [0.5, 0.5, 0.0])
        assert float(out) == pytest.approx(KERAS_CAP, rel=1e-14)

    def test_label_smoothing(self):
        # K = 2, s = 0.5: [0, 1] -> [0.25, 0.75]
        out = fw.keras_categorical_crossentropy(
            [0.0, 1.0], [0.2, 0.8], label_smoothing=0.5
        )
        expected = -(0.25 * math.log(0.2) + 0.75 * math.log(0.8))
        assert float(out) == pytest.approx(expected, rel=1e-14)

    def test_axis_one(self):
        rng = _rng()
        p = rng.dirichlet(np.ones(3), size=(4, 5))  # (N, H, C)
        y = np.eye(3)[rng.integers(0, 3, size=(4, 5))]
        last = fw.keras_categorical_crossentropy(y, p)
        first = fw.keras_categorical_crossentropy(
            np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1), axis=1
        )
        np.testing.assert_allclose(first, last, rtol=1e-15)
        assert last.shape == (4, 5)


class TestKerasSparseCategoricalCrossentropy:
    def test_matches_one_hot(self):
        rng = _rng()
        p = rng.dirichlet(np.ones(4), size=6)
        labels = rng.integers(0, 4, size=6)
        sparse = fw.keras_sparse_categorical_crossentropy(labels, p)
        dense = fw.keras_categorical_crossentropy(np.eye(4)[labels], p)
        np.testing.assert_allclose(sparse, dense, rtol=1e-15)

    def test_value_and_trailing_axis(self):
        # -log 0.8; a label array of shape (N, 1) is squeezed, as in Keras
        out = fw.keras_sparse_categorical_crossentropy([[1]], [[0.2, 0.8]])
        assert out.shape == (1,)
        assert out[0] == pytest.approx(-math.log(0.8), rel=1e-14)

    def test_saturation(self):
        out = fw.keras_sparse_categorical_crossentropy([0], [[0.0, 1.0]])
        assert out[0] == pytest.approx(KERAS_CAP, rel=1e-14)


class TestKerasBinaryFocalCrossentropy:
    def test_alpha_ignored_without_balancing(self):
        # p = 1/2: (1/2)^2 log 2, whatever alpha
        a = fw.keras_binary_focal_crossentropy([1.0], [0.5], alpha=0.9)
        b = fw.keras_binary_focal_crossentropy([1.0], [0.5], alpha=0.1)
        assert float(a) == float(b) == pytest.approx(0.25 * math.log(2))

    def test_class_balancing(self):
        # y = 0 gets weight 1 - alpha = 0.75
        out = fw.keras_binary_focal_crossentropy(
            [0.0], [0.5], apply_class_balancing=True
        )
        assert float(out) == pytest.approx(0.75 * 0.25 * math.log(2))

    def test_gamma_zero_is_keras_bce(self):
        rng = _rng()
        y = rng.integers(0, 2, size=(3, 4)).astype(float)
        p = rng.uniform(size=(3, 4))
        np.testing.assert_allclose(
            fw.keras_binary_focal_crossentropy(y, p, gamma=0.0),
            fw.keras_binary_crossentropy(y, p),
            rtol=1e-15,
        )

    def test_clip_inside_the_log_only(self):
        # p = 0 for a positive: factor (1 - 0)^2 = 1 from the unclipped p,
        # cross-entropy -ln(1e-7) from the clipped one
        out = fw.keras_binary_focal_crossentropy([1.0], [0.0])
        assert float(out) == pytest.approx(KERAS_CAP, rel=1e-14)


# ---------------------------------------------------------------------------
# focal losses of torchvision and SMP
# ---------------------------------------------------------------------------


class TestTorchvisionSigmoidFocalLoss:
    def test_values_and_default_reduction(self):
        out = fw.torchvision_sigmoid_focal_loss([1.0, 0.0], [0.0, 0.0])
        # no reduction by default; 0.25 and 0.75 times (1/2)^2 log 2
        assert out.shape == (2,)
        np.testing.assert_allclose(
            out, np.array([0.25, 0.75]) * 0.25 * math.log(2), rtol=1e-15
        )

    def test_negative_alpha_disables(self):
        off = fw.torchvision_sigmoid_focal_loss([1.0], [0.0], alpha=-1)
        assert off[0] == pytest.approx(0.25 * math.log(2), rel=1e-15)

    def test_matches_lossbook_away_from_saturation(self):
        rng = _rng()
        y = rng.integers(0, 2, size=200).astype(float)
        z = rng.uniform(-8, 8, size=200)
        for alpha, lb_alpha in ((0.25, 0.25), (-1.0, None)):
            ours = fw.torchvision_sigmoid_focal_loss(y, z, alpha=alpha)
            exact = sigmoid_focal_loss(y, z, alpha=lb_alpha,
                                       reduction="none")
            # two roundings torchvision inherits: 1 - p_t by subtraction,
            # and torch's BCE (1 - y) z - log sigma(z), which for y = 0 and
            # z < 0 cancels to a relative error of about
            # ulp(|z|) e^|z| ~ 2e-15 * 3e3 = 5e-12 at |z| = 8
            np.testing.assert_allclose(ours, exact, rtol=1e-10)

    def test_saturates_to_zero(self):
        # sigma(40) rounds to 1, so 1 - p_t = 0 for a correct confident
        # prediction; the exact loss is positive (lossbook.focal)
        ours = fw.torchvision_sigmoid_focal_loss([0.0, 1.0], [-40.0, 40.0])
        exact = sigmoid_focal_loss([0.0, 1.0], [-40.0, 40.0],
                                   reduction="none")
        np.testing.assert_array_equal(ours, [0.0, 0.0])
        assert (exact > 0).all()

    def test_torch_bce_cancels_for_confident_negatives(self):
        # gamma = 0, alpha off leaves torch's BCE-with-logits,
        # (1 - y) z - log sigma(z): for y = 0, z = -40 the exact value
        # log(1 + e^-40) ~ 4.2e-18 is below half an ulp of 40, so torch
        # (2.14.1, checked) returns 0
        out = fw.torchvision_sigmoid_focal_loss([0.0], [-40.0], alpha=-1,
                                                gamma=0.0)
        assert out[0] == 0.0
        # for y = 1 the same formula keeps full precision: log1p(e^-40)
        pos = fw.torchvision_sigmoid_focal_loss([1.0], [40.0], alpha=-1,
                                                gamma=0.0)
        assert pos[0] == pytest.approx(math.exp(-40.0), rel=1e-15)

    def test_reductions(self):
        y, z = [1.0, 0.0, 1.0], [0.3, -1.2, 2.0]
        none = fw.torchvision_sigmoid_focal_loss(y, z)
        mean = fw.torchvision_sigmoid_focal_loss(y, z, reduction="mean")
        total = fw.torchvision_sigmoid_focal_loss(y, z, reduction="sum")
        assert float(mean) == pytest.approx(none.mean(), rel=1e-15)
        assert float(total) == pytest.approx(none.sum(), rel=1e-15)


class TestSmpFocalLoss:
    def test_default_alpha_none(self):
        # z = 0: (1/2)^2 log 2, unweighted (FocalLoss default alpha=None)
        out = fw.smp_focal_loss([1.0], [0.0])
        assert float(out) == pytest.approx(0.25 * math.log(2), rel=1e-15)

    def test_equals_torchvision_for_hard_labels(self):
        rng = _rng()
        y = rng.integers(0, 2, size=100).astype(float)
        z = rng.uniform(-6, 6, size=100)
        np.testing.assert_allclose(
            fw.smp_focal_loss(y, z, alpha=0.25, reduction="none"),
            fw.torchvision_sigmoid_focal_loss(y, z, alpha=0.25),
            rtol=1e-12,
        )

    def test_soft_label_differs_from_torchvision(self):
        # y = 1/2, z = 0: BCE = log 2, exp(-BCE) = 1/2 -> factor 1/4;
        # torchvision's p_t = 1/2 too, but at z = 2 they part:
        # SMP p_t = exp(-BCE) = sqrt(s(2) s(-2)), torchvision 1/2
        smp = fw.smp_focal_loss([0.5], [2.0], reduction="none")
        tv = fw.torchvision_sigmoid_focal_loss([0.5], [2.0], alpha=-1)
        s = 1 / (1 + math.exp(-2.0))
        bce = -0.5 * (math.log(s) + math.log(1 - s))
        assert smp[0] == pytest.approx((1 - math.exp(-bce)) ** 2 * bce)
        assert tv[0] == pytest.approx(0.25 * bce)

    def test_normalized_and_reduced(self):
        y, z = np.array([1.0, 0.0]), np.array([0.0, 0.0])
        # each focal factor is 1/4, their sum 1/2: each loss log 2 / 4 / 1/2
        out = fw.smp_focal_loss(y, z, normalized=True, reduction="none")
        np.testing.assert_allclose(out, [math.log(2) / 2] * 2, rtol=1e-15)
        # p_t = 1/2 >= threshold 0.5: ((1/2) / 0.5)^2 = 1 -> plain BCE
        red = fw.smp_focal_loss(y, z, reduced_threshold=0.5,
                                reduction="none")
        np.testing.assert_allclose(red, [math.log(2)] * 2, rtol=1e-15)
        # p_t = 1/2 below a threshold of 0.6: factor 1
        low = fw.smp_focal_loss(y, z, reduced_threshold=0.6,
                                reduction="none")
        np.testing.assert_allclose(low, [math.log(2)] * 2, rtol=1e-15)


# ---------------------------------------------------------------------------
# Dice
# ---------------------------------------------------------------------------


class TestKerasDice:
    def test_value(self):
        # 1 - 2*1/(2 + 2 + 1e-7)
        out = fw.keras_dice([1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0])
        assert float(out) == pytest.approx(1 - 2 / (4 + 1e-7), rel=1e-15)

    def test_empty_target_and_prediction_give_one(self):
        # epsilon only below the fraction bar: 1 - 0/1e-7 = 1
        assert float(fw.keras_dice(np.zeros((2, 3)), np.zeros((2, 3)))) == 1

    def test_batch_is_pooled_unless_axis(self):
        y = np.array([[1.0, 0.0], [0.0, 0.0]])
        p = np.array([[1.0, 0.0], [0.0, 0.0]])
        # axis=None: one Dice over both samples, 1 - 2/(2 + 1e-7)
        pooled = fw.keras_dice(y, p)
        assert float(pooled) == pytest.approx(1 - 2 / (2 + 1e-7))
        # per sample: the empty second sample scores 1
        per_sample = fw.keras_dice(y, p, axis=1)
        np.testing.assert_allclose(per_sample, [1 - 2 / (2 + 1e-7), 1.0])
        both = fw.keras_dice(y, p, axis=(0, 1))
        assert float(both) == float(pooled)


class TestSmpDiceLoss:
    def test_value_and_absent_class(self):
        # class 0: sum p = 1.5, sum y = 2, I = 1.5, D = 1.5/1.75 = 6/7;
        # class 1 has no true pixel -> 0; mean over 2 classes: 1/14
        y = [[1.0, 0.0], [1.0, 0.0]]
        p = [[0.5, 0.5], [1.0, 0.0]]
        assert float(fw.smp_dice_loss(y, p)) == pytest.approx(1 / 14)
        per_class = fw.smp_dice_loss(y, p, reduction="none")
        np.testing.assert_allclose(per_class, [1 / 7, 0.0], rtol=1e-14)

    def test_smoothing_is_doubled(self):
        # SymPy-checked identity (see the CrossEntropyIoULoss2D chapter):
        # Tversky(1/2, 1/2, s) = (2I + 2s)/(sum p + sum y + 2s)
        rng = _rng()
        y = (rng.uniform(size=(3, 5, 2)) < 0.5).astype(float)
        y[0, 0] = 1.0  # every class present
        p = rng.uniform(size=(3, 5, 2))
        s = 0.7
        inter = (p * y).sum(axis=(0, 1))
        dice = (2 * inter + 2 * s) / (p.sum(axis=(0, 1)) + y.sum(axis=(0, 1))
                                      + 2 * s)
        out = fw.smp_dice_loss(y, p, smooth=s, reduction="none")
        np.testing.assert_allclose(out, 1 - dice, rtol=1e-13)

    def test_soft_target_intersection_is_min(self):
        # (sum p + sum y - sum |p - y|)/2 = sum min(p, y)
        y, p = np.array([[0.3], [0.9]]), np.array([[0.6], [0.5]])
        inter = np.minimum(p, y).sum()
        expected = 1 - inter / (0.5 * (p.sum() + y.sum()))
        assert float(fw.smp_dice_loss(y, p)) == pytest.approx(expected)

    def test_layouts(self):
        rng = _rng()
        y = np.eye(3)[rng.integers(0, 3, size=(2, 4, 4))]  # (N, H, W, C)
        p = rng.dirichlet(np.ones(3), size=(2, 4, 4))
        last = fw.smp_dice_loss(y, p)
        first = fw.smp_dice_loss(
            np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1), axis=1
        )
        assert float(first) == pytest.approx(float(last), rel=1e-14)
        # binary mode: no class axis is one class
        binary = fw.smp_dice_loss(y[..., 0], p[..., 0], axis=None)
        single = fw.smp_dice_loss(y[..., :1], p[..., :1])
        assert float(binary) == pytest.approx(float(single), rel=1e-15)

    def test_eps_floor_and_log_loss(self):
        # all empty: denominator clamped at eps, score 0, but class absent
        assert float(fw.smp_dice_loss(np.zeros((1, 2)), np.zeros((1, 2)))) \
            == 0.0
        # log loss: -log D, D = 6/7 for class 0 of the first example
        y = [[1.0, 0.0], [1.0, 0.0]]
        p = [[0.5, 0.5], [1.0, 0.0]]
        out = fw.smp_dice_loss(y, p, log_loss=True, reduction="none")
        np.testing.assert_allclose(out, [-math.log(6 / 7), 0.0], rtol=1e-14)


class TestMonaiDiceLoss:
    def test_empty_empty_is_zero(self):
        y = np.zeros((2, 3, 1))
        assert float(fw.monai_dice_loss(y, y)) == 0.0

    def test_value(self):
        # one sample, one channel:
        # y = [1, 1, 1], p = [1, 1, 0]: 2I = 4, sum y + sum p = 5
        out = fw.monai_dice_loss([[[1.0], [1.0], [1.0]]],
                                 [[[1.0], [1.0], [0.0]]])
        assert float(out) == pytest.approx(1 - (4 + 1e-5) / (5 + 1e-5))

    def test_per_sample_and_batch(self):
        y = np.array([[[1.0], [0.0]], [[0.0], [0.0]]])  # (N=2, H=2, C=1)
        p = np.array([[[1.0], [0.0]], [[1.0], [0.0]]])
        none = fw.monai_dice_loss(y, p, reduction="none")
        assert none.shape == (2, 1)
        # sample 0 perfect (0); sample 1 empty target, one false positive:
        # 1 - 1e-5/(1 + 1e-5)
        np.testing.assert_allclose(
            none[:, 0], [0.0, 1 - 1e-5 / (1 + 1e-5)], atol=1e-15
        )
        pooled = fw.monai_dice_loss(y, p, batch=True, reduction="none")
        assert pooled.shape == (1,)
        # 2I = 2, sum y + sum p = 3
        assert pooled[0] == pytest.approx(1 - (2 + 1e-5) / (3 + 1e-5))

    def test_channels_first(self):
        rng = _rng()
        y = np.eye(2)[rng.integers(0, 2, size=(3, 4))]  # (N, H, C)
        p = rng.uniform(size=(3, 4, 2))
        a = fw.monai_dice_loss(y, p, reduction="none")
        b = fw.monai_dice_loss(np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1),
                               axis=1, reduction="none")
        np.testing.assert_allclose(a, b, rtol=1e-15)


# ---------------------------------------------------------------------------
# CTC reductions
# ---------------------------------------------------------------------------


class TestCtcMeans:
    def test_values(self):
        # (6/3 + 2/1)/2 = 2; Keras: (6 + 2)/2 = 4
        assert float(fw.torch_ctc_mean([6.0, 2.0], [3, 1])) == 2.0
        assert float(fw.keras_ctc_mean([6.0, 2.0])) == 4.0
        # length 0 is clamped to 1: (6/3 + 2/1)/2
        assert float(fw.torch_ctc_mean([6.0, 2.0], [3, 0])) == 2.0

    def test_infinity_passes_through(self):
        assert float(fw.torch_ctc_mean([np.inf, 1.0], [2, 1])) == np.inf
        assert float(fw.keras_ctc_mean([np.inf, 1.0])) == np.inf

    def test_matches_lossbook_ctc_mean(self):
        rng = _rng()
        t, n, c = 8, 3, 4
        logits = rng.normal(size=(t, n, c))
        lp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        targets = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
        in_len, tg_len = np.array([8, 7, 5]), np.array([3, 2, 1])
        per_sample = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
        mean = ctc_loss(lp, targets, in_len, tg_len)
        assert float(fw.torch_ctc_mean(per_sample, tg_len)) == pytest.approx(
            float(mean), rel=1e-14
        )


# ---------------------------------------------------------------------------
# shared behaviour: dtype, no mutation, bad input
# ---------------------------------------------------------------------------

_PROB_PAIRS = [
    fw.torch_binary_cross_entropy,
    fw.keras_binary_crossentropy,
    fw.keras_binary_focal_crossentropy,
    fw.keras_categorical_crossentropy,
    fw.keras_dice,
    fw.smp_dice_loss,
    fw.monai_dice_loss,
]
_LOGIT_PAIRS = [fw.torchvision_sigmoid_focal_loss, fw.smp_focal_loss]


@pytest.mark.parametrize("fn", _PROB_PAIRS + _LOGIT_PAIRS,
                         ids=lambda f: f.__name__)
def test_float32_kept_and_inputs_untouched(fn):
    rng = _rng()
    y = (rng.uniform(size=(2, 3, 2)) < 0.5).astype(np.float32)
    p = rng.uniform(0.1, 0.9, size=(2, 3, 2)).astype(np.float32)
    y0, p0 = y.copy(), p.copy()
    out = fn(y, p)
    assert np.asarray(out).dtype == np.float32
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)
    out64 = fn(y.astype(int), p.astype(np.float64))
    assert np.asarray(out64).dtype == np.float64


_GOOD = ([[1.0, 0.0]], [[0.5, 0.5]])
_BAD_CASES = [
    # (function, args, kwargs, exception, message fragment)
    (fw.torch_binary_cross_entropy, ([1.0], [0.5, 0.5]), {}, ValueError,
     "same shape"),
    (fw.torch_binary_cross_entropy, ([1.0], [1.5]), {}, ValueError,
     "y_prob must hold probabilities"),
    (fw.torch_binary_cross_entropy, ([1.0], [np.nan]), {}, ValueError,
     "y_prob must be finite"),
    (fw.torch_binary_cross_entropy, ([1.0], [0.5]), {"reduction": "avg"},
     ValueError, "reduction"),
    (fw.torch_binary_cross_entropy, ([1.0], [0.5]), {"weight": [1.0, 2.0]},
     ValueError, "weight"),
    (fw.torch_binary_cross_entropy, ([], []), {}, ValueError,
     "y_true must not be empty"),
    (fw.torch_binary_cross_entropy, (["a"], [0.5]), {}, TypeError,
     "y_true must be a numeric"),
    (fw.keras_binary_crossentropy, ([2.0], [0.5]), {}, ValueError,
     "y_true must hold probabilities"),
    (fw.keras_binary_crossentropy, _GOOD, {"label_smoothing": 1.5},
     ValueError, "label_smoothing"),
    (fw.keras_binary_crossentropy, _GOOD, {"axis": 2}, ValueError, "axis"),
    (fw.keras_categorical_crossentropy, _GOOD, {"label_smoothing": -0.1},
     ValueError, "label_smoothing"),
    (fw.keras_categorical_crossentropy, ([[1.0, 0.0]], [[0.5, 0.5, 0.0]]),
     {}, ValueError, "same shape"),
    (fw.keras_sparse_categorical_crossentropy, ([2], [[0.5, 0.5]]), {},
     ValueError, "y_true must hold class labels"),
    (fw.keras_sparse_categorical_crossentropy, ([0.5], [[0.5, 0.5]]), {},
     ValueError, "y_true must hold integer"),
    (fw.keras_sparse_categorical_crossentropy, ([0, 1], [[0.5, 0.5]]), {},
     ValueError, "same shape"),
    (fw.keras_sparse_categorical_crossentropy, ([0], [[0.5, -0.5]]), {},
     ValueError, "y_prob must hold probabilities"),
    (fw.keras_binary_focal_crossentropy, _GOOD, {"gamma": -1.0},
     ValueError, "gamma"),
    (fw.keras_binary_focal_crossentropy, _GOOD,
     {"apply_class_balancing": "yes"}, TypeError, "apply_class_balancing"),
    (fw.torchvision_sigmoid_focal_loss, ([1.0], [np.inf]), {}, ValueError,
     "logits must be finite"),
    (fw.torchvision_sigmoid_focal_loss, ([1.0], [0.0]), {"gamma": -2.0},
     ValueError, "gamma"),
    (fw.torchvision_sigmoid_focal_loss, ([1.0], [0.0]), {"alpha": None},
     TypeError, "alpha"),
    (fw.torchvision_sigmoid_focal_loss, ([1.0], [0.0]),
     {"reduction": None}, ValueError, "reduction"),
    (fw.smp_focal_loss, ([1.0], [0.0]), {"reduced_threshold": 0.0},
     ValueError, "reduced_threshold"),
    (fw.smp_focal_loss, ([1.0], [0.0]), {"normalized": 1}, TypeError,
     "normalized"),
    (fw.smp_focal_loss, ([-1.0], [0.0]), {}, ValueError,
     "y_true must hold probabilities"),
    (fw.keras_dice, _GOOD, {"axis": 5}, ValueError, "axis"),
    (fw.keras_dice, _GOOD, {"axis": (0, 1.5)}, TypeError, "axis"),
    (fw.smp_dice_loss, _GOOD, {"smooth": -1.0}, ValueError, "smooth"),
    (fw.smp_dice_loss, _GOOD, {"eps": -1e-7}, ValueError, "eps"),
    (fw.smp_dice_loss, _GOOD, {"axis": 0}, ValueError, "axis"),
    (fw.smp_dice_loss, _GOOD, {"log_loss": "no"}, TypeError, "log_loss"),
    (fw.monai_dice_loss, _GOOD, {"smooth_nr": -1.0}, ValueError,
     "smooth_nr"),
    (fw.monai_dice_loss, _GOOD, {"smooth_dr": -1.0}, ValueError,
     "smooth_dr"),
    (fw.monai_dice_loss, _GOOD, {"batch": None}, TypeError, "batch"),
    (fw.monai_dice_loss, ([[1.0, 0.0]], [[0.5]]), {}, ValueError,
     "same shape"),
    (fw.torch_ctc_mean, ([1.0, 2.0], [1]), {}, ValueError, "same shape"),
    (fw.torch_ctc_mean, ([1.0], [-1]), {}, ValueError, "target_lengths"),
    (fw.torch_ctc_mean, ([1.0], [1.5]), {}, ValueError, "target_lengths"),
    (fw.torch_ctc_mean, ([np.nan], [1]), {}, ValueError,
     "per_sample_losses must be finite"),
    (fw.keras_ctc_mean, ([[1.0]],), {}, ValueError, "per_sample_losses"),
    (fw.keras_ctc_mean, ([-np.inf],), {}, ValueError, "per_sample_losses"),
    (fw.keras_ctc_mean, ("abc",), {}, TypeError, "per_sample_losses"),
]


@pytest.mark.parametrize(
    ("fn", "args", "kwargs", "exc", "match"),
    _BAD_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(_BAD_CASES)],
)
def test_bad_input(fn, args, kwargs, exc, match):
    arrays = [np.array(a) if not isinstance(a, str) else a for a in args]
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
    with pytest.raises(exc, match=match):
        fn(*arrays, **kwargs)
    for a, b in zip(arrays, before, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
