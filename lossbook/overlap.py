r"""Overlap losses beyond Dice: Tversky, focal Tversky, generalized Dice
and Lovász-softmax.

The first three follow the axes rule of :func:`lossbook.dice_loss`: masks
are ``(N, ..., C)`` arrays, the sums run over every axis except the batch
axis 0 and the class axis ``axis``, which gives one value per sample and
class; Tversky and focal Tversky average those over the classes,
generalized Dice combines the classes inside one ratio. ``"none"``
returns one value per sample. ``axis=None`` scores binary masks as one
foreground class.

All of them are written as a ratio whose numerator is a sum of
non-negative terms (false positives :math:`\sum p(1 - y)` and false
negatives :math:`\sum y(1 - p)`), so a near-perfect prediction keeps its
digits. :func:`lovasz_softmax_loss` takes integer label maps and logits,
as :func:`lossbook.cross_entropy_iou_loss_2d` does.

The SymPy definitions are in :mod:`lossbook.symbolic.overlap`; the
gradients are in ``GRADIENTS`` (used by :func:`lossbook.gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import softmax
from lossbook._validation import (
    check_bool,
    check_choice,
    check_integer,
    check_nonempty,
    check_nonnegative,
    check_scalar,
    check_sequence,
    reduce,
    reduce_gradient,
)
from lossbook.boxes import _ratio
from lossbook.segmentation import (
    _from_nck,
    _label_maps,
    _masks,
    _softmax_parts,
    _to_nck,
)

__all__ = [
    "GRADIENTS",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "lovasz_jaccard_gradient",
    "lovasz_softmax_loss",
    "tversky_loss",
]


# ---------------------------------------------------------------------------
# Tversky and focal Tversky
# ---------------------------------------------------------------------------


class _Counts(NamedTuple):
    """Soft counts per sample and class ``(N, C)``."""

    tp: np.ndarray  # sum y p
    fp: np.ndarray  # sum p (1 - y)
    fn: np.ndarray  # sum y (1 - p)


def _counts(y: np.ndarray, p: np.ndarray) -> _Counts:
    return _Counts((y * p).sum(axis=-1), (p * (1 - y)).sum(axis=-1),
                   (y * (1 - p)).sum(axis=-1))


def _tversky_parts(y, p, alpha, beta, smooth):
    """Numerator ``alpha FP + beta FN`` and denominator of the loss."""
    c = _counts(y, p)
    num = alpha * c.fp + beta * c.fn
    return num, c.tp + num + smooth


def _tversky_nc(y, p, alpha, beta, smooth):
    # 1 - (TP + s)/(TP + a FP + b FN + s) = (a FP + b FN)/(TP + a FP + ...)
    num, den = _tversky_parts(y, p, alpha, beta, smooth)
    return _ratio(num, den)


def _tversky_nck_grad(y, p, alpha, beta, smooth):
    """d/dp_k of N/D with dN = a(1 - y_k) - b y_k, dD = y_k + dN."""
    num, den = (a[..., None] for a in _tversky_parts(y, p, alpha, beta,
                                                      smooth))
    d_num = alpha * (1 - y) - beta * y
    return _ratio(d_num * den - num * (y + d_num), den * den)


def _tversky_args(alpha, beta, gamma=None):
    alpha = check_nonnegative(alpha, "alpha")
    beta = check_nonnegative(beta, "beta")
    if gamma is None:
        return alpha, beta
    return alpha, beta, check_scalar(gamma, "gamma", min_val=0.0,
                                     include_min=False)


def tversky_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Tversky loss, averaged over the classes of each sample.

    A Dice loss whose false positives and false negatives carry separate
    weights: ``beta > alpha`` punishes missed foreground more than false
    alarms, the usual choice for small lesions.

    .. math::

        \ell_n = \frac{1}{C}\sum_c \Bigl(1 -
        \frac{\mathrm{TP}_{nc} + s}
             {\mathrm{TP}_{nc} + \alpha\,\mathrm{FP}_{nc}
              + \beta\,\mathrm{FN}_{nc} + s}\Bigr),
        \quad \mathrm{TP} = \sum_i y_i p_i,\;
        \mathrm{FP} = \sum_i p_i (1 - y_i),\;
        \mathrm{FN} = \sum_i y_i (1 - p_i)

    with the sums over every axis but the batch axis 0 and ``axis``.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1]: one-hot, or soft.
    y_prob : array-like of shape (N, ..., C)
        Predicted probabilities, the same shape as ``y_true``.
    alpha : float, default=0.5
        Weight of the false positives; must be >= 0.
    beta : float, default=0.5
        Weight of the false negatives; must be >= 0.
    smooth : float, default=1.0
        Added to numerator and denominator; must be >= 0.
    axis : int or None, default=-1
        The class axis (not 0); ``None`` for binary masks.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives one value per sample.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise.

    Raises
    ------
    ValueError
        As :func:`lossbook.dice_loss`, and for a negative ``alpha`` or
        ``beta``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    ``alpha = beta = 1`` is :func:`lossbook.soft_iou_loss` at the same
    ``smooth``. ``alpha = beta = 1/2`` is
    :math:`1 - (2\mathrm{TP} + 2s)/(2\mathrm{TP} + \mathrm{FP} +
    \mathrm{FN} + 2s)`, which is :func:`lossbook.dice_loss` with smoothing
    ``2 * smooth`` (the same loss for ``smooth=0``). A zero denominator
    (``smooth=0`` and nothing to count) gives loss 0, the limit
    :math:`s \to 0^+`.

    segmentation_models_pytorch ``TverskyLoss`` uses the same roles of
    ``alpha`` (FP) and ``beta`` (FN), but pools the batch per class,
    defaults to ``smooth=0`` with ``eps=1e-7`` under the denominator and
    zeroes classes absent from the target. MONAI ``TverskyLoss`` agrees too
    (``smooth_nr = smooth_dr = 1e-5``). Keras 3.15.1 ``Tversky`` multiplies
    the false *negatives* by ``alpha``, against its own docstring: its
    ``alpha`` is lossbook's ``beta``.

    References
    ----------
    Salehi, Erdogmus and Gholipour (2017), *Tversky loss function for image
    segmentation using 3D fully convolutional deep networks*,
    arXiv:1706.05721 [salehi2017tversky].

    Examples
    --------
    >>> from lossbook.overlap import tversky_loss
    >>> y, p = [[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 1.0, 0.0]]
    >>> # TP = FP = FN = 1: 1 - 1/(1 + 0.3 + 0.7)
    >>> round(float(tversky_loss(y, p, alpha=0.3, beta=0.7, smooth=0.0,
    ...                          axis=None)), 6)
    0.5
    """
    alpha, beta = _tversky_args(alpha, beta)
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    per_class = _tversky_nc(m.y, m.p, alpha, beta, m.smooth)
    return reduce(per_class.mean(axis=-1), reduction)


def focal_tversky_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 0.75,
    smooth: float = 1.0,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Focal Tversky loss: each class's Tversky loss to the power gamma.

    With ``gamma < 1``, :math:`T^\gamma > T` for a Tversky loss
    :math:`T < 1`, and the slope :math:`\gamma T^{\gamma - 1}` grows as
    :math:`T` falls: a class that is nearly right (small :math:`T`, often a
    small structure late in training) keeps pushing, as Abraham and Khan
    intend.

    .. math::

        \ell_n = \frac1C \sum_c T_{nc}^{\,\gamma}

    with :math:`T_{nc}` the per-class loss of :func:`tversky_loss`.

    Parameters
    ----------
    y_true, y_prob : array-like of shape (N, ..., C)
        Target masks and predicted probabilities in [0, 1].
    alpha, beta : float, default=0.5
        Weights of false positives and false negatives; >= 0.
    gamma : float, default=0.75
        The exponent; must be > 0. Abraham and Khan (2019) write
        :math:`T^{1/\gamma'}` with :math:`\gamma' = 4/3`, i.e. 0.75 here.
    smooth : float, default=1.0
        Smoothing of the Tversky index; >= 0.
    axis : int or None, default=-1
        The class axis (not 0); ``None`` for binary masks.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives one value per sample.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise.

    Raises
    ------
    ValueError
        As :func:`tversky_loss`, and for ``gamma <= 0``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    ``gamma=1`` is :func:`tversky_loss`. Where :math:`T = 0` (a perfect
    class) the derivative of :math:`T^\gamma` is unbounded for
    ``gamma < 1``; the gradient is taken as 0 there, the value at the
    minimum. segmentation_models_pytorch ``TverskyLoss(gamma=...)`` raises
    the *class mean* to the power gamma, :math:`(\frac1C \sum_c
    T_c)^\gamma`, which equals this loss for one class only.

    References
    ----------
    Abraham and Khan (2019), *A Novel Focal Tversky Loss Function with
    Improved Attention U-Net for Lesion Segmentation*, ISBI,
    arXiv:1810.07842 [abraham2019focaltversky].

    Examples
    --------
    >>> from lossbook.overlap import focal_tversky_loss
    >>> y, p = [[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.0, 1.0, 0.0]]
    >>> # Tversky loss 1/2 (smooth 0), to the power 0.75
    >>> round(float(focal_tversky_loss(y, p, smooth=0.0, axis=None)), 6)
    0.594604
    """
    alpha, beta, gamma = _tversky_args(alpha, beta, gamma)
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    per_class = _tversky_nc(m.y, m.p, alpha, beta, m.smooth) ** gamma
    return reduce(per_class.mean(axis=-1), reduction)


# ---------------------------------------------------------------------------
# generalized Dice
# ---------------------------------------------------------------------------


def _gdl_weights(y_sum: np.ndarray) -> np.ndarray:
    """``1 / Y_c^2`` per sample and class; an absent class (``Y_c = 0``)
    gets the largest weight of the present classes of its sample, and 0 if
    no class is present (MONAI's rule)."""
    absent = y_sum == 0
    with np.errstate(divide="ignore"):
        w = np.where(absent, 0, 1 / np.where(absent, 1, y_sum) ** 2)
    return np.where(absent, w.max(axis=-1, keepdims=True), w)


def _gdl_parts(y, p, smooth):
    """Numerator ``sum_c w_c (Y + P - 2I)`` and denominator per sample."""
    w = _gdl_weights(y.sum(axis=-1))
    mismatch = (y * (1 - p) + p * (1 - y)).sum(axis=-1)
    total = y.sum(axis=-1) + p.sum(axis=-1)
    return (w * mismatch).sum(axis=-1), (w * total).sum(axis=-1) + smooth, w


def generalized_dice_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    smooth: float = 1e-5,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Generalized Dice loss (Sudre et al. 2017) with class weights
    :math:`1/(\sum_i y_{ic})^2`.

    One Dice ratio per sample whose classes are weighted by the inverse
    square of their true size, so a class of 10 pixels weighs 10 000 times
    as much per pixel as one of 1000 and rare classes are not drowned.

    .. math::

        \ell_n = 1 - \frac{2 \sum_c w_{nc} \sum_i y_{nic} p_{nic} + s}
                          {\sum_c w_{nc} \sum_i (y_{nic} + p_{nic}) + s},
        \qquad w_{nc} = \frac{1}{(\sum_i y_{nic})^2}

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1]: one-hot, or soft.
    y_prob : array-like of shape (N, ..., C)
        Predicted probabilities, the same shape as ``y_true``.
    smooth : float, default=1e-5
        Added to numerator and denominator (MONAI's ``smooth_nr =
        smooth_dr``); >= 0.
    axis : int or None, default=-1
        The class axis (not 0); ``None`` for binary masks.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` gives one value per sample.

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` for ``"none"``, a scalar otherwise; in [0, 1].

    Raises
    ------
    ValueError
        As :func:`lossbook.dice_loss`.
    TypeError
        If an input is not numeric.

    Notes
    -----
    A class absent from a sample's target has :math:`w = 1/0`. lossbook
    follows MONAI's ``GeneralizedDiceLoss``: such a class gets the largest
    weight among the classes present in that sample, so a false positive
    on it is penalised like one on the sample's rarest class; a sample in
    which no class is present gets weights 0 and loss
    :math:`1 - s/s = 0` (also for ``smooth=0``, as the limit). The weights
    are constants: the gradient does not differentiate through them (they
    depend on ``y_true`` only). MONAI forms the weights in float32, so its
    float64 loss is off by about 1e-10 relative unless every class size is
    a power of two.

    References
    ----------
    Sudre, Li, Vercauteren, Ourselin and Cardoso (2017), *Generalised Dice
    overlap as a deep learning loss function for highly unbalanced
    segmentations*, DLMIA, arXiv:1707.03237 [sudre2017generalised].

    Examples
    --------
    >>> from lossbook.overlap import generalized_dice_loss
    >>> # one sample, 2 pixels, 2 classes, one pixel wrong
    >>> y = [[[1.0, 0.0], [0.0, 1.0]]]
    >>> p = [[[1.0, 0.0], [1.0, 0.0]]]
    >>> # w = 1, 1: 1 - 2(1 + 0)/((1 + 2) + (1 + 0)) = 1/2
    >>> round(float(generalized_dice_loss(y, p, smooth=0.0)), 6)
    0.5
    """
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    num, den, _ = _gdl_parts(m.y, m.p, m.smooth)
    return reduce(_ratio(num, den), reduction)


def _gdl_nck_grad(y, p, smooth):
    num, den, w = _gdl_parts(y, p, smooth)
    num, den, w = num[:, None, None], den[:, None, None], w[..., None]
    # d num/dp_k = w (1 - 2 y_k), d den/dp_k = w
    return _ratio(w * (1 - 2 * y) * den - num * w, den * den)


# ---------------------------------------------------------------------------
# Lovász-softmax
# ---------------------------------------------------------------------------


def lovasz_jaccard_gradient(ground_truth_sorted: ArrayLike) -> np.ndarray:
    r"""The Jaccard loss's increments along a sorted order of the pixels.

    For pixels sorted by decreasing error with foreground indicators
    ``g`` (0/1), element ``j`` is :math:`\Delta(S_j) - \Delta(S_{j-1})`,
    with :math:`S_j` the first ``j + 1`` pixels and :math:`\Delta(S) =
    |S| / |F \cup S|` the Jaccard loss of mispredicting ``S`` (``F`` the
    foreground). It is the gradient of the Lovász extension and its
    weights: the extension is ``errors_sorted @ lovasz_jaccard_gradient(g)``.

    The last axis is the pixel axis. The counts are integers, so each
    increment is formed as one exact integer fraction and rounded once
    (no cancellation between consecutive Jaccard values).

    Examples
    --------
    >>> import numpy as np
    >>> # two foreground pixels sorted first, then one background pixel
    >>> lovasz_jaccard_gradient(np.array([1.0, 1.0, 0.0])).tolist()
    [0.5, 0.5, 0.0]
    """
    g = np.asarray(ground_truth_sorted, dtype=np.float64)
    fg = g.sum(axis=-1, keepdims=True)
    # after j + 1 pixels: |F \ S| = fg - cumsum(g), |F u S| = fg +
    # cumsum(1 - g); loss a / u with a = u - |F \ S| = cumsum(1 - g) +
    # cumsum(g) = j + 1
    j = np.arange(1, g.shape[-1] + 1, dtype=np.float64)
    u = fg + np.cumsum(1 - g, axis=-1)
    a_prev, u_prev = j - 1, np.concatenate(
        [np.ones_like(u[..., :1]), u[..., :-1]], axis=-1)
    # a/u - a'/u' = (a u' - a' u) / (u u'), integers below 2**53
    return (j * u_prev - a_prev * u) / (u * u_prev)


class _LovaszInput(NamedTuple):
    labels: np.ndarray  # (N, ...)
    logits: np.ndarray
    axis: int
    classes: np.ndarray | None  # None: "present"
    per_image: bool


def _lovasz_input(y_true, logits, axis, classes, per_image, reduction):
    inp = _label_maps(y_true, logits, axis, 0.0, reduction)
    per_image = check_bool(per_image, "per_image")
    num_classes = inp.logits.shape[inp.axis]
    if isinstance(classes, str):
        check_choice(classes, "classes", ("present", "all"))
        chosen = None if classes == "present" else np.arange(num_classes)
    else:
        if isinstance(classes, np.ndarray):  # an array of indices
            classes = classes.tolist()
        classes = check_sequence(
            classes, "classes",
            expected='"present", "all" or a list or tuple of class indices')
        check_nonempty(classes, "classes")
        chosen = np.array([check_integer(c, "classes", min_val=0,
                                         max_val=num_classes - 1)
                           for c in classes], dtype=np.int64)
    return _LovaszInput(inp.labels, inp.logits, inp.axis, chosen, per_image)


def _lovasz_groups(inp: _LovaszInput):
    """Probabilities, complements and one-hot targets ``(G, C, K)``: one
    group per image, or the whole batch as one group."""
    p, q = (_to_nck(a, inp.axis) for a in _softmax_parts(inp.logits,
                                                         inp.axis))
    c = p.shape[1]
    y = np.moveaxis(np.eye(c, dtype=p.dtype)[inp.labels.reshape(
        p.shape[0], -1)], -1, 1)
    if not inp.per_image:
        p, q, y = (np.moveaxis(a, 0, 1).reshape(1, c, -1) for a in (p, q, y))
    return p, q, y


def _lovasz_terms(inp: _LovaszInput):
    """Per group: the loss, the class mask used, and the sorted gradient
    weights scattered back to pixel order (``(G, C, K)``)."""
    p, q, y = _lovasz_groups(inp)
    # |y - p|: 1 - p on the foreground, p elsewhere
    errors = np.where(y > 0, q, p)
    order = np.argsort(-errors, axis=-1, kind="stable")
    e_sorted = np.take_along_axis(errors, order, axis=-1)
    weights = lovasz_jaccard_gradient(np.take_along_axis(y, order, -1))
    weights = weights.astype(p.dtype, copy=False)
    per_class = (e_sorted * weights).sum(axis=-1)
    if inp.classes is None:
        used = y.sum(axis=-1) > 0
    else:
        used = np.zeros(per_class.shape, dtype=bool)
        used[:, inp.classes] = True
    # classes=list may repeat a class: count it as often as it is listed
    count = np.zeros(per_class.shape[1], dtype=p.dtype)
    if inp.classes is not None:
        np.add.at(count, inp.classes, 1)
        mult = np.broadcast_to(count, per_class.shape)
    else:
        mult = used.astype(p.dtype)
    n_used = mult.sum(axis=-1)
    loss = (mult * per_class).sum(axis=-1) / n_used
    w_pixels = np.empty_like(weights)
    np.put_along_axis(w_pixels, order, weights, axis=-1)
    return loss, mult / n_used[:, None], w_pixels, p, y


def lovasz_softmax_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    axis: int = -1,
    classes: str | Sequence[int] = "present",
    per_image: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Lovász-softmax loss (Berman et al. 2018), a convex surrogate of
    the mean IoU.

    For each class :math:`c`, the pixel errors :math:`m_i = |y_{ic} -
    p_{ic}|` of the softmax probabilities are sorted in decreasing order,
    :math:`m_{\pi_1} \ge m_{\pi_2} \ge \dots`, and weighted by the
    increments of the Jaccard set loss :math:`\Delta_c(S) = |S| /
    |F_c \cup S|` (:math:`F_c` the pixels of class :math:`c`):

    .. math::

        \overline{\Delta}_c(m) = \sum_j m_{\pi_j}
        \bigl(\Delta_c(\{\pi_1..\pi_j\}) - \Delta_c(\{\pi_1..\pi_{j-1}\})
        \bigr) = \int_0^1 \Delta_c(\{i : m_i \ge t\})\,dt,

    the Lovász extension of :math:`\Delta_c`, which equals the IoU loss
    :math:`1 - \mathrm{IoU}_c` at 0/1 errors. The loss is the mean of
    :math:`\overline{\Delta}_c` over the chosen classes.

    Parameters
    ----------
    y_true : array-like of int, shape (N, ...)
        Label maps: ``logits.shape`` without ``axis``, labels in [0, C).
    logits : array-like of shape (N, ..., C)
        Unnormalised class scores.
    axis : int, default=-1
        The class axis of ``logits`` (``1`` for ``(N, C, H, W)``); not 0.
    classes : "present", "all" or sequence of int, default="present"
        Which classes the mean runs over: those present in the target of
        the scored image (or batch), all ``C``, or the listed ones.
    per_image : bool, default=False
        ``False`` scores the whole batch as one image (its pixels pooled,
        as the paper's per-batch loss); ``True`` scores each image and
        averages.
    reduction : {"mean", "sum", "none"}, default="mean"
        Applies to the per-image values (shape ``(N,)`` for ``"none"``);
        with ``per_image=False`` there is a single value (``"none"``
        gives shape ``(1,)``).

    Returns
    -------
    numpy.ndarray
        A scalar, or the unreduced values; in [0, 1].

    Raises
    ------
    ValueError
        If ``y_true`` is not ``logits.shape`` without ``axis`` or holds
        labels outside [0, C); an input is empty or not finite; ``axis``
        is out of range or 0; ``classes`` is an unknown string, empty, or
        holds a class outside [0, C); or ``reduction`` is unknown.
    TypeError
        If an input is not numeric, ``per_image`` is not a bool or a class
        is not an integer.

    Notes
    -----
    The loss is piecewise linear in the probabilities and not
    differentiable where two errors tie; the gradient (``GRADIENTS``) is
    the one of the paper's implementation, the weights of the sorted order
    (ties broken by position), chained through the softmax. A class listed
    in ``classes`` but absent from the target has :math:`\Delta_c(S) = 1`
    for every non-empty :math:`S`: its loss is its largest probability.
    The reference implementation (and segmentation_models_pytorch
    ``LovaszLoss``) also skips an ``ignore`` label, which lossbook leaves
    to the caller.

    References
    ----------
    Berman, Rannen Triki and Blaschko (2018), *The Lovász-Softmax loss: A
    tractable surrogate for the optimization of the intersection-over-union
    measure in neural networks*, CVPR, arXiv:1705.08790
    [berman2018lovasz].

    Examples
    --------
    >>> from lossbook.overlap import lovasz_softmax_loss
    >>> # one image of two pixels, labels 0 and 1, equal logits: p = 1/2,
    >>> # every error 1/2, and the extension of a set loss reaching 1 is 1/2
    >>> float(lovasz_softmax_loss([[0, 1]], [[[0.0, 0.0], [0.0, 0.0]]]))
    0.5
    """
    inp = _lovasz_input(y_true, logits, axis, classes, per_image, reduction)
    loss, *_ = _lovasz_terms(inp)
    return reduce(loss, reduction)


def _lovasz_softmax_loss_gradient(
    y_true: ArrayLike, logits: ArrayLike, *, axis: int = -1,
    classes: str | Sequence[int] = "present", per_image: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    inp = _lovasz_input(y_true, logits, axis, classes, per_image, reduction)
    _, share, w_pixels, _, y = _lovasz_terms(inp)
    # d m_i / d p_i = -1 on the foreground, +1 elsewhere
    g = share[..., None] * w_pixels * (1 - 2 * y)
    z = inp.logits
    n, c = z.shape[0], z.shape[inp.axis]
    if not inp.per_image:
        g = np.moveaxis(g.reshape(c, n, -1), 0, 1)
    g = _from_nck(g, z.shape, inp.axis)
    prob = softmax(z, inp.axis)
    grad = prob * (g - (g * prob).sum(axis=inp.axis, keepdims=True))
    count = n if inp.per_image else 1
    return reduce_gradient(grad, reduction, count=count).astype(
        z.dtype, copy=False)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


def _finish(grad, m, reduction):
    grad = reduce_gradient(grad, reduction, count=m.y.shape[0])
    return _from_nck(grad, m.shape, m.axis).astype(m.dtype, copy=False)


def _tversky_loss_gradient(
    y_true: ArrayLike, y_prob: ArrayLike, *, alpha: float = 0.5,
    beta: float = 0.5, smooth: float = 1.0, axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    alpha, beta = _tversky_args(alpha, beta)
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    grad = _tversky_nck_grad(m.y, m.p, alpha, beta, m.smooth) / m.y.shape[1]
    return _finish(grad, m, reduction)


def _focal_tversky_loss_gradient(
    y_true: ArrayLike, y_prob: ArrayLike, *, alpha: float = 0.5,
    beta: float = 0.5, gamma: float = 0.75, smooth: float = 1.0,
    axis: int | None = -1, reduction: str = "mean",
) -> np.ndarray:
    alpha, beta, gamma = _tversky_args(alpha, beta, gamma)
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    t = _tversky_nc(m.y, m.p, alpha, beta, m.smooth)
    # d T^g = g T^(g-1) dT; at T = 0 taken as 0 (1 for g = 1: plain dT)
    with np.errstate(divide="ignore"):
        factor = np.where(t > 0, gamma * np.where(t > 0, t, 1) ** (gamma - 1),
                          1.0 if gamma == 1 else 0.0)
    grad = factor[..., None] * _tversky_nck_grad(m.y, m.p, alpha, beta,
                                                 m.smooth)
    return _finish(grad / m.y.shape[1], m, reduction)


def _generalized_dice_loss_gradient(
    y_true: ArrayLike, y_prob: ArrayLike, *, smooth: float = 1e-5,
    axis: int | None = -1, reduction: str = "mean",
) -> np.ndarray:
    m = _masks(y_true, y_prob, smooth, axis, reduction)
    return _finish(_gdl_nck_grad(m.y, m.p, m.smooth), m, reduction)


GRADIENTS: dict[Callable, Callable] = {
    tversky_loss: _tversky_loss_gradient,
    focal_tversky_loss: _focal_tversky_loss_gradient,
    generalized_dice_loss: _generalized_dice_loss_gradient,
    lovasz_softmax_loss: _lovasz_softmax_loss_gradient,
}
