r"""Sequence losses: token-level cross-entropy with a padding mask.

:func:`sequence_cross_entropy` is :func:`lossbook.cross_entropy` applied
to every token, then averaged over the real (non-padded) tokens only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import neg_log_softmax, pow2_scale
from lossbook._validation import (
    as_float_array,
    check_all_nonnegative,
    check_axis,
    check_class_axis,
    check_positive_total,
    check_reduction,
    check_same_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)
from lossbook.classification import GRADIENTS as _CLASSIFICATION_GRADIENTS
from lossbook.classification import _weigh, cross_entropy

__all__ = ["GRADIENTS", "sequence_cross_entropy"]


def _token_mask(mask, logits, axis, reduction):
    """The mask as an array of the per-token shape, or ``None``."""
    if mask is None:
        return None
    z = as_float_array(logits, "logits")
    axis = check_class_axis(z, "logits", axis)
    token_shape = z.shape[:axis] + z.shape[axis + 1:]
    m = as_float_array(mask, "mask", dtype=z.dtype)
    check_same_shape(m, "mask", np.empty(token_shape), "logits without axis")
    check_all_nonnegative(m, "mask")
    if reduction == "mean":
        check_positive_total(m, "mask")
        # the token mean is scale-free in the mask: dividing it by a power
        # of two (exactly) keeps mask * loss finite for masks near 1e308
        m = np.ldexp(m, -pow2_scale(m)).astype(m.dtype)
    return m


def _halved_token_losses(
    y_true: ArrayLike, logits: ArrayLike, axis: int
) -> np.ndarray:
    """Half of each token's cross-entropy, for inputs already validated.

    A token whose loss lies beyond the float range (logits beyond half of
    it) is ``inf``, but a masked mean or sum of the tokens may still be
    representable: half of every loss is finite, and ``reduce`` doubles
    the result once. :func:`~lossbook._numerics.neg_log_softmax` halves
    the logits first, which is exact.
    """
    z = as_float_array(logits, "logits")
    axis = check_class_axis(z, "logits", axis)
    y = as_float_array(y_true, "y_true")
    if y.shape == z.shape:  # probability targets
        dtype = common_dtype(y, z)
        nlp = neg_log_softmax(np.moveaxis(z.astype(dtype, copy=False),
                                          axis, -1), halve=True)
        target = np.moveaxis(y.astype(dtype, copy=False), axis, -1)
        with np.errstate(over="ignore"):
            return _weigh(nlp, target).sum(axis=-1)
    nlp = neg_log_softmax(np.moveaxis(z, axis, -1), halve=True)
    labels = y.astype(np.intp)[..., np.newaxis]
    return np.take_along_axis(nlp, labels, axis=-1)[..., 0]


def sequence_cross_entropy(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Token-level softmax cross-entropy, averaged over non-padded tokens.

    The loss of sequence models (language models, translation, tagging)
    trained on padded batches: each token's cross-entropy is weighted by
    its mask entry, and the mean divides by the number of real tokens,
    not by batch size times padded length.

    .. math::

        \ell_{n,t} = m_{n,t}\,\mathrm{CE}(y_{n,t}, z_{n,t}), \qquad
        \text{mean} = \frac{\sum_{n,t} m_{n,t}\,\mathrm{CE}(y_{n,t},
        z_{n,t})}{\sum_{n,t} m_{n,t}}

    with :math:`y = \mathtt{y\_true}`, :math:`z = \texttt{logits}`,
    :math:`m = \texttt{mask}` and CE the per-token value of
    :func:`lossbook.cross_entropy`.

    Parameters
    ----------
    y_true : array-like of shape (N, T)
        Integer labels in ``[0, C)`` (any shape: that of ``logits``
        without ``axis``). Probability targets of the shape of ``logits``
        are accepted too, as by ``cross_entropy``.
    logits : array-like of shape (N, T, C)
        Unnormalised scores, classes along ``axis``.
    mask : array-like of shape (N, T), default=None
        Non-negative token weights with the shape of ``logits`` without
        ``axis`` (the shape of ``y_true`` for labels): 1 for real tokens
        and 0 for padding, or real-valued weights. A zero entry leaves its
        token out whatever its logits. ``None`` weighs every token 1.
    axis : int, default=-1
        The class axis of ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"``: :math:`\sum m\,\mathrm{CE} / \sum m`; ``"sum"``:
        :math:`\sum m\,\mathrm{CE}`; ``"none"``: :math:`m\,\mathrm{CE}` per
        token.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``logits`` without ``axis`` (0 at padded
        tokens); ``"mean"``, ``"sum"``: a scalar, in the dtype of
        ``logits``.

    Raises
    ------
    ValueError
        For any input ``cross_entropy`` rejects; if ``mask`` does not have
        the per-token shape, is not finite or has a negative entry; or if
        ``reduction="mean"`` and the mask sums to 0 (nothing to average).
    TypeError
        If an input is not numeric or ``axis`` is not an integer.

    Notes
    -----
    Matches ``tfa.seq2seq.sequence_loss(logits, targets, weights)`` with
    its default averaging across timesteps and batch, which divides the
    weighted sum by the sum of the weights (TensorFlow Addons reached end
    of life in May 2024). There, a mask summing to 0 gives 0 through
    ``div_no_nan``; lossbook raises. TFA's ``SequenceLoss`` class
    defaults differ: they divide by the number of non-zero weights, which
    agrees only for 0/1 masks.

    PyTorch gets the same mean for 0/1 masks by setting padded labels to
    ``ignore_index`` in ``cross_entropy``. Averaging per micro-batch
    means and then across micro-batches (gradient accumulation) does not
    give this token mean when batches hold different numbers of tokens
    (huggingface/transformers PR #34191).

    See Also
    --------
    lossbook.cross_entropy : The per-token loss.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, ch. 10
    [goodfellow2016dl].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.sequence import sequence_cross_entropy

    One real token with equal logits (:math:`\ln 2`) and one padded token
    whose loss (100) the mask removes:

    >>> logits = np.array([[[0.0, 0.0], [0.0, 100.0]]])
    >>> round(float(sequence_cross_entropy([[0, 0]], logits,
    ...                                    mask=[[1, 0]])), 6)
    0.693147
    >>> round(float(sequence_cross_entropy([[0, 0]], logits)), 6)
    50.346574
    """
    check_reduction(reduction)
    if mask is None:
        # every token weighs 1: the plain cross-entropy over all tokens
        return cross_entropy(y_true, logits, axis=axis, reduction=reduction)
    per_token = cross_entropy(y_true, logits, axis=axis, reduction="none")
    m = _token_mask(mask, logits, axis, reduction)
    scale = 0
    if not np.isfinite(per_token).all():
        # a loss beyond the float range; the masked result may not be
        per_token, scale = _halved_token_losses(y_true, logits, axis), 1
    return reduce(_weigh(per_token, m), reduction, weights=m, scale=scale)


def _sequence_cross_entropy_grad(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dz of :func:`sequence_cross_entropy`: :math:`m\,(p - y)`, scaled.

    Each token's cross-entropy gradient times its mask entry, divided by
    :math:`\sum m` for ``"mean"``.
    """
    check_reduction(reduction)
    token_grad = _CLASSIFICATION_GRADIENTS[cross_entropy](
        y_true, logits, axis=axis, reduction="none"
    )
    m = _token_mask(mask, logits, axis, reduction)
    axis = check_axis(axis, token_grad.ndim)
    if m is None:
        count = token_grad.size // token_grad.shape[axis]
        return reduce_gradient(token_grad, reduction, count=count)
    grad = _weigh(token_grad, np.expand_dims(m, axis))
    return reduce_gradient(grad, reduction, weights=m)


GRADIENTS = {sequence_cross_entropy: _sequence_cross_entropy_grad}
