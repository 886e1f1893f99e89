r"""Regression losses: squared, absolute, Huber, smooth L1 and log-cosh.

Every loss here is a function of the residual ``d = y_pred - y_true``,
taken element-wise; ``reduction="mean"`` averages over every element, as
PyTorch's ``reduction='mean'`` does. Their SymPy definitions live in
:mod:`lossbook.symbolic.regression` and their derivatives in
:data:`GRADIENTS`.
"""

from __future__ import annotations

from collections.abc import Callable

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
from lossbook._numerics import pow2_scale
from lossbook._validation import (
    as_float_array,
    check_finite,
    check_nonnegative,
    check_reduction,
    check_same_shape,
    check_scalar,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = ["GRADIENTS", "huber", "log_cosh", "mae", "mse", "smooth_l1"]

# Below this |d| log-cosh uses the sinh form, above it the softplus form;
# both are accurate to a few ulp across the switch (1.3 < log cosh 2).
_LOG_COSH_SWITCH = 2.0


def _residual(
    y_true: ArrayLike, y_pred: ArrayLike, reduction: str
) -> tuple[np.ndarray, np.dtype]:
    """Validate the pair and return ``d = y_pred - y_true`` and y_pred's dtype.

    The residual is computed in the common dtype of the two inputs; the
    second value is the dtype a gradient with respect to ``y_pred`` takes.
    """
    check_reduction(reduction)
    y = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    check_same_shape(y, "y_true", p, "y_pred")
    dtype = common_dtype(y, p)
    # a difference beyond the float range rounds to inf, as it should
    with np.errstate(over="ignore"):
        d = p.astype(dtype, copy=False) - y.astype(dtype, copy=False)
    # d is a fresh array the losses may overwrite: large temporaries that
    # live side by side cost more (page faults) than the arithmetic
    return np.asarray(d), p.dtype


def _checked_pair(
    y_true: ArrayLike, y_pred: ArrayLike, reduction: str
) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Validate once: the two arrays as given (not yet cast) and the
    common dtype the loss is computed in.

    For a mean or a sum the finiteness test is left to :func:`_blocked`:
    every loss here is a sum of terms >= 0, and a NaN or an infinite
    input makes its own term NaN or inf, so a finite result proves the
    inputs finite; only a result that is not finite needs the test.
    """
    check_reduction(reduction)
    later = reduction != "none"
    y = as_float_array(y_true, "y_true", finite=not later)
    p = as_float_array(y_pred, "y_pred", finite=not later)
    check_same_shape(y, "y_true", p, "y_pred")
    return y, p, common_dtype(y, p)


def _scaled_residual(
    y: np.ndarray, p: np.ndarray, dtype: np.dtype, reduction: str
) -> tuple[np.ndarray, int]:
    """``d / 2**k`` and ``k``: the residual in a frame where the reduced
    loss cannot overflow on its way to a representable result.

    ``y`` and ``p`` are validated (:func:`_checked_pair`). ``k = 0`` (the
    plain residual) unless a reduction is asked for and an input exceeds
    about 2**500 (2**52 in float32). Then both inputs are divided by
    ``2**k`` (exactly) before they are subtracted, the loss, homogeneous
    in ``(d, delta)`` or ``(d, beta)``, is computed there, and
    :func:`reduce` scales the mean or sum back once: a mean that is
    representable comes out finite although ``d`` or ``d**2`` is not.
    Terms far below the largest lose bits in that frame, but they lie far
    below the rounding of the result.
    """
    with np.errstate(over="ignore"):
        d = np.asarray(p.astype(dtype, copy=False)
                       - y.astype(dtype, copy=False))
    if reduction == "none":
        return d, 0
    limit = (np.finfo(dtype).maxexp - 24) // 2
    k = max(pow2_scale(y), pow2_scale(p)) - limit
    if k <= 0:
        return d, 0
    y = np.ldexp(y.astype(dtype, copy=False), -k).astype(dtype)
    p = np.ldexp(p.astype(dtype, copy=False), -k).astype(dtype)
    return p - y, k


def _blocked(
    kernel, y: np.ndarray, p: np.ndarray, dtype: np.dtype, reduction: str,
    twin: tuple = (),
) -> np.ndarray | None:
    """The loss of the residual ``p - y`` in blocks, in the direct frame
    (``None`` if its sum overflowed: then the scaled frame decides).

    Where the direct frame's sum is finite it is the more accurate of the
    two (no term loses bits to a scaling), so only an overflow sends the
    caller to :func:`_scaled_residual`. ``twin`` names the kernel's
    compiled twin and its arguments (:func:`lossbook._blocks.fused`).
    """
    inputs = (flat(y), flat(p))
    if twin:
        kernel = fused(kernel, inputs, dtype, *twin)
    with np.errstate(over="ignore", invalid="ignore"):
        fast = reduce_blocks(kernel, inputs, dtype, reduction, y.shape)
    if fast is None:
        # not finite: an input that is not (an error), or an overflow
        check_finite(y, "y_true")
        check_finite(p, "y_pred")
    return fast


def _residual_into(out: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
    # mixed float32/float64 inputs are cast inside the ufunc, exactly
    np.subtract(p, y, out=out)


def _mse_kernel(out: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
    _residual_into(out, y, p)
    np.square(out, out=out)


def _mae_kernel(out: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
    _residual_into(out, y, p)
    np.abs(out, out=out)


def _banded(ad: np.ndarray, width: float, divide: bool) -> None:
    """In place on ``ad = |d|``: with q = min(|d|, width), q (|d| - q/2)
    (Huber), or (q / width) (|d| - q/2) (smooth L1, ``divide=True``).

    Inside the band that is d**2 / 2 (or d**2 / (2 width)), outside
    width (|d| - width/2) (or exactly |d| - width/2, as width / width is
    1): both pieces at once, with no ``where``. Dividing q before the
    product keeps it from underflowing.
    """
    q = scratch("q")
    np.minimum(ad, constant(width), out=q)
    half = scratch("half")
    np.multiply(q, 0.5, out=half)
    ad -= half
    if divide:
        q /= width
    ad *= q


def _finish(
    values: np.ndarray, reduction: str, scale: int = 0
) -> np.ndarray:
    with np.errstate(over="ignore"):
        return reduce(values, reduction, scale=scale)


def _finish_gradient(
    grad: np.ndarray, reduction: str, dtype: np.dtype
) -> np.ndarray:
    return reduce_gradient(grad, reduction, count=grad.size).astype(
        dtype, copy=False
    )


def _check_delta(delta: object) -> float:
    return check_scalar(delta, "delta", min_val=0.0, include_min=False)


# ---------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------


def mse(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""Mean squared error: the average of the squared residuals.

    The loss of least squares: the maximum-likelihood choice when the noise
    on the target is Gaussian with a fixed variance. It punishes large
    errors quadratically, so a few outliers can dominate it.

    .. math::

        \ell(y, \hat y) = (\hat y - y)^2

    with :math:`y` = ``y_true`` and :math:`\hat y` = ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predictions, the same shape as ``y_true`` (never broadcast).
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
        or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.mse_loss`` and
    ``keras.losses.mean_squared_error`` (over the last axis, then averaged).
    There is no factor :math:`\tfrac12`: :func:`huber` tends to
    :math:`\tfrac12` ``mse`` (not ``mse``) as ``delta`` grows. The gradient
    is :math:`2(\hat y - y)`, divided by the number of elements for
    ``"mean"``.

    See Also
    --------
    mae : Absolute error, robust to outliers.
    huber : Quadratic near zero, linear beyond ``delta``.

    References
    ----------
    Goodfellow, Bengio and Courville (2016), *Deep Learning*, section 5.5.1
    [goodfellow2016dl]; Bishop (2006), *Pattern Recognition and Machine
    Learning*, section 3.1.1 [bishop2006prml].

    Examples
    --------
    >>> from lossbook.regression import mse
    >>> float(mse([0.0, 0.0], [1.0, 3.0]))  # (1 + 9) / 2
    5.0
    >>> mse([0.0, 0.0], [1.0, 3.0], reduction="none")
    array([1., 9.])
    """
    y, p, dtype = _checked_pair(y_true, y_pred, reduction)
    fast = _blocked(_mse_kernel, y, p, dtype, reduction,
                    ("residual", "mse"))
    if fast is not None:
        return fast
    d, k = _scaled_residual(y, p, dtype, reduction)
    with np.errstate(over="ignore"):
        values = np.square(d, out=d)
    return _finish(values, reduction, 2 * k)


def mae(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""Mean absolute error: the average of the absolute residuals.

    The maximum-likelihood loss under Laplace noise; its minimiser is the
    median, so it is robust to outliers, at the price of a gradient that
    does not shrink near the optimum.

    .. math::

        \ell(y, \hat y) = |\hat y - y|

    with :math:`y` = ``y_true`` and :math:`\hat y` = ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predictions, the same shape as ``y_true`` (never broadcast).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` an array of
        the inputs' shape, in the inputs' float dtype.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or holds NaN or infinity,
        or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torch.nn.functional.l1_loss`` and
    ``keras.losses.mean_absolute_error``. The gradient is
    :math:`\operatorname{sign}(\hat y - y)`; at :math:`\hat y = y`, where
    :math:`|d|` has no derivative, lossbook returns the subgradient 0, as
    PyTorch does.

    See Also
    --------
    mse : Squared error.
    smooth_l1 : ``mae`` with a quadratic patch of width ``beta`` at zero.

    References
    ----------
    Koenker and Bassett (1978), *Regression Quantiles*
    [koenker1978quantile] (the median as the minimiser of absolute error).

    Examples
    --------
    >>> from lossbook.regression import mae
    >>> float(mae([0.0, 0.0], [1.0, -3.0]))  # (1 + 3) / 2
    2.0
    >>> float(mae([0.0, 0.0], [1.0, -3.0], reduction="sum"))
    4.0
    """
    y, p, dtype = _checked_pair(y_true, y_pred, reduction)
    fast = _blocked(_mae_kernel, y, p, dtype, reduction,
                    ("residual", "mae"))
    if fast is not None:
        return fast
    d, k = _scaled_residual(y, p, dtype, reduction)
    return _finish(np.abs(d, out=d), reduction, k)


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    delta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Huber loss: squared error for small residuals, absolute beyond.

    A compromise between :func:`mse` and :func:`mae`: quadratic (and so
    smooth, with a gradient that vanishes at the optimum) for
    :math:`|d| \le \delta`, linear with slope :math:`\delta` beyond, so
    that outliers pull on the fit with a bounded force.

    .. math::

        \ell(y, \hat y) =
        \begin{cases}
            \tfrac12 d^2 & |d| \le \delta \\
            \delta\,(|d| - \tfrac12\delta) & |d| > \delta
        \end{cases},
        \qquad d = \hat y - y,

    with :math:`y` = ``y_true``, :math:`\hat y` = ``y_pred`` and
    :math:`\delta` = ``delta``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predictions, the same shape as ``y_true`` (never broadcast).
    delta : float, default=1.0
        Where the quadratic part hands over to the linear part; must be
        positive.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` an array of
        the inputs' shape, in the inputs' float dtype.

    Raises
    ------
    ValueError
        If ``delta <= 0``, the shapes differ, an input is empty or holds NaN
        or infinity, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``delta`` is not a real number.

    Notes
    -----
    Matches ``torch.nn.functional.huber_loss`` (default ``delta=1.0``),
    which also rejects ``delta <= 0``, and ``keras.losses.Huber`` (which
    switches at ``<=`` like lossbook; PyTorch's ``<`` gives the same values
    because the two pieces meet at :math:`|d| = \delta`). Value and slope
    are continuous at :math:`|d| = \delta`. As ``delta`` grows the loss
    tends to :math:`\tfrac12 d^2`, i.e. half of :func:`mse`, not ``mse`` as
    PyTorch's documentation says. The gradient is
    :math:`\operatorname{clip}(d, -\delta, \delta)`.

    See Also
    --------
    smooth_l1 : The same shape divided by ``delta`` (``beta``).
    mse, mae : The two limits.

    References
    ----------
    Huber (1964), *Robust Estimation of a Location Parameter* [huber1964].

    Examples
    --------
    >>> from lossbook.regression import huber
    >>> huber([0.0, 0.0], [0.5, 3.0], reduction="none")  # .5**2/2, 3-.5
    array([0.125, 2.5  ])
    >>> float(huber([0.0], [3.0], delta=2.0))  # 2 * (3 - 1)
    4.0
    """
    delta = _check_delta(delta)
    y, p, dtype = _checked_pair(y_true, y_pred, reduction)

    def kernel(out: np.ndarray, yb: np.ndarray, pb: np.ndarray) -> None:
        _mae_kernel(out, yb, pb)
        _banded(out, delta, divide=False)

    fast = _blocked(kernel, y, p, dtype, reduction,
                    ("residual", "huber", delta))
    if fast is not None:
        return fast
    d, k = _scaled_residual(y, p, dtype, reduction)
    # huber_{delta}(d) = 4**k huber_{delta / 2**k}(d / 2**k)
    delta = float(np.ldexp(delta, -k))
    ad = np.abs(d, out=d)
    q = np.minimum(ad, delta)
    ad -= 0.5 * q
    with np.errstate(over="ignore"):
        ad *= q
    return _finish(ad, reduction, 2 * k)


def smooth_l1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Smooth L1 loss: absolute error with its corner rounded off.

    The box-regression loss of Fast R-CNN: quadratic for
    :math:`|d| < \beta`, then :math:`|d|` shifted down by
    :math:`\tfrac12\beta`, so the linear part always has slope 1 whatever
    :math:`\beta` (Huber's has slope :math:`\delta`).

    .. math::

        \ell(y, \hat y) =
        \begin{cases}
            \dfrac{d^2}{2\beta} & |d| < \beta \\
            |d| - \tfrac12\beta & |d| \ge \beta
        \end{cases},
        \qquad d = \hat y - y,

    with :math:`y` = ``y_true``, :math:`\hat y` = ``y_pred`` and
    :math:`\beta` = ``beta``; :math:`\beta = 0` gives :math:`|d|`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predictions, the same shape as ``y_true`` (never broadcast).
    beta : float, default=1.0
        Width of the quadratic zone; must be non-negative. ``beta=0`` is
        exactly :func:`mae`.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` an array of
        the inputs' shape, in the inputs' float dtype.

    Raises
    ------
    ValueError
        If ``beta < 0``, the shapes differ, an input is empty or holds NaN
        or infinity, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``beta`` is not a real number.

    Notes
    -----
    Matches ``torch.nn.functional.smooth_l1_loss`` (default ``beta=1.0``,
    with ``beta=0`` giving L1 exactly). It equals ``huber`` with
    ``delta=beta`` divided by ``beta``, on both pieces. Fast R-CNN's
    smooth L1 is ``beta=1``; torchvision's Faster R-CNN uses
    ``beta=1/9``. The gradient is :math:`d/\beta` inside the quadratic
    zone and :math:`\operatorname{sign}(d)` outside (0 at :math:`d = 0`).

    See Also
    --------
    huber : ``smooth_l1`` times ``beta``, with ``delta=beta``.
    mae : The limit ``beta=0``.

    References
    ----------
    Girshick (2015), *Fast R-CNN* [girshick2015fast].

    Examples
    --------
    >>> from lossbook.regression import smooth_l1
    >>> smooth_l1([0.0, 0.0], [0.5, 3.0], reduction="none")  # .25/2, 2.5
    array([0.125, 2.5  ])
    >>> float(smooth_l1([0.0], [0.5], beta=0.0))  # |d|
    0.5
    """
    beta = check_nonnegative(beta, "beta")
    y, p, dtype = _checked_pair(y_true, y_pred, reduction)

    def kernel(out: np.ndarray, yb: np.ndarray, pb: np.ndarray) -> None:
        _mae_kernel(out, yb, pb)
        if beta > 0.0:
            _banded(out, beta, divide=True)

    twin = ("residual", "smooth_l1", beta) if beta > 0.0 else (
        "residual", "mae")
    fast = _blocked(kernel, y, p, dtype, reduction, twin)
    if fast is not None:
        return fast
    d, k = _scaled_residual(y, p, dtype, reduction)
    # smooth_l1_{beta}(d) = 2**k smooth_l1_{beta / 2**k}(d / 2**k)
    beta = float(np.ldexp(beta, -k))
    ad = np.abs(d, out=d)
    if beta == 0.0:
        return _finish(ad, reduction, k)
    q = np.minimum(ad, beta)
    ad -= 0.5 * q
    q /= beta
    with np.errstate(over="ignore"):
        ad *= q
    return _finish(ad, reduction, k)


def log_cosh(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    r"""Log-cosh loss: a smooth Huber-like loss with no hyperparameter.

    :math:`\log\cosh d` behaves like :math:`\tfrac12 d^2` for small
    residuals and like :math:`|d| - \log 2` for large ones, and is smooth
    everywhere (its derivative is :math:`\tanh d`, bounded by 1).

    .. math::

        \ell(y, \hat y) = \log\cosh(\hat y - y)

    with :math:`y` = ``y_true`` and :math:`\hat y` = ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predictions, the same shape as ``y_true`` (never broadcast).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over every element.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; for ``"none"`` an array of
        the inputs' shape, in the inputs' float dtype.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or holds NaN or infinity,
        or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``keras.losses.log_cosh`` (which averages over the last axis;
    lossbook's ``"mean"`` averages over all elements). Computing
    :math:`\cosh d` directly overflows for :math:`|d| > 710`; Keras uses
    :math:`d + \operatorname{softplus}(-2d) - \log 2`, exact in theory but
    it loses most digits for small :math:`|d|` by cancelling against
    :math:`\log 2`. lossbook uses :math:`\log(1 + 2\sinh^2(d/2))` for
    :math:`|d| < 2` and :math:`|d| - \log 2 + \log(1 + e^{-2|d|})` beyond,
    both accurate to a few ulp. The gradient is :math:`\tanh d`.

    See Also
    --------
    huber : The piecewise version of the same idea.

    References
    ----------
    Chollet et al. (2015), *Keras* [chollet2015keras].

    Examples
    --------
    >>> from lossbook.regression import log_cosh
    >>> float(log_cosh([0.0], [0.0]))  # log cosh 0 = log 1
    0.0
    >>> # cosh(800) overflows, but log cosh 800 = 800 - log 2 to 1e-695
    >>> round(float(log_cosh([0.0], [800.0])), 6)
    799.306853
    """
    y, p, dtype = _checked_pair(y_true, y_pred, reduction)
    log2 = np.log(dtype.type(2))

    def kernel(out: np.ndarray, yb: np.ndarray, pb: np.ndarray) -> None:
        _mae_kernel(out, yb, pb)
        ad = out
        # m = 1 where the sinh form is used, 0 where the softplus form is:
        # the two are blended as near m + far (1 - m), exactly (see
        # lossbook._numerics.nonnegative_mask)
        small = scratch("small", np.bool_)
        np.less(ad, constant(_LOG_COSH_SWITCH), out=small)
        m = scratch("m")
        np.copyto(m, small)
        # cosh d - 1 = 2 sinh^2(d/2): no cancellation against 1 for small
        # d; |d|/2 is capped at 1 where this form is not used, so that
        # sinh cannot overflow
        s = scratch("s")
        np.multiply(ad, 0.5, out=s)
        np.minimum(s, constant(1.0), out=s)
        np.sinh(s, out=s)
        np.square(s, out=s)
        s *= 2
        near = np.log1p(s, out=s)
        # log cosh d = |d| + log(1 + exp(-2|d|)) - log 2, for any finite d
        far = scratch("far")
        np.multiply(ad, -2, out=far)
        np.exp(far, out=far)
        np.log1p(far, out=far)
        ad -= log2
        ad += far
        near *= m
        np.subtract(1, m, out=m)
        ad *= m
        ad += near

    fast = _blocked(kernel, y, p, dtype, reduction,
                    ("log_cosh", _LOG_COSH_SWITCH, log2))
    if fast is not None:
        return fast
    with np.errstate(over="ignore"):
        values = block_values(kernel, (flat(y), flat(p)), dtype)
    return _finish(values, reduction)


# ---------------------------------------------------------------------------
# gradients with respect to y_pred (see lossbook.gradients)
# ---------------------------------------------------------------------------


def _mse_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    d, dtype = _residual(y_true, y_pred, reduction)
    with np.errstate(over="ignore"):
        grad = 2 * d
    return _finish_gradient(grad, reduction, dtype)


def _mae_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    """sign(d), with the subgradient 0 at d = 0 (as PyTorch)."""
    d, dtype = _residual(y_true, y_pred, reduction)
    return _finish_gradient(np.sign(d), reduction, dtype)


def _huber_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    delta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray:
    delta = _check_delta(delta)
    d, dtype = _residual(y_true, y_pred, reduction)
    grad = np.clip(d, -delta, delta).astype(d.dtype, copy=False)
    return _finish_gradient(grad, reduction, dtype)


def _smooth_l1_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    reduction: str = "mean",
) -> np.ndarray:
    beta = check_nonnegative(beta, "beta")
    d, dtype = _residual(y_true, y_pred, reduction)
    grad = np.sign(d)
    if beta > 0.0:
        with np.errstate(over="ignore"):
            grad = np.where(np.abs(d) < beta, d / beta, grad)
    return _finish_gradient(grad.astype(d.dtype, copy=False), reduction, dtype)


def _log_cosh_gradient(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"
) -> np.ndarray:
    d, dtype = _residual(y_true, y_pred, reduction)
    return _finish_gradient(np.tanh(d), reduction, dtype)


GRADIENTS: dict[Callable, Callable] = {
    mse: _mse_gradient,
    mae: _mae_gradient,
    huber: _huber_gradient,
    smooth_l1: _smooth_l1_gradient,
    log_cosh: _log_cosh_gradient,
}
