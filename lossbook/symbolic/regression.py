r"""SymPy definitions of the regression losses of :mod:`lossbook.regression`.

Each function returns a :class:`~lossbook.symbolic.LossDefinition` of one
element's loss in terms of the target :math:`y` and the prediction
:math:`\hat y` (inputs ``(y, yhat)``, differentiated by ``yhat``), written
through the residual :math:`d = \hat y - y`. The expressions are the plain
mathematical definitions; the numerically careful rewrites live in the
NumPy functions, which are tested against these.

>>> from lossbook.symbolic.regression import mse
>>> mse().latex(r"\ell")
'\\ell = \\left(- y + \\hat{y}\\right)^{2}'
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = ["huber", "log_cosh", "mae", "mse", "smooth_l1"]


def _symbols() -> tuple[sp.Symbol, sp.Symbol, sp.Expr]:
    """The target, the prediction and the residual ``yhat - y``."""
    y = sp.Symbol("y", real=True)
    y_hat = sp.Symbol("yhat", real=True)  # printed as \hat{y}
    return y, y_hat, y_hat - y


def mse() -> LossDefinition:
    r"""Squared error :math:`(\hat y - y)^2` (no factor 1/2, as PyTorch).

    >>> mse().derivative()
    -2*y + 2*yhat
    """
    y, y_hat, d = _symbols()
    return LossDefinition("mse", d**2, (y, y_hat), (y_hat,))


def mae() -> LossDefinition:
    r"""Absolute error :math:`|\hat y - y|`; its derivative is the sign.

    >>> mae().derivative()
    -sign(y - yhat)
    """
    y, y_hat, d = _symbols()
    return LossDefinition("mae", sp.Abs(d), (y, y_hat), (y_hat,))


def huber() -> LossDefinition:
    r"""Huber: :math:`\tfrac12 d^2` for :math:`|d| \le \delta`, else
    :math:`\delta(|d| - \tfrac12\delta)`; parameter ``delta``.

    >>> float(huber().evaluate(0.0, 3.0, delta=1.0))  # 1 * (3 - 1/2)
    2.5
    """
    y, y_hat, d = _symbols()
    delta = sp.Symbol("delta", positive=True)
    expr = sp.Piecewise(
        (d**2 / 2, sp.Abs(d) <= delta),
        (delta * (sp.Abs(d) - delta / 2), True),
    )
    return LossDefinition("huber", expr, (y, y_hat), (y_hat,), (delta,))


def smooth_l1() -> LossDefinition:
    r"""Smooth L1: :math:`d^2/(2\beta)` for :math:`|d| < \beta`, else
    :math:`|d| - \tfrac12\beta`; parameter ``beta`` (``beta=0``: :math:`|d|`).

    The strict ``<`` makes ``beta = 0`` select the linear piece, so the
    definition never divides by zero.
    """
    y, y_hat, d = _symbols()
    beta = sp.Symbol("beta", nonnegative=True)
    expr = sp.Piecewise(
        (d**2 / (2 * beta), sp.Abs(d) < beta),
        (sp.Abs(d) - beta / 2, True),
    )
    return LossDefinition("smooth_l1", expr, (y, y_hat), (y_hat,), (beta,))


def log_cosh() -> LossDefinition:
    r"""Log-cosh :math:`\log\cosh(\hat y - y)`; its derivative is tanh.

    >>> sp.simplify(log_cosh().derivative() - sp.tanh(
    ...     sp.Symbol("yhat", real=True) - sp.Symbol("y", real=True)))
    0
    """
    y, y_hat, d = _symbols()
    expr = sp.log(sp.cosh(d))
    return LossDefinition("log_cosh", expr, (y, y_hat), (y_hat,))
