"""``gradient(loss, *args, wrt=None, **kwargs)``: closed-form derivatives.

Each loss family module keeps the derivatives of its own losses in a
module-level ``GRADIENTS`` mapping from the public loss function to a
function with the loss's own signature that returns
d loss / d (second argument). A loss with several prediction inputs
(``margin_ranking_loss(y_true, x1, x2)``, ``gaussian_nll_loss``'s
``var``, ``dpo_loss``'s four log-probabilities) also lists them in an
optional module-level ``PARTIALS`` mapping, loss → {argument name →
derivative with the loss's own signature}; ``gradient(..., wrt=name)``
selects one. The derivatives are the ones the book derives in SymPy
(:mod:`lossbook.symbolic`); the tests check them against central
differences and against the SymPy derivative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lossbook import (
    boxes,
    classification,
    custom,
    embeddings,
    focal,
    likelihoods,
    margins,
    overlap,
    preferences,
    regression,
    segmentation,
    sequence,
)
from lossbook._validation import check_arguments, check_in

__all__ = ["central_difference", "gradient"]

_FAMILIES = (
    regression, classification, focal, boxes, segmentation, sequence, custom,
    likelihoods,
    margins, preferences,
    embeddings,
    overlap,
)


def _registry() -> dict[Callable, Callable]:
    table: dict[Callable, Callable] = {}
    for module in _FAMILIES:
        table.update(module.GRADIENTS)
    return table


def _partials() -> dict[Callable, dict[str, Callable]]:
    table: dict[Callable, dict[str, Callable]] = {}
    for module in _FAMILIES:
        table.update(getattr(module, "PARTIALS", {}))
    return table


def gradient(
    loss: Callable,
    *args: Any,
    wrt: str | tuple[str, ...] | None = None,
    **kwargs: Any,
) -> np.ndarray | tuple[np.ndarray, ...]:
    r"""The gradient of ``loss(*args, **kwargs)`` in a prediction input.

    .. math:: g = \frac{\partial\, \mathrm{loss}(y, \hat y)}{\partial \hat y}

    ``gradient(loss, y_true, y_pred, **kwargs)`` is the derivative in the
    second argument, the prediction. For a loss with several prediction
    inputs, ``wrt`` names the one (or a tuple of the ones) to
    differentiate in, by the loss's own argument names.

    Parameters
    ----------
    loss : callable
        A lossbook loss, e.g. :func:`lossbook.mse`. Every loss of the API
        is supported except :func:`lossbook.ctc_loss`, whose gradient is
        :func:`lossbook.ctc_gradient`.
    *args : array-like
        The loss's own positional arguments, usually ``y_true, y_pred``
        (``y_pred`` stands for ``logits``, ``y_prob`` or ``boxes_pred`` as
        the loss names it).
    wrt : str or tuple of str, optional
        The argument(s) to differentiate in, e.g. ``"var"`` for
        ``gaussian_nll_loss`` or ``("x1", "x2")`` for
        ``margin_ranking_loss``. Default: the second positional argument.
    **kwargs
        The loss's keyword arguments, ``reduction`` included.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        Same shape and dtype as the argument differentiated in (a tuple in
        the order of ``wrt`` when it is a tuple). With
        ``reduction="none"`` it is the derivative of each unreduced term
        with respect to its own inputs, i.e. the gradient of the ``"sum"``.

    Raises
    ------
    ValueError
        If ``loss`` is not a lossbook loss with a closed-form gradient, or
        the arguments are invalid for ``loss``.

    References
    ----------
    Closed forms derived in the book's chapters; see :mod:`lossbook.symbolic`.

    Examples
    --------
    >>> import lossbook as lb
    >>> lb.gradient(lb.mse, [0.0, 0.0], [1.0, -2.0])
    array([ 1., -2.])
    """
    table = _registry()
    name = getattr(loss, "__name__", repr(loss))
    hint = " (use ctc_gradient)" if name == "ctc_loss" else ""
    check_in(
        loss, "loss", table,
        expected="a lossbook loss with a closed-form gradient",
        got=f"{name}{hint}",
    )
    check_arguments(loss, name, args, kwargs)
    if wrt is None:
        return table[loss](*args, **kwargs)
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    partials = _partials().get(loss, {})
    for each in names:
        check_in(
            each, "wrt", partials,
            expected=f"one of {sorted(partials)} for {name}"
            if partials else f"None ({name} has one prediction input)",
        )
    grads = tuple(partials[each](*args, **kwargs) for each in names)
    return grads[0] if isinstance(wrt, str) else grads


def central_difference(
    f: Callable[[np.ndarray], float], x: Any, h: float = 1e-6
) -> np.ndarray:
    r"""Numerical gradient of a scalar function by central differences.

    .. math:: g_i \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    The truncation error is :math:`O(h^2)`; with float64 and ``h = 1e-6``
    about 8 to 10 digits agree with the exact gradient, enough to catch a
    wrong closed form. Used by the tests and by the book to check
    :func:`lossbook.gradient`.

    Examples
    --------
    >>> g = central_difference(lambda x: float((x**2).sum()), [1.0, -2.0])
    >>> np.round(g, 6).tolist()
    [2.0, -4.0]
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
