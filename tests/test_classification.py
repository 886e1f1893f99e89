"""Tests for lossbook.classification: one group per loss.

Oracle values come from the SymPy definitions in
lossbook.symbolic.classification, evaluated with mpmath at 400 digits
(enough for a loss as small as the smallest subnormal next to logits of
size 1000; 50 digits would round exp(-120) away next to 1).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from oracle import central_difference

from lossbook._numerics import sigmoid, softmax
from lossbook.classification import (
    GRADIENTS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    sparse_categorical_cross_entropy,
)
from lossbook.gradients import gradient
from lossbook.symbolic import classification as sym

REDUCTIONS = ("mean", "sum", "none")
DPS = 400
C = 4

BCE = sym.binary_cross_entropy()
BCE_LOGITS = sym.binary_cross_entropy_with_logits()
CE = sym.cross_entropy(C)
CE_FULL = sym.cross_entropy(C, weighted=True, smoothed=True)
CCE = sym.categorical_cross_entropy(C)
SCCE = sym.sparse_categorical_cross_entropy(C)


def exact(defn, *values, expr=None, **params):
    """The definition (or ``expr``) at the exact float inputs, 400 digits."""
    fn = defn.evaluator(expr)
    with mpmath.workdps(DPS):
        args = [mpmath.mpf(float(v)) for v in values]
        args += [mpmath.mpf(float(params[s.name])) for s in defn.params]
        return fn(*args)


def class_weights(weight):
    return {f"w_{c}": w for c, w in enumerate(weight)}


def check_gradient(fn, y_true, x, *, h=1e-6, **kwargs):
    """gradient(fn, ...) against central differences, for every reduction."""
    x = np.asarray(x, dtype=np.float64)
    for reduction in REDUCTIONS:
        grad = gradient(fn, y_true, x, reduction=reduction, **kwargs)
        assert grad.shape == x.shape
        assert grad.dtype == np.float64

        def total(v, reduction=reduction):
            return float(np.sum(fn(y_true, v, reduction=reduction, **kwargs)))

        numeric = central_difference(total, x, h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def no_warnings(fn, *args, **kwargs):
    """Call ``fn`` and fail on any warning (inf must come out silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def extreme_probabilities(rng, n):
    """Probabilities at random, within 1e-12 of 0 and 1, and tiny."""
    kinds = [
        rng.uniform(size=n),
        1e-12 * rng.uniform(size=n),
        1 - 1e-12 * rng.uniform(size=n),
        10.0 ** rng.uniform(-300, -1, size=n),
    ]
    return np.concatenate(kinds)


def extreme_logits(rng, shape):
    """Logits at several scales, up to +-1000."""
    scales = np.array([1.0, 10.0, 100.0, 1000.0])
    z = rng.normal(size=shape) * rng.choice(scales, size=(*shape[:-1], 1))
    return np.clip(z, -1000.0, 1000.0)


# --------------------------------------------------------------------------
# binary_cross_entropy
# --------------------------------------------------------------------------


class TestBinaryCrossEntropy:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(0)
        p = extreme_probabilities(rng, 40)
        y = np.resize([0.0, 1.0, 0.3, 0.999], p.shape)
        y[3::4] = rng.uniform(size=y[3::4].shape)
        w = rng.uniform(0.1, 3.0, size=p.shape)
        got = binary_cross_entropy(y, p, reduction="none")
        want = [exact(BCE, yi, pi) for yi, pi in zip(y, p, strict=True)]
        ulp_report.check("binary_cross_entropy", got, want)
        weighted = binary_cross_entropy(y, p, weight=w, reduction="none")
        with mpmath.workdps(DPS):
            want_w = [mpmath.mpf(float(wi)) * e for wi, e in zip(w, want,
                                                                 strict=True)]
        # one more rounding (the product with w): allow 1 ulp more
        ulp_report.check("binary_cross_entropy", weighted, want_w, max_ulp=9)

    def test_by_hand(self):
        # -ln(1/2) = ln 2 per element, whatever the label
        assert binary_cross_entropy([1, 0], [0.5, 0.5]) == pytest.approx(
            np.log(2), rel=1e-15
        )
        # -[0.3 ln 0.2 + 0.7 ln 0.8], written out
        want = -(0.3 * np.log(0.2) + 0.7 * np.log(0.8))
        got = binary_cross_entropy([0.3], [0.2])
        assert got == pytest.approx(want, rel=1e-15)

    def test_infinite_and_zero_at_the_edges(self):
        y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
        p = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
        got = no_warnings(binary_cross_entropy, y, p, reduction="none")
        # 0 log 0 = 0: the perfect predictions cost exactly +0
        np.testing.assert_array_equal(got, [np.inf, np.inf, 0, 0, np.inf,
                                            np.inf])
        assert not np.signbit(got[2:4]).any()
        assert no_warnings(binary_cross_entropy, [1.0], [0.0]) == np.inf

    def test_zero_weight_removes_an_infinite_term(self):
        got = no_warnings(binary_cross_entropy, [1.0, 1.0], [0.0, 0.5],
                          weight=[0.0, 2.0], reduction="sum")
        assert got == pytest.approx(2 * np.log(2), rel=1e-15)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_reductions_and_weight(self, reduction):
        rng = np.random.default_rng(1)
        y, p = rng.uniform(size=(3, 5)), rng.uniform(size=(3, 5))
        w = rng.uniform(size=(3, 5))
        none = binary_cross_entropy(y, p, weight=w, reduction="none")
        got = binary_cross_entropy(y, p, weight=w, reduction=reduction)
        # torch's rule: the mean of the weighted terms, not / sum(w)
        want = {"none": none, "sum": none.sum(), "mean": none.mean()}
        np.testing.assert_allclose(got, want[reduction], rtol=1e-14)
        np.testing.assert_allclose(
            none, w * binary_cross_entropy(y, p, reduction="none"),
            rtol=1e-15,
        )

    def test_gradient(self):
        rng = np.random.default_rng(2)
        y = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.8]])
        p = rng.uniform(0.05, 0.95, size=y.shape)
        w = rng.uniform(0.5, 2.0, size=y.shape)
        check_gradient(binary_cross_entropy, y, p)
        check_gradient(binary_cross_entropy, y, p, weight=w)
        grad = GRADIENTS[binary_cross_entropy](y, p, reduction="none")
        deriv = BCE.derivative()
        want = [[float(exact(BCE, a, b, expr=deriv)) for a, b in zip(r, s,
                 strict=True)] for r, s in zip(y, p, strict=True)]
        np.testing.assert_allclose(grad, want, rtol=1e-14)

    def test_gradient_at_the_edges(self):
        grad = no_warnings(GRADIENTS[binary_cross_entropy],
                           [1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0],
                           reduction="sum")
        # -y/p + (1-y)/(1-p) with 0-coefficient terms left out
        np.testing.assert_array_equal(grad, [-np.inf, np.inf, 1.0, -1.0])

    @given(arrays(np.float64, (6,), elements=st.floats(0, 1)),
           arrays(np.float64, (6,), elements=st.floats(0, 1)))
    def test_nonnegative(self, y, p):
        loss = no_warnings(binary_cross_entropy, y, p, reduction="none")
        assert (loss >= 0).all()

    @given(arrays(np.float64, (5,), elements=st.floats(1e-9, 1 - 1e-9)))
    def test_minimum_is_the_entropy(self, y):
        # at p = y the loss is the binary entropy of y (its minimum)
        want = -(y * np.log(y) + (1 - y) * np.log1p(-y))
        got = binary_cross_entropy(y, y, reduction="none")
        np.testing.assert_allclose(got, want, rtol=1e-12)

    def test_dtype(self):
        p32 = np.array([0.2, 0.9], dtype=np.float32)
        y32 = np.array([0.0, 1.0], dtype=np.float32)
        for reduction in REDUCTIONS:
            loss = binary_cross_entropy(y32, p32, reduction=reduction)
            assert loss.dtype == np.float32
            grad = GRADIENTS[binary_cross_entropy](y32, p32,
                                                   reduction=reduction)
            assert grad.dtype == np.float32
        assert binary_cross_entropy([0, 1], [0, 1]).dtype == np.float64
        got = binary_cross_entropy(y32, p32, reduction="none")
        np.testing.assert_allclose(
            got, binary_cross_entropy(y32.astype(float), p32.astype(float),
                                      reduction="none"), rtol=1e-6)


# --------------------------------------------------------------------------
# binary_cross_entropy_with_logits
# --------------------------------------------------------------------------


class TestBinaryCrossEntropyWithLogits:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(3)
        z = np.concatenate([
            rng.normal(0, 3, 40), rng.normal(0, 40, 40),
            rng.uniform(-1000, 1000, 40), [-1000.0, 1000.0, 0.0, 745.0],
        ])
        y = np.resize([0.0, 1.0, 0.5, 0.01], z.shape)
        pw = np.resize([1.0, 3.0, 0.0, 0.25, 7.5], z.shape)
        got = [binary_cross_entropy_with_logits(a, b, pos_weight=c,
                                                reduction="none")
               for a, b, c in zip(y, z, pw, strict=True)]
        want = [exact(BCE_LOGITS, a, b, pos_weight=c)
                for a, b, c in zip(y, z, pw, strict=True)]
        ulp_report.check("binary_cross_entropy_with_logits", got, want)
        assert np.isfinite(got).all()

    def test_matches_bce_on_sigmoid_for_moderate_logits(self):
        rng = np.random.default_rng(4)
        z = rng.uniform(-10, 10, size=50)
        y = rng.uniform(size=50)
        np.testing.assert_allclose(
            binary_cross_entropy_with_logits(y, z, reduction="none"),
            binary_cross_entropy(y, sigmoid(z), reduction="none"),
            rtol=1e-12,
        )

    def test_stable_where_the_probability_form_is_not(self):
        # sigma(40) rounds to 1.0, so the probability form is inf; the
        # true loss is softplus(40) = 40 + log1p(exp(-40))
        assert sigmoid(np.array(40.0)) == 1.0
        got = binary_cross_entropy_with_logits([0.0], [40.0])
        assert got == pytest.approx(40 + np.log1p(np.exp(-40)), rel=1e-15)
        assert no_warnings(binary_cross_entropy, [0.0],
                           sigmoid(np.array([40.0]))) == np.inf

    def test_pos_weight_along_the_last_axis(self):
        rng = np.random.default_rng(5)
        y = rng.integers(0, 2, size=(4, 3)).astype(float)
        z = rng.normal(size=(4, 3))
        pw = np.array([1.0, 3.0, 0.5])
        got = binary_cross_entropy_with_logits(y, z, pos_weight=pw,
                                               reduction="none")
        # the torch form: (1 - y) z + (1 + (pw - 1) y) softplus(-z)
        want = (1 - y) * z + (1 + (pw - 1) * y) * np.logaddexp(0, -z)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        scalar = binary_cross_entropy_with_logits(y, z, pos_weight=3.0,
                                                  reduction="none")
        vector = binary_cross_entropy_with_logits(y, z, pos_weight=[3.0] * 3,
                                                  reduction="none")
        np.testing.assert_array_equal(scalar, vector)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_reductions_and_weight(self, reduction):
        rng = np.random.default_rng(6)
        y, z = rng.uniform(size=(2, 3)), rng.normal(size=(2, 3))
        w = rng.uniform(size=(2, 3))
        none = binary_cross_entropy_with_logits(y, z, weight=w,
                                                reduction="none")
        got = binary_cross_entropy_with_logits(y, z, weight=w,
                                               reduction=reduction)
        want = {"none": none, "sum": none.sum(), "mean": none.mean()}
        np.testing.assert_allclose(got, want[reduction], rtol=1e-14)

    def test_gradient(self):
        rng = np.random.default_rng(7)
        y = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.9]])
        z = rng.normal(0, 3, size=y.shape)
        w = rng.uniform(0.5, 2.0, size=y.shape)
        fn = binary_cross_entropy_with_logits
        check_gradient(fn, y, z)
        check_gradient(fn, y, z, weight=w, pos_weight=[2.0, 0.5, 0.0])
        grad = GRADIENTS[fn](y, z, pos_weight=2.5, reduction="none")
        deriv = BCE_LOGITS.derivative()
        want = [[float(exact(BCE_LOGITS, a, b, expr=deriv, pos_weight=2.5))
                 for a, b in zip(r, s, strict=True)]
                for r, s in zip(y, z, strict=True)]
        np.testing.assert_allclose(grad, want, rtol=1e-13, atol=1e-16)
        # the closed form of the issue: (pw y + 1 - y) sigma(z) - pw y
        closed = (2.5 * y + 1 - y) * sigmoid(z) - 2.5 * y
        np.testing.assert_allclose(grad, closed, rtol=1e-12, atol=1e-15)

    def test_gradient_at_extreme_logits(self):
        grad = GRADIENTS[binary_cross_entropy_with_logits](
            [1.0, 0.0, 1.0, 0.0], [-1000.0, 1000.0, 1000.0, -1000.0],
            reduction="sum",
        )
        np.testing.assert_array_equal(grad, [-1.0, 1.0, 0.0, 0.0])

    @given(arrays(np.float64, (6,), elements=st.floats(0, 1)),
           arrays(np.float64, (6,), elements=st.floats(-1000, 1000)),
           st.floats(0, 10))
    def test_nonnegative_and_finite(self, y, z, pw):
        loss = binary_cross_entropy_with_logits(y, z, pos_weight=pw,
                                                reduction="none")
        assert np.isfinite(loss).all()
        assert (loss >= 0).all()

    def test_dtype(self):
        z32 = np.array([-3.0, 2.0], dtype=np.float32)
        y32 = np.array([0.0, 1.0], dtype=np.float32)
        fn = binary_cross_entropy_with_logits
        for reduction in REDUCTIONS:
            assert fn(y32, z32, pos_weight=[2.0, 1.0],
                      reduction=reduction).dtype == np.float32
            assert GRADIENTS[fn](y32, z32, weight=[1.0, 2.0],
                                 reduction=reduction).dtype == np.float32


# --------------------------------------------------------------------------
# cross_entropy
# --------------------------------------------------------------------------


class TestCrossEntropy:
    def test_oracle_index_targets(self, ulp_report):
        rng = np.random.default_rng(8)
        z = extreme_logits(rng, (120, C))
        labels = rng.integers(0, C, size=120)
        # every other sample: the true class is the largest logit, so the
        # loss is tiny (down to subnormal) and only log1p keeps it exact
        labels[::2] = np.argmax(z[::2], axis=-1)
        got = cross_entropy(labels, z, reduction="none")
        onehot = np.eye(C)[labels]
        want = [exact(CE, *t, *s) for t, s in zip(onehot, z, strict=True)]
        ulp_report.check("cross_entropy", got, want)
        # the tiny-loss region is really exercised
        assert ((got[::2] > 0) & (got[::2] < 1e-100)).any()

    def test_oracle_probability_targets(self, ulp_report):
        rng = np.random.default_rng(9)
        z = extreme_logits(rng, (60, C))
        y = rng.dirichlet(np.ones(C), size=60)
        y[::3] = np.eye(C)[np.argmax(z[::3], axis=-1)]
        got = cross_entropy(y, z, reduction="none")
        want = [exact(CE, *t, *s) for t, s in zip(y, z, strict=True)]
        ulp_report.check("cross_entropy", got, want)

    def test_oracle_weighted_and_smoothed(self, ulp_report):
        rng = np.random.default_rng(10)
        z = extreme_logits(rng, (60, C))
        w = rng.uniform(0, 3, size=C)
        labels = rng.integers(0, C, size=60)
        probs = rng.dirichlet(np.ones(C), size=60)
        for eps in (0.0, 0.1, 1.0):
            kwargs = dict(weight=w, label_smoothing=eps, reduction="none")
            params = dict(class_weights(w), label_smoothing=eps)
            got = cross_entropy(labels, z, **kwargs)
            want = [exact(CE_FULL, *np.eye(C)[k], *s, **params)
                    for k, s in zip(labels, z, strict=True)]
            ulp_report.check("cross_entropy", got, want)
            got = cross_entropy(probs, z, **kwargs)
            want = [exact(CE_FULL, *t, *s, **params)
                    for t, s in zip(probs, z, strict=True)]
            ulp_report.check("cross_entropy", got, want)

    def test_by_hand(self):
        # equal logits: p = 1/3 for each of 3 classes, loss ln 3
        got = cross_entropy([2], [[0.0, 0.0, 0.0]])
        assert got == pytest.approx(np.log(3), rel=1e-15)
        # logits (0, ln 3): p = (1/4, 3/4), so label 0 costs ln 4
        got = cross_entropy([0], [[0.0, np.log(3)]])
        assert got == pytest.approx(np.log(4), rel=1e-15)

    @given(arrays(np.float64, (3, C), elements=st.floats(-50, 50)),
           st.lists(st.integers(0, C - 1), min_size=3, max_size=3),
           st.floats(-50, 50))
    def test_shift_invariance(self, z, labels, shift):
        # softmax(z + c) = softmax(z); only the rounding of z + c differs
        np.testing.assert_allclose(
            cross_entropy(labels, z + shift, reduction="none"),
            cross_entropy(labels, z, reduction="none"),
            rtol=1e-12, atol=1e-12,
        )

    @given(arrays(np.float64, (3, C), elements=st.floats(-30, 30)),
           st.lists(st.integers(0, C - 1), min_size=3, max_size=3),
           st.floats(0, 1))
    def test_nonnegative(self, z, labels, eps):
        loss = cross_entropy(labels, z, label_smoothing=eps,
                             reduction="none")
        assert (loss >= 0).all()

    def test_gradient_is_p_minus_y(self):
        rng = np.random.default_rng(11)
        z = rng.normal(0, 2, size=(5, C))
        labels = rng.integers(0, C, size=5)
        y = rng.dirichlet(np.ones(C), size=5)
        grad = GRADIENTS[cross_entropy]
        np.testing.assert_allclose(
            grad(labels, z, reduction="sum"),
            softmax(z, -1) - np.eye(C)[labels], rtol=1e-13, atol=1e-16,
        )
        np.testing.assert_allclose(
            grad(y, z, reduction="sum"), softmax(z, -1) - y,
            rtol=1e-13, atol=1e-16,
        )

    def test_label_smoothing_decomposition(self):
        rng = np.random.default_rng(12)
        z = rng.normal(0, 3, size=(6, C))
        labels = rng.integers(0, C, size=6)
        eps = 0.2
        neg_log_p = -np.log(softmax(z, -1))
        nll = neg_log_p[np.arange(6), labels]
        decomposed = (1 - eps) * nll + eps / C * neg_log_p.sum(axis=-1)
        smoothed = (1 - eps) * np.eye(C)[labels] + eps / C
        by_label = cross_entropy(labels, z, label_smoothing=eps,
                                 reduction="none")
        by_target = cross_entropy(smoothed, z, reduction="none")
        by_soft = cross_entropy(np.eye(C)[labels], z, label_smoothing=eps,
                                reduction="none")
        for got in (by_label, by_target, by_soft):
            np.testing.assert_allclose(got, decomposed, rtol=1e-13)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_index_targets_equal_one_hot(self, reduction):
        rng = np.random.default_rng(13)
        z = rng.normal(0, 3, size=(7, C))
        labels = rng.integers(0, C, size=7)
        for eps in (0.0, 0.3):
            np.testing.assert_allclose(
                cross_entropy(labels, z, label_smoothing=eps,
                              reduction=reduction),
                cross_entropy(np.eye(C)[labels], z, label_smoothing=eps,
                              reduction=reduction),
                rtol=1e-14,
            )
            np.testing.assert_allclose(
                GRADIENTS[cross_entropy](labels, z, label_smoothing=eps,
                                         reduction=reduction),
                GRADIENTS[cross_entropy](np.eye(C)[labels], z,
                                         label_smoothing=eps,
                                         reduction=reduction),
                rtol=1e-14, atol=1e-17,
            )

    def test_weighted_mean_rule(self):
        # by hand: equal logits, losses w_y ln 2 = (ln 2, 3 ln 2); the mean
        # divides by w_0 + w_1 = 4, giving ln 2 rather than 2 ln 2
        z = np.zeros((2, 2))
        got = cross_entropy([0, 1], z, weight=[1.0, 3.0])
        assert got == pytest.approx(np.log(2), rel=1e-15)
        none = cross_entropy([0, 1], z, weight=[1.0, 3.0], reduction="none")
        assert none.mean() == pytest.approx(2 * np.log(2), rel=1e-15)

        rng = np.random.default_rng(14)
        z = rng.normal(size=(9, C))
        labels = rng.integers(0, C, size=9)
        w = rng.uniform(0.1, 2, size=C)
        for eps in (0.0, 0.25):
            none = cross_entropy(labels, z, weight=w, label_smoothing=eps,
                                 reduction="none")
            mean = cross_entropy(labels, z, weight=w, label_smoothing=eps)
            assert mean == pytest.approx(none.sum() / w[labels].sum(),
                                         rel=1e-14)
            assert mean != pytest.approx(none.mean(), rel=1e-6)

    def test_probability_targets_mean_divides_by_n(self):
        rng = np.random.default_rng(15)
        z = rng.normal(size=(5, C))
        y = rng.dirichlet(np.ones(C), size=5)
        w = rng.uniform(0.1, 2, size=C)
        none = cross_entropy(y, z, weight=w, reduction="none")
        assert cross_entropy(y, z, weight=w) == pytest.approx(none.sum() / 5,
                                                              rel=1e-14)
        # -sum_c w_c y_c log p_c, written out
        want = -(w * y * np.log(softmax(z, -1))).sum(axis=-1)
        np.testing.assert_allclose(none, want, rtol=1e-13)

    def test_ignore_index(self):
        rng = np.random.default_rng(16)
        z = rng.normal(size=(6, C))
        labels = np.array([0, -100, 2, 3, -100, 1])
        kept = labels != -100
        w = rng.uniform(0.1, 2, size=C)
        for eps in (0.0, 0.1):
            kwargs = dict(weight=w, ignore_index=-100, label_smoothing=eps)
            none = cross_entropy(labels, z, reduction="none", **kwargs)
            assert (none[~kept] == 0).all()
            full = cross_entropy(labels[kept], z[kept], reduction="none",
                                 weight=w, label_smoothing=eps)
            np.testing.assert_allclose(none[kept], full, rtol=1e-15)
            mean = cross_entropy(labels, z, **kwargs)
            assert mean == pytest.approx(full.sum() / w[labels[kept]].sum(),
                                         rel=1e-14)
            grad = GRADIENTS[cross_entropy](labels, z, **kwargs)
            assert (grad[~kept] == 0).all()
        # a valid class can be the one ignored (e.g. padding id 0)
        got = cross_entropy([0, 1, 0], z[:3], ignore_index=0)
        assert got == pytest.approx(cross_entropy([1], z[1:2]), rel=1e-15)

    def test_class_axis(self):
        rng = np.random.default_rng(17)
        z = rng.normal(size=(2, C, 3))  # torch's (N, C, d) layout
        labels = rng.integers(0, C, size=(2, 3))
        y = rng.dirichlet(np.ones(C), size=(2, 3))
        w = rng.uniform(size=C)
        last = np.moveaxis(z, 1, -1)
        for target, target_last in ((labels, labels),
                                    (np.moveaxis(y, -1, 1), y)):
            for reduction in REDUCTIONS:
                kwargs = dict(weight=w, label_smoothing=0.1,
                              reduction=reduction)
                np.testing.assert_allclose(
                    cross_entropy(target, z, axis=1, **kwargs),
                    cross_entropy(target_last, last, **kwargs), rtol=1e-15)
                np.testing.assert_allclose(
                    GRADIENTS[cross_entropy](target, z, axis=1, **kwargs),
                    np.moveaxis(GRADIENTS[cross_entropy](
                        target_last, last, **kwargs), -1, 1), rtol=1e-15)

    def test_extreme_logits(self):
        z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
        got = no_warnings(cross_entropy, [1, 2], z, reduction="none")
        # -log p_1 = 2000 + log1p(e^-1000 + e^-2000) = 2000 in float64;
        # -log p_2 = 1 + log1p(e^-1) for logits (1000, 999)
        np.testing.assert_allclose(got, [2000.0, 1 + np.log1p(np.exp(-1))],
                                   rtol=1e-15)

    def test_gradient(self):
        rng = np.random.default_rng(18)
        z = rng.normal(0, 2, size=(3, C))
        labels = np.array([1, 3, 0])
        y = rng.dirichlet(np.ones(C), size=3)
        w = rng.uniform(0.2, 2, size=C)
        check_gradient(cross_entropy, labels, z)
        check_gradient(cross_entropy, y, z)
        for target in (labels, y):
            check_gradient(cross_entropy, target, z, weight=w,
                           label_smoothing=0.2)
        check_gradient(cross_entropy, [1, -1, 0], z, weight=w,
                       ignore_index=-1, label_smoothing=0.1)
        check_gradient(cross_entropy, np.moveaxis(y, -1, 0), z.T, axis=0,
                       weight=w)

    def test_gradient_against_sympy(self):
        rng = np.random.default_rng(19)
        z = rng.normal(0, 2, size=(3, C))
        y = rng.dirichlet(np.ones(C), size=3)
        w = rng.uniform(0.2, 2, size=C)
        params = dict(class_weights(w), label_smoothing=0.3)
        grad = GRADIENTS[cross_entropy](y, z, weight=w, label_smoothing=0.3,
                                        reduction="none")
        derivs = [CE_FULL.derivative(zk) for zk in CE_FULL.wrt]
        want = [[float(exact(CE_FULL, *t, *s, expr=d, **params))
                 for d in derivs] for t, s in zip(y, z, strict=True)]
        np.testing.assert_allclose(grad, want, rtol=1e-12, atol=1e-15)

    def test_dtype(self):
        z32 = np.array([[1.0, 2.0, 0.5]], dtype=np.float32)
        for target in ([1], np.array([[0.2, 0.5, 0.3]], dtype=np.float32)):
            for reduction in REDUCTIONS:
                kwargs = dict(weight=[1.0, 2.0, 3.0], label_smoothing=0.1,
                              reduction=reduction)
                assert cross_entropy(target, z32,
                                     **kwargs).dtype == np.float32
                assert GRADIENTS[cross_entropy](
                    target, z32, **kwargs).dtype == np.float32
        np.testing.assert_allclose(
            cross_entropy([1], z32), cross_entropy([1], z32.astype(float)),
            rtol=1e-6)
        assert cross_entropy([1], [[1, 2, 0]]).dtype == np.float64


# --------------------------------------------------------------------------
# categorical_cross_entropy and sparse_categorical_cross_entropy
# --------------------------------------------------------------------------


def probability_rows(rng, n):
    """Rows on the simplex, some with entries within 1e-12 of 0 and 1."""
    p = rng.dirichlet(np.ones(C), size=n)
    tiny = 1e-12 * rng.uniform(size=(n // 2, C - 1))
    p[: n // 2, 1:] = tiny
    p[: n // 2, 0] = 1 - tiny.sum(axis=-1)
    return p


class TestCategoricalCrossEntropy:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(20)
        p = probability_rows(rng, 60)
        y = rng.dirichlet(np.ones(C), size=60)
        y[::2] = np.eye(C)[rng.integers(0, C, size=30)]
        got = categorical_cross_entropy(y, p, reduction="none")
        want = [exact(CCE, *t, *s) for t, s in zip(y, p, strict=True)]
        ulp_report.check("categorical_cross_entropy", got, want)

    def test_by_hand_and_infinite(self):
        # probability 3/4 on the true class: ln(4/3)
        got = categorical_cross_entropy([[0, 1]], [[0.25, 0.75]])
        assert got == pytest.approx(np.log(4 / 3), rel=1e-15)
        got = no_warnings(categorical_cross_entropy, [[1, 0], [0, 1]],
                          [[0.0, 1.0], [0.0, 1.0]], reduction="none")
        np.testing.assert_array_equal(got, [np.inf, 0.0])

    def test_equals_cross_entropy_on_softmax(self):
        rng = np.random.default_rng(21)
        z = rng.normal(size=(5, C))
        y = rng.dirichlet(np.ones(C), size=5)
        np.testing.assert_allclose(
            categorical_cross_entropy(y, softmax(z, -1), reduction="none"),
            cross_entropy(y, z, reduction="none"), rtol=1e-13)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_reductions_and_axis(self, reduction):
        rng = np.random.default_rng(22)
        p = rng.dirichlet(np.ones(C), size=(2, 3))
        y = rng.dirichlet(np.ones(C), size=(2, 3))
        none = categorical_cross_entropy(y, p, reduction="none")
        assert none.shape == (2, 3)
        want = {"none": none, "sum": none.sum(), "mean": none.mean()}
        got = categorical_cross_entropy(np.moveaxis(y, -1, 0),
                                        np.moveaxis(p, -1, 0), axis=0,
                                        reduction=reduction)
        np.testing.assert_allclose(got, want[reduction], rtol=1e-14)

    def test_gradient(self):
        rng = np.random.default_rng(23)
        p = rng.dirichlet(5 * np.ones(C), size=3)
        y = rng.dirichlet(np.ones(C), size=3)
        y[0] = np.eye(C)[2]
        # h = 1e-7 keeps the perturbed rows within the 1e-6 sum tolerance
        check_gradient(categorical_cross_entropy, y, p, h=1e-7)
        check_gradient(categorical_cross_entropy, y.T, p.T, axis=0, h=1e-7)
        grad = GRADIENTS[categorical_cross_entropy](y, p, reduction="none")
        want = [[float(exact(CCE, *t, *s, expr=CCE.derivative(pk)))
                 for pk in CCE.wrt] for t, s in zip(y, p, strict=True)]
        np.testing.assert_allclose(grad, want, rtol=1e-14)

    @given(st.lists(st.integers(0, C - 1), min_size=3, max_size=3))
    def test_minimum_at_the_target(self, labels):
        # a one-hot target predicted exactly costs 0
        onehot = np.eye(C)[labels]
        loss = categorical_cross_entropy(onehot, onehot, reduction="none")
        np.testing.assert_array_equal(loss, 0.0)

    def test_dtype(self):
        p32 = np.array([[0.25, 0.75]], dtype=np.float32)
        for reduction in REDUCTIONS:
            assert categorical_cross_entropy(
                p32, p32, reduction=reduction).dtype == np.float32
            assert GRADIENTS[categorical_cross_entropy](
                p32, p32, reduction=reduction).dtype == np.float32


class TestSparseCategoricalCrossEntropy:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(24)
        p = probability_rows(rng, 80)
        labels = rng.integers(0, C, size=80)
        labels[:20] = 0  # the entries within 1e-12 of 1
        got = sparse_categorical_cross_entropy(labels, p, reduction="none")
        want = [exact(SCCE, k, *s) for k, s in zip(labels, p, strict=True)]
        ulp_report.check("sparse_categorical_cross_entropy", got, want)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_equals_categorical_on_one_hot(self, reduction):
        rng = np.random.default_rng(25)
        p = rng.dirichlet(np.ones(C), size=(3, 2))
        labels = rng.integers(0, C, size=(3, 2))
        np.testing.assert_allclose(
            sparse_categorical_cross_entropy(labels, p, reduction=reduction),
            categorical_cross_entropy(np.eye(C)[labels], p,
                                      reduction=reduction), rtol=1e-15)
        np.testing.assert_allclose(
            GRADIENTS[sparse_categorical_cross_entropy](
                labels, p, reduction=reduction),
            GRADIENTS[categorical_cross_entropy](
                np.eye(C)[labels], p, reduction=reduction), rtol=1e-15)

    def test_by_hand_and_infinite(self):
        # probability 1/4 on the true class: ln 4
        got = sparse_categorical_cross_entropy([0], [[0.25, 0.75]])
        assert got == pytest.approx(np.log(4), rel=1e-15)
        got = no_warnings(sparse_categorical_cross_entropy, [0, 1],
                          [[0.0, 1.0], [0.0, 1.0]], reduction="none")
        np.testing.assert_array_equal(got, [np.inf, 0.0])
        grad = no_warnings(GRADIENTS[sparse_categorical_cross_entropy], [0],
                           [[0.0, 1.0]], reduction="sum")
        np.testing.assert_array_equal(grad, [[-np.inf, 0.0]])

    def test_gradient(self):
        rng = np.random.default_rng(26)
        p = rng.dirichlet(5 * np.ones(C), size=3)
        labels = np.array([2, 0, 3])
        fn = sparse_categorical_cross_entropy
        check_gradient(fn, labels, p, h=1e-7)
        check_gradient(fn, labels, p.T, axis=0, h=1e-7)
        grad = GRADIENTS[fn](labels, p, reduction="none")
        want = [[float(exact(SCCE, k, *s, expr=SCCE.derivative(pk)))
                 for pk in SCCE.wrt] for k, s in zip(labels, p, strict=True)]
        np.testing.assert_allclose(grad, want, rtol=1e-15)

    def test_dtype(self):
        p32 = np.array([[0.25, 0.75]], dtype=np.float32)
        for reduction in REDUCTIONS:
            fn = sparse_categorical_cross_entropy
            assert fn([1], p32, reduction=reduction).dtype == np.float32
            assert GRADIENTS[fn]([1], p32,
                                 reduction=reduction).dtype == np.float32


# --------------------------------------------------------------------------
# Shared behaviour: the registry, scalar results, bad input
# --------------------------------------------------------------------------


def test_gradient_registry():
    assert set(GRADIENTS) == {
        binary_cross_entropy, binary_cross_entropy_with_logits,
        cross_entropy, categorical_cross_entropy,
        sparse_categorical_cross_entropy,
    }
    z = np.array([[0.5, -1.0, 2.0]])
    np.testing.assert_array_equal(
        gradient(cross_entropy, [2], z, label_smoothing=0.1),
        GRADIENTS[cross_entropy]([2], z, label_smoothing=0.1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_scalar_results(reduction):
    for value in (
        binary_cross_entropy([1], [0.5], reduction=reduction),
        binary_cross_entropy_with_logits([1], [0.5], reduction=reduction),
        cross_entropy([1], [[0.5, 0.2]], reduction=reduction),
        categorical_cross_entropy([[0, 1]], [[0.5, 0.5]],
                                  reduction=reduction),
        sparse_categorical_cross_entropy([1], [[0.5, 0.5]],
                                         reduction=reduction),
    ):
        assert np.ndim(value) == 0


P2 = np.array([[0.3, 0.7], [0.6, 0.4]])
Y2 = np.array([[0.0, 1.0], [1.0, 0.0]])
Z2 = np.array([[0.3, -0.7], [1.6, 0.4]])
L2 = np.array([1, 0])
NAN2 = np.array([[0.3, np.nan], [0.6, 0.4]])
INF2 = np.array([[0.3, np.inf], [0.6, 0.4]])
EMPTY = np.zeros((0, 2))

BAD_INPUT = [
    # binary_cross_entropy
    (binary_cross_entropy, Y2, P2[:1], {}, ValueError, "same shape"),
    (binary_cross_entropy, Y2, NAN2, {}, ValueError, "y_prob must be finite"),
    (binary_cross_entropy, INF2, P2, {}, ValueError, "y_true must be finite"),
    (binary_cross_entropy, Y2, P2 + 0.5, {}, ValueError, "y_prob must hold"),
    (binary_cross_entropy, Y2 - 0.5, P2, {}, ValueError, "y_true must hold"),
    (binary_cross_entropy, Y2, P2, {"weight": [1.0, 2.0]}, ValueError,
     "weight and y_prob"),
    (binary_cross_entropy, Y2, P2, {"weight": -P2}, ValueError,
     "weight must be >= 0"),
    (binary_cross_entropy, Y2, P2, {"reduction": "avg"}, ValueError,
     "reduction"),
    (binary_cross_entropy, EMPTY, EMPTY, {}, ValueError, "must not be empty"),
    (binary_cross_entropy, Y2, "0.5", {}, TypeError, "y_prob"),
    (binary_cross_entropy, [["a", "b"]], P2[:1], {}, TypeError, "y_true"),
    # binary_cross_entropy_with_logits
    (binary_cross_entropy_with_logits, Y2, Z2.ravel(), {}, ValueError,
     "y_true and logits"),
    (binary_cross_entropy_with_logits, Y2, NAN2, {}, ValueError,
     "logits must be finite"),
    (binary_cross_entropy_with_logits, Y2, INF2, {}, ValueError,
     "logits must be finite"),
    (binary_cross_entropy_with_logits, Y2 + 2, Z2, {}, ValueError,
     "y_true must hold"),
    (binary_cross_entropy_with_logits, Y2, Z2, {"pos_weight": -1.0},
     ValueError, "pos_weight must be >= 0"),
    (binary_cross_entropy_with_logits, Y2, Z2, {"pos_weight": [1, 2, 3]},
     ValueError, r"pos_weight must broadcast to the shape of logits \(2, 2\)"),
    # a weight that would enlarge the result is refused (PyTorch allows it)
    (binary_cross_entropy_with_logits, Y2, Z2,
     {"pos_weight": np.ones((3, 2, 2))}, ValueError,
     "pos_weight must broadcast"),
    (binary_cross_entropy_with_logits, Y2, Z2, {"weight": np.ones((2, 3))},
     ValueError, "weight must broadcast to the shape of logits"),
    (binary_cross_entropy_with_logits, Y2, Z2, {"reduction": None},
     ValueError, "reduction"),
    (binary_cross_entropy_with_logits, EMPTY, EMPTY, {}, ValueError,
     "must not be empty"),
    (binary_cross_entropy_with_logits, Y2, Z2, {"pos_weight": "3"},
     TypeError, "pos_weight"),
    # cross_entropy
    (cross_entropy, [1, 0, 1], Z2, {}, ValueError, "y_true must have shape"),
    (cross_entropy, [0.5, 1.0], Z2, {}, ValueError, "integer class labels"),
    (cross_entropy, [2, 0], Z2, {}, ValueError, r"class labels in \[0, 2\)"),
    (cross_entropy, [-1, 0], Z2, {}, ValueError, r"class labels in \[0, 2\)"),
    (cross_entropy, L2, NAN2, {}, ValueError, "logits must be finite"),
    (cross_entropy, Y2 * 2, Z2, {}, ValueError, "y_true must hold"),
    (cross_entropy, L2, Z2, {"weight": [1.0, 2.0, 3.0]}, ValueError,
     "weight must have shape"),
    (cross_entropy, L2, Z2, {"weight": [1.0, -2.0]}, ValueError,
     "weight must be >= 0"),
    (cross_entropy, Y2, Z2, {"ignore_index": -100}, ValueError,
     "ignore_index"),
    (cross_entropy, L2, Z2, {"ignore_index": 0.5}, TypeError,
     "ignore_index must be an integer"),
    (cross_entropy, L2, Z2, {"label_smoothing": 1.5}, ValueError,
     "label_smoothing must be <= 1"),
    (cross_entropy, L2, Z2, {"label_smoothing": -0.1}, ValueError,
     "label_smoothing must be >= 0"),
    (cross_entropy, L2, Z2, {"axis": 2}, ValueError, "axis must be in"),
    (cross_entropy, L2, Z2, {"axis": 1.0}, TypeError, "axis must be an"),
    (cross_entropy, L2, Z2, {"reduction": "MEAN"}, ValueError, "reduction"),
    (cross_entropy, [], EMPTY, {}, ValueError, "logits must not be empty"),
    (cross_entropy, [-1, -1], Z2, {"ignore_index": -1}, ValueError,
     r"number of y_true labels \(ignore_index excluded\) must be > 0"),
    (cross_entropy, L2, Z2, {"weight": [0.0, 0.0]}, ValueError,
     r"sum of weight\[y_true\]"),
    (cross_entropy, L2, [["a", "b"], ["c", "d"]], {}, TypeError, "logits"),
    # categorical_cross_entropy
    (categorical_cross_entropy, Y2, P2.T[:1], {}, ValueError, "same shape"),
    (categorical_cross_entropy, Y2, P2 * 0.9, {}, ValueError,
     "row sum - 1| of y_prob"),
    (categorical_cross_entropy, Y2, P2, {"axis": 0}, ValueError,
     "row sum - 1| of y_prob"),
    (categorical_cross_entropy, Y2, [[-0.5, 1.5], [0.6, 0.4]], {},
     ValueError, "y_prob must hold"),
    (categorical_cross_entropy, Y2 * 2, P2, {}, ValueError,
     "y_true must hold"),
    (categorical_cross_entropy, Y2, NAN2, {}, ValueError,
     "y_prob must be finite"),
    (categorical_cross_entropy, Y2, P2, {"axis": -3}, ValueError,
     "axis must be in"),
    (categorical_cross_entropy, Y2, P2, {"reduction": "mea"}, ValueError,
     "reduction"),
    (categorical_cross_entropy, EMPTY, EMPTY, {}, ValueError,
     "must not be empty"),
    (categorical_cross_entropy, Y2, [["a", "b"]], {}, TypeError, "y_prob"),
    # sparse_categorical_cross_entropy
    (sparse_categorical_cross_entropy, Y2, P2, {}, ValueError,
     "y_true must have shape"),
    (sparse_categorical_cross_entropy, [0.5, 1], P2, {}, ValueError,
     "integer class labels"),
    (sparse_categorical_cross_entropy, [0, 2], P2, {}, ValueError,
     r"class labels in \[0, 2\)"),
    (sparse_categorical_cross_entropy, L2, P2 * 0.5, {}, ValueError,
     "row sum - 1| of y_prob"),
    (sparse_categorical_cross_entropy, L2, INF2, {}, ValueError,
     "y_prob must be finite"),
    (sparse_categorical_cross_entropy, L2, P2 - 0.5, {}, ValueError,
     "y_prob must hold"),
    (sparse_categorical_cross_entropy, L2, P2, {"reduction": 1}, ValueError,
     "reduction"),
    (sparse_categorical_cross_entropy, [], EMPTY, {}, ValueError,
     "must not be empty"),
    (sparse_categorical_cross_entropy, ["a", "b"], P2, {}, TypeError,
     "y_true"),
]


@pytest.mark.parametrize(
    ("fn", "y_true", "y_pred", "kwargs", "error", "match"), BAD_INPUT,
    ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(BAD_INPUT)],
)
def test_bad_input(fn, y_true, y_pred, kwargs, error, match):
    arrays_in = [a for a in (y_true, y_pred, *kwargs.values())
                 if isinstance(a, np.ndarray)]
    copies = [a.copy() for a in arrays_in]
    for callable_ in (fn, GRADIENTS[fn]):
        with pytest.raises(error, match=match):
            callable_(y_true, y_pred, **kwargs)
    for before, after in zip(copies, arrays_in, strict=True):
        np.testing.assert_array_equal(before, after)


def test_inputs_not_modified():
    rng = np.random.default_rng(27)
    z = rng.normal(size=(3, C))
    y = rng.dirichlet(np.ones(C), size=3)
    labels = np.array([0, -1, 2])
    w = rng.uniform(size=C)
    before = [a.copy() for a in (z, y, labels, w)]
    for fn in (cross_entropy, GRADIENTS[cross_entropy]):
        fn(labels, z, weight=w, ignore_index=-1, label_smoothing=0.1)
        fn(y, z, weight=w, label_smoothing=0.1)
    for fn in (categorical_cross_entropy,
               GRADIENTS[categorical_cross_entropy]):
        fn(y, y)
    for a, b in zip(before, (z, y, labels, w), strict=True):
        np.testing.assert_array_equal(a, b)



class TestBceWithLogitsBroadcasting:
    """``weight`` and ``pos_weight`` broadcast against ``logits`` as PyTorch's
    do (recorded values in reference_values_robust.json); here the rule
    itself, against the explicitly broadcast arrays."""

    @pytest.mark.parametrize(
        "shape", [(), (5,), (3, 1, 1), (2, 1, 1, 1), (4, 1), (2, 3, 4, 5)])
    @pytest.mark.parametrize("name", ["weight", "pos_weight"])
    def test_same_as_the_broadcast_array(self, shape, name):
        rng = np.random.default_rng(11)
        y = rng.integers(0, 2, size=(2, 3, 4, 5)).astype(float)
        z = rng.normal(0, 3, size=y.shape)
        w = rng.uniform(0.5, 2.0, size=shape)
        full = np.broadcast_to(w, y.shape).copy()
        fn = binary_cross_entropy_with_logits
        for reduction in REDUCTIONS:
            np.testing.assert_array_equal(
                fn(y, z, reduction=reduction, **{name: w}),
                fn(y, z, reduction=reduction, **{name: full}))
            np.testing.assert_array_equal(
                GRADIENTS[fn](y, z, reduction=reduction, **{name: w}),
                GRADIENTS[fn](y, z, reduction=reduction, **{name: full}))

    def test_the_nchw_trap(self):
        # a (C,) pos_weight on (N, C, H, W) with W == C broadcasts along W,
        # as in PyTorch; (C, 1, 1) is the per-channel weight
        y = np.ones((1, 2, 1, 2))
        z = np.zeros_like(y)
        along_w = binary_cross_entropy_with_logits(
            y, z, pos_weight=[1.0, 3.0], reduction="none")
        per_channel = binary_cross_entropy_with_logits(
            y, z, pos_weight=np.array([1.0, 3.0])[:, None, None],
            reduction="none")
        ln2 = np.log(2)
        np.testing.assert_allclose(along_w[0, :, 0], [[ln2, 3 * ln2]] * 2)
        np.testing.assert_allclose(per_channel[0, :, 0],
                                   [[ln2, ln2], [3 * ln2, 3 * ln2]])
