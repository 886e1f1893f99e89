r"""Connectionist Temporal Classification: the loss and its exact gradient.

CTC (Graves et al. 2006) scores an unsegmented label sequence against a
sequence of per-frame class scores by summing over every alignment, i.e.
every frame-level path that collapses to the labels once repeats are merged
and blanks removed. The sum is computed by the forward (alpha) recursion
and its gradient by the forward-backward (alpha-beta) recursion, both in
log space, vectorised over the batch and the extended-label axis with a
Python loop only over time.

Computations run in float64 whatever the input dtype, and the result is
cast back, so float32 inputs keep their dtype without float32 round-off
accumulating over the time loop.
"""

from __future__ import annotations

import numpy as np

from lossbook._validation import (
    as_float_array,
    as_labels,
    as_lengths,
    check_bool,
    check_choice,
    check_integer,
    check_ndim,
    check_not_equal,
    check_reduction,
    check_shape,
    reduce,
)

__all__ = ["ctc_gradient", "ctc_loss"]

_WRT = ("log_probs", "logits")

# what the (N,) shape of input_lengths and target_lengths means
_PER_SAMPLE = "one length per sample of log_probs"


# ----------------------------------------------------------------------------
# input checks specific to CTC (lengths, targets, blank), built from the
# checkers of lossbook._validation
# ----------------------------------------------------------------------------


def _padded_targets(
    targets: object,
    target_lengths: object,
    n: int,
    num_classes: int,
    blank: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Targets as an ``(N, S)`` int64 array padded with ``blank``.

    Accepts PyTorch's two layouts: padded ``(N, S)`` (entries past each
    target length are ignored, whatever they hold) or the 1-D
    concatenation of all targets, of length ``sum(target_lengths)``.
    """
    arr = as_float_array(targets, "targets", allow_empty=True)
    check_ndim(
        arr, "targets", (1, 2),
        expected="have shape (N, S) or (sum(target_lengths),)",
    )
    if arr.ndim == 2:
        check_shape(
            arr, "targets", (n, "S"), "one row per sample of log_probs"
        )
        lengths = as_lengths(
            target_lengths, "target_lengths", n, upper=arr.shape[1],
            upper_name="targets.shape[1]", what=_PER_SAMPLE,
        )
        used = np.arange(arr.shape[1]) < lengths[:, None]
        values = arr[used]
    else:
        lengths = as_lengths(
            target_lengths, "target_lengths", n, upper=arr.size,
            upper_name="targets.size", what=_PER_SAMPLE,
        )
        check_shape(
            arr, "targets", (int(lengths.sum()),),
            "sum(target_lengths) entries when 1-D (concatenated)",
        )
        used = np.arange(lengths.max()) < lengths[:, None]
        values = arr
    padded = np.full(used.shape, blank, dtype=np.int64)
    if values.size:
        labels = as_labels(values, "targets", num_classes)
        check_not_equal(
            labels, "targets", blank,
            f"the blank label {blank} within target_lengths",
        )
        padded[used] = labels
    return padded, lengths


def _prepare(
    log_probs: object,
    targets: object,
    input_lengths: object,
    target_lengths: object,
    blank: object,
    zero_infinity: object,
    reduction: object,
) -> tuple:
    check_reduction(reduction)
    check_bool(zero_infinity, "zero_infinity")
    lp = as_float_array(log_probs, "log_probs")
    check_ndim(lp, "log_probs", 3, expected="have shape (T, N, C)")
    steps, n, num_classes = lp.shape
    blank = check_integer(blank, "blank", min_val=0, max_val=num_classes - 1)
    in_len = as_lengths(
        input_lengths, "input_lengths", n, upper=steps,
        upper_name="log_probs.shape[0]", what=_PER_SAMPLE,
    )
    padded, tg_len = _padded_targets(
        targets, target_lengths, n, num_classes, blank
    )
    return lp, padded, in_len, tg_len, blank


# ----------------------------------------------------------------------------
# the recursions
# ----------------------------------------------------------------------------


class _Lattice:
    """The extended label sequences and their per-frame scores.

    ``ext[n]`` is the target of sample ``n`` with a blank before, between
    and after its labels (length ``2 S + 1``); ``emit[t, n, s]`` is the score
    of ``ext[n, s]`` at frame ``t``, and ``-inf`` at positions beyond
    ``2 * target_lengths[n]`` so that they take no part in any path.
    """

    def __init__(
        self,
        lp: np.ndarray,
        targets: np.ndarray,
        in_len: np.ndarray,
        tg_len: np.ndarray,
        blank: int,
    ) -> None:
        steps, n, _ = lp.shape
        width = 2 * targets.shape[1] + 1
        ext = np.full((n, width), blank, dtype=np.int64)
        ext[:, 1::2] = targets
        self.valid = np.arange(width) <= 2 * tg_len[:, None]
        emit = np.take_along_axis(
            lp.astype(np.float64), np.broadcast_to(ext, (steps, n, width)),
            axis=2,
        )
        self.emit = np.where(self.valid, emit, -np.inf)
        # a label may be reached from two positions back only when it is not
        # a blank and differs from the label there (else a blank must
        # separate the two, which is what makes repeats cost frames)
        skip = np.zeros((n, width), dtype=bool)
        skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
        self.skip = skip
        self.ext = ext
        self.in_len = in_len
        self.tg_len = tg_len

    def forward(self) -> np.ndarray:
        """``log alpha[t, n, s]``: log-sum of the scores of the paths over
        frames 0..t that end in ``ext[n, s]``."""
        emit, skip = self.emit, self.skip
        alpha = np.full_like(emit, -np.inf)
        alpha[0, :, :2] = emit[0, :, :2]
        # log(e^a + e^b + e^c) by nested logaddexp: each step shifts by the
        # larger term, so nothing overflows or underflows to log(0)
        for t in range(1, emit.shape[0]):
            prev = alpha[t - 1]
            acc = prev.copy()
            acc[:, 1:] = np.logaddexp(acc[:, 1:], prev[:, :-1])
            acc[:, 2:] = np.logaddexp(
                acc[:, 2:], np.where(skip[:, 2:], prev[:, :-2], -np.inf)
            )
            alpha[t] = emit[t] + acc
        return alpha

    def backward(self) -> np.ndarray:
        """``log beta[t, n, s]``: log-sum of the paths of frames
        t..input_length-1 that start in ``ext[n, s]`` and end the target."""
        emit, skip = self.emit, self.skip
        steps, n, width = emit.shape
        last = self.in_len - 1
        ends = np.arange(width) >= 2 * self.tg_len[:, None] - 1
        # a path may end in the last label or the blank after it
        start = np.where(ends, 0.0, -np.inf)
        beta = np.full_like(emit, -np.inf)
        nxt = np.full((n, width), -np.inf)
        for t in range(steps - 1, -1, -1):
            acc = nxt.copy()
            acc[:, :-1] = np.logaddexp(acc[:, :-1], nxt[:, 1:])
            acc[:, :-2] = np.logaddexp(
                acc[:, :-2], np.where(skip[:, 2:], nxt[:, 2:], -np.inf)
            )
            acc = np.where((t == last)[:, None], start, acc)
            beta[t] = np.where((t <= last)[:, None], emit[t] + acc, -np.inf)
            nxt = beta[t]
        return beta

    def log_likelihood(self, alpha: np.ndarray) -> np.ndarray:
        """``log p(targets | log_probs)`` per sample, from the alphas."""
        n = alpha.shape[1]
        rows = np.arange(n)
        t_end = np.maximum(self.in_len - 1, 0)
        final = alpha[t_end, rows]
        end = 2 * self.tg_len
        last_blank = final[rows, end]
        last_label = np.where(
            self.tg_len > 0, final[rows, np.maximum(end - 1, 0)], -np.inf
        )
        log_p = np.logaddexp(last_blank, last_label)
        # no frames: only the empty target has a path (the empty one)
        empty = np.where(self.tg_len == 0, 0.0, -np.inf)
        return np.where(self.in_len == 0, empty, log_p)


#: |log p| below which alpha + beta - log p keeps its occupancy to 1e-3
_LOG_P_EXACT = 2.0**42


def _sample_scale(
    tg_len: np.ndarray, reduction: str, n: int
) -> np.ndarray:
    """d(reduced loss)/d(loss of sample n) for each sample."""
    if reduction == "mean":
        # torch divides by target_lengths.clamp_min(1), then averages
        return 1.0 / (n * np.maximum(tg_len, 1).astype(np.float64))
    return np.ones(n)


# ----------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------


def ctc_loss(
    log_probs: object,
    targets: object,
    input_lengths: object,
    target_lengths: object,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Connectionist Temporal Classification loss, by the forward algorithm.

    Use it to train a per-frame classifier (speech, handwriting, OCR) on
    label sequences that are shorter than the input and not aligned to
    it: the loss sums over every alignment instead of requiring one.

    .. math::

        \mathrm{ctc}_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l_n)}
            \prod_{t=0}^{T_n - 1} \exp\bigl(
            \mathtt{log\_probs}[t, n, \pi_t]\bigr)

    where :math:`l_n` is ``targets[n, :target_lengths[n]]``,
    :math:`T_n` is ``input_lengths[n]`` and :math:`\mathcal{B}` collapses a
    frame-level path by merging repeated labels and then removing blanks.
    The sum is the forward recursion in log space,

    .. math::

        \alpha_t(s) = y_t(l'_s) + \operatorname{logsumexp}_{r \in R(s)}
            \alpha_{t-1}(r),
        \qquad R(s) = \begin{cases}
            \{s, s-1, s-2\} & l'_s \ne b \text{ and } l'_s \ne l'_{s-2} \\
            \{s, s-1\} & \text{otherwise}
        \end{cases}

    over the extended label :math:`l' = (b, l_1, b, l_2, \dots, b)`, with
    :math:`y = \mathtt{log\_probs}` and :math:`b` the blank. A forbidden
    skip contributes no term to the log-sum-exp (a log-probability of
    :math:`-\infty`, i.e. probability 0), and so does any
    :math:`\alpha_{t-1}(r)` with :math:`r < 0`; the recursion starts from
    :math:`\alpha_0(0) = y_0(b)`, :math:`\alpha_0(1) = y_0(l_1)` and
    :math:`\alpha_0(s) = -\infty` otherwise, and the loss is
    :math:`-\operatorname{logsumexp}(\alpha_{T_n-1}(S'-1),
    \alpha_{T_n-1}(S'-2))` for the :math:`S'` extended labels.

    Parameters
    ----------
    log_probs : array-like of shape (T, N, C)
        Per-frame class scores, time first as in PyTorch: normally
        ``log_softmax`` outputs. Any finite scores are accepted; for scores
        that are not normalised over C the value is still
        :math:`-\log \sum_\pi \prod_t \exp(\mathtt{log\_probs}[t, n,
        \pi_t])` exactly as written above.
    targets : array-like of shape (N, S) or (sum(target_lengths),)
        Label sequences, padded (entries past ``target_lengths[n]`` are
        ignored, whatever they hold) or concatenated into one 1-D array, as
        PyTorch accepts. Labels lie in ``[0, C)`` and are never ``blank``.
    input_lengths : array-like of shape (N,)
        Frames of each sample that count, integers in ``[0, T]``; frames
        past them are ignored.
    target_lengths : array-like of shape (N,)
        Length of each target, integers in ``[0, S]`` (padded form).
    blank : int, default=0
        The class index of the blank, in ``[0, C)``.
    zero_infinity : bool, default=False
        Replace the infinite loss of a sample that has no alignment (its
        input is too short for its target) by 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides each sample's loss by its target length (by 1
        for an empty target) and then averages over the batch; ``"sum"``
        adds the samples' losses; ``"none"`` returns them.

    Returns
    -------
    numpy.ndarray
        Shape () for ``"mean"`` and ``"sum"``, (N,) for ``"none"``; the
        dtype of ``log_probs`` (float64 for integer input). ``inf`` for a
        sample with no alignment: a target with ``k`` adjacent repeats
        needs ``input_lengths[n] >= target_lengths[n] + k``.

    Raises
    ------
    ValueError
        If ``log_probs`` is not 3-D, empty, or not finite; a length is not
        an integer or out of bounds; a used target entry is not a label in
        ``[0, C)`` or equals ``blank``; 1-D targets do not have
        ``sum(target_lengths)`` entries; ``blank`` is outside ``[0, C)``;
        ``reduction`` is unknown.
    TypeError
        If an array is not numeric, ``blank`` is not an integer or
        ``zero_infinity`` is not a bool.

    Notes
    -----
    Matches ``torch.nn.functional.ctc_loss`` in value, argument order,
    defaults and its ``"mean"`` rule, which divides by
    ``target_lengths.clamp_min(1)`` before averaging
    (``aten/src/ATen/native/LossCTC.cpp``); so ``"mean"`` is not
    ``"none"`` followed by ``.mean()``. The computation is in float64
    whatever the input dtype. Differs from PyTorch in rejecting
    ``-inf`` in ``log_probs`` (a probability of exactly 0), as every
    lossbook function rejects non-finite input: use a large negative
    finite score instead.

    Differs from Keras's ``ctc`` loss, which takes logits, reserves label
    0 as blank and padding, and averages over the batch with no
    division by target length.

    See Also
    --------
    ctc_gradient : its gradient, by the forward-backward recursion.
    lossbook.sequence_cross_entropy : when the targets are aligned frame
        by frame.

    References
    ----------
    Graves, Fernández, Gomez and Schmidhuber (2006), *Connectionist
    Temporal Classification: Labelling Unsegmented Sequence Data with
    Recurrent Neural Networks*, ICML [graves2006ctc].

    Examples
    --------
    Two frames with uniform probabilities over {blank, a}: three of the
    four paths (``aa``, ``-a``, ``a-``) collapse to ``a``, so the loss is
    ``-log(3/4)``.

    >>> import numpy as np
    >>> from lossbook import ctc_loss
    >>> log_probs = np.log(np.full((2, 1, 2), 0.5))
    >>> round(float(ctc_loss(log_probs, [[1]], [2], [1])), 12)
    0.287682072452
    >>> round(float(np.log(4 / 3)), 12)
    0.287682072452

    ``aa`` needs a blank between the two labels, hence three frames:

    >>> float(ctc_loss(log_probs, [[1, 1]], [2], [2]))
    inf
    >>> float(ctc_loss(log_probs, [[1, 1]], [2], [2], zero_infinity=True))
    0.0
    """
    lp, padded, in_len, tg_len, blank = _prepare(
        log_probs, targets, input_lengths, target_lengths, blank,
        zero_infinity, reduction,
    )
    lattice = _Lattice(lp, padded, in_len, tg_len, blank)
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = -lattice.log_likelihood(lattice.forward())
    if zero_infinity:
        loss = np.where(np.isinf(loss), 0.0, loss)
    if reduction == "mean":
        loss = loss / np.maximum(tg_len, 1)
    return reduce(loss, reduction).astype(lp.dtype)


def ctc_gradient(
    log_probs: object,
    targets: object,
    input_lengths: object,
    target_lengths: object,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    reduction: str = "mean",
    wrt: str = "log_probs",
) -> np.ndarray:
    r"""Gradient of :func:`ctc_loss`, by the forward-backward recursion.

    Use it to train with CTC without automatic differentiation, or to see
    what PyTorch's CTC backward actually returns (``wrt="logits"``).

    With :math:`\alpha` and :math:`\beta` the forward and backward sums
    (both including frame :math:`t`'s own score), :math:`p` the total
    :math:`\sum_\pi \prod_t y_t(\pi_t)`, :math:`y = \exp(\mathtt{log\_probs})`
    and the posterior occupation

    .. math::

        \gamma_t(k) = \frac{1}{p \, y_t(k)}
            \sum_{s:\, l'_s = k} \alpha_t(s) \beta_t(s),

    the gradient of one sample's loss is

    .. math::

        \frac{\partial\,\mathrm{ctc}}{\partial\,\mathtt{log\_probs}[t, k]}
            = -\gamma_t(k)
        \qquad(\mathtt{wrt="log\_probs"})

    .. math::

        \frac{\partial\,\mathrm{ctc}}{\partial z_t(k)}
            = y_t(k) \sum_j \gamma_t(j) - \gamma_t(k) = y_t(k) - \gamma_t(k)
        \qquad(\mathtt{wrt="logits"})

    where ``log_probs = log_softmax(z)``; the second is Graves et al.'s
    eq. 16, the first chained through ``log_softmax``.

    Parameters
    ----------
    log_probs, targets, input_lengths, target_lengths
        As for :func:`ctc_loss`.
    blank, zero_infinity, reduction
        As for :func:`ctc_loss`; the gradient is that of the reduced loss.
    wrt : {"log_probs", "logits"}, default="log_probs"
        ``"log_probs"``: the true derivative with respect to the argument as
        given, for any finite scores. ``"logits"``: the derivative with
        respect to logits ``z`` with ``log_probs = log_softmax(z)``, i.e.
        the vector-Jacobian product through ``log_softmax`` using
        ``exp(log_probs)`` as its softmax, which is :math:`y - \gamma`.

    Returns
    -------
    numpy.ndarray of shape (T, N, C)
        The dtype of ``log_probs``. Frames at or past ``input_lengths[n]``
        get zero gradient, and so does every frame of a sample with no
        alignment (its loss is ``inf`` whatever ``log_probs`` is, so it
        is locally constant), with or without ``zero_infinity``.

    Raises
    ------
    ValueError
        As :func:`ctc_loss`, and if ``wrt`` is not ``"log_probs"`` or
        ``"logits"``.
    TypeError
        As :func:`ctc_loss`.

    Notes
    -----
    PyTorch's CTC backward returns the ``wrt="logits"`` value,
    :math:`\exp(\mathtt{log\_probs}) - \gamma`, whatever its input, and
    hands it on as if it were the gradient with respect to ``log_probs``
    (pytorch/pytorch#52241, #181534). Chained through a ``log_softmax``
    in the autograd graph the final logits gradient is still right,
    because :math:`y - \gamma` and :math:`-\gamma` differ by :math:`y`,
    which the ``log_softmax`` backward maps to zero when :math:`y` is its
    own softmax; fed scores from anywhere else, it is wrong, while
    ``wrt="log_probs"`` here is the true derivative. For an impossible
    alignment without ``zero_infinity`` PyTorch's gradient is NaN; here it
    is zero.

    See Also
    --------
    ctc_loss : the loss whose gradient this is.
    lossbook.gradient : closed-form gradients of the other losses.

    References
    ----------
    Graves, Fernández, Gomez and Schmidhuber (2006), *Connectionist
    Temporal Classification: Labelling Unsegmented Sequence Data with
    Recurrent Neural Networks*, ICML [graves2006ctc], eqs. 14-16.

    Examples
    --------
    Two frames, uniform over {blank, a}, target ``a``: the paths ``aa``,
    ``-a``, ``a-`` are equally likely, so at each frame ``a`` has posterior
    2/3 and blank 1/3.

    >>> import numpy as np
    >>> from lossbook import ctc_gradient
    >>> log_probs = np.log(np.full((2, 1, 2), 0.5))
    >>> np.round(ctc_gradient(log_probs, [[1]], [2], [1])[:, 0], 4)
    array([[-0.3333, -0.6667],
           [-0.3333, -0.6667]])
    >>> np.round(ctc_gradient(log_probs, [[1]], [2], [1], wrt="logits")[0], 4)
    array([[ 0.1667, -0.1667]])
    """
    lp, padded, in_len, tg_len, blank = _prepare(
        log_probs, targets, input_lengths, target_lengths, blank,
        zero_infinity, reduction,
    )
    check_choice(wrt, "wrt", _WRT)
    # The occupancies do not change when a constant is added to every
    # score of one frame (it multiplies alpha beta and p alike), so shift
    # each frame to a maximum of 0: with scores near -1e300, alpha + beta
    # - log p would otherwise cancel terms of size 1e300 to nothing
    # (done only for such scores, so ordinary results keep every bit)
    shifted = lp.astype(np.float64)
    if lp.size and np.abs(shifted).max() > _LOG_P_EXACT:
        shifted = shifted - shifted.max(axis=2, keepdims=True)
    lattice = _Lattice(shifted, padded, in_len, tg_len, blank)
    _, n, num_classes = lp.shape
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        alpha = lattice.forward()
        log_p = lattice.log_likelihood(alpha)
        beta = lattice.backward()
        # alpha and beta both include frame t's score: remove one copy
        log_occ = alpha + beta - lattice.emit - log_p[None, :, None]
        possible = np.isfinite(log_p)
        log_occ = np.where(lattice.valid & possible[:, None], log_occ,
                           -np.inf)
        # sum_s alpha_t(s) beta_t(s) / y_t(s) = p at every frame, so the
        # occupancies of a frame sum to 1; where the scores are so large
        # (|log p| beyond ~1e15) that the subtraction above cancels to
        # nothing, renormalise each frame to restore that identity
        shaky = np.abs(log_p) > _LOG_P_EXACT
        if shaky.any():
            top = log_occ.max(axis=2, keepdims=True)
            top = np.where(np.isfinite(top), top, 0.0)
            total = np.log(np.exp(log_occ - top).sum(axis=2, keepdims=True))
            normal = np.where(np.isfinite(total), log_occ - top - total,
                              -np.inf)
            log_occ = np.where(shaky[None, :, None], normal, log_occ)
        occ = np.exp(log_occ)
    onehot = lattice.ext[:, :, None] == np.arange(num_classes)
    gamma = np.einsum("tns,nsc->tnc", occ, onehot.astype(np.float64))
    scale = _sample_scale(tg_len, reduction, n)
    grad = -gamma * scale[None, :, None]
    if wrt == "logits":
        # VJP of log_softmax: g - softmax(z) * sum_k g_k, softmax = exp(lp)
        y = np.exp(lp.astype(np.float64))
        grad = grad - y * grad.sum(axis=2, keepdims=True)
    return grad.astype(lp.dtype)
