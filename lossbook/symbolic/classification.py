r"""SymPy definitions of the cross-entropy losses.

One function per NumPy loss in :mod:`lossbook.classification` (and the
token-level :func:`sequence_cross_entropy`), each returning a
:class:`~lossbook.symbolic.LossDefinition` of the per-element or
per-sample loss. Reductions (means, weighted means, masks) are not part
of the definitions: they act on the values these give.

The multi-class definitions take ``num_classes``. With an integer ``C``
they are concrete expressions in scalar symbols (``y_0 ... y_{C-1}`` and
``z_0 ... z_{C-1}`` or ``p_0 ... p_{C-1}``), which the tests evaluate at
50 digits and more; with ``None`` they are display forms written with
:class:`sympy.Sum` over indexed symbols, for the book's formulas and the
general derivative (they have no ``inputs`` and cannot be evaluated).

Hyperparameter symbols are named like the NumPy keywords
(``pos_weight``, ``label_smoothing``, class weights ``w_0 ... w_{C-1}``
for ``weight``), so ``evaluate(..., pos_weight=3.0)`` reads as the call it
checks.
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "cross_entropy",
    "sequence_cross_entropy",
    "sparse_categorical_cross_entropy",
]


def _softplus(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


def binary_cross_entropy() -> LossDefinition:
    r"""Binary cross-entropy of a probability :math:`p` against :math:`y`.

    :math:`-[y \log p + (1 - y)\log(1 - p)]`, inputs ``(y, p)``; the
    ``weight`` of the NumPy function multiplies this value.

    >>> d = binary_cross_entropy()
    >>> d.derivative()
    (1 - y)/(1 - p) - y/p
    >>> float(d.evaluate(1.0, 0.5))  # ln 2
    0.6931471805599453
    """
    y, p = sp.symbols("y p", real=True)
    expr = -y * sp.log(p) - (1 - y) * sp.log(1 - p)
    return LossDefinition(
        "binary_cross_entropy",
        expr,
        inputs=(y, p),
        wrt=(p,),
        notes="0 log 0 = 0: a zero coefficient removes its term.",
    )


def binary_cross_entropy_with_logits() -> LossDefinition:
    r"""Binary cross-entropy of :math:`\sigma(z)`, in softplus form.

    :math:`\pi\, y \log(1 + e^{-z}) + (1 - y)\log(1 + e^{z})`, which is
    :math:`-[\pi\, y \log\sigma(z) + (1 - y)\log(1 - \sigma(z))]`; inputs
    ``(y, z)``, parameter ``pos_weight`` (:math:`\pi`, 1 for plain BCE).

    >>> d = binary_cross_entropy_with_logits()
    >>> float(d.evaluate(1.0, 0.0))  # ln 2 (pos_weight defaults to 1)
    0.6931471805599453
    """
    y, z = sp.symbols("y z", real=True)
    pos_weight = sp.Symbol("pos_weight", nonnegative=True)
    expr = pos_weight * y * _softplus(-z) + (1 - y) * _softplus(z)
    return LossDefinition(
        "binary_cross_entropy_with_logits",
        expr,
        inputs=(y, z),
        wrt=(z,),
        params=(pos_weight,),
        notes="softplus(-z) = -log sigma(z); 1 - sigma(z) = sigma(-z).",
        defaults={"pos_weight": 1.0},
    )


def _class_symbols(prefix: str, num_classes: int, **assumptions):
    return sp.symbols(f"{prefix}_0:{num_classes}", **assumptions)


def cross_entropy(
    num_classes: int | None = None,
    *,
    weighted: bool = False,
    smoothed: bool = False,
) -> LossDefinition:
    r"""Softmax cross-entropy of logits :math:`z` against a target :math:`y`.

    .. math::

        -\sum_c w_c \bigl((1 - \varepsilon) y_c + \tfrac{\varepsilon}{C}
        \bigr) \log \frac{e^{z_c}}{\sum_j e^{z_j}}

    The target is a probability vector; an integer label is its one-hot
    vector. ``weighted`` adds the class weights :math:`w_c` (parameters
    ``w_0 ... w_{C-1}``), ``smoothed`` the parameter ``label_smoothing``
    (:math:`\varepsilon`); without them :math:`w_c = 1`,
    :math:`\varepsilon = 0`. Inputs: ``y_0 ... y_{C-1}``, then
    ``z_0 ... z_{C-1}``; the derivative is taken in ``z_0`` (``wrt``
    lists every logit).

    With ``num_classes=None`` the display form uses indexed symbols and
    differentiates in :math:`z_k`.

    >>> d = cross_entropy(2)
    >>> float(d.evaluate(1.0, 0.0, 0.0, 0.0))  # ln 2
    0.6931471805599453
    """
    eps = sp.Symbol("label_smoothing", nonnegative=True)
    if num_classes is None:
        c, j, k = sp.symbols("c j k", integer=True, nonnegative=True)
        size = sp.Symbol("C", integer=True, positive=True)
        y, z, w = sp.IndexedBase("y"), sp.IndexedBase("z"), sp.IndexedBase("w")
        target = (1 - eps) * y[c] + eps / size if smoothed else y[c]
        coef = w[c] * target if weighted else target
        log_p = sp.log(sp.exp(z[c]) / sp.Sum(sp.exp(z[j]), (j, 0, size - 1)))
        expr = -sp.Sum(coef * log_p, (c, 0, size - 1))
        return LossDefinition(
            "cross_entropy", expr, inputs=(), wrt=(z[k],),
            notes="Display form: no inputs, not evaluable.",
        )
    ys = _class_symbols("y", num_classes, real=True)
    zs = _class_symbols("z", num_classes, real=True)
    ws = _class_symbols("w", num_classes, nonnegative=True) if weighted else ()
    total = sum(sp.exp(zc) for zc in zs)
    expr = sp.Integer(0)
    for cls in range(num_classes):
        target = ys[cls]
        if smoothed:
            target = (1 - eps) * target + eps / num_classes
        if weighted:
            target = ws[cls] * target
        expr -= target * sp.log(sp.exp(zs[cls]) / total)
    params = (*ws, eps) if smoothed else ws
    return LossDefinition(
        "cross_entropy",
        expr,
        inputs=(*ys, *zs),
        wrt=zs,
        params=params,
        notes="Integer labels are one-hot targets.",
    )


def categorical_cross_entropy(
    num_classes: int | None = None,
) -> LossDefinition:
    r"""Cross-entropy :math:`-\sum_c y_c \log p_c` of probabilities.

    Inputs ``y_0 ... y_{C-1}``, then ``p_0 ... p_{C-1}``; the derivative
    is the partial one in ``p_0`` (``wrt`` lists every probability), with
    no constraint that the :math:`p_c` sum to 1.

    >>> d = categorical_cross_entropy(2)
    >>> round(float(d.evaluate(0.0, 1.0, 0.25, 0.75)), 6)  # ln(4/3)
    0.287682
    """
    if num_classes is None:
        c, k = sp.symbols("c k", integer=True, nonnegative=True)
        size = sp.Symbol("C", integer=True, positive=True)
        y, p = sp.IndexedBase("y"), sp.IndexedBase("p")
        expr = -sp.Sum(y[c] * sp.log(p[c]), (c, 0, size - 1))
        return LossDefinition(
            "categorical_cross_entropy", expr, inputs=(), wrt=(p[k],),
            notes="Display form: no inputs, not evaluable.",
        )
    ys = _class_symbols("y", num_classes, real=True)
    ps = _class_symbols("p", num_classes, positive=True)
    expr = -sum(yc * sp.log(pc) for yc, pc in zip(ys, ps, strict=True))
    return LossDefinition(
        "categorical_cross_entropy",
        expr,
        inputs=(*ys, *ps),
        wrt=ps,
        notes="0 log 0 = 0: a zero target removes its term.",
    )


def sparse_categorical_cross_entropy(
    num_classes: int | None = None,
) -> LossDefinition:
    r"""Cross-entropy :math:`-\log p_y` of an integer label :math:`y`.

    Concrete form: a :class:`sympy.Piecewise` with one branch
    :math:`-\log p_c` for each label value :math:`y = c` (undefined for
    other values); inputs ``y`` (the label), then ``p_0 ... p_{C-1}``.
    Display form (``None``): :math:`-\log p_y` with indexed :math:`p`.

    >>> d = sparse_categorical_cross_entropy(2)
    >>> round(float(d.evaluate(0, 0.25, 0.75)), 6)  # ln 4
    1.386294
    """
    y = sp.Symbol("y", integer=True, nonnegative=True)
    if num_classes is None:
        p = sp.IndexedBase("p")
        return LossDefinition(
            "sparse_categorical_cross_entropy", -sp.log(p[y]), inputs=(),
            wrt=(p[y],), notes="Display form: no inputs, not evaluable.",
        )
    ps = _class_symbols("p", num_classes, positive=True)
    expr = sp.Piecewise(
        *[(-sp.log(pc), sp.Eq(y, cls)) for cls, pc in enumerate(ps)]
    )
    return LossDefinition(
        "sparse_categorical_cross_entropy",
        expr,
        inputs=(y, *ps),
        wrt=ps,
        notes="One branch per label value.",
    )


def sequence_cross_entropy(num_classes: int | None = None) -> LossDefinition:
    r"""The per-token loss of the sequence loss: :func:`cross_entropy`.

    A token's loss is the softmax cross-entropy of its logits; the mask
    only weights and averages those values, so this is
    ``cross_entropy(num_classes)`` under the sequence loss's name.

    >>> sequence_cross_entropy(2).inputs
    (y_0, y_1, z_0, z_1)
    """
    base = cross_entropy(num_classes)
    return LossDefinition(
        "sequence_cross_entropy",
        base.expr,
        inputs=base.inputs,
        wrt=base.wrt,
        params=base.params,
        notes="Per token, the softmax cross-entropy; the mask reduces.",
    )
