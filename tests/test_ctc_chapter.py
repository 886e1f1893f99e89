"""The two CTC results the chapter "Sequence losses and CTC" shows.

chapters/sequence_losses.ipynb prints them from its own cells; these tests
check the same claims on the same inputs outside the notebook, so that a
change in lossbook that breaks them fails here with a clear message.

1. On the chapter's tiny example (five frames over {blank, a, b}), the
   sum over all alignments, enumerated by brute force in 50-digit
   arithmetic, agrees with ``ctc_loss`` to the last digits.
2. On the chapter's two-sample batch, ``ctc_gradient`` agrees with
   central differences of ``ctc_loss`` for both ``wrt`` choices, and the
   two gradients differ by exactly the probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import central_difference

from lossbook.alignments import ctc_alignments, ctc_brute_force
from lossbook.ctc import ctc_gradient, ctc_loss

EPS = np.finfo(np.float64).eps

# the chapter's tiny example: y[t, k], classes (blank, a, b)
Y_TINY = np.array([
    [0.6, 0.3, 0.1],
    [0.3, 0.5, 0.2],
    [0.5, 0.2, 0.3],
    [0.2, 0.2, 0.6],
    [0.7, 0.1, 0.2],
])

# the chapter's gradient-check batch: the tiny example and its time
# reversal, targets "ab" and "b", the second sample one frame shorter
BATCH_LOG_PROBS = np.log(np.stack([Y_TINY, Y_TINY[::-1]], axis=1))
BATCH_TARGETS = np.array([[1, 2], [2, 0]])
BATCH_INPUT_LENGTHS = np.array([5, 4])
BATCH_TARGET_LENGTHS = np.array([2, 1])
BATCH = (BATCH_TARGETS, BATCH_INPUT_LENGTHS, BATCH_TARGET_LENGTHS)


def log_softmax(z):
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


@pytest.mark.parametrize("target, count", [([1, 2], 35), ([1, 1], 15)])
def test_brute_force_agrees_with_ctc_loss(target, count):
    lp = np.log(Y_TINY)
    # C(T + S - r, 2S) alignments: 35 for "ab", 15 for "aa"
    assert len(ctc_alignments(target, 5, 3)) == count
    exact = ctc_brute_force(lp, target)
    fast = float(ctc_loss(lp[:, None, :], [target], [5], [2],
                          reduction="sum"))
    # the chapter prints both to 17 digits: they agree to within 2 ulp
    assert abs(fast - exact) <= 2 * EPS * exact, (
        f"{fast:.17g} vs {exact:.17g}")


def test_impossible_case_is_inf_and_zero_infinity_zeroes_it():
    lp = np.log(Y_TINY[:2])[:, None, :]
    assert ctc_brute_force(lp[:, 0], [1, 1]) == np.inf
    assert ctc_loss(lp, [[1, 1]], [2], [2]) == np.inf
    assert ctc_loss(lp, [[1, 1]], [2], [2], zero_infinity=True) == 0.0
    assert not ctc_gradient(lp, [[1, 1]], [2], [2],
                            zero_infinity=True).any()


def test_gradient_wrt_log_probs_central_difference():
    exact = ctc_gradient(BATCH_LOG_PROBS, *BATCH)
    numeric = central_difference(
        lambda x: float(ctc_loss(x, *BATCH)), BATCH_LOG_PROBS)
    assert np.abs(exact - numeric).max() < 1e-8


def test_gradient_wrt_logits_central_difference():
    z = np.log(np.stack([Y_TINY, Y_TINY[::-1]], axis=1))
    exact = ctc_gradient(log_softmax(z), *BATCH, wrt="logits")
    numeric = central_difference(
        lambda x: float(ctc_loss(log_softmax(x), *BATCH)), z)
    assert np.abs(exact - numeric).max() < 1e-8


def test_the_two_gradients_differ_by_the_probabilities():
    g_lp = ctc_gradient(BATCH_LOG_PROBS, *BATCH, reduction="sum")
    g_z = ctc_gradient(BATCH_LOG_PROBS, *BATCH, reduction="sum",
                       wrt="logits")
    counted = np.arange(5)[:, None, None] < BATCH_INPUT_LENGTHS[:, None]
    np.testing.assert_allclose(
        g_z - g_lp, np.where(counted, np.exp(BATCH_LOG_PROBS), 0.0),
        atol=1e-15)
    assert np.abs(g_z - g_lp).max() > 0.5
