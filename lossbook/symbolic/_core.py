"""The shape every SymPy loss definition takes, and its three uses.

A :class:`LossDefinition` holds one SymPy expression for a per-element or
per-sample loss. From it the book prints the formula (:meth:`latex`), the
tests take a 50-digit oracle (:meth:`evaluate`), and the chapters derive
the gradient (:meth:`derivative`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

__all__ = ["ORACLE_DIGITS", "LossDefinition", "ulp_error"]

#: Significant digits the oracle guarantees (far beyond float64's 16).
ORACLE_DIGITS = 50
#: Working precision at which :meth:`LossDefinition.evaluate` gives up
#: doubling (the value is then exact to absolute, not relative, accuracy).
_MAX_DIGITS = 2000
#: Working precision at which a computed zero is taken to be exact.
_ZERO_DIGITS = 1000


@dataclass(frozen=True)
class LossDefinition:
    """A loss as one SymPy expression.

    Parameters
    ----------
    name : str
        The lossbook function the expression defines, e.g. ``"huber"``.
    expr : sympy.Expr
        The per-element (or per-sample) loss.
    inputs : tuple of sympy.Symbol
        The symbols that stand for array entries, target first, then the
        prediction (or its components), in the order :meth:`evaluate` takes.
    wrt : tuple of sympy.Symbol
        The prediction symbols that :meth:`derivative` differentiates by.
    params : tuple of sympy.Symbol
        Hyperparameters such as ``delta`` or ``gamma``, passed by name.
    notes : str
        Anything a reader of the formula should know (conventions, where
        it differs from a framework).
    defaults : dict
        Values :meth:`evaluate` uses for parameters it is not given, as the
        NumPy loss's keyword defaults (e.g. ``pos_weight=1``).
    """

    name: str
    expr: sp.Expr
    inputs: tuple[sp.Symbol, ...]
    wrt: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...] = ()
    notes: str = ""
    defaults: dict[str, float] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def latex(self, lhs: str | None = None,
              symbol_names: dict[sp.Symbol, str] | None = None) -> str:
        """LaTeX of the definition, optionally as ``lhs = ...``.

        ``symbol_names`` maps symbols to the LaTeX they print as, e.g.
        ``{label_smoothing: r"\\varepsilon"}``.
        """
        body = sp.latex(self.expr, symbol_names=symbol_names or {})
        return body if lhs is None else f"{lhs} = {body}"

    def derivative(self, wrt: sp.Symbol | None = None) -> sp.Expr:
        """The derivative with respect to ``wrt`` (the first prediction)."""
        symbol = self.wrt[0] if wrt is None else wrt
        return sp.diff(self.expr, symbol)

    def subs(self, **params: float) -> sp.Expr:
        """The expression with hyperparameters fixed by name."""
        return self.expr.subs(self._param_values(params))

    def _param_values(self, params: Mapping[str, float]) -> dict:
        by_name = {s.name: s for s in self.params}
        unknown = set(params) - set(by_name)
        if unknown:
            raise TypeError(
                f"{self.name} has no parameter(s) {sorted(unknown)}; "
                f"known: {sorted(by_name)}"
            )
        return {by_name[k]: sp.Float(repr(float(v)), ORACLE_DIGITS + 10)
                for k, v in params.items()}

    def evaluator(self, expr: sp.Expr | None = None) -> Callable:
        """An mpmath function of ``(*inputs, *params)``.

        ``expr`` defaults to the loss itself; pass :meth:`derivative` to get
        the gradient's oracle.
        """
        expr = self.expr if expr is None else expr
        key = sp.srepr(expr)
        if key not in self._cache:
            self._cache[key] = sp.lambdify(
                self.inputs + self.params, expr, modules="mpmath"
            )
        return self._cache[key]

    def evaluate(self, *values: float, expr: sp.Expr | None = None,
                 dps: int = ORACLE_DIGITS, **params: float) -> mpmath.mpf:
        """The exact value at float inputs, to ``dps`` significant digits.

        Inputs are taken as the exact binary value of each float, so the
        result is the true value of the loss at the arguments the NumPy
        function actually received. A definition written as, say,
        ``log(exp(a) / sum(exp(b)))`` cancels catastrophically when the
        loss is tiny, so the working precision is doubled until two
        evaluations agree to ``dps`` significant digits: the result is
        relatively, not only absolutely, accurate.
        """
        fn = self.evaluator(expr)
        params = {**self.defaults, **params}
        missing = [s.name for s in self.params if s.name not in params]
        if missing:
            raise TypeError(f"{self.name} needs parameter(s) {missing}")
        names = [s.name for s in self.params]
        previous = None
        work = dps + 10
        while True:
            with mpmath.workdps(work):
                args = [mpmath.mpf(float(v)) for v in values]
                args += [mpmath.mpf(float(params[n])) for n in names]
                value = fn(*args)
                # a zero is trusted only at high precision: a tiny loss
                # rounds to exactly zero at every modest precision
                settled = previous is not None and (
                    abs(value - previous)
                    <= abs(value) * mpmath.mpf(10) ** (-dps)
                    if value != 0 else work > _ZERO_DIGITS
                )
                if settled or work > _MAX_DIGITS:
                    return value
            previous, work = value, 2 * work


def ulp_error(actual: float, exact: mpmath.mpf) -> float:
    """Error of a float64 result in units in the last place of the truth.

    ``|actual - exact| / ulp(exact)``, where ``ulp(exact)`` is the spacing
    of float64 numbers at ``exact``. A correctly rounded result is within
    0.5; an infinite ``exact`` must be matched exactly.

    Examples
    --------
    >>> import mpmath
    >>> ulp_error(0.1, mpmath.mpf(1) / 10) <= 0.5
    True
    """
    actual = float(actual)
    if mpmath.isinf(exact):
        return 0.0 if actual == float(exact) else float("inf")
    if not np.isfinite(actual):
        return float("inf")
    # at an exact zero the spacing is the smallest subnormal, so a loss that
    # is exactly zero must come out as (nearly) zero too
    spacing = np.spacing(abs(float(exact)))
    with mpmath.workdps(ORACLE_DIGITS + 10):
        return float(abs(mpmath.mpf(actual) - exact) / mpmath.mpf(spacing))
