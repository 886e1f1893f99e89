r"""Averaging losses: over named components, and over the batches of an epoch.

Two different averages appear in every training log. A detector reports
several component losses (classification, box regression, mask, ...) and a
total; and the loss printed at the end of an epoch is an average over
batches of different sizes. :func:`average_loss` is the first,
:class:`RunningMean` the second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lossbook._validation import (
    as_float_array,
    check_all_nonnegative,
    check_has_positive,
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
    check_all_nonnegative(w, "weights")
    return check_has_positive(w, "weights")


def average_loss(
    components: Mapping[str, object] | Sequence[object],
    weights: Mapping[str, object] | Sequence[object] | None = None,
) -> np.ndarray:
    r"""Weighted mean of component losses, as a detector reports its total.

    Use it to combine the losses of a multi-task model (Faster and Mask
    R-CNN: classification, box regression, mask, RPN) into one number to
    log, with optional weights such as Faster R-CNN's :math:`\lambda`.

    .. math::

        \mathrm{average\_loss} = \frac{\sum_i \mathtt{weights}_i\,
            \mathtt{components}_i}{\sum_i \mathtt{weights}_i}

    with every weight 1 when ``weights`` is None (the plain mean).

    Parameters
    ----------
    components : mapping of str to scalar, or sequence of scalars
        The component losses, e.g. ``{"loss_classifier": 0.3,
        "loss_box_reg": 0.1}``; scalars may be floats, NumPy scalars or
        0-d arrays such as lossbook's own losses return.
    weights : mapping of str to float, or sequence of floats, default=None
        Non-negative weights, not all zero: a mapping with exactly the keys
        of ``components`` when that is a mapping, else a sequence of the
        same length. None weights every component equally.

    Returns
    -------
    numpy.ndarray
        Shape (); float32 if every component and weight is float32, else
        float64.

    Raises
    ------
    ValueError
        If ``components`` is empty, a component is not a scalar or not
        finite (an infinite loss is a bug to surface, not to average), the
        keys or lengths of ``weights`` do not match, a weight is negative,
        or all weights are zero.
    TypeError
        If a value is not numeric, or ``weights`` is a mapping when
        ``components`` is a sequence (or the other way round).

    Notes
    -----
    Detectors *sum* their components rather than average them:
    torchvision's detection reference trains on
    ``sum(loss_dict.values())``, the ``L = L_cls + L_box + L_mask`` of Mask
    R-CNN. Without weights that total is
    ``average_loss(components) * len(components)``, and with weights
    :math:`\sum_i w_i l_i` is ``average_loss(components, weights) *
    sum(weights)``. The mean is the same quantity on a scale that does not
    grow with the number of components; gradients differ only by that
    constant factor.

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
    >>> float(average_loss({"cls": 0.5, "box": 0.25, "mask": 0.75}))
    0.5
    >>> float(average_loss({"cls": 0.5, "box": 0.25}, {"cls": 1, "box": 3}))
    0.3125
    >>> float(average_loss([1.0, 2.0]) * 2)  # torchvision's sum
    3.0
    """
    names, values = _component_values(components)
    if weights is None:
        return values.mean(dtype=values.dtype)
    w = _weight_values(weights, names, values.size)
    dtype = np.result_type(values.dtype, w.dtype)
    values, w = values.astype(dtype), w.astype(dtype)
    return (w * values).sum(dtype=dtype) / w.sum(dtype=dtype)


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
    The sum :math:`\sum_b n_b \ell_b` is accumulated with Neumaier's
    compensated summation, so thousands of small updates do not drift.
    The same rule fixes the gradient-accumulation bug of
    huggingface/transformers PR #34191: average micro-batch losses by
    their token counts, not equally.

    Examples
    --------
    A batch of 3 with mean loss 1.0 and a last batch of 1 with mean 3.0:

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
        self._total = 0.0
        self._compensation = 0.0
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
        term = float(arr) * n
        # Neumaier: keep the low-order bits that each addition loses
        total = self._total + term
        if abs(self._total) >= abs(term):
            self._compensation += (self._total - total) + term
        else:
            self._compensation += (term - total) + self._total
        self._total = total
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
        return np.float64((self._total + self._compensation) / self._count)

    def __repr__(self) -> str:
        if self._count == 0:
            return "RunningMean(count=0)"
        return f"RunningMean(value={float(self.value)!r}, count={self._count})"

