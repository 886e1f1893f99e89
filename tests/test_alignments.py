"""Tests for lossbook.alignments: the pieces of the CTC sum, one sample.

The independent facts used as oracles: the closed-form number of
alignments, C(T + S - r, 2S) for a target of length S with r adjacent
repeats (stars and bars over the run lengths), and the definition of the
loss as a sum over enumerated paths.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossbook.activations import log_softmax
from lossbook.alignments import (
    MAX_PATHS,
    ctc_alignments,
    ctc_alpha,
    ctc_beta,
    ctc_brute_force,
    ctc_collapse,
    ctc_extended_labels,
    ctc_greedy_decode,
    ctc_lattice_edges,
)
from lossbook.ctc import ctc_loss

EPS = np.finfo(np.float64).eps

TARGETS = [(), (1,), (1, 2), (1, 1), (2, 1, 2), (1, 1, 1), (1, 1, 2)]


def repeats(target):
    return sum(a == b for a, b in itertools.pairwise(target))


def expected_count(num_frames, target):
    """C(T + S - r, 2S): the number of paths that collapse to target."""
    s, r = len(target), repeats(target)
    free = num_frames + s - r
    return comb(free, 2 * s) if free >= 2 * s else 0


# ----------------------------------------------------------------------------
# collapse and greedy decoding
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, blank, expected",
    [
        ([1, 1, 0, 1, 2, 2, 0], 0, (1, 1, 2)),  # a a - a b b -  ->  a a b
        ([0, 1, 1, 0, 0, 2], 0, (1, 2)),
        ([0, 0, 0], 0, ()),
        ([], 0, ()),
        ([2, 2, 1, 2, 0, 0], 2, (1, 0)),  # blank 2: merge, drop the 2s
        ([1, 2, 1], 0, (1, 2, 1)),
        (np.array([3, 3, 3]), 0, (3,)),
    ],
)
def test_ctc_collapse(path, blank, expected):
    assert ctc_collapse(path, blank) == expected


def test_ctc_collapse_returns_python_ints():
    out = ctc_collapse(np.array([1, 0, 2]))
    assert all(type(c) is int for c in out)


@pytest.mark.parametrize(
    "path, blank, error, match",
    [
        ([[1, 2]], 0, ValueError, "path"),
        ([1.5, 2], 0, ValueError, "path"),
        ("ab", 0, TypeError, "path"),
        ([1, 2], 0.0, TypeError, "blank"),
        ([1, 2], -1, ValueError, "blank"),
    ],
)
def test_ctc_collapse_bad_input(path, blank, error, match):
    with pytest.raises(error, match=match):
        ctc_collapse(path, blank)


def test_ctc_greedy_decode_lengths_and_blank():
    # per-frame argmax a a - b b a, then collapse
    scores = np.eye(3)[[1, 1, 0, 2, 2, 1]][:, None, :]
    assert ctc_greedy_decode(scores) == [(1, 2, 1)]
    assert ctc_greedy_decode(scores, [3]) == [(1,)]
    assert ctc_greedy_decode(scores, [0]) == [()]
    # with blank 2 the b frames vanish and the a runs stay apart
    assert ctc_greedy_decode(scores, blank=2) == [(1, 0, 1)]


def test_ctc_greedy_decode_batch_matches_per_sample():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(7, 4, 5))
    lengths = [7, 3, 5, 1]
    batch = ctc_greedy_decode(scores, lengths)
    for n, length in enumerate(lengths):
        best = scores[:length, n].argmax(axis=1)
        assert batch[n] == ctc_collapse(best)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(log_probs=np.zeros((4, 3))), ValueError, "log_probs"),
        (dict(log_probs=np.full((2, 1, 3), np.nan)), ValueError,
         "log_probs"),
        (dict(input_lengths=[5]), ValueError, "input_lengths"),
        (dict(input_lengths=[1, 2]), ValueError, "input_lengths"),
        (dict(blank=3), ValueError, "blank"),
    ],
)
def test_ctc_greedy_decode_bad_input(kwargs, error, match):
    args = dict(log_probs=np.zeros((4, 1, 3)))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        ctc_greedy_decode(**args)


# ----------------------------------------------------------------------------
# enumeration and the brute-force loss
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("num_frames", range(7))
def test_ctc_alignments_count_closed_form(target, num_frames):
    paths = ctc_alignments(target, num_frames, 3)
    assert len(paths) == expected_count(num_frames, target)
    assert paths == sorted(set(paths))
    assert all(ctc_collapse(p) == target for p in paths)


def test_ctc_alignments_by_hand():
    # a in two frames: a a, a -, - a; a a in two frames: impossible
    assert ctc_alignments([1], 2, 2) == [(0, 1), (1, 0), (1, 1)]
    assert ctc_alignments([1, 1], 2, 2) == []
    assert ctc_alignments([1, 1], 3, 2) == [(1, 0, 1)]
    assert ctc_alignments([], 2, 3) == [(0, 0)]
    assert ctc_alignments([], 0, 3) == [()]


@pytest.mark.parametrize(
    "args, error, match",
    [
        (([1], 2, 2, 1), ValueError, "blank"),  # the target holds the blank
        (([3], 2, 3), ValueError, "target"),
        (([1], 21, 2), ValueError, "num_classes"),  # 2**21 > MAX_PATHS
        (([1], 2.0, 2), TypeError, "num_frames"),
        (([1], 2, 1), ValueError, "num_classes"),
        (([1], -1, 2), ValueError, "num_frames"),
        (([[1]], 2, 2), ValueError, "target"),
    ],
)
def test_ctc_alignments_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        ctc_alignments(*args)


def test_max_paths_is_a_sane_bound():
    assert 3**12 <= MAX_PATHS < 2**21


def test_ctc_brute_force_by_hand():
    # uniform over {blank, a}: 3 of 4 paths give a
    lp = np.log(np.full((2, 2), 0.5))
    assert ctc_brute_force(lp, [1]) == pytest.approx(np.log(4 / 3),
                                                     rel=1e-15)
    assert ctc_brute_force(lp, [1, 1]) == np.inf
    # the empty target: the all-blank path only
    assert ctc_brute_force(lp, []) == pytest.approx(2 * np.log(2),
                                                    rel=1e-15)


@given(seed=st.integers(0, 2**32 - 1),
       target=st.sampled_from(TARGETS),
       blank=st.integers(0, 2))
def test_ctc_brute_force_matches_ctc_loss(seed, target, blank):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(5, 4)) * 3, axis=1)
    # relabel so that no target entry is the blank
    labels = [c for c in range(4) if c != blank]
    tgt = [labels[c - 1] for c in target]
    exact = ctc_brute_force(lp, tgt, blank)
    fast = ctc_loss(lp[:, None, :], [tgt], [5], [len(tgt)], blank=blank,
                    reduction="sum")
    if np.isinf(exact):
        assert fast == np.inf
    else:
        assert abs(float(fast) - exact) <= 16 * EPS * max(exact, 1.0)


def test_ctc_brute_force_bad_input():
    with pytest.raises(ValueError, match="log_probs"):
        ctc_brute_force(np.zeros((2, 2, 2)), [1])
    with pytest.raises(ValueError, match="log_probs"):
        ctc_brute_force(np.full((2, 2), np.nan), [1])
    with pytest.raises(TypeError, match="dps"):
        ctc_brute_force(np.zeros((2, 2)), [1], dps=30.0)


# ----------------------------------------------------------------------------
# the lattice
# ----------------------------------------------------------------------------


def test_ctc_extended_labels():
    assert ctc_extended_labels([1, 1, 2]).tolist() == [0, 1, 0, 1, 0, 2, 0]
    assert ctc_extended_labels([], blank=3).tolist() == [3]
    assert ctc_extended_labels([0, 1], blank=2).tolist() == [2, 0, 2, 1, 2]


@given(seed=st.integers(0, 2**32 - 1), target=st.sampled_from(TARGETS))
def test_ctc_alpha_beta_identities(seed, target):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.normal(size=(6, 3)) * 2, axis=1)
    loss = float(ctc_loss(lp[:, None, :], [list(target)], [6],
                          [len(target)], reduction="sum"))
    alpha = ctc_alpha(lp, target)
    beta = ctc_beta(lp, target)
    ext = ctc_extended_labels(target)
    assert alpha.shape == beta.shape == (6, ext.size)
    # the loss from the last two rows of the last frame
    end = np.logaddexp.reduce(alpha[-1, -2:]) if target else alpha[-1, -1]
    if np.isinf(loss):
        assert end == -np.inf
        return
    assert -end == pytest.approx(loss, rel=1e-13, abs=1e-13)
    # sum_s alpha_t(s) beta_t(s) / y_t(l'_s) = p at every frame
    with np.errstate(invalid="ignore"):
        per_frame = np.logaddexp.reduce(
            alpha + beta - lp[:, ext], axis=1)
    np.testing.assert_allclose(-per_frame, loss, rtol=1e-12, atol=1e-12)


def test_ctc_alpha_beta_by_hand():
    lp = np.log(np.full((2, 2), 0.5))
    np.testing.assert_allclose(np.exp(ctc_alpha(lp, [1])),
                               [[0.5, 0.5, 0], [0.25, 0.5, 0.25]])
    np.testing.assert_allclose(np.exp(ctc_beta(lp, [1])),
                               [[0.25, 0.5, 0.25], [0, 0.5, 0.5]])


def test_ctc_alpha_bad_input():
    with pytest.raises(ValueError, match="log_probs"):
        ctc_alpha(np.zeros((2, 1, 2)), [1])
    with pytest.raises(ValueError, match="blank"):
        ctc_alpha(np.zeros((2, 2)), [0])
    with pytest.raises(ValueError, match="target"):
        ctc_beta(np.zeros((2, 2)), [[1]])


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("num_frames", range(1, 8))
def test_ctc_lattice_edges_count_paths(target, num_frames):
    # the number of start-to-end walks over the edges is the number of
    # alignments, so the edges hold every alignment and nothing else
    edges = ctc_lattice_edges(num_frames, target)
    width = 2 * len(target) + 1
    walks = np.zeros(width)
    walks[: min(2, width)] = 1
    for t in range(num_frames - 1):
        nxt = np.zeros(width)
        for _, s, s_next in edges[edges[:, 0] == t]:
            nxt[s_next] += walks[s]
        walks = nxt
    total = walks[-2:].sum() if target else walks[-1]
    assert total == expected_count(num_frames, target)
    if total == 0 or num_frames == 1:
        assert edges.shape == (0, 3)


def test_ctc_lattice_edges_rules():
    edges = ctc_lattice_edges(6, [1, 1])
    steps = edges[:, 2] - edges[:, 1]
    assert set(steps.tolist()) == {0, 1}  # a a: no skip over the blank
    edges = ctc_lattice_edges(4, [1, 2])
    assert (edges[edges[:, 2] - edges[:, 1] == 2][:, 2] == 3).all()
    assert ctc_lattice_edges(2, [1, 1]).shape == (0, 3)
    assert ctc_lattice_edges(2, [1]).tolist() == [[0, 0, 1], [0, 1, 1],
                                                  [0, 1, 2]]
