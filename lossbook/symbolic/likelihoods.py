r"""SymPy definitions of the losses of :mod:`lossbook.likelihoods`.

One function per NumPy loss, each returning a
:class:`~lossbook.symbolic.LossDefinition` of the per-element or
per-sample loss (reductions act on its values). The multi-class ones
take ``num_classes``: an integer gives a concrete expression in scalar
symbols that the tests evaluate at 50 digits; ``None`` gives a display
form with :class:`sympy.Sum` over indexed symbols (no inputs, not
evaluable), as in :mod:`lossbook.symbolic.classification`.

>>> from lossbook.symbolic.likelihoods import gaussian_nll_loss
>>> d = gaussian_nll_loss()
>>> sp.factor(d.derivative(d.wrt[1]))
-(-var + y**2 - 2*y*yhat + yhat**2)/(2*var**2)
"""

from __future__ import annotations

import sympy as sp

from lossbook.symbolic._core import LossDefinition

__all__ = [
    "distillation_loss",
    "gaussian_nll_loss",
    "kl_divergence",
    "mape",
    "msle",
    "nll_loss",
    "poisson_nll_loss",
]


def _classes(prefix: str, num_classes: int, **assumptions):
    return sp.symbols(f"{prefix}_0:{num_classes}", **assumptions)


def _display(name: str, expr: sp.Expr, wrt: sp.Expr) -> LossDefinition:
    return LossDefinition(name, expr, inputs=(), wrt=(wrt,),
                          notes="Display form: no inputs, not evaluable.")


def nll_loss(num_classes: int | None = None) -> LossDefinition:
    r"""Negative log-likelihood :math:`-\ell_y` of a label :math:`y`.

    Inputs ``y`` (the label), then the log-probabilities ``l_0 ...
    l_{C-1}``; one :class:`sympy.Piecewise` branch per label value. The
    class ``weight`` multiplies the value and divides the mean.

    >>> float(nll_loss(2).evaluate(1, -0.5, -2.0))
    2.0
    """
    y = sp.Symbol("y", integer=True, nonnegative=True)
    if num_classes is None:
        lp = sp.IndexedBase(r"\ell")
        return _display("nll_loss", -lp[y], lp[y])
    ls = _classes("l", num_classes, nonpositive=True)
    expr = sp.Piecewise(*[(-lc, sp.Eq(y, c)) for c, lc in enumerate(ls)])
    return LossDefinition("nll_loss", expr, inputs=(y, *ls), wrt=ls,
                          notes="One branch per label value.")


def kl_divergence(num_classes: int | None = None) -> LossDefinition:
    r"""KL divergence :math:`\sum_c y_c \log(y_c / p_c)`.

    Inputs ``y_0 ... y_{C-1}``, then ``p_0 ... p_{C-1}``; the derivative
    is the partial one in ``p_0`` (``wrt`` lists every probability).
    :math:`0 \log 0 = 0` is the NumPy function's convention; the
    expression itself needs :math:`y_c > 0`.

    >>> round(float(kl_divergence(2).evaluate(0.5, 0.5, 0.25, 0.75)), 6)
    0.143841
    """
    if num_classes is None:
        c, k = sp.symbols("c k", integer=True, nonnegative=True)
        size = sp.Symbol("C", integer=True, positive=True)
        y, p = sp.IndexedBase("y"), sp.IndexedBase("p")
        expr = sp.Sum(y[c] * sp.log(y[c] / p[c]), (c, 0, size - 1))
        return _display("kl_divergence", expr, p[k])
    ys = _classes("y", num_classes, positive=True)
    ps = _classes("p", num_classes, positive=True)
    expr = sum(yc * sp.log(yc / pc) for yc, pc in zip(ys, ps, strict=True))
    return LossDefinition("kl_divergence", expr, inputs=(*ys, *ps), wrt=ps,
                          notes="0 log 0 = 0: a zero target drops its term.")


def _softmax(zs, temperature):
    total = sum(sp.exp(z / temperature) for z in zs)
    return [sp.exp(z / temperature) / total for z in zs]


def distillation_loss(num_classes: int | None = None) -> LossDefinition:
    r"""Distillation :math:`T^2\,\mathrm{KL}(\mathrm{softmax}(t/T) \,\|\,
    \mathrm{softmax}(s/T))`.

    Inputs the teacher's logits ``t_0 ... t_{C-1}``, then the student's
    ``s_0 ... s_{C-1}`` (differentiated by); parameter ``temperature``
    (:math:`T`).

    >>> d = distillation_loss(2)
    >>> round(float(d.evaluate(0.0, 2.0, 0.0, 0.0, temperature=2.0)), 6)
    0.443776
    """
    temperature = sp.Symbol("temperature", positive=True)
    if num_classes is None:
        c, j, k = sp.symbols("c j k", integer=True, nonnegative=True)
        size = sp.Symbol("C", integer=True, positive=True)
        t, s = sp.IndexedBase("t"), sp.IndexedBase("s")
        q = sp.exp(t[c] / temperature) / sp.Sum(
            sp.exp(t[j] / temperature), (j, 0, size - 1))
        p = sp.exp(s[c] / temperature) / sp.Sum(
            sp.exp(s[j] / temperature), (j, 0, size - 1))
        expr = temperature**2 * sp.Sum(q * sp.log(q / p), (c, 0, size - 1))
        return _display("distillation_loss", expr, s[k])
    ts = _classes("t", num_classes, real=True)
    ss = _classes("s", num_classes, real=True)
    q, p = _softmax(ts, temperature), _softmax(ss, temperature)
    expr = temperature**2 * sum(
        qc * sp.log(qc / pc) for qc, pc in zip(q, p, strict=True))
    return LossDefinition(
        "distillation_loss", expr, inputs=(*ts, *ss), wrt=ss,
        params=(temperature,),
        notes="Print temperature as T with symbol_names.",
        defaults={"temperature": 1.0},
    )


def gaussian_nll_loss() -> LossDefinition:
    r"""Gaussian NLL :math:`\tfrac12[\log v + (\hat y - y)^2/v]` (+ the
    constant :math:`\tfrac12\log 2\pi` times ``full``, 0 or 1).

    Inputs ``(y, yhat, var)``; differentiated by ``yhat`` and ``var``.

    >>> round(float(gaussian_nll_loss().evaluate(0.0, 2.0, 4.0)), 12)
    1.19314718056
    """
    y = sp.Symbol("y", real=True)
    y_hat = sp.Symbol("yhat", real=True)
    var = sp.Symbol("var", positive=True)
    full = sp.Symbol("full", nonnegative=True)
    expr = (sp.log(var) + (y_hat - y) ** 2 / var) / 2 \
        + full * sp.log(2 * sp.pi) / 2
    return LossDefinition(
        "gaussian_nll_loss", expr, inputs=(y, y_hat, var), wrt=(y_hat, var),
        params=(full,), notes="full is 0 or 1.", defaults={"full": 0.0},
    )


def poisson_nll_loss(*, log_input: bool = True,
                     full: bool = False) -> LossDefinition:
    r"""Poisson NLL: :math:`e^{\hat y} - y\hat y` (log input) or
    :math:`\hat y - y\log\hat y`, plus, with ``full``, PyTorch's Stirling
    term :math:`y\log y - y + \tfrac12\log(2\pi y)` for :math:`y > 1`.

    Inputs ``(y, yhat)``.

    >>> float(poisson_nll_loss().evaluate(2.0, 0.0))
    1.0
    """
    y = sp.Symbol("y", nonnegative=True)
    y_hat = sp.Symbol("yhat", real=True) if log_input else sp.Symbol(
        "yhat", positive=True)
    expr = sp.exp(y_hat) - y * y_hat if log_input else y_hat - y * sp.log(
        y_hat)
    if full:
        stirling = y * sp.log(y) - y + sp.log(2 * sp.pi * y) / 2
        expr = expr + sp.Piecewise((stirling, y > 1), (0, True))
    return LossDefinition(
        "poisson_nll_loss", expr, inputs=(y, y_hat), wrt=(y_hat,),
        notes="log_input and full choose the expression.",
    )


def mape() -> LossDefinition:
    r"""Absolute percentage error :math:`100\,|\hat y - y| / |y|`.

    >>> float(mape().evaluate(100.0, 150.0))
    50.0
    """
    y = sp.Symbol("y", real=True, nonzero=True)
    y_hat = sp.Symbol("yhat", real=True)
    expr = 100 * sp.Abs(y_hat - y) / sp.Abs(y)
    return LossDefinition("mape", expr, (y, y_hat), (y_hat,))


def msle() -> LossDefinition:
    r"""Squared log error :math:`(\log(1 + \hat y) - \log(1 + y))^2`.

    >>> round(float(msle().evaluate(9.0, 19.0)), 6)  # (ln 2)^2
    0.480453
    """
    y = sp.Symbol("y", nonnegative=True)
    y_hat = sp.Symbol("yhat", nonnegative=True)
    expr = (sp.log(1 + y_hat) - sp.log(1 + y)) ** 2
    return LossDefinition("msle", expr, (y, y_hat), (y_hat,))
