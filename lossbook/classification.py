r"""Cross-entropy losses: binary and multi-class, on probabilities or logits.

Five losses, one idea: the negative log-likelihood of the target under the
predicted distribution. Functions named ``*_with_logits`` or taking
``logits`` apply the sigmoid or softmax themselves, in log space, and are
the ones to train with; those taking ``y_prob`` work on probabilities
that some other code produced.

Every value is exact: no clipping of probabilities, no ``+ eps`` inside a
logarithm. A true class given probability 0 costs ``inf``; PyTorch clamps
each log at -100 and Keras clips probabilities to ``[1e-7, 1 - 1e-7]``,
and the docstrings say where that changes the number.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossbook._blocks import (
    block_values,
    constant,
    flat,
    fused,
    reduce_blocks,
    scratch,
)
from lossbook._numerics import (
    LogPartition,
    for_row_blocks,
    log1p_exp_neg_abs,
    log_partition,
    max_abs_exponent,
    pow2_scale,
    sigmoid,
    softmax,
)
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_all_nonnegative,
    check_axis,
    check_broadcastable,
    check_class_axis,
    check_integer,
    check_none,
    check_positive_total,
    check_probabilities,
    check_reduction,
    check_rows_sum_to_one,
    check_same_shape,
    check_scalar,
    check_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = [
    "GRADIENTS",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "cross_entropy",
    "sparse_categorical_cross_entropy",
]

#: How far a row of ``y_prob`` may sum from 1 (the API contract's bound).
ROW_SUM_TOLERANCE = 1e-6


# --------------------------------------------------------------------------
# Private helpers, shared within the family; the sequence loss imports
# _weigh, and the focal losses may import the others
# --------------------------------------------------------------------------


def _neg_log(p: np.ndarray) -> np.ndarray:
    """``-log p``, ``inf`` at 0; callers silence the divide warning."""
    # 0 - log p rather than -log p: p = 1 gives +0.0, not -0.0
    return 0.0 - np.log(p)


def _neg_log1m(p: np.ndarray) -> np.ndarray:
    """``-log(1 - p)`` via log1p, accurate for p near 0; ``inf`` at 1."""
    return 0.0 - np.log1p(-p)


def _weigh(values: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """``weight * values``, where a zero weight also removes an ``inf``.

    A weight of 0 means "leave this term out", so it gives 0 even where the
    term is infinite (0 * inf would be NaN).
    """
    if weight is None:
        return values
    # a weighted term beyond the float range is inf, as it should be
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(weight > 0, weight * values, 0.0)


def _class_vector(
    value: ArrayLike,
    name: str,
    num_classes: int | None,
    dtype: np.dtype,
    *,
    allow_scalar: bool = False,
) -> np.ndarray:
    """A non-negative per-class vector of shape ``(C,)`` (or a scalar).

    ``num_classes=None`` (a 0-d prediction) allows only a scalar.
    """
    vec = as_float_array(value, name, dtype=dtype)
    shapes, meanings = [], []
    if allow_scalar or num_classes is None:
        shapes.append(())
        meanings.append("a scalar")
    if num_classes is not None:
        shapes.append((num_classes,))
        meanings.append("one weight per class")
    check_shape(vec, name, shapes, " or ".join(meanings))
    return check_all_nonnegative(vec, name)


def _elementwise_weight(
    weight: ArrayLike, like: np.ndarray, like_name: str
) -> np.ndarray:
    """A non-negative ``weight`` with exactly the shape of ``like``."""
    w = as_float_array(weight, "weight", dtype=like.dtype)
    check_same_shape(w, "weight", like, like_name)
    return check_all_nonnegative(w, "weight")


def _drop_axis(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1:]


# --------------------------------------------------------------------------
# Binary cross-entropy on probabilities
# --------------------------------------------------------------------------


def _bce_inputs(y_true, y_prob, weight):
    # the range scans below also refuse NaN and infinities
    y = as_float_array(y_true, "y_true", finite=False)
    p = as_float_array(y_prob, "y_prob", finite=False)
    check_probabilities(y, "y_true")
    check_probabilities(p, "y_prob")
    check_same_shape(y, "y_true", p, "y_prob")
    dtype = common_dtype(y, p)
    y, p = y.astype(dtype, copy=False), p.astype(dtype, copy=False)
    w = None if weight is None else _elementwise_weight(weight, p, "y_prob")
    return y, p, w


def binary_cross_entropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Binary cross-entropy (log loss) of predicted probabilities.

    Use it when the model already outputs probabilities :math:`p \in [0,
    1]` of the positive class. If it outputs logits, use
    :func:`binary_cross_entropy_with_logits`, which is stable where this
    one cannot be (a probability that rounded to 0 or 1 has lost the
    information).

    .. math::

        \ell_i = -w_i\,\bigl[y_i \log p_i + (1 - y_i)\log(1 - p_i)\bigr],
        \qquad y_i = \mathtt{y\_true}_i,\ p_i = \mathtt{y\_prob}_i,\
        w_i = \texttt{weight}_i

    with :math:`0 \log 0 = 0`, so a term whose coefficient is zero
    contributes nothing even at :math:`p_i \in \{0, 1\}`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1]: hard labels 0/1 or soft targets.
    y_prob : array-like of shape (...)
        Predicted probabilities in [0, 1], same shape as ``y_true``.
    weight : array-like of shape (...), default=None
        Non-negative weight per element, with exactly the shape of
        ``y_prob`` (no broadcasting: to weight by class, pass
        ``np.broadcast_to(w, y_prob.shape)``). ``None`` weighs every
        element 1. A zero weight drops its element even where the loss
        is infinite.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the plain mean of the weighted terms (not divided by
        the sum of weights, as in PyTorch).

    Returns
    -------
    numpy.ndarray
        ``"none"``: shape of ``y_prob``; ``"mean"``, ``"sum"``: a scalar.
        ``inf`` where a target with :math:`y_i > 0` gets :math:`p_i = 0`
        (or :math:`y_i < 1` gets :math:`p_i = 1`). The dtype is the common
        float dtype of ``y_true`` and ``y_prob``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, a value
        lies outside [0, 1], ``weight`` has another shape or a negative
        entry, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.binary_cross_entropy`` (``weight`` and
    all three reductions) except that PyTorch clamps each logarithm at
    -100, so one element's loss saturates at 100; here it is the true
    value, up to ``inf``. PyTorch also broadcasts ``weight``; lossbook
    requires its exact shape.

    Differs from ``keras.losses.binary_crossentropy``, which clips
    probabilities to ``[1e-7, 1 - 1e-7]`` (one element saturates at
    :math:`-\ln 10^{-7} \approx 16.118`) and averages over the last axis
    before its default batch mean.

    See Also
    --------
    binary_cross_entropy_with_logits : The same loss on logits, stable.
    categorical_cross_entropy : The multi-class loss on probabilities.

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, §4.3.2
    [bishop2006prml]. Paszke et al. (2019), *PyTorch* [paszke2019pytorch].

    Examples
    --------
    >>> from lossbook.classification import binary_cross_entropy

    A coin-flip prediction costs :math:`\ln 2` whatever the label:

    >>> round(float(binary_cross_entropy([1, 0], [0.5, 0.5])), 6)
    0.693147

    A true class given probability 0 costs infinity, not PyTorch's 100:

    >>> float(binary_cross_entropy([1.0], [0.0]))
    inf
    """
    check_reduction(reduction)
    y, p, w = _bce_inputs(y_true, y_prob, weight)
    inputs = (flat(y), flat(p)) + (() if w is None else (flat(w),))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fast = reduce_blocks(_bce_kernel, inputs, p.dtype, reduction, p.shape)
        if fast is not None:
            return fast
        values = block_values(_bce_kernel, inputs, p.dtype)
        # an infinite term makes the sum inf, as it should, silently
        return reduce(values.reshape(p.shape), reduction)


def _bce_kernel(
    out: np.ndarray, y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
) -> None:
    """``w [y (-log p) + (1 - y)(-log1p(-p))]`` for flat blocks, each
    product 0 where its coefficient is 0, so that 0 log 0 = 0.

    Every product is >= +0 or NaN, and NaN only where a zero coefficient
    meets an infinite log (0 * inf): ``fmax(x, 0)``, which ignores a NaN,
    turns exactly those into the 0 they stand for and leaves every other
    value as it is.
    """
    zero = constant(0)
    np.log(p, out=out)
    np.subtract(0.0, out, out=out)  # 0 - log p: p = 1 gives +0.0
    out *= y
    np.fmax(out, zero, out=out)
    neg = scratch("neg")
    np.negative(p, out=neg)
    np.log1p(neg, out=neg)
    np.subtract(0.0, neg, out=neg)
    one_minus = scratch("one_minus")
    np.subtract(1, y, out=one_minus)
    neg *= one_minus
    np.fmax(neg, zero, out=neg)
    out += neg
    if w is not None:
        # a zero weight also removes an inf (see _weigh)
        out *= w
        np.fmax(out, zero, out=out)


def _binary_cross_entropy_grad(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dp of :func:`binary_cross_entropy`: :math:`w(-y/p + (1-y)/(1-p))`.

    Infinite where the loss is infinite (:math:`y > 0, p = 0` or
    :math:`y < 1, p = 1`); a zero coefficient leaves its term out.
    """
    check_reduction(reduction)
    y, p, w = _bce_inputs(y_true, y_prob, weight)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = np.where(y > 0, -y / p, 0.0) + np.where(
            y < 1, (1 - y) / (1 - p), 0.0
        )
    return reduce_gradient(_weigh(grad, w), reduction, count=grad.size)


# --------------------------------------------------------------------------
# Binary cross-entropy on logits
# --------------------------------------------------------------------------


def _bce_logits_inputs(y_true, logits, weight, pos_weight):
    # the range scan also refuses NaN and infinities in y_true
    y = as_float_array(y_true, "y_true", finite=False)
    check_probabilities(y, "y_true")
    z = as_float_array(logits, "logits")
    check_same_shape(y, "y_true", z, "logits")
    dtype = common_dtype(y, z)
    y, z = y.astype(dtype, copy=False), z.astype(dtype, copy=False)
    w = None if weight is None else _broadcast_weight(weight, "weight", z)
    pw = None
    if pos_weight is not None:
        pw = _broadcast_weight(pos_weight, "pos_weight", z)
    return y, z, w, pw


def _broadcast_weight(
    value: ArrayLike, name: str, like: np.ndarray
) -> np.ndarray:
    """A non-negative weight broadcast to the shape of ``like`` (logits).

    PyTorch's rule for ``binary_cross_entropy_with_logits``: a scalar, a
    ``(C,)`` vector along the last axis, the full shape, or any shape
    that broadcasts to it; one that would enlarge the result is refused.
    """
    w = as_float_array(value, name, dtype=like.dtype)
    check_all_nonnegative(w, name)
    return check_broadcastable(w, name, like.shape, "logits")


def binary_cross_entropy_with_logits(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    pos_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Binary cross-entropy of :math:`\sigma(z)`, computed from the logit.

    The loss to train a binary or multi-label classifier with: it takes
    the raw score :math:`z` and never forms :math:`\sigma(z)`, so it is
    exact for any finite logit, where :func:`binary_cross_entropy` on a
    rounded :math:`\sigma(z)` saturates or overflows.

    .. math::

        \ell_i = -w_i\,\bigl[\pi_i\, y_i \log\sigma(z_i)
                 + (1 - y_i)\log\sigma(-z_i)\bigr]
               = w_i\,\bigl[\pi_i\, y_i\,\operatorname{softplus}(-z_i)
                 + (1 - y_i)\operatorname{softplus}(z_i)\bigr]

    with :math:`y = \mathtt{y\_true}`, :math:`z = \texttt{logits}`,
    :math:`w = \texttt{weight}`, :math:`\pi = \mathtt{pos\_weight}` and
    :math:`\operatorname{softplus}(x) = \log(1 + e^x)`, using
    :math:`1 - \sigma(z) = \sigma(-z)`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets in [0, 1]: hard labels 0/1 or soft targets.
    logits : array-like of shape (...)
        Real scores, same shape as ``y_true``; :math:`\sigma(z)` is the
        predicted probability of the positive class.
    weight : array-like broadcastable to the shape of logits, default=None
        Non-negative weight :math:`w` of each element's loss: a scalar,
        a ``(C,)`` vector along the last axis, the full shape, or any
        shape that broadcasts to it (PyTorch's rule). ``None`` weighs every
        element 1.
    pos_weight : array-like broadcastable to the shape of logits, default=None
        Non-negative weight :math:`\pi` of the positive term only, broadcast
        like ``weight``: usually a scalar or one value per class along the
        last axis (multi-label ``(..., C)`` layout). For PyTorch's ``(N, C,
        H, W)`` layout pass shape ``(C, 1, 1)``: a ``(C,)`` vector would
        broadcast along ``W``. With 100 positives and 300 negatives of a
        class, ``pos_weight = 3`` balances them. ``None`` means 1.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` is the plain mean of the weighted terms.

    Returns
    -------
    numpy.ndarray
        ``"none"``: shape of ``logits``; ``"mean"``, ``"sum"``: a scalar,
        in the common float dtype of ``y_true`` and ``logits``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, ``y_true``
        lies outside [0, 1], ``weight`` or ``pos_weight`` does not
        broadcast to the shape of ``logits`` or has a negative entry, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.binary_cross_entropy_with_logits``,
    including ``weight`` and ``pos_weight`` and their broadcasting against
    ``logits``; a weight whose shape would enlarge the result (which
    PyTorch allows, returning a larger loss) is refused. PyTorch returns
    NaN for a logit of ``+inf`` (pytorch/pytorch#102894); lossbook rejects
    infinite input.

    In floating point, ``binary_cross_entropy(y, sigmoid(z))`` differs
    from this for large :math:`|z|`: :math:`\sigma(40)` rounds to 1 in
    float64, so the probability form returns ``inf`` (PyTorch 100) for a
    negative label where the true loss is about 40.

    See Also
    --------
    binary_cross_entropy : The same loss on probabilities.
    lossbook.sigmoid_focal_loss : Down-weights easy examples.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §6.2.2.2
    [goodfellow2016dl]. Paszke et al. (2019), *PyTorch*
    [paszke2019pytorch].

    Examples
    --------
    >>> from lossbook.classification import binary_cross_entropy_with_logits

    A logit of 0 is probability 1/2, so each term is :math:`\ln 2`:

    >>> round(float(binary_cross_entropy_with_logits([1, 0], [0.0, 0.0])), 6)
    0.693147

    ``pos_weight=3`` triples the positive term: :math:`3\ln 2 + \ln 2`:

    >>> round(float(binary_cross_entropy_with_logits(
    ...     [1, 0], [0.0, 0.0], pos_weight=3.0, reduction="sum")), 6)
    2.772589

    A confident mistake costs its logit, :math:`\operatorname{softplus}
    (1000) = 1000`, where :math:`\sigma(1000)` would round to 1:

    >>> float(binary_cross_entropy_with_logits([0.0], [1000.0]))
    1000.0
    """
    check_reduction(reduction)
    y, z, w, pw = _bce_logits_inputs(y_true, logits, weight, pos_weight)
    if w is None and pw is None:
        inputs = (flat(y), flat(z))
        kernel = fused(_bce_logits_kernel, inputs, z.dtype, "bce_logits")
    else:
        # the broadcast weights, as flat arrays (copies) the blocks slice
        one = np.ones((), z.dtype)
        w = one if w is None else w
        pw = one if pw is None else pw
        kernel = _weighted_bce_logits_kernel
        inputs = (flat(y), flat(z), np.broadcast_to(w, z.shape).ravel(),
                  np.broadcast_to(pw, z.shape).ravel())
    # a weighted term beyond the float range is inf, as it should be
    with np.errstate(over="ignore"):
        fast = reduce_blocks(kernel, inputs, z.dtype, reduction, z.shape)
        if fast is not None:
            return fast
        values = block_values(kernel, inputs, z.dtype)
        # an infinite term makes the sum inf, as it should, silently
        return reduce(values.reshape(z.shape), reduction)


def _bce_logits_kernel(out: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    """``y softplus(-z) + (1 - y) softplus(z)`` for flat blocks.

    With ``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` this is
    ``(1 - y) max(z, 0) + y max(-z, 0) + L`` with
    ``L = log1p(exp(-|z|))``: a sum of non-negative terms, one of the
    first two exactly 0, so no digit cancels, and one ``exp`` and one
    ``log1p`` per element. ``max(-z, 0) = |z| - max(z, 0)`` exactly (one
    side of the difference is 0 or both are equal).
    """
    az = scratch("az")
    log1p_exp_neg_abs(out, z, az)
    relu = scratch("relu")
    np.maximum(z, constant(0), out=relu)
    coef = scratch("coef")
    np.subtract(1, y, out=coef)
    coef *= relu
    np.subtract(az, relu, out=relu)
    relu *= y
    coef += relu
    out += coef


def _weighted_bce_logits_kernel(
    out: np.ndarray, y: np.ndarray, z: np.ndarray, w: np.ndarray,
    pw: np.ndarray,
) -> None:
    """``w [pw y softplus(-z) + (1 - y) softplus(z)]`` for flat blocks,
    a zero weight removing its term even where it is infinite."""
    az = scratch("az")
    tail = scratch("tail")
    log1p_exp_neg_abs(tail, z, az)
    pos = scratch("pos")
    np.minimum(z, 0, out=pos)
    np.subtract(tail, pos, out=pos)  # softplus(-z) = max(-z, 0) + L
    pos *= y
    skip = scratch("skip", np.bool_)
    pos *= pw
    np.equal(pw, 0, out=skip)
    pos[skip] = 0.0
    np.maximum(z, 0, out=out)
    out += tail  # softplus(z)
    np.subtract(1, y, out=az)
    out *= az
    out += pos
    out *= w
    np.equal(w, 0, out=skip)
    out[skip] = 0.0


def _binary_cross_entropy_with_logits_grad(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    pos_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dz of :func:`binary_cross_entropy_with_logits`.

    :math:`w[(1 - y)\sigma(z) - \pi y\,\sigma(-z)]`, which is
    :math:`w[(\pi y + 1 - y)\sigma(z) - \pi y]`; written with
    :math:`\sigma(-z)` so that a hard label never subtracts two nearly
    equal numbers.
    """
    check_reduction(reduction)
    y, z, w, pw = _bce_logits_inputs(y_true, logits, weight, pos_weight)
    pos = y * sigmoid(-z)
    if pw is not None:
        pos = pos * pw
    grad = (1 - y) * sigmoid(z) - pos
    return reduce_gradient(_weigh(grad, w), reduction, count=grad.size)


# --------------------------------------------------------------------------
# Softmax cross-entropy on logits (index or probability targets)
# --------------------------------------------------------------------------


class _CrossEntropyInputs(NamedTuple):
    z: np.ndarray  # logits with the class axis moved last
    axis: int  # the class axis of the caller's layout
    labels: np.ndarray | None  # index targets, ignored entries set to 0
    valid: np.ndarray | None  # index targets: False where ignored
    target: np.ndarray | None  # probability targets, class axis last
    weight: np.ndarray | None  # (C,)
    smoothing: float


def _cross_entropy_inputs(
    y_true, logits, axis, weight, ignore_index, label_smoothing
) -> _CrossEntropyInputs:
    z = as_float_array(logits, "logits")
    axis = check_class_axis(z, "logits", axis)
    num_classes = z.shape[axis]
    label_shape = _drop_axis(z.shape, axis)
    if ignore_index is not None:
        ignore_index = check_integer(ignore_index, "ignore_index")
    smoothing = check_scalar(
        label_smoothing, "label_smoothing", min_val=0.0, max_val=1.0
    )
    y = as_float_array(y_true, "y_true")
    check_shape(
        y, "y_true", [label_shape, z.shape],
        "class labels (logits.shape without axis) or probabilities "
        "(logits.shape)",
    )
    labels = valid = target = None
    if y.shape == label_shape:
        labels = as_labels(
            y_true, "y_true", num_classes, ignore_index=ignore_index
        )
        valid = np.ones(labels.shape, dtype=bool)
        if ignore_index is not None:
            valid = labels != ignore_index
            labels = np.where(valid, labels, 0)
        dtype = z.dtype
    else:
        check_none(
            ignore_index, "ignore_index",
            when="with probability targets (they have no labels to ignore)",
        )
        check_probabilities(y, "y_true")
        dtype = common_dtype(y, z)
        target = np.moveaxis(y.astype(dtype, copy=False), axis, -1)
    z = np.moveaxis(z.astype(dtype, copy=False), axis, -1)
    if weight is not None:
        weight = _class_vector(weight, "weight", num_classes, dtype)
    return _CrossEntropyInputs(
        z, axis, labels, valid, target, weight, smoothing
    )


def _scale_free_weight(
    inp: _CrossEntropyInputs, reduction: str
) -> _CrossEntropyInputs:
    """The weighted mean of index targets divides by ``sum w[y]``, so it
    does not change when every weight is divided by one power of two
    (exactly): with the largest weight below 1, ``w * loss`` cannot
    overflow for weights near 1e308."""
    if reduction != "mean" or inp.labels is None or inp.weight is None:
        return inp
    w = np.ldexp(inp.weight, -pow2_scale(inp.weight)).astype(inp.z.dtype)
    return inp._replace(weight=w)


def _label_weights(inp: _CrossEntropyInputs) -> np.ndarray:
    """``w[y_n]`` per index target, 0 where ignored: the mean's divisor."""
    if inp.weight is None:
        w_y = np.ones(inp.labels.shape, dtype=inp.z.dtype)
    else:
        w_y = inp.weight[inp.labels]
    return np.where(inp.valid, w_y, 0.0)


def _check_mean_divisor(inp: _CrossEntropyInputs, divisor) -> None:
    """The weighted mean needs a positive total weight of kept targets."""
    if inp.weight is None:
        check_positive_total(
            divisor, "y_true labels (ignore_index excluded)",
            what="the number",
        )
    else:
        check_positive_total(
            divisor, "weight[y_true] (ignore_index excluded)"
        )


def _smoothed_target(inp: _CrossEntropyInputs) -> np.ndarray:
    """The dense target the loss is the cross-entropy against."""
    eps = inp.smoothing
    num_classes = inp.z.shape[-1]
    if inp.target is not None:
        target = inp.target
    else:
        classes = np.arange(num_classes)
        onehot = classes == inp.labels[..., np.newaxis]
        target = onehot.astype(inp.z.dtype)
    if eps > 0:
        # torch's order of operations: y (1 - eps) + eps / C
        target = target * (1 - eps) + eps / num_classes
    return target


def cross_entropy(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Softmax cross-entropy from logits, with PyTorch's options.

    The standard loss for single-label multi-class classification: the
    model outputs one unnormalised score per class and this applies the
    softmax itself, in log space. ``y_true`` is either integer labels or
    a probability vector per sample (soft targets, mixup, distillation).

    .. math::

        \ell_n = -\sum_{c=0}^{C-1} w_c\, \tilde y_{n,c}
                 \log \frac{e^{z_{n,c}}}{\sum_j e^{z_{n,j}}},
        \qquad \tilde y_{n,c} = (1 - \varepsilon)\, y_{n,c}
                 + \frac{\varepsilon}{C}

    with :math:`z = \texttt{logits}`, :math:`w = \texttt{weight}`,
    :math:`\varepsilon = \mathtt{label\_smoothing}`, and :math:`y_{n,c}`
    the one-hot vector of label :math:`y_n` for index targets. For those,
    the loss is equivalently
    :math:`(1-\varepsilon)\, w_{y_n}(-\log p_{n,y_n}) +
    \frac{\varepsilon}{C}\sum_c w_c(-\log p_{n,c})`, the form PyTorch
    computes.

    Parameters
    ----------
    y_true : array-like
        Either integer labels in ``[0, C)`` with the shape of ``logits``
        without ``axis`` (floats holding whole numbers are accepted), or
        probabilities in [0, 1] with the shape of ``logits``. The shape
        decides which; probability rows are not required to sum to 1.
    logits : array-like of shape (..., C, ...)
        Unnormalised scores, classes along ``axis``.
    axis : int, default=-1
        The class axis of ``logits``; ``axis=1`` is PyTorch's
        ``(N, C, d1, ...)`` layout.
    weight : array-like of shape (C,), default=None
        Non-negative weight per class, :math:`w_c`. ``None`` means 1.
    ignore_index : int, default=None
        Index targets only: a label value (any integer, inside
        ``[0, C)`` or not) whose samples contribute 0 to the loss and are
        left out of the mean's divisor. ``None`` ignores nothing. Passing
        it with probability targets is an error.
    label_smoothing : float, default=0.0
        :math:`\varepsilon \in [0, 1]`: mixes the target with the uniform
        distribution over the ``C`` classes.
    reduction : {"mean", "sum", "none"}, default="mean"
        For index targets ``"mean"`` is the weighted mean
        :math:`\sum_n \ell_n / \sum_n w_{y_n}` over non-ignored samples
        (so it is not the mean of the ``"none"`` output when ``weight`` is
        given); for probability targets it is :math:`\frac1N\sum_n
        \ell_n`, divided by the number of samples, not by any weight sum.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``logits`` without ``axis``, 0 at
        ignored samples; ``"mean"``, ``"sum"``: a scalar. The dtype is
        that of ``logits`` (of ``y_true`` and ``logits`` together for
        probability targets).

    Raises
    ------
    ValueError
        If ``y_true`` has neither allowed shape, holds non-integer or
        out-of-range labels or probabilities outside [0, 1]; an input is
        empty or not finite; ``weight`` is not ``(C,)`` or has a negative
        entry; ``ignore_index`` is given with probability targets;
        ``label_smoothing`` is outside [0, 1]; ``axis`` is out of range;
        ``reduction`` is unknown; or ``"mean"`` would divide by zero
        because every label is ignored or has weight 0 (PyTorch returns
        NaN there).
    TypeError
        If an input is not numeric, or ``axis`` or ``ignore_index`` is not
        an integer.

    Notes
    -----
    Matches ``torch.nn.functional.cross_entropy`` with the class dimension
    at ``axis``, including its two ``"mean"`` rules and its label
    smoothing. For index targets with ``weight``, PyTorch weights the
    smoothing term by :math:`w_c` as well and divides it too by
    :math:`\sum_n w_{y_n}`, and it zeroes it at ignored samples
    (``aten/src/ATen/native/LossNLL.cpp``,
    ``cross_entropy_loss_label_smoothing``); lossbook does the same. Its
    ``ignore_index`` defaults to -100, lossbook's to ``None``.

    Keras's ``categorical_crossentropy`` and
    ``sparse_categorical_crossentropy`` with ``from_logits=True`` give the
    same per-sample values without class weights; their label smoothing
    is :math:`y(1-\varepsilon) + \varepsilon/C` too.

    The minimum over logits is the entropy of :math:`\tilde y`, which is
    0 only for a one-hot target with no smoothing.

    See Also
    --------
    categorical_cross_entropy : The same loss on probabilities.
    sparse_categorical_cross_entropy : Integer labels, on probabilities.
    lossbook.sequence_cross_entropy : Token-level, with a mask.
    lossbook.softmax_focal_loss : Down-weights easy examples.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §6.2.2.3
    [goodfellow2016dl]. Szegedy et al. (2016), *Rethinking the Inception
    Architecture for Computer Vision* (label smoothing)
    [szegedy2016rethinking]. Paszke et al. (2019), *PyTorch*
    [paszke2019pytorch].

    Examples
    --------
    >>> from lossbook.classification import cross_entropy

    Equal logits give each of 3 classes probability 1/3, a loss of
    :math:`\ln 3`:

    >>> round(float(cross_entropy([2], [[0.0, 0.0, 0.0]])), 6)
    1.098612

    Class weights change the mean's divisor: losses :math:`\ln 2` and
    :math:`3 \ln 2`, divided by :math:`1 + 3`, give :math:`\ln 2`, not
    the :math:`2 \ln 2` that averaging the ``"none"`` output gives:

    >>> round(float(cross_entropy([0, 1], [[0.0, 0.0], [0.0, 0.0]],
    ...                           weight=[1.0, 3.0])), 6)
    0.693147
    """
    check_reduction(reduction)
    inp = _scale_free_weight(_cross_entropy_inputs(
        y_true, logits, axis, weight, ignore_index, label_smoothing
    ), reduction)
    dtype = inp.z.dtype
    # logits beyond half the float range: compute the losses halved and
    # let reduce double the result, so a representable mean stays finite
    top = max_abs_exponent(inp.z)
    k = int(top >= np.finfo(dtype).maxexp)
    classes = inp.z.shape[-1]
    z = inp.z.reshape(-1, classes)
    batch = inp.z.shape[:-1]

    # near the float range (and in the halved frame) float32 keeps its
    # own arithmetic, whose rounding at the overflow threshold the range
    # guarantees were established with
    finite = top < np.finfo(dtype).maxexp - 2

    def partition(sl: slice) -> LogPartition:
        """-log softmax of one block of rows."""
        return log_partition(z[sl], halve=bool(k), finite=finite,
                             wide=finite)

    if inp.target is not None:
        target = inp.target.reshape(-1, classes)
        values = np.empty(z.shape[0], dtype)

        def soft_rows(sl: slice) -> None:
            part = partition(sl)
            tgt = target[sl]
            if inp.smoothing > 0:
                # torch's order of operations: y (1 - eps) + eps / C
                tgt = tgt * (1 - inp.smoothing) + inp.smoothing / classes
            coef = tgt if inp.weight is None else tgt * inp.weight
            with np.errstate(over="ignore"):
                nlp = part.full().astype(dtype)
            values[sl] = _weigh(nlp, coef).sum(axis=-1)

        for_row_blocks(z.shape[0], classes, soft_rows)
        return reduce(values.reshape(batch), reduction, scale=k)
    divisor = _label_weights(inp)
    if reduction == "mean":
        _check_mean_divisor(inp, divisor)
    eps = inp.smoothing
    labels = inp.labels.reshape(-1)
    nll = np.empty(z.shape[0], dtype)
    smoothing = np.empty(z.shape[0], dtype) if eps > 0 else None
    if eps > 0:
        scale = np.where(inp.valid.reshape(-1), dtype.type(eps / classes), 0)

    def label_rows(sl: slice) -> None:
        part = partition(sl)
        with np.errstate(over="ignore"):  # float32 beyond its range: inf
            nll[sl] = part.at(labels[sl])
        if eps > 0:
            # torch's smoothing term: (eps / C) sum_c w_c (-log p_c)
            with np.errstate(over="ignore"):
                weighted = _weigh(part.full().astype(dtype), inp.weight)
            with np.errstate(over="ignore"):
                term = _weigh(weighted.sum(axis=-1), scale[sl])
                if not np.isfinite(term).all():
                    # the class sum overflowed: scale each term first
                    term = np.where(
                        np.isfinite(term), term,
                        _weigh(weighted, scale[sl, None]).sum(axis=-1))
            smoothing[sl] = term

    for_row_blocks(z.shape[0], classes, label_rows)
    values = _weigh(nll.reshape(batch), divisor * dtype.type(1 - eps))
    if eps > 0:
        with np.errstate(over="ignore"):
            values = values + smoothing.reshape(batch)
    return reduce(values, reduction, weights=divisor, scale=k)


def _cross_entropy_grad(
    y_true: ArrayLike,
    logits: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dz of :func:`cross_entropy`: :math:`(\sum_c w_c \tilde y_c) p - w
    \odot \tilde y`.

    Without weights this is the familiar :math:`p - \tilde y`; it is 0 at
    ignored samples and divided by the same divisor as the loss.
    """
    check_reduction(reduction)
    inp = _scale_free_weight(_cross_entropy_inputs(
        y_true, logits, axis, weight, ignore_index, label_smoothing
    ), reduction)
    target = _smoothed_target(inp)
    if inp.weight is not None:
        target = target * inp.weight
    p = softmax(inp.z, -1)
    grad = target.sum(axis=-1, keepdims=True) * p - target
    if inp.labels is None:
        grad = reduce_gradient(grad, reduction, count=p[..., 0].size)
    else:
        divisor = _label_weights(inp)
        if reduction == "mean":
            _check_mean_divisor(inp, divisor)
        grad = np.where(inp.valid[..., np.newaxis], grad, 0.0)
        grad = reduce_gradient(grad, reduction, weights=divisor)
    return np.moveaxis(grad, -1, inp.axis)


# --------------------------------------------------------------------------
# Cross-entropy on probabilities (Keras's names)
# --------------------------------------------------------------------------


def _categorical_inputs(y_true, y_prob, axis):
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_prob, "y_prob")
    check_same_shape(y, "y_true", p, "y_prob")
    axis = check_axis(axis, p.ndim)
    check_probabilities(y, "y_true")
    check_probabilities(p, "y_prob")
    check_rows_sum_to_one(p, "y_prob", axis, ROW_SUM_TOLERANCE)
    dtype = common_dtype(y, p)
    return y.astype(dtype, copy=False), p.astype(dtype, copy=False), axis


def categorical_cross_entropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Cross-entropy between target and predicted class probabilities.

    Use it when the model outputs a probability vector per sample (after
    its own softmax) and the targets are one-hot or soft. Prefer
    :func:`cross_entropy` on logits for training: it cannot lose a small
    probability to rounding.

    .. math::

        \ell_n = -\sum_{c} y_{n,c} \log p_{n,c},
        \qquad y = \mathtt{y\_true},\ p = \mathtt{y\_prob},

    with :math:`0 \log 0 = 0`.

    Parameters
    ----------
    y_true : array-like of shape (..., C, ...)
        Target probabilities in [0, 1] (one-hot or soft); rows need not
        sum to 1.
    y_prob : array-like of shape (..., C, ...)
        Predicted probabilities, same shape; each row along ``axis`` must
        sum to 1 within ``1e-6`` (summed in float64).
    axis : int, default=-1
        The class axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the rows (samples).

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_prob`` without ``axis``; ``"mean"``,
        ``"sum"``: a scalar. ``inf`` where a class with
        :math:`y_{n,c} > 0` has :math:`p_{n,c} = 0`.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, a value
        lies outside [0, 1], a row of ``y_prob`` does not sum to 1,
        ``axis`` is out of range or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``axis`` is not an integer.

    Notes
    -----
    Matches ``keras.losses.categorical_crossentropy`` (with
    ``from_logits=False``) without its clipping: Keras first rescales each
    row of ``y_prob`` to sum to 1, then clips it to ``[1e-7, 1 - 1e-7]``,
    so a zero probability costs at most :math:`-\ln 10^{-7} \approx
    16.118` per unit of target. lossbook refuses rows that do not sum to
    1 instead of rescaling them, and returns the true value.

    See Also
    --------
    cross_entropy : The same loss from logits, with weights and smoothing.
    sparse_categorical_cross_entropy : Integer labels instead of one-hot.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, §3.13
    (cross-entropy) [goodfellow2016dl]. Chollet et al. (2015), *Keras*
    [chollet2015keras].

    Examples
    --------
    >>> from lossbook.classification import categorical_cross_entropy

    Probability 3/4 on the true class costs :math:`\ln(4/3)`:

    >>> round(float(categorical_cross_entropy([[0, 1]], [[0.25, 0.75]])), 6)
    0.287682

    Probability 0 on it costs infinity (Keras: about 16.118):

    >>> float(categorical_cross_entropy([[1, 0]], [[0.0, 1.0]]))
    inf
    """
    check_reduction(reduction)
    y, p, axis = _categorical_inputs(y_true, y_prob, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * _neg_log(p), 0.0)
    return reduce(terms.sum(axis=axis), reduction)


def _categorical_cross_entropy_grad(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dp of :func:`categorical_cross_entropy`: :math:`-y/p`.

    The partial derivative in every coordinate, ignoring the constraint
    that a row sums to 1; ``-inf`` where :math:`y > 0, p = 0`, 0 where
    :math:`y = 0`.
    """
    check_reduction(reduction)
    y, p, axis = _categorical_inputs(y_true, y_prob, axis)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = np.where(y > 0, -y / p, 0.0)
    rows = grad.size // grad.shape[axis]
    return reduce_gradient(grad, reduction, count=rows)


def _sparse_inputs(y_true, y_prob, axis):
    p = as_float_array(y_prob, "y_prob")
    axis = check_axis(axis, p.ndim)
    labels = as_labels(y_true, "y_true", p.shape[axis])
    check_shape(
        labels, "y_true", _drop_axis(p.shape, axis),
        "the shape of y_prob without its class axis",
    )
    check_probabilities(p, "y_prob")
    check_rows_sum_to_one(p, "y_prob", axis, ROW_SUM_TOLERANCE)
    return labels, p, axis


def sparse_categorical_cross_entropy(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Cross-entropy of integer labels against predicted probabilities.

    :func:`categorical_cross_entropy` with the one-hot target stored as
    its index: the negative log of the probability given to the true
    class. Use it when the model outputs probabilities and the labels are
    integers.

    .. math::

        \ell_n = -\log p_{n, y_n},
        \qquad y = \mathtt{y\_true},\ p = \mathtt{y\_prob}

    Parameters
    ----------
    y_true : array-like of shape (...)
        Integer labels in ``[0, C)``, the shape of ``y_prob`` without
        ``axis`` (floats holding whole numbers are accepted).
    y_prob : array-like of shape (..., C, ...)
        Predicted probabilities; each row along ``axis`` must sum to 1
        within ``1e-6`` (summed in float64), as for
        :func:`categorical_cross_entropy`.
    axis : int, default=-1
        The class axis of ``y_prob``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the samples.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_true``; ``"mean"``, ``"sum"``: a
        scalar, in the dtype of ``y_prob``. ``inf`` where the true class
        has probability 0.

    Raises
    ------
    ValueError
        If a label is not an integer in ``[0, C)``, ``y_true`` does not
        have the shape of ``y_prob`` without ``axis``, ``y_prob`` is empty,
        not finite, outside [0, 1] or has a row not summing to 1, ``axis``
        is out of range or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``axis`` is not an integer.

    Notes
    -----
    Matches ``keras.losses.sparse_categorical_crossentropy`` (with
    ``from_logits=False``) without its clipping of probabilities to
    ``[1e-7, 1 - 1e-7]``; Keras's ``ignore_class`` has no counterpart
    here (use :func:`cross_entropy` with ``ignore_index`` on logits).
    Keras does not check the row sums; lossbook does, so that a vector
    that is not a distribution is caught rather than scored. Passing
    one-hot targets to the sparse loss, or labels to the categorical one,
    is a common mistake (keras-team/keras#7749); the shape check here
    catches it.

    See Also
    --------
    categorical_cross_entropy : One-hot or soft targets.
    cross_entropy : From logits, with weights, ignore_index, smoothing.

    References
    ----------
    Chollet et al. (2015), *Keras* [chollet2015keras].

    Examples
    --------
    >>> from lossbook.classification import sparse_categorical_cross_entropy

    Probability 1/4 on the true class costs :math:`\ln 4`:

    >>> round(float(sparse_categorical_cross_entropy([0], [[0.25, 0.75]])),
    ...       6)
    1.386294
    """
    check_reduction(reduction)
    labels, p, axis = _sparse_inputs(y_true, y_prob, axis)
    picked = np.take_along_axis(p, np.expand_dims(labels, axis), axis=axis)
    with np.errstate(divide="ignore"):
        values = _neg_log(np.squeeze(picked, axis=axis))
    return reduce(values, reduction)


def _sparse_categorical_cross_entropy_grad(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""d/dp of :func:`sparse_categorical_cross_entropy`.

    :math:`-1/p_{n,y_n}` at the true class and 0 elsewhere (``-inf`` where
    that probability is 0).
    """
    check_reduction(reduction)
    labels, p, axis = _sparse_inputs(y_true, y_prob, axis)
    index = np.expand_dims(labels, axis)
    picked = np.take_along_axis(p, index, axis=axis)
    grad = np.zeros_like(p)
    with np.errstate(divide="ignore", over="ignore"):  # -1 / subnormal
        np.put_along_axis(grad, index, -1 / picked, axis=axis)
    return reduce_gradient(grad, reduction, count=labels.size)


GRADIENTS = {
    binary_cross_entropy: _binary_cross_entropy_grad,
    binary_cross_entropy_with_logits: _binary_cross_entropy_with_logits_grad,
    cross_entropy: _cross_entropy_grad,
    categorical_cross_entropy: _categorical_cross_entropy_grad,
    sparse_categorical_cross_entropy: _sparse_categorical_cross_entropy_grad,
}
