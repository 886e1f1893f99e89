r"""How popular frameworks compute some losses, emulated in NumPy.

The rest of lossbook computes each loss exactly. The functions here do the
opposite on purpose: each reproduces, operation by operation, what one
framework function does, clipping, clamping, epsilons and reductions
included, so that the book can print the framework's number beside the
exact one without importing the framework. Every function names the
source it follows; ``tests/test_frameworks.py`` holds hand-checked values
and ``tests/test_reference_values.py`` compares the PyTorch ones with
numbers recorded from PyTorch itself.

Conventions that differ from the rest of lossbook, deliberately:

* Each function's ``reduction`` default is the framework's own: ``"mean"``
  for ``torch.nn.functional`` and for the SMP and MONAI loss classes,
  ``"none"`` for torchvision and for Keras's loss *functions* (whose
  per-sample result the Keras loss classes then average, which is
  ``reduction="mean"`` here when there are no sample weights).
* The segmentation emulations take the class axis as lossbook does
  (``axis=-1``, channels last); pass ``axis=1`` for the ``(N, C, H, W)``
  layout that SMP and MONAI themselves use.
* Inputs are validated as everywhere in lossbook (no NaN, matching shapes,
  probabilities in [0, 1]); float32 stays float32, so the float32 results
  show the framework's float32 rounding of its constants too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    as_float_array,
    as_labels,
    as_lengths,
    check_axis,
    check_bool,
    check_choice,
    check_ndim,
    check_nonnegative,
    check_not_equal,
    check_probabilities,
    check_reduction,
    check_same_shape,
    check_scalar,
    common_dtype,
    reduce,
)

__all__ = [
    "KERAS_EPSILON",
    "TORCH_LOG_CLAMP",
    "keras_binary_crossentropy",
    "keras_binary_focal_crossentropy",
    "keras_categorical_crossentropy",
    "keras_ctc_mean",
    "keras_dice",
    "keras_reduce",
    "keras_sparse_categorical_crossentropy",
    "monai_dice_loss",
    "smp_dice_loss",
    "smp_focal_loss",
    "torch_binary_cross_entropy",
    "torch_ctc_mean",
    "torchvision_sigmoid_focal_loss",
]

#: ``keras.backend.epsilon()``: Keras clips probabilities to
#: ``[KERAS_EPSILON, 1 - KERAS_EPSILON]`` and adds it to Dice denominators.
KERAS_EPSILON = 1e-7

#: PyTorch's ``binary_cross_entropy`` clamps each log term at this value.
TORCH_LOG_CLAMP = -100.0


# ---------------------------------------------------------------------------
# shared input handling
# ---------------------------------------------------------------------------


def _pair(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    pred_name: str,
    *,
    true_probs: bool = True,
    pred_probs: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Both arguments validated, same shape, in their common float dtype."""
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, pred_name)
    check_same_shape(y, "y_true", p, pred_name)
    if true_probs:
        check_probabilities(y, "y_true")
    if pred_probs:
        check_probabilities(p, pred_name)
    dtype = common_dtype(y, p)
    return y.astype(dtype, copy=False), p.astype(dtype, copy=False)


def _check_smoothing(label_smoothing: object) -> float:
    return check_scalar(
        label_smoothing, "label_smoothing", min_val=0.0, max_val=1.0
    )


def _keras_clip(p: np.ndarray) -> np.ndarray:
    """Keras's ``clip(p, epsilon, 1 - epsilon)``, in ``p``'s own dtype."""
    eps = p.dtype.type(KERAS_EPSILON)
    return np.clip(p, eps, 1 - eps)


def _keras_bce(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Keras backend ``binary_crossentropy`` on probabilities."""
    q = _keras_clip(p)
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def _torch_bce_with_logits(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """ATen's ``binary_cross_entropy_with_logits`` without weights.

    ATen (PyTorch 2) computes (1 - y) z - log_sigmoid(z), its CPU
    log_sigmoid being min(z, 0) - log1p(exp(-|z|)). For y = 0 and z << 0
    the subtraction cancels: the loss rounds to 0 once exp(z) is below
    half an ulp of |z|, where the exact value is about exp(z).
    """
    log_sig = np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))
    return (1 - y) * z - log_sig


def _torch_sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))`` as written, overflow to 0 allowed."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _channels(
    y: np.ndarray, p: np.ndarray, axis: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Both masks as ``(N, C, pixels)``, the layout SMP and MONAI reduce.

    ``axis`` is the class axis; ``None`` means a binary mask with one
    implicit class. Axis 0 is always the batch.
    """
    if axis is None:
        ax = None
    else:
        ax = check_axis(axis, y.ndim)
        check_not_equal(
            axis, "axis", (0, -y.ndim), "0: axis 0 is the batch axis"
        )
    n = y.shape[0] if y.ndim else 1
    if ax is None:
        return y.reshape(n, 1, -1), p.reshape(n, 1, -1)
    num_classes = y.shape[ax]
    y = np.moveaxis(y, ax, 1).reshape(n, num_classes, -1)
    p = np.moveaxis(p, ax, 1).reshape(n, num_classes, -1)
    return y, p


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------


def torch_binary_cross_entropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""PyTorch's ``binary_cross_entropy``: log terms clamped at -100.

    Use it to show what ``torch.nn.functional.binary_cross_entropy`` (and
    ``nn.BCELoss``) reports when a probability reaches 0 or 1: the loss of
    one element saturates at 100 instead of being infinite.

    .. math::

        \ell = -w\,\bigl[y \max(\log p, -100)
               + (1 - y) \max(\log(1 - p), -100)\bigr]

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob`` and :math:`w` =
    ``weight`` (1 when omitted).

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1] (hard or soft).
    y_prob : array-like of shape (...)
        Predicted probabilities in [0, 1], the same shape.
    weight : array-like of shape (...), optional
        Per-element rescaling weight, the same shape.
    reduction : {"mean", "sum", "none"}, default="mean"
        PyTorch's default; ``"mean"`` is the plain mean over elements,
        weighted or not.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``, else the inputs' shape.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, or an unknown ``reduction``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Follows the CPU kernel of ATen (``aten/src/ATen/native/Loss.cpp``,
    PyTorch 2): ``(y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)``,
    then ``* weight``. Where the clamp does not bite it agrees with
    :func:`lossbook.binary_cross_entropy`, which returns
    ``inf`` where it does. Older PyTorch releases took ``log(1 - x)``.

    Examples
    --------
    >>> from lossbook.frameworks import torch_binary_cross_entropy
    >>> # the true class given probability 0: log 0 clamped at -100
    >>> float(torch_binary_cross_entropy([1.0], [0.0]))
    100.0
    >>> # away from 0 and 1 the clamp does nothing: log 2
    >>> round(float(torch_binary_cross_entropy([1.0], [0.5])), 6)
    0.693147
    """
    check_reduction(reduction)
    y, p = _pair(y_true, y_prob, "y_prob")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), TORCH_LOG_CLAMP)
        log_q = np.maximum(np.log1p(-p), TORCH_LOG_CLAMP)
    values = (y - 1) * log_q - y * log_p
    if weight is not None:
        w = as_float_array(weight, "weight")
        check_same_shape(w, "weight", p, "y_prob")
        values = values * w.astype(values.dtype, copy=False)
    return reduce(values, reduction)


def torch_ctc_mean(
    per_sample_losses: ArrayLike, target_lengths: ArrayLike
) -> np.ndarray:
    r"""PyTorch's ``reduction="mean"`` for CTC, from per-sample losses.

    ``torch.nn.functional.ctc_loss`` does not average the per-sample
    negative log-likelihoods: it first divides each by its target length
    (clamped below at 1), then averages over the batch.

    .. math::

        L = \frac1N \sum_n \frac{\ell_n}{\max(S_n, 1)}

    with :math:`\ell_n` = ``per_sample_losses`` and :math:`S_n` =
    ``target_lengths``.

    Parameters
    ----------
    per_sample_losses : array-like of shape (N,)
        Per-sample CTC losses, e.g. ``lossbook.ctc_loss(...,
        reduction="none")``; ``+inf`` (an impossible alignment) is allowed.
    target_lengths : array-like of int, shape (N,)
        The length of each target sequence, ``>= 0``.

    Returns
    -------
    numpy.ndarray
        A scalar.

    Raises
    ------
    ValueError
        On shapes other than ``(N,)``, NaN or ``-inf`` losses, or target
        lengths that are negative or not whole numbers.
    TypeError
        If an input is not numeric.

    Notes
    -----
    ``lossbook.ctc_loss(..., reduction="mean")`` already follows this
    rule (``torch/nn/modules/loss.py`` ``CTCLoss``; ATen clamps the lengths
    with ``clamp_min(1)``). Keras's ``ctc`` loss returns the per-sample
    losses and its loss class averages them with no length
    normalisation: :func:`keras_ctc_mean`.

    Examples
    --------
    >>> from lossbook.frameworks import torch_ctc_mean
    >>> # (6 / 3 + 2 / 1) / 2; a target of length 0 counts as length 1
    >>> float(torch_ctc_mean([6.0, 2.0], [3, 1]))
    2.0
    >>> float(torch_ctc_mean([6.0, 2.0], [3, 0]))
    2.0
    """
    losses = _ctc_losses(per_sample_losses)
    lengths = as_float_array(target_lengths, "target_lengths")
    check_same_shape(lengths, "target_lengths", losses, "per_sample_losses")
    lengths = as_lengths(lengths, "target_lengths", losses.size)
    scaled = losses / np.maximum(lengths, 1).astype(losses.dtype)
    return reduce(scaled, "mean")


def _ctc_losses(per_sample_losses: ArrayLike) -> np.ndarray:
    """Per-sample CTC losses, shape (N,); +inf allowed, NaN and -inf not."""
    losses = as_float_array(
        per_sample_losses, "per_sample_losses", allow_inf="+inf"
    )
    return check_ndim(
        losses, "per_sample_losses", 1, expected="have shape (N,)"
    )


# ---------------------------------------------------------------------------
# torchvision and segmentation_models_pytorch focal losses
# ---------------------------------------------------------------------------


def torchvision_sigmoid_focal_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> np.ndarray:
    r"""``torchvision.ops.sigmoid_focal_loss`` as torchvision computes it.

    Use it to show torchvision's conventions (``alpha < 0`` switches the
    weighting off; no reduction by default) and its precision: it forms
    :math:`p_t` from :math:`p = \sigma(z)` and then :math:`1 - p_t` by
    subtraction, which is exactly 0 once :math:`p_t` rounds to 1.

    .. math::

        \ell = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(y, z), \quad
        p_t = p\,y + (1 - p)(1 - y), \quad
        \alpha_t = \alpha\,y + (1 - \alpha)(1 - y)

    with :math:`p = \sigma(z)`, :math:`y` = ``y_true``, :math:`z` =
    ``logits``; :math:`\alpha_t = 1` when ``alpha < 0``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1].
    logits : array-like of shape (...)
        Raw scores, the same shape.
    alpha : float, default=0.25
        Weight of the positives; any negative value turns it off
        (torchvision's docs use ``-1``).
    gamma : float, default=2.0
        Focusing exponent, ``>= 0``.
    reduction : {"none", "mean", "sum"}, default="none"
        torchvision's default is no reduction.

    Returns
    -------
    numpy.ndarray
        The inputs' shape for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, targets outside [0, 1],
        empty input, ``gamma < 0`` or an unknown ``reduction``.
    TypeError
        If an input is not numeric, or ``alpha`` or ``gamma`` is not real.

    Notes
    -----
    Follows ``torchvision/ops/focal_loss.py``: ``p = sigmoid(inputs)``,
    ``ce = binary_cross_entropy_with_logits(inputs, targets)``,
    ``p_t = p * targets + (1 - p) * (1 - targets)``,
    ``loss = ce * (1 - p_t) ** gamma``, times ``alpha_t`` if
    ``alpha >= 0``. The cross-entropy is PyTorch 2's
    ``(1 - y) * z - log_sigmoid(z)``, which for ``y = 0`` and ``z << 0``
    cancels (it is 0 at ``z = -40``, where the exact value is about
    4e-18). :func:`lossbook.sigmoid_focal_loss` gives the
    same values where :math:`p_t` is not close to 1, turns alpha off with
    ``alpha=None``, defaults to ``"mean"``, and keeps a tiny non-zero loss
    where this one returns 0.

    Examples
    --------
    >>> from lossbook.frameworks import torchvision_sigmoid_focal_loss
    >>> # z = 0: 0.25 * (1/2)^2 * log 2
    >>> round(float(torchvision_sigmoid_focal_loss([1.0], [0.0])[0]), 6)
    0.043322
    >>> # a confident correct negative: 1 - p_t rounds to 0 (exact: 6e-53)
    >>> float(torchvision_sigmoid_focal_loss([0.0], [-40.0])[0])
    0.0
    """
    check_reduction(reduction)
    alpha = check_scalar(alpha, "alpha")
    gamma = check_nonnegative(gamma, "gamma")
    y, z = _pair(y_true, logits, "logits", pred_probs=False)
    p = _torch_sigmoid(z)
    ce = _torch_bce_with_logits(y, z)
    p_t = p * y + (1 - p) * (1 - y)
    values = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        values = (alpha * y + (1 - alpha) * (1 - y)) * values
    return reduce(values, reduction)


def smp_focal_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    normalized: bool = False,
    reduced_threshold: float | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""segmentation_models_pytorch's binary focal loss on logits.

    SMP's ``FocalLoss`` (binary and multilabel modes) calls
    ``focal_loss_with_logits``, which recovers :math:`p_t` from the
    cross-entropy as :math:`e^{-\mathrm{BCE}}` rather than from
    :math:`\sigma(z)`.

    .. math::

        \ell = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(y, z), \quad
        p_t = e^{-\mathrm{BCE}(y, z)}, \quad
        \alpha_t = \alpha\,y + (1 - \alpha)(1 - y)

    with :math:`y` = ``y_true`` and :math:`z` = ``logits``;
    :math:`\alpha_t = 1` when ``alpha`` is None.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1].
    logits : array-like of shape (...)
        Raw scores, the same shape.
    gamma : float, default=2.0
        Focusing exponent, ``>= 0``.
    alpha : float or None, default=None
        The ``FocalLoss`` class default is None (no weighting); the
        functional ``focal_loss_with_logits`` defaults to 0.25.
    normalized : bool, default=False
        Divide by the sum of the focal factors, at least ``1e-6``
        (Normalized Focal Loss, arXiv:1909.07829).
    reduced_threshold : float or None, default=None
        Reduced Focal Loss (arXiv:1903.01347): the factor becomes
        :math:`((1 - p_t)/\mathrm{threshold})^\gamma`, and 1 where
        :math:`p_t` is below the threshold.
    reduction : {"mean", "sum", "none"}, default="mean"
        SMP's default.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``, else the inputs' shape.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, targets outside [0, 1],
        empty input, ``gamma < 0``, a ``reduced_threshold`` outside
        (0, 1], or an unknown ``reduction``.
    TypeError
        If an input is not numeric or a hyperparameter has the wrong type.

    Notes
    -----
    Follows ``segmentation_models_pytorch/losses/_functional.py``
    ``focal_loss_with_logits`` (v0.5): ``logpt = BCE-with-logits``,
    ``pt = exp(-logpt)``, ``loss = (1 - pt) ** gamma * logpt``, then
    ``* (alpha * y + (1 - alpha) * (1 - y))`` if alpha is not None. For a
    hard label :math:`e^{-\mathrm{BCE}} = p_t`; for a soft label it is not,
    so SMP's focal factor differs from torchvision's there.

    Examples
    --------
    >>> from lossbook.frameworks import smp_focal_loss
    >>> # z = 0: (1/2)^2 * log 2, no alpha by default
    >>> round(float(smp_focal_loss([1.0], [0.0])), 6)
    0.173287
    >>> round(float(smp_focal_loss([1.0], [0.0], alpha=0.25)), 6)
    0.043322
    """
    check_reduction(reduction)
    gamma = check_nonnegative(gamma, "gamma")
    if alpha is not None:
        alpha = check_scalar(alpha, "alpha")
    normalized = check_bool(normalized, "normalized")
    if reduced_threshold is not None:
        reduced_threshold = check_scalar(
            reduced_threshold, "reduced_threshold", min_val=0.0,
            max_val=1.0, include_min=False,
        )
    y, z = _pair(y_true, logits, "logits", pred_probs=False)
    logpt = _torch_bce_with_logits(y, z)
    pt = np.exp(-logpt)
    if reduced_threshold is None:
        focal = (1 - pt) ** gamma
    else:
        focal = np.where(
            pt < reduced_threshold, 1, ((1 - pt) / reduced_threshold) ** gamma
        ).astype(z.dtype, copy=False)
    values = focal * logpt
    if alpha is not None:
        values = values * (alpha * y + (1 - alpha) * (1 - y))
    if normalized:
        values = values / np.maximum(focal.sum(), z.dtype.type(1e-6))
    return reduce(values, reduction)


# ---------------------------------------------------------------------------
# Keras 3
# ---------------------------------------------------------------------------


def keras_binary_crossentropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> np.ndarray:
    r"""``keras.losses.binary_crossentropy`` on probabilities (Keras 3).

    Keras clips the probabilities to :math:`[\epsilon, 1 - \epsilon]`,
    :math:`\epsilon` = 1e-7 (``keras.backend.epsilon()``), so one
    element's loss saturates at :math:`-\ln 10^{-7} \approx 16.118` and a
    perfect prediction still costs about 1e-7. It then averages over
    ``axis``.

    .. math::

        \ell = \operatorname{mean}_{\text{axis}}
        -\bigl[\tilde y \log \bar p + (1 - \tilde y) \log(1 - \bar p)\bigr],
        \quad \bar p = \operatorname{clip}(p, \epsilon, 1 - \epsilon),
        \quad \tilde y = y(1 - s) + s/2

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob`` and :math:`s` =
    ``label_smoothing``.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., K)
        Targets in [0, 1].
    y_prob : array-like of shape (N, ..., K)
        Probabilities in [0, 1], the same shape.
    label_smoothing : float in [0, 1], default=0.0
        Squeezes the targets towards 1/2.
    axis : int, default=-1
        The axis Keras averages over.
    reduction : {"none", "mean", "sum"}, default="none"
        Applied to the per-sample result; ``"mean"`` is what
        ``keras.losses.BinaryCrossentropy()`` (``"sum_over_batch_size"``)
        reports without sample weights.

    Returns
    -------
    numpy.ndarray
        Shape of the inputs without ``axis`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, ``label_smoothing`` outside [0, 1], a bad ``axis`` or
        an unknown ``reduction``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Follows ``keras/src/losses/losses.py`` ``binary_crossentropy`` and the
    NumPy, TensorFlow and PyTorch backends' ``binary_crossentropy``
    (``clip(output, epsilon, 1 - epsilon)``, then the two log terms).
    With the TensorFlow backend, a ``y_pred`` that is the direct output of
    a sigmoid layer is recognised and computed from its logits instead,
    without the clip. :func:`lossbook.binary_cross_entropy` is exact.

    Examples
    --------
    >>> from lossbook.frameworks import keras_binary_crossentropy
    >>> # p = 0 for a positive is clipped to 1e-7: -ln(1e-7)
    >>> round(float(keras_binary_crossentropy([1.0], [0.0])), 6)
    16.118096
    >>> # a perfect prediction costs -ln(1 - 1e-7), about 1e-7
    >>> float(keras_binary_crossentropy([1.0], [1.0])) > 0
    True
    """
    check_reduction(reduction)
    label_smoothing = _check_smoothing(label_smoothing)
    y, p = _pair(y_true, y_prob, "y_prob")
    ax = check_axis(axis, p.ndim)
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    values = _keras_bce(y, p).mean(axis=ax)
    return reduce(np.asarray(values), reduction)


def keras_binary_focal_crossentropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> np.ndarray:
    r"""``keras.losses.binary_focal_crossentropy`` on probabilities.

    Keras's focal loss takes probabilities, clips them inside the
    cross-entropy as :func:`keras_binary_crossentropy` does, and ignores
    ``alpha`` unless ``apply_class_balancing=True``.

    .. math::

        \ell = \operatorname{mean}_{\text{axis}}\,
        w\,(1 - p_t)^\gamma\,\mathrm{BCE}_{\text{Keras}}(\tilde y, p),
        \quad p_t = \tilde y p + (1 - \tilde y)(1 - p)

    with :math:`w = \alpha \tilde y + (1 - \alpha)(1 - \tilde y)` under
    class balancing and 1 otherwise; :math:`\tilde y` is the smoothed
    target as in :func:`keras_binary_crossentropy`.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., K)
        Targets in [0, 1].
    y_prob : array-like of shape (N, ..., K)
        Probabilities in [0, 1], the same shape.
    apply_class_balancing : bool, default=False
        Keras's switch for ``alpha``.
    alpha : float, default=0.25
        Weight of class 1 under class balancing.
    gamma : float, default=2.0
        Focusing exponent, ``>= 0``.
    label_smoothing : float in [0, 1], default=0.0
        Squeezes the targets towards 1/2.
    axis : int, default=-1
        The axis Keras averages over.
    reduction : {"none", "mean", "sum"}, default="none"
        Applied to the per-sample result.

    Returns
    -------
    numpy.ndarray
        Shape of the inputs without ``axis`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, ``gamma < 0``, ``label_smoothing`` outside [0, 1], a
        bad ``axis`` or an unknown ``reduction``.
    TypeError
        If an input is not numeric or a hyperparameter has the wrong type.

    Notes
    -----
    Follows ``keras/src/losses/losses.py`` ``binary_focal_crossentropy``:
    the focal factor uses the unclipped probabilities, the cross-entropy
    the clipped ones. ``BinaryFocalCrossentropy``'s documented
    ``alpha=0.25`` therefore has no effect by default
    (tensorflow/tensorflow#61519); :func:`lossbook.sigmoid_focal_loss`
    and torchvision apply it always.

    Examples
    --------
    >>> from lossbook.frameworks import keras_binary_focal_crossentropy
    >>> # p = 1/2: (1/2)^2 * log 2, alpha ignored
    >>> round(float(keras_binary_focal_crossentropy([1.0], [0.5])), 6)
    0.173287
    >>> round(float(keras_binary_focal_crossentropy(
    ...     [1.0], [0.5], apply_class_balancing=True)), 6)
    0.043322
    """
    check_reduction(reduction)
    balance = check_bool(apply_class_balancing, "apply_class_balancing")
    alpha = check_scalar(alpha, "alpha")
    gamma = check_nonnegative(gamma, "gamma")
    label_smoothing = _check_smoothing(label_smoothing)
    y, p = _pair(y_true, y_prob, "y_prob")
    ax = check_axis(axis, p.ndim)
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    p_t = y * p + (1 - y) * (1 - p)
    values = (1 - p_t) ** gamma * _keras_bce(y, p)
    if balance:
        values = (y * alpha + (1 - y) * (1 - alpha)) * values
    return reduce(np.asarray(values.mean(axis=ax)), reduction)


def keras_categorical_crossentropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> np.ndarray:
    r"""``keras.losses.categorical_crossentropy`` on probabilities.

    Keras first rescales each row of ``y_prob`` to sum to 1, then clips
    to :math:`[\epsilon, 1 - \epsilon]` (:math:`\epsilon` = 1e-7), so a true
    class given probability 0 costs :math:`-\ln 10^{-7} \approx 16.118`.

    .. math::

        \ell = -\sum_k \tilde y_k \log \operatorname{clip}\Bigl(
        \frac{p_k}{\sum_j p_j}, \epsilon, 1 - \epsilon\Bigr), \quad
        \tilde y = y(1 - s) + s/K

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob`` along ``axis``,
    :math:`K` classes and :math:`s` = ``label_smoothing``.

    Parameters
    ----------
    y_true : array-like of shape (..., K, ...)
        One-hot or probability targets in [0, 1].
    y_prob : array-like of shape (..., K, ...)
        Probabilities in [0, 1], the same shape; rows need not sum to 1
        (a row of zeros gives NaN, as in Keras).
    label_smoothing : float in [0, 1], default=0.0
        Mixes the targets with the uniform distribution.
    axis : int, default=-1
        The class axis.
    reduction : {"none", "mean", "sum"}, default="none"
        Applied to the per-sample result.

    Returns
    -------
    numpy.ndarray
        Shape of the inputs without ``axis`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, ``label_smoothing`` outside [0, 1], a bad ``axis`` or
        an unknown ``reduction``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Follows ``keras/src/losses/losses.py`` ``categorical_crossentropy``
    and the backends' ``categorical_crossentropy`` with
    ``from_logits=False`` (``output / sum(output)``, clip, ``log``).
    :func:`lossbook.categorical_cross_entropy` is the exact
    value and requires rows that already sum to 1.

    Examples
    --------
    >>> from lossbook.frameworks import keras_categorical_crossentropy
    >>> # rows are renormalised first: [1, 4] becomes [0.2, 0.8]
    >>> round(float(keras_categorical_crossentropy([0.0, 1.0],
    ...                                            [0.25, 1.0])), 6)
    0.223144
    >>> # the true class given probability 0, clipped to 1e-7
    >>> round(float(keras_categorical_crossentropy([0.0, 1.0],
    ...                                            [1.0, 0.0])), 6)
    16.118096
    """
    check_reduction(reduction)
    label_smoothing = _check_smoothing(label_smoothing)
    y, p = _pair(y_true, y_prob, "y_prob")
    ax = check_axis(axis, p.ndim)
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / p.shape[ax]
    values = -(y * _keras_log_probs(p, ax)).sum(axis=ax)
    return reduce(np.asarray(values), reduction)


def _keras_log_probs(p: np.ndarray, ax: int) -> np.ndarray:
    """``log(clip(p / sum(p), eps, 1 - eps))`` along ``ax``, as Keras."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(_keras_clip(p / p.sum(axis=ax, keepdims=True)))


def keras_sparse_categorical_crossentropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "none",
) -> np.ndarray:
    r"""``keras.losses.sparse_categorical_crossentropy`` on probabilities.

    The integer-label form of :func:`keras_categorical_crossentropy`:
    rows renormalised, clipped to :math:`[\epsilon, 1 - \epsilon]`, then
    the negative log of the true class's entry.

    .. math::

        \ell = -\log \operatorname{clip}\Bigl(
        \frac{p_t}{\sum_j p_j}, \epsilon, 1 - \epsilon\Bigr)

    with :math:`t` = ``y_true`` and :math:`p` = ``y_prob`` along ``axis``.

    Parameters
    ----------
    y_true : array-like of int, shape (...)
        Class labels in ``[0, K)``, the shape of ``y_prob`` without
        ``axis``; as in Keras, a trailing axis of length 1 is squeezed.
    y_prob : array-like of shape (..., K, ...)
        Probabilities in [0, 1].
    axis : int, default=-1
        The class axis.
    reduction : {"none", "mean", "sum"}, default="none"
        Applied to the per-sample result.

    Returns
    -------
    numpy.ndarray
        The shape of ``y_true`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        If the labels are not whole numbers in ``[0, K)`` or do not have
        the shape of ``y_prob`` without ``axis``, on NaN, infinity or
        values outside [0, 1] in ``y_prob``, empty input, a bad ``axis`` or
        an unknown ``reduction``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Follows ``keras/src/losses/losses.py``
    ``sparse_categorical_crossentropy`` (without ``ignore_class``) and the
    backends' kernel, which one-hot encodes the labels and reuses the
    categorical formula.
    :func:`lossbook.sparse_categorical_cross_entropy` is
    exact.

    Examples
    --------
    >>> from lossbook.frameworks import keras_sparse_categorical_crossentropy
    >>> round(float(keras_sparse_categorical_crossentropy(
    ...     [1], [[0.2, 0.8]])[0]), 6)
    0.223144
    """
    check_reduction(reduction)
    p = as_float_array(y_prob, "y_prob")
    ax = check_axis(axis, p.ndim)
    check_probabilities(p, "y_prob")
    labels = as_labels(y_true, "y_true", p.shape[ax])
    if labels.ndim == p.ndim and labels.shape[ax] == 1:
        labels = np.squeeze(labels, axis=ax)
    expected = np.empty(p.shape[:ax] + p.shape[ax + 1:], dtype=bool)
    check_same_shape(labels, "y_true", expected, "y_prob without its axis")
    log_p = np.moveaxis(_keras_log_probs(p, ax), ax, -1)
    values = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    return reduce(values, reduction)


def keras_dice(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int | tuple[int, ...] | None = None,
    reduction: str = "none",
) -> np.ndarray:
    r"""``keras.losses.dice``: one Dice over everything, epsilon below.

    Keras 3 adds :math:`\epsilon` = 1e-7 to the denominator only, so an
    empty target with an empty prediction scores loss 1, not 0; with
    ``axis=None`` it sums over every axis, the batch included.

    .. math::

        \ell = 1 - \frac{2 \sum y\,p}{\sum y + \sum p + \epsilon}

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob``, the sums over
    ``axis``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Target masks in [0, 1].
    y_prob : array-like of shape (...)
        Predicted probabilities in [0, 1], the same shape.
    axis : int, tuple of int or None, default=None
        The axes summed over (Keras's meaning, not a class axis); None sums
        over all.
    reduction : {"none", "mean", "sum"}, default="none"
        Applied to the result when ``axis`` leaves more than one value.

    Returns
    -------
    numpy.ndarray
        The inputs' shape without the summed axes for ``"none"``, else a
        scalar.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, a bad ``axis`` or an unknown ``reduction``.
    TypeError
        If an input is not numeric or ``axis`` holds a non-integer.

    Notes
    -----
    Follows ``keras/src/losses/losses.py`` ``dice``. lossbook's
    :func:`lossbook.dice_loss` keeps the batch axis apart,
    averages over classes and smooths numerator and denominator alike.

    Examples
    --------
    >>> from lossbook.frameworks import keras_dice
    >>> # 1 - 2*1 / (2 + 2 + 1e-7)
    >>> round(float(keras_dice([1.0, 1.0, 0.0, 0.0],
    ...                        [1.0, 0.0, 1.0, 0.0])), 6)
    0.5
    >>> # nothing to find and nothing found: 1 - 0 / 1e-7
    >>> float(keras_dice([0.0, 0.0], [0.0, 0.0]))
    1.0
    """
    check_reduction(reduction)
    y, p = _pair(y_true, y_prob, "y_prob")
    if axis is None:
        axes = None
    else:
        given = axis if isinstance(axis, tuple) else (axis,)
        axes = tuple(sorted({check_axis(a, p.ndim) for a in given}))
    intersection = (y * p).sum(axis=axes)
    denominator = y.sum(axis=axes) + p.sum(axis=axes) + KERAS_EPSILON
    values = 1 - 2 * intersection / denominator
    return reduce(np.asarray(values, dtype=p.dtype), reduction)


def keras_ctc_mean(per_sample_losses: ArrayLike) -> np.ndarray:
    r"""The batch mean Keras's ``CTC`` loss class reports.

    ``keras.losses.ctc`` returns one negative log-likelihood per sample and
    the loss class averages them (``"sum_over_batch_size"``) with no
    division by the target length, unlike PyTorch (:func:`torch_ctc_mean`).

    .. math:: L = \frac1N \sum_n \ell_n

    Parameters
    ----------
    per_sample_losses : array-like of shape (N,)
        Per-sample CTC losses; ``+inf`` is allowed.

    Returns
    -------
    numpy.ndarray
        A scalar.

    Raises
    ------
    ValueError
        On a shape other than ``(N,)``, NaN or ``-inf``.
    TypeError
        If the input is not numeric.

    Notes
    -----
    Follows ``keras/src/losses/losses.py`` ``ctc`` and ``CTC``. Keras's
    ``ctc`` also takes logits rather than log-probabilities and reserves
    label 0 for the blank and the padding.

    Examples
    --------
    >>> from lossbook.frameworks import keras_ctc_mean
    >>> float(keras_ctc_mean([6.0, 2.0]))
    4.0
    """
    return reduce(_ctc_losses(per_sample_losses), "mean")


# ---------------------------------------------------------------------------
# Dice in segmentation_models_pytorch and MONAI
# ---------------------------------------------------------------------------


def smp_dice_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    smooth: float = 0.0,
    eps: float = 1e-7,
    log_loss: bool = False,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""segmentation_models_pytorch's ``DiceLoss`` on probabilities.

    SMP (0.4 and later) pools the batch: one Dice per class over every
    sample and pixel, sets the loss of each class absent from ``y_true`` to
    0, and averages over all classes, absent ones included.

    .. math::

        D_c = \frac{I_c + s}{\max\bigl(\tfrac12(\sum p_c + \sum y_c) + s,\;
        \epsilon\bigr)}, \qquad
        I_c = \tfrac12\Bigl(\sum p_c + \sum y_c - \sum |p_c - y_c|\Bigr),

    .. math::

        \ell = \frac1C \sum_c [\textstyle\sum y_c > 0]\,(1 - D_c)

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob``, sums over the
    batch and all pixels of class :math:`c`, :math:`s` = ``smooth`` and
    :math:`\epsilon` = ``eps``. :math:`I_c = \sum \min(p, y)`, which is
    :math:`\sum p\,y` for hard targets.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1], one-hot (multiclass) or multi-label.
    y_prob : array-like of shape (N, ..., C)
        Probabilities in [0, 1] (SMP's ``from_logits=False``).
    smooth : float, default=0.0
        Added to numerator and denominator, ``>= 0``.
    eps : float, default=1e-7
        Lower bound of the denominator, ``>= 0``.
    log_loss : bool, default=False
        ``-log(max(D_c, eps))`` instead of ``1 - D_c``.
    axis : int or None, default=-1
        The class axis (SMP's own layout is ``axis=1``); None for a binary
        mask with no class axis (SMP's binary mode).
    reduction : {"mean", "sum", "none"}, default="mean"
        Over classes; ``"none"`` gives the C per-class losses, absent
        classes as 0.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``, shape (C,) for ``"none"``.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, negative ``smooth`` or ``eps``, a bad ``axis`` (0 is
        the batch) or an unknown ``reduction``.
    TypeError
        If an input is not numeric or a hyperparameter has the wrong type.

    Notes
    -----
    Follows ``segmentation_models_pytorch/losses/dice.py`` ``DiceLoss`` and
    ``_functional.py`` ``soft_dice_score``, which since v0.4.0 (PR #927) is
    ``soft_tversky_score`` with alpha = beta = 1/2, the intersection taken
    from an L1 norm, and ``clamp_min(eps)`` on the denominator. That is
    :math:`(2I + 2s)/(\sum p + \sum y + 2s)`, the v0.3 formula with the
    smoothing doubled. lossbook's :func:`lossbook.dice_loss`
    is per sample and does not zero absent classes.

    Examples
    --------
    >>> from lossbook.frameworks import smp_dice_loss
    >>> # class 0: I = 1.5, D = 1.5 / 1.75; class 1 absent -> 0
    >>> # loss = (1 - 6/7 + 0) / 2 = 1/14
    >>> round(float(smp_dice_loss([[1.0, 0.0], [1.0, 0.0]],
    ...                           [[0.5, 0.5], [1.0, 0.0]])), 6)
    0.071429
    """
    check_reduction(reduction)
    smooth = check_nonnegative(smooth, "smooth")
    eps = check_nonnegative(eps, "eps")
    log_loss = check_bool(log_loss, "log_loss")
    y, p = _pair(y_true, y_prob, "y_prob")
    y, p = _channels(y, p, axis)
    dims = (0, 2)
    p_sum, y_sum = p.sum(axis=dims), y.sum(axis=dims)
    # (sum p + sum y - sum |p - y|) / 2, SMP's L1-norm intersection
    inter = (p_sum + y_sum - np.abs(p - y).sum(axis=dims)) / 2
    fp, fn = p_sum - inter, y_sum - inter
    denom = np.maximum(inter + 0.5 * fp + 0.5 * fn + smooth, eps)
    score = (inter + smooth) / denom
    if log_loss:
        with np.errstate(divide="ignore"):
            values = -np.log(np.maximum(score, eps))
    else:
        values = 1 - score
    values = values * (y_sum > 0)
    return reduce(values.astype(p.dtype, copy=False), reduction)


def monai_dice_loss(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    axis: int | None = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""MONAI's ``DiceLoss`` on probabilities, per sample and channel.

    MONAI computes one Dice per sample and channel over the spatial axes
    (pooling the batch too when ``batch=True``), with separate smoothing
    constants for numerator and denominator, so that an empty target with
    an empty prediction gives loss 0.

    .. math::

        \ell_{n,c} = 1 - \frac{2 \sum p\,y + s_{nr}}
        {\sum y + \sum p + s_{dr}}

    with :math:`y` = ``y_true``, :math:`p` = ``y_prob`` over the spatial
    axes of sample :math:`n`, channel :math:`c`; :math:`s_{nr}` =
    ``smooth_nr``, :math:`s_{dr}` = ``smooth_dr``.

    Parameters
    ----------
    y_true : array-like of shape (N, ..., C)
        Target masks in [0, 1] (one-hot, ``to_onehot_y`` already applied).
    y_prob : array-like of shape (N, ..., C)
        Probabilities in [0, 1] (no ``sigmoid``/``softmax`` option here).
    smooth_nr, smooth_dr : float, default=1e-5
        Added to the numerator and to the denominator, ``>= 0``.
    batch : bool, default=False
        Sum over the batch as well, one Dice per channel.
    axis : int or None, default=-1
        The class (channel) axis; MONAI's own layout is ``axis=1``. None
        for a single-channel mask with no channel axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        Over samples and channels; ``"none"`` gives shape (N, C), or (C,)
        with ``batch=True``.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; see ``reduction``.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity, values outside [0, 1],
        empty input, negative smoothing, a bad ``axis`` (0 is the batch)
        or an unknown ``reduction``.
    TypeError
        If an input is not numeric or a hyperparameter has the wrong type.

    Notes
    -----
    Follows ``monai/losses/dice.py`` ``DiceLoss.forward`` with its
    defaults (``include_background=True``, ``squared_pred=False``,
    ``jaccard=False``, ``soft_label=False``) and
    ``monai/losses/utils.py`` ``compute_tp_fp_fn``: ``tp = sum(p y)``,
    ``fp = sum(p) - tp``, ``fn = sum(y) - tp``, then
    ``1 - (2 tp + smooth_nr) / (2 (tp + fp/2 + fn/2) + smooth_dr)``.
    MONAI's ``"none"`` keeps singleton spatial axes, ``(N, C, 1, ...)``.

    Examples
    --------
    >>> from lossbook.frameworks import monai_dice_loss
    >>> # one sample, two pixels, one channel; both empty -> 1 - s/s = 0
    >>> float(monai_dice_loss([[[0.0], [0.0]]], [[[0.0], [0.0]]]))
    0.0
    >>> # 1 - (2 + 1e-5) / (3 + 1e-5)
    >>> round(float(monai_dice_loss([[[1.0], [1.0]]], [[[1.0], [0.0]]])), 6)
    0.333332
    """
    check_reduction(reduction)
    smooth_nr = check_nonnegative(smooth_nr, "smooth_nr")
    smooth_dr = check_nonnegative(smooth_dr, "smooth_dr")
    batch = check_bool(batch, "batch")
    y, p = _pair(y_true, y_prob, "y_prob")
    y, p = _channels(y, p, axis)
    dims = (0, 2) if batch else 2
    tp = (p * y).sum(axis=dims)
    fp = p.sum(axis=dims) - tp
    fn = y.sum(axis=dims) - tp
    numerator = 2 * tp + smooth_nr
    denominator = 2 * (tp + 0.5 * fp + 0.5 * fn) + smooth_dr
    values = 1 - numerator / denominator
    return reduce(values.astype(p.dtype, copy=False), reduction)


# ---------------------------------------------------------------------------
# Keras's reduction of weighted per-sample losses
# ---------------------------------------------------------------------------

#: the reductions of ``keras.losses.Loss`` that :func:`keras_reduce` knows
KERAS_REDUCTIONS = ("sum_over_batch_size", "mean_with_sample_weight", "sum",
                    "none")


def keras_reduce(
    values: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    reduction: str = "sum_over_batch_size",
) -> np.ndarray:
    r"""How a Keras 3 loss reduces per-sample losses and sample weights.

    ``keras.losses.Loss.__call__`` multiplies the per-sample (or
    per-token) losses by ``sample_weight`` and then divides the sum by the
    *number of values* under the default ``"sum_over_batch_size"``, so a
    0/1 mask passed as ``sample_weight`` still counts the masked positions
    in the divisor. ``"mean_with_sample_weight"`` divides by the sum of the
    weights instead, which for a 0/1 mask is the mean over the kept values.

    .. math::

        \mathtt{sum\_over\_batch\_size}: \frac{\sum_i w_i \ell_i}{n},
        \qquad
        \mathtt{mean\_with\_sample\_weight}:
        \frac{\sum_i w_i \ell_i}{\sum_i w_i}

    with :math:`n` the number of values and :math:`w_i = 1` when
    ``sample_weight`` is None.

    Parameters
    ----------
    values : array-like
        Unreduced losses, one per sample or token.
    sample_weight : array-like, optional
        Weights of the same shape as ``values``; None weights every value 1.
    reduction : str, default="sum_over_batch_size"
        One of Keras's names ``"sum_over_batch_size"``,
        ``"mean_with_sample_weight"``, ``"sum"`` or ``"none"`` (the
        weighted values, unreduced).

    Returns
    -------
    numpy.ndarray
        A scalar, or the weighted values for ``"none"``.

    Raises
    ------
    ValueError
        On NaN or infinite input, shapes that differ, or an unknown
        ``reduction``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Follows ``reduce_weighted_values`` and ``reduce_values`` in
    ``keras/src/losses/loss.py`` (Keras 3.15.1); Keras divides with
    ``divide_no_nan``, so all-zero weights give 0 under
    ``"mean_with_sample_weight"``. This is an emulation for illustration;
    ``tests/data/reference_values_training.json`` holds the values
    recorded from Keras itself.

    Examples
    --------
    >>> from lossbook.frameworks import keras_reduce
    >>> float(keras_reduce([1.0, 4.0, 9.0, 16.0],
    ...                    sample_weight=[1.0, 1.0, 0.0, 0.0]))
    1.25
    >>> float(keras_reduce([1.0, 4.0, 9.0, 16.0],
    ...                    sample_weight=[1.0, 1.0, 0.0, 0.0],
    ...                    reduction="mean_with_sample_weight"))
    2.5
    """
    reduction = check_choice(reduction, "reduction", KERAS_REDUCTIONS)
    v = as_float_array(values, "values")
    if sample_weight is None:
        w = np.ones_like(v)
    else:
        w = as_float_array(sample_weight, "sample_weight")
        check_same_shape(v, "values", w, "sample_weight")
    dtype = common_dtype(v, w)
    weighted = v.astype(dtype) * w.astype(dtype)
    if reduction == "none":
        return weighted
    total = weighted.sum(dtype=dtype)
    if reduction == "sum":
        return np.asarray(total)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = w.sum(dtype=dtype)
    else:
        divisor = dtype.type(weighted.size)
    if divisor == 0:
        return np.asarray(dtype.type(0.0))
    return np.asarray(total / divisor)
