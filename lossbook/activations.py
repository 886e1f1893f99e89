r"""The output activations the losses are built on, stable for any logits.

The losses take logits and never form these functions naively; the book's
chapters need them on their own too (to plot a probability, to feed a
CTC loss log-probabilities), and use these rather than writing
``1 / (1 + exp(-z))`` again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook import _numerics
from lossbook._validation import as_float_array, check_axis

__all__ = ["log_sigmoid", "log_softmax", "sigmoid", "softmax"]


def sigmoid(logits: ArrayLike) -> np.ndarray:
    r"""The logistic function, without overflow for any finite logit.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Parameters
    ----------
    logits : array-like
        Finite real logits :math:`z`, any shape.

    Returns
    -------
    numpy.ndarray
        :math:`\sigma(z)`, same shape and float dtype.

    Raises
    ------
    ValueError
        If ``logits`` is empty or holds NaN or infinity.
    TypeError
        If ``logits`` is not numeric.

    Notes
    -----
    Only :math:`e^{-|z|} \le 1` is ever exponentiated, so ``z = -1000``
    gives a tiny positive number rather than an overflow warning. Close to
    1 the result rounds to 1 like any float; use :func:`log_sigmoid` (or
    ``sigmoid(-z)`` for :math:`1 - \sigma(z)`) where that matters.

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, §4.3.2
    [bishop2006prml].

    Examples
    --------
    >>> from lossbook import sigmoid
    >>> sigmoid([0.0, -1000.0]).tolist()
    [0.5, 0.0]
    """
    return _numerics.sigmoid(as_float_array(logits, "logits"))


def log_sigmoid(logits: ArrayLike) -> np.ndarray:
    r"""The log of the logistic function, exact in both tails.

    .. math:: \log \sigma(z) = -\log(1 + e^{-z})
              = -\operatorname{logaddexp}(0, -z)

    Parameters
    ----------
    logits : array-like
        Finite real logits :math:`z`, any shape.

    Returns
    -------
    numpy.ndarray
        :math:`\log\sigma(z) \le 0`, same shape and float dtype.

    Raises
    ------
    ValueError
        If ``logits`` is empty or holds NaN or infinity.
    TypeError
        If ``logits`` is not numeric.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §6.2.2.2
    [goodfellow2016dl].

    Examples
    --------
    >>> from lossbook import log_sigmoid
    >>> log_sigmoid([0.0, -1000.0]).tolist()  # -log 2, and about z
    [-0.6931471805599453, -1000.0]
    """
    return _numerics.log_sigmoid(as_float_array(logits, "logits"))


def softmax(logits: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""The softmax along ``axis``, small probabilities to a few ulp.

    .. math:: p_k = \frac{e^{z_k - m}}{\sum_c e^{z_c - m}},
              \qquad m = \max_c z_c

    Parameters
    ----------
    logits : array-like of shape (..., C, ...)
        Finite real logits.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    numpy.ndarray
        Probabilities that sum to 1 along ``axis``, same shape and dtype.

    Raises
    ------
    ValueError
        If ``logits`` is empty or holds NaN or infinity, or ``axis`` is out
        of range.
    TypeError
        If ``logits`` is not numeric or ``axis`` not an integer.

    Notes
    -----
    The shift by :math:`m` keeps every exponent at or below 0; the rounding
    of :math:`z_k - m` is carried into the exponential (TwoSum), so a
    probability of :math:`e^{-30}` keeps its digits.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §4.1
    [goodfellow2016dl].

    Examples
    --------
    >>> from lossbook import softmax
    >>> softmax([[1000.0, 1000.0, 0.0]]).round(6).tolist()
    [[0.5, 0.5, 0.0]]
    """
    z = as_float_array(logits, "logits")
    ax = check_axis(axis, z.ndim)
    if ax != z.ndim - 1:
        e = _numerics.exp_diff(z, z.max(axis=ax, keepdims=True))
        return e / e.sum(axis=ax, keepdims=True)
    classes = z.shape[-1]
    rows = z.reshape(-1, classes)
    out = np.empty(rows.shape, z.dtype)
    finite = _numerics.max_abs_exponent(z) < np.finfo(z.dtype).maxexp - 2
    for sl in _numerics.row_blocks(rows.shape[0], classes):
        block = rows[sl]
        m = block.max(axis=-1, keepdims=True)
        if finite:
            # exp_diff without its overflow test: e + e lo
            e, lo = _numerics.two_diff_finite(block, m)
            np.exp(e, out=e)
            lo *= e
            e += lo
        else:
            e = _numerics.exp_diff(block, m)
        np.divide(e, np.add.reduce(e, axis=-1, keepdims=True), out=out[sl])
    return out.reshape(z.shape)


def log_softmax(logits: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""The log-softmax along ``axis``, with relative accuracy everywhere.

    .. math:: \log p_k = z_k - \log \sum_c e^{z_c}

    Parameters
    ----------
    logits : array-like of shape (..., C, ...)
        Finite real logits.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    numpy.ndarray
        Log-probabilities, same shape and dtype.

    Raises
    ------
    ValueError
        If ``logits`` is empty or holds NaN or infinity, or ``axis`` is out
        of range.
    TypeError
        If ``logits`` is not numeric or ``axis`` not an integer.

    Notes
    -----
    The same computation as :func:`lossbook.cross_entropy`: the largest
    logit's own term is taken out so that ``log1p`` sees the small rest,
    and :math:`z_c - m` is carried as two floats. A plain
    ``z - logaddexp.reduce(z)`` is exact in absolute terms but returns 0
    for a log-probability of :math:`-10^{-30}`; this returns it.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §6.2.2.3
    [goodfellow2016dl].

    Examples
    --------
    >>> from lossbook import log_softmax
    >>> print(f"{log_softmax([[80.0, 0.0]])[0, 0]:.12e}")  # -log(1 + e^-80)
    -1.804851387845e-35
    """
    z = as_float_array(logits, "logits")
    ax = check_axis(axis, z.ndim)
    moved = np.moveaxis(z, ax, -1)
    classes = moved.shape[-1]
    rows = moved.reshape(-1, classes)
    out = np.empty(rows.shape, z.dtype)
    finite = _numerics.max_abs_exponent(z) < np.finfo(z.dtype).maxexp - 2
    for sl in _numerics.row_blocks(rows.shape[0], classes):
        part = _numerics.log_partition(rows[sl], finite=finite, wide=finite)
        with np.errstate(over="ignore"):  # float32 beyond its range: -inf
            np.subtract(0.0, part.full(), out=out[sl], casting="same_kind")
    return np.moveaxis(out.reshape(moved.shape), -1, ax)
