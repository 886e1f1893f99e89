"""Tests for lossbook.ctc: ctc_loss and ctc_gradient.

CTC is a sequence-level loss with no SymPy definition; its oracle is the
definition itself, evaluated by brute force: enumerate every one of the
C**T frame-level paths, collapse each (merge repeats, drop blanks), and
sum the probabilities of those that give the target, in 50-digit mpmath.
"""

from __future__ import annotations

import itertools
import time

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import central_difference

from lossbook.activations import log_softmax
from lossbook.ctc import ctc_gradient, ctc_loss

EPS = np.finfo(np.float64).eps
REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------
# the brute-force oracle
# ----------------------------------------------------------------------------


def collapse(path: tuple[int, ...], blank: int) -> tuple[int, ...]:
    """CTC's many-to-one map B: merge repeated labels, then drop blanks."""
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return tuple(c for c in merged if c != blank)


def brute_force(lp: np.ndarray, target, blank: int):
    """Exact -log p(target) over all paths, and its condition number.

    ``lp`` is one sample's (T_n, C) scores. Returns ``(nll, cond)`` as
    mpmath numbers; ``cond = sum_t,k gamma_t(k) |lp_t(k)|``, the posterior
    expectation of sum_t |lp_t(pi_t)|, bounds how much rounding the inputs
    by a relative eps can move the loss (its first-order sensitivity).
    """
    with mpmath.workdps(50):
        steps, num_classes = lp.shape
        target = tuple(int(c) for c in target)
        logs, sizes = [], []
        for path in itertools.product(range(num_classes), repeat=steps):
            if collapse(path, blank) == target:
                terms = [mpmath.mpf(float(lp[t, c])) for t, c in
                         enumerate(path)]
                logs.append(mpmath.fsum(terms))
                sizes.append(mpmath.fsum(abs(x) for x in terms))
        if not logs:
            return mpmath.inf, mpmath.mpf(0)
        top = max(logs)
        weights = [mpmath.exp(x - top) for x in logs]
        total = mpmath.fsum(weights)
        # -log sum exp(l) = -top - log1p(sum exp(l - top) - 1): the log1p
        # keeps losses near 0 exact when p is within 1e-50 of 1
        nll = -top - mpmath.log1p(total - 1)
        cond = mpmath.fsum(w * s for w, s in zip(weights, sizes,
                                                 strict=True)) / total
        return nll, cond


def random_case(rng, *, steps, batch, num_classes, max_target,
                scale=3.0, normalised=True, blank=0, repeats=False):
    """Random log_probs, padded targets (padding -1) and lengths."""
    lp = rng.normal(size=(steps, batch, num_classes)) * scale
    if normalised:
        lp = log_softmax(lp, axis=2)
    labels = np.array([c for c in range(num_classes) if c != blank])
    targets = rng.choice(labels, size=(batch, max_target))
    if repeats and max_target >= 2:
        targets[:, 1] = targets[:, 0]
    target_lengths = rng.integers(0, max_target + 1, batch)
    input_lengths = rng.integers(1, steps + 1, batch)
    targets = np.where(np.arange(max_target) < target_lengths[:, None],
                       targets, -1)
    return lp, targets, input_lengths, target_lengths


# ----------------------------------------------------------------------------
# ctc_loss: value against the oracle
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.5, 3.0, 30.0, 1000.0])
@pytest.mark.parametrize("normalised", [True, False])
def test_ctc_loss_matches_brute_force(scale, normalised, ulp_report):
    rng = np.random.default_rng(int(scale * 10) + normalised)
    checked = 0
    for trial in range(4):
        num_classes = 2 + trial % 3
        blank = int(rng.integers(num_classes))
        lp, targets, in_len, tg_len = random_case(
            rng, steps=5, batch=3, num_classes=num_classes, max_target=3,
            scale=scale, normalised=normalised, blank=blank,
            repeats=trial % 2 == 0,
        )
        got = ctc_loss(lp, targets, in_len, tg_len, blank=blank,
                       reduction="none")
        for n in range(lp.shape[1]):
            nll, cond = brute_force(lp[: in_len[n], n],
                                    targets[n, : tg_len[n]], blank)
            if mpmath.isinf(nll):
                assert got[n] == np.inf
                continue
            # backward stability: the error is at most that of perturbing
            # every input by a few ulps (measured: below 0.4 eps * bound)
            bound = 4 * EPS * float(cond + abs(nll))
            assert abs(float(got[n] - nll)) <= bound
            if cond <= 2 * abs(nll):
                # well-conditioned: the loss itself is accurate in ulps
                ulp_report.check("ctc_loss", got[n], nll)
                checked += 1
    assert checked > 0


def test_ctc_loss_repeats_blanks_and_nonzero_blank(ulp_report):
    # targets with a repeated label and blank = 2, every input length
    rng = np.random.default_rng(7)
    lp = log_softmax(rng.normal(size=(5, 4, 4)), axis=2)
    targets = np.array([[1, 1, 3], [3, 3, 3], [0, 1, 0], [1, 3, 1]])
    in_len, tg_len = np.array([5, 5, 4, 3]), np.array([2, 3, 3, 3])
    got = ctc_loss(lp, targets, in_len, tg_len, blank=2, reduction="none")
    exact = [brute_force(lp[: in_len[n], n], targets[n, : tg_len[n]], 2)[0]
             for n in range(4)]
    ulp_report.check("ctc_loss", got, exact)


def test_ctc_loss_single_path_by_hand():
    # target (a, a) in three frames: the only path is a, blank, a
    lp = np.log(np.array([[[0.2, 0.8]], [[0.6, 0.4]], [[0.3, 0.7]]]))
    got = ctc_loss(lp, [[1, 1]], [3], [2], reduction="sum")
    assert np.isclose(got, -np.log(0.8 * 0.6 * 0.7), rtol=1e-15)


def test_ctc_loss_empty_target_is_all_blanks():
    # an empty target has one path, blank at every counted frame
    lp = np.log(np.full((4, 1, 3), 1 / 3))
    got = ctc_loss(lp, [[1]], [3], [0], reduction="sum")
    assert np.isclose(got, 3 * np.log(3), rtol=1e-15)


def test_ctc_loss_zero_input_length():
    # no frames: the empty target has probability 1, any other 0
    lp = np.zeros((2, 2, 2))
    got = ctc_loss(lp, [[1], [1]], [0, 0], [0, 1], reduction="none")
    assert got.tolist() == [0.0, np.inf]


# ----------------------------------------------------------------------------
# ctc_loss: impossible alignments and zero_infinity
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, steps, possible",
    [
        ([1, 1], 2, False),  # a repeat needs a blank between: T >= 3
        ([1, 1], 3, True),
        ([1, 2], 2, True),  # distinct labels need no blank
        ([1, 1, 1], 4, False),  # two adjacent repeats: T >= 5
        ([1, 1, 1], 5, True),
        ([1, 2, 1], 2, False),  # longer target than input
    ],
)
def test_ctc_loss_impossible_alignment(target, steps, possible):
    lp = np.log(np.full((steps, 1, 3), 1 / 3))
    args = (lp, [target], [steps], [len(target)])
    loss = ctc_loss(*args, reduction="sum")
    assert np.isfinite(loss) == possible
    zeroed = ctc_loss(*args, reduction="sum", zero_infinity=True)
    assert zeroed == (loss if possible else 0.0)


def test_ctc_loss_zero_infinity_leaves_other_samples():
    lp = np.log(np.full((3, 2, 3), 1 / 3))
    targets, in_len, tg_len = [[1, 1], [1, 2]], [2, 3], [2, 2]
    plain = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    zeroed = ctc_loss(lp, targets, in_len, tg_len, reduction="none",
                      zero_infinity=True)
    assert plain[0] == np.inf and zeroed[0] == 0.0
    assert zeroed[1] == plain[1]
    assert ctc_loss(lp, targets, in_len, tg_len) == np.inf


def test_ctc_loss_no_warnings_on_inf():
    lp = np.log(np.full((2, 1, 2), 0.5))
    with np.errstate(all="raise"):
        assert ctc_loss(lp, [[1, 1]], [2], [2]) == np.inf
        assert not ctc_gradient(lp, [[1, 1]], [2], [2]).any()


# ----------------------------------------------------------------------------
# ctc_loss: reductions, layouts, lengths, dtypes
# ----------------------------------------------------------------------------


def test_ctc_loss_mean_divides_by_target_length():
    lp = log_softmax(np.random.default_rng(3).normal(size=(8, 3, 4)), axis=2)
    targets = np.array([[1, 0, 0], [2, 3, 2], [0, 0, 0]])
    in_len, tg_len = np.array([8, 7, 5]), np.array([1, 3, 0])
    none = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    mean = ctc_loss(lp, targets, in_len, tg_len, reduction="mean")
    # torch: (loss / target_lengths.clamp_min(1)).mean()
    assert np.isclose(mean, np.mean(none / [1, 3, 1]), rtol=1e-15)
    assert not np.isclose(mean, none.mean())
    total = ctc_loss(lp, targets, in_len, tg_len, reduction="sum")
    assert np.isclose(total, none.sum(), rtol=1e-15)


def test_ctc_loss_concatenated_targets_equal_padded():
    rng = np.random.default_rng(4)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=7, batch=4, num_classes=5, max_target=3)
    flat = np.concatenate([targets[n, : tg_len[n]] for n in range(4)])
    a = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    b = ctc_loss(lp, flat, in_len, tg_len, reduction="none")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        ctc_gradient(lp, targets, in_len, tg_len),
        ctc_gradient(lp, flat, in_len, tg_len))


def test_ctc_loss_padding_values_ignored():
    rng = np.random.default_rng(5)
    lp = log_softmax(rng.normal(size=(6, 2, 4)), axis=2)
    base = [[1, 2, 0], [3, 0, 0]]  # padded with the blank
    other = [[1, 2, 99], [3, -7, 2]]  # any value past target_lengths
    args = ([6, 5], [2, 1])
    np.testing.assert_array_equal(
        ctc_loss(lp, base, *args, reduction="none"),
        ctc_loss(lp, other, *args, reduction="none"))


def test_ctc_loss_frames_past_input_length_ignored():
    rng = np.random.default_rng(6)
    lp = log_softmax(rng.normal(size=(6, 2, 3)), axis=2)
    changed = lp.copy()
    changed[4:, 0] = 0.0
    args = ([[1, 2], [2, 1]], [4, 6], [2, 2])
    np.testing.assert_array_equal(
        ctc_loss(lp, *args, reduction="none"),
        ctc_loss(changed, *args, reduction="none"))
    assert not ctc_gradient(lp, *args)[4:, 0].any()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_dtype(reduction):
    rng = np.random.default_rng(8)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=5, batch=2, num_classes=3, max_target=2)
    lp32 = lp.astype(np.float32)
    args = (targets, in_len, tg_len)
    out32 = ctc_loss(lp32, *args, reduction=reduction)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(
        out32, ctc_loss(lp32.astype(np.float64), *args, reduction=reduction),
        rtol=1e-6)
    assert ctc_gradient(lp32, *args, reduction=reduction).dtype == np.float32
    shape = () if reduction != "none" else (2,)
    assert np.shape(out32) == shape
    # integer scores are computed in float64
    ints = np.zeros((3, 1, 2), dtype=np.int64)
    assert ctc_loss(ints, [[1]], [3], [1], reduction=reduction).dtype == (
        np.float64)


def test_ctc_loss_speed_for_a_training_loop():
    # T=30, N=32, C=6, S=5 takes about 1 ms (loss) and 2 ms (gradient) on a
    # laptop; the bound is loose so that a busy machine passes
    rng = np.random.default_rng(9)
    lp, targets, _, tg_len = random_case(
        rng, steps=30, batch=32, num_classes=6, max_target=5)
    in_len = np.full(32, 30)
    start = time.perf_counter()
    for _ in range(10):
        ctc_loss(lp, targets, in_len, tg_len)
        ctc_gradient(lp, targets, in_len, tg_len, wrt="logits")
    assert (time.perf_counter() - start) / 10 < 0.1


# ----------------------------------------------------------------------------
# ctc_loss: properties
# ----------------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1))
def test_ctc_loss_nonnegative_for_probabilities(seed):
    rng = np.random.default_rng(seed)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=6, batch=3, num_classes=4, max_target=3,
        scale=float(rng.choice([0.1, 3.0, 100.0])))
    # exactly >= 0 for exact probabilities; rounded log_softmax outputs can
    # sum to 1 + ulp, so the exact loss of the float inputs may be -1e-16
    assert (ctc_loss(lp, targets, in_len, tg_len, reduction="none")
            >= -1e-12).all()


@given(seed=st.integers(0, 2**32 - 1))
def test_ctc_loss_frame_shift_identity(seed):
    # every path takes one score per counted frame, so adding c_t to all of
    # frame t's scores adds sum_t c_t to log p: loss drops by that much
    rng = np.random.default_rng(seed)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=6, batch=3, num_classes=4, max_target=3,
        normalised=False)
    shift = rng.normal(size=(6, 3, 1)) * 5
    counted = np.arange(6)[:, None] < in_len
    base = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    moved = ctc_loss(lp + shift, targets, in_len, tg_len, reduction="none")
    expected = base - (shift[..., 0] * counted).sum(axis=0)
    finite = np.isfinite(base)
    np.testing.assert_allclose(moved[finite], expected[finite], rtol=1e-12,
                               atol=1e-12)
    assert (moved[~finite] == np.inf).all()


@given(seed=st.integers(0, 2**32 - 1))
def test_ctc_loss_batch_permutation(seed):
    rng = np.random.default_rng(seed)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=5, batch=4, num_classes=3, max_target=2)
    perm = rng.permutation(4)
    a = ctc_loss(lp, targets, in_len, tg_len, reduction="none")
    b = ctc_loss(lp[:, perm], targets[perm], in_len[perm], tg_len[perm],
                 reduction="none")
    np.testing.assert_array_equal(a[perm], b)


@given(seed=st.integers(0, 2**32 - 1),
       reduction=st.sampled_from(REDUCTIONS))
def test_ctc_gradient_occupation_sums(seed, reduction):
    # posteriors over classes sum to 1 at every counted frame, so the
    # log-prob gradient sums to -scale there; for normalised log_probs the
    # logits gradient y - gamma sums to 0
    rng = np.random.default_rng(seed)
    lp, targets, in_len, tg_len = random_case(
        rng, steps=6, batch=3, num_classes=4, max_target=3)
    args = (lp, targets, in_len, tg_len)
    loss = ctc_loss(*args, reduction="none")
    g = ctc_gradient(*args, reduction=reduction)
    scale = 1 / (3 * np.maximum(tg_len, 1)) if reduction == "mean" else 1
    live = (np.arange(6)[:, None] < in_len) & np.isfinite(loss)
    expected = np.where(live, -np.broadcast_to(scale, (3,)), 0.0)
    np.testing.assert_allclose(g.sum(axis=2), expected, atol=1e-13)
    g_z = ctc_gradient(*args, reduction=reduction, wrt="logits")
    np.testing.assert_allclose(g_z.sum(axis=2), 0.0, atol=1e-13)


# ----------------------------------------------------------------------------
# ctc_gradient against central differences
# ----------------------------------------------------------------------------


def _gradient_cases():
    rng = np.random.default_rng(11)
    plain = random_case(rng, steps=5, batch=3, num_classes=3, max_target=2)
    repeats = random_case(rng, steps=6, batch=3, num_classes=3,
                          max_target=3, repeats=True)
    blank2 = random_case(rng, steps=5, batch=2, num_classes=4, max_target=2,
                         blank=2)
    # sample 0 cannot align (a a in 2 frames); sample 1 can
    impossible = (log_softmax(rng.normal(size=(3, 2, 3)), axis=2),
                  np.array([[1, 1], [2, 1]]), np.array([2, 3]),
                  np.array([2, 2]))
    raw = random_case(rng, steps=4, batch=2, num_classes=3, max_target=2,
                      normalised=False)
    return {"plain": (plain, 0), "repeats": (repeats, 0),
            "blank2": (blank2, 2), "impossible": (impossible, 0),
            "unnormalised": (raw, 0)}


GRADIENT_CASES = _gradient_cases()


@pytest.mark.parametrize("case", list(GRADIENT_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_gradient_log_probs_central_difference(case, reduction,
                                                   zero_infinity):
    (lp, targets, in_len, tg_len), blank = GRADIENT_CASES[case]
    kw = dict(blank=blank, zero_infinity=zero_infinity)
    finite = np.isfinite(ctc_loss(lp, targets, in_len, tg_len,
                                  reduction="none", **kw))

    def total(x):
        # the reduced loss over the samples that have an alignment: the
        # others are inf (or 0) whatever x is, so their derivative is 0
        values = ctc_loss(x, targets, in_len, tg_len, reduction="none",
                          **kw)
        if reduction == "mean":
            values = values / np.maximum(tg_len, 1) / len(values)
        return float(values[finite].sum())

    numeric = central_difference(total, lp)
    exact = ctc_gradient(lp, targets, in_len, tg_len, reduction=reduction,
                         **kw)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)
    assert not exact[:, ~finite].any()


@pytest.mark.parametrize("case", ["plain", "repeats", "blank2",
                                  "impossible"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_gradient_logits_central_difference(case, reduction):
    (lp, targets, in_len, tg_len), blank = GRADIENT_CASES[case]
    z = np.random.default_rng(12).normal(size=lp.shape) * 2
    kw = dict(blank=blank, zero_infinity=True, reduction=reduction)

    def total(x):
        # "none": the gradient is that of the sum of the per-sample losses
        return float(np.sum(ctc_loss(log_softmax(x, axis=2), targets,
                                     in_len, tg_len, **kw)))

    numeric = central_difference(total, z)
    exact = ctc_gradient(log_softmax(z, axis=2), targets, in_len, tg_len,
                         wrt="logits", **kw)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)


def test_ctc_gradient_by_hand():
    # two frames uniform over {blank, a}, target a: paths aa, -a, a- equally
    # likely, so gamma = (1/3, 2/3) at each frame and y - gamma = +-1/6
    lp = np.log(np.full((2, 1, 2), 0.5))
    g = ctc_gradient(lp, [[1]], [2], [1], reduction="sum")
    np.testing.assert_allclose(g[:, 0], [[-1 / 3, -2 / 3]] * 2, rtol=1e-15)
    g_z = ctc_gradient(lp, [[1]], [2], [1], reduction="sum", wrt="logits")
    np.testing.assert_allclose(g_z[:, 0], [[1 / 6, -1 / 6]] * 2,
                               rtol=1e-14)


def test_ctc_gradient_log_probs_differs_from_logits():
    # the two derivatives differ by exp(log_probs) at every counted frame:
    # that difference is what PyTorch's backward gets wrong for log_probs
    (lp, targets, in_len, tg_len), _ = GRADIENT_CASES["plain"]
    args = (lp, targets, in_len, tg_len)
    g_lp = ctc_gradient(*args, reduction="sum")
    g_z = ctc_gradient(*args, reduction="sum", wrt="logits")
    assert np.abs(g_lp - g_z).max() > 0.1
    counted = np.arange(lp.shape[0])[:, None, None] < in_len[:, None]
    np.testing.assert_allclose(g_z - g_lp, np.where(counted, np.exp(lp), 0),
                               atol=1e-14)


def test_ctc_gradient_logits_on_unnormalised_scores_is_torch_value():
    # fed scores that are not log-probabilities, wrt="logits" returns
    # exp(scores) - gamma, the value PyTorch's backward returns
    (lp, targets, in_len, tg_len), _ = GRADIENT_CASES["unnormalised"]
    args = (lp, targets, in_len, tg_len)
    gamma = -ctc_gradient(*args, reduction="sum")
    counted = np.arange(lp.shape[0])[:, None, None] < in_len[:, None]
    np.testing.assert_allclose(
        ctc_gradient(*args, reduction="sum", wrt="logits"),
        np.where(counted, np.exp(lp) - gamma, 0.0), atol=1e-12)


# ----------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------


def _valid():
    return dict(
        log_probs=log_softmax(
            np.random.default_rng(0).normal(size=(4, 2, 3)), axis=2),
        targets=np.array([[1, 2], [2, 0]]),
        input_lengths=np.array([4, 3]),
        target_lengths=np.array([2, 1]),
    )


def _with(**changes):
    args = _valid()
    args.update(changes)
    return args


BAD_INPUTS = [
    (dict(log_probs=np.zeros((4, 3))), ValueError, "log_probs"),
    (dict(log_probs=np.full((4, 2, 3), np.nan)), ValueError, "log_probs"),
    (dict(log_probs=np.full((4, 2, 3), -np.inf)), ValueError, "log_probs"),
    (dict(log_probs=np.zeros((0, 2, 3))), ValueError, "log_probs"),
    (dict(log_probs=[[["a"]]]), TypeError, "log_probs"),
    (dict(targets=np.array([[1, 3], [2, 0]])), ValueError, "targets"),
    (dict(targets=np.array([[1, 0], [2, 0]])), ValueError, "blank"),
    (dict(targets=np.array([[1.5, 2], [2, 0]])), ValueError, "targets"),
    (dict(targets=np.array([[1, 2]])), ValueError, "targets"),
    (dict(targets=np.ones((2, 2, 1))), ValueError, "targets"),
    (dict(targets=np.array([1, 2])), ValueError, "targets"),
    (dict(targets="ab"), TypeError, "targets"),
    (dict(input_lengths=np.array([5, 3])), ValueError, "input_lengths"),
    (dict(input_lengths=np.array([-1, 3])), ValueError, "input_lengths"),
    (dict(input_lengths=np.array([2.5, 3])), ValueError, "input_lengths"),
    (dict(input_lengths=np.array([4])), ValueError, "input_lengths"),
    (dict(input_lengths=None), TypeError, "input_lengths"),
    (dict(target_lengths=np.array([3, 1])), ValueError, "target_lengths"),
    (dict(target_lengths=np.array([2, -1])), ValueError, "target_lengths"),
    (dict(target_lengths=np.array([[2, 1]])), ValueError, "target_lengths"),
    (dict(blank=3), ValueError, "blank"),
    (dict(blank=-1), ValueError, "blank"),
    (dict(blank=0.0), TypeError, "blank"),
    (dict(zero_infinity="yes"), TypeError, "zero_infinity"),
    (dict(reduction="avg"), ValueError, "reduction"),
]


@pytest.mark.parametrize("fn", [ctc_loss, ctc_gradient])
@pytest.mark.parametrize("changes, error, match", BAD_INPUTS)
def test_ctc_bad_input(fn, changes, error, match):
    args = _with(**changes)
    before = {k: np.array(v, copy=True) for k, v in args.items()
              if isinstance(v, np.ndarray)}
    with pytest.raises(error, match=match):
        fn(**args)
    for key, value in before.items():
        np.testing.assert_array_equal(args[key], value)


def test_ctc_gradient_bad_wrt():
    with pytest.raises(ValueError, match="wrt"):
        ctc_gradient(**_valid(), wrt="z")


def test_ctc_does_not_modify_inputs():
    args = _valid()
    copies = {k: v.copy() for k, v in args.items()}
    ctc_loss(**args)
    ctc_gradient(**args, wrt="logits")
    for key, value in copies.items():
        np.testing.assert_array_equal(args[key], value)
