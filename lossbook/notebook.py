"""Chapter helpers that keep a downloaded notebook runnable anywhere.

The book's chapters paste numbers into their prose with MyST-NB's
``glue``. A reader who downloads a chapter and opens it in a plain Jupyter
has no MyST-NB; :func:`glue` here uses MyST-NB when it is installed (the
book's build) and otherwise shows the value when asked to, so the same
notebook runs with only ``lossbook`` and Jupyter installed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, variable: Any, display: bool = True) -> None:
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

    Notes
    -----
    With MyST-NB installed this is :func:`myst_nb.glue` itself, so the
    stored outputs are the ones the book's build reads. Without it the
    value is only displayed (when ``display`` is true).

    References
    ----------
    MyST-NB documentation, "Embedding outputs as variables".

    Examples
    --------
    >>> glue("answer", 42, display=False)
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(variable)
        return
    myst_glue(name, variable, display=display)
