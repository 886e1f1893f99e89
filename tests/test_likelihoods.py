"""Tests for lossbook.likelihoods: one group per loss.

Oracle values come from the SymPy definitions in
lossbook.symbolic.likelihoods, evaluated with mpmath at 50 significant
digits (LossDefinition.evaluate raises the working precision until the
value is settled). Gradients are checked against central differences and
against the SymPy derivative. Values recorded from PyTorch and Keras are
in tests/data/reference_values_likelihoods.json (test_reference_values);
the last group checks the statements the chapters make about them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest
from oracle import central_difference, ulp_error

import lossbook as lb
from lossbook.gradients import gradient
from lossbook.likelihoods import (
    distillation_loss,
    gaussian_nll_loss,
    kl_divergence,
    mape,
    msle,
    nll_loss,
    poisson_nll_loss,
)
from lossbook.symbolic import likelihoods as sym

REDUCTIONS = ("mean", "sum", "none")
C = 4
#: the bound the oracle tests hold these losses to, in float64 ulps
MAX_ULP = 4.0
DATA = (Path(__file__).resolve().parent / "data"
        / "reference_values_likelihoods.json")

KL = sym.kl_divergence(C)
DISTIL = sym.distillation_loss(C)
GAUSS = sym.gaussian_nll_loss()
MAPE = sym.mape()
MSLE = sym.msle()


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def check_gradient(fn, args, *, wrt_index=1, wrt=None, h=1e-6, rtol=1e-6,
                   atol=1e-7, **kwargs):
    """gradient() against central differences, for every reduction."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    x = args[wrt_index] if wrt is None else kwargs[wrt]
    for reduction in REDUCTIONS:
        grad = gradient(fn, *args, reduction=reduction, wrt=wrt, **kwargs)
        assert grad.shape == np.shape(x)
        assert grad.dtype == np.float64

        def total(v, reduction=reduction):
            new_args, new_kwargs = list(args), dict(kwargs)
            if wrt is None:
                new_args[wrt_index] = v
            else:
                new_kwargs[wrt] = v
            return float(np.sum(fn(*new_args, reduction=reduction,
                                   **new_kwargs)))

        numeric = central_difference(total, x, h)
        np.testing.assert_allclose(grad, numeric, rtol=rtol, atol=atol)


def dirichlet_rows(rng, n, concentration):
    return rng.dirichlet([concentration] * C, size=n)


# --------------------------------------------------------------------------
# nll_loss
# --------------------------------------------------------------------------


class TestNllLoss:
    def test_equals_cross_entropy_after_log_softmax(self):
        rng = np.random.default_rng(0)
        z = 5 * rng.normal(size=(7, C))
        labels = rng.integers(0, C, size=7)
        w = rng.uniform(0.5, 2.0, size=C)
        for kwargs in ({}, {"weight": w}, {"ignore_index": 2}):
            for red in REDUCTIONS:
                got = nll_loss(labels, lb.log_softmax(z), reduction=red,
                               **kwargs)
                want = lb.cross_entropy(labels, z, reduction=red, **kwargs)
                np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)

    def test_oracle_is_exact(self, ulp_report):
        rng = np.random.default_rng(1)
        lp = np.log(dirichlet_rows(rng, 20, 0.5))
        labels = rng.integers(0, C, size=20)
        got = nll_loss(labels, lp, reduction="none")
        defn = sym.nll_loss(C)
        want = [defn.evaluate(int(y), *row) for y, row in zip(labels, lp,
                                                              strict=True)]
        ulp_report.check("nll_loss", got, want, max_ulp=MAX_ULP)

    def test_weighted_mean_rule_by_hand(self):
        lp = [[-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0]]
        # (1 * 1 + 3 * 4) / (1 + 3); the third sample is ignored
        got = nll_loss([0, 1, 0], lp, weight=[1.0, 3.0], ignore_index=0)
        assert got == pytest.approx(4.0, rel=1e-15)
        got = nll_loss([0, 1, 5], lp, weight=[1.0, 3.0], ignore_index=5)
        assert got == pytest.approx(13 / 4, rel=1e-15)

    def test_axis_one_layout(self):
        rng = np.random.default_rng(2)
        lp = lb.log_softmax(rng.normal(size=(3, C, 5)), axis=1)
        labels = rng.integers(0, C, size=(3, 5))
        last = nll_loss(labels, np.moveaxis(lp, 1, -1), reduction="none")
        np.testing.assert_array_equal(
            nll_loss(labels, lp, axis=1, reduction="none"), last)
        g = gradient(nll_loss, labels, lp, axis=1)
        assert g.shape == lp.shape

    def test_probability_zero_costs_inf(self):
        got = no_warnings(nll_loss, [0], [[-np.inf, 0.0]])
        assert got == np.inf

    def test_gradient(self):
        rng = np.random.default_rng(3)
        lp = lb.log_softmax(rng.normal(size=(5, C)))
        labels = rng.integers(0, C, size=5)
        check_gradient(nll_loss, [labels, lp])
        check_gradient(nll_loss, [labels, lp], weight=[1.0, 2.0, 0.5, 3.0],
                       ignore_index=int(labels[0]))


# --------------------------------------------------------------------------
# kl_divergence
# --------------------------------------------------------------------------


class TestKlDivergence:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(4)
        rows_y, rows_p = [], []
        for conc in (0.3, 1.0, 5.0, 100.0):
            rows_y.append(dirichlet_rows(rng, 15, conc))
            rows_p.append(dirichlet_rows(rng, 15, conc))
        # nearly equal rows: the divergence is tiny, the terms are not
        for eps in (1e-3, 1e-6, 1e-9, 1e-12):
            y = dirichlet_rows(rng, 10, 2.0)
            p = y * (1 + eps * rng.normal(size=y.shape))
            rows_y.append(y)
            rows_p.append(p / p.sum(axis=1, keepdims=True))
        y, p = np.concatenate(rows_y), np.concatenate(rows_p)
        got = kl_divergence(y, p, reduction="none")
        want = [KL.evaluate(*a, *b) for a, b in zip(y, p, strict=True)]
        ulp_report.check("kl_divergence", got, want, max_ulp=MAX_ULP)

    def test_equals_cross_entropy_minus_entropy(self):
        rng = np.random.default_rng(5)
        y, p = dirichlet_rows(rng, 6, 1.0), dirichlet_rows(rng, 6, 1.0)
        entropy = -(y * np.log(y)).sum(axis=1)
        ce = lb.categorical_cross_entropy(y, p, reduction="none")
        np.testing.assert_allclose(kl_divergence(y, p, reduction="none"),
                                   ce - entropy, rtol=1e-12)

    def test_zeros_by_hand(self):
        y = [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
        p = [[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]]
        got = no_warnings(kl_divergence, y, p, reduction="none")
        # 0 log 0 = 0; y > 0 = p is infinite; 1 log(1 / 0.5) = ln 2
        np.testing.assert_array_equal(got[:2], [0.0, np.inf])
        assert got[2] == pytest.approx(np.log(2), rel=1e-15)

    def test_not_symmetric_and_zero_on_equal(self):
        y, p = [[0.2, 0.8]], [[0.6, 0.4]]
        assert kl_divergence(y, p) != pytest.approx(kl_divergence(p, y))
        assert kl_divergence(y, y) == 0.0

    def test_axis_and_mean_over_rows(self):
        rng = np.random.default_rng(6)
        y, p = dirichlet_rows(rng, 5, 1.0), dirichlet_rows(rng, 5, 1.0)
        assert kl_divergence(y.T, p.T, axis=0) == pytest.approx(
            kl_divergence(y, p), rel=1e-15)
        assert kl_divergence(y, p) == pytest.approx(
            kl_divergence(y, p, reduction="sum") / 5, rel=1e-15)

    def test_gradient(self):
        rng = np.random.default_rng(7)
        y, p = dirichlet_rows(rng, 3, 3.0), dirichlet_rows(rng, 3, 3.0)
        # central differences leave the simplex; the rows stay within the
        # row-sum tolerance because h is far below it
        check_gradient(kl_divergence, [y, p], h=1e-8, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# distillation_loss
# --------------------------------------------------------------------------


class TestDistillationLoss:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(8)
        cases = []
        for temperature in (1.0, 2.0, 4.0, 8.0, 16.0):
            for scale in (1.0, 5.0, 20.0):
                for _ in range(4):
                    cases.append((scale * rng.normal(size=C),
                                  scale * rng.normal(size=C), temperature))
            for eps in (1e-2, 1e-5, 1e-8):
                t = 3 * rng.normal(size=C)
                cases.append((t, t + eps * rng.normal(size=C), temperature))
        got = [distillation_loss(t[None], s[None], temperature=T,
                                 reduction="none")[0] for t, s, T in cases]
        want = [DISTIL.evaluate(*t, *s, temperature=T) for t, s, T in cases]
        ulp_report.check("distillation_loss", got, want, max_ulp=MAX_ULP)

    def test_is_t_squared_kl_of_softened_softmaxes(self):
        rng = np.random.default_rng(9)
        t, s = 3 * rng.normal(size=(6, C)), 3 * rng.normal(size=(6, C))
        for temperature in (1.0, 3.0):
            q = lb.softmax(t / temperature)
            p = lb.softmax(s / temperature)
            want = temperature**2 * kl_divergence(q, p, reduction="none")
            got = distillation_loss(t, s, temperature=temperature,
                                    reduction="none")
            np.testing.assert_allclose(got, want, rtol=1e-12)

    def test_gradient_size_about_constant_in_temperature(self):
        rng = np.random.default_rng(10)
        t, s = rng.normal(size=(8, C)), rng.normal(size=(8, C))
        norms = [np.linalg.norm(gradient(distillation_loss, t, s,
                                         temperature=T))
                 for T in (2.0, 4.0, 8.0, 16.0, 64.0)]
        assert max(norms) / min(norms) < 1.2

    def test_gradient(self):
        rng = np.random.default_rng(11)
        t, s = 2 * rng.normal(size=(4, C)), 2 * rng.normal(size=(4, C))
        for temperature in (1.0, 4.0):
            check_gradient(distillation_loss, [t, s],
                           temperature=temperature)
        # against the SymPy derivative in s_0
        expr = DISTIL.derivative()
        got = gradient(distillation_loss, t[:1], s[:1], temperature=2.0,
                       reduction="sum")[0, 0]
        want = DISTIL.evaluate(*t[0], *s[0], expr=expr, temperature=2.0)
        assert ulp_error(got, want) <= 8


# --------------------------------------------------------------------------
# gaussian_nll_loss
# --------------------------------------------------------------------------


def condition(*terms):
    """Sum of |terms| over |sum|: how much a sum amplifies their errors."""
    terms = np.asarray(terms, dtype=np.float64)
    total = np.abs(terms.sum(axis=0))
    return np.abs(terms).sum(axis=0) / np.where(total > 0, total, np.inf)


class TestGaussianNllLoss:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(12)
        y = rng.normal(size=300)
        mu = y + 2 * rng.normal(size=300)
        var = np.exp(rng.uniform(-4, 4, size=300))
        got = gaussian_nll_loss(y, mu, var=var, reduction="none")
        want = [GAUSS.evaluate(a, b, v) for a, b, v in zip(y, mu, var,
                                                           strict=True)]
        kappa = condition(np.log(var), (mu - y) ** 2 / var)
        # where log var and the squared error nearly cancel (the loss
        # crosses 0), only absolute accuracy is possible: 4 ulp of the
        # larger term; elsewhere 4 ulp of the value
        fine = kappa <= 2
        assert fine.sum() > 200
        ulp_report.check("gaussian_nll_loss", got[fine],
                         [w for w, f in zip(want, fine, strict=True) if f],
                         max_ulp=MAX_ULP)
        scale = np.maximum(np.abs(np.log(var)), (mu - y) ** 2 / var) / 2
        err = np.abs(got - np.array([float(w) for w in want]))
        assert (err <= MAX_ULP * np.spacing(scale)).all()

    def test_full_adds_the_constant(self):
        got = gaussian_nll_loss([0.0], [0.0], var=[1.0], full=True)
        assert got == pytest.approx(0.5 * np.log(2 * np.pi), rel=1e-15)

    def test_constant_variance_is_scaled_mse(self):
        rng = np.random.default_rng(13)
        y, mu = rng.normal(size=10), rng.normal(size=10)
        got = gaussian_nll_loss(y, mu, var=4.0)
        assert got == pytest.approx(0.5 * np.log(4) + lb.mse(y, mu) / 8,
                                    rel=1e-14)

    @pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1), (1, 4), ()])
    def test_var_broadcasts_as_pytorch(self, var_shape):
        rng = np.random.default_rng(14)
        y, mu = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        var = rng.uniform(0.5, 2.0, size=var_shape)
        full = var[..., None] if var_shape == (3,) else var
        want = 0.5 * (np.log(np.broadcast_to(full, (3, 4)))
                      + (mu - y) ** 2 / full)
        got = gaussian_nll_loss(y, mu, var=var, reduction="none")
        np.testing.assert_allclose(got, want, rtol=1e-15)
        g = gradient(gaussian_nll_loss, y, mu, var=var, wrt="var")
        assert g.shape == np.shape(var)

    def test_var_shape_refused(self):
        with pytest.raises(ValueError, match="var must have shape"):
            gaussian_nll_loss(np.zeros((3, 4)), np.zeros((3, 4)),
                              var=np.ones((2, 4)))

    def test_gradients(self):
        rng = np.random.default_rng(15)
        y, mu = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        var = rng.uniform(0.5, 2.0, size=(3, 4))
        check_gradient(gaussian_nll_loss, [y, mu], var=var)
        check_gradient(gaussian_nll_loss, [y, mu], var=var, wrt="var")
        check_gradient(gaussian_nll_loss, [y, mu], var=var[:, :1],
                       wrt="var")
        both = gradient(gaussian_nll_loss, y, mu, var=var,
                        wrt=("y_pred", "var"))
        np.testing.assert_array_equal(both[0], gradient(
            gaussian_nll_loss, y, mu, var=var))
        # against the SymPy derivatives, in yhat and in var
        for k, symbol in enumerate(GAUSS.wrt):
            want = GAUSS.evaluate(y[0, 0], mu[0, 0], var[0, 0],
                                  expr=GAUSS.derivative(symbol))
            got = both[k][0, 0] * y.size  # undo the mean
            assert float(got) == pytest.approx(float(want), rel=1e-14)


# --------------------------------------------------------------------------
# poisson_nll_loss
# --------------------------------------------------------------------------


class TestPoissonNllLoss:
    @pytest.mark.parametrize("log_input", [True, False])
    @pytest.mark.parametrize("full", [False, True])
    def test_oracle(self, ulp_report, log_input, full):
        rng = np.random.default_rng(16)
        y = rng.poisson(5.0, size=200).astype(np.float64)
        x = (rng.normal(1.5, 1.0, size=200) if log_input
             else rng.gamma(2.0, 3.0, size=200))
        got = poisson_nll_loss(y, x, log_input=log_input, full=full,
                               reduction="none")
        defn = sym.poisson_nll_loss(log_input=log_input, full=full)
        want = np.array([float(defn.evaluate(a, b)) for a, b in
                         zip(y, x, strict=True)])
        if log_input:
            terms = [np.exp(x), -y * x]
        else:
            terms = [x, -y * np.log(np.where(y > 0, x, 1.0))]
        if full:
            # the Stirling term as one value (its own cancellation between
            # y log y and y is done with an exact product)
            terms.append(got - poisson_nll_loss(
                y, x, log_input=log_input, reduction="none"))
        # y * x is exact (hi + lo), so only exp(x) or log(x) adds an error
        fine = condition(*terms) <= 4
        assert fine.sum() > 40
        ulp_report.check("poisson_nll_loss", got[fine],
                         [mpmath.mpf(w) for w in want[fine]],
                         max_ulp=MAX_ULP)
        scale = np.max(np.abs(terms), axis=0)
        assert (np.abs(got - want) <= MAX_ULP * np.spacing(scale)).all()

    def test_zero_rate(self):
        got = no_warnings(poisson_nll_loss, [3.0, 0.0], [0.0, 0.0],
                          log_input=False, reduction="none")
        np.testing.assert_array_equal(got, [np.inf, 0.0])

    def test_two_forms_agree_on_the_same_rate(self):
        rng = np.random.default_rng(17)
        y, rate = rng.poisson(3.0, size=8), rng.gamma(2.0, 2.0, size=8)
        np.testing.assert_allclose(
            poisson_nll_loss(y, np.log(rate), reduction="none"),
            poisson_nll_loss(y, rate, log_input=False, reduction="none"),
            rtol=1e-12, atol=1e-14)

    def test_stirling_only_above_one(self):
        got = poisson_nll_loss([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], full=True,
                               reduction="none")
        stirling = 2 * np.log(2) - 2 + 0.5 * np.log(4 * np.pi)
        np.testing.assert_allclose(got, [1.0, 1.0, 1.0 + stirling],
                                   rtol=1e-15)

    def test_gradients(self):
        rng = np.random.default_rng(18)
        y = rng.poisson(4.0, size=(3, 4)).astype(float)
        check_gradient(poisson_nll_loss, [y, rng.normal(size=(3, 4))])
        check_gradient(poisson_nll_loss, [y, rng.gamma(3.0, 2.0, (3, 4))],
                       log_input=False, full=True)
        defn = sym.poisson_nll_loss(log_input=False)
        want = defn.evaluate(4.0, 2.5, expr=defn.derivative())
        got = gradient(poisson_nll_loss, [4.0], [2.5], log_input=False)
        assert float(got[0]) == pytest.approx(float(want), rel=1e-15)


# --------------------------------------------------------------------------
# mape and msle
# --------------------------------------------------------------------------


class TestRelativeErrors:
    def test_mape_oracle(self, ulp_report):
        rng = np.random.default_rng(19)
        y = rng.normal(size=200) * 10.0 ** rng.uniform(-3, 3, size=200)
        x = y * (1 + rng.normal(size=200) * 10.0 ** rng.uniform(-9, 0, 200))
        got = mape(y, x, reduction="none")
        want = [MAPE.evaluate(a, b) for a, b in zip(y, x, strict=True)]
        ulp_report.check("mape", got, want, max_ulp=MAX_ULP)

    def test_msle_oracle(self, ulp_report):
        rng = np.random.default_rng(20)
        y = rng.gamma(1.0, 5.0, size=200) * 10.0 ** rng.uniform(-6, 3, 200)
        rel = 10.0 ** rng.uniform(-10, 0.5, size=200)
        x = np.abs(y * (1 + rel * rng.normal(size=200)))
        got = msle(y, x, reduction="none")
        want = [MSLE.evaluate(a, b) for a, b in zip(y, x, strict=True)]
        ulp_report.check("msle", got, want, max_ulp=MAX_ULP)

    def test_mape_asymmetry(self):
        # for a positive target, under-prediction is capped at 100%
        assert mape([1.0], [0.0]) == 100.0
        assert mape([1.0], [5.0]) == 400.0
        # msle: predicting half costs more than predicting double
        assert msle([9.0], [4.0]) == pytest.approx(msle([9.0], [19.0]))
        assert msle([10.0], [5.0]) > msle([10.0], [15.0])

    def test_gradients(self):
        rng = np.random.default_rng(21)
        y = rng.uniform(1.0, 5.0, size=(3, 4))
        check_gradient(mape, [y, y + rng.choice([-1.0, 1.0], (3, 4))])
        check_gradient(msle, [y, rng.uniform(0.5, 6.0, size=(3, 4))])
        for defn, fn in ((MAPE, mape), (MSLE, msle)):
            want = defn.evaluate(2.0, 3.5, expr=defn.derivative())
            got = gradient(fn, [2.0], [3.5])
            assert float(got[0]) == pytest.approx(float(want), rel=1e-14)


# --------------------------------------------------------------------------
# shared rules: dtypes, reductions, validation
# --------------------------------------------------------------------------

Y4 = np.array([[0.1, 0.2, 0.3, 0.4]])
P4 = np.array([[0.25, 0.25, 0.25, 0.25]])
CALLS = {
    "nll_loss": (nll_loss, ([1], np.log(P4)), {}),
    "kl_divergence": (kl_divergence, (Y4, P4), {}),
    "distillation_loss": (distillation_loss, (Y4, P4),
                          {"temperature": 2.0}),
    "gaussian_nll_loss": (gaussian_nll_loss, (Y4, P4), {"var": Y4}),
    "poisson_nll_loss": (poisson_nll_loss, (Y4, P4), {}),
    "mape": (mape, (Y4, P4), {}),
    "msle": (msle, (Y4, P4), {}),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_float32_stays_float32(name):
    fn, args, kwargs = CALLS[name]
    args32 = [np.asarray(a, np.float32) if np.asarray(a).dtype.kind == "f"
              else a for a in args]
    kw32 = {k: np.asarray(v, np.float32) for k, v in kwargs.items()
            if k == "var"}
    kw = {**kwargs, **kw32}
    for red in REDUCTIONS:
        assert fn(*args32, reduction=red, **kw).dtype == np.float32
        assert fn(*args, reduction=red, **kwargs).dtype == np.float64
    assert gradient(fn, *args32, **kw).dtype == np.float32


@pytest.mark.parametrize("name", sorted(CALLS))
def test_reductions_agree(name):
    fn, args, kwargs = CALLS[name]
    none = fn(*args, reduction="none", **kwargs)
    assert fn(*args, reduction="sum", **kwargs) == pytest.approx(
        none.sum(), rel=1e-15)
    if name != "nll_loss":
        assert fn(*args, **kwargs) == pytest.approx(none.mean(), rel=1e-15)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inputs_are_not_modified(name):
    fn, args, kwargs = CALLS[name]
    copies = [np.array(a, copy=True) for a in args]
    fn(*args, **kwargs)
    gradient(fn, *args, **kwargs)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c)


BAD = [
    (nll_loss, ([0], [[0.5, -1.0]]), {}, ValueError, r"exp\(log_probs\)"),
    (nll_loss, ([2], [[-1.0, -1.0]]), {}, ValueError, "labels in"),
    (nll_loss, ([0, 1], [[-1.0, -1.0]]), {}, ValueError, "y_true must have"),
    (nll_loss, ([0], [[-1.0, -1.0]]), {"weight": [1.0]}, ValueError,
     "weight"),
    (nll_loss, ([0], [[-1.0, -1.0]]), {"ignore_index": 0}, ValueError,
     "ignore_index excluded"),
    (nll_loss, ([0.5], [[-1.0, -1.0]]), {}, ValueError, "integer"),
    (kl_divergence, (Y4, P4[:, :3]), {}, ValueError, "same shape"),
    (kl_divergence, ([[0.5, 0.6]], [[0.5, 0.5]]), {}, ValueError,
     "y_true must sum to 1"),
    (kl_divergence, ([[0.5, 0.5]], [[1.5, -0.5]]), {}, ValueError,
     "y_prob must hold probabilities"),
    (kl_divergence, (Y4, P4), {"axis": 2}, ValueError, "axis"),
    (distillation_loss, (Y4, P4), {"temperature": 0.0}, ValueError,
     "temperature must be > 0"),
    (distillation_loss, (Y4, P4[:, :2]), {}, ValueError, "same shape"),
    (distillation_loss, ([[np.nan, 0.0]], [[0.0, 0.0]]), {}, ValueError,
     "teacher_logits must be finite"),
    (gaussian_nll_loss, ([0.0], [0.0]), {"var": [0.0]}, ValueError,
     "var must not contain 0"),
    (gaussian_nll_loss, ([0.0], [0.0]), {"var": [-1.0]}, ValueError,
     "var must be >= 0"),
    (gaussian_nll_loss, ([0.0], [0.0]), {"var": [1.0], "full": 1},
     TypeError, "full"),
    (gaussian_nll_loss, ([0.0, 1.0], [0.0]), {"var": 1.0}, ValueError,
     "same shape"),
    (poisson_nll_loss, ([-1.0], [0.0]), {}, ValueError, "y_true must be >="),
    (poisson_nll_loss, ([1.0], [-1.0]), {"log_input": False}, ValueError,
     "y_pred must be >= 0"),
    (poisson_nll_loss, ([1.0], [0.0]), {"log_input": "yes"}, TypeError,
     "log_input"),
    (mape, ([0.0, 1.0], [1.0, 1.0]), {}, ValueError,
     "y_true must not contain 0"),
    (mape, ([1.0], [np.inf]), {}, ValueError, "y_pred must be finite"),
    (msle, ([1.0], [-0.5]), {}, ValueError, "y_pred must be >= 0"),
    (msle, (["a"], [1.0]), {}, TypeError, "y_true must be a numeric"),
    (msle, ([1.0], [1.0]), {"reduction": "avg"}, ValueError, "reduction"),
    (mape, ([], []), {}, ValueError, "must not be empty"),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "error", "match"), BAD)
def test_bad_input(fn, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fn(*args, **kwargs)
    if fn is not gaussian_nll_loss or "var" in kwargs:
        with pytest.raises(error, match=match):
            gradient(fn, *args, **kwargs)


def test_wrt_is_checked():
    with pytest.raises(ValueError, match="wrt"):
        gradient(gaussian_nll_loss, [0.0], [0.0], var=[1.0], wrt="y_true")
    with pytest.raises(ValueError, match="wrt"):
        gradient(mape, [1.0], [0.0], wrt="var")


# --------------------------------------------------------------------------
# the chapters' statements about PyTorch and Keras, on recorded values
# --------------------------------------------------------------------------


RECORDED = json.loads(DATA.read_text())
FLOAT32 = RECORDED["keras_float32_cases"]


def _recorded(case_id: str) -> float:
    cases = RECORDED["cases"] + FLOAT32
    (case,) = [c for c in cases if c["id"] == case_id]
    return float(np.asarray(case["expected"]).sum())


@pytest.mark.parametrize("case", FLOAT32, ids=lambda c: c["id"])
def test_keras_values_computed_in_float32(case):
    """Keras (torch backend) rounds to float32 inside these losses.

    Away from its clip the value agrees with lossbook's to float32
    precision; at the clip (ids ending in "clip") it is far off.
    """
    fn = getattr(lb, case["function"].rsplit(".", 1)[1])
    got = float(fn(*[np.asarray(a) for a in case["args"]],
                   **case["kwargs"]))
    want = case["expected"]
    if case["id"].endswith("clip"):
        assert not np.isclose(got, want, rtol=1e-3, atol=0)
    else:
        assert got == pytest.approx(want, rel=2e-6)


class TestRecordedTraps:
    """Each trap the chapters show is a recorded PyTorch/Keras number."""

    def test_kl_div_argument_order(self):
        right = _recorded("kl_divergence-trap-order-right")
        swapped = _recorded("kl_divergence-trap-order-swapped")
        y, p = np.array([[0.7, 0.2, 0.1]]), np.array([[0.2, 0.5, 0.3]])
        assert right == pytest.approx(float(kl_divergence(y, p)), rel=1e-12)
        assert swapped == pytest.approx(float(kl_divergence(p, y)),
                                        rel=1e-12)
        assert abs(right - swapped) > 0.005

    def test_kl_div_probabilities_instead_of_logs_is_negative(self):
        assert _recorded("kl_divergence-trap-probabilities") < -1.0

    def test_kl_div_mean_divides_by_classes(self):
        mean = _recorded("kl_divergence-trap-mean")
        batchmean = _recorded("kl_divergence-trap-batchmean")
        assert mean == pytest.approx(batchmean / 3, rel=1e-12)

    def test_gaussian_var_is_a_variance_and_eps_clamps(self):
        as_var = _recorded("gaussian_nll_loss-trap-var")
        as_std = _recorded("gaussian_nll_loss-trap-std")
        assert as_var != pytest.approx(as_std, rel=1e-3)
        assert _recorded("gaussian_nll_loss-trap-zero-var") > 1e5
        assert _recorded("gaussian_nll_loss-trap-negative") < 0

    def test_poisson_log_rate_versus_rate(self):
        log_rate = _recorded("poisson_nll_loss-trap-log-input")
        rate = _recorded("poisson_nll_loss-trap-rate")
        assert log_rate > 1 and abs(rate) < 1
        assert log_rate / rate > 3

    def test_mape_and_msle_asymmetry(self):
        # MAPE: 50% either way; MSLE: under-predicting costs more
        assert _recorded("mape-trap-under") == _recorded("mape-trap-over")
        assert _recorded("msle-trap-under") > 2 * _recorded("msle-trap-over")

    def test_nll_traps(self):
        assert _recorded("nll_loss-trap-probabilities") < 0
        double = _recorded("nll_loss-trap-double-log-softmax")
        assert double > 0
        assert np.isnan(_recorded("kl_divergence-trap-log-target"))
