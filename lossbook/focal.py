r"""Focal losses: cross-entropy that down-weights the examples already won.

The focal loss of Lin et al. (2017) multiplies the cross-entropy of the
true class, :math:`-\log p_t`, by the modulating factor
:math:`(1 - p_t)^\gamma`, so that the many easy examples of dense detection
(:math:`p_t` near 1) stop drowning out the hard ones, and optionally by a
class weight :math:`\alpha_t`. :func:`sigmoid_focal_loss` is the binary,
per-element form used by RetinaNet; :func:`softmax_focal_loss` the
multi-class form over a class axis.

Both are computed from the logits without forming :math:`1 - p_t` by
subtraction: :math:`1 - p_t` is itself a sigmoid (or a softmax sum over the
other classes), so the modulating factor keeps full relative precision when
:math:`p_t` is within an ulp of 1, where ``1 - sigmoid(z)`` would be 0.
SymPy definitions: :mod:`lossbook.symbolic.focal`; derivatives:
:data:`GRADIENTS`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from lossbook._blocks import (
    block_values,
    flat,
    fused,
    reduce_blocks,
    scratch,
)
from lossbook._numerics import (
    exp_diff,
    for_row_blocks,
    max_abs_exponent,
    nonnegative_mask,
    sigmoid,
    two_diff_finite,
)
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_all_nonnegative,
    check_class_axis,
    check_nonnegative,
    check_probabilities,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = ["GRADIENTS", "sigmoid_focal_loss", "softmax_focal_loss"]


# ---------------------------------------------------------------------------
# sigmoid (binary) focal loss
# ---------------------------------------------------------------------------


def _sigmoid_inputs(
    y_true: ArrayLike,
    logits: ArrayLike,
    alpha: float | None,
    gamma: float,
    reduction: str,
) -> tuple[np.ndarray, np.ndarray, float | None, float, np.dtype]:
    check_reduction(reduction)
    gamma = check_nonnegative(gamma, "gamma")
    if alpha is not None:
        alpha = check_scalar(alpha, "alpha", min_val=0.0, max_val=1.0)
    # the range scan also refuses NaN and infinities in y_true
    y = as_float_array(y_true, "y_true", finite=False)
    check_probabilities(y, "y_true")
    z = as_float_array(logits, "logits")
    check_same_shape(y, "y_true", z, "logits")
    dtype = common_dtype(y, z)
    return (y.astype(dtype, copy=False), z.astype(dtype, copy=False), alpha,
            gamma, z.dtype)


def _sigmoid_parts(
    y: np.ndarray, z: np.ndarray, gamma: float
) -> dict[str, np.ndarray]:
    """The pieces the value and the gradient share, all without cancellation.

    ``p`` = sigma(z), ``pn`` = 1 - p = sigma(-z), ``q`` = 1 - p_t and
    ``ce`` = BCE-with-logits(y, z) (the ``-log p_t`` of the paper for a
    hard label).
    """
    p, pn = sigmoid(z), sigmoid(-z)
    # BCE with logits: -(y log sigma(z) + (1 - y) log sigma(-z)); both
    # terms are >= 0, so the sum loses nothing
    ce = -(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z))
    # 1 - p_t = 1 - [p y + (1 - p)(1 - y)] = y sigma(-z) + (1 - y) sigma(z):
    # a sum of non-negative terms, never 1 minus a number close to 1
    if gamma <= 2:
        q = y * pn + (1 - y) * p
    else:
        # q is raised to the power gamma, which multiplies its relative
        # error by gamma: above the usual gamma = 2 it is formed in extended
        # precision where NumPy has one (x86: 64-bit mantissa), rounded once
        yl, zl = y.astype(np.longdouble), z.astype(np.longdouble)
        ql = yl * sigmoid(-zl) + (1 - yl) * sigmoid(zl)
        q = ql.astype(z.dtype)
        # and so is the power, rounded once: rounding q first would cost
        # gamma / 2 ulp by itself (10 ulp at gamma = 20)
        with np.errstate(under="ignore"):
            qg = np.power(ql, gamma).astype(z.dtype)
        return {"p": p, "pn": pn, "ce": ce, "q": q, "qg": qg}
    return {"p": p, "pn": pn, "ce": ce, "q": q, "qg": np.power(q, gamma)}


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -logaddexp(0, -z)``: the form the gradient's error
    bound was measured with (slower than :func:`log_sigmoid`, which the
    value's kernel does without)."""
    return -np.logaddexp(np.zeros((), dtype=z.dtype), -z)


def _alpha_t(y: np.ndarray, alpha: float | None) -> np.ndarray | float:
    return 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)


def sigmoid_focal_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Binary focal loss on logits: BCE scaled by :math:`(1 - p_t)^\gamma`.

    Use it for binary or multi-label problems with a heavy imbalance between
    easy negatives and the rare positives, as in one-stage detectors
    (RetinaNet), where plain binary cross-entropy is dominated by the
    easy majority.

    .. math::

        \ell(y, z) = \alpha_t\,(1 - p_t)^\gamma\,
        \bigl[-y\log p - (1 - y)\log(1 - p)\bigr],

    .. math::

        p = \sigma(z), \quad
        p_t = p\,y + (1 - p)(1 - y), \quad
        \alpha_t = \alpha\,y + (1 - \alpha)(1 - y),

    with :math:`y` = ``y_true``, :math:`z` = ``logits``, :math:`\alpha` =
    ``alpha`` and :math:`\gamma` = ``gamma``. For a hard label the bracket
    is :math:`-\log p_t`, the paper's form
    :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1]: hard labels 0/1, or soft targets.
    logits : array-like of shape (...)
        Raw scores :math:`z`, the same shape as ``y_true``; any finite value.
    alpha : float in [0, 1] or None, default=0.25
        Weight of the positive class; negatives get ``1 - alpha``. ``None``
        turns the weighting off (:math:`\alpha_t = 1`).
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; ``gamma=0`` gives (alpha-weighted)
        binary cross-entropy.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` an array of
        the inputs' shape. float32 inputs give float32, everything else
        float64.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or holds NaN or infinity,
        ``y_true`` leaves [0, 1], ``alpha`` leaves [0, 1], ``gamma < 0`` or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric, or ``alpha`` or ``gamma`` is not a real
        number.

    Notes
    -----
    Matches ``torchvision.ops.sigmoid_focal_loss`` in value, including for
    soft targets. Differs from it in three ways: alpha is switched off with
    ``alpha=None`` (torchvision switches it off for any negative ``alpha``
    and documents ``-1``); the default reduction is ``"mean"``
    (torchvision's is ``"none"``; RetinaNet sums and divides by the number
    of foreground anchors, which is ``reduction="sum"`` divided by that
    count); and :math:`1 - p_t` is computed as
    :math:`y\,\sigma(-z) + (1 - y)\,\sigma(z)` rather than as
    ``1 - p_t``, which in floating point is 0 for every :math:`z \gtrsim 37`
    and would make the loss of a confident correct prediction exactly 0.
    Keras's ``BinaryFocalCrossentropy`` ignores ``alpha`` unless
    ``apply_class_balancing=True``.

    The gradient with respect to ``logits``, for :math:`y = 1`, is
    :math:`\alpha(1 - p)^\gamma(\gamma\,p\log p + p - 1)`.

    Accuracy: within 4 ulp of the exact value for ``gamma <= 2``, and for
    larger ``gamma`` where NumPy's ``longdouble`` is wider than float64
    (x86; measured at most 2 ulp for ``gamma`` = 5, 10 and 20). The
    factor :math:`(1 - p_t)^\gamma` multiplies the relative error of
    :math:`1 - p_t` by :math:`\gamma`, so above ``gamma = 2`` both
    :math:`1 - p_t` and its power are formed in ``longdouble`` and
    rounded once. Where ``longdouble`` is float64 (ARM, Windows) the error
    grows by about 2 ulp per unit of ``gamma`` above 2.

    See Also
    --------
    softmax_focal_loss : The multi-class form over a class axis.

    References
    ----------
    Lin, Goyal, Girshick, He and Dollár (2017), *Focal Loss for Dense
    Object Detection*, ICCV, arXiv:1708.02002 [lin2017focal].

    Examples
    --------
    >>> from lossbook.focal import sigmoid_focal_loss
    >>> # z = 0: p_t = 1/2, so (1/2)^2 * log 2 = 0.173287 with alpha off
    >>> round(float(sigmoid_focal_loss([1.0], [0.0], alpha=None)), 6)
    0.173287
    >>> # alpha_t = 0.25 for the positive: 0.25 * 0.173287
    >>> round(float(sigmoid_focal_loss([1.0], [0.0])), 6)
    0.043322
    >>> # gamma = 0 and alpha off is binary cross-entropy: log 2
    >>> round(float(sigmoid_focal_loss([0.0], [0.0], alpha=None,
    ...                                gamma=0.0)), 6)
    0.693147
    """
    y, z, alpha, gamma, _ = _sigmoid_inputs(
        y_true, logits, alpha, gamma, reduction
    )
    if gamma <= 2:
        def kernel(out, yb, zb):
            _sigmoid_focal_kernel(out, yb, zb, alpha, gamma)
    else:
        def kernel(out, yb, zb):
            # q and its power in extended precision (see _sigmoid_parts)
            parts = _sigmoid_parts(yb, zb, gamma)
            out[...] = _alpha_t(yb, alpha) * parts["qg"] * parts["ce"]
    inputs = (flat(y), flat(z))
    if gamma <= 2:
        kernel = fused(kernel, inputs, z.dtype, "sigmoid_focal", alpha, gamma)
    with np.errstate(over="ignore", under="ignore"):
        fast = reduce_blocks(kernel, inputs, z.dtype, reduction, z.shape)
        if fast is not None:
            return fast
        values = block_values(kernel, inputs, z.dtype)
        # an infinite term makes the sum inf, as it should, silently
        return reduce(values.reshape(z.shape), reduction)


def _sigmoid_focal_kernel(
    out: np.ndarray, y: np.ndarray, z: np.ndarray, alpha: float | None,
    gamma: float,
) -> None:
    """``alpha_t q**gamma ce`` for flat blocks (gamma <= 2).

    With ``e = exp(-|z|)``, ``s = e / (1 + e)`` and ``r = 1 - s``
    the two sigmoids are ``(sigma(z), sigma(-z)) = (r, s)`` for z >= 0 and
    ``(s, r)`` below. With ``b = 1 - y`` for z >= 0 and ``y`` below, and
    ``a`` the other one: ``q = 1 - p_t = a s + b r`` (a sum of
    non-negative terms) and ``ce = b |z| + log1p(e)``
    (:func:`lossbook.binary_cross_entropy_with_logits`): one ``exp`` and
    one ``log1p`` per element serve both.
    """
    az = scratch("az")
    np.abs(z, out=az)
    e = scratch("e")
    np.negative(az, out=e)
    np.exp(e, out=e)
    r = scratch("r")
    np.add(e, 1, out=r)
    s = scratch("s")
    np.divide(e, r, out=s)
    # r = 1 - s: one rounding of a number in [1/2, 1], where 1 / (1 + e)
    # rounds twice
    np.subtract(1, s, out=r)
    omy = scratch("omy")
    np.subtract(1, y, out=omy)
    # with h = 1 for z >= 0 and 0 below: a = |y - (1 - h)|, b = |y - h|,
    # that is y or 1 - y exactly (y - 1 rounds as 1 - y does)
    h = nonnegative_mask(z)
    a = scratch("a")
    np.subtract(1, h, out=a)
    np.subtract(y, a, out=a)
    np.abs(a, out=a)
    b = scratch("b")
    np.subtract(y, h, out=b)
    np.abs(b, out=b)
    a *= s  # q = a s + b r
    np.multiply(b, r, out=r)
    a += r
    q = np.square(a, out=a) if gamma == 2 else np.power(a, gamma, out=a)
    np.log1p(e, out=e)  # ce = b |z| + log1p(e)
    b *= az
    b += e
    if alpha is None:
        np.copyto(out, q)
    else:
        # alpha_t = alpha y + (1 - alpha)(1 - y)
        np.multiply(y, alpha, out=out)
        omy *= 1 - alpha
        out += omy
        out *= q
    out *= b


def _sigmoid_focal_gradient(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dz of alpha_t q^gamma ce, with q = 1 - p_t.

    dq/dz = (1 - 2y) p (1 - p) and dce/dz = p - y, so the derivative is
    alpha_t q^gamma [gamma (1 - 2y) r ce + p - y] with r = p (1 - p) / q;
    no q^(gamma - 1) appears, so gamma < 1 is safe where q underflows.
    For y = 1 it is alpha (1 - p)^gamma (gamma p log p + p - 1).
    """
    y, z, alpha, gamma, dtype = _sigmoid_inputs(
        y_true, logits, alpha, gamma, reduction
    )
    parts = _sigmoid_parts(y, z, gamma)
    p, pn, q, ce = parts["p"], parts["pn"], parts["q"], parts["ce"]
    # r -> 1 as q -> 0: q underflows only for a hard label whose p_t is 1,
    # and then r is p (y = 1) or 1 - p (y = 0), both 1
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(q > 0, p * pn / q, 1)
    # p - y = (1 - y) p - y (1 - p): exact for hard labels, where the
    # direct difference sigma(z) - 1 would cancel
    bracket = gamma * (1 - 2 * y) * r * ce + ((1 - y) * p - y * pn)
    grad = _alpha_t(y, alpha) * parts["qg"] * bracket
    grad = reduce_gradient(grad.astype(z.dtype, copy=False), reduction,
                           count=grad.size)
    return grad.astype(dtype, copy=False)


# ---------------------------------------------------------------------------
# softmax (multi-class) focal loss
# ---------------------------------------------------------------------------


def _class_weights(
    alpha: object, num_classes: int, dtype: np.dtype
) -> np.ndarray | float | None:
    """None, a non-negative scalar, or one non-negative weight per class."""
    if alpha is None:
        return None
    if isinstance(alpha, numbers.Real):
        return check_scalar(alpha, "alpha", min_val=0.0)
    weights = as_float_array(alpha, "alpha")
    if weights.ndim == 0:
        return check_scalar(float(weights), "alpha", min_val=0.0)
    check_shape(weights, "alpha", [(), (num_classes,)],
                "a scalar or one weight per class")
    check_all_nonnegative(weights, "alpha")
    return weights.astype(dtype)


def _softmax_inputs(
    y_true: ArrayLike,
    logits: ArrayLike,
    gamma: float,
    alpha: object,
    axis: int,
    reduction: str,
) -> tuple[np.ndarray, np.ndarray, float, object, int]:
    """Labels, logits with the class axis last, gamma, alpha, class axis."""
    check_reduction(reduction)
    gamma = check_nonnegative(gamma, "gamma")
    z = as_float_array(logits, "logits")
    ax = check_class_axis(z, "logits", axis)
    num_classes = z.shape[ax]
    labels = as_labels(y_true, "y_true", num_classes)
    sample_shape = z.shape[:ax] + z.shape[ax + 1:]
    check_shape(labels, "y_true", sample_shape,
                f"one label per sample: the shape of logits without axis "
                f"{ax}")
    alpha = _class_weights(alpha, num_classes, z.dtype)
    return labels, np.moveaxis(z, ax, -1), gamma, alpha, ax


def _softmax_parts(labels: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """Per-sample pieces for logits ``z`` of shape (..., C).

    With w_c = exp(z_c - m), m the largest logit: ``probs`` = w / sum(w);
    ``q`` = 1 - p_t = sum_{c != t} w_c / sum(w), a sum over the other
    classes rather than 1 minus p_t; ``ce`` = -log p_t; ``pt`` = p_t.
    """
    t = labels[..., None]
    m = z.max(axis=-1, keepdims=True)
    w = exp_diff(z, m)
    w_t = np.take_along_axis(w, t, axis=-1)[..., 0]
    onehot = np.arange(z.shape[-1]) == t
    others = np.where(onehot, 0, w).sum(axis=-1)
    total = others + w_t
    z_t = np.take_along_axis(z, t, axis=-1)[..., 0]
    top = z_t == m[..., 0]
    with np.errstate(divide="ignore", over="ignore"):
        # (m - z_t beyond the float range rounds to inf: the loss is then
        # infinite in floating point, as it is beyond the range)
        # -log p_t = log(1 + sum_{c != t} w_c) when z_t is the largest
        # logit (w_t = 1): log1p keeps p_t near 1 exact; otherwise
        # -log p_t = (m - z_t) + log sum_c w_c, a sum of non-negatives
        ce = np.where(top, np.log1p(others), (m[..., 0] - z_t) + np.log(total))
    return {
        "probs": w / total[..., None],
        "pt": w_t / total,
        "q": others / total,
        "ce": ce,
        "onehot": onehot,
    }


def _per_sample_alpha(
    alpha: np.ndarray | float | None, labels: np.ndarray
) -> np.ndarray | float:
    if alpha is None:
        return 1.0
    if isinstance(alpha, float):
        return alpha
    return alpha[labels]


def softmax_focal_loss(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | ArrayLike | None = None,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Multi-class focal loss on logits, with integer labels.

    Softmax cross-entropy of the true class scaled by
    :math:`(1 - p_t)^\gamma`: use it for multi-class problems where easy,
    well-classified examples dominate the plain cross-entropy.

    .. math::

        \ell(t, z) = -\alpha_t\,(1 - p_t)^\gamma \log p_t, \qquad
        p_t = \frac{e^{z_t}}{\sum_c e^{z_c}},

    with :math:`t` = ``y_true`` (one label per sample), :math:`z` =
    ``logits`` along ``axis``, :math:`\gamma` = ``gamma`` and
    :math:`\alpha_t` the weight of class :math:`t` (``alpha[t]``, the
    scalar ``alpha``, or 1).

    Parameters
    ----------
    y_true : array-like of int, shape (...)
        Class labels in ``[0, C)``, the shape of ``logits`` without its
        class axis. Floats holding whole numbers are accepted.
    logits : array-like of shape (..., C, ...)
        Raw class scores, the classes along ``axis``.
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; ``gamma=0`` with ``alpha=None`` is
        :func:`lossbook.cross_entropy`.
    alpha : float, array-like of shape (C,) or None, default=None
        Class weights: ``None`` for none, a non-negative scalar (which only
        rescales the loss), or one non-negative weight per class.
    axis : int, default=-1
        The class axis of ``logits`` (``1`` for PyTorch's ``(N, C, ...)``).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the plain mean over samples, whatever ``alpha``.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` one value per
        sample, the shape of ``y_true``. float32 logits give float32,
        everything else float64.

    Raises
    ------
    ValueError
        If ``y_true`` does not have the shape of ``logits`` without
        ``axis``, holds non-integers or labels outside ``[0, C)``;
        ``logits`` is empty or holds NaN or infinity; ``axis`` is out of
        range; ``gamma < 0``; ``alpha`` is negative or has a length other
        than C; or ``reduction`` is unknown.
    TypeError
        If an input is not numeric, ``axis`` is not an integer, or
        ``gamma`` is not a real number.

    Notes
    -----
    With ``gamma=0`` and ``alpha=None`` it equals
    :func:`lossbook.cross_entropy`, which matches
    ``torch.nn.functional.cross_entropy``. With per-class ``alpha``,
    ``"mean"`` here is the plain mean :math:`\frac1N \sum_i \ell_i` of the
    weighted losses, as in Lin et al. and most focal-loss code, whereas
    ``cross_entropy`` with ``weight`` follows PyTorch and divides by the sum
    of the weights, :math:`\sum_i \ell_i / \sum_i \alpha_{t_i}`. A scalar
    ``alpha`` only rescales the loss, as in Keras's
    ``CategoricalFocalCrossentropy``. :math:`1 - p_t` is summed over the
    other classes' softmax probabilities rather than subtracted from 1, so
    a confident correct prediction keeps a small non-zero loss.

    The gradient with respect to the logits is
    :math:`\alpha_t (1 - p_t)^\gamma (p_k - [k = t])
    \bigl(1 + \gamma\,p_t(-\log p_t)/(1 - p_t)\bigr)`.

    See Also
    --------
    sigmoid_focal_loss : The binary, per-element form.
    lossbook.cross_entropy : The case ``gamma=0``.

    References
    ----------
    Lin, Goyal, Girshick, He and Dollár (2017), *Focal Loss for Dense
    Object Detection*, ICCV, arXiv:1708.02002 [lin2017focal].

    Examples
    --------
    >>> from lossbook.focal import softmax_focal_loss
    >>> # two equal logits: p_t = 1/2, (1/2)^2 * log 2
    >>> round(float(softmax_focal_loss([0], [[0.0, 0.0]])), 6)
    0.173287
    >>> # four equal logits: p_t = 1/4, (3/4)^2 * log 4
    >>> round(float(softmax_focal_loss([2], [[0.0, 0.0, 0.0, 0.0]])), 6)
    0.779791
    """
    labels, z, gamma, alpha, _ = _softmax_inputs(
        y_true, logits, gamma, alpha, axis, reduction
    )
    classes = z.shape[-1]
    flat_z = z.reshape(-1, classes)
    flat_labels = labels.reshape(-1)
    values = np.empty(flat_z.shape[0], z.dtype)
    finite = max_abs_exponent(z) < np.finfo(z.dtype).maxexp - 2
    def rows(sl: slice) -> None:
        q, ce = _softmax_focal_rows(flat_labels[sl], flat_z[sl], finite)
        with np.errstate(over="ignore"):  # a float32 loss beyond the range
            values[sl] = (_per_sample_alpha(alpha, flat_labels[sl])
                          * np.power(q, gamma) * ce)

    for_row_blocks(flat_z.shape[0], classes, rows)
    return reduce(values.reshape(labels.shape), reduction)


def _softmax_focal_rows(
    labels: np.ndarray, z: np.ndarray, finite: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``q = 1 - p_t`` and ``ce = -log p_t`` for one block of rows (R, C),
    as in :func:`_softmax_parts`; float32 logits are computed in float64,
    whose ``z - m`` holds their difference to far below a float32 ulp.
    ``finite=True`` promises that no ``z - m`` overflows."""
    rows = np.arange(z.shape[0])
    top = np.argmax(z, axis=-1)
    # near the float range float32 keeps its own arithmetic (as before)
    wide = z.dtype == np.float32 and finite
    m = z[rows, top][:, np.newaxis]
    if wide:
        # z - m in float64, the float32 logits cast on the fly (exactly);
        # z_t and m below are float64 too
        m = m.astype(np.float64)
        w = np.subtract(z, m, dtype=np.float64)
        np.exp(w, out=w)
    elif finite:
        # exp_diff without its overflow test: e + e lo
        w, lo = two_diff_finite(z, m)
        np.exp(w, out=w)
        lo *= w
        w += lo
    else:
        w = exp_diff(z, m)
    m = m[:, 0]
    z_t = z[rows, labels].astype(m.dtype)
    w_t = w[rows, labels]
    w[rows, labels] = 0.0
    others = np.add.reduce(w, axis=-1)
    total = others + w_t
    with np.errstate(divide="ignore", over="ignore"):
        # as in _softmax_parts: log1p keeps p_t near 1 exact when z_t is
        # the largest logit; otherwise a sum of non-negatives
        ce = np.where(z_t == m, np.log1p(others), (m - z_t) + np.log(total))
    return others / total, ce


def _softmax_focal_gradient(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | ArrayLike | None = None,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dz_k of alpha_t q^gamma ce, with q = 1 - p_t and ce = -log p_t.

    dp_t/dz_k = p_t([k = t] - p_k) gives
    alpha_t q^gamma (p_k - [k = t]) (1 + gamma p_t ce / q); p_t - 1 is
    written as -q, and ce / q -> 1 where q underflows.
    """
    labels, z, gamma, alpha, ax = _softmax_inputs(
        y_true, logits, gamma, alpha, axis, reduction
    )
    parts = _softmax_parts(labels, z)
    q, ce = parts["q"], parts["ce"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, ce / q, 1)
        # p_t ce / q -> 0 where p_t = e^-ce underflows (x e^-x -> 0), even
        # where ce itself rounded to inf
        pt_ratio = np.where(parts["pt"] > 0, parts["pt"] * ratio, 0)
    scale = (_per_sample_alpha(alpha, labels) * np.power(q, gamma)
             * (1 + gamma * pt_ratio))
    direction = np.where(parts["onehot"], -q[..., None], parts["probs"])
    grad = (scale[..., None] * direction).astype(z.dtype, copy=False)
    grad = reduce_gradient(grad, reduction, count=labels.size)
    return np.moveaxis(grad, -1, ax)


GRADIENTS: dict[Callable, Callable] = {
    sigmoid_focal_loss: _sigmoid_focal_gradient,
    softmax_focal_loss: _softmax_focal_gradient,
}
