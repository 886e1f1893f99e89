r"""SymPy definitions of the focal losses of :mod:`lossbook.focal`.

:func:`sigmoid_focal_loss` is one element's loss in terms of the target
:math:`y`, the logit :math:`z` and the parameters :math:`\alpha`,
:math:`\gamma`, with :math:`p = 1/(1 + e^{-z})`, exactly as Lin et al.
(2017) and torchvision write it (soft :math:`y` included).

:func:`softmax_focal_loss` is one sample's loss over a concrete number of
classes :math:`C`, with logits :math:`z_0, \dots, z_{C-1}`. The integer
label :math:`t` of the NumPy function enters as its one-hot indicator
:math:`y_c = [c = t]` (inputs :math:`y_0, \dots, y_{C-1}`), which turns
"the probability of the true class" into the sums
:math:`p_t = \sum_c y_c p_c`, :math:`\log p_t = \sum_c y_c \log p_c` and
:math:`\alpha_t = \sum_c y_c \alpha_c`: polynomial in the :math:`y_c`, so
SymPy differentiates it in :math:`z` directly. The expressions are the
plain definitions; the numerically careful rewrites live in the NumPy
functions, which are tested against these.
"""

from __future__ import annotations

import numbers

import sympy as sp

from lossbook._validation import check_scalar
from lossbook.symbolic._core import LossDefinition

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss"]


def sigmoid_focal_loss(alpha_balanced: bool = True) -> LossDefinition:
    r"""Binary focal loss :math:`\alpha_t (1 - p_t)^\gamma\,\mathrm{BCE}`.

    .. math::

        \ell = -\alpha_t (1 - p_t)^\gamma
        \bigl[y \log p + (1 - y)\log(1 - p)\bigr],\quad
        p = \frac{1}{1 + e^{-z}},

    with :math:`p_t = p y + (1 - p)(1 - y)` and
    :math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`. Inputs ``(y, z)``,
    differentiated by ``z``; parameters ``gamma`` and, when
    ``alpha_balanced`` (the NumPy default), ``alpha``. With
    ``alpha_balanced=False`` there is no :math:`\alpha_t` factor, which is
    the NumPy function's ``alpha=None``.

    >>> fl = sigmoid_focal_loss()
    >>> float(fl.evaluate(1.0, 0.0, alpha=0.25, gamma=2.0))  # .25^2 log 2
    0.04332169878499658
    >>> # gamma = 0, no alpha, y = 1: the cross-entropy log(1 + e^-z)
    >>> y, z = fl.inputs
    >>> ce = sigmoid_focal_loss(alpha_balanced=False).subs(gamma=0)
    >>> sp.simplify(ce.subs(y, 1) - sp.log(1 + sp.exp(-z)))
    0
    """
    y = sp.Symbol("y", real=True)
    z = sp.Symbol("z", real=True)
    alpha = sp.Symbol("alpha", nonnegative=True)
    gamma = sp.Symbol("gamma", nonnegative=True)
    p = 1 / (1 + sp.exp(-z))
    p_t = p * y + (1 - p) * (1 - y)
    ce = -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
    expr = (1 - p_t) ** gamma * ce
    params: tuple[sp.Symbol, ...] = (gamma,)
    if alpha_balanced:
        expr = (alpha * y + (1 - alpha) * (1 - y)) * expr
        params = (alpha, gamma)
    return LossDefinition(
        "sigmoid_focal_loss", expr, (y, z), (z,), params,
        notes="p = sigma(z); alpha_balanced=False is the NumPy alpha=None",
    )


def softmax_focal_loss(num_classes: int) -> LossDefinition:
    r"""Multi-class focal loss of one sample over ``num_classes`` classes.

    .. math::

        \ell = -\Bigl(\sum_c y_c \alpha_c\Bigr)
        \Bigl(1 - \sum_c y_c p_c\Bigr)^\gamma \sum_c y_c \log p_c,\quad
        p_c = \frac{e^{z_c}}{\sum_j e^{z_j}},

    with :math:`y` the one-hot indicator of the label. Inputs
    ``(y_0, ..., y_{C-1}, z_0, ..., z_{C-1})``, differentiated by the
    ``z_c``; parameters ``gamma`` and ``alpha_0, ..., alpha_{C-1}``
    (all 1 for the NumPy function's ``alpha=None``, all equal to it for a
    scalar ``alpha``).

    >>> fl = softmax_focal_loss(2)
    >>> ones = {"alpha_0": 1.0, "alpha_1": 1.0}
    >>> float(fl.evaluate(1, 0, 0.0, 0.0, gamma=2.0, **ones))  # .5^2 log 2
    0.17328679513998632
    """
    if isinstance(num_classes, bool) or not isinstance(
        num_classes, numbers.Integral
    ):
        raise TypeError(
            f"num_classes must be an integer, got {type(num_classes).__name__}"
        )
    size = int(check_scalar(num_classes, "num_classes", min_val=1))
    y = sp.symbols(f"y_0:{size}", real=True)
    z = sp.symbols(f"z_0:{size}", real=True)
    alpha = sp.symbols(f"alpha_0:{size}", nonnegative=True)
    gamma = sp.Symbol("gamma", nonnegative=True)
    denom = sp.Add(*[sp.exp(zj) for zj in z])
    probs = [sp.exp(zc) / denom for zc in z]
    p_t = sp.Add(*[yc * pc for yc, pc in zip(y, probs, strict=True)])
    log_p_t = sp.Add(*[yc * sp.log(pc) for yc, pc in zip(y, probs,
                                                          strict=True)])
    alpha_t = sp.Add(*[yc * ac for yc, ac in zip(y, alpha, strict=True)])
    expr = -alpha_t * (1 - p_t) ** gamma * log_p_t
    return LossDefinition(
        "softmax_focal_loss", expr, (*y, *z), tuple(z), (gamma, *alpha),
        notes="y_c is the one-hot indicator [c = label]",
    )
