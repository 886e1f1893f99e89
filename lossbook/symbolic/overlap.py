r"""SymPy definitions of the overlap losses of :mod:`lossbook.overlap`.

:func:`tversky_loss` and :func:`focal_tversky_loss` are the loss of one
class of one sample over ``n`` pixels: inputs ``y_0 ... y_{n-1}`` (the
target), then ``p_0 ... p_{n-1}`` (the probabilities, differentiated by);
parameters ``alpha``, ``beta``, ``smooth`` (and ``gamma``). With
``n=None`` they return a display form with indexed sums.
:func:`generalized_dice_loss` is the loss of one sample with ``C``
classes whose targets are all non-empty (the weights :math:`1/Y_c^2`
are then finite; the rule for an absent class is the NumPy function's).

The Lovász-softmax loss is not a closed form but a sort; its definition
here is the Lovász extension as an integral over thresholds,
:func:`lovasz_extension`, computed exactly in rationals, and the
maximum over all orderings, :func:`lovasz_extension_by_orderings`, which
equals it because the Jaccard set loss is submodular.

>>> from lossbook.symbolic.overlap import tversky_loss
>>> # target {1, 0}, prediction {1, 1}: FP = 1; 1 - 1/(1 + 0.5)
>>> round(float(tversky_loss(2).evaluate(1, 0, 1, 1, smooth=0.0)), 12)
0.333333333333
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = [
    "focal_tversky_loss",
    "generalized_dice_loss",
    "jaccard_set_loss",
    "lovasz_extension",
    "lovasz_extension_by_orderings",
    "lovasz_softmax_loss",
    "tversky_loss",
]


def _params():
    return (sp.Symbol("alpha", nonnegative=True),
            sp.Symbol("beta", nonnegative=True),
            sp.Symbol("smooth", nonnegative=True))


def _counts(n: int | None):
    """TP, FP, FN over ``n`` pixels, the inputs and the wrt symbols."""
    if n is None:
        i = sp.Symbol("i", integer=True, nonnegative=True)
        k = sp.Symbol("k", integer=True, nonnegative=True)
        size = sp.Symbol("n", integer=True, positive=True)
        y, p = sp.IndexedBase("y"), sp.IndexedBase("p")

        def total(term):
            return sp.Sum(term, (i, 0, size - 1))

        return (total(y[i] * p[i]), total(p[i] * (1 - y[i])),
                total(y[i] * (1 - p[i])), (), (p[k],))
    ys = sp.symbols(f"y_0:{n}", real=True)
    ps = sp.symbols(f"p_0:{n}", real=True)
    pairs = list(zip(ys, ps, strict=True))
    tp = sum((a * b for a, b in pairs), sp.Integer(0))
    fp = sum((b * (1 - a) for a, b in pairs), sp.Integer(0))
    fn = sum((a * (1 - b) for a, b in pairs), sp.Integer(0))
    return tp, fp, fn, (*ys, *ps), ps


def _note(n: int | None) -> str:
    return "Display form: no inputs, not evaluable." if n is None else ""


def tversky_loss(n: int | None = None) -> LossDefinition:
    r"""Tversky loss of one class over ``n`` pixels.

    .. math::

        1 - \frac{\mathrm{TP} + s}{\mathrm{TP} + \alpha\,\mathrm{FP}
        + \beta\,\mathrm{FN} + s}

    >>> d = tversky_loss(2)
    >>> # alpha = beta = 1 is the soft IoU loss: 1 - 1/(1 + 1)
    >>> float(d.evaluate(1, 0, 1, 1, alpha=1, beta=1, smooth=0))
    0.5
    """
    tp, fp, fn, inputs, wrt = _counts(n)
    alpha, beta, s = _params()
    expr = 1 - (tp + s) / (tp + alpha * fp + beta * fn + s)
    return LossDefinition("tversky_loss", expr, inputs, wrt,
                          (alpha, beta, s), _note(n),
                          defaults={"alpha": 0.5, "beta": 0.5,
                                    "smooth": 1.0})


def focal_tversky_loss(n: int | None = None) -> LossDefinition:
    r"""Focal Tversky loss of one class: the Tversky loss to the power
    :math:`\gamma`.

    >>> d = focal_tversky_loss(2)
    >>> # Tversky loss 1/3 (alpha = beta = 1/2, smooth 0), gamma = 1/2
    >>> round(float(d.evaluate(1, 0, 1, 1, smooth=0, gamma=0.5)), 12)
    0.57735026919
    """
    base = tversky_loss(n)
    gamma = sp.Symbol("gamma", positive=True)
    return LossDefinition("focal_tversky_loss", base.expr ** gamma,
                          base.inputs, base.wrt, (*base.params, gamma),
                          base.notes, defaults={**base.defaults,
                                                "gamma": 0.75})


def generalized_dice_loss(n: int, num_classes: int) -> LossDefinition:
    r"""Generalized Dice loss of one sample: ``n`` pixels, ``C`` classes.

    .. math::

        1 - \frac{2 \sum_c w_c \sum_i y_{ic} p_{ic} + s}
                 {\sum_c w_c \sum_i (y_{ic} + p_{ic}) + s},
        \qquad w_c = \Bigl(\sum_i y_{ic}\Bigr)^{-2}

    Inputs: the targets ``y_i_c`` pixel by pixel, then the probabilities
    ``p_i_c`` in the same order (the wrt symbols); parameter ``smooth``.

    >>> d = generalized_dice_loss(2, 2)
    >>> # pixels of classes 0 and 1, both predicted as 0: w = 1, 1
    >>> float(d.evaluate(1, 0, 0, 1, 1, 0, 1, 0, smooth=0))
    0.5
    """
    ys = [sp.symbols(f"y_{i}_0:{num_classes}", real=True) for i in range(n)]
    ps = [sp.symbols(f"p_{i}_0:{num_classes}", real=True) for i in range(n)]
    s = sp.Symbol("smooth", nonnegative=True)
    num = den = sp.Integer(0)
    for c in range(num_classes):
        y_c = [row[c] for row in ys]
        p_c = [row[c] for row in ps]
        w = 1 / sum(y_c, sp.Integer(0)) ** 2
        num += w * sum((a * b for a, b in zip(y_c, p_c, strict=True)),
                       sp.Integer(0))
        den += w * (sum(y_c, sp.Integer(0)) + sum(p_c, sp.Integer(0)))
    expr = 1 - (2 * num + s) / (den + s)
    inputs = tuple(v for row in ys for v in row)
    wrt = tuple(v for row in ps for v in row)
    return LossDefinition("generalized_dice_loss", expr, inputs + wrt, wrt,
                          (s,), "every class present in the target",
                          defaults={"smooth": 1e-5})


# ---------------------------------------------------------------------------
# Lovász extension
# ---------------------------------------------------------------------------


def jaccard_set_loss(foreground: Sequence[bool],
                     mispredicted: set) -> Fraction:
    r""":math:`\Delta(M) = |M| / |F \cup M|`: the IoU loss of predicting
    the foreground ``F`` with the pixels ``M`` wrong (0 for empty sets).

    >>> jaccard_set_loss([True, True, False], {1})
    Fraction(1, 2)
    """
    fg = {i for i, f in enumerate(foreground) if f}
    union = fg | set(mispredicted)
    return Fraction(len(mispredicted), len(union)) if union else Fraction(0)


def lovasz_extension(errors: Sequence, foreground: Sequence[bool]):
    r"""The Lovász extension of :func:`jaccard_set_loss` at ``errors`` in
    [0, 1], from its definition as an integral over thresholds,

    .. math:: \overline{\Delta}(m) = \int_0^1 \Delta(\{i : m_i \ge t\})\,dt,

    computed exactly: ``errors`` are converted to exact rationals (floats
    and mpmath numbers by their binary value, SymPy rationals) and the
    integrand is constant between consecutive errors.

    >>> # errors 1/2 and 1/4 on two foreground pixels
    >>> lovasz_extension([0.5, 0.25], [True, True])
    Fraction(3, 8)
    """
    m = [_rational(e) for e in errors]
    levels = sorted({Fraction(0), Fraction(1), *m})
    total = Fraction(0)
    for lo, hi in itertools.pairwise(levels):
        # on (lo, hi] the set {m_i >= t} is {m_i >= hi}
        chosen = {i for i, e in enumerate(m) if e >= hi}
        total += (hi - lo) * jaccard_set_loss(foreground, chosen)
    return total


def lovasz_extension_by_orderings(errors: Sequence,
                                  foreground: Sequence[bool]) -> Fraction:
    r"""The same extension as the largest greedy sum over every ordering
    :math:`\pi` of the pixels, :math:`\max_\pi \sum_j m_{\pi_j}
    (\Delta(S_j) - \Delta(S_{j-1}))`: brute force, for small inputs.

    >>> lovasz_extension_by_orderings([0.5, 0.25], [True, True])
    Fraction(3, 8)
    """
    m = [_rational(e) for e in errors]
    best = None
    for order in itertools.permutations(range(len(m))):
        total, prefix, prev = Fraction(0), set(), Fraction(0)
        for i in order:
            prefix.add(i)
            cur = jaccard_set_loss(foreground, prefix)
            total += m[i] * (cur - prev)
            prev = cur
        best = total if best is None else max(best, total)
    return best


def _rational(x) -> Fraction:
    """An exact rational: floats, ints, mpmath numbers (exact binary
    value) and SymPy rationals."""
    if isinstance(x, float | int | Fraction):
        return Fraction(x)
    if hasattr(x, "man_exp"):  # mpmath.mpf: man * 2**exp exactly
        man, exp = x.man_exp
        sign = -1 if x < 0 else 1
        return sign * Fraction(abs(int(man))) * Fraction(2) ** int(exp)
    return Fraction(int(sp.numer(x)), int(sp.denom(x)))


def lovasz_softmax_loss(labels: Sequence[int], logits: Sequence,
                        classes: str | Sequence[int] = "present",
                        dps: int = 50) -> Fraction:
    r"""The Lovász-softmax loss of one image (or a pooled batch) from its
    definition: softmax at ``dps`` digits, then the mean over the chosen
    classes of ``lovasz_extension`` of the errors :math:`|y - p|`.

    ``labels`` holds one class per pixel, ``logits`` one row of ``C``
    scores per pixel. The result is exact given the rounded
    probabilities; it is the oracle of :func:`lossbook.lovasz_softmax_loss`.

    >>> # two pixels, labels 0 and 1, equal logits: every error is 1/2
    >>> lovasz_softmax_loss([0, 1], [[0.0, 0.0], [0.0, 0.0]])
    Fraction(1, 2)
    """
    import mpmath

    with mpmath.workdps(dps):
        probs = []
        for row in logits:
            e = [mpmath.exp(mpmath.mpf(z)) for z in row]
            total = mpmath.fsum(e)
            probs.append([v / total for v in e])
        num_classes = len(probs[0])
        if classes == "present":
            chosen = sorted(set(int(c) for c in labels))
        elif classes == "all":
            chosen = list(range(num_classes))
        else:
            chosen = [int(c) for c in classes]
        values = []
        for c in chosen:
            fg = [int(lab) == c for lab in labels]
            errors = [1 - row[c] if f else row[c]
                      for row, f in zip(probs, fg, strict=True)]
            values.append(lovasz_extension(errors, fg))
    return sum(values, Fraction(0)) / len(values)
