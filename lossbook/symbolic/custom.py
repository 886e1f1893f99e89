r"""SymPy definition of the worked-example loss of :mod:`lossbook.custom`.

The pinball (quantile) loss is written as the maximum of its two slopes,
in terms of the target :math:`y`, the prediction :math:`\hat y` (inputs
``(y, yhat)``, differentiated by ``yhat``) and the quantile level
``quantile`` (printed as :math:`q` with
``latex(symbol_names={quantile: "q"})``).

>>> from lossbook.symbolic.custom import pinball_loss
>>> defn = pinball_loss()
>>> q = defn.params[0]
>>> print(defn.latex(symbol_names={q: "q"}).split(", ")[0])
\max\left(q \left(y - \hat{y}\right)
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = ["pinball_loss"]


def pinball_loss() -> LossDefinition:
    r"""Pinball loss :math:`\max(q(y - \hat y), (q - 1)(y - \hat y))`.

    Parameter ``quantile`` (:math:`q`, in (0, 1)). SymPy differentiates
    ``Max`` into Heaviside steps with :math:`\theta(0) = \tfrac12`, so the
    derivative at :math:`y = \hat y` is :math:`\tfrac12 - q`, the midpoint
    of the subdifferential; :func:`lossbook.custom.pinball_loss_gradient`
    makes the same choice.

    >>> defn = pinball_loss()
    >>> float(defn.evaluate(3.0, 1.0, quantile=0.25))  # 0.25 * 2
    0.5
    >>> float(defn.evaluate(1.0, 1.0, expr=defn.derivative(), quantile=0.25))
    0.25
    """
    y = sp.Symbol("y", real=True)
    y_hat = sp.Symbol("yhat", real=True)  # printed as \hat{y}
    q = sp.Symbol("quantile", positive=True)
    u = y - y_hat
    expr = sp.Max(q * u, (q - 1) * u)
    return LossDefinition("pinball_loss", expr, (y, y_hat), (y_hat,), (q,),
                          notes="quantile in (0, 1)")
