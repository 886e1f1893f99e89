"""Tests for lossbook.sequence.sequence_cross_entropy.

The per-token oracle is the SymPy cross-entropy definition (through its
sequence alias), evaluated at 400 digits by the helper of
test_classification.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_classification import REDUCTIONS, check_gradient, exact

from lossbook.classification import cross_entropy
from lossbook.sequence import GRADIENTS, sequence_cross_entropy
from lossbook.symbolic import classification as sym

C = 5
SEQ = sym.sequence_cross_entropy(C)


def batch(seed, n=3, t=4):
    """Labels, logits and a padding mask (sequence lengths t, t-1, ...)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, size=(n, t, C))
    labels = rng.integers(0, C, size=(n, t))
    lengths = np.maximum(t - np.arange(n), 1)
    mask = (np.arange(t) < lengths[:, None]).astype(float)
    return labels, z, mask


def test_oracle(ulp_report):
    rng = np.random.default_rng(0)
    scale = rng.choice([1.0, 10.0, 100.0, 1000.0], size=(8, 6, 1))
    z = np.clip(rng.normal(size=(8, 6, C)) * scale, -1000, 1000)
    labels = rng.integers(0, C, size=(8, 6))
    labels[::2] = np.argmax(z[::2], axis=-1)  # tiny losses too
    mask = rng.integers(0, 2, size=(8, 6)).astype(float)
    mask[4:] = rng.uniform(0, 3, size=(4, 6))  # real-valued weights
    got = sequence_cross_entropy(labels, z, mask=mask, reduction="none")
    want = []
    with mpmath.workdps(400):
        for k, s, m in zip(labels.ravel(), z.reshape(-1, C), mask.ravel(),
                           strict=True):
            want.append(mpmath.mpf(float(m)) * exact(SEQ, *np.eye(C)[k], *s))
    ulp_report.check("sequence_cross_entropy", got.ravel(), want)


def test_by_hand():
    # one real token with equal logits (ln 2) and a padded one that would
    # cost 100 (label 0 against logits (0, 100)): the mean is ln 2
    z = np.array([[[0.0, 0.0], [0.0, 100.0]]])
    got = sequence_cross_entropy([[0, 0]], z, mask=[[1, 0]])
    assert got == pytest.approx(np.log(2), rel=1e-15)
    got = sequence_cross_entropy([[0, 0]], z, mask=[[1, 0]], reduction="none")
    np.testing.assert_allclose(got, [[np.log(2), 0.0]], rtol=1e-15)


def test_mean_ignores_padding():
    labels, z, mask = batch(1)
    mean = sequence_cross_entropy(labels, z, mask=mask)
    real = mask.astype(bool)
    want = cross_entropy(labels[real], z[real])
    assert mean == pytest.approx(want, rel=1e-14)
    # whatever sits at padded positions does not matter
    z2, labels2 = z.copy(), labels.copy()
    z2[~real] = 1000.0 * np.sign(z[~real])
    labels2[~real] = 0
    assert sequence_cross_entropy(labels2, z2, mask=mask) == mean


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_equals_cross_entropy_with_ignore_index(reduction):
    labels, z, mask = batch(2)
    padded = np.where(mask > 0, labels, -100)
    np.testing.assert_allclose(
        sequence_cross_entropy(labels, z, mask=mask, reduction=reduction),
        cross_entropy(padded, z, ignore_index=-100, reduction=reduction),
        rtol=1e-15,
    )


def test_real_valued_mask_is_a_weighted_mean():
    labels, z, _ = batch(3)
    rng = np.random.default_rng(3)
    weights = rng.uniform(0, 2, size=labels.shape)
    weights[0, 0] = 0.0
    per_token = cross_entropy(labels, z, reduction="none")
    got = sequence_cross_entropy(labels, z, mask=weights)
    want = (weights * per_token).sum() / weights.sum()
    assert got == pytest.approx(want, rel=1e-14)


def test_no_mask_is_the_plain_mean():
    labels, z, _ = batch(4)
    for reduction in REDUCTIONS:
        np.testing.assert_allclose(
            sequence_cross_entropy(labels, z, reduction=reduction),
            cross_entropy(labels, z, reduction=reduction), rtol=1e-15)


def test_probability_targets_and_class_axis():
    labels, z, mask = batch(5)
    onehot = np.eye(C)[labels]
    zt = np.moveaxis(z, -1, 1)  # (N, C, T)
    for reduction in REDUCTIONS:
        want = sequence_cross_entropy(labels, z, mask=mask,
                                      reduction=reduction)
        np.testing.assert_allclose(
            sequence_cross_entropy(onehot, z, mask=mask, reduction=reduction),
            want, rtol=1e-14)
        np.testing.assert_allclose(
            sequence_cross_entropy(labels, zt, mask=mask, axis=1,
                                   reduction=reduction), want, rtol=1e-15)
        np.testing.assert_allclose(
            GRADIENTS[sequence_cross_entropy](labels, zt, mask=mask, axis=1,
                                              reduction=reduction),
            np.moveaxis(GRADIENTS[sequence_cross_entropy](
                labels, z, mask=mask, reduction=reduction), -1, 1),
            rtol=1e-15)


@given(arrays(np.float64, (2, 3), elements=st.floats(0.01, 10)),
       st.floats(0.01, 100))
def test_mean_is_scale_free_in_the_mask(mask, scale):
    labels, z, _ = batch(6, n=2, t=3)
    np.testing.assert_allclose(
        sequence_cross_entropy(labels, z, mask=mask * scale),
        sequence_cross_entropy(labels, z, mask=mask), rtol=1e-13)


@given(arrays(np.float64, (2, 3), elements=st.floats(0, 10)))
def test_sum_is_the_sum_of_none(mask):
    labels, z, _ = batch(7, n=2, t=3)
    none = sequence_cross_entropy(labels, z, mask=mask, reduction="none")
    assert (none >= 0).all()
    assert sequence_cross_entropy(labels, z, mask=mask,
                                  reduction="sum") == pytest.approx(
        none.sum(), rel=1e-14, abs=1e-300)


def test_gradient():
    labels, z, mask = batch(8, n=2, t=3)
    rng = np.random.default_rng(8)
    check_gradient(sequence_cross_entropy, labels, z)
    check_gradient(sequence_cross_entropy, labels, z, mask=mask)
    check_gradient(sequence_cross_entropy, labels, z,
                   mask=rng.uniform(0, 2, size=labels.shape))
    check_gradient(sequence_cross_entropy, labels, np.moveaxis(z, -1, 0),
                   mask=mask, axis=0)


def test_gradient_against_sympy():
    labels, z, mask = batch(9, n=2, t=2)
    grad = GRADIENTS[sequence_cross_entropy](labels, z, mask=mask,
                                             reduction="none")
    derivs = [SEQ.derivative(zk) for zk in SEQ.wrt]
    want = [[m * float(exact(SEQ, *np.eye(C)[k], *s, expr=d))
             for d in derivs]
            for k, s, m in zip(labels.ravel(), z.reshape(-1, C),
                               mask.ravel(), strict=True)]
    np.testing.assert_allclose(grad.reshape(-1, C), want, rtol=1e-12,
                               atol=1e-15)


def test_all_padding():
    labels, z, mask = batch(10)
    zero = np.zeros_like(mask)
    # nothing to average: an error, where TFA's div_no_nan returns 0
    with pytest.raises(ValueError, match="the sum of mask must be > 0"):
        sequence_cross_entropy(labels, z, mask=zero)
    assert sequence_cross_entropy(labels, z, mask=zero, reduction="sum") == 0
    grad = GRADIENTS[sequence_cross_entropy](labels, z, mask=zero,
                                             reduction="sum")
    assert (grad == 0).all()


def test_dtype():
    labels, z, mask = batch(11)
    z32 = z.astype(np.float32)
    for reduction in REDUCTIONS:
        assert sequence_cross_entropy(labels, z32, mask=mask.tolist(),
                                      reduction=reduction).dtype == np.float32
        assert GRADIENTS[sequence_cross_entropy](
            labels, z32, mask=mask, reduction=reduction).dtype == np.float32


LABELS, LOGITS, MASK = batch(12, n=2, t=3)

BAD_INPUT = [
    ({"mask": MASK[:, :2]}, ValueError, "mask and logits without axis"),
    ({"mask": -MASK}, ValueError, "mask must be >= 0"),
    ({"mask": np.where(MASK > 0, np.nan, 0)}, ValueError,
     "mask must be finite"),
    ({"mask": np.zeros_like(MASK)}, ValueError, "the sum of mask"),
    ({"mask": [["a"] * 3] * 2}, TypeError, "mask"),
    ({"axis": 3}, ValueError, "axis must be in"),
    ({"reduction": "token"}, ValueError, "reduction"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_INPUT)
def test_bad_keyword_input(kwargs, error, match):
    before = [a.copy() for a in (LABELS, LOGITS, MASK)]
    for fn in (sequence_cross_entropy, GRADIENTS[sequence_cross_entropy]):
        with pytest.raises(error, match=match):
            fn(LABELS, LOGITS, **kwargs)
    for a, b in zip(before, (LABELS, LOGITS, MASK), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("y_true", "logits", "error", "match"),
    [
        (LABELS[:, :2], LOGITS, ValueError, "y_true must have shape"),
        (LABELS + C, LOGITS, ValueError, r"class labels in \[0, 5\)"),
        (LABELS + 0.5, LOGITS, ValueError, "integer class labels"),
        (LABELS, np.where(LOGITS > 0, np.inf, 0), ValueError,
         "logits must be finite"),
        (np.zeros((0, 3)), np.zeros((0, 3, C)), ValueError,
         "must not be empty"),
        (LABELS, "logits", TypeError, "logits"),
    ],
)
def test_bad_array_input(y_true, logits, error, match):
    for fn in (sequence_cross_entropy, GRADIENTS[sequence_cross_entropy]):
        with pytest.raises(error, match=match):
            fn(y_true, logits, mask=MASK)
