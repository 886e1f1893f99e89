"""Tests for lossbook.margins: hinge, squared hinge, the two multi-class
hinges and the ranking loss.

Oracle values come from the SymPy definitions in lossbook.symbolic.margins
at 50 digits; (sub)gradients are checked against central differences at
points away from the kinks, and at the kinks against the documented
choice (0). Values recorded from PyTorch and Keras are in
tests/data/reference_values_margins.json (test_reference_values); the last
group checks the statements the chapter makes about them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from oracle import central_difference

import lossbook as lb
from lossbook.gradients import gradient
from lossbook.margins import (
    categorical_hinge_loss,
    hinge_loss,
    margin_ranking_loss,
    multi_margin_loss,
    squared_hinge_loss,
)
from lossbook.symbolic import margins as sym

REDUCTIONS = ("mean", "sum", "none")
MAX_ULP = 4.0
C = 4
DATA = (Path(__file__).resolve().parent / "data"
        / "reference_values_margins.json")


def check_gradient(fn, args, *, index=1, wrt=None, h=1e-6, **kwargs):
    """gradient() against central differences, for every reduction."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    for reduction in REDUCTIONS:
        grad = gradient(fn, *args, reduction=reduction, wrt=wrt, **kwargs)
        assert grad.shape == args[index].shape
        assert grad.dtype == np.float64

        def total(v, reduction=reduction):
            new = list(args)
            new[index] = v
            return float(np.sum(fn(*new, reduction=reduction, **kwargs)))

        numeric = central_difference(total, args[index], h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def away_from_kinks(rng, n, kink_of):
    """Random scores whose hinge terms are all at least 1e-3 off a kink."""
    while True:
        x = rng.normal(size=n) * 2
        if np.all(np.abs(kink_of(x)) > 1e-3):
            return x


# --------------------------------------------------------------------------
# hinge and squared hinge
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [hinge_loss, squared_hinge_loss])
class TestBinaryHinges:
    def test_oracle(self, fn, ulp_report):
        rng = np.random.default_rng(0)
        y = rng.choice([-1.0, 1.0], size=200)
        p = rng.normal(size=200) * 3
        p[:20] = y[:20] * (1 + rng.normal(size=20) * 1e-12)  # near the kink
        got = fn(y, p, reduction="none")
        defn = getattr(sym, fn.__name__)()
        want = [defn.evaluate(a, b) for a, b in zip(y, p, strict=True)]
        ulp_report.check(fn.__name__, got, want, max_ulp=MAX_ULP)

    def test_gradient(self, fn):
        rng = np.random.default_rng(1)
        y = rng.choice([-1.0, 1.0], size=12)
        p = away_from_kinks(rng, 12, lambda p: 1 - y * p)
        check_gradient(fn, [y, p])

    def test_gradient_matches_sympy(self, fn):
        defn = getattr(sym, fn.__name__)()
        d = defn.derivative()
        y_s, p_s = defn.inputs
        for y, p in [(1.0, 0.3), (-1.0, 0.3), (1.0, 2.0), (-1.0, -4.0)]:
            want = float(d.subs({y_s: y, p_s: p}))
            assert float(gradient(fn, [y], [p], reduction="sum")[0]) == \
                pytest.approx(want, rel=1e-15, abs=0)

    def test_zero_beyond_the_margin(self, fn):
        assert fn([1, -1], [1.0, -3.0]) == 0.0
        g = gradient(fn, [1.0, -1.0], [1.0, -1.0])
        np.testing.assert_array_equal(g, [0.0, 0.0])  # the kink: 0

    def test_refuses_zero_one_labels(self, fn):
        with pytest.raises(ValueError, match=r"y_true must hold only the "
                           r"values \{-1, 1\}, got 0; for 0/1 labels"):
            fn([0, 1], [0.5, 0.5])

    def test_shapes_and_dtype(self, fn):
        with pytest.raises(ValueError, match="same shape"):
            fn([1, 1], [0.5])
        out = fn(np.ones(3, np.float32), np.zeros(3, np.float32))
        assert out.dtype == np.float32
        with pytest.raises(ValueError, match="y_pred must be finite"):
            fn([1], [np.nan])


def test_hinge_keras_example():
    # (max(0, 1 - 2) + max(0, 1 + 0.5) + max(0, 1 + 1)) / 3
    assert hinge_loss([1, -1, 1], [2.0, 0.5, -1.0]) == pytest.approx(3.5 / 3)


# --------------------------------------------------------------------------
# categorical hinge (Crammer-Singer)
# --------------------------------------------------------------------------


class TestCategoricalHinge:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(2)
        z = rng.normal(size=(60, C)) * 2
        labels = rng.integers(0, C, size=60)
        # near the kink: the true class ahead by 1 + 1e-10 of the best other
        z[:10, 0] = z[:10, 1:].max(axis=1) + 1 - 1e-10
        labels[:10] = 0
        got = categorical_hinge_loss(labels, z, reduction="none")
        defn = sym.categorical_hinge_loss(C)
        want = [defn.evaluate(int(t), *row)
                for t, row in zip(labels, z, strict=True)]
        ulp_report.check("categorical_hinge_loss", got, want,
                         max_ulp=MAX_ULP)

    def test_gradient(self):
        rng = np.random.default_rng(3)
        z = rng.normal(size=(6, C))
        labels = rng.integers(0, C, size=6)
        check_gradient(categorical_hinge_loss, [labels, z])

    def test_ties_share_the_gradient(self):
        g = gradient(categorical_hinge_loss, [0], [[0.0, 0.5, 0.5]],
                     reduction="sum")
        np.testing.assert_array_equal(g, [[-1.0, 0.5, 0.5]])

    def test_axis_one(self):
        rng = np.random.default_rng(4)
        z = rng.normal(size=(3, C, 5))
        labels = rng.integers(0, C, size=(3, 5))
        want = categorical_hinge_loss(labels, np.moveaxis(z, 1, -1),
                                      reduction="none")
        np.testing.assert_array_equal(
            categorical_hinge_loss(labels, z, axis=1, reduction="none"), want)
        g = gradient(categorical_hinge_loss, labels, z, axis=1)
        assert g.shape == z.shape

    def test_bad_labels(self):
        with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
            categorical_hinge_loss([3], [[0.0, 1.0, 2.0]])
        with pytest.raises(ValueError, match="shape of logits without"):
            categorical_hinge_loss([0, 1], [[0.0, 1.0, 2.0]])


# --------------------------------------------------------------------------
# multi-margin (Weston-Watkins / PyTorch)
# --------------------------------------------------------------------------


class TestMultiMargin:
    @pytest.mark.parametrize("p", [1, 2])
    @pytest.mark.parametrize("weighted", [False, True])
    def test_oracle(self, p, weighted, ulp_report):
        rng = np.random.default_rng(5 + p)
        z = rng.normal(size=(40, C)) * 2
        labels = rng.integers(0, C, size=40)
        w = rng.uniform(0.5, 2.0, size=C) if weighted else None
        got = multi_margin_loss(labels, z, p=p, margin=0.7, weight=w,
                                reduction="none")
        defn = sym.multi_margin_loss(C, p=p, weighted=weighted)
        params = {f"w_{c}": w[c] for c in range(C)} if weighted else {}
        want = [defn.evaluate(int(t), *row, m=0.7, **params)
                for t, row in zip(labels, z, strict=True)]
        ulp_report.check("multi_margin_loss", got, want, max_ulp=MAX_ULP)

    @pytest.mark.parametrize("p", [1, 2])
    def test_gradient(self, p):
        rng = np.random.default_rng(7)
        z = rng.normal(size=(6, C))
        labels = rng.integers(0, C, size=6)
        check_gradient(multi_margin_loss, [labels, z], p=p,
                       weight=[1.0, 2.0, 0.5, 1.5])

    def test_mean_ignores_weights_in_the_divisor(self):
        z = [[0.0, 0.0], [0.0, 0.0]]
        # each sample: w_t * max(0, 1 - 0 + 0) / 2
        got = multi_margin_loss([0, 1], z, weight=[1.0, 3.0])
        assert got == pytest.approx((0.5 + 1.5) / 2, rel=1e-15)

    def test_bad_p_and_margin(self):
        with pytest.raises(ValueError, match="p must be <= 2"):
            multi_margin_loss([0], [[0.0, 1.0]], p=3)
        with pytest.raises(ValueError, match="margin must be >= 0"):
            multi_margin_loss([0], [[0.0, 1.0]], margin=-1.0)


def test_three_multiclass_hinges_differ_on_one_example():
    z = [[-0.131, -0.625, -0.75]]
    assert float(categorical_hinge_loss([1], z)) == pytest.approx(1.494)
    # Weston-Watkins sums both shortfalls and PyTorch divides by C = 3
    assert float(multi_margin_loss([1], z)) == pytest.approx(
        (1.494 + 0.875) / 3)


# --------------------------------------------------------------------------
# margin ranking
# --------------------------------------------------------------------------


class TestMarginRanking:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(8)
        y = rng.choice([-1.0, 1.0], size=100)
        a, b = rng.normal(size=(2, 100))
        b[:10] = a[:10] + y[:10] * (0.25 + 1e-13)  # near the kink
        got = margin_ranking_loss(y, a, b, margin=0.25, reduction="none")
        defn = sym.margin_ranking_loss()
        want = [defn.evaluate(*v, m=0.25)
                for v in zip(y, a, b, strict=True)]
        ulp_report.check("margin_ranking_loss", got, want, max_ulp=MAX_ULP)

    @pytest.mark.parametrize(("index", "wrt"), [(1, "x1"), (2, "x2"),
                                                (1, None)])
    def test_gradients(self, index, wrt):
        rng = np.random.default_rng(9)
        y = rng.choice([-1.0, 1.0], size=10)
        a = rng.normal(size=10)
        b = a + y * away_from_kinks(rng, 10, lambda d: d - 0.3)
        check_gradient(margin_ranking_loss, [y, a, b], index=index, wrt=wrt,
                       margin=0.3)

    def test_both_partials_at_once(self):
        g1, g2 = gradient(margin_ranking_loss, [1.0], [0.0], [1.0],
                          wrt=("x1", "x2"))
        assert (g1[0], g2[0]) == (-1.0, 1.0)
        with pytest.raises(ValueError, match="wrt must be one of"):
            gradient(margin_ranking_loss, [1.0], [0.0], [1.0], wrt="y_true")

    def test_gradient_matches_sympy(self):
        defn = sym.margin_ranking_loss()
        y_s, x1_s, x2_s = defn.inputs
        point = {y_s: -1, x1_s: 0.4, x2_s: 0.1, defn.params[0]: 0.5}
        g1, g2 = gradient(margin_ranking_loss, [-1.0], [0.4], [0.1],
                          margin=0.5, wrt=("x1", "x2"))
        assert g1[0] == float(defn.derivative(x1_s).subs(point))
        assert g2[0] == float(defn.derivative(x2_s).subs(point))

    def test_negative_margin_allowed_as_in_pytorch(self):
        assert margin_ranking_loss([1], [0.0], [0.0], margin=-0.5) == 0.0


# --------------------------------------------------------------------------
# the chapter's framework statements, against recorded values
# --------------------------------------------------------------------------


RECORDED = json.loads(DATA.read_text())
FLOAT32 = RECORDED["keras_float32_cases"]


@pytest.fixture(scope="module")
def recorded():
    return {c["id"]: c for c in RECORDED["cases"] + FLOAT32}


@pytest.mark.parametrize("case", FLOAT32, ids=lambda c: c["id"])
def test_keras_values_at_float32_precision(case):
    """Keras (torch backend) computes its hinges in float32."""
    assert case["dtype"] == "float32"
    fn = globals()[case["function"].rsplit(".", 1)[1]]
    got = float(fn(*[np.asarray(a) for a in case["args"]]))
    if case["expect"] == "differs":
        assert not np.isclose(got, case["expected"], rtol=1e-3)
    else:
        assert got == pytest.approx(case["expected"], rel=1e-6)


def test_keras_categorical_hinge_is_larger_when_wrong_scores_negative(
        recorded):
    keras_value = recorded["keras-categorical-hinge-trap"]["expected"]
    ours = float(categorical_hinge_loss([1], [[-0.131, -0.625, -0.75]]))
    assert keras_value == pytest.approx(1.625, abs=1e-12)
    assert ours == pytest.approx(1.494, abs=1e-12)


def test_optax_leaves_rounding_where_the_loss_is_zero(recorded):
    # optax forms max_c(z_c + 1 - [c = t]) - z_t: (z_t + 1) - 1 rounds
    case = recorded["optax-multiclass-hinge-zeros"]
    labels, z = (np.asarray(a) for a in case["args"])
    ours = categorical_hinge_loss(labels, z, reduction="none")
    theirs = np.asarray(case["expected"])
    zero = ours == 0
    assert zero.any()
    assert np.any(theirs[zero] != 0) and np.all(np.abs(theirs[zero]) < 1e-15)
    np.testing.assert_allclose(ours[~zero], theirs[~zero], rtol=1e-14)


def test_hinge_embedding_loss_is_not_the_svm_hinge(recorded):
    case = recorded["torch-hinge-embedding-trap"]
    y, x = (np.asarray(a) for a in case["args"])
    # PyTorch: x where y = 1, max(0, margin - x) where y = -1
    assert float(hinge_loss(y, x)) != pytest.approx(case["expected"])
    want = np.where(y == 1, x, np.maximum(0.0, 1.0 - x)).mean()
    assert case["expected"] == pytest.approx(want, rel=1e-12)


def test_lb_namespace_exports():
    for name in ("hinge_loss", "squared_hinge_loss", "categorical_hinge_loss",
                 "multi_margin_loss", "margin_ranking_loss"):
        assert getattr(lb, name) is globals()[name]
