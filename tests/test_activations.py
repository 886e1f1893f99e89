"""Tests for lossbook.activations against a 50-digit mpmath evaluation."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import MAX_ULP

import lossbook as lb


def _exact_log_softmax(row, k):
    # log p_k = (z_k - m) - log1p(sum_{c != top} e^(z_c - m)): in this form
    # 60 digits are 60 significant digits even for log p_k = -1e-300
    with mpmath.workdps(60):
        z = [mpmath.mpf(float(v)) for v in row]
        top = max(range(len(z)), key=lambda c: z[c])
        rest = mpmath.fsum(mpmath.exp(v - z[top])
                           for c, v in enumerate(z) if c != top)
        return (z[k] - z[top]) - mpmath.log1p(rest)


def _exact_sigmoid(z):
    with mpmath.workdps(60):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(float(z))))


LOGITS = np.concatenate([
    np.random.default_rng(0).normal(scale=5, size=40),
    [-1000.0, -745.0, -40.0, -1e-8, 0.0, 1e-8, 36.0, 40.0, 1000.0],
])


def test_sigmoid_and_log_sigmoid_against_the_oracle(ulp_report):
    exact = [_exact_sigmoid(z) for z in LOGITS]
    ulp_report.check("sigmoid", lb.sigmoid(LOGITS), exact)
    with mpmath.workdps(60):
        logs = [mpmath.log(e) for e in exact]
    ulp_report.check("log_sigmoid", lb.log_sigmoid(LOGITS), logs)


@pytest.mark.parametrize("scale", [0.5, 5.0, 80.0, 1000.0])
def test_log_softmax_against_the_oracle(scale, ulp_report):
    # includes rows whose largest log-probability is a tiny negative number,
    # where z - logaddexp.reduce(z) would return 0
    rows = np.random.default_rng(1).normal(scale=scale, size=(12, 4))
    exact = [[_exact_log_softmax(r, k) for k in range(4)] for r in rows]
    ulp_report.check("log_softmax", lb.log_softmax(rows), exact)
    probs = lb.softmax(rows)
    with mpmath.workdps(60):
        exact_p = [[mpmath.exp(v) for v in row] for row in exact]
    # softmax probabilities that underflow are compared as values near 0
    ulp_report.check("softmax", probs, exact_p, max_ulp=MAX_ULP)


def test_axis_moves_the_class_axis():
    z = np.random.default_rng(2).normal(size=(3, 4, 5))
    np.testing.assert_array_equal(
        lb.log_softmax(z, axis=1),
        np.moveaxis(lb.log_softmax(np.moveaxis(z, 1, -1)), -1, 1))
    np.testing.assert_allclose(lb.softmax(z, axis=1).sum(axis=1), 1.0,
                               rtol=1e-15)


def test_they_agree_with_the_losses():
    z = np.random.default_rng(3).normal(size=(6, 3))
    labels = np.array([0, 1, 2, 0, 1, 2])
    ce = lb.cross_entropy(labels, z, reduction="none")
    np.testing.assert_array_equal(
        -np.take_along_axis(lb.log_softmax(z), labels[:, None], 1)[:, 0], ce)
    t = np.array([1.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        lb.binary_cross_entropy_with_logits(t, z[:3, 0], reduction="none"),
        -(t * lb.log_sigmoid(z[:3, 0]) + (1 - t) * lb.log_sigmoid(-z[:3, 0])))


@given(st.lists(st.floats(-300, 300), min_size=2, max_size=6),
       st.floats(-300, 300))
def test_log_softmax_is_shift_invariant_and_normalised(row, shift):
    z = np.array(row)
    lp = lb.log_softmax(z)
    assert np.all(lp <= 0)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(lb.log_softmax(z + shift), lp, atol=1e-12)


def test_log_softmax_survives_an_overflowing_difference():
    # z - max(z) overflows to -inf here: the log-probability is -inf (and
    # the cross-entropy inf), not NaN, and no warning leaks out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = lb.log_softmax([[1e308, -1e308]])
    np.testing.assert_array_equal(got, [[0.0, -np.inf]])


def test_float32_stays_float32():
    z = np.array([[1.0, -2.0]], dtype=np.float32)
    for fn in (lb.sigmoid, lb.log_sigmoid, lb.softmax, lb.log_softmax):
        assert fn(z).dtype == np.float32


@pytest.mark.parametrize("fn", [lb.sigmoid, lb.log_sigmoid, lb.softmax,
                                lb.log_softmax])
@pytest.mark.parametrize(
    ("logits", "error", "match"),
    [
        ([np.nan, 0.0], ValueError, "logits must be finite"),
        ([np.inf, 0.0], ValueError, "logits must be finite"),
        ([], ValueError, "logits must not be empty"),
        (["a", "b"], TypeError, "logits must be a numeric"),
    ],
)
def test_bad_input(fn, logits, error, match):
    with pytest.raises(error, match=match):
        fn(logits)


@pytest.mark.parametrize("fn", [lb.softmax, lb.log_softmax])
def test_bad_axis(fn):
    with pytest.raises(ValueError, match="axis must be in"):
        fn([[0.0, 1.0]], axis=2)
