r"""CTC alignments made visible: collapse, enumerate, lattice, decode.

:func:`lossbook.ctc_loss` sums over every frame-level path that
*collapses* to the target. The functions here expose the pieces of that
sum one sample at a time, so that the book can print them, draw them and
check the loss against its definition:

- :func:`ctc_collapse`, the many-to-one map :math:`\mathcal{B}` (merge
  repeated labels, then drop blanks), and :func:`ctc_greedy_decode`, which
  applies it to the per-frame argmax;
- :func:`ctc_alignments`, every path of a given length that collapses to a
  target, found by brute force over all :math:`C^T` paths, and
  :func:`ctc_brute_force`, the loss as that sum in 50-digit arithmetic;
- :func:`ctc_extended_labels`, :func:`ctc_alpha`, :func:`ctc_beta` and
  :func:`ctc_lattice_edges`, the forward-backward lattice the loss is
  computed on.

The alpha and beta tables come from the same recursions that
:func:`lossbook.ctc_loss` and :func:`lossbook.ctc_gradient` run;
the brute force shares nothing with them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import mpmath
import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    as_float_array,
    as_labels,
    check_integer,
    check_scalar,
)
from lossbook.ctc import _Lattice, _prepare

__all__ = [
    "ctc_alignments",
    "ctc_alpha",
    "ctc_beta",
    "ctc_brute_force",
    "ctc_collapse",
    "ctc_extended_labels",
    "ctc_greedy_decode",
    "ctc_lattice_edges",
]

#: Largest number of paths :func:`ctc_alignments` will enumerate.
MAX_PATHS = 10**6


def _check_int(value: object, name: str, minimum: int) -> int:
    return check_integer(value, name, min_val=minimum)


def _as_sequence(x: object, name: str) -> np.ndarray:
    """A 1-D sequence of integers (possibly empty) as int64."""
    arr = as_float_array(x, name, allow_empty=True)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if (arr != np.round(arr)).any():
        raise ValueError(f"{name} must hold integers, got non-integer values")
    if arr.size and np.abs(arr).max() >= 2.0**63:
        raise ValueError(f"{name} must hold integers that fit in 64 bits")
    return arr.astype(np.int64)


def _one_sample(
    log_probs: object, target: object, blank: object
) -> _Lattice:
    """The lattice of one sample, with ctc_loss's own input checks."""
    lp = as_float_array(log_probs, "log_probs")
    if lp.ndim != 2:
        raise ValueError(
            f"log_probs must have shape (T, C) (one sample), got shape "
            f"{lp.shape}"
        )
    tgt = _as_sequence(target, "target")
    lp3, padded, in_len, tg_len, blank = _prepare(
        lp[:, None, :], tgt[None, :], [lp.shape[0]], [tgt.size], blank,
        False, "none",
    )
    return _Lattice(lp3, padded, in_len, tg_len, blank)


def ctc_collapse(path: Iterable[int], blank: int = 0) -> tuple[int, ...]:
    r"""CTC's collapse map :math:`\mathcal{B}`: merge repeats, drop blanks.

    The order matters: repeats are merged first, so a blank between two
    equal labels keeps both (``a - a`` gives ``a a``), while adjacent equal
    labels become one (``a a`` gives ``a``).

    Parameters
    ----------
    path : iterable of int
        A frame-level path, one class index per frame.
    blank : int, default=0
        The class index of the blank.

    Returns
    -------
    tuple of int
        The label sequence the path stands for.

    Raises
    ------
    ValueError
        If ``path`` is not 1-D or holds non-integers.
    TypeError
        If ``path`` is not numeric or ``blank`` is not an integer.

    Examples
    --------
    >>> ctc_collapse([1, 1, 0, 1, 2, 2, 0])
    (1, 1, 2)
    >>> ctc_collapse([0, 0, 0])
    ()
    """
    blank = _check_int(blank, "blank", 0)
    seq = _as_sequence(list(path), "path").tolist()
    merged = [c for i, c in enumerate(seq) if i == 0 or c != seq[i - 1]]
    return tuple(c for c in merged if c != blank)


def ctc_alignments(
    target: ArrayLike, num_frames: int, num_classes: int, blank: int = 0
) -> list[tuple[int, ...]]:
    r"""Every path of ``num_frames`` frames that collapses to ``target``.

    Brute force, by design: all :math:`C^T` paths are generated and each is
    collapsed with :func:`ctc_collapse`, so the result does not depend on
    the lattice that :func:`lossbook.ctc_loss` uses and can check it.

    Parameters
    ----------
    target : array-like of int, shape (S,)
        The label sequence, labels in ``[0, num_classes)`` other than
        ``blank``; may be empty.
    num_frames : int
        Path length :math:`T`, >= 0.
    num_classes : int
        Classes including the blank, :math:`C` >= 2.
    blank : int, default=0
        The class index of the blank, in ``[0, num_classes)``.

    Returns
    -------
    list of tuple of int
        The paths :math:`\mathcal{B}^{-1}(\text{target})` of length
        ``num_frames``, in lexicographic order; empty if the input is too
        short (a target with :math:`k` adjacent repeats needs
        :math:`T \ge S + k`).

    Raises
    ------
    ValueError
        If ``num_classes ** num_frames`` exceeds ``MAX_PATHS``, or
        ``target`` holds the blank or a label outside ``[0, num_classes)``.
    TypeError
        If a size or ``blank`` is not an integer.

    Examples
    --------
    >>> ctc_alignments([1], 2, 2)
    [(0, 1), (1, 0), (1, 1)]
    >>> ctc_alignments([1, 1], 2, 2)
    []
    """
    num_frames = _check_int(num_frames, "num_frames", 0)
    num_classes = _check_int(num_classes, "num_classes", 2)
    blank = _check_int(blank, "blank", 0)
    check_scalar(blank, "blank", max_val=num_classes - 1)
    tgt = _as_sequence(target, "target")
    if tgt.size:
        tgt = as_labels(tgt, "target", num_classes)
        if (tgt == blank).any():
            raise ValueError(f"target must not contain the blank {blank}")
    if num_classes**num_frames > MAX_PATHS:
        raise ValueError(
            f"num_classes ** num_frames must be <= {MAX_PATHS} paths to "
            f"enumerate, got {num_classes}**{num_frames}"
        )
    want = tuple(tgt.tolist())
    return [
        path
        for path in itertools.product(range(num_classes), repeat=num_frames)
        if ctc_collapse(path, blank) == want
    ]


def ctc_brute_force(
    log_probs: ArrayLike, target: ArrayLike, blank: int = 0, *, dps: int = 50
) -> float:
    r"""The CTC loss of one sample as a sum over all its alignments.

    .. math::

        -\log \sum_{\pi \in \mathcal{B}^{-1}(\text{target})}
            \exp \sum_t \mathtt{log\_probs}[t, \pi_t]

    evaluated in ``dps``-digit arithmetic on the exact binary values of
    ``log_probs`` over the paths from :func:`ctc_alignments`, then rounded
    once to float64: the correctly rounded loss, an oracle for
    :func:`lossbook.ctc_loss` on tiny inputs.

    Parameters
    ----------
    log_probs : array-like of shape (T, C)
        One sample's per-frame scores (normally log-probabilities).
    target : array-like of int, shape (S,)
        Its label sequence, without blanks; may be empty.
    blank : int, default=0
        The class index of the blank.
    dps : int, default=50
        Decimal digits of the intermediate arithmetic.

    Returns
    -------
    float
        The loss; ``inf`` if no path collapses to ``target``.

    Raises
    ------
    ValueError
        As :func:`ctc_alignments`, and if ``log_probs`` is not 2-D,
        empty or not finite.
    TypeError
        If an input is not numeric or ``blank`` or ``dps`` is not an
        integer.

    Examples
    --------
    Two frames uniform over {blank, a}: three of the four paths give
    ``a``, so the loss is :math:`\log(4/3)`.

    >>> import numpy as np
    >>> ctc_brute_force(np.log(np.full((2, 2), 0.5)), [1])
    0.2876820724517809
    """
    lp = as_float_array(log_probs, "log_probs")
    if lp.ndim != 2:
        raise ValueError(
            f"log_probs must have shape (T, C), got shape {lp.shape}"
        )
    dps = _check_int(dps, "dps", 20)
    paths = ctc_alignments(target, lp.shape[0], lp.shape[1], blank)
    if not paths:
        return float("inf")
    frames = np.arange(lp.shape[0])
    with mpmath.workdps(dps):
        terms = [
            mpmath.exp(mpmath.fsum(mpmath.mpf(float(v))
                                   for v in lp[frames, list(path)]))
            for path in paths
        ]
        return float(-mpmath.log(mpmath.fsum(terms)))


def ctc_extended_labels(target: ArrayLike, blank: int = 0) -> np.ndarray:
    r"""The target with a blank before, between and after its labels.

    The rows of the CTC lattice: :math:`l' = (b, l_1, b, l_2, \dots, l_S,
    b)`, of length :math:`2S + 1`.

    Parameters
    ----------
    target : array-like of int, shape (S,)
    blank : int, default=0

    Returns
    -------
    numpy.ndarray of int64, shape (2 S + 1,)

    Examples
    --------
    >>> ctc_extended_labels([1, 1, 2]).tolist()
    [0, 1, 0, 1, 0, 2, 0]
    """
    blank = _check_int(blank, "blank", 0)
    tgt = _as_sequence(target, "target")
    ext = np.full(2 * tgt.size + 1, blank, dtype=np.int64)
    ext[1::2] = tgt
    return ext


def ctc_alpha(
    log_probs: ArrayLike, target: ArrayLike, blank: int = 0
) -> np.ndarray:
    r"""The forward table :math:`\log \alpha_t(s)` of one sample.

    :math:`\alpha_t(s)` sums the scores of the path prefixes over frames
    :math:`0..t` that start in row 0 or 1 of the extended labels
    (:func:`ctc_extended_labels`), move by the CTC rules and end in row
    :math:`s`, including frame :math:`t`'s own score: the recursion that
    :func:`lossbook.ctc_loss` runs, in log space. Whether a prefix can
    still be completed is not checked (that is :func:`ctc_beta`'s part).

    Parameters
    ----------
    log_probs : array-like of shape (T, C)
        One sample's per-frame scores.
    target : array-like of int, shape (S,)
    blank : int, default=0

    Returns
    -------
    numpy.ndarray of shape (T, 2 S + 1), float64
        ``-inf`` where no prefix reaches the cell. The loss is
        ``-logaddexp(alpha[-1, -1], alpha[-1, -2])`` (the last row alone
        for an empty target).

    Raises
    ------
    ValueError, TypeError
        As :func:`lossbook.ctc_loss`, and if ``log_probs`` is not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> a = ctc_alpha(np.log(np.full((2, 2), 0.5)), [1])
    >>> np.round(np.exp(a), 4)
    array([[0.5 , 0.5 , 0.  ],
           [0.25, 0.5 , 0.25]])
    """
    lattice = _one_sample(log_probs, target, blank)
    with np.errstate(invalid="ignore", divide="ignore"):
        return lattice.forward()[:, 0, :]


def ctc_beta(
    log_probs: ArrayLike, target: ArrayLike, blank: int = 0
) -> np.ndarray:
    r"""The backward table :math:`\log \beta_t(s)` of one sample.

    :math:`\beta_t(s)` sums the scores of the path suffixes over frames
    :math:`t..T-1` that start in row :math:`s` and finish the target (end
    in one of the last two rows), including frame :math:`t`'s own score
    (Graves et al.'s convention); whether row :math:`s` can be reached by
    frame :math:`t` is not checked. Then
    :math:`\sum_s \alpha_t(s)\beta_t(s) / y_t(l'_s) = p` at every
    frame :math:`t`.

    Parameters
    ----------
    log_probs : array-like of shape (T, C)
    target : array-like of int, shape (S,)
    blank : int, default=0

    Returns
    -------
    numpy.ndarray of shape (T, 2 S + 1), float64
        ``-inf`` where no suffix from the cell finishes the target.

    Raises
    ------
    ValueError, TypeError
        As :func:`ctc_alpha`.

    Examples
    --------
    >>> import numpy as np
    >>> b = ctc_beta(np.log(np.full((2, 2), 0.5)), [1])
    >>> np.round(np.exp(b), 4)
    array([[0.25, 0.5 , 0.25],
           [0.  , 0.5 , 0.5 ]])
    """
    lattice = _one_sample(log_probs, target, blank)
    with np.errstate(invalid="ignore", divide="ignore"):
        return lattice.backward()[:, 0, :]


def ctc_lattice_edges(
    num_frames: int, target: ArrayLike, blank: int = 0
) -> np.ndarray:
    r"""The lattice moves that lie on at least one complete alignment.

    From row :math:`s` at frame :math:`t` a path may stay (:math:`s`),
    advance one row (:math:`s + 1`), or skip a blank (:math:`s + 2`) when
    row :math:`s + 2` holds a label different from row :math:`s`'s. Of
    these moves, only those that start at a cell reachable from the
    beginning and end at a cell from which the target can still be
    finished in the frames left are returned.

    Parameters
    ----------
    num_frames : int
        :math:`T` >= 1.
    target : array-like of int, shape (S,)
    blank : int, default=0

    Returns
    -------
    numpy.ndarray of int64, shape (E, 3)
        Rows ``(t, s, s_next)``: a move from row ``s`` at frame ``t`` to
        row ``s_next`` at frame ``t + 1``. No rows if the input is too
        short for the target.

    Raises
    ------
    ValueError, TypeError
        On a bad ``num_frames``, ``target`` or ``blank``.

    Examples
    --------
    >>> ctc_lattice_edges(2, [1]).tolist()
    [[0, 0, 1], [0, 1, 1], [0, 1, 2]]
    """
    num_frames = _check_int(num_frames, "num_frames", 1)
    tgt = _as_sequence(target, "target")
    blank = _check_int(blank, "blank", 0)
    num_classes = max(int(tgt.max(initial=0)), blank) + 1
    zeros = np.zeros((num_frames, max(num_classes, 2)))
    alive_a = np.isfinite(ctc_alpha(zeros, tgt, blank))
    alive_b = np.isfinite(ctc_beta(zeros, tgt, blank))
    ext = ctc_extended_labels(tgt, blank)
    width = ext.size
    edges = []
    for t in range(num_frames - 1):
        for s in np.flatnonzero(alive_a[t] & alive_b[t]):
            for step in (0, 1, 2):
                nxt = s + step
                if nxt >= width or not alive_b[t + 1, nxt]:
                    continue
                if step == 2 and (ext[nxt] == blank or ext[nxt] == ext[s]):
                    continue
                edges.append((t, int(s), int(nxt)))
    return np.array(edges, dtype=np.int64).reshape(-1, 3)


def ctc_greedy_decode(
    log_probs: ArrayLike,
    input_lengths: ArrayLike | None = None,
    blank: int = 0,
) -> list[tuple[int, ...]]:
    r"""Best-path decoding: the per-frame argmax, then :func:`ctc_collapse`.

    The simplest CTC decoder. It returns the collapse of the single most
    likely path, which is not always the most likely label sequence (that
    sums over paths, as beam search approximates), but is what a trained
    model's "peaky" outputs usually make it equal to.

    Parameters
    ----------
    log_probs : array-like of shape (T, N, C)
        Per-frame scores, time first (any monotone transform of the
        probabilities gives the same argmax, so logits work too).
    input_lengths : array-like of int, shape (N,), default=None
        Frames of each sample to decode; ``None`` uses all ``T``.
    blank : int, default=0

    Returns
    -------
    list of N tuples of int

    Raises
    ------
    ValueError, TypeError
        As :func:`lossbook.ctc_loss` for the same arguments.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.eye(3)[[1, 1, 0, 2, 2, 1]][:, None, :]
    >>> ctc_greedy_decode(scores)
    [(1, 2, 1)]
    >>> ctc_greedy_decode(scores, [4])
    [(1, 2)]
    """
    lp = as_float_array(log_probs, "log_probs")
    if lp.ndim != 3:
        raise ValueError(
            f"log_probs must have shape (T, N, C), got shape {lp.shape}"
        )
    steps, n, _ = lp.shape
    lengths = np.full(n, steps) if input_lengths is None else input_lengths
    # checks shared with ctc_loss (an empty target stands in for each)
    _, _, in_len, _, blank = _prepare(
        lp, np.zeros((n, 0)), lengths, np.zeros(n), blank, False, "none"
    )
    best = lp.argmax(axis=2)
    return [ctc_collapse(best[: in_len[i], i], blank) for i in range(n)]
