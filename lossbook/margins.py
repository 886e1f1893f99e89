r"""Margin losses: the hinge family and the pairwise ranking loss.

A margin loss is zero once a score is on the right side of a target by a
margin, and grows linearly (or quadratically) as it falls short. The
losses here are the binary SVM hinge and its square, two multi-class
hinges that share a name in the frameworks but not a formula (Crammer and
Singer's, Weston and Watkins'), and the ranking loss on pairs of scores.

Every value is exact: the margin term ``margin + a - b`` is summed with
its rounding error carried along (:func:`_sum3`), so a loss just past
its kink is not lost to cancellation. The SymPy definitions are in
:mod:`lossbook.symbolic.margins`, the (sub)gradients in :data:`GRADIENTS`
and, for :func:`margin_ranking_loss`'s two score arrays, in
:data:`PARTIALS`.

Subgradients at a kink: where a term ``max(0, u)`` has ``u = 0`` it
contributes 0, the smallest subgradient (the subdifferential there is the
segment between 0 and the gradient of ``u``); a tie for the largest wrong
score in :func:`categorical_hinge_loss` shares the gradient evenly among
the tied classes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import two_diff
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_axis,
    check_integer,
    check_nonnegative,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_shape,
    check_values_in,
    common_dtype,
    reduce,
    reduce_gradient,
)
from lossbook.classification import _class_vector, _drop_axis

__all__ = [
    "GRADIENTS",
    "PARTIALS",
    "categorical_hinge_loss",
    "hinge_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "squared_hinge_loss",
]

_SIGNS = (-1.0, 1.0)
_SIGN_HINT = "for 0/1 labels pass 2 * y - 1"


# ---------------------------------------------------------------------------
# shared numerics
# ---------------------------------------------------------------------------


def _sum3(a: np.ndarray, b: np.ndarray, c: np.ndarray):
    """``hi, lo`` with ``hi`` = ``a + b + c`` to about half an ulp.

    Two error-free additions (Knuth's TwoSum) and the sum of their errors
    (Ogita, Rump and Oishi's Sum2): the result is as if the sum were
    formed in twice the working precision and rounded once, so a margin
    term that nearly cancels (``1 + 0.3 - 1.3000000001``) keeps its digits.
    ``lo`` is what is left of the sum beyond ``hi``.
    """
    s, e = two_diff(a, -b)
    t, f = two_diff(s, -c)
    hi, lo = two_diff(t, -(e + f))
    return hi, lo


def _signed_inputs(y_true, y_pred):
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", p, "y_pred")
    check_values_in(y, "y_true", _SIGNS, _SIGN_HINT)
    dtype = common_dtype(y, p)
    return y.astype(dtype, copy=False), p.astype(dtype, copy=False)


# ---------------------------------------------------------------------------
# binary hinge and squared hinge
# ---------------------------------------------------------------------------


def hinge_loss(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""The hinge loss of a support vector machine.

    Zero once the score has the label's sign with a margin of at least 1,
    linear in the shortfall below it:

    .. math:: \ell_i = \max(0,\ 1 - y_i \hat y_i)

    Parameters
    ----------
    y_true : array-like of shape (...)
        Labels, each -1 or +1 (for 0/1 labels pass ``2 * y - 1``).
    y_pred : array-like of shape (...)
        Real scores (a decision function, not a probability), same shape.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar, in the
        common float dtype of the inputs.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, a label is
        not -1 or +1, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    ``keras.losses.hinge`` computes the same value, averaged over the last
    axis; it first maps labels that are all 0 or 1 to -1 and +1, which
    lossbook leaves to the caller. The subgradient at the kink
    :math:`y\hat y = 1` is taken to be 0.

    References
    ----------
    Cortes and Vapnik (1995), *Support-vector networks* [cortes1995svm].

    Examples
    --------
    >>> from lossbook.margins import hinge_loss
    >>> hinge_loss([1, -1, 1], [2.0, 0.5, -1.0], reduction="none").tolist()
    [0.0, 1.5, 2.0]
    """
    check_reduction(reduction)
    y, p = _signed_inputs(y_true, y_pred)
    # y is +-1, so y * p is exact and 1 - y p rounds once
    return reduce(np.maximum(0.0, 1.0 - y * p).astype(p.dtype), reduction)


def _hinge_loss_grad(y_true, y_pred, *, reduction="mean"):
    """-y where the margin is short of 1, else 0 (0 at the kink)."""
    check_reduction(reduction)
    y, p = _signed_inputs(y_true, y_pred)
    grad = np.where(1.0 - y * p > 0, -y, 0.0).astype(p.dtype)
    return reduce_gradient(grad, reduction, count=grad.size)


def squared_hinge_loss(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""The squared hinge loss: the hinge, squared, so smooth at its kink.

    .. math:: \ell_i = \max(0,\ 1 - y_i \hat y_i)^2

    Its gradient :math:`-2y\max(0, 1 - y\hat y)` is continuous, which is
    why it is the default of linear SVMs such as LIBLINEAR's L2-loss SVM.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Labels, each -1 or +1.
    y_pred : array-like of shape (...)
        Real scores, same shape.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar.

    Raises
    ------
    ValueError
        As :func:`hinge_loss`.
    TypeError
        If an input is not numeric.

    Notes
    -----
    ``keras.losses.squared_hinge`` computes the same value (mean over the
    last axis, 0/1 labels mapped to -1/+1).

    References
    ----------
    Fan et al. (2008), *LIBLINEAR: a library for large linear
    classification* [fan2008liblinear].

    Examples
    --------
    >>> from lossbook.margins import squared_hinge_loss
    >>> squared_hinge_loss([1, -1], [0.5, 0.5], reduction="none").tolist()
    [0.25, 2.25]
    """
    check_reduction(reduction)
    y, p = _signed_inputs(y_true, y_pred)
    short = np.maximum(0.0, 1.0 - y * p).astype(p.dtype)
    return reduce(short * short, reduction)


def _squared_hinge_loss_grad(y_true, y_pred, *, reduction="mean"):
    """-2 y max(0, 1 - y p)."""
    check_reduction(reduction)
    y, p = _signed_inputs(y_true, y_pred)
    grad = (-2.0 * y * np.maximum(0.0, 1.0 - y * p)).astype(p.dtype)
    return reduce_gradient(grad, reduction, count=grad.size)


# ---------------------------------------------------------------------------
# multi-class hinges
# ---------------------------------------------------------------------------


def _class_inputs(y_true, logits, axis):
    z = as_float_array(logits, "logits")
    axis = check_axis(axis, z.ndim)
    num_classes = z.shape[axis]
    check_integer(num_classes, "logits.shape[axis]", min_val=2)
    labels = as_labels(y_true, "y_true", num_classes)
    check_shape(labels, "y_true", _drop_axis(z.shape, axis),
                "the shape of logits without its class axis")
    return labels, np.moveaxis(z, axis, -1), axis


def _true_score(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.take_along_axis(z, labels[..., np.newaxis], axis=-1)


def categorical_hinge_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Crammer and Singer's multi-class hinge loss.

    The true class must beat the best wrong class by a margin of 1:

    .. math:: \ell_n = \max\bigl(0,\ 1 + \max_{c \ne y_n} z_{n,c}
              - z_{n, y_n}\bigr)

    Parameters
    ----------
    y_true : array-like of shape (...)
        Integer labels in ``[0, C)``, the shape of ``logits`` without
        ``axis``.
    logits : array-like of shape (..., C, ...)
        Real scores, ``C >= 2``.
    axis : int, default=-1
        The class axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives one value per sample.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_true``; otherwise a scalar.

    Raises
    ------
    ValueError
        If a label is not an integer in ``[0, C)``, the shapes do not
        match, ``C < 2``, an input is empty or not finite, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    This is ``optax.losses.multiclass_hinge_loss``. Keras's
    ``categorical_hinge`` takes one-hot targets and computes
    :math:`\max(0, 1 + \max_c (1 - y_c)\hat y_c - \sum_c y_c \hat y_c)`:
    the zero that :math:`(1 - y_c)` leaves at the true class takes part in
    the max, so when every wrong score is negative Keras uses 0 in place
    of the best wrong score and its loss is larger. PyTorch's
    ``multi_margin_loss`` is another loss again
    (:func:`multi_margin_loss`).

    At the kink the subgradient is 0; a tie for the best wrong class
    shares the gradient evenly between the tied classes.

    References
    ----------
    Crammer and Singer (2001), *On the algorithmic implementation of
    multiclass kernel-based vector machines* [crammer2001multiclass].

    Examples
    --------
    >>> from lossbook.margins import categorical_hinge_loss
    >>> z = [[-0.131, -0.625, -0.75]]
    >>> round(float(categorical_hinge_loss([1], z)), 6)
    1.494
    """
    check_reduction(reduction)
    labels, z, _ = _class_inputs(y_true, logits, axis)
    true = _true_score(z, labels)[..., 0]
    is_true = np.arange(z.shape[-1]) == labels[..., np.newaxis]
    best_wrong = np.where(is_true, -np.inf, z).max(axis=-1)
    one = np.ones((), dtype=z.dtype)
    hi, _ = _sum3(one, best_wrong, -true)
    return reduce(np.maximum(0.0, hi).astype(z.dtype), reduction)


def _categorical_hinge_loss_grad(y_true, logits, *, axis=-1,
                                 reduction="mean"):
    """+1 (shared among ties) at the best wrong class, -1 at the true one."""
    check_reduction(reduction)
    labels, z, axis = _class_inputs(y_true, logits, axis)
    true = _true_score(z, labels)[..., 0]
    is_true = np.arange(z.shape[-1]) == labels[..., np.newaxis]
    wrong = np.where(is_true, -np.inf, z)
    best_wrong = wrong.max(axis=-1)
    one = np.ones((), dtype=z.dtype)
    hi, _ = _sum3(one, best_wrong, -true)
    active = (hi > 0)[..., np.newaxis]
    ties = wrong == best_wrong[..., np.newaxis]
    share = ties / ties.sum(axis=-1, keepdims=True)
    grad = np.where(active, share - is_true, 0.0).astype(z.dtype)
    grad = reduce_gradient(grad, reduction, count=labels.size)
    return np.moveaxis(grad, -1, axis)


def _multi_margin_terms(labels, z, p, margin):
    """Per class ``max(0, margin - z_t + z_c)`` as ``hi, lo``; 0 at c = t."""
    true = _true_score(z, labels)
    hi, lo = _sum3(z.dtype.type(margin), z, -true)
    is_true = np.arange(z.shape[-1]) == labels[..., np.newaxis]
    active = (hi > 0) & ~is_true
    return np.where(active, hi, 0.0), np.where(active, lo, 0.0), active


def _multi_margin_inputs(y_true, logits, p, margin, weight, axis):
    p = check_integer(p, "p", min_val=1, max_val=2)
    margin = check_nonnegative(margin, "margin")
    labels, z, axis = _class_inputs(y_true, logits, axis)
    w_t = None
    if weight is not None:
        w = _class_vector(weight, "weight", z.shape[-1], z.dtype)
        w_t = w[labels]
    return labels, z, p, margin, w_t, axis


def multi_margin_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    p: int = 1,
    margin: float = 1.0,
    weight: ArrayLike | None = None,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Weston and Watkins' multi-class hinge, PyTorch's ``multi_margin_loss``.

    Every wrong class that comes within ``margin`` of the true class
    costs its shortfall (to the power ``p``), and the sum is divided by
    the number of classes :math:`C`:

    .. math:: \ell_n = \frac{w_{y_n}}{C} \sum_{c \ne y_n}
              \max\bigl(0,\ m - z_{n, y_n} + z_{n, c}\bigr)^p

    Parameters
    ----------
    y_true : array-like of shape (...)
        Integer labels in ``[0, C)``.
    logits : array-like of shape (..., C, ...)
        Real scores, ``C >= 2``.
    p : {1, 2}, default=1
        The power of each shortfall (PyTorch allows only these two).
    margin : float, default=1.0
        The margin :math:`m \ge 0`.
    weight : array-like of shape (C,), default=None
        Non-negative weight per class, applied by the sample's true class.
    axis : int, default=-1
        The class axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the plain mean over samples, with or without
        ``weight`` (PyTorch's rule for this loss; not the weighted mean of
        its cross-entropy).

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_true``; otherwise a scalar.

    Raises
    ------
    ValueError
        If ``p`` is not 1 or 2, ``margin`` or a weight is negative, a
        label is invalid, the shapes do not match, an input is empty or
        not finite, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.multi_margin_loss``. Weston and Watkins
    sum the shortfalls without the :math:`1/C`; PyTorch's division only
    rescales the loss (and the learning rate). At each term's kink the
    subgradient is 0.

    References
    ----------
    Weston and Watkins (1999), *Support vector machines for multi-class
    pattern recognition* [weston1999multiclass].

    Examples
    --------
    >>> from lossbook.margins import multi_margin_loss
    >>> z = [[-0.131, -0.625, -0.75]]
    >>> round(float(multi_margin_loss([1], z)), 6)  # (1.494 + 0.875) / 3
    0.789667
    """
    check_reduction(reduction)
    labels, z, p, margin, w_t, _ = _multi_margin_inputs(
        y_true, logits, p, margin, weight, axis)
    hi, lo, _ = _multi_margin_terms(labels, z, p, margin)
    if p == 2:
        # (hi + lo)^2 = hi^2 + 2 hi lo to far below an ulp; hi^2 split
        # into its rounded value and its exact error
        sq = hi * hi
        hi, lo = sq, _square_err(hi) + 2 * hi * lo
    total = _compensated_row_sum(hi, lo)
    loss = total / z.dtype.type(z.shape[-1])
    if w_t is not None:
        loss = loss * w_t
    return reduce(loss.astype(z.dtype, copy=False), reduction)


def _square_err(a: np.ndarray) -> np.ndarray:
    """The exact error ``a * a - fl(a * a)`` by Dekker's splitting."""
    split = a.dtype.type(134217729.0 if a.dtype == np.float64 else 4097.0)
    with np.errstate(over="ignore", invalid="ignore"):
        sq = a * a
        ca = split * a
        a_hi = ca - (ca - a)
        a_lo = a - a_hi
        err = ((a_hi * a_hi - sq) + 2 * a_hi * a_lo) + a_lo * a_lo
    return np.where(np.isfinite(err), err, 0.0)


def _compensated_row_sum(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """``sum(hi + lo)`` along the last axis, Neumaier-compensated."""
    total = np.zeros(hi.shape[:-1], dtype=hi.dtype)
    carry = lo.sum(axis=-1)
    for c in range(hi.shape[-1]):
        total, err = two_diff(total, -hi[..., c])
        carry = carry + err
    return total + carry


def _multi_margin_loss_grad(y_true, logits, *, p=1, margin=1.0, weight=None,
                            axis=-1, reduction="mean"):
    r"""d/dz_c = w_t p u_c^{p-1} / C for active wrong c; d/dz_t = -sum."""
    check_reduction(reduction)
    labels, z, p, margin, w_t, axis = _multi_margin_inputs(
        y_true, logits, p, margin, weight, axis)
    hi, lo, active = _multi_margin_terms(labels, z, p, margin)
    slope = np.where(active, 1.0, 0.0) if p == 1 else 2 * (hi + lo)
    slope = slope / z.dtype.type(z.shape[-1])
    if w_t is not None:
        slope = slope * w_t[..., np.newaxis]
    is_true = np.arange(z.shape[-1]) == labels[..., np.newaxis]
    grad = slope - is_true * slope.sum(axis=-1, keepdims=True)
    grad = reduce_gradient(grad.astype(z.dtype), reduction, count=labels.size)
    return np.moveaxis(grad, -1, axis)


# ---------------------------------------------------------------------------
# ranking
# ---------------------------------------------------------------------------


def _ranking_inputs(y_true, x1, x2, margin):
    # any real margin, as PyTorch allows
    margin = check_scalar(margin, "margin")
    y = as_float_array(y_true, "y_true")
    a = as_float_array(x1, "x1")
    b = as_float_array(x2, "x2")
    check_same_shape(a, "x1", b, "x2")
    check_same_shape(y, "y_true", a, "x1")
    check_values_in(y, "y_true", _SIGNS, "+1 if x1 should rank higher")
    dtype = common_dtype(y, a, b)
    y, a, b = (v.astype(dtype, copy=False) for v in (y, a, b))
    # -y (x1 - x2) + margin, with y = +-1 exact: margin - y x1 + y x2
    hi, _ = _sum3(dtype.type(margin), -y * a, y * b)
    return y, hi


def margin_ranking_loss(
    y_true: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    margin: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""The pairwise ranking loss on two arrays of scores.

    ``y = 1`` says ``x1`` should score higher than ``x2`` by at least
    ``margin``, ``y = -1`` the reverse:

    .. math:: \ell_i = \max\bigl(0,\ -y_i (x_{1,i} - x_{2,i}) + m\bigr)

    Parameters
    ----------
    y_true : array-like of shape (...)
        Preferences, each -1 or +1.
    x1, x2 : array-like of shape (...)
        Scores of the two items of each pair, same shape as ``y_true``.
    margin : float, default=0.0
        The margin :math:`m`.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``x1``; otherwise a scalar.

    Raises
    ------
    ValueError
        If the shapes differ, a label is not -1 or +1, an input is empty
        or not finite, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.margin_ranking_loss``. Its gradients in
    ``x1`` and ``x2`` are :math:`-y` and :math:`+y` where the term is
    positive, 0 elsewhere (and at the kink): ``lossbook.gradient(
    margin_ranking_loss, y, x1, x2, wrt=("x1", "x2"))``; the default
    ``wrt=None`` gives the one in ``x1``. With ``margin = 0`` it is the
    hinge on the score difference without a margin, the pairwise loss of
    the ranking SVM.

    References
    ----------
    Herbrich, Graepel and Obermayer (2000), *Large margin rank boundaries
    for ordinal regression* [herbrich2000rank].

    Examples
    --------
    >>> from lossbook.margins import margin_ranking_loss
    >>> margin_ranking_loss([1, -1], [0.2, 0.2], [0.5, 0.5], margin=0.1,
    ...                     reduction="none").tolist()
    [0.4, 0.0]
    """
    check_reduction(reduction)
    _, hi = _ranking_inputs(y_true, x1, x2, margin)
    return reduce(np.maximum(0.0, hi).astype(hi.dtype), reduction)


def _ranking_grad(y_true, x1, x2, *, margin=0.0, reduction="mean", sign=-1):
    check_reduction(reduction)
    y, hi = _ranking_inputs(y_true, x1, x2, margin)
    grad = np.where(hi > 0, sign * y, 0.0).astype(hi.dtype)
    return reduce_gradient(grad, reduction, count=grad.size)


def _margin_ranking_loss_grad_x1(y_true, x1, x2, *, margin=0.0,
                                 reduction="mean"):
    """-y where the pair is short of its margin, else 0."""
    return _ranking_grad(y_true, x1, x2, margin=margin, reduction=reduction,
                         sign=-1)


def _margin_ranking_loss_grad_x2(y_true, x1, x2, *, margin=0.0,
                                 reduction="mean"):
    """+y where the pair is short of its margin, else 0."""
    return _ranking_grad(y_true, x1, x2, margin=margin, reduction=reduction,
                         sign=1)


GRADIENTS = {
    hinge_loss: _hinge_loss_grad,
    squared_hinge_loss: _squared_hinge_loss_grad,
    categorical_hinge_loss: _categorical_hinge_loss_grad,
    multi_margin_loss: _multi_margin_loss_grad,
    margin_ranking_loss: _margin_ranking_loss_grad_x1,
}

PARTIALS = {
    margin_ranking_loss: {
        "x1": _margin_ranking_loss_grad_x1,
        "x2": _margin_ranking_loss_grad_x2,
    },
}
