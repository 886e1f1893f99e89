r"""Averaging losses: over named components, and over the batches of an epoch.

Two different averages appear in every training log. A detector reports
several component losses (classification, box regression, mask, ...) and
their total; and the loss printed at the end of an epoch is an average over
batches of different sizes. :func:`average_loss` is the first,
:class:`RunningMean` the second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from lossbook._numerics import pow2_scale, scaled_sum
from lossbook._validation import (
    as_float_array,
    check_all_nonnegative,
    check_instance,
    check_integer,
    check_ndim,
    check_nonempty,
    check_same_keys,
    check_shape,
    check_state,
)

__all__ = ["RunningMean", "average_loss"]


def _component_values(
    components: object,
) -> tuple[tuple[str, ...] | None, np.ndarray]:
    """Component names (None for a sequence) and their values, 1-D."""
    if isinstance(components, Mapping):
        check_nonempty(components, "components")
        names = tuple(components)
        values = []
        for key in names:
            name = f"components[{key!r}]"
            value = as_float_array(components[key], name)
            check_ndim(value, name, 0, expected="be a scalar loss")
            values.append(value)
        return names, np.stack(values)
    check_instance(
        components, "components", (Sequence, np.ndarray),
        "a mapping of name to loss or a sequence of losses",
        exclude=(str, bytes),
    )
    values = as_float_array(components, "components")
    check_ndim(
        values, "components", 1, expected="be a sequence of scalar losses"
    )
    return None, values


def _weight_values(
    weights: object, names: tuple[str, ...] | None, count: int
) -> np.ndarray:
    """Weights aligned with the components, checked non-negative."""
    if names is not None:
        check_instance(
            weights, "weights", Mapping,
            "a mapping with the keys of components when components is a "
            "mapping",
        )
        check_same_keys(weights, "weights", names, "components")
        weights = [weights[key] for key in names]
    else:
        check_instance(
            weights, "weights", object,
            "a sequence when components is a sequence", exclude=Mapping,
        )
    w = as_float_array(weights, "weights")
    check_shape(w, "weights", (count,), "one weight per component")
    return check_all_nonnegative(w, "weights")


def average_loss(
    components: Mapping[str, object] | Sequence[object],
    weights: Mapping[str, object] | Sequence[object] | None = None,
) -> np.ndarray:
    r"""The total of component losses, :math:`\sum_k w_k L_k`, as a
    detector reports it.

    Use it to combine the losses of a multi-task model (Faster and Mask
    R-CNN: classification, box regression, mask, RPN) into the one number
    that is trained on and logged, with optional weights such as Faster
    R-CNN's :math:`\lambda`.

    .. math::

        \mathrm{average\_loss} = \sum_k w_k\, L_k,
        \qquad L_k = \texttt{components}_k,\ w_k = \texttt{weights}_k

    with every weight 1 when ``weights`` is None: then it is
    ``sum(loss_dict.values())``, the total torchvision's detection
    reference trains on. Each :math:`L_k` is itself already an average
    (over anchors, boxes or pixels); the name refers to those.

    Parameters
    ----------
    components : mapping of str to scalar, or sequence of scalars
        The component losses, e.g. ``{"loss_classifier": 0.3,
        "loss_box_reg": 0.1}``; scalars may be floats, NumPy scalars or
        0-d arrays such as lossbook's own losses return.
    weights : mapping of str to float, or sequence of floats, default=None
        Non-negative weights: a mapping with exactly the keys of
        ``components`` when that is a mapping, else a sequence of the same
        length. A weight of 0 leaves its component out. None weighs every
        component 1.

    Returns
    -------
    numpy.ndarray
        Shape (); float32 if every component and weight is float32, else
        float64. The sum is scaled internally, so it is finite whenever
        the exact total is representable (components near 1e308 included).

    Raises
    ------
    ValueError
        If ``components`` is empty, a component is not a scalar or not
        finite (an infinite loss is a bug to surface, not to add), the
        keys or lengths of ``weights`` do not match, or a weight is
        negative or not finite.
    TypeError
        If a value is not numeric, or ``weights`` is a mapping when
        ``components`` is a sequence (or the other way round).

    Notes
    -----
    torchvision's detection reference (``references/detection/engine.py``)
    computes ``losses = sum(loss for loss in loss_dict.values())``, the
    :math:`L = L_{cls} + L_{box} + L_{mask}` of Mask R-CNN, and logs that
    total as ``loss``; MMDetection sums its ``loss_*`` entries the same
    way. A weighted total :math:`\sum_k w_k L_k` is Faster R-CNN's
    :math:`L_{cls} + \lambda L_{reg}`. Divide by ``len(components)`` (or
    by :math:`\sum_k w_k`) for a mean on a scale that does not grow with
    the number of components; the gradient differs only by that constant.

    See Also
    --------
    RunningMean : the average of a loss over batches of unequal size.

    References
    ----------
    He, Gkioxari, Dollár and Girshick (2017), *Mask R-CNN*, ICCV
    [he2017mask]; Ren, He, Girshick and Sun (2015), *Faster R-CNN: Towards
    Real-Time Object Detection with Region Proposal Networks*, NeurIPS
    [ren2015faster].

    Examples
    --------
    >>> from lossbook import average_loss
    >>> float(average_loss({"cls": 0.5, "box": 0.25, "mask": 0.75}))
    1.5
    >>> float(average_loss({"cls": 0.5, "box": 0.25}, {"cls": 1, "box": 3}))
    1.25
    >>> float(average_loss([1.0, 2.0]) / 2)  # the mean of the components
    1.5
    """
    names, values = _component_values(components)
    if weights is None:
        return scaled_sum(values)
    w = _weight_values(weights, names, values.size)
    dtype = np.result_type(values.dtype, w.dtype)
    values, w = values.astype(dtype), w.astype(dtype)
    # Sum w_k L_k in a frame where neither factor exceeds 1: powers of two
    # rescale exactly, and ldexp scales back with a single rounding
    ev, ew = pow2_scale(values), pow2_scale(w)
    inner = scaled_sum(np.ldexp(values, -ev) * np.ldexp(w, -ew))
    with np.errstate(over="ignore"):
        return np.ldexp(inner, ev + ew).astype(dtype)


class RunningMean:
    r"""The mean of a loss over an epoch, weighted by batch size.

    Use it for the epoch loss a training log prints: feed it each batch's
    mean loss and the batch size, and :attr:`value` is the mean over every
    sample seen, not the mean of the batch means (which over-weights a
    short last batch).

    .. math::

        \mathrm{value} = \frac{\sum_b n_b\, \ell_b}{\sum_b n_b}

    for batch means :math:`\ell_b` over :math:`n_b` samples.

    :attr:`count` is the number of samples seen. Reading :attr:`value`
    before any :meth:`update` raises ValueError: there is no mean of
    nothing, and 0 or NaN would pass for a loss.

    Notes
    -----
    The sum :math:`\sum_b n_b \ell_b` is accumulated exactly (as a
    rational number: every float is one), so thousands of small updates do
    not drift, batch means near 1e308 do not overflow, and :attr:`value`
    is the exact mean rounded once to float64.
    The same rule fixes the gradient-accumulation bug of
    huggingface/transformers PR #34191: average micro-batch losses by
    their token counts, not equally.

    Examples
    --------
    A batch of 3 with mean loss 1.0 and a last batch of 1 with mean 3.0:

    >>> from lossbook import RunningMean
    >>> meter = RunningMean()
    >>> meter.update(1.0, n=3)
    >>> meter.update(3.0, n=1)
    >>> float(meter.value), meter.count  # (3 * 1 + 1 * 3) / 4
    (1.5, 4)
    >>> meter
    RunningMean(value=1.5, count=4)
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every update: back to ``count == 0``."""
        self._total = Fraction(0)
        self._count = 0

    def update(self, value: object, n: int = 1) -> None:
        """Add a batch whose mean loss is ``value`` over ``n`` samples.

        Parameters
        ----------
        value : float or 0-d array
            The batch's mean loss, finite.
        n : int, default=1
            The batch size, a positive integer.

        Raises
        ------
        ValueError
            If ``value`` is not a finite scalar or ``n`` < 1.
        TypeError
            If ``value`` is not numeric or ``n`` is not an integer.
        """
        arr = as_float_array(value, "value")
        check_ndim(
            arr, "value", 0, expected="be a scalar (a batch's mean loss)"
        )
        n = check_integer(n, "n", min_val=1)
        # exact: a float is a fraction with a power-of-two denominator
        self._total += Fraction(float(arr)) * n
        self._count += n

    @property
    def count(self) -> int:
        """Samples seen so far: the sum of the ``n`` passed to
        :meth:`update`, 0 after :meth:`reset`."""
        return self._count

    @property
    def value(self) -> np.float64:
        """The mean of every sample's loss seen so far, a numpy.float64.

        Raises
        ------
        ValueError
            Before the first :meth:`update` (or after :meth:`reset`).
        """
        check_state(
            self._count > 0,
            "RunningMean has no value before the first update(value, n)",
        )
        return np.float64(float(self._total / self._count))

    def __repr__(self) -> str:
        if self._count == 0:
            return "RunningMean(count=0)"
        return f"RunningMean(value={float(self.value)!r}, count={self._count})"

