r"""Probabilities and likelihoods: NLL, KL divergence, distillation, and the
negative log-likelihoods of regression (Gaussian, Poisson) with the two
relative errors, MAPE and MSLE.

Each loss is the exact value, computed stably: no ``eps`` added inside a
logarithm, no variance clamped, no probability clipped. PyTorch and Keras
do each of these somewhere, and every docstring says how far that moves
their number. The SymPy definitions are in
:mod:`lossbook.symbolic.likelihoods`, the derivatives in :data:`GRADIENTS`
(and, for ``gaussian_nll_loss``'s ``var``, in :data:`PARTIALS`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import exp_diff, neg_log_softmax, two_diff
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_all_nonnegative,
    check_axis,
    check_bool,
    check_integer,
    check_not_equal,
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
from lossbook.classification import (
    ROW_SUM_TOLERANCE,
    _class_vector,
    _drop_axis,
    _weigh,
)

__all__ = [
    "GRADIENTS",
    "PARTIALS",
    "distillation_loss",
    "gaussian_nll_loss",
    "kl_divergence",
    "mape",
    "msle",
    "nll_loss",
    "poisson_nll_loss",
]

#: Terms of the series for the KL term below; 0.5625**64 / 129 < 1e-18.
_SERIES_TERMS = 64
#: |s| below which a KL term is summed as a series (r = y/p in [1/7, 7]).
_SERIES_LIMIT = 0.75


# ---------------------------------------------------------------------------
# shared numerics
# ---------------------------------------------------------------------------


def _kl_terms(y: np.ndarray, p: np.ndarray, s: np.ndarray,
              log_ratio: np.ndarray) -> np.ndarray:
    r"""``y log(y/p) - y + p`` per class, each to a few ulp, all >= 0.

    With :math:`s = (y - p)/(y + p)`, :math:`y/p = (1 + s)/(1 - s)`, and
    the term is :math:`(y + p)\,T(s)` with
    :math:`T(s) = \sum_{k \ge 1} s^{2k}/(2k - 1) + s^{2k+1}/(2k + 1)`, a
    series of terms that barely cancel for :math:`|s| \le 3/4`; the plain
    form cancels badly near :math:`y = p`, where the term is
    :math:`\approx (y - p)^2 / (2p)`. Beyond, ``y * log_ratio - (y - p)``
    loses at most a factor 3 to cancellation. ``y = 0`` gives ``p``; ``p = 0``
    with ``y > 0`` gives ``inf``.
    """
    q = s * s
    small = np.abs(s) <= _SERIES_LIMIT
    qs = np.where(small, q, 0.0)
    odd = np.zeros_like(q)  # sum_j q^j / (2j + 1)
    odd3 = np.zeros_like(q)  # sum_j q^j / (2j + 3)
    for j in range(_SERIES_TERMS - 1, -1, -1):
        odd = odd * qs + 1.0 / (2 * j + 1)
        odd3 = odd3 * qs + 1.0 / (2 * j + 3)
    series = (y + p) * (qs * (odd + s * odd3))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = np.where(y > 0, y * log_ratio, 0.0) - (y - p)
        direct = np.where((p == 0) & (y > 0), np.inf, direct)
    return np.where(small, series, direct)


def _two_prod(a: np.ndarray, b: np.ndarray):
    """``hi, lo`` with ``hi = fl(a * b)`` and ``hi + lo == a * b`` exactly.

    Dekker's product: each factor is split into two halves of 26 bits,
    whose partial products are exact. Where a factor is too large to
    split (beyond about 1e300) ``lo`` is 0.
    """
    split = a.dtype.type(134217729.0 if a.dtype == np.float64 else 4097.0)
    with np.errstate(over="ignore", invalid="ignore"):
        hi = a * b
        ca, cb = split * a, split * b
        a_hi, b_hi = ca - (ca - a), cb - (cb - b)
        a_lo, b_lo = a - a_hi, b - b_hi
        lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        return hi, np.where(np.isfinite(lo), lo, 0.0)


def _compensated_sum(terms: np.ndarray, lows: np.ndarray) -> np.ndarray:
    """``sum(terms + lows)`` along the last axis, Neumaier-compensated."""
    total = np.zeros(terms.shape[:-1], dtype=terms.dtype)
    carry = lows.sum(axis=-1)
    for c in range(terms.shape[-1]):
        hi, lo = two_diff(total, -terms[..., c])
        total, carry = hi, carry + lo
    return total + carry


# ---------------------------------------------------------------------------
# negative log-likelihood of log-probabilities
# ---------------------------------------------------------------------------


def _nll_inputs(y_true, log_probs, axis, weight, ignore_index):
    lp = as_float_array(log_probs, "log_probs", allow_inf=True)
    with np.errstate(over="ignore"):
        # a log-probability is <= 0 (and -inf for probability 0): its exp
        # is a probability
        check_probabilities(np.exp(lp), "exp(log_probs)")
    axis = check_axis(axis, lp.ndim)
    num_classes = lp.shape[axis]
    if ignore_index is not None:
        ignore_index = check_integer(ignore_index, "ignore_index")
    labels = as_labels(y_true, "y_true", num_classes,
                       ignore_index=ignore_index)
    check_shape(labels, "y_true", _drop_axis(lp.shape, axis),
                "the shape of log_probs without its class axis")
    valid = np.ones(labels.shape, dtype=bool)
    if ignore_index is not None:
        valid = labels != ignore_index
        labels = np.where(valid, labels, 0)
    lp = np.moveaxis(lp, axis, -1)
    w_y = np.ones(labels.shape, dtype=lp.dtype)
    if weight is not None:
        w = _class_vector(weight, "weight", num_classes, lp.dtype)
        w_y = w[labels]
    divisor = np.where(valid, w_y, 0.0).astype(lp.dtype, copy=False)
    return lp, labels, divisor, axis


def _check_divisor(divisor: np.ndarray, weighted: bool) -> None:
    what = "weight[y_true]" if weighted else "y_true labels"
    check_positive_total(divisor, f"{what} (ignore_index excluded)",
                         what="the sum" if weighted else "the number")


def nll_loss(
    y_true: ArrayLike,
    log_probs: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Negative log-likelihood of integer labels under log-probabilities.

    The second half of softmax cross-entropy: given log-probabilities
    (the output of :func:`lossbook.log_softmax`), the loss of a sample is
    minus the entry of its label. ``nll_loss(y, log_softmax(z))`` equals
    ``cross_entropy(y, z)``.

    .. math::

        \ell_n = -w_{y_n}\,\mathtt{log\_probs}_{n, y_n},
        \qquad \text{"mean"}:\ \frac{\sum_n \ell_n}{\sum_n w_{y_n}}

    over the samples whose label is not ``ignore_index``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Integer labels in ``[0, C)`` (or ``ignore_index``), the shape of
        ``log_probs`` without ``axis``.
    log_probs : array-like of shape (..., C, ...)
        Log-probabilities, each <= 0 (``-inf`` allowed: probability 0).
        Rows need not be normalised, as in PyTorch.
    axis : int, default=-1
        The class axis; ``axis=1`` for PyTorch's ``(N, C, ...)`` layout.
    weight : array-like of shape (C,), default=None
        Non-negative weight per class.
    ignore_index : int, default=None
        A label value whose samples contribute nothing and are not counted.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides by the sum of the kept samples' class weights
        (their number without ``weight``), as PyTorch does.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_true`` (0 at ignored samples);
        otherwise a scalar, in the dtype of ``log_probs``.

    Raises
    ------
    ValueError
        If a label is not an integer in ``[0, C)``, the shapes do not fit,
        a log-probability is positive, +inf or NaN, ``weight`` is not a
        non-negative ``(C,)`` vector, every sample is ignored (or weighted
        0) under ``"mean"``, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``axis``/``ignore_index`` is not an
        integer.

    Notes
    -----
    Matches ``torch.nn.functional.nll_loss`` with the class dimension at
    ``axis``, weights and ``ignore_index`` included (PyTorch's default
    ``ignore_index`` is -100, lossbook's ``None``; PyTorch returns NaN
    where every sample is ignored). PyTorch accepts any real input;
    lossbook refuses a positive "log-probability", which catches
    probabilities or logits passed by mistake. The gradient is
    :math:`-w_{y_n}/\sum w` at the label's entry and 0 elsewhere.

    See Also
    --------
    lossbook.cross_entropy : The same loss from logits.
    lossbook.log_softmax : Log-probabilities from logits.

    References
    ----------
    Paszke et al. (2019), *PyTorch* [paszke2019pytorch]; Goodfellow,
    Bengio and Courville (2016), *Deep Learning*, §6.2.2.3
    [goodfellow2016dl].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.likelihoods import nll_loss
    >>> float(nll_loss([1], np.log([[0.5, 0.25, 0.25]])))  # -log 1/4
    1.3862943611198906
    >>> float(nll_loss([0, 1], [[-1.0, -2.0], [-3.0, -4.0]],
    ...                weight=[1.0, 3.0]))  # (1 + 3*4) / (1 + 3)
    3.25
    """
    check_reduction(reduction)
    lp, labels, divisor, _ = _nll_inputs(y_true, log_probs, axis, weight,
                                         ignore_index)
    if reduction == "mean":
        _check_divisor(divisor, weight is not None)
    picked = np.take_along_axis(lp, labels[..., np.newaxis], axis=-1)
    values = _weigh(0.0 - picked[..., 0], divisor)
    return reduce(values, reduction, weights=divisor)


def _nll_loss_grad(
    y_true: ArrayLike,
    log_probs: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    lp, labels, divisor, ax = _nll_inputs(y_true, log_probs, axis, weight,
                                          ignore_index)
    if reduction == "mean":
        _check_divisor(divisor, weight is not None)
    grad = np.zeros_like(lp)
    np.put_along_axis(grad, labels[..., np.newaxis],
                      (0.0 - divisor)[..., np.newaxis], axis=-1)
    grad = reduce_gradient(grad, reduction, weights=divisor)
    return np.moveaxis(grad, -1, ax)


# ---------------------------------------------------------------------------
# KL divergence of probabilities
# ---------------------------------------------------------------------------


def _kl_inputs(y_true, y_prob, axis):
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_prob, "y_prob")
    check_same_shape(y, "y_true", p, "y_prob")
    axis = check_axis(axis, p.ndim)
    for arr, name in ((y, "y_true"), (p, "y_prob")):
        check_probabilities(arr, name)
        check_rows_sum_to_one(arr, name, axis, ROW_SUM_TOLERANCE)
    dtype = common_dtype(y, p)
    y = np.moveaxis(y.astype(dtype, copy=False), axis, -1)
    p = np.moveaxis(p.astype(dtype, copy=False), axis, -1)
    return y, p, axis


def kl_divergence(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Kullback-Leibler divergence KL(y_true ‖ y_prob) per sample.

    How many extra nats a code built for the predicted distribution
    :math:`p` costs on data from the target :math:`y`: cross-entropy minus
    the target's entropy. It is 0 exactly when :math:`p = y`, so unlike
    cross-entropy its minimum does not depend on how soft the target is.

    .. math::

        \ell_n = \sum_c y_{n,c} \log\frac{y_{n,c}}{p_{n,c}},
        \qquad y = \mathtt{y\_true},\ p = \mathtt{y\_prob},

    with :math:`0 \log 0 = 0`; a class with :math:`y > 0 = p` costs
    :math:`\infty`.

    Parameters
    ----------
    y_true : array-like of shape (..., C, ...)
        Target distributions; each row along ``axis`` sums to 1 within
        ``1e-6``.
    y_prob : array-like of shape (..., C, ...)
        Predicted distributions, same shape and rule.
    axis : int, default=-1
        The class axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over samples (rows), not over entries.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape without ``axis``; otherwise a scalar, >= 0
        up to the rows' own deviation from summing to 1.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite, outside
        [0, 1] or has a row not summing to 1, ``axis`` is out of range or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``axis`` is not an integer.

    Notes
    -----
    Matches ``torch.nn.functional.kl_div(log(y_prob), y_true,
    reduction="batchmean")``: PyTorch takes the *prediction's log* first
    and the target second, and its default ``reduction="mean"`` divides
    by the number of entries (batch times classes), not by the batch.
    Matches ``keras.losses.kl_divergence`` except that Keras clips both
    arguments to ``[1e-7, 1]``: a class with :math:`y = 0.3`, :math:`p =
    0` then costs :math:`0.3 \ln(0.3/10^{-7}) \approx 4.47` instead of
    :math:`\infty`, and a class with :math:`y = 0` adds
    :math:`10^{-7} \ln(10^{-7}/p)`, e.g. :math:`-1.2 \times 10^{-6}` at
    :math:`p = 0.02`.

    Each class's term is computed as :math:`y\log(y/p) - y + p \ge 0`
    (summed without cancellation, by a series near :math:`y = p`) plus the
    exactly summed :math:`\sum_c (y_c - p_c)`, so a divergence of
    :math:`10^{-20}` between nearly equal rows keeps its digits. The
    gradient in :math:`p` is :math:`-y/p` (no simplex constraint).

    See Also
    --------
    lossbook.categorical_cross_entropy : Cross-entropy = entropy + KL.
    distillation_loss : KL between temperature-softened softmaxes.

    References
    ----------
    Kullback and Leibler (1951), *On Information and Sufficiency*
    [kullback1951information]; Cover and Thomas (2006), *Elements of
    Information Theory*, §2.3 [cover2006elements].

    Examples
    --------
    >>> from lossbook.likelihoods import kl_divergence
    >>> round(float(kl_divergence([[0.5, 0.5]], [[0.25, 0.75]])), 6)
    0.143841
    >>> float(kl_divergence([[1.0, 0.0]], [[1.0, 0.0]]))  # 0 log 0 = 0
    0.0
    """
    check_reduction(reduction)
    y, p, _ = _kl_inputs(y_true, y_prob, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff_hi, diff_lo = two_diff(y, p)
        s = np.where(y + p > 0, diff_hi / (y + p), 0.0)
        log_ratio = np.log(y) - np.log(p)
    terms = _kl_terms(y, p, s, log_ratio)
    # sum_c y log(y/p) = sum_c [y log(y/p) - y + p] + sum_c (y - p): the
    # second sum is of exact differences, compensated, so rows that sum to
    # 1 only approximately still get the exact value of the definition
    with np.errstate(invalid="ignore"):
        values = terms.sum(axis=-1) + _compensated_sum(diff_hi, diff_lo)
    values = np.where(np.isinf(terms).any(axis=-1), np.inf, values)
    return reduce(values.astype(y.dtype, copy=False), reduction)


def _kl_divergence_grad(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    y, p, ax = _kl_inputs(y_true, y_prob, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.where(y > 0, -y / p, 0.0)
    grad = reduce_gradient(grad, reduction, count=grad[..., 0].size)
    return np.moveaxis(grad, -1, ax)


# ---------------------------------------------------------------------------
# distillation
# ---------------------------------------------------------------------------


def _distillation_inputs(teacher_logits, student_logits, temperature, axis):
    t = as_float_array(teacher_logits, "teacher_logits")
    s = as_float_array(student_logits, "student_logits")
    check_same_shape(t, "teacher_logits", s, "student_logits")
    axis = check_axis(axis, s.ndim)
    temp = check_scalar(temperature, "temperature", min_val=0.0,
                        include_min=False)
    dtype = common_dtype(t, s)
    a = np.moveaxis(t.astype(dtype, copy=False), axis, -1) / dtype.type(temp)
    b = np.moveaxis(s.astype(dtype, copy=False), axis, -1) / dtype.type(temp)
    return a, b, temp, axis


def _softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis from ``exp(z - max)`` carried as hi + lo.

    ``exp(log_softmax(z))`` would turn the absolute error of a large
    log-probability into a relative error of that size.
    """
    e = exp_diff(z, z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softened(a: np.ndarray, b: np.ndarray):
    r"""Both softmaxes, and two forms of their log-ratio :math:`\delta`.

    :math:`\delta_c = \log q_c - \log p_c = d_c - \log\sum_j p_j e^{d_j}`
    with :math:`d = a - b`. Near :math:`q = p` the difference of the two
    log-sum-exps is taken as one ``log1p(sum p expm1(d))``, after shifting
    :math:`d` by its value at the student's top class, so that nearly
    equal logits give a small :math:`\delta` with its relative accuracy
    (``near``). Far from it the plain difference of the two
    log-softmaxes is the better form (``far``); each probability is the
    exponential of its own log-softmax, so that a confident teacher's
    :math:`q \approx 1` is not the product of a tiny :math:`p` and a huge
    :math:`e^\delta`.
    """
    log_q = 0.0 - neg_log_softmax(a)
    log_p = 0.0 - neg_log_softmax(b)
    q, p = _softmax(a), _softmax(b)
    top = np.argmax(b, axis=-1)[..., np.newaxis]
    d = a - b
    d = d - np.take_along_axis(d, top, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        mean_exp = (p * np.expm1(d)).sum(axis=-1, keepdims=True)
        near = d - np.log1p(mean_exp)
    return q, p, near, log_q - log_p


def distillation_loss(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 1.0,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Knowledge distillation: T² · KL(softmax(t/T) ‖ softmax(s/T)).

    Trains a student to match a teacher's softened class probabilities
    (Hinton et al. 2015). A temperature :math:`T > 1` lifts the small
    probabilities the teacher gives to wrong classes, which carry what it
    knows about how classes resemble each other; the factor :math:`T^2`
    keeps the gradient's size about independent of :math:`T`, so the loss
    can be mixed with hard-label cross-entropy at a fixed weight.

    .. math::

        \ell_n = T^2 \sum_c q_{n,c} \log\frac{q_{n,c}}{p_{n,c}},
        \quad q = \operatorname{softmax}(t/T),\
        p = \operatorname{softmax}(s/T),

    with :math:`t` = ``teacher_logits``, :math:`s` = ``student_logits``,
    :math:`T` = ``temperature``.

    Parameters
    ----------
    teacher_logits : array-like of shape (..., C, ...)
        The teacher's logits (a constant target).
    student_logits : array-like of shape (..., C, ...)
        The student's logits, same shape.
    temperature : float, default=1.0
        :math:`T > 0`.
    axis : int, default=-1
        The class axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over samples.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape without ``axis``; otherwise a scalar, >= 0.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite,
        ``temperature <= 0``, ``axis`` is out of range or ``reduction`` is
        unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    In PyTorch one writes ``T**2 * F.kl_div(F.log_softmax(s / T, -1),
    F.log_softmax(t / T, -1), reduction="batchmean", log_target=True)``;
    this is its value. Both softmaxes stay in log space and the difference
    of their log-normalisers is taken as one ``log1p``, so a student close
    to its teacher keeps the loss's relative accuracy. The gradient with
    respect to ``student_logits`` is :math:`T\,(p - q)`. For large
    :math:`T`, :math:`p - q \approx (\tilde s - \tilde t)/(C\,T)` with
    the logits centred at their means, so the gradient of the plain KL
    falls as :math:`1/T^2` and :math:`T^2` times it tends to a limit.

    See Also
    --------
    kl_divergence : The same divergence on probabilities.
    lossbook.cross_entropy : The hard-label term distillation is mixed
        with.

    References
    ----------
    Hinton, Vinyals and Dean (2015), *Distilling the Knowledge in a
    Neural Network* [hinton2015distilling].

    Examples
    --------
    >>> from lossbook.likelihoods import distillation_loss
    >>> float(distillation_loss([[1.0, 2.0]], [[1.0, 2.0]], temperature=4.0))
    0.0
    >>> round(float(distillation_loss([[0.0, 2.0]], [[0.0, 0.0]],
    ...                               temperature=2.0)), 6)  # 4 KL
    0.443776
    """
    check_reduction(reduction)
    a, b, temp, _ = _distillation_inputs(teacher_logits, student_logits,
                                         temperature, axis)
    q, p, near, far = _softened(a, b)
    s = np.tanh(near / 2)  # (q - p) / (q + p) = tanh(delta / 2)
    terms = _kl_terms(q, p, s, far)
    # the softmaxes each sum to 1 exactly, so sum_c (y - p) is 0
    values = terms.sum(axis=-1) * a.dtype.type(temp * temp)
    return reduce(values, reduction)


def _distillation_loss_grad(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 1.0,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    a, b, temp, ax = _distillation_inputs(teacher_logits, student_logits,
                                          temperature, axis)
    q, p, near, _ = _softened(a, b)
    # d/ds T^2 KL = T (p - q); near q = p, p - q = -p expm1(delta) keeps
    # its digits, far from it the plain difference is exact enough
    with np.errstate(over="ignore"):
        close = np.abs(near) < 1
        diff = np.where(close, 0.0 - p * np.expm1(np.where(close, near, 0)),
                        p - q)
    grad = diff * a.dtype.type(temp)
    grad = reduce_gradient(grad, reduction, count=grad[..., 0].size)
    return np.moveaxis(grad, -1, ax)


# ---------------------------------------------------------------------------
# Gaussian negative log-likelihood with a variance
# ---------------------------------------------------------------------------


def _var_axis(var_shape: tuple, shape: tuple) -> tuple[int, ...] | None:
    """Axes along which ``var`` is broadcast to ``shape``, or None."""
    if var_shape == shape:
        return ()
    if var_shape == ():
        return tuple(range(len(shape)))
    if var_shape == shape[:-1]:
        return (len(shape) - 1,)
    if len(var_shape) == len(shape):
        differ = [i for i, (a, b) in enumerate(zip(var_shape, shape,
                                                   strict=True)) if a != b]
        if len(differ) == 1 and var_shape[differ[0]] == 1:
            return tuple(differ)
    return None


def _gaussian_inputs(y_true, y_pred, var):
    y = as_float_array(y_true, "y_true")
    mu = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", mu, "y_pred")
    v = as_float_array(var, "var")
    axes = _var_axis(v.shape, mu.shape)
    if axes is None:
        check_shape(v, "var", [(), mu.shape, mu.shape[:-1]],
                    "or y_pred's shape with one axis of size 1")
    check_all_nonnegative(v, "var")
    check_not_equal(v, "var", 0.0, "0 (a variance must be > 0)")
    dtype = common_dtype(y, mu, v)
    vb = v.astype(dtype, copy=False)
    if v.shape == mu.shape[:-1] and v.shape != mu.shape:
        vb = vb[..., np.newaxis]
    vb = np.broadcast_to(vb, mu.shape)
    with np.errstate(over="ignore"):
        d = mu.astype(dtype, copy=False) - y.astype(dtype, copy=False)
    return d, vb, v, axes


def gaussian_nll_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    var: ArrayLike,
    full: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Gaussian negative log-likelihood with a predicted variance.

    For regression where the model predicts a mean ``y_pred`` and a
    variance ``var`` per target (heteroscedastic noise): minimising it
    fits both, so the model says how sure it is. With a constant variance
    it is :func:`lossbook.mse` scaled and shifted.

    .. math::

        \ell = \tfrac12\Bigl[\log\sigma^2 + \frac{(\hat y - y)^2}{\sigma^2}
        \Bigr] \;\bigl(+\ \tfrac12\log 2\pi \text{ if } \texttt{full}\bigr)

    with :math:`y` = ``y_true``, :math:`\hat y` = ``y_pred`` and
    :math:`\sigma^2` = ``var``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predicted means, same shape (never broadcast).
    var : array-like
        Predicted variances, all > 0 (a variance, not a standard
        deviation). The shape of ``y_pred``, that shape without its last
        axis, that shape with one axis of size 1, or a scalar: the shapes
        PyTorch accepts.
    full : bool, default=False
        Add the constant :math:`\tfrac12\log 2\pi`, making it the exact
        negative log-density.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element of ``y_pred``.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar. It can be
        negative: a density can exceed 1.

    Raises
    ------
    ValueError
        If the shapes do not fit, an input is empty or not finite, a
        variance is <= 0, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``full`` is not a bool.

    Notes
    -----
    Matches ``torch.nn.functional.gaussian_nll_loss(y_pred, y_true, var)``
    without its ``eps=1e-6`` clamp: PyTorch replaces every variance below
    ``eps`` by ``eps`` (without a gradient through the clamp), so at
    ``var = 1e-8`` and an error of 0.01 it reports :math:`\tfrac12(\ln
    10^{-6} + 10^{2}) \approx 43.1` where the exact value is
    :math:`\tfrac12(\ln 10^{-8} + 10^{4}) \approx 4990.8`; PyTorch also
    accepts ``var = 0`` (lossbook refuses it: the likelihood is
    undefined). Gradients: :math:`(\hat y - y)/\sigma^2` in ``y_pred`` and
    :math:`\tfrac12(1/\sigma^2 - (\hat y - y)^2/\sigma^4)` in ``var``
    (summed over the axes ``var`` is broadcast along): use
    ``gradient(gaussian_nll_loss, y, mu, var=v, wrt="var")``.

    Near the loss's zero (where :math:`\log\sigma^2 \approx -d^2/\sigma^2`)
    the two terms cancel and any floating-point evaluation keeps only an
    absolute accuracy of about one ulp of the larger term.

    See Also
    --------
    lossbook.mse : The constant-variance case.
    poisson_nll_loss : The likelihood for counts.

    References
    ----------
    Nix and Weigend (1994), *Estimating the mean and variance of the
    target probability distribution* [nix1994estimating]; Kendall and Gal
    (2017), *What Uncertainties Do We Need in Bayesian Deep Learning for
    Computer Vision?* [kendall2017uncertainties].

    Examples
    --------
    >>> from lossbook.likelihoods import gaussian_nll_loss
    >>> float(gaussian_nll_loss([0.0], [2.0], var=[4.0]))  # (ln 4 + 1)/2
    1.1931471805599454
    >>> round(float(gaussian_nll_loss([0.0], [0.0], var=1.0, full=True)), 6)
    0.918939
    """
    check_reduction(reduction)
    full = check_bool(full, "full")
    d, v, _, _ = _gaussian_inputs(y_true, y_pred, var)
    with np.errstate(over="ignore"):
        values = 0.5 * (np.log(v) + (d * d) / v)
    if full:
        values = values + d.dtype.type(0.5 * np.log(2 * np.pi))
    return reduce(values, reduction)


def _gaussian_nll_loss_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    var: ArrayLike,
    full: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    check_bool(full, "full")
    d, v, _, _ = _gaussian_inputs(y_true, y_pred, var)
    with np.errstate(over="ignore"):
        grad = d / v
    return reduce_gradient(grad, reduction, count=grad.size)


def _gaussian_nll_loss_var_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    var: ArrayLike,
    full: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    check_bool(full, "full")
    d, v, given, axes = _gaussian_inputs(y_true, y_pred, var)
    with np.errstate(over="ignore"):
        # d/dv (log v + d^2 / v) / 2 = (1 - d^2 / v) / (2 v)
        grad = 0.5 * (1 - (d * d) / v) / v
    grad = reduce_gradient(grad, reduction, count=grad.size)
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(given.shape).astype(v.dtype, copy=False)


# ---------------------------------------------------------------------------
# Poisson negative log-likelihood
# ---------------------------------------------------------------------------


def _poisson_inputs(y_true, y_pred, log_input, full):
    log_input = check_bool(log_input, "log_input")
    full = check_bool(full, "full")
    y = as_float_array(y_true, "y_true")
    x = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", x, "y_pred")
    check_all_nonnegative(y, "y_true")
    if not log_input:
        check_all_nonnegative(x, "y_pred")
    dtype = common_dtype(y, x)
    return (y.astype(dtype, copy=False), x.astype(dtype, copy=False),
            log_input, full)


def poisson_nll_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: bool = True,
    full: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Poisson negative log-likelihood for counts.

    For targets that are counts (events per interval, photons per pixel)
    whose spread grows with their mean: the model predicts the rate
    :math:`\lambda`, or its logarithm (the default, so that any real
    output is a valid rate).

    .. math::

        \ell = e^{\hat y} - y\,\hat y \quad (\mathtt{log\_input}),
        \qquad
        \ell = \hat y - y \log \hat y \quad (\text{otherwise}),

    which is :math:`-\log P(y \mid \lambda) - \log y!` with
    :math:`\lambda = e^{\hat y}` or :math:`\hat y`. ``full=True`` adds the
    Stirling approximation of :math:`\log y!`,
    :math:`y \log y - y + \tfrac12\log(2\pi y)`, for :math:`y > 1`
    (and nothing for :math:`y \le 1`), as PyTorch does.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Non-negative targets (counts; need not be integers).
    y_pred : array-like of shape (...)
        The log-rate (``log_input=True``) or the rate (>= 0), same shape.
    log_input : bool, default=True
        Whether ``y_pred`` is :math:`\log\lambda`.
    full : bool, default=False
        Add the Stirling term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar. ``inf``
        where a rate of 0 meets a positive count.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, a target
        (or, with ``log_input=False``, a rate) is negative, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric or a flag is not a bool.

    Notes
    -----
    Matches ``torch.nn.functional.poisson_nll_loss(y_pred, y_true,
    log_input, full)`` except for its ``eps=1e-8`` in the rate form,
    :math:`\hat y - y\log(\hat y + \epsilon)`: at a rate of 0 and a count
    of 3 PyTorch reports :math:`-3\ln 10^{-8} \approx 55.3` instead of
    :math:`\infty`, and it shifts every value by about
    :math:`y\epsilon/\hat y`. ``keras.losses.poisson`` is the rate form,
    :math:`\hat y - y\log(\hat y + 10^{-7})` averaged over the last axis.
    With Keras 3.15.1 on its PyTorch backend, ``keras.ops.maximum`` and
    ``keras.ops.add`` turn float64 input into float32 (measured by
    ``tools/make_reference_values_likelihoods.py``), so Keras's value
    agrees with lossbook's to about seven digits only.
    The two forms are different functions of the same numbers: passing a
    rate to the default log-rate form is a silent mistake. Gradients:
    :math:`e^{\hat y} - y` (log input) and :math:`1 - y/\hat y` (rate).

    See Also
    --------
    gaussian_nll_loss : The likelihood for real-valued targets.

    References
    ----------
    McCullagh and Nelder (1989), *Generalized Linear Models*, ch. 6
    [mccullagh1989glm].

    Examples
    --------
    >>> from lossbook.likelihoods import poisson_nll_loss
    >>> float(poisson_nll_loss([2.0], [0.0]))  # e^0 - 2 * 0
    1.0
    >>> round(float(poisson_nll_loss([2.0], [1.0], log_input=False)), 6)
    1.0
    """
    check_reduction(reduction)
    y, x, log_input, full = _poisson_inputs(y_true, y_pred, log_input, full)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # y * x (or y * log x) carried exactly as hi + lo: the loss is a
        # difference of two terms of similar size near the optimum
        if log_input:
            hi, lo = _two_prod(y, x)
            values = (np.exp(x) - hi) - lo
        else:
            # 0 log 0 = 0; a zero rate for a positive count costs inf
            hi, lo = _two_prod(y, np.where(y > 0, np.log(x), 0.0))
            values = (x - hi) - lo
            values = np.where(np.isnan(values), np.inf, values)
        if full:
            big = y > 1
            ys = np.where(big, y, 2.0)
            hi, lo = _two_prod(ys, np.log(ys))
            stirling = ((hi - ys) + lo) + 0.5 * np.log(2 * np.pi * ys)
            values = values + np.where(big, stirling, 0.0)
    return reduce(values, reduction)


def _poisson_nll_loss_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: bool = True,
    full: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    check_reduction(reduction)
    y, x, log_input, _ = _poisson_inputs(y_true, y_pred, log_input, full)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if log_input:
            grad = np.exp(x) - y
        else:
            grad = 1 - np.where(y > 0, y / x, 0.0)
    return reduce_gradient(grad, reduction, count=grad.size)


# ---------------------------------------------------------------------------
# relative errors
# ---------------------------------------------------------------------------


def _mape_inputs(y_true, y_pred):
    y = as_float_array(y_true, "y_true")
    x = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", x, "y_pred")
    check_not_equal(y, "y_true", 0.0,
                    "0 (the percentage error divides by |y_true|)")
    dtype = common_dtype(y, x)
    y, x = y.astype(dtype, copy=False), x.astype(dtype, copy=False)
    with np.errstate(over="ignore"):
        return y, x - y


def mape(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""Mean absolute percentage error: the error relative to the target, in %.

    An error measured relative to the target, for quantities whose scale
    varies over orders of magnitude (sales, prices). It is not symmetric:
    for a positive target, under-prediction is capped at 100% while
    over-prediction is not, so a model trained on it predicts low.

    .. math::

        \ell = 100\,\frac{|\hat y - y|}{|y|}

    with :math:`y` = ``y_true`` (never 0) and :math:`\hat y` = ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets, none equal to 0.
    y_pred : array-like of shape (...)
        Predictions, same shape.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar, in percent.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, a target
        is 0, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``keras.losses.mean_absolute_percentage_error`` (which
    averages over the last axis) except that Keras divides by
    :math:`\max(|y|, 10^{-7})`: a target of 0 gives a finite but huge
    :math:`10^9 |\hat y|` percent there, and a target of :math:`10^{-9}`
    is treated as :math:`10^{-7}`, a hundredfold too small an error.
    lossbook refuses a zero target: the relative error is undefined.
    With Keras 3.15.1 on its PyTorch backend, ``keras.ops.maximum`` and
    ``keras.ops.add`` turn float64 input into float32 (measured by
    ``tools/make_reference_values_likelihoods.py``), so Keras's value
    agrees with lossbook's to about seven digits only. The gradient is
    :math:`100\,\operatorname{sign}(\hat y - y)/|y|` (0 at :math:`\hat y = y`).
    Minimising it gives a weighted median, with
    weights :math:`1/|y|`, not the mean.

    See Also
    --------
    msle : A relative error that penalises under-prediction more.
    lossbook.mae : The absolute error.

    References
    ----------
    de Myttenaere, Golden, Le Grand and Rossi (2016), *Mean Absolute
    Percentage Error for regression models* [demyttenaere2016mape];
    Hyndman and Koehler (2006), *Another look at measures of forecast
    accuracy* [hyndman2006another].

    Examples
    --------
    >>> from lossbook.likelihoods import mape
    >>> mape([100.0, 100.0], [50.0, 150.0], reduction="none")
    array([50., 50.])
    >>> float(mape([100.0], [400.0]))  # over-prediction is not capped
    300.0
    """
    check_reduction(reduction)
    y, d = _mape_inputs(y_true, y_pred)
    with np.errstate(over="ignore"):
        values = (np.abs(d) / np.abs(y)) * d.dtype.type(100)
    return reduce(values, reduction)


def _mape_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    check_reduction(reduction)
    y, d = _mape_inputs(y_true, y_pred)
    grad = np.sign(d) * (d.dtype.type(100) / np.abs(y))
    return reduce_gradient(grad, reduction, count=grad.size)


def _msle_inputs(y_true, y_pred):
    y = as_float_array(y_true, "y_true")
    x = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", x, "y_pred")
    check_all_nonnegative(y, "y_true")
    check_all_nonnegative(x, "y_pred")
    dtype = common_dtype(y, x)
    y, x = y.astype(dtype, copy=False), x.astype(dtype, copy=False)
    # log1p(x) - log1p(y) = log1p((x - y) / (1 + y)), with x - y and 1 + y
    # each carried as hi + lo so that close values keep their digits
    d_hi, d_lo = two_diff(x, y)
    o_hi, o_lo = two_diff(np.ones_like(y), -y)
    with np.errstate(over="ignore", invalid="ignore"):
        u = d_hi / o_hi
        u = u + (d_lo - u * o_lo) / o_hi
        u = np.where(np.isfinite(u), u, d_hi / o_hi)
    return x, np.log1p(u)


def msle(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""Mean squared logarithmic error: (log(1 + ŷ) − log(1 + y))².

    A squared error on the log scale, for non-negative targets spread
    over orders of magnitude (counts, prices): it sees ratios of
    :math:`1 + y` rather than differences, and it punishes
    under-prediction more than over-prediction of the same size.

    .. math::

        \ell = \bigl(\log(1 + \hat y) - \log(1 + y)\bigr)^2

    with :math:`y` = ``y_true`` and :math:`\hat y` = ``y_pred``, both
    :math:`\ge 0`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Non-negative targets.
    y_pred : array-like of shape (...)
        Non-negative predictions, same shape.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        ``"none"``: the shape of ``y_pred``; otherwise a scalar.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite or negative,
        or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``keras.losses.mean_squared_logarithmic_error`` (averaged over
    the last axis) except that Keras first clips both inputs to at least
    :math:`10^{-7}`: for a zero target and prediction it reports 0 (both
    clipped alike), but for :math:`y = 0`, :math:`\hat y = 10^{-8}` it
    reports 0 instead of about :math:`10^{-16}`, and it silently accepts
    negative predictions (as :math:`10^{-7}`), which lossbook refuses.
    With Keras 3.15.1 on its PyTorch backend, ``keras.ops.maximum`` and
    ``keras.ops.add`` turn float64 input into float32 (measured by
    ``tools/make_reference_values_likelihoods.py``), so Keras's value
    agrees with lossbook's to about seven digits only.
    It is the Gaussian likelihood of :math:`\log(1 + y)`, i.e. a
    log-normal model of :math:`1 + y`. The difference of logarithms is
    computed as ``log1p((ŷ - y) / (1 + y))``, which keeps its digits when
    :math:`\hat y \approx y`. The gradient is
    :math:`2(\log(1 + \hat y) - \log(1 + y))/(1 + \hat y)`.

    See Also
    --------
    mape : The absolute error relative to the target.
    lossbook.mse : The squared error on the original scale.

    References
    ----------
    Chollet et al. (2015), *Keras* [chollet2015keras]; Hyndman and Koehler
    (2006) [hyndman2006another].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.likelihoods import msle
    >>> float(msle([0.0], [np.e - 1]))  # (log e - log 1)^2
    1.0
    >>> np.round(msle([9.0, 9.0], [4.0, 19.0], reduction="none"), 6)
    array([0.480453, 0.480453])
    """
    check_reduction(reduction)
    _, log_ratio = _msle_inputs(y_true, y_pred)
    return reduce(log_ratio * log_ratio, reduction)


def _msle_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    check_reduction(reduction)
    x, log_ratio = _msle_inputs(y_true, y_pred)
    grad = 2 * log_ratio / (1 + x)
    return reduce_gradient(grad, reduction, count=grad.size)


GRADIENTS: dict[Callable, Callable] = {
    nll_loss: _nll_loss_grad,
    kl_divergence: _kl_divergence_grad,
    distillation_loss: _distillation_loss_grad,
    gaussian_nll_loss: _gaussian_nll_loss_grad,
    poisson_nll_loss: _poisson_nll_loss_grad,
    mape: _mape_grad,
    msle: _msle_grad,
}

#: Derivatives in each prediction input, by argument name.
PARTIALS: dict[Callable, dict[str, Callable]] = {
    gaussian_nll_loss: {
        "y_pred": _gaussian_nll_loss_grad,
        "var": _gaussian_nll_loss_var_grad,
    },
}
