r"""Segmentation losses: soft Dice, soft IoU (Jaccard) and CE + IoU.

Masks are ``(N, ..., C)`` arrays: a batch axis 0, any number of spatial
axes and a class axis (``axis``, last by default). The overlap losses sum
over every axis except the batch axis and the class axis, giving one loss
per sample and class, and then average over the classes: ``"none"``
returns one value per sample, ``"mean"`` averages the samples. With
``axis=None`` the masks have no class axis and the formulas apply to the
single foreground class.

Both overlap losses share their numerator: with :math:`Y = \sum y`,
:math:`P = \sum p` and :math:`I = \sum y p`, the quantity
:math:`Y + P - 2I` (the soft symmetric difference) is summed as
:math:`\sum [y(1 - p) + p(1 - y)]`, whose terms are all non-negative, so
a near-perfect prediction does not lose its digits to cancellation.

The SymPy definitions are in :mod:`lossbook.symbolic.segmentation`; the
gradients are in ``GRADIENTS`` (used by :func:`lossbook.gradient`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossbook import classification
from lossbook._numerics import exp_diff, softmax
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_axis,
    check_class_axis,
    check_ndim,
    check_nonnegative,
    check_not_equal,
    check_probabilities,
    check_reduction,
    check_same_shape,
    check_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)
from lossbook.boxes import _ratio
from lossbook.classification import cross_entropy
from lossbook.sequence import _halved_token_losses

__all__ = [
    "GRADIENTS",
    "cross_entropy_iou_loss_2d",
    "dice_loss",
    "soft_iou_loss",
]

# ---------------------------------------------------------------------------
# layout: (N, ..., C, ...) <-> (N, C, K) with the K pixels contiguous
# ---------------------------------------------------------------------------


def _class_axis(axis: object, arr: np.ndarray, name: str) -> int | None:
    """The class axis of ``arr`` as an index >= 1 (0 is the batch), or None."""
    check_ndim(arr, name, min_ndim=1, expected="have a batch axis (axis 0)")
    if axis is None:
        return None
    ax = check_axis(axis, arr.ndim)
    check_not_equal(
        axis, "axis", (0, -arr.ndim),
        f"the batch axis 0 of {name} (axis={axis!r} is axis 0 of its "
        f"{arr.ndim} dimension{'s' if arr.ndim > 1 else ''}; masks with "
        "no class axis take axis=None)",
    )
    return ax


def _to_nck(x: np.ndarray, ax: int | None) -> np.ndarray:
    if ax is None:
        return x.reshape(x.shape[0], 1, -1)
    moved = np.moveaxis(x, ax, 1)
    # contiguous pixels let NumPy sum them pairwise
    return np.ascontiguousarray(moved).reshape(x.shape[0], x.shape[ax], -1)


def _from_nck(g: np.ndarray, shape: tuple[int, ...], ax: int | None):
    if ax is None:
        return g.reshape(shape)
    rest = [n for i, n in enumerate(shape) if i not in (0, ax)]
    moved = (shape[0], shape[ax], *rest)
    return np.moveaxis(g.reshape(moved), 1, ax)


class _Sums(NamedTuple):
    """Per sample and class ``(N, C)``: the sums both losses are made of."""

    mismatch: np.ndarray  # Y + P - 2I
    total: np.ndarray  # Y + P
    union: np.ndarray  # Y + P - I


def _sums(
    y: np.ndarray, p: np.ndarray, q: np.ndarray | None = None
) -> _Sums:
    """The sums over the pixels; ``q`` is ``1 - p`` if known more exactly."""
    q = 1 - p if q is None else q
    # y + p - 2yp = y(1 - p) + p(1 - y); y + p - yp = y + p(1 - y)
    return _Sums(
        mismatch=(y * q + p * (1 - y)).sum(axis=-1),
        total=y.sum(axis=-1) + p.sum(axis=-1),
        union=(y + p * (1 - y)).sum(axis=-1),
    )


# _ratio(num, den) is 0 where den == 0: with smooth = 0 an empty target and
# an empty prediction give 0/0, and the loss's limit as smooth -> 0+ is 0


def _dice_nc(y: np.ndarray, p: np.ndarray, smooth: float) -> np.ndarray:
    # 1 - (2I + s)/(Y + P + s) = (Y + P - 2I)/(Y + P + s)
    s = _sums(y, p)
    return _ratio(s.mismatch, s.total + smooth)


def _iou_nc(
    y: np.ndarray, p: np.ndarray, smooth: float, q: np.ndarray | None = None,
    at_zero: float = 0.0,
) -> np.ndarray:
    # 1 - (I + s)/(Y + P - I + s) = (Y + P - 2I)/(Y + P - I + s)
    s = _sums(y, p, q)
    return _ratio(s.mismatch, s.union + smooth, at_zero)


def _dice_nck_grad(y: np.ndarray, p: np.ndarray, smooth: float):
    """d/dp_k of the per-class loss N/D: ((1 - 2 y_k) D - N) / D^2."""
    s = _sums(y, p)
    num, den = s.mismatch[..., None], (s.total + smooth)[..., None]
    # ((1 - 2 y) - N/D) / D: D**2 would overflow for a large smooth
    return _ratio((1 - 2 * y) - _ratio(num, den), den)


def _iou_nck_grad(y: np.ndarray, p: np.ndarray, smooth: float):
    """d/dp_k of N/E: ((1 - 2 y_k) E - N (1 - y_k)) / E^2."""
    s = _sums(y, p)
    num, den = s.mismatch[..., None], (s.union + smooth)[..., None]
    # ((1 - 2 y) - (N/E)(1 - y)) / E: E**2 would overflow for a large smooth
    return _ratio((1 - 2 * y) - _ratio(num, den) * (1 - y), den)


class _Masks(NamedTuple):
    y: np.ndarray  # (N, C, K)
    p: np.ndarray  # (N, C, K)
    smooth: float
    axis: int | None
    shape: tuple[int, ...]
    dtype: np.dtype  # y_prob's dtype, for the gradient


def _masks(
    y_true: ArrayLike, y_prob: ArrayLike, smooth: object, axis: object,
    reduction: str,
) -> _Masks:
    check_reduction(reduction)
    smooth = check_nonnegative(smooth, "smooth")
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_prob, "y_prob")
    check_same_shape(y, "y_true", p, "y_prob")
    check_probabilities(y, "y_true")
    check_probabilities(p, "y_prob")
    ax = _class_axis(axis, p, "y_prob")
    dtype = common_dtype(y, p)
    return _Masks(
        _to_nck(y.astype(dtype, copy=False), ax),
        _to_nck(p.astype(dtype, copy=False), ax),
        smooth, ax, p.shape, p.dtype,
    )


def _overlap_loss(per_class: Callable, y_true, y_prob, smooth, axis,
                  reduction) -> np.ndarray:
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    return reduce(per_class(m.y, m.p, m.smooth).mean(axis=-1), reduction)


def _overlap_gradient(per_class_grad: Callable, y_true, y_prob, smooth,
                      axis, reduction) -> np.ndarray:
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    # the per-sample loss is the mean over the C classes
    grad = per_class_grad(m.y, m.p, m.smooth) / m.y.shape[1]
    grad = reduce_gradient(grad, reduction, count=m.y.shape[0])
    return _from_nck(grad, m.shape, m.axis).astype(m.dtype, copy=False)


# ---------------------------------------------------------------------------
# Dice and soft IoU
# ---------------------------------------------------------------------------


def dice_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    smooth: float = 1.0,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Soft Dice loss, averaged over the classes of each sample.

    The overlap loss of medical segmentation: it scores each class by the
    overlap of the predicted and true masks relative to their sizes, so a
    small structure counts as much as the background, where pixel-wise
    cross-entropy is dominated by the most frequent class.

    .. math::

        \ell_n = \frac{1}{C}\sum_{c} \Bigl(1 -
        \frac{2 \sum_i y_{nic}\, p_{nic} + s}
             {\sum_i y_{nic} + \sum_i p_{nic} + s}\Bigr)

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob``, :math:`s` =
    ``smooth``, :math:`i` running over every axis but the batch axis 0
    and the class axis ``axis``.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1]: one-hot, or soft.
    y_prob : array-like of shape (N, ..., C)
        Predicted probabilities, the same shape as ``y_true``.
    smooth : float, default=1.0
        Added to numerator and denominator; must be >= 0.
    axis : int or None, default=-1
        The class axis (``1`` for PyTorch's ``(N, C, H, W)``). It may not
        be the batch axis 0. ``None``: binary masks with no class axis,
        scored as one foreground class.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages the per-sample losses.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise; in [0, 1].

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite or outside
        [0, 1], ``smooth`` is negative, ``axis`` is out of range or 0, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric, or ``axis`` is not an integer or None.

    Notes
    -----
    With ``smooth > 0`` an empty target and an empty prediction give
    :math:`s/s`, loss 0. With ``smooth=0`` that case is 0/0; lossbook
    defines it as the limit :math:`s \to 0^+`, loss 0, so the loss is
    never NaN (its gradient there is taken as 0; the loss jumps to 1 for
    any non-empty prediction).

    Differs from ``keras.losses.dice``, which sums over every axis *batch
    included* and adds ``1e-7`` to the denominator only (an empty target
    and an empty prediction give loss 1); from segmentation_models_pytorch
    ``DiceLoss``, which pools the batch per class, sets ``smooth=0`` with
    an ``eps`` and zeroes the loss of classes absent from the target;
    and from MONAI ``DiceLoss`` (``smooth_nr = smooth_dr = 1e-5``). It
    is the unsquared denominator; V-Net squares it.

    See Also
    --------
    soft_iou_loss : The Jaccard form; Dice = 2J/(1 + J) at ``smooth=0``.
    cross_entropy_iou_loss_2d : Cross-entropy plus soft IoU.

    References
    ----------
    Milletari, Navab and Ahmadi (2016), *V-Net: Fully Convolutional Neural
    Networks for Volumetric Medical Image Segmentation*, arXiv:1606.04797
    [milletari2016vnet].

    Examples
    --------
    >>> from lossbook.segmentation import dice_loss
    >>> y = [[1.0, 1.0, 0.0, 0.0]]
    >>> # perfect prediction: 0; half the target and nothing else:
    >>> # 1 - 2*1 / (2 + 1) = 1/3 (binary masks, no class axis)
    >>> float(dice_loss(y, y, smooth=0.0, axis=None))
    0.0
    >>> round(float(dice_loss(y, [[1.0, 0.0, 0.0, 0.0]], smooth=0.0,
    ...                       axis=None)), 6)
    0.333333
    """
    return _overlap_loss(_dice_nc, y_true, y_prob, smooth, axis, reduction)


def soft_iou_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    smooth: float = 1.0,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Soft IoU (Jaccard) loss, averaged over the classes of each sample.

    The differentiable relaxation of the intersection-over-union metric
    that segmentation is judged by; it penalises errors more than Dice
    does at the same overlap (J <= D).

    .. math::

        \ell_n = \frac{1}{C}\sum_{c} \Bigl(1 -
        \frac{\sum_i y_{nic}\, p_{nic} + s}
             {\sum_i y_{nic} + \sum_i p_{nic} - \sum_i y_{nic}\, p_{nic}
              + s}\Bigr)

    with the same symbols and axes as :func:`dice_loss`.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1]: one-hot, or soft.
    y_prob : array-like of shape (N, ..., C)
        Predicted probabilities, the same shape as ``y_true``.
    smooth : float, default=1.0
        Added to numerator and denominator; must be >= 0.
    axis : int or None, default=-1
        The class axis; not 0. ``None``: binary masks, one foreground
        class.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages the per-sample losses.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise; in [0, 1].

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite or outside
        [0, 1], ``smooth`` is negative, ``axis`` is out of range or 0, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric, or ``axis`` is not an integer or None.

    Notes
    -----
    An empty target and an empty prediction give loss 0, for ``smooth=0``
    as the limit :math:`s \to 0^+` (never NaN), as in :func:`dice_loss`.
    At ``smooth=0``, per class, Dice :math:`D` and Jaccard :math:`J`
    satisfy :math:`D = 2J/(1 + J)`. segmentation_models_pytorch's
    ``JaccardLoss`` pools the batch per class and zeroes absent classes;
    MONAI's ``DiceLoss(jaccard=True)`` uses ``1e-5`` smoothing.

    See Also
    --------
    dice_loss : The Dice form.
    cross_entropy_iou_loss_2d : Cross-entropy plus this loss.

    References
    ----------
    Rahman and Wang (2016), *Optimizing Intersection-Over-Union in Deep
    Neural Networks for Image Segmentation*, ISVC [rahman2016iou].

    Examples
    --------
    >>> from lossbook.segmentation import soft_iou_loss
    >>> # half the target and nothing else: 1 - 1 / (2 + 1 - 1) = 1/2
    >>> float(soft_iou_loss([[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0, 0.0]],
    ...                     smooth=0.0, axis=None))
    0.5
    """
    return _overlap_loss(_iou_nc, y_true, y_prob, smooth, axis, reduction)


# ---------------------------------------------------------------------------
# cross-entropy + IoU
# ---------------------------------------------------------------------------


class _LabelMaps(NamedTuple):
    labels: np.ndarray  # (N, ...) int64
    logits: np.ndarray
    axis: int
    smooth: float


def _label_maps(y_true, logits, axis, smooth, reduction) -> _LabelMaps:
    check_reduction(reduction)
    smooth = check_nonnegative(smooth, "smooth")
    z = as_float_array(logits, "logits")
    check_class_axis(z, "logits", axis)  # logits always have a class axis
    ax = _class_axis(axis, z, "logits")
    label_shape = z.shape[:ax] + z.shape[ax + 1:]
    y = as_float_array(y_true, "y_true")
    check_shape(y, "y_true", label_shape,
                "integer label maps: logits.shape without axis")
    labels = as_labels(y_true, "y_true", z.shape[ax])
    return _LabelMaps(labels, z, ax, smooth)


def _softmax_parts(
    z: np.ndarray, axis: int
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(z)`` and ``1 - softmax(z)``, each to a few ulp.

    Two rewrites keep small probabilities and their complements exact:

    * ``z - m`` (m the largest logit) is rounded, and ``exp`` turns that
      absolute error into a relative one as large as ``|z - m|`` ulps; the
      rounding error ``lo`` is recovered exactly (Knuth's TwoSum) and
      ``exp(hi + lo) = exp(hi) (1 + lo)`` to first order in the tiny lo;
    * for the largest class ``1 - p`` cancels when p is near 1; there
      ``1 - p = sum_{j != top} e_j / sum_j e_j`` sums positive terms.
      Elsewhere ``p <= 1/2`` and ``1 - p`` is exact to an ulp.
    """
    m = z.max(axis=axis, keepdims=True)
    e = exp_diff(z, m)
    top = np.zeros(e.shape, dtype=bool)
    np.put_along_axis(top, np.expand_dims(e.argmax(axis=axis), axis), True,
                      axis=axis)
    total = e.sum(axis=axis, keepdims=True)
    rest = np.where(top, 0, e).sum(axis=axis, keepdims=True)
    p = e / total
    return p, np.where(top, rest / total, 1 - p)


def _one_hot_nck(inp: _LabelMaps) -> np.ndarray:
    num_classes = inp.logits.shape[inp.axis]
    hot = np.eye(num_classes, dtype=inp.logits.dtype)[inp.labels]
    return _to_nck(hot, inp.labels.ndim)


def cross_entropy_iou_loss_2d(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    axis: int = -1,
    smooth: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""The mean of pixel-wise cross-entropy and the soft IoU loss.

    The combined loss of the CloudFactory wiki's ``CrossEntropyIoULoss2D``:
    cross-entropy gives every pixel a well-behaved gradient, the IoU term
    weighs small classes as much as large ones.

    .. math::

        \ell_n = \frac12 \Bigl(\frac1K \sum_i \mathrm{CE}(y_{ni}, z_{ni})
        + \mathrm{IoU}_n\bigl(\mathrm{onehot}(y),
        \operatorname{softmax}(z)\bigr)\Bigr)

    with :math:`y` = ``y_true`` (integer labels), :math:`z` = ``logits``,
    :math:`K` the number of pixels of a sample, and :math:`\mathrm{IoU}_n`
    the per-sample :func:`soft_iou_loss` (averaged over the classes).

    Parameters
    ----------
    y_true : array-like of int, shape (N, H, W)
        Label maps: ``logits.shape`` without ``axis``, labels in
        ``[0, C)``. Any number of spatial axes is accepted.
    logits : array-like of shape (N, H, W, C)
        Unnormalised class scores.
    axis : int, default=-1
        The class axis of ``logits`` (``1`` for ``(N, C, H, W)``); not 0.
    smooth : float, default=1.0
        The soft IoU's smoothing; must be >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives :math:`\ell_n` per sample; ``"mean"`` their mean,
        which equals the mean of the pixel-wise cross-entropy
        (``cross_entropy(..., reduction="mean")``) and the mean soft IoU
        loss, since every sample has the same number of pixels; ``"sum"``
        their sum.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise.

    Raises
    ------
    ValueError
        If ``y_true`` is not ``logits.shape`` without ``axis`` or holds
        non-integer labels or labels outside ``[0, C)``; an input is empty
        or not finite; ``smooth`` is negative; ``axis`` is out of range or
        0; or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    The cross-entropy part is :func:`lossbook.cross_entropy` itself, exact
    for any finite logits. The wiki does not fix a weighting; this is the
    equal-weight mean of the pattern 0.5 CE + 0.5 soft IoU (e.g. the
    binary version in cenkcorapci/pneumonia-detection). The IoU term sees
    every class, background included. Softmax probabilities are never
    exactly 0, so with ``smooth=0`` a class absent from a sample's target
    has IoU loss exactly 1, also when its probabilities underflow to 0 in
    floating point (there is no 0/0 case here, unlike
    :func:`soft_iou_loss`). The complement ``1 - p`` of the largest
    probability is summed from the other classes, and small probabilities
    carry the rounding error of ``z - max z`` into ``exp``, so confident,
    correct logits (margins of 40 or 1000) keep full relative accuracy.

    See Also
    --------
    soft_iou_loss : The IoU term on probabilities.
    cross_entropy : The cross-entropy term.

    References
    ----------
    CloudFactory, *Computer Vision Wiki: Loss* [cloudfactory_wiki]; Rahman
    and Wang (2016), *Optimizing Intersection-Over-Union in Deep Neural
    Networks for Image Segmentation* [rahman2016iou].

    Examples
    --------
    >>> from lossbook.segmentation import cross_entropy_iou_loss_2d
    >>> # one 1x1 image, two classes with equal logits: CE = ln 2, and
    >>> # p = 1/2 gives IoU losses 1/2 (true class) and 1 (the other)
    >>> round(float(cross_entropy_iou_loss_2d([[[0]]], [[[[0.0, 0.0]]]],
    ...                                       smooth=0.0)), 6)
    0.721574
    """
    inp = _label_maps(y_true, logits, axis, smooth, reduction)
    n = inp.labels.shape[0]
    pixels = cross_entropy(inp.labels, inp.logits, axis=inp.axis,
                           reduction="none").reshape(n, -1)
    halved = not np.isfinite(pixels).all()
    if halved:
        # a pixel's loss beyond the float range (logits beyond half of
        # it): the sample's loss may be representable, and half of every
        # pixel's loss is; (ce + iou) / 2 is then ce / 2 + iou / 2
        pixels = _halved_token_losses(inp.labels, inp.logits,
                                      inp.axis).reshape(n, -1)
    with np.errstate(over="ignore"):
        ce = pixels.mean(axis=1)
        if not np.isfinite(ce).all():
            # the pixel sum overflowed: divide before adding
            ce = np.where(np.isfinite(ce), ce,
                          (pixels / pixels.shape[1]).sum(axis=1))
    p, q = (_to_nck(a, inp.axis) for a in _softmax_parts(inp.logits,
                                                         inp.axis))
    # softmax is never exactly 0: a zero denominator means an absent class
    # whose probabilities underflowed, and P / P = 1 is its exact loss
    iou = _iou_nc(_one_hot_nck(inp), p, inp.smooth, q, at_zero=1.0)
    iou = iou.mean(axis=-1)
    if halved:
        return reduce(ce + iou / 2, reduction)
    return reduce((ce + iou) / 2, reduction)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


def _dice_loss_gradient(
    y_true: ArrayLike, y_prob: ArrayLike, *, smooth: float = 1.0,
    axis: int | None = -1, reduction: str = "mean",
) -> np.ndarray:
    return _overlap_gradient(_dice_nck_grad, y_true, y_prob, smooth, axis,
                             reduction)


def _soft_iou_loss_gradient(
    y_true: ArrayLike, y_prob: ArrayLike, *, smooth: float = 1.0,
    axis: int | None = -1, reduction: str = "mean",
) -> np.ndarray:
    return _overlap_gradient(_iou_nck_grad, y_true, y_prob, smooth, axis,
                             reduction)


def _cross_entropy_iou_loss_2d_gradient(
    y_true: ArrayLike, logits: ArrayLike, *, axis: int = -1,
    smooth: float = 1.0, reduction: str = "mean",
) -> np.ndarray:
    inp = _label_maps(y_true, logits, axis, smooth, reduction)
    z = inp.logits
    n, k = inp.labels.shape[0], inp.labels[0].size
    # the CE term is the mean over a sample's K pixels of cross_entropy
    ce_grad = classification.GRADIENTS[cross_entropy](
        inp.labels, z, axis=inp.axis, reduction="sum") / k
    p = softmax(z, inp.axis)
    g = _iou_nck_grad(_one_hot_nck(inp), _to_nck(p, inp.axis), inp.smooth)
    g = _from_nck(g / z.shape[inp.axis], z.shape, inp.axis)
    # softmax's Jacobian: dL/dz_c = p_c (g_c - sum_j g_j p_j)
    iou_grad = p * (g - (g * p).sum(axis=inp.axis, keepdims=True))
    grad = reduce_gradient((ce_grad + iou_grad) / 2, reduction, count=n)
    return grad.astype(z.dtype, copy=False)


GRADIENTS: dict[Callable, Callable] = {
    dice_loss: _dice_loss_gradient,
    soft_iou_loss: _soft_iou_loss_gradient,
    cross_entropy_iou_loss_2d: _cross_entropy_iou_loss_2d_gradient,
}
