"""Argument checks and the reduction rule, written once for every loss.

Every public function in lossbook starts by calling these helpers, and
nothing else in the package raises on bad input (tests/test_validation.py
keeps it so). Each message names the argument, says what was expected and
what was received, in the manner of scikit-learn's ``check_array`` and
``check_scalar``. Bad values raise ValueError; values of the wrong kind
(a string for an array, a float for an integer) raise TypeError.

Dtype rule (the API contract): float32 stays float32, float64 stays
float64, every other numeric or boolean input is computed in float64.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from lossbook._blocks import extrema
from lossbook._numerics import pow2_scale, scaled_sum

REDUCTIONS = ("mean", "sum", "none")
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")

__all__ = [
    "BOX_FORMATS",
    "REDUCTIONS",
    "as_float_array",
    "as_labels",
    "as_lengths",
    "check_all_nonnegative",
    "check_arguments",
    "check_axes",
    "check_axis",
    "check_bool",
    "check_box_format",
    "check_boxes",
    "check_broadcastable",
    "check_choice",
    "check_class_axis",
    "check_count_setting",
    "check_finite",
    "check_has_positive",
    "check_in",
    "check_instance",
    "check_integer",
    "check_ndim",
    "check_none",
    "check_nonempty",
    "check_nonnegative",
    "check_not_equal",
    "check_positive_total",
    "check_probabilities",
    "check_reduction",
    "check_rows_sum_to_one",
    "check_same_keys",
    "check_same_length",
    "check_same_shape",
    "check_scalar",
    "check_sequence",
    "check_shape",
    "check_state",
    "check_switch_setting",
    "check_values_in",
    "common_dtype",
    "reduce",
    "reduce_gradient",
]


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------
# options and hyperparameters: strings, flags, integers, reals
# ---------------------------------------------------------------------------


def check_reduction(reduction: object) -> str:
    """Return ``reduction`` if it is one of ``"mean"``, ``"sum"``, ``"none"``.

    >>> check_reduction("sum")
    'sum'
    """
    return check_choice(reduction, "reduction", REDUCTIONS)


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings in ``choices``.

    >>> check_choice("xywh", "in_fmt", BOX_FORMATS)
    'xywh'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {tuple(choices)}, got {_describe(value)}"
        )
    return value


def check_box_format(fmt: object, name: str) -> str:
    """Return ``fmt`` if it names a box format lossbook knows."""
    return check_choice(fmt, name, BOX_FORMATS)


def check_in(
    value: object,
    name: str,
    allowed: Collection[object],
    *,
    expected: str | None = None,
    got: str | None = None,
) -> object:
    """Return ``value`` if it is in ``allowed`` (e.g. a registry's keys).

    ``expected`` describes the allowed values (default: lists them) and
    ``got`` the value received (default: its repr).

    >>> check_in(2, "k", {1, 2})
    2
    """
    try:
        ok = value in allowed
    except TypeError:  # an unhashable value is in no dict or set
        ok = False
    if not ok:
        expected = expected or f"one of {_describe(tuple(allowed))}"
        raise ValueError(
            f"{name} must be {expected}, got {got or _describe(value)}"
        )
    return value


def check_none(value: object, name: str, *, when: str) -> None:
    """``value`` must be None: an option that does not apply ``when``.

    >>> check_none(None, "ignore_index", when="with probability targets")
    """
    if value is not None:
        raise ValueError(f"{name} must be None {when}, got {_describe(value)}")


def check_bool(value: object, name: str) -> bool:
    """A flag, True or False (NumPy booleans too), as a Python bool.

    >>> check_bool(np.True_, "zero_infinity")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False, got {_describe(value)}"
        )
    return bool(value)


def check_integer(
    value: object,
    name: str,
    *,
    min_val: int | None = None,
    max_val: int | None = None,
) -> int:
    """An integer (a size, an index, a seed) within bounds, as a Python int.

    Booleans and whole floats are refused: ``2.0`` for a count is a bug.

    >>> check_integer(np.int64(3), "n", min_val=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if not _INT64_MIN <= value <= _INT64_MAX:
        # NumPy sizes, seeds and indices are 64-bit at most
        raise ValueError(
            f"{name} must fit in a 64-bit integer, got an integer of "
            f"{value.bit_length()} bits"
        )
    if min_val is not None and value < min_val:
        raise ValueError(f"{name} must be >= {min_val}, got {value}")
    if max_val is not None and value > max_val:
        raise ValueError(f"{name} must be <= {max_val}, got {value}")
    return value


def check_count_setting(text: str, name: str) -> int:
    """A positive whole number given as text (an environment variable).

    >>> check_count_setting("2", "LOSSBOOK_NUM_THREADS")
    2
    """
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(
            f"{name} must be a positive integer, got {text!r}"
        )
    return count


def check_switch_setting(text: str, name: str) -> bool:
    """``0`` (off) or ``1`` (on) given as text (an environment variable);
    empty text is on.

    >>> check_switch_setting("0", "LOSSBOOK_COMPILED")
    False
    """
    value = text.strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{name} must be 0 (off) or 1 (on), got {text!r}")
    return value != "0"


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
    try:
        value = float(value)
    except OverflowError:  # an integer beyond the float range
        raise ValueError(
            f"{name} must be finite, got an integer of {value.bit_length()} "
            "bits, too large for a float"
        ) from None
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
    """A real hyperparameter that must be >= 0 (delta, beta, gamma, smooth).

    >>> check_nonnegative(1, "delta")
    1.0
    """
    return check_scalar(value, name, min_val=0.0)


def check_axis(axis: object, ndim: int, name: str = "axis") -> int:
    """Normalise a class axis to a non-negative index into ``ndim`` axes.

    >>> check_axis(-1, 3)
    2
    """
    axis = check_integer(axis, name)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name} must be in [{-ndim}, {ndim}) for an array with {ndim} "
            f"dimensions, got {axis}"
        )
    return axis % ndim


def check_class_axis(
    arr: np.ndarray, name: str, axis: object, arg: str = "axis"
) -> int:
    """``axis`` of ``arr`` as the class axis; a 0-d ``arr`` has none.

    >>> check_class_axis(np.zeros((2, 3)), "logits", -1)
    1
    """
    if arr.ndim == 0:
        raise ValueError(
            f"{name} must have a class axis (at least 1 dimension), got "
            "a scalar"
        )
    return check_axis(axis, arr.ndim, arg)


def check_axes(
    axis: object, ndim: int, name: str = "axis"
) -> tuple[int, ...] | None:
    """None, or one or more distinct axes, normalised and sorted.

    >>> check_axes((-1, 0), 3)
    (0, 2)
    >>> check_axes(None, 3) is None
    True
    """
    if axis is None:
        return None
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not given or any(
        isinstance(a, bool) or not isinstance(a, numbers.Integral)
        for a in given
    ):
        raise TypeError(
            f"{name} must be None, an integer or a tuple of integers, got "
            f"{_describe(axis)}"
        )
    if any(not -ndim <= a < ndim for a in given):
        raise ValueError(
            f"{name} must be None or valid axes for an array of {ndim} "
            f"dimensions, got {axis!r}"
        )
    axes = sorted(int(a) % ndim for a in given)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name} must not repeat an axis, got {axis!r}")
    return tuple(axes)


# ---------------------------------------------------------------------------
# arrays: conversion, dimensions and shapes
# ---------------------------------------------------------------------------


def _to_array(x: object, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array-like, got a string")
    if getattr(x, "requires_grad", False) is True:
        # torch refuses __array__ on such a tensor with its own RuntimeError
        raise TypeError(
            f"{name} must be a numeric array-like, got a "
            f"{type(x).__name__} that requires grad (pass {name}.detach(); "
            "lossbook computes values and closed-form gradients, not "
            "autograd)"
        )
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(
            f"{name} must be a numeric array-like, got {type(x).__name__}"
        ) from exc
    if arr.dtype == object or arr.dtype.kind in "mM" or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must be a numeric array-like, got an array of dtype "
            f"{arr.dtype}"
        )
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued, got complex values")
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    """Whether every entry is finite, in one cheap pass.

    Minimum and maximum propagate NaN, and an infinity is one of them, so
    two finite extremes prove every entry finite; unlike a sum they
    cannot overflow on finite entries. Very large arrays are scanned in
    one piece per thread (:func:`lossbook._blocks.extrema`).
    """
    if arr.size == 0:
        return True
    lo, hi = extrema(arr)
    return bool(np.isfinite(lo) and np.isfinite(hi))


def as_float_array(
    x: object,
    name: str,
    *,
    dtype: np.dtype | None = None,
    allow_empty: bool = False,
    allow_inf: bool | str = False,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``x`` to a float array, rejecting NaN, infinities and empties.

    float32 and float64 keep their dtype unless ``dtype`` is given (in
    native byte order: big-endian ``>f4`` gives float32); every other
    numeric or boolean dtype, float16 and longdouble included, becomes
    float64. datetime64 and timedelta64 are not numbers (TypeError), nor
    is a tensor that requires grad. The input is never
    modified: a new array is returned whenever a conversion happens, and
    callers must not write into the result. ``allow_inf=True`` lets
    infinities of either sign through, ``allow_inf="+inf"`` only +inf
    (a loss that is infinite); NaN is always refused. ``finite=False``
    leaves the finiteness test to the caller, who must run
    :func:`check_finite` before any value computed from the array can
    be returned (a loss whose result is finite only for finite inputs
    runs it only when its result is not).

    >>> as_float_array([1, 2], "y_true").dtype
    dtype('float64')
    >>> as_float_array(np.ones(2, np.float32), "y_pred").dtype
    dtype('float32')
    >>> as_float_array([np.inf], "losses", allow_inf="+inf")
    array([inf])
    """
    if allow_inf not in (False, True, "+inf"):
        raise ValueError(
            f"allow_inf must be False, True or '+inf', got "
            f"{_describe(allow_inf)}"
        )
    arr = _to_array(x, name)
    if dtype is None:
        # float32 and float64 of either byte order keep their precision
        # (in native order); float16 and longdouble are computed in
        # float64, like integers: float16 overflows at 65504 inside
        # exp and squares, and longdouble's precision differs by platform
        native = arr.dtype.newbyteorder("=")
        keep = native in (np.float32, np.float64)
        dtype = native if keep else np.float64
    original = arr
    with np.errstate(over="ignore"):
        arr = arr.astype(dtype, copy=False)
    if arr is not original and arr.dtype.itemsize < original.dtype.itemsize \
            and not _all_finite(arr) and _all_finite(original):
        raise ValueError(
            f"{name} must be representable in {np.dtype(dtype).name} (the "
            f"dtype of the computation), got values beyond its range"
        )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not allow_inf:
        if finite:
            check_finite(arr, name)
    else:
        refused = np.isnan(arr) | (np.isneginf(arr) & (allow_inf == "+inf"))
        if refused.any():
            allowed = (
                "finite or +inf" if allow_inf == "+inf" else "free of NaN"
            )
            bad = "NaN" if np.isnan(arr).any() else "-inf"
            raise ValueError(f"{name} must be {allowed}, got {bad}")
    return arr


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Every entry of ``arr`` is finite (no NaN, no infinity).

    >>> check_finite(np.array([0.5, -2.0]), "y_pred")
    array([ 0.5, -2. ])
    """
    if not _all_finite(arr):
        bad = "NaN" if np.isnan(arr).any() else "an infinite value"
        raise ValueError(f"{name} must be finite, got {bad}")
    return arr


def common_dtype(*arrays: np.ndarray) -> np.dtype:
    """The float dtype the result is computed in: float64 if any is."""
    return np.result_type(*[a.dtype for a in arrays], np.float32)


def check_ndim(
    arr: np.ndarray,
    name: str,
    ndims: int | Sequence[int] | None = None,
    *,
    min_ndim: int | None = None,
    expected: str | None = None,
) -> np.ndarray:
    """``arr`` has one of ``ndims`` dimensions, or at least ``min_ndim``.

    ``expected`` completes "``name`` must ...", e.g. ``"have shape (T, N,
    C)"``; the default says how many dimensions are allowed.

    >>> check_ndim(np.zeros((2, 3)), "X", 2).shape
    (2, 3)
    """
    allowed = (ndims,) if isinstance(ndims, int) else ndims
    if (allowed is not None and arr.ndim not in allowed) or (
        min_ndim is not None and arr.ndim < min_ndim
    ):
        if expected is None:
            if allowed is None:
                plural = "" if min_ndim == 1 else "s"
                expected = f"have at least {min_ndim} dimension{plural}"
            else:
                expected = "be " + " or ".join(
                    "a scalar" if k == 0 else f"{k}-D" for k in allowed
                )
        raise ValueError(f"{name} must {expected}, got shape {arr.shape}")
    return arr


def _shape_text(pattern: tuple) -> str:
    items = ["..." if d is Ellipsis else str(d) for d in pattern]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _shape_matches(shape: tuple[int, ...], pattern: tuple) -> bool:
    if Ellipsis in pattern:
        cut = pattern.index(Ellipsis)
        head, tail = pattern[:cut], pattern[cut + 1:]
        return len(shape) >= len(head) + len(tail) and _shape_matches(
            shape[:len(head)], head
        ) and _shape_matches(shape[len(shape) - len(tail):], tail)
    return len(shape) == len(pattern) and all(
        isinstance(want, str) or want == size
        for size, want in zip(shape, pattern, strict=True)
    )


def check_shape(
    arr: np.ndarray,
    name: str,
    expected_shape: tuple | list[tuple],
    what: str | None = None,
) -> np.ndarray:
    """``arr`` has ``expected_shape``, or one of a list of such shapes.

    An entry is an int, a str (a named size such as ``"S"``: any length)
    or ``...`` (any number of leading or trailing axes). ``what`` says what
    the shape means, e.g. ``"one weight per class"``.

    >>> check_shape(np.zeros((5, 4)), "boxes", (..., 4)).shape
    (5, 4)
    """
    patterns = (
        expected_shape if isinstance(expected_shape, list)
        else [expected_shape]
    )
    if not any(_shape_matches(arr.shape, p) for p in patterns):
        shapes = " or ".join(_shape_text(tuple(p)) for p in patterns)
        meaning = f", {what}" if what else ""
        raise ValueError(
            f"{name} must have shape {shapes}{meaning}, got shape "
            f"{arr.shape}"
        )
    return arr


def check_same_shape(
    a: np.ndarray, a_name: str, b: np.ndarray, b_name: str
) -> None:
    """Refuse to broadcast: ``a`` and ``b`` must have one shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} and {b_name} must have the same shape, got "
            f"{a_name}.shape={a.shape} and {b_name}.shape={b.shape}"
        )


def check_broadcastable(
    a: np.ndarray, a_name: str, shape: tuple[int, ...], shape_name: str
) -> np.ndarray:
    """``a`` broadcasts to ``shape`` (NumPy's and PyTorch's rule) without
    growing it; returns the broadcast view.

    >>> check_broadcastable(np.ones(3), "pos_weight", (2, 3), "logits").shape
    (2, 3)
    """
    try:
        ok = np.broadcast_shapes(a.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{a_name} must broadcast to the shape of {shape_name} "
            f"{tuple(shape)}, got shape {a.shape}"
        )
    return np.broadcast_to(a, shape)


def check_same_length(
    arrays: Sequence[np.ndarray], name: str, *, min_length: int = 1
) -> int:
    """Arrays sharing a first dimension of at least ``min_length``; its size.

    No arrays at all is a TypeError, as Python's for a missing argument.

    >>> check_same_length([np.zeros(3), np.zeros((3, 2))], "arrays")
    3
    """
    if not arrays:
        raise TypeError(f"{name} must hold at least one array, got none")
    n = len(arrays[0]) if arrays[0].ndim else 0
    if n < min_length or any(a.ndim == 0 or len(a) != n for a in arrays):
        raise ValueError(
            f"{name} must share a first dimension of at least {min_length}, "
            f"got lengths {[a.shape[:1] for a in arrays]}"
        )
    return n


# ---------------------------------------------------------------------------
# array contents
# ---------------------------------------------------------------------------


def check_probabilities(p: np.ndarray, name: str) -> np.ndarray:
    """Every entry of ``p`` must lie in the closed interval [0, 1].

    The same scan refuses NaN and infinities, with the message of
    :func:`check_finite`, so an array converted with
    ``as_float_array(..., finite=False)`` needs no other test.

    >>> check_probabilities(np.array([0.0, 0.25, 1.0]), "y_true")
    array([0.  , 0.25, 1.  ])
    """
    if p.size:
        lo, hi = extrema(p)
        if not (lo >= 0 and hi <= 1):
            if not (np.isfinite(lo) and np.isfinite(hi)):
                check_finite(p, name)
            raise ValueError(
                f"{name} must hold probabilities in [0, 1], got values in "
                f"[{lo:.6g}, {hi:.6g}]"
            )
    return p


def check_rows_sum_to_one(
    p: np.ndarray, name: str, axis: int, tol: float
) -> np.ndarray:
    """Each slice of ``p`` along ``axis`` sums to 1 within ``tol``.

    >>> check_rows_sum_to_one(np.array([[0.25, 0.75]]), "y_prob", 1, 1e-6)
    array([[0.25, 0.75]])
    """
    if p.size:
        # float64 accumulation, so float32 rows are judged on their
        # values, not on the rounding of a float32 sum
        deviation = np.abs(p.sum(axis=axis, dtype=np.float64) - 1.0).max()
        if not deviation <= tol:
            raise ValueError(
                f"{name} must sum to 1 along axis {axis} (|row sum - 1| <= "
                f"{tol:g}), got |row sum - 1| up to {deviation:.6g}"
            )
    return p


def check_all_nonnegative(x: np.ndarray, name: str) -> np.ndarray:
    """Every entry of ``x`` is >= 0 (weights, masks, box sizes).

    >>> check_all_nonnegative(np.array([0.0, 2.0]), "weight")
    array([0., 2.])
    """
    if x.size and x.min() < 0:
        raise ValueError(
            f"{name} must be >= 0 everywhere, got a minimum of "
            f"{x.min():.6g}"
        )
    return x


def check_has_positive(
    x: np.ndarray,
    name: str,
    *,
    what: str = "at least one positive value",
    why: str | None = None,
) -> np.ndarray:
    """Some entry of ``x`` is > 0; ``why`` says why one is needed.

    >>> check_has_positive(np.array([0, 1]), "y_true")
    array([0, 1])
    """
    if not (x > 0).any():
        if x.size == 0:
            got = "no values"
        elif not x.any():
            got = "only 0s"
        else:
            got = f"a maximum of {x.max():.6g}"
        reason = f": {why}" if why else ""
        raise ValueError(f"{name} must contain {what}{reason}, got {got}")
    return x


def check_positive_total(
    x: np.ndarray, name: str, *, what: str = "the sum"
) -> float:
    """``x.sum()`` (e.g. the divisor of a weighted mean) is > 0; returns it.

    ``what`` names the total: the message reads "``what`` of ``name``".

    >>> check_positive_total(np.array([0.0, 2.0]), "mask")
    2.0
    """
    with np.errstate(over="ignore"):  # a sum of huge weights is inf > 0
        total = float(np.sum(x))
    if not total > 0:
        raise ValueError(f"{what} of {name} must be > 0.0, got {total}")
    return total


def check_not_equal(
    x: object, name: str, value: object, what: str | None = None
) -> None:
    """No entry of ``x`` equals ``value`` (or any of a tuple of values).

    For a blank label among the targets, or the batch axis given as a
    class axis. ``what`` describes the refused value (default: its repr).

    >>> check_not_equal(np.array([1, 2]), "targets", 0, "the blank label 0")
    """
    arr = np.asarray(x)
    refused = value if isinstance(value, tuple) else (value,)
    if np.isin(arr, refused).any():
        what = what or " or ".join(_describe(v) for v in refused)
        if arr.ndim == 0:
            raise ValueError(
                f"{name} must not be {what}, got {name}="
                f"{_describe(arr.item())}"
            )
        raise ValueError(f"{name} must not contain {what}")


def _check_int64_range(arr: np.ndarray, name: str) -> None:
    """Whole floats must fit in int64 before the cast (which would warn)."""
    if arr.size and np.abs(arr).max() >= 2.0**63:
        raise ValueError(
            f"{name} must hold integers that fit in 64 bits, got values up "
            f"to {np.abs(arr).max():.6g}"
        )


def as_labels(
    x: object, name: str, num_classes: int, *, ignore_index: int | None = None
) -> np.ndarray:
    """Integer class labels in ``[0, num_classes)`` as an int64 array.

    Floats are accepted when they hold whole numbers (labels often arrive as
    float arrays); ``ignore_index`` entries are allowed outside the range.

    >>> as_labels([0.0, 2.0], "y_true", 3)
    array([0, 2])
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
        _check_int64_range(arr, name)
    labels = arr.astype(np.int64)
    valid = labels if ignore_index is None else labels[labels != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= num_classes):
        raise ValueError(
            f"{name} must hold class labels in [0, {num_classes}), got "
            f"values in [{valid.min()}, {valid.max()}]"
        )
    return labels


def as_lengths(
    x: object,
    name: str,
    n: int,
    *,
    upper: int | None = None,
    upper_name: str | None = None,
    what: str | None = None,
) -> np.ndarray:
    """``n`` integer lengths in ``[0, upper]`` (or >= 0) as an int64 array.

    ``upper_name`` says where the bound comes from (``"log_probs.shape[0]"``)
    and ``what`` what the ``(n,)`` shape means.

    >>> as_lengths([3.0, 0], "target_lengths", 2, upper=3)
    array([3, 0])
    """
    arr = as_float_array(x, name, allow_empty=n == 0)
    check_shape(arr, name, (n,), what)
    if (arr != np.round(arr)).any():
        raise ValueError(f"{name} must hold integers, got non-integer values")
    _check_int64_range(arr, name)
    if arr.size:
        low, high = arr.min(), arr.max()
        if upper is None and low < 0:
            raise ValueError(
                f"{name} must hold non-negative integers, got values in "
                f"[{low:.0f}, {high:.0f}]"
            )
        if upper is not None and (low < 0 or high > upper):
            source = f" ({upper_name})" if upper_name else ""
            raise ValueError(
                f"{name} must hold lengths in [0, {upper}]{source}, got "
                f"values in [{low:.0f}, {high:.0f}]"
            )
    return arr.astype(np.int64)


def check_boxes(x: object, name: str) -> np.ndarray:
    """Boxes ``(..., 4)`` as ``(x1, y1, x2, y2)`` with x1 <= x2, y1 <= y2."""
    boxes = check_shape(as_float_array(x, name), name, (..., 4))
    if (boxes[..., 2] < boxes[..., 0]).any():
        raise ValueError(f"{name} must have x2 >= x1 in every box")
    if (boxes[..., 3] < boxes[..., 1]).any():
        raise ValueError(f"{name} must have y2 >= y1 in every box")
    return boxes


# ---------------------------------------------------------------------------
# containers and state
# ---------------------------------------------------------------------------


def check_instance(
    value: object,
    name: str,
    types: type | tuple[type, ...],
    expected: str,
    *,
    exclude: type | tuple[type, ...] = (),
) -> object:
    """``value`` is an instance of ``types`` but not of ``exclude``.

    ``expected`` describes the allowed kinds, e.g. ``"a mapping of name to
    loss"``; a mismatch is a TypeError naming the type received.

    >>> check_instance([1.0], "components", Sequence, "a sequence",
    ...                exclude=str)
    [1.0]
    """
    if not isinstance(value, types) or isinstance(value, exclude):
        raise TypeError(
            f"{name} must be {expected}, got {type(value).__name__}"
        )
    return value


def check_sequence(
    value: object,
    name: str,
    *,
    length: int | None = None,
    expected: str | None = None,
) -> tuple:
    """A list or tuple (of ``length`` items), returned as a tuple.

    >>> check_sequence([2, 3], "symbol_frames", length=2)
    (2, 3)
    """
    if not isinstance(value, (tuple, list)) or (
        length is not None and len(value) != length
    ):
        if expected is None:
            count = "" if length is None else f" of {length} items"
            expected = f"a list or tuple{count}"
        raise TypeError(f"{name} must be {expected}, got {_describe(value)}")
    return tuple(value)


def check_nonempty(value: Collection, name: str) -> Collection:
    """A container (mapping, list, ...) with at least one item.

    >>> check_nonempty({"cls": 0.5}, "components")
    {'cls': 0.5}
    """
    if len(value) == 0:
        raise ValueError(f"{name} must not be empty, got {_describe(value)}")
    return value


def check_same_keys(
    mapping: Mapping, name: str, keys: Collection, keys_name: str
) -> Mapping:
    """``mapping`` has exactly ``keys``, those of the argument ``keys_name``.

    >>> check_same_keys({"a": 1}, "weights", ["a"], "components")
    {'a': 1}
    """
    if set(mapping) != set(keys):
        missing = sorted(map(str, set(keys) - set(mapping)))
        extra = sorted(map(str, set(mapping) - set(keys)))
        raise ValueError(
            f"{name} must have the same keys as {keys_name}; missing "
            f"{missing}, unexpected {extra}"
        )
    return mapping


def check_arguments(
    fn: Callable, name: str, args: tuple, kwargs: Mapping
) -> None:
    """``fn(*args, **kwargs)`` is a valid call of the public ``fn``.

    Checked against ``fn``'s own signature, so a wrong keyword names the
    loss the caller passed, not the private kernel that computes it.

    >>> check_arguments(lambda a, *, b=1: a, "f", (1,), {"b": 2})
    """
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{name}() {exc}") from None


def check_state(ready: bool, message: str) -> None:
    """Refuse a method called out of order, where no argument is to blame.

    ``message`` says what must happen first, e.g. "RunningMean has no value
    before the first update(value, n)".
    """
    if not ready:
        raise ValueError(message)


# ---------------------------------------------------------------------------
# the reduction rule
# ---------------------------------------------------------------------------


def reduce(
    values: np.ndarray,
    reduction: str,
    *,
    weights: np.ndarray | None = None,
    scale: int = 0,
) -> np.ndarray:
    """Apply the reduction rule shared by every loss.

    ``"none"`` returns ``values``; ``"sum"`` their sum; ``"mean"`` their
    mean, or, when ``weights`` is given, ``sum(values) / sum(weights)``
    (``values`` must then already carry the weights, as in PyTorch's
    weighted cross-entropy and masked sequence losses).

    Sums are taken with a running power-of-two scale, so a result is
    finite whenever it is representable, and never with a warning. A
    loss whose values would overflow computes them in a scaled frame and
    passes ``scale``: the true values are ``values * 2**scale``, and the
    result is scaled back once (to ``inf`` only if it is out of range).

    >>> float(reduce(np.array([1.0, 2.0, 6.0]), "mean"))
    3.0
    >>> w = np.array([2.0, 0.0])
    >>> float(reduce(np.array([2.0, 0.0]), "mean", weights=w))
    1.0
    >>> float(reduce(np.array([1e308, 1e308]), "mean"))  # no overflow
    1e+308
    >>> float(reduce(np.array([1e308, 1e308]), "none", scale=1)[0])
    inf
    """
    if reduction == "none":
        out = values
    # The scaled sums cannot overflow for finite terms. A term that is
    # already inf (a value beyond the float range) makes the sum inf
    # whatever happens on the way, but it also hides the scale of the
    # finite terms (frexp(inf) has exponent 0), so their partial sums may
    # overflow first: that overflow changes nothing and is no warning.
    elif reduction == "sum":
        with np.errstate(over="ignore"):
            out = scaled_sum(values)
    elif weights is None:
        with np.errstate(over="ignore"):
            out = values.mean(dtype=values.dtype)
        if np.isinf(out) and np.isfinite(values).all():
            # the sum overflowed although the mean is representable:
            # divide first (the exact mean of finite values is finite)
            out = scaled_sum(values / values.dtype.type(values.size))
    else:
        # both sums in a frame where their largest term is below 1
        ev, ew = pow2_scale(values), pow2_scale(weights)
        with np.errstate(over="ignore"):
            num = scaled_sum(np.ldexp(values, -ev).astype(values.dtype))
            den = scaled_sum(np.ldexp(weights, -ew).astype(values.dtype))
            out = np.ldexp(num / den, ev - ew).astype(values.dtype)
    if scale:
        with np.errstate(over="ignore"):
            out = np.ldexp(out, scale).astype(values.dtype)
    return out


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


def check_values_in(
    x: np.ndarray, name: str, allowed: tuple[float, ...], hint: str = ""
) -> np.ndarray:
    """Every entry of ``x`` is one of ``allowed`` (e.g. labels -1 and +1).

    ``hint`` is appended to the message, e.g. how to convert 0/1 labels.

    >>> check_values_in(np.array([-1.0, 1.0]), "y_true", (-1.0, 1.0))
    array([-1.,  1.])
    """
    bad = ~np.isin(x, allowed)
    if bad.any():
        values = ", ".join(f"{v:g}" for v in allowed)
        first = x[bad].flat[0]
        extra = f"; {hint}" if hint else ""
        raise ValueError(
            f"{name} must hold only the values {{{values}}}, got "
            f"{first:g}{extra}"
        )
    return x
# ---------------------------------------------------------------------------
# embeddings
# ---------------------------------------------------------------------------


def as_label_values(
    x: object, name: str, allowed: tuple[float, ...]
) -> np.ndarray:
    """A float64 array whose every entry is one of ``allowed``.

    For pair labels such as ``y`` in {-1, 1} or {0, 1}, where any other
    value (a 0 among ±1 labels) would silently select neither branch.

    >>> as_label_values([1, -1], "y_true", (-1.0, 1.0))
    array([ 1., -1.])
    """
    arr = as_float_array(x, name, dtype=np.float64)
    if not np.isin(arr, allowed).all():
        bad = arr[~np.isin(arr, allowed)].ravel()[0]
        values = ", ".join(f"{v:g}" for v in allowed)
        raise ValueError(
            f"{name} must hold only the values {{{values}}}, got {bad:g}"
        )
    return arr


def check_nonzero_vectors(x: np.ndarray, name: str, axis: int) -> None:
    """No vector of ``x`` along ``axis`` is all zeros (it has no direction).

    >>> check_nonzero_vectors(np.array([[1.0, 0.0]]), "x1", -1)
    """
    zero = ~np.any(x != 0, axis=axis)
    if zero.any():
        where = tuple(int(i) for i in np.argwhere(zero)[0])
        raise ValueError(
            f"{name} must not contain a zero vector (its cosine is "
            f"undefined), got one at index {where}"
        )
