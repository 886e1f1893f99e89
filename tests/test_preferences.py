"""Tests for lossbook.preferences: Bradley-Terry and DPO.

Oracle values from lossbook.symbolic.preferences at 50 digits; the
derivatives in every score array against central differences and against
SymPy's; the relations the chapter uses (DPO is Bradley-Terry on implicit
rewards; summed and averaged log-probabilities give different losses);
and the toy preference data of lossbook.data.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import central_difference

import lossbook as lb
from lossbook import data
from lossbook.gradients import gradient
from lossbook.preferences import bradley_terry_loss, dpo_loss
from lossbook.symbolic import preferences as sym

REDUCTIONS = ("mean", "sum", "none")
MAX_ULP = 4.0
DPO_NAMES = ("policy_chosen_logps", "policy_rejected_logps",
             "ref_chosen_logps", "ref_rejected_logps")


def check_gradient(fn, args, index, wrt, **kwargs):
    args = [np.asarray(a, dtype=np.float64) for a in args]
    for reduction in REDUCTIONS:
        grad = gradient(fn, *args, reduction=reduction, wrt=wrt, **kwargs)
        assert grad.shape == args[index].shape

        def total(v, reduction=reduction):
            new = list(args)
            new[index] = v
            return float(np.sum(fn(*new, reduction=reduction, **kwargs)))

        numeric = central_difference(total, args[index], 1e-6)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


class TestBradleyTerry:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(0)
        s_c, s_r = rng.normal(size=(2, 200)) * 5
        s_r[:10] = s_c[:10] - 0.5 + 1e-12  # h = 1e-12 after the margin
        s_r[10:20] = s_c[10:20] - 40.0  # a tiny loss, e^-40
        got = bradley_terry_loss(s_c, s_r, margin=0.5, reduction="none")
        defn = sym.bradley_terry_loss()
        want = [defn.evaluate(a, b, m=0.5) for a, b in zip(s_c, s_r,
                                                            strict=True)]
        ulp_report.check("bradley_terry_loss", got, want, max_ulp=MAX_ULP)

    @pytest.mark.parametrize(("index", "wrt"), [
        (0, "scores_chosen"), (1, "scores_rejected"), (1, None)])
    def test_gradients(self, index, wrt):
        rng = np.random.default_rng(1)
        s = rng.normal(size=(2, 7))
        check_gradient(bradley_terry_loss, list(s), index, wrt, margin=0.3)

    def test_gradient_matches_sympy(self):
        defn = sym.bradley_terry_loss()
        s_c, s_r = defn.inputs
        point = {s_c: 0.7, s_r: -0.2, defn.params[0]: 0.1}
        got = gradient(bradley_terry_loss, [0.7], [-0.2], margin=0.1,
                       wrt=("scores_chosen", "scores_rejected"))
        for g, symbol in zip(got, (s_c, s_r), strict=True):
            want = float(defn.derivative(symbol).subs(point))
            assert g[0] == pytest.approx(want, rel=1e-14)

    def test_is_bce_on_the_difference(self):
        rng = np.random.default_rng(2)
        s_c, s_r = rng.normal(size=(2, 9)) * 3
        np.testing.assert_allclose(
            bradley_terry_loss(s_c, s_r, reduction="none"),
            lb.binary_cross_entropy_with_logits(np.ones(9), s_c - s_r,
                                                reduction="none"),
            rtol=1e-13)

    def test_shift_invariant(self):
        a = bradley_terry_loss([1.0, 2.0], [0.5, 3.0])
        b = bradley_terry_loss([101.0, 102.0], [100.5, 103.0])
        assert a == pytest.approx(b, rel=1e-13)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="scores_chosen and "
                           "scores_rejected must have the same shape"):
            bradley_terry_loss([1.0, 2.0], [1.0])
        with pytest.raises(ValueError, match="scores_rejected must be finite"):
            bradley_terry_loss([1.0], [np.inf])


class TestDpo:
    def test_oracle(self, ulp_report):
        rng = np.random.default_rng(3)
        logps = -rng.uniform(1, 60, size=(4, 100))
        logps[2, :10] = logps[0, :10] - logps[1, :10] + logps[3, :10] + 1e-9
        defn = sym.dpo_loss()
        for beta, eps in [(0.1, 0.0), (0.5, 0.2), (2.0, 0.0)]:
            got = dpo_loss(*logps, beta=beta, label_smoothing=eps,
                           reduction="none")
            want = [defn.evaluate(*col, beta=beta, label_smoothing=eps)
                    for col in logps.T]
            ulp_report.check("dpo_loss", got, want, max_ulp=MAX_ULP)

    @pytest.mark.parametrize("index", range(4))
    def test_gradients(self, index):
        rng = np.random.default_rng(4)
        logps = -rng.uniform(1, 20, size=(4, 5))
        check_gradient(dpo_loss, list(logps), index, DPO_NAMES[index],
                       beta=0.3, label_smoothing=0.1)

    def test_default_gradient_is_the_second_argument(self):
        logps = [[-4.0], [-8.0], [-5.0], [-7.0]]
        np.testing.assert_array_equal(
            gradient(dpo_loss, *logps, beta=0.5),
            gradient(dpo_loss, *logps, beta=0.5, wrt="policy_rejected_logps"))

    def test_gradient_matches_sympy(self):
        defn = sym.dpo_loss()
        values = (-4.0, -8.0, -5.0, -7.0)
        point = dict(zip(defn.inputs, values, strict=True))
        point.update(dict(zip(defn.params, (0.5, 0.2), strict=True)))
        got = gradient(dpo_loss, *[[v] for v in values], beta=0.5,
                       label_smoothing=0.2, wrt=DPO_NAMES)
        for g, symbol in zip(got, defn.inputs, strict=True):
            want = float(defn.derivative(symbol).subs(point))
            assert g[0] == pytest.approx(want, rel=1e-14)

    def test_is_bradley_terry_on_implicit_rewards(self):
        rng = np.random.default_rng(5)
        pc, pr, rc, rr = -rng.uniform(1, 30, size=(4, 8))
        beta = 0.2
        np.testing.assert_allclose(
            dpo_loss(pc, pr, rc, rr, beta=beta, reduction="none"),
            bradley_terry_loss(beta * (pc - rc), beta * (pr - rr),
                               reduction="none"), rtol=1e-12)

    def test_label_smoothing_is_symmetric_at_one_half(self):
        logps = [[-4.0], [-8.0], [-5.0], [-7.0]]
        flipped = [[-8.0], [-4.0], [-7.0], [-5.0]]
        assert dpo_loss(*logps, label_smoothing=0.5) == pytest.approx(
            dpo_loss(*flipped, label_smoothing=0.5), rel=1e-15)

    def test_bad_parameters(self):
        logps = [[-4.0], [-8.0], [-5.0], [-7.0]]
        with pytest.raises(ValueError, match="beta must be > 0"):
            dpo_loss(*logps, beta=0.0)
        with pytest.raises(ValueError,
                           match=r"label_smoothing must be <= 0\.5"):
            dpo_loss(*logps, label_smoothing=0.7)
        with pytest.raises(ValueError, match="ref_rejected_logps must have"):
            dpo_loss([-1.0], [-1.0], [-1.0], [-1.0, -2.0])

    def test_float32_stays(self):
        logps = [np.array([-4.0], np.float32)] * 4
        assert dpo_loss(*logps).dtype == np.float32


class TestToyPreferenceData:
    def test_shapes_and_determinism(self):
        a = data.preference_pairs(50, seed=3)
        b = data.preference_pairs(50, seed=3)
        c = data.preference_pairs(50, seed=4)
        assert a.chosen.shape == a.rejected.shape == (50, a.max_length)
        np.testing.assert_array_equal(a.chosen, b.chosen)
        assert not np.array_equal(a.chosen, c.chosen)
        # counts agree with the tokens; the end symbol unless truncated
        for tokens, counts in [(a.chosen, a.chosen_counts),
                               (a.rejected, a.rejected_counts)]:
            lengths = (tokens >= 0).sum(axis=1)
            np.testing.assert_array_equal(counts[:, :-1].sum(axis=1),
                                          lengths)
            np.testing.assert_array_equal(counts[:, -1],
                                          lengths < a.max_length)

    def test_chosen_has_higher_true_reward_and_is_longer(self):
        pairs = data.preference_pairs(300, seed=1)
        assert np.all(pairs.reward(pairs.chosen_counts)
                      > pairs.reward(pairs.rejected_counts))
        assert pairs.chosen_lengths.mean() > pairs.rejected_lengths.mean()

    def test_logps_are_normalised_over_all_sequences(self):
        # every sequence of at most 2 tokens over 2 tokens + end: total 1
        counts = [[0, 0, 1], [1, 0, 1], [0, 1, 1], [2, 0, 0], [1, 1, 0],
                  [1, 1, 0], [0, 2, 0]]
        logits = np.array([0.3, -0.2, 0.5])
        lp = data.toy_sequence_logps(logits, np.array(counts))
        assert np.exp(lp).sum() == pytest.approx(1.0, rel=1e-14)

    @pytest.mark.parametrize("average", [False, True])
    def test_logps_gradient(self, average):
        counts = np.array([[2, 0, 1, 1], [0, 3, 1, 0]])
        logits = np.array([0.3, -0.2, 0.5, 0.1])
        for row in range(2):
            numeric = central_difference(
                lambda t, row=row: float(data.toy_sequence_logps(
                    t, counts, average=average)[row]), logits)
            got = data.toy_sequence_logps_grad(logits, counts,
                                               average=average)[row]
            np.testing.assert_allclose(got, numeric, rtol=1e-7, atol=1e-9)

    def test_kl_and_length_by_enumeration(self):
        # sequences of at most 2 tokens over 2 tokens + end, enumerated
        counts = np.array([[0, 0, 1], [1, 0, 1], [0, 1, 1], [2, 0, 0],
                           [1, 1, 0], [1, 1, 0], [0, 2, 0]])
        p, q = np.array([0.3, -0.2, 0.5]), np.array([-0.1, 0.4, 0.0])
        lp = data.toy_sequence_logps(p, counts)
        lq = data.toy_sequence_logps(q, counts)
        kl = float(np.sum(np.exp(lp) * (lp - lq)))
        assert data.toy_policy_kl(p, q, 2) == pytest.approx(kl, rel=1e-12)
        length = float(np.sum(np.exp(lp) * counts[:, :2].sum(axis=1)))
        assert data.toy_expected_length(p, 2) == pytest.approx(length,
                                                               rel=1e-12)
