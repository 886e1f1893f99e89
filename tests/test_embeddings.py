"""Tests for lossbook.embeddings: oracle, gradients, validation, dtype.

Oracle values come from lossbook.symbolic.embeddings, evaluated with
mpmath at 50 digits at the exact float inputs.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from oracle import central_difference

from lossbook.embeddings import (
    GRADIENTS,
    PARTIALS,
    contrastive_loss,
    cosine_embedding_loss,
    info_nce_loss,
    triplet_margin_loss,
)
from lossbook.gradients import gradient
from lossbook.symbolic import embeddings as sym

REDUCTIONS = ("mean", "sum", "none")
D = 4
MAX_ULP = 4.0


def exact(defn, *values, expr=None, **params):
    return defn.evaluate(*[float(v) for v in values], expr=expr, **params)


def check_partials(loss, args, names, kwargs, *, h=1e-6):
    """Every partial against central differences, for every reduction."""
    for reduction in REDUCTIONS:
        for pos, name in enumerate(names):
            if name is None:
                continue
            grad = gradient(loss, *args, wrt=name, reduction=reduction,
                            **kwargs)

            def total(x, pos=pos, reduction=reduction):
                moved = list(args)
                moved[pos] = x
                return float(np.sum(loss(*moved, reduction=reduction,
                                         **kwargs)))

            want = central_difference(total, args[pos], h)
            np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{loss.__name__} {name}")


def check_difference(name, ulp_report, got, want, scale):
    """A loss formed as a difference (margin - d, d_ap - d_an + m).

    Relative accuracy (MAX_ULP, recorded in the ulp report) where the loss
    is at least half of ``scale``, the size of the terms it is the
    difference of; an error of MAX_ULP ulp of ``scale`` where it cancels.
    """
    want = np.asarray(want, dtype=object)
    wf = want.astype(float)
    scale = np.broadcast_to(scale, wf.shape)
    plain = (wf >= scale / 2) & (wf > 0)
    ulp_report.check(name, got[plain], want[plain], max_ulp=MAX_ULP)
    assert (got[wf == 0] == 0).all()
    bound = MAX_ULP * np.spacing(np.maximum(wf, scale))
    assert (np.abs(got - wf) <= bound).all()
    assert plain.sum() > len(wf) // 3


# --------------------------------------------------------------------------
# cosine_embedding_loss
# --------------------------------------------------------------------------

COS = sym.cosine_embedding_loss(D)


class TestCosineEmbedding:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(1)
        x1 = rng.normal(size=(200, D)) * 10.0 ** rng.integers(-3, 4, (200, 1))
        x2 = rng.normal(size=(200, D))
        # nearly parallel pairs, where 1 - cos must not be a subtraction
        x2[:60] = x1[:60] * 2.0 + rng.normal(size=(60, D)) * 1e-6 * np.abs(
            x1[:60])
        # nearly orthogonal pairs, where the dot product cancels
        x2[60:100, -1] = -(x1[60:100, :-1] * x2[60:100, :-1]).sum(-1) / x1[
            60:100, -1]
        y = np.where(rng.uniform(size=200) < 0.5, 1.0, -1.0)
        got = cosine_embedding_loss(y, x1, x2, reduction="none")
        want = [exact(COS, t, *a, *b, m=0.0)
                for t, a, b in zip(y, x1, x2, strict=True)]
        keep = [i for i, w in enumerate(want) if w != 0]
        ulp_report.check("cosine_embedding_loss", got[keep],
                         [want[i] for i in keep], max_ulp=MAX_ULP)
        assert (got[np.setdiff1d(np.arange(200), keep)] == 0).all()
        assert (got[:60][y[:60] == 1] < 1e-10).all()  # the hard region ran
        assert (np.abs(got[60:100][y[60:100] == -1]) < 1e-12).all()

    def test_oracle_with_a_margin(self):
        # cos - m cancels where cos is near m: a few ulp of max(loss, |m|)
        rng = np.random.default_rng(21)
        x1, x2 = rng.normal(size=(2, 100, D))
        got = cosine_embedding_loss(-np.ones(100), x1, x2, margin=-0.5,
                                    reduction="none")
        want = np.array([float(exact(COS, -1.0, *a, *b, m=-0.5))
                         for a, b in zip(x1, x2, strict=True)])
        scale = np.spacing(np.maximum(want, 0.5))
        assert (np.abs(got - want) <= MAX_ULP * scale).all()

    def test_by_hand_and_margin(self):
        x1, x2 = [[1.0, 0.0]] * 3, [[1.0, 1.0], [-1.0, 0.0], [1.0, 1.0]]
        got = cosine_embedding_loss([1, -1, -1], x1, x2, margin=0.5,
                                    reduction="none")
        np.testing.assert_allclose(got, [1 - 2**-0.5, 0.0, 2**-0.5 - 0.5])

    def test_scale_invariant_and_axis(self):
        rng = np.random.default_rng(2)
        x1, x2 = rng.normal(size=(2, 5, 3))
        y = [1, -1, 1, -1, 1]
        base = cosine_embedding_loss(y, x1, x2, reduction="none")
        np.testing.assert_allclose(
            cosine_embedding_loss(y, 3 * x1, 0.5 * x2, reduction="none"),
            base, rtol=1e-15)
        np.testing.assert_allclose(
            cosine_embedding_loss(y, x1.T, x2.T, axis=0, reduction="none"),
            base, rtol=1e-15)

    def test_gradients(self):
        rng = np.random.default_rng(3)
        x1, x2 = rng.normal(size=(2, 6, 3))
        y = np.array([1, -1, 1, -1, -1, 1.0])
        for margin in (0.0, -0.3):
            check_partials(cosine_embedding_loss, (y, x1, x2),
                           (None, "x1", "x2"), {"margin": margin})
        np.testing.assert_array_equal(
            GRADIENTS[cosine_embedding_loss](y, x1, x2),
            gradient(cosine_embedding_loss, y, x1, x2, wrt="x1"))

    def test_gradients_against_sympy(self):
        rng = np.random.default_rng(4)
        x1, x2 = rng.normal(size=(2, 6, D))
        y = np.array([1, -1, 1, -1, -1, 1.0])
        grads = [gradient(cosine_embedding_loss, y, x1, x2, wrt=n,
                          reduction="sum") for n in ("x1", "x2")]
        for row in range(6):
            values = [y[row], *x1[row], *x2[row]]
            want = [float(exact(COS, *values, expr=COS.derivative(s), m=0.0))
                    for s in COS.wrt]
            got = np.concatenate([grads[0][row], grads[1][row]])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    def test_dtype(self):
        x1 = np.array([[1.0, 2.0]], np.float32)
        x2 = np.array([[2.0, -1.0]], np.float32)
        for reduction in REDUCTIONS:
            value = cosine_embedding_loss([1], x1, x2, reduction=reduction)
            assert value.dtype == np.float32
            for name in ("x1", "x2"):
                assert gradient(cosine_embedding_loss, [1], x1, x2, wrt=name,
                                reduction=reduction).dtype == np.float32
        value = cosine_embedding_loss([1], [[1, 2]], [[2, 1]])
        assert value.dtype == np.float64


# --------------------------------------------------------------------------
# contrastive_loss
# --------------------------------------------------------------------------

CON = sym.contrastive_loss(D)


class TestContrastive:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(5)
        x1 = rng.normal(size=(200, D))
        x2 = x1 + rng.normal(size=(200, D)) * 10.0 ** rng.integers(
            -6, 1, (200, 1))
        y = (rng.uniform(size=200) < 0.5).astype(float)
        for margin in (1.0, 3.0):
            got = contrastive_loss(y, x1, x2, margin=margin, reduction="none")
            want = [exact(CON, t, *a, *b, m=margin)
                    for t, a, b in zip(y, x1, x2, strict=True)]
            check_difference("contrastive_loss", ulp_report, got, want,
                             np.where(y == 1, 0.0, margin**2))
            assert (got == 0).sum() > 0

    def test_by_hand(self):
        got = contrastive_loss([1, 0, 0], [[0.0, 0.0]] * 3,
                               [[3.0, 4.0], [0.3, 0.4], [3.0, 4.0]],
                               reduction="none")
        np.testing.assert_allclose(got, [12.5, 0.125, 0.0])

    def test_gradients(self):
        rng = np.random.default_rng(6)
        x1, x2 = rng.normal(size=(2, 8, 3)) * 0.5
        y = np.array([1, 0, 1, 0, 0, 1, 0, 0.0])
        for margin in (1.0, 2.0):
            check_partials(contrastive_loss, (y, x1, x2), (None, "x1", "x2"),
                           {"margin": margin})

    def test_gradients_against_sympy(self):
        rng = np.random.default_rng(7)
        x1, x2 = rng.normal(size=(2, 6, D)) * 0.5
        y = np.array([1, 0, 1, 0, 0, 1.0])
        grads = [gradient(contrastive_loss, y, x1, x2, wrt=n, margin=2.0,
                          reduction="sum") for n in ("x1", "x2")]
        for row in range(6):
            values = [y[row], *x1[row], *x2[row]]
            want = [float(exact(CON, *values, expr=CON.derivative(s), m=2.0))
                    for s in CON.wrt]
            got = np.concatenate([grads[0][row], grads[1][row]])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    def test_subgradient_at_zero_distance(self):
        x = np.array([[1.0, 2.0]])
        assert (gradient(contrastive_loss, [0], x, x, wrt="x1") == 0).all()

    def test_dtype(self):
        x1 = np.array([[1.0, 2.0]], np.float32)
        for reduction in REDUCTIONS:
            assert contrastive_loss([0], x1, x1 + 0.1,
                                    reduction=reduction).dtype == np.float32
            assert gradient(contrastive_loss, [0], x1, x1 + 0.1, wrt="x2",
                            reduction=reduction).dtype == np.float32


# --------------------------------------------------------------------------
# triplet_margin_loss
# --------------------------------------------------------------------------


class TestTriplet:
    @pytest.mark.parametrize(("p", "swap"), [(2, False), (2, True),
                                             (1, False), (3, False)])
    def test_oracle(self, ulp_report, p, swap):
        defn = sym.triplet_margin_loss(D, p=p, swap=swap)
        rng = np.random.default_rng(8)
        a, pos, neg = rng.normal(size=(3, 80, D)) * 0.2
        got = triplet_margin_loss(a, pos, neg, p=p, swap=swap,
                                  reduction="none")
        want = [exact(defn, *x, *y, *z, m=1.0)
                for x, y, z in zip(a, pos, neg, strict=True)]
        check_difference("triplet_margin_loss", ulp_report, got, want, 1.0)

    def test_hinge_region_is_exact_zero(self):
        a = np.zeros((1, 2))
        got = triplet_margin_loss(a, [[0.0, 1.0]], [[5.0, 0.0]])
        assert got == 0.0
        assert (gradient(triplet_margin_loss, a, [[0.0, 1.0]], [[5.0, 0.0]],
                         wrt="anchor") == 0).all()

    def test_swap_uses_the_harder_negative(self):
        a, pos, neg = [[0.0, 0.0]], [[2.0, 0.0]], [[2.5, 0.0]]
        assert float(triplet_margin_loss(a, pos, neg)) == pytest.approx(0.5)
        assert float(triplet_margin_loss(a, pos, neg, swap=True)) == \
            pytest.approx(2.5)

    @pytest.mark.parametrize(("p", "swap"), [(2, False), (2, True),
                                             (1, False), (3, True)])
    def test_gradients(self, p, swap):
        rng = np.random.default_rng(9)
        a, pos, neg = rng.normal(size=(3, 8, 3)) * 0.6
        check_partials(triplet_margin_loss, (a, pos, neg),
                       ("anchor", "positive", "negative"),
                       {"p": p, "swap": swap, "margin": 0.5})

    def test_gradients_against_sympy(self):
        rng = np.random.default_rng(10)
        a, pos, neg = rng.normal(size=(3, 6, D)) * 0.3
        for p, swap in ((2, True), (3, False)):
            defn = sym.triplet_margin_loss(D, p=p, swap=swap)
            names = ("anchor", "positive", "negative")
            grads = [gradient(triplet_margin_loss, a, pos, neg, wrt=n, p=p,
                              swap=swap, reduction="sum") for n in names]
            for row in range(6):
                values = [*a[row], *pos[row], *neg[row]]
                want = [float(exact(defn, *values, expr=defn.derivative(s),
                                    m=1.0)) for s in defn.wrt]
                got = np.concatenate([g[row] for g in grads])
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    def test_default_is_the_positive(self):
        a, pos, neg = np.random.default_rng(11).normal(size=(3, 4, 2))
        np.testing.assert_array_equal(
            GRADIENTS[triplet_margin_loss](a, pos, neg),
            gradient(triplet_margin_loss, a, pos, neg, wrt="positive"))

    def test_dtype(self):
        a, pos, neg = np.random.default_rng(12).normal(size=(3, 2, 3)).astype(
            np.float32)
        for reduction in REDUCTIONS:
            assert triplet_margin_loss(a, pos, neg,
                                       reduction=reduction).dtype == np.float32
            assert gradient(triplet_margin_loss, a, pos, neg, wrt="negative",
                            reduction=reduction).dtype == np.float32


# --------------------------------------------------------------------------
# info_nce_loss
# --------------------------------------------------------------------------


class TestInfoNCE:
    @pytest.mark.parametrize("symmetric", [False, True])
    def test_oracle(self, ulp_report, symmetric):
        n, dim = 3, 3
        defn = sym.info_nce_loss(n, dim, symmetric=symmetric)
        rng = np.random.default_rng(13)
        for tau in (1.0, 0.5, 0.1):
            for _ in range(6):
                q = rng.normal(size=(n, dim))
                k = q + rng.normal(size=(n, dim)) * 0.5
                got = info_nce_loss(q, k, temperature=tau,
                                    symmetric=symmetric)
                want = exact(defn, *q.ravel(), *k.ravel(), tau=tau)
                # the loss's condition number grows as 1/tau
                ulp_report.check("info_nce_loss", got, want,
                                 max_ulp=MAX_ULP * max(1.0, 0.5 / tau))

    def test_is_cross_entropy_on_normalised_logits(self):
        from lossbook.classification import cross_entropy

        rng = np.random.default_rng(14)
        q, k = rng.normal(size=(2, 6, 4))
        qh = q / np.linalg.norm(q, axis=1, keepdims=True)
        kh = k / np.linalg.norm(k, axis=1, keepdims=True)
        logits = qh @ kh.T / 0.1
        ce = cross_entropy(np.arange(6), logits)
        np.testing.assert_allclose(info_nce_loss(q, k, temperature=0.1), ce,
                                   rtol=1e-14)
        both = 0.5 * (ce + cross_entropy(np.arange(6), logits.T))
        np.testing.assert_allclose(
            info_nce_loss(q, k, temperature=0.1, symmetric=True), both,
            rtol=1e-14)

    def test_log_n_for_identical_directions(self):
        q = np.ones((8, 3))
        np.testing.assert_allclose(info_nce_loss(q, q), np.log(8), rtol=1e-15)

    def test_axis(self):
        q, k = np.random.default_rng(15).normal(size=(2, 5, 3))
        np.testing.assert_allclose(info_nce_loss(q.T, k.T, axis=0),
                                   info_nce_loss(q, k), rtol=1e-15)

    @pytest.mark.parametrize("symmetric", [False, True])
    def test_gradients(self, symmetric):
        rng = np.random.default_rng(16)
        q, k = rng.normal(size=(2, 5, 3))
        check_partials(info_nce_loss, (q, k), ("queries", "keys"),
                       {"temperature": 0.3, "symmetric": symmetric})
        check_partials(info_nce_loss, (q.T, k.T), ("queries", "keys"),
                       {"temperature": 0.3, "symmetric": symmetric,
                        "axis": 0})

    def test_gradients_against_sympy(self):
        n, dim = 3, 2
        rng = np.random.default_rng(17)
        q, k = rng.normal(size=(2, n, dim))
        for symmetric in (False, True):
            defn = sym.info_nce_loss(n, dim, symmetric=symmetric)
            gq, gk = gradient(info_nce_loss, q, k, wrt=("queries", "keys"),
                              temperature=0.5, symmetric=symmetric)
            want = [float(exact(defn, *q.ravel(), *k.ravel(),
                                expr=defn.derivative(s), tau=0.5))
                    for s in defn.wrt]
            np.testing.assert_allclose(np.concatenate([gq.ravel(),
                                                       gk.ravel()]),
                                       want, rtol=1e-12, atol=1e-14)

    def test_dtype(self):
        q = np.random.default_rng(18).normal(size=(3, 2)).astype(np.float32)
        for reduction in REDUCTIONS:
            assert info_nce_loss(q, q[::-1], reduction=reduction).dtype == \
                np.float32
            assert gradient(info_nce_loss, q, q[::-1], wrt="queries",
                            reduction=reduction).dtype == np.float32
        assert info_nce_loss(q, q, reduction="none").shape == (3,)


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

_X = np.array([[1.0, 0.0], [0.0, 1.0]])
_Z = np.array([[1.0, 0.0], [0.0, 0.0]])

BAD = [
    (cosine_embedding_loss, ([1, 1], _X, _Z), {}, "x2 must not contain a"),
    (cosine_embedding_loss, ([1, 1], _Z, _X), {}, "x1 must not contain a"),
    (cosine_embedding_loss, ([1, 0], _X, _X), {}, "y_true must hold only"),
    (cosine_embedding_loss, ([1], _X, _X), {}, "y_true must have shape"),
    (cosine_embedding_loss, ([1, 1], _X, _X[:, :1]), {}, "same shape"),
    (cosine_embedding_loss, ([1, 1], _X, _X), {"margin": 2.0}, "margin"),
    (cosine_embedding_loss, ([1, 1], _X, _X), {"reduction": "avg"},
     "reduction"),
    (contrastive_loss, ([1, -1], _X, _X), {}, "y_true must hold only"),
    (contrastive_loss, ([1, 0], _X, _X), {"margin": -1.0}, "margin"),
    (contrastive_loss, ([1, 0], _X, [[np.nan, 0], [0, 1]]), {},
     "x2 must be finite"),
    (contrastive_loss, ([], np.zeros((0, 2)), np.zeros((0, 2))), {},
     "must not be empty"),
    (triplet_margin_loss, (_X, _X, _X[:1]), {}, "same shape"),
    (triplet_margin_loss, (_X, _X, _X), {"p": 0.5}, "p must be >= 1"),
    (triplet_margin_loss, (_X, _X, _X), {"margin": -0.1}, "margin"),
    (info_nce_loss, (_X, _Z), {}, "keys must not contain a zero"),
    (info_nce_loss, (_X[0], _X[0]), {}, "queries must be 2-D"),
    (info_nce_loss, (_X, _X), {"temperature": 0.0}, "temperature"),
    (info_nce_loss, (_X, _X[:1]), {}, "same shape"),
    (info_nce_loss, (_X, _X), {"axis": 2}, "axis"),
]


@pytest.mark.parametrize(("loss", "args", "kwargs", "message"), BAD,
                         ids=[f"{b[0].__name__}-{b[3][:20]}" for b in BAD])
def test_bad_input(loss, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        loss(*args, **kwargs)
    if loss in PARTIALS:
        for name in PARTIALS[loss]:
            with pytest.raises(ValueError, match=message):
                gradient(loss, *args, wrt=name, **kwargs)


def test_non_numeric_is_a_type_error():
    with pytest.raises(TypeError):
        triplet_margin_loss([["a", "b"]], [[1, 2]], [[1, 2]])
    with pytest.raises(TypeError, match="swap"):
        triplet_margin_loss(_X, _X, _X, swap="yes")


def test_unknown_wrt():
    with pytest.raises(ValueError, match="wrt"):
        gradient(info_nce_loss, _X, _X, wrt="x1")


def test_inputs_not_modified():
    q = np.array([[3.0, 4.0], [1.0, 0.0]])
    before = q.copy()
    info_nce_loss(q, q)
    gradient(info_nce_loss, q, q, wrt="queries")
    cosine_embedding_loss([1, -1], q, q)
    np.testing.assert_array_equal(q, before)
    assert mpmath.mp.dps < 100  # the oracle left the global precision alone


def test_what_pytorch_does_with_refused_input():
    """The recorded PyTorch behaviour the chapter warns about."""
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / "reference_values_embeddings.json"
    seen = json.loads(path.read_text())["observations"]
    case = seen["cosine_embedding_loss_target_0"]
    y = np.array(case["y"])
    assert (np.array(case["none"])[y == 0] == 0).all()  # silently zero
    with pytest.raises(ValueError, match="y_true"):
        cosine_embedding_loss(y, case["x1"], case["x2"])
    case = seen["cosine_embedding_loss_zero_vector"]
    with pytest.raises(ValueError, match="zero vector"):
        cosine_embedding_loss(case["y"], case["x1"], case["x2"])
    # PyTorch treats the zero vector's cosine as 0: y = -1 costs nothing
    assert case["none"][1] == 0.0 and case["y"][1] == -1
