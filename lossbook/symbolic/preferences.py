r"""SymPy definitions of the preference losses of :mod:`lossbook.preferences`.

Both are :math:`-\log\sigma(h) = \log(1 + e^{-h})` of a difference
:math:`h`, written out so that SymPy differentiates them in every score.
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = ["bradley_terry_loss", "dpo_loss"]


def _neg_log_sigmoid(h: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(-h))


def bradley_terry_loss() -> LossDefinition:
    r"""The reward-model loss :math:`-\log\sigma(s_c - s_r - m)`.

    Inputs ``(s_c, s_r)``, differentiated by both; parameter ``m`` (the
    margin, default 0).

    >>> d = bradley_terry_loss()
    >>> round(float(d.evaluate(1.0, 1.0)), 6)  # ln 2
    0.693147
    """
    s_c, s_r = sp.symbols("s_c s_r", real=True)
    margin = sp.Symbol("m", real=True)
    return LossDefinition(
        "bradley_terry_loss", _neg_log_sigmoid(s_c - s_r - margin),
        inputs=(s_c, s_r), wrt=(s_c, s_r), params=(margin,),
        notes="BCE with label 1 on the score difference.",
        defaults={"m": 0.0},
    )


def dpo_loss(symbols_only: bool = False) -> LossDefinition:
    r"""DPO with conservative label smoothing :math:`\varepsilon`.

    .. math::

        -(1 - \varepsilon)\log\sigma(h) - \varepsilon\log\sigma(-h),\quad
        h = \beta\bigl[(\pi_c - r_c) - (\pi_r - r_r)\bigr]

    Inputs ``(pi_c, pi_r, r_c, r_r)`` in the order of the NumPy
    arguments, differentiated by all four; parameters ``beta`` and
    ``label_smoothing`` (defaults 0.1 and 0). ``symbols_only`` leaves
    :math:`h` as a symbol, for the display of the loss as a function of
    the implicit reward margin.

    >>> d = dpo_loss()
    >>> round(float(d.evaluate(-4.0, -8.0, -5.0, -7.0, beta=0.5)), 6)
    0.313262
    """
    pi_c, pi_r, r_c, r_r = sp.symbols(r"\pi_c \pi_r r_c r_r", real=True)
    beta = sp.Symbol("beta", positive=True)
    eps = sp.Symbol("label_smoothing", nonnegative=True)
    if symbols_only:
        h = sp.Symbol("h", real=True)
        inputs, wrt = (h,), (h,)
    else:
        h = beta * ((pi_c - r_c) - (pi_r - r_r))
        inputs, wrt = (pi_c, pi_r, r_c, r_r), (pi_c, pi_r, r_c, r_r)
    expr = (1 - eps) * _neg_log_sigmoid(h) + eps * _neg_log_sigmoid(-h)
    return LossDefinition(
        "dpo_loss", expr, inputs=inputs, wrt=wrt, params=(beta, eps),
        notes="TRL's sigmoid loss; summed sequence log-probabilities.",
        defaults={"beta": 0.1, "label_smoothing": 0.0},
    )
