r"""A worked example of a custom loss: the pinball (quantile) loss.

The chapter on writing your own loss (:doc:`/chapters/custom_losses`)
builds this module step by step: the SymPy definition in
:mod:`lossbook.symbolic.custom`, the closed-form (sub)gradient in
:data:`GRADIENTS`, input checks from ``lossbook._validation``, and the
tests in ``tests/test_custom.py`` that hold both to the 50-digit oracle and
to central differences. It is written exactly like the library's other
loss families, so it doubles as a template for a loss of your own.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    check_scalar,
    reduce,
    reduce_gradient,
)
from lossbook.regression import _residual as _prediction_error

__all__ = ["GRADIENTS", "pinball_loss", "pinball_loss_gradient"]


def _check_quantile(quantile: object) -> float:
    """The quantile level must lie in the open interval (0, 1)."""
    return check_scalar(quantile, "quantile", min_val=0.0, max_val=1.0,
                        include_min=False, include_max=False)


def _residual(
    y_true: ArrayLike, y_pred: ArrayLike, reduction: str
) -> tuple[np.ndarray, np.dtype]:
    """Validate the pair; return ``u = y_true - y_pred`` and y_pred's dtype.

    The residual is taken target minus prediction, the sign convention of
    quantile regression: ``u > 0`` means the prediction is too low. It is
    the regression losses' ``d = y_pred - y_true`` negated, which is exact
    (as ``0 - d``, so that a zero residual stays +0, not -0).
    """
    d, dtype = _prediction_error(y_true, y_pred, reduction)
    return np.subtract(0.0, d, out=d), dtype


def pinball_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    quantile: float = 0.5,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Pinball (quantile) loss: an absolute error with tilted slopes.

    Use it to predict a quantile of the target rather than its mean: a
    prediction that is too low costs ``quantile`` per unit, one that is
    too high costs ``1 - quantile`` per unit, and the constant that
    minimises the average loss is the ``quantile``-quantile of the data.
    With ``quantile=0.5`` it is half the absolute error.

    .. math::

        \ell_q(y, \hat y) = \max\bigl(q\,(y - \hat y),\;
        (q - 1)\,(y - \hat y)\bigr)
        = \begin{cases}
            q\,(y - \hat y) & y \ge \hat y \\
            (1 - q)\,(\hat y - y) & y < \hat y
        \end{cases}

    with :math:`y` = ``y_true``, :math:`\hat y` = ``y_pred`` and
    :math:`q` = ``quantile``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Targets.
    y_pred : array-like of shape (...)
        Predicted quantiles, the same shape as ``y_true`` (never
        broadcast).
    quantile : float, default=0.5
        The quantile level :math:`q`, strictly between 0 and 1.
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
        If ``quantile`` is not in (0, 1), the shapes differ, an input is
        empty or holds NaN or infinity, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric or ``quantile`` is not a real number.

    Notes
    -----
    Matches ``sklearn.metrics.mean_pinball_loss`` (whose quantile argument
    is called ``alpha``) and TensorFlow Addons' ``pinball_loss`` (``tau``).
    Each branch is computed from its own slope, :math:`q\,u` or
    :math:`(1 - q)(-u)` with :math:`u = y - \hat y`, so the value is
    within two ulp of exact; the algebraically equal
    :math:`\tfrac12|u| + (q - \tfrac12)u` cancels when :math:`q` is near
    0 or 1. The gradient with respect to ``y_pred`` is :math:`-q` where
    :math:`y > \hat y` and :math:`1 - q` where :math:`y < \hat y`; at
    :math:`y = \hat y` lossbook returns :math:`\tfrac12 - q`, the midpoint
    of the subdifferential :math:`[-q, 1 - q]` (SymPy's derivative with
    :math:`\theta(0) = \tfrac12`, and what ``torch.maximum`` gives), which
    is 0 for the median as for :func:`lossbook.mae`.

    See Also
    --------
    lossbook.mae : Twice ``pinball_loss`` with ``quantile=0.5``.
    lossbook.custom.pinball_loss_gradient : Its derivative in ``y_pred``.

    References
    ----------
    Koenker and Bassett (1978), *Regression Quantiles*, Econometrica
    46(1):33-50, doi:10.2307/1913643 [koenker1978quantile].

    Examples
    --------
    >>> from lossbook.custom import pinball_loss
    >>> # too low by 2 costs 0.9 * 2; too high by 1 costs 0.1 * 1
    >>> pinball_loss([3.0, 0.0], [1.0, 1.0], quantile=0.9, reduction="none")
    array([1.8, 0.1])
    >>> float(pinball_loss([0.0, 0.0], [1.0, -3.0]))  # mae / 2 = 2 / 2
    1.0
    """
    q = _check_quantile(quantile)
    u, _ = _residual(y_true, y_pred, reduction)
    q_ = u.dtype.type(q)
    # one slope per branch, never 0.5|u| + (q - 0.5)u, which cancels
    with np.errstate(over="ignore"):
        values = np.where(u >= 0, q_ * u, (1 - q_) * -u)
    with np.errstate(over="ignore"):
        return reduce(values.astype(u.dtype, copy=False), reduction)


def pinball_loss_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    quantile: float = 0.5,
    reduction: str = "mean",
) -> np.ndarray:
    r"""The (sub)gradient of :func:`lossbook.pinball_loss` in ``y_pred``.

    .. math::

        \frac{\partial \ell_q}{\partial \hat y} =
        \begin{cases}
            -q & y > \hat y \\
            \tfrac12 - q & y = \hat y \\
            1 - q & y < \hat y
        \end{cases}

    At the kink :math:`y = \hat y` any value in :math:`[-q, 1 - q]` is a
    subgradient; the midpoint is the derivative SymPy gives with
    :math:`\theta(0) = \tfrac12`, and it makes ``quantile=0.5`` agree with
    half of :func:`lossbook.mae`'s gradient (0 at the kink).

    Parameters
    ----------
    y_true, y_pred, quantile, reduction
        As for :func:`lossbook.pinball_loss`.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``y_pred``; for ``"mean"`` each entry is
        divided by the number of elements, for ``"none"`` and ``"sum"`` it
        is the derivative of each element's own loss.

    Raises
    ------
    ValueError, TypeError
        As for :func:`lossbook.pinball_loss`.

    Examples
    --------
    >>> from lossbook.custom import pinball_loss_gradient
    >>> pinball_loss_gradient([3.0, 1.0, 0.0], [1.0, 1.0, 1.0],
    ...                       quantile=0.9, reduction="sum")
    array([-0.9, -0.4,  0.1])
    """
    q = _check_quantile(quantile)
    u, dtype = _residual(y_true, y_pred, reduction)
    q_ = u.dtype.type(q)
    grad = np.where(u > 0, -q_, np.where(u < 0, 1 - q_, 0.5 - q_))
    grad = reduce_gradient(grad.astype(u.dtype, copy=False), reduction,
                           count=grad.size)
    return grad.astype(dtype, copy=False)


#: Closed-form derivatives with respect to ``y_pred``, for
#: :func:`lossbook.gradient`.
GRADIENTS = {pinball_loss: pinball_loss_gradient}
