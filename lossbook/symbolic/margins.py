r"""SymPy definitions of the margin losses of :mod:`lossbook.margins`.

Each is the loss of one element (binary hinges, ranking) or one sample
(the multi-class hinges) as a :class:`~lossbook.symbolic.LossDefinition`,
written with :class:`sympy.Max`. The multi-class definitions take the
number of classes :math:`C`: with an integer they are a
:class:`sympy.Piecewise` with one branch per value of the integer label
:math:`t` (inputs ``t``, then ``z_0 ... z_{C-1}``), evaluable at 50 digits;
with ``None`` they are the display forms the book prints (no inputs).

SymPy differentiates ``Max(0, u)`` to ``Heaviside(u) * du``; at the kink
:math:`u = 0` the NumPy (sub)gradients take the value 0.
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = [
    "categorical_hinge_loss",
    "hinge_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "squared_hinge_loss",
]


def _signed():
    y = sp.Symbol("y", real=True)
    y_hat = sp.Symbol(r"\hat{y}", real=True)
    return y, y_hat


def hinge_loss() -> LossDefinition:
    r"""The hinge :math:`\max(0, 1 - y\hat y)`, inputs ``(y, y_hat)``.

    >>> d = hinge_loss()
    >>> float(d.evaluate(-1.0, 0.5))
    1.5
    """
    y, y_hat = _signed()
    return LossDefinition(
        "hinge_loss", sp.Max(0, 1 - y * y_hat), inputs=(y, y_hat),
        wrt=(y_hat,), notes="y is -1 or +1.",
    )


def squared_hinge_loss() -> LossDefinition:
    r"""The squared hinge :math:`\max(0, 1 - y\hat y)^2`.

    >>> float(squared_hinge_loss().evaluate(1.0, 0.5))
    0.25
    """
    y, y_hat = _signed()
    return LossDefinition(
        "squared_hinge_loss", sp.Max(0, 1 - y * y_hat) ** 2,
        inputs=(y, y_hat), wrt=(y_hat,), notes="y is -1 or +1.",
    )


def _label_and_logits(num_classes: int):
    t = sp.Symbol("t", integer=True, nonnegative=True)
    zs = sp.symbols(f"z_0:{num_classes}", real=True)
    return t, zs


def categorical_hinge_loss(num_classes: int | None = None) -> LossDefinition:
    r"""Crammer and Singer: :math:`\max(0, 1 + \max_{c \ne t} z_c - z_t)`.

    >>> d = categorical_hinge_loss(3)
    >>> round(float(d.evaluate(1, -0.131, -0.625, -0.75)), 6)
    1.494
    """
    if num_classes is None:
        z = sp.IndexedBase("z")
        t = sp.Symbol("y", integer=True)
        best = sp.Symbol(r"\max_{c \ne y} z_{c}", real=True)
        expr = sp.Max(0, 1 + best - z[t])
        return LossDefinition(
            "categorical_hinge_loss", expr, inputs=(), wrt=(z[t],),
            notes="Display form: no inputs, not evaluable.",
        )
    t, zs = _label_and_logits(num_classes)
    branches = []
    for k in range(num_classes):
        best = sp.Max(*[zc for c, zc in enumerate(zs) if c != k])
        branches.append((sp.Max(0, 1 + best - zs[k]), sp.Eq(t, k)))
    return LossDefinition(
        "categorical_hinge_loss", sp.Piecewise(*branches),
        inputs=(t, *zs), wrt=zs, notes="One branch per label value.",
    )


def multi_margin_loss(
    num_classes: int | None = None, *, p: int = 1, weighted: bool = False
) -> LossDefinition:
    r"""Weston and Watkins, PyTorch's form (divided by :math:`C`).

    :math:`\frac{w_t}{C}\sum_{c \ne t}\max(0, m - z_t + z_c)^p`, parameter
    ``margin`` (:math:`m`, default 1) and, when ``weighted``, the class
    weights ``w_0 ... w_{C-1}`` (otherwise :math:`w_t = 1`).

    >>> d = multi_margin_loss(3)
    >>> round(float(d.evaluate(1, -0.131, -0.625, -0.75)), 6)
    0.789667
    """
    margin = sp.Symbol("m", nonnegative=True)
    if num_classes is None:
        c = sp.Symbol("c", integer=True, nonnegative=True)
        y = sp.Symbol("y", integer=True, nonnegative=True)
        size = sp.Symbol("C", integer=True, positive=True)
        z, w = sp.IndexedBase("z"), sp.IndexedBase("w")
        term = (1 - sp.KroneckerDelta(c, y)) * sp.Max(
            0, margin - z[y] + z[c]) ** p
        scale = w[y] / size if weighted else 1 / size
        expr = scale * sp.Sum(term, (c, 0, size - 1))
        return LossDefinition(
            "multi_margin_loss", expr, inputs=(), wrt=(z[c],),
            params=(margin,), notes="Display form: no inputs, not evaluable.",
        )
    t, zs = _label_and_logits(num_classes)
    ws = (sp.symbols(f"w_0:{num_classes}", nonnegative=True) if weighted
          else (1,) * num_classes)
    branches = []
    for k in range(num_classes):
        total = sum(sp.Max(0, margin - zs[k] + zc) ** p
                    for c, zc in enumerate(zs) if c != k)
        branches.append((ws[k] * total / num_classes, sp.Eq(t, k)))
    params = (margin, *ws) if weighted else (margin,)
    return LossDefinition(
        "multi_margin_loss", sp.Piecewise(*branches), inputs=(t, *zs),
        wrt=zs, params=params, notes="One branch per label value.",
        defaults={"m": 1.0},
    )


def margin_ranking_loss() -> LossDefinition:
    r"""The pairwise ranking loss :math:`\max(0, -y(x_1 - x_2) + m)`.

    Inputs ``(y, x_1, x_2)``, differentiated by both scores; parameter
    ``margin`` (:math:`m`, default 0).

    >>> d = margin_ranking_loss()
    >>> round(float(d.evaluate(1.0, 0.2, 0.5, m=0.1)), 6)
    0.4
    """
    y = sp.Symbol("y", real=True)
    x1, x2 = sp.symbols("x_1 x_2", real=True)
    margin = sp.Symbol("m", real=True)
    return LossDefinition(
        "margin_ranking_loss", sp.Max(0, -y * (x1 - x2) + margin),
        inputs=(y, x1, x2), wrt=(x1, x2), params=(margin,),
        notes="y is -1 or +1.", defaults={"m": 0.0},
    )
