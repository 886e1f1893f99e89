r"""SymPy definitions of the segmentation losses of
:mod:`lossbook.segmentation`.

:func:`dice_loss` and :func:`soft_iou_loss` are the loss of one class of
one sample over ``n`` pixels: inputs ``y_0 ... y_{n-1}`` (the target mask,
in [0, 1]), then ``p_0 ... p_{n-1}`` (the predicted probabilities, the
symbols differentiated by), and the parameter ``smooth``. With ``n=None``
they return a display form with indexed sums, which has no inputs and
cannot be evaluated. The NumPy functions average these over the classes.

:func:`cross_entropy_iou_loss_2d` is the loss of one sample, built from
:func:`lossbook.symbolic.classification.cross_entropy` and
:func:`soft_iou_loss`.

>>> from lossbook.symbolic.segmentation import dice_loss
>>> # target {1, 0}, prediction {1, 1}: 1 - (2*1 + 0) / (1 + 2 + 0)
>>> float(dice_loss(2).evaluate(1, 0, 1, 1, smooth=0.0))
0.3333333333333333
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic import classification
from lossbook.symbolic._core import LossDefinition

__all__ = ["cross_entropy_iou_loss_2d", "dice_loss", "soft_iou_loss"]


def _smooth() -> sp.Symbol:
    return sp.Symbol("smooth", nonnegative=True)


def _sums(n: int | None):
    """Sums of y, p and y p over the pixels, and the prediction symbols.

    For ``n=None`` the sums are indexed display sums over ``i`` and the
    derivative is taken in ``p_k``.
    """
    if n is None:
        i = sp.Symbol("i", integer=True, nonnegative=True)
        k = sp.Symbol("k", integer=True, nonnegative=True)
        size = sp.Symbol("n", integer=True, positive=True)
        y, p = sp.IndexedBase("y"), sp.IndexedBase("p")

        def total(term):
            return sp.Sum(term, (i, 0, size - 1))

        return total(y[i]), total(p[i]), total(y[i] * p[i]), (), (p[k],)
    ys = sp.symbols(f"y_0:{n}", real=True)
    ps = sp.symbols(f"p_0:{n}", real=True)
    inter = sum((a * b for a, b in zip(ys, ps, strict=True)), sp.Integer(0))
    return sum(ys, sp.Integer(0)), sum(ps, sp.Integer(0)), inter, (
        *ys, *ps), ps


def _note(n: int | None) -> str:
    return "Display form: no inputs, not evaluable." if n is None else ""


def dice_loss(n: int | None = None) -> LossDefinition:
    r"""Soft Dice loss of one class over ``n`` pixels.

    .. math::

        1 - \frac{2 \sum_i y_i p_i + s}{\sum_i y_i + \sum_i p_i + s}

    >>> # empty target, empty prediction: s / s, loss 0 for any s > 0
    >>> float(dice_loss(2).evaluate(0, 0, 0, 0, smooth=1.0))
    0.0
    """
    y_sum, p_sum, inter, inputs, wrt = _sums(n)
    s = _smooth()
    expr = 1 - (2 * inter + s) / (y_sum + p_sum + s)
    return LossDefinition("dice_loss", expr, inputs, wrt, (s,), _note(n))


def soft_iou_loss(n: int | None = None) -> LossDefinition:
    r"""Soft IoU (Jaccard) loss of one class over ``n`` pixels.

    .. math::

        1 - \frac{\sum_i y_i p_i + s}
                 {\sum_i y_i + \sum_i p_i - \sum_i y_i p_i + s}

    >>> # target {1, 0}, prediction {1, 1}: 1 - 1 / (1 + 2 - 1)
    >>> float(soft_iou_loss(2).evaluate(1, 0, 1, 1, smooth=0.0))
    0.5
    """
    y_sum, p_sum, inter, inputs, wrt = _sums(n)
    s = _smooth()
    expr = 1 - (inter + s) / (y_sum + p_sum - inter + s)
    return LossDefinition("soft_iou_loss", expr, inputs, wrt, (s,),
                          _note(n))


def cross_entropy_iou_loss_2d(
    num_pixels: int, num_classes: int
) -> LossDefinition:
    r"""The per-sample loss of
    :func:`lossbook.cross_entropy_iou_loss_2d`.

    .. math::

        \frac12 \Bigl(\frac1n \sum_i \mathrm{CE}(y_{i\cdot}, z_{i\cdot})
        + \frac1C \sum_c \mathrm{IoU\,loss}(y_{\cdot c}, p_{\cdot c})\Bigr),
        \qquad p_{ic} = \frac{e^{z_{ic}}}{\sum_j e^{z_{ij}}}

    Inputs: the one-hot targets ``y_i_c`` pixel by pixel (``y_0_0, y_0_1,
    ...``), then the logits ``z_i_c`` in the same order, which are the
    symbols differentiated by; parameter ``smooth``.

    >>> # one pixel, two classes, logits equal: CE = ln 2, p = 1/2;
    >>> # IoU losses 1 - 1/2 (true class) and 1 (other), smooth = 0
    >>> d = cross_entropy_iou_loss_2d(1, 2)
    >>> round(float(d.evaluate(1, 0, 0.0, 0.0, smooth=0.0)), 12)
    0.72157359028
    """
    ce = classification.cross_entropy(num_classes)
    iou = soft_iou_loss(num_pixels)
    ys = [sp.symbols(f"y_{i}_0:{num_classes}", real=True)
          for i in range(num_pixels)]
    zs = [sp.symbols(f"z_{i}_0:{num_classes}", real=True)
          for i in range(num_pixels)]
    ce_sum = sp.Integer(0)
    for y_row, z_row in zip(ys, zs, strict=True):
        ce_sum += ce.expr.subs(dict(zip(ce.inputs, (*y_row, *z_row),
                                        strict=True)), simultaneous=True)
    iou_sum = sp.Integer(0)
    for c in range(num_classes):
        column = [y_row[c] for y_row in ys]
        probs = [sp.exp(z_row[c]) / sum(sp.exp(z) for z in z_row)
                 for z_row in zs]
        iou_sum += iou.expr.subs(dict(zip(iou.inputs, (*column, *probs),
                                          strict=True)), simultaneous=True)
    expr = (ce_sum / num_pixels + iou_sum / num_classes) / 2
    inputs = tuple(s for row in ys for s in row)
    wrt = tuple(s for row in zs for s in row)
    return LossDefinition("cross_entropy_iou_loss_2d", expr,
                          inputs + wrt, wrt, iou.params)
