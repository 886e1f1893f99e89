"""Chapter helpers that keep a downloaded notebook runnable anywhere.

The book's chapters paste numbers into their prose with MyST-NB's
``glue``. A reader who downloads a chapter and opens it in a plain Jupyter
has no MyST-NB; :func:`glue` here uses MyST-NB when it is installed (the
book's build) and otherwise shows the value when asked to, so the same
notebook runs with only ``lossbook`` and Jupyter installed.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["glue"]

#: significant digits a glued real number keeps
SIGNIFICANT_DIGITS = 10


def glue(
    name: str,
    variable: Any,
    display: bool = True,
    *,
    digits: int | None = None,
) -> None:
    """Record ``variable`` under ``name`` for the page's ``{glue}`` roles.

    Parameters
    ----------
    name : str
        The key that the prose's ``{glue:text}`` and ``{glue:figure}``
        roles refer to.
    variable : object
        The value (a number, a figure, a table) to record.
    display : bool, default=True
        Whether the cell also shows the value.
    digits : int, optional
        Significant digits a real number keeps, ``SIGNIFICANT_DIGITS`` (10)
        when omitted. A value at the end of a long iterative computation (a
        training curve, a least-squares fit) differs between processors in
        its 8th digit or so; it is glued with fewer digits (e.g. 6), still
        more than the prose shows.

    Notes
    -----
    With MyST-NB installed this is MyST-NB's own ``glue``, so the
    stored outputs are the ones the book's build reads. Without it the
    value is only displayed (when ``display`` is true).

    A real number (a Python or NumPy float) is stored rounded to
    ``SIGNIFICANT_DIGITS`` (10) significant digits. NumPy's vectorised
    ``exp`` and ``log`` may differ in the last bit between processors;
    rounding keeps the stored outputs, which the tests compare exactly,
    the same on every machine. The prose shows at most a few digits.

    References
    ----------
    MyST-NB documentation, "Embedding outputs as variables".

    Examples
    --------
    >>> glue("answer", 42, display=False)
    >>> _rounded(0.1 + 0.2)
    0.3
    >>> _rounded(0.79998853, 6)
    0.799989
    """
    from ._validation import check_integer

    if digits is None:
        digits = SIGNIFICANT_DIGITS
    digits = check_integer(digits, "digits", min_val=1, max_val=17)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(_rounded(variable, digits))
        return
    myst_glue(name, _rounded(variable, digits), display=display)


def _rounded(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """``value`` with a real number cut to ``digits`` significant digits."""
    if isinstance(value, numbers.Real) and not isinstance(
        value, numbers.Integral
    ):
        return float(f"{float(value):.{digits}g}")
    return value
