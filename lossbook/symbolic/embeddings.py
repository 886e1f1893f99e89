r"""SymPy definitions of the embedding losses of :mod:`lossbook.embeddings`.

Vectors of a fixed dimension ``dim`` are spelt out component by component
(inputs ``x1_0 ... x1_{D-1}`` and so on), so that the 50-digit oracle and
the derivatives are plain SymPy. ``dim=None`` gives a display form in
terms of the distances or similarities, for the page.

>>> from lossbook.symbolic.embeddings import contrastive_loss
>>> contrastive_loss().latex(r"\ell")[:30]
'\\ell = \\frac{d^{2} y}{2} + \\fr'
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = [
    "contrastive_loss",
    "cosine_embedding_loss",
    "info_nce_loss",
    "triplet_margin_loss",
]


def _hinge(expr: sp.Expr) -> sp.Expr:
    """max(0, expr) as a Piecewise, which SymPy differentiates branch-wise."""
    return sp.Piecewise((expr, expr > 0), (0, True))


def _vector(prefix: str, dim: int) -> tuple[sp.Symbol, ...]:
    return sp.symbols(f"{prefix}_0:{dim}", real=True)


def _norm(u, p) -> sp.Expr:
    if p == 2:
        return sp.sqrt(sum(c**2 for c in u))
    return sum(sp.Abs(c) ** p for c in u) ** (sp.Integer(1) / p)


def cosine_embedding_loss(dim: int | None = None) -> LossDefinition:
    r"""1 − cos for :math:`y = 1`, :math:`\max(0, \cos - m)` for y = −1.

    Inputs ``y, x1_0.., x2_0..``; parameter ``margin``. The display form
    (``dim=None``) is written in the cosine :math:`c`.

    >>> d = cosine_embedding_loss(2)
    >>> round(float(d.evaluate(1.0, 1.0, 0.0, 0.0, 1.0)), 6)  # orthogonal
    1.0
    """
    y = sp.Symbol("y", real=True)
    margin = sp.Symbol("m", real=True)
    if dim is None:
        c = sp.Symbol("c", real=True)
        expr = sp.Piecewise((1 - c, sp.Eq(y, 1)),
                            (sp.Max(0, c - margin), True))
        return LossDefinition("cosine_embedding_loss", expr, (), (c,),
                              notes="Display form in the cosine c.")
    x1, x2 = _vector("x1", dim), _vector("x2", dim)
    cos = sum(a * b for a, b in zip(x1, x2, strict=True)) / (
        _norm(x1, 2) * _norm(x2, 2))
    expr = sp.Piecewise((1 - cos, sp.Eq(y, 1)), (_hinge(cos - margin), True))
    return LossDefinition(
        "cosine_embedding_loss", expr, (y, *x1, *x2), (*x1, *x2), (margin,),
        notes="y = 1 similar, y = -1 dissimilar.", defaults={"m": 0.0})


def contrastive_loss(dim: int | None = None) -> LossDefinition:
    r"""Hadsell et al.: :math:`\tfrac12[y d^2 + (1-y)\max(0, m - d)^2]`.

    Inputs ``y, x1_0.., x2_0..``; parameter ``margin`` (:math:`m`).

    >>> d = contrastive_loss(2)
    >>> float(d.evaluate(0.0, 0.0, 0.0, 0.3, 0.4, m=1.0))  # (1 - 0.5)^2 / 2
    0.125
    """
    y = sp.Symbol("y", real=True)
    margin = sp.Symbol("m", nonnegative=True)
    if dim is None:
        d = sp.Symbol("d", nonnegative=True)
        expr = y * d**2 / 2 + (1 - y) * sp.Max(0, margin - d) ** 2 / 2
        return LossDefinition("contrastive_loss", expr, (), (d,),
                              notes="Display form in the distance d.")
    x1, x2 = _vector("x1", dim), _vector("x2", dim)
    d = _norm([a - b for a, b in zip(x1, x2, strict=True)], 2)
    expr = y * d**2 / 2 + (1 - y) * _hinge(margin - d) ** 2 / 2
    return LossDefinition(
        "contrastive_loss", expr, (y, *x1, *x2), (*x1, *x2), (margin,),
        notes="y = 1 similar, y = 0 dissimilar.", defaults={"m": 1.0})


def triplet_margin_loss(dim: int | None = None, *, p: float = 2,
                        swap: bool = False) -> LossDefinition:
    r""":math:`\max(0, d(a, p) - d(a, n) + m)` with p-norm distances.

    Inputs ``a_0.., p_0.., n_0..``; parameter ``margin`` (:math:`m`).
    ``swap`` replaces :math:`d(a, n)` by :math:`\min(d(a, n), d(p, n))`.

    >>> d = triplet_margin_loss(2)
    >>> float(d.evaluate(0.0, 0.0, 0.0, 1.0, 3.0, 4.0, m=5.0))
    1.0
    """
    margin = sp.Symbol("m", nonnegative=True)
    if dim is None:
        d_ap, d_an = sp.symbols("d_{ap} d_{an}", nonnegative=True)
        expr = sp.Max(0, d_ap - d_an + margin)
        return LossDefinition("triplet_margin_loss", expr, (), (d_ap,),
                              notes="Display form in the two distances.")
    a, pos, neg = _vector("a", dim), _vector("p", dim), _vector("n", dim)
    p = sp.nsimplify(p)

    def dist(u, v):
        return _norm([s - t for s, t in zip(u, v, strict=True)], p)

    d_neg = dist(a, neg)
    if swap:
        d_pn = dist(pos, neg)
        d_neg = sp.Piecewise((d_pn, d_pn < d_neg), (d_neg, True))
    expr = _hinge(dist(a, pos) - d_neg + margin)
    return LossDefinition(
        "triplet_margin_loss", expr, (*a, *pos, *neg), (*a, *pos, *neg),
        (margin,), notes=f"p = {p}, swap = {swap}.", defaults={"m": 1.0})


def info_nce_loss(batch_size: int | None = None, dim: int | None = None,
                  *, symmetric: bool = False) -> LossDefinition:
    r"""In-batch InfoNCE, the mean over queries of a softmax cross-entropy.

    With sizes given, inputs ``q_i_d`` (row-major, N·D of them), then
    ``k_i_d``; parameter ``tau``; the expression is the batch mean (the
    ``"mean"`` reduction). ``batch_size=None`` gives the display form of one
    query's term in the similarities :math:`s_{ij} = \hat q_i \cdot \hat k_j`.

    >>> d = info_nce_loss(2, 2)
    >>> round(float(d.evaluate(1, 0, 0, 1, 1, 0, 0, 1, tau=1.0)), 6)
    0.313262
    """
    tau = sp.Symbol("tau", positive=True)
    if batch_size is None:
        i, j = sp.symbols("i j", integer=True)
        n = sp.Symbol("N", integer=True, positive=True)
        s = sp.IndexedBase("s")
        expr = -sp.log(sp.exp(s[i, i] / tau)
                       / sp.Sum(sp.exp(s[i, j] / tau), (j, 1, n)))
        return LossDefinition("info_nce_loss", expr, (), (s[i, i],),
                              notes="Display form: one query's term.")
    q = [_vector(f"q_{r}", dim) for r in range(batch_size)]
    k = [_vector(f"k_{r}", dim) for r in range(batch_size)]

    def unit(v):
        norm = _norm(v, 2)
        return [c / norm for c in v]

    qh, kh = [unit(v) for v in q], [unit(v) for v in k]
    z = [[sum(a * b for a, b in zip(qi, kj, strict=True)) / tau for kj in kh]
         for qi in qh]

    def ce(rows):
        return sum(-rows[r][r] + sp.log(sum(sp.exp(v) for v in rows[r]))
                   for r in range(batch_size)) / batch_size

    expr = ce(z)
    if symmetric:
        expr = (expr + ce([list(col) for col in zip(*z, strict=True)])) / 2
    inputs = tuple(c for v in q for c in v) + tuple(c for v in k for c in v)
    return LossDefinition("info_nce_loss", expr, inputs, inputs, (tau,),
                          notes=f"symmetric = {symmetric}; the batch mean.",
                          defaults={"tau": 0.07})
