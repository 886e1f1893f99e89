"""Argument checks and the reduction rule, written once for every loss.

Every public function in lossbook starts by calling these helpers, and
nothing else in the package raises on bad input. Each message names the
argument, says what was expected and what was received, in the manner of
scikit-learn's ``check_array`` and ``check_scalar``.

Dtype rule (the API contract): float32 stays float32, float64 stays
float64, every other numeric or boolean input is computed in float64.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

REDUCTIONS = ("mean", "sum", "none")
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")

__all__ = [
    "BOX_FORMATS",
    "REDUCTIONS",
    "as_float_array",
    "as_labels",
    "check_axis",
    "check_box_format",
    "check_boxes",
    "check_choice",
    "check_nonnegative",
    "check_probabilities",
    "check_reduction",
    "check_same_shape",
    "check_scalar",
    "common_dtype",
    "reduce",
    "reduce_gradient",
]


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_reduction(reduction: object) -> str:
    """Return ``reduction`` if it is one of ``"mean"``, ``"sum"``, ``"none"``.

    >>> check_reduction("sum")
    'sum'
    """
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {REDUCTIONS}, got "
            f"{_describe(reduction)}"
        )
    return reduction


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings in ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {tuple(choices)}, got {_describe(value)}"
        )
    return value


def check_box_format(fmt: object, name: str) -> str:
    """Return ``fmt`` if it names a box format lossbook knows."""
    return check_choice(fmt, name, BOX_FORMATS)


def _to_array(x: object, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array-like, got a string")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a numeric array-like, got {type(x).__name__}"
        ) from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must be a numeric array-like, got an array of dtype "
            f"{arr.dtype}"
        )
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued, got complex values")
    return arr


def as_float_array(
    x: object,
    name: str,
    *,
    dtype: np.dtype | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a float array, rejecting NaN, infinities and empties.

    float32 and float64 keep their dtype unless ``dtype`` is given; every
    other numeric or boolean dtype becomes float64. The input is never
    modified: a new array is returned whenever a conversion happens, and
    callers must not write into the result.

    >>> as_float_array([1, 2], "y_true").dtype
    dtype('float64')
    >>> as_float_array(np.ones(2, np.float32), "y_pred").dtype
    dtype('float32')
    """
    arr = _to_array(x, name)
    if dtype is None:
        keep = arr.dtype in (np.float32, np.float64)
        dtype = arr.dtype if keep else np.float64
    arr = arr.astype(dtype, copy=False)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "an infinite value"
        raise ValueError(f"{name} must be finite, got {bad}")
    return arr


def common_dtype(*arrays: np.ndarray) -> np.dtype:
    """The float dtype the result is computed in: float64 if any is."""
    return np.result_type(*[a.dtype for a in arrays], np.float32)


def check_same_shape(
    a: np.ndarray, a_name: str, b: np.ndarray, b_name: str
) -> None:
    """Refuse to broadcast: ``a`` and ``b`` must have one shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} and {b_name} must have the same shape, got "
            f"{a_name}.shape={a.shape} and {b_name}.shape={b.shape}"
        )


def check_probabilities(p: np.ndarray, name: str) -> np.ndarray:
    """Every entry of ``p`` must lie in the closed interval [0, 1]."""
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{p.min():.6g}, {p.max():.6g}]"
        )
    return p


def as_labels(
    x: object, name: str, num_classes: int, *, ignore_index: int | None = None
) -> np.ndarray:
    """Integer class labels in ``[0, num_classes)`` as an int64 array.

    Floats are accepted when they hold whole numbers (labels often arrive as
    float arrays); ``ignore_index`` entries are allowed outside the range.
    """
    arr = _to_array(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise ValueError(
                f"{name} must hold integer class labels, got non-integer "
                "values"
            )
    labels = arr.astype(np.int64)
    valid = labels if ignore_index is None else labels[labels != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= num_classes):
        raise ValueError(
            f"{name} must hold class labels in [0, {num_classes}), got "
            f"values in [{valid.min()}, {valid.max()}]"
        )
    return labels


def check_scalar(
    value: object,
    name: str,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
) -> float:
    """A real hyperparameter within bounds, as a Python float.

    >>> check_scalar(0.5, "gamma", min_val=0.0)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__}"
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if min_val is not None and (
        value < min_val or (value == min_val and not include_min)
    ):
        bound = ">=" if include_min else ">"
        raise ValueError(f"{name} must be {bound} {min_val}, got {value}")
    if max_val is not None and (
        value > max_val or (value == max_val and not include_max)
    ):
        bound = "<=" if include_max else "<"
        raise ValueError(f"{name} must be {bound} {max_val}, got {value}")
    return value


def check_nonnegative(value: object, name: str) -> float:
    """A real hyperparameter that must be >= 0 (delta, beta, gamma, smooth)."""
    return check_scalar(value, name, min_val=0.0)


def check_axis(axis: object, ndim: int, name: str = "axis") -> int:
    """Normalise a class axis to a non-negative index into ``ndim`` axes."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(axis)}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name} must be in [{-ndim}, {ndim}) for an array with {ndim} "
            f"dimensions, got {axis}"
        )
    return int(axis) % ndim


def check_boxes(x: object, name: str) -> np.ndarray:
    """Boxes ``(..., 4)`` as ``(x1, y1, x2, y2)`` with x1 <= x2, y1 <= y2."""
    boxes = as_float_array(x, name)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(
            f"{name} must have shape (..., 4), got shape {boxes.shape}"
        )
    if (boxes[..., 2] < boxes[..., 0]).any():
        raise ValueError(f"{name} must have x2 >= x1 in every box")
    if (boxes[..., 3] < boxes[..., 1]).any():
        raise ValueError(f"{name} must have y2 >= y1 in every box")
    return boxes


def reduce(
    values: np.ndarray,
    reduction: str,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Apply the reduction rule shared by every loss.

    ``"none"`` returns ``values``; ``"sum"`` their sum; ``"mean"`` their
    mean, or, when ``weights`` is given, ``sum(values) / sum(weights)``
    (``values`` must then already carry the weights, as in PyTorch's
    weighted cross-entropy and masked sequence losses).

    >>> float(reduce(np.array([1.0, 2.0, 6.0]), "mean"))
    3.0
    >>> w = np.array([2.0, 0.0])
    >>> float(reduce(np.array([2.0, 0.0]), "mean", weights=w))
    1.0
    """
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum(dtype=values.dtype)
    if weights is None:
        return values.mean(dtype=values.dtype)
    return values.sum(dtype=values.dtype) / weights.sum(dtype=values.dtype)


def reduce_gradient(
    grad: np.ndarray,
    reduction: str,
    *,
    count: int | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Scale the gradient of the summed loss to match ``reduction``.

    ``grad`` is the derivative of ``reduce(values, "sum")``; for ``"none"``
    it is the derivative of each unreduced term with respect to its own
    inputs, which is the same array. ``"mean"`` divides by ``count`` (the
    number of reduced terms) or by ``weights.sum()``.
    """
    if reduction != "mean":
        return grad
    denom = weights.sum(dtype=grad.dtype) if weights is not None else count
    return grad / grad.dtype.type(denom)
