r"""SymPy definitions of the box losses of :mod:`lossbook.boxes`.

Each function returns a :class:`~lossbook.symbolic.LossDefinition` of the
loss between one true box and one predicted box, both in ``(x1, y1, x2,
y2)`` corner form. The inputs are the four corners of the true box
(``tx1, ty1, tx2, ty2``), then those of the prediction (``px1, py1, px2,
py2``), which are the symbols differentiated by; ``eps`` is the parameter
torchvision adds to the denominators. The expressions are the plain
definitions with ``Max`` and ``Min``; the NumPy functions rewrite them to
avoid cancellation and are tested against these.

>>> from lossbook.symbolic.boxes import iou_loss
>>> # a 1x1 box inside a 2x2 box: IoU = 1/4, so the loss is 3/4
>>> float(iou_loss().evaluate(0, 0, 2, 2, 0, 0, 1, 1, eps=0.0))
0.75
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = ["ciou_loss", "diou_loss", "giou_loss", "iou_loss"]


class _Geometry(NamedTuple):
    """The pieces every box loss is built from, as SymPy expressions."""

    inputs: tuple[sp.Symbol, ...]
    wrt: tuple[sp.Symbol, ...]
    eps: sp.Symbol
    iou: sp.Expr  # I / (U + eps)
    union: sp.Expr
    enclosing_area: sp.Expr
    diagonal2: sp.Expr  # squared diagonal of the enclosing box
    centre2: sp.Expr  # squared distance between the centres
    angle_true: sp.Expr  # atan2(w, h) of each box
    angle_pred: sp.Expr


def _geometry() -> _Geometry:
    true = sp.symbols("tx1 ty1 tx2 ty2", real=True)
    pred = sp.symbols("px1 py1 px2 py2", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    tx1, ty1, tx2, ty2 = true
    px1, py1, px2, py2 = pred
    inter_w = sp.Max(0, sp.Min(tx2, px2) - sp.Max(tx1, px1))
    inter_h = sp.Max(0, sp.Min(ty2, py2) - sp.Max(ty1, py1))
    inter = inter_w * inter_h
    union = (tx2 - tx1) * (ty2 - ty1) + (px2 - px1) * (py2 - py1) - inter
    enc_w = sp.Max(tx2, px2) - sp.Min(tx1, px1)
    enc_h = sp.Max(ty2, py2) - sp.Min(ty1, py1)
    centre2 = ((px1 + px2 - tx1 - tx2) / 2) ** 2 + (
        (py1 + py2 - ty1 - ty2) / 2
    ) ** 2
    return _Geometry(
        inputs=true + pred,
        wrt=pred,
        eps=eps,
        iou=inter / (union + eps),
        union=union,
        enclosing_area=enc_w * enc_h,
        diagonal2=enc_w**2 + enc_h**2,
        centre2=centre2,
        # atan2(w, h) is arctan(w / h) for h > 0, extended to h = 0
        angle_true=sp.atan2(tx2 - tx1, ty2 - ty1),
        angle_pred=sp.atan2(px2 - px1, py2 - py1),
    )


def _definition(name: str, g: _Geometry, expr: sp.Expr) -> LossDefinition:
    return LossDefinition(name, expr, g.inputs, g.wrt, (g.eps,))


def iou_loss() -> LossDefinition:
    r"""IoU loss :math:`1 - I/(U + \epsilon)`.

    :math:`I` is the area of the intersection, :math:`U` that of the union.

    >>> # boxes that only touch along an edge do not intersect: loss 1
    >>> float(iou_loss().evaluate(0, 0, 1, 1, 1, 0, 2, 1, eps=0.0))
    1.0
    """
    g = _geometry()
    return _definition("iou_loss", g, 1 - g.iou)


def giou_loss() -> LossDefinition:
    r"""GIoU loss :math:`1 - I/(U + \epsilon) + (C - U)/(C + \epsilon)`.

    :math:`C` is the area of the smallest box enclosing both.

    >>> # unit boxes with one unit of gap: C = 3, U = 2, IoU = 0
    >>> float(giou_loss().evaluate(0, 0, 1, 1, 2, 0, 3, 1, eps=0.0))
    1.3333333333333333
    """
    g = _geometry()
    c = g.enclosing_area
    return _definition(
        "giou_loss", g, 1 - g.iou + (c - g.union) / (c + g.eps)
    )


def _diou_expr(g: _Geometry) -> sp.Expr:
    return 1 - g.iou + g.centre2 / (g.diagonal2 + g.eps)


def diou_loss() -> LossDefinition:
    r"""DIoU loss :math:`1 - I/(U + \epsilon) + \rho^2/(c^2 + \epsilon)`.

    :math:`\rho` is the distance between the centres and :math:`c` the
    diagonal of the enclosing box.

    >>> # unit boxes with one unit of gap: rho^2 = 4, c^2 = 9 + 1
    >>> float(diou_loss().evaluate(0, 0, 1, 1, 2, 0, 3, 1, eps=0.0))
    1.4
    """
    g = _geometry()
    return _definition("diou_loss", g, _diou_expr(g))


def ciou_loss() -> LossDefinition:
    r"""CIoU loss: the DIoU loss plus :math:`\alpha v`.

    .. math::

        v = \frac{4}{\pi^2}\bigl(\operatorname{atan2}(w, h)
            - \operatorname{atan2}(\hat w, \hat h)\bigr)^2, \qquad
        \alpha = \frac{v}{1 - I/(U + \epsilon) + v + \epsilon}

    Here :math:`\alpha` is a function of the boxes like everything else,
    so :meth:`~lossbook.symbolic.LossDefinition.derivative` differentiates
    through it (torchvision holds it constant).

    >>> # a 1x2 box in the middle of a 2x2 box: 1 - IoU = 1/2, rho = 0,
    >>> # v = (4/pi^2)(pi/4 - atan(1/2))^2, so alpha v = v^2 / (1/2 + v)
    >>> round(float(ciou_loss().evaluate(0, 0, 2, 2, 0.5, 0, 1.5, 2,
    ...                                  eps=0.0)), 12)
    0.503248129299
    """
    g = _geometry()
    v = 4 / sp.pi**2 * (g.angle_true - g.angle_pred) ** 2
    alpha = v / (1 - g.iou + v + g.eps)
    return _definition("ciou_loss", g, _diou_expr(g) + alpha * v)
