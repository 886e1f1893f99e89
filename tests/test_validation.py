"""The validation layer: every checker, and the rule that only it raises.

Each checker of :mod:`lossbook._validation` gets good input (it passes and
returns the normalised value) and bad input (the right exception, with a
message that names the argument). A source scan keeps the house rule true:
no other module of the package raises ValueError or TypeError itself.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import lossbook
from lossbook import _validation as v

F32 = np.float32
ZEROS_23 = np.zeros((2, 3))

# (checker, args, kwargs, expected return value)
GOOD = [
    (v.as_float_array, ([1, 2], "x"), {}, np.array([1.0, 2.0])),
    (v.as_float_array, (np.ones(2, F32), "x"), {}, np.ones(2, F32)),
    (v.as_float_array, ([True, False], "x"), {}, np.array([1.0, 0.0])),
    (v.as_float_array, ([1], "x"), {"dtype": F32}, np.ones(1, F32)),
    (v.as_float_array, ([], "x"), {"allow_empty": True}, np.zeros(0)),
    (v.as_float_array, ([np.inf, -np.inf], "x"), {"allow_inf": True},
     np.array([np.inf, -np.inf])),
    (v.as_float_array, ([np.inf, 1], "x"), {"allow_inf": "+inf"},
     np.array([np.inf, 1.0])),
    (v.as_labels, ([0.0, 2.0], "y", 3), {}, np.array([0, 2])),
    (v.as_labels, ([True, False], "y", 2), {}, np.array([1, 0])),
    (v.as_labels, ([-100, 1], "y", 2), {"ignore_index": -100},
     np.array([-100, 1])),
    (v.as_lengths, ([3.0, 0], "lengths", 2), {"upper": 3}, np.array([3, 0])),
    (v.as_lengths, ([7], "lengths", 1), {}, np.array([7])),
    (v.as_lengths, ([], "lengths", 0), {}, np.zeros(0, np.int64)),
    (v.check_all_nonnegative, (np.array([0.0, 2.0]), "w"), {},
     np.array([0.0, 2.0])),
    (v.check_axes, (None, 2), {}, None),
    (v.check_axes, (1, 2), {}, (1,)),
    (v.check_axes, ((-1, 0), 3), {}, (0, 2)),
    (v.check_axes, ([np.int64(1)], 2), {}, (1,)),
    (v.check_axis, (-1, 3), {}, 2),
    (v.check_axis, (np.int64(1), 2), {}, 1),
    (v.check_bool, (True, "flag"), {}, True),
    (v.check_bool, (np.False_, "flag"), {}, False),
    (v.check_box_format, ("cxcywh", "fmt"), {}, "cxcywh"),
    (v.check_boxes, ([[0, 0, 1, 2]], "b"), {}, np.array([[0.0, 0, 1, 2]])),
    (v.check_boxes, ([1, 1, 1, 1], "b"), {}, np.ones(4)),
    (v.check_choice, ("b", "link", ("a", "b")), {}, "b"),
    (v.check_has_positive, (np.array([0, 1]), "y"), {}, np.array([0, 1])),
    (v.check_in, (2, "k", {1, 2}), {}, 2),
    (v.check_instance, ([1], "c", list, "a list"), {}, [1]),
    (v.check_instance, ((1,), "c", Sequence, "a sequence"),
     {"exclude": str}, (1,)),
    (v.check_integer, (3, "n"), {"min_val": 1, "max_val": 3}, 3),
    (v.check_count_setting, (" 4", "THREADS"), {}, 4),
    (v.check_switch_setting, ("", "COMPILED"), {}, True),
    (v.check_switch_setting, (" 1", "COMPILED"), {}, True),
    (v.check_switch_setting, ("0 ", "COMPILED"), {}, False),
    (v.check_finite, (np.array([0.0, -1e308]), "x"), {},
     np.array([0.0, -1e308])),
    (v.check_integer, (np.int32(-2), "i"), {}, -2),
    (v.check_ndim, (ZEROS_23, "X", 2), {}, ZEROS_23),
    (v.check_ndim, (np.zeros(()), "v", 0), {}, np.zeros(())),
    (v.check_ndim, (np.zeros(2), "t", (1, 2)), {}, np.zeros(2)),
    (v.check_ndim, (np.zeros(1), "p"), {"min_ndim": 1}, np.zeros(1)),
    (v.check_none, (None, "x"), {"when": "here"}, None),
    (v.check_nonempty, ([1], "c"), {}, [1]),
    (v.check_nonnegative, (2, "delta"), {}, 2.0),
    (v.check_nonnegative, (0.0, "delta"), {}, 0.0),
    (v.check_not_equal, (np.array([1, 2]), "targets", 0), {}, None),
    (v.check_not_equal, (1, "axis", (0, -3)), {}, None),
    (v.check_positive_total, (np.array([0.0, 2.0]), "mask"), {}, 2.0),
    (v.check_probabilities, (np.array([0.0, 1.0]), "p"), {},
     np.array([0.0, 1.0])),
    (v.check_reduction, ("none",), {}, "none"),
    (v.check_rows_sum_to_one, (np.array([[0.25, 0.75]]), "p", 1, 1e-6), {},
     np.array([[0.25, 0.75]])),
    # ten float32 0.1s sum to 1 + 1.5e-8 in float64: within the tolerance
    (v.check_rows_sum_to_one, (np.full((1, 10), 0.1, F32), "p", 1, 1e-6),
     {}, np.full((1, 10), 0.1, F32)),
    (v.check_same_keys, ({"a": 1}, "w", ["a"], "c"), {}, {"a": 1}),
    (v.check_same_length, ([np.zeros(3), ZEROS_23.T], "arrays"), {}, 3),
    (v.check_same_shape, (np.zeros(2), "a", np.ones(2), "b"), {}, None),
    (v.check_broadcastable, (np.ones((3, 1)), "w", (2, 3, 4), "z"), {},
     np.ones((2, 3, 4))),
    (v.check_class_axis, (ZEROS_23, "logits", -1), {}, 1),
    (v.check_arguments, (lambda a, *, b=1: a, "f", (1,), {"b": 2}), {},
     None),
    (v.check_scalar, (0.5, "g"), {"min_val": 0, "max_val": 1}, 0.5),
    (v.check_scalar, (np.float32(2), "g"), {}, 2.0),
    (v.check_scalar, (0, "x"), {"min_val": 0}, 0.0),
    (v.check_sequence, ([2, 3], "r"), {"length": 2}, (2, 3)),
    (v.check_sequence, ((1,), "r"), {}, (1,)),
    (v.check_shape, (np.zeros((5, 4)), "b", (..., 4)), {}, np.zeros((5, 4))),
    (v.check_shape, (np.zeros(4), "b", (..., 4)), {}, np.zeros(4)),
    (v.check_shape, (ZEROS_23, "t", (2, ...)), {}, ZEROS_23),
    (v.check_shape, (ZEROS_23, "t", (2, "S")), {}, ZEROS_23),
    (v.check_shape, (np.zeros(()), "a", [(), (3,)]), {}, np.zeros(())),
    (v.check_shape, (np.zeros(3), "a", [(), (3,)]), {}, np.zeros(3)),
    (v.check_state, (True, "never shown"), {}, None),
    (v.check_values_in, (np.array([1.0, -1.0]), "y", (-1.0, 1.0)), {},
     np.array([1.0, -1.0])),
]

# (checker, args, kwargs, exception, message pattern naming the argument)
BAD = [
    (v.as_float_array, ("abc", "x"), {}, TypeError,
     "x must be a numeric array-like, got a string"),
    (v.as_float_array, ([[1], [1, 2]], "x"), {}, TypeError,
     "x must be a numeric array-like, got list"),
    (v.as_float_array, (["a"], "x"), {}, TypeError,
     "x must be a numeric array-like, got an array of dtype <U1"),
    (v.as_float_array, (None, "x"), {}, TypeError,
     "x must be a numeric array-like, got an array of dtype object"),
    (v.as_float_array, ([1j], "x"), {}, TypeError,
     "x must be real-valued, got complex values"),
    (v.as_float_array, ([], "x"), {}, ValueError,
     r"x must not be empty, got shape \(0,\)"),
    (v.as_float_array, ([1, np.nan], "x"), {}, ValueError,
     "x must be finite, got NaN"),
    (v.as_float_array, ([1, np.inf], "x"), {}, ValueError,
     "x must be finite, got an infinite value"),
    (v.as_float_array, ([-np.inf], "x"), {"allow_inf": "+inf"}, ValueError,
     r"x must be finite or \+inf, got -inf"),
    (v.as_float_array, ([np.nan], "x"), {"allow_inf": True}, ValueError,
     "x must be free of NaN, got NaN"),
    (v.as_float_array, ([1.0], "x"), {"allow_inf": "yes"}, ValueError,
     "allow_inf must be False, True or '.inf', got 'yes'"),
    (v.as_labels, ([0.5], "y", 2), {}, ValueError,
     "y must hold integer class labels, got non-integer values"),
    (v.as_labels, ([np.nan], "y", 2), {}, ValueError,
     "y must hold integer class labels"),
    (v.as_labels, ([2, 0], "y", 2), {}, ValueError,
     r"y must hold class labels in \[0, 2\), got values in \[0, 2\]"),
    (v.as_labels, ([-1], "y", 2), {"ignore_index": -100}, ValueError,
     r"y must hold class labels in \[0, 2\)"),
    (v.as_labels, ([], "y", 2), {}, ValueError, "y must not be empty"),
    (v.as_labels, (["a"], "y", 2), {}, TypeError, "y must be a numeric"),
    (v.as_lengths, ([1, 2], "lengths", 3), {"what": "one per sample"},
     ValueError,
     r"lengths must have shape \(3,\), one per sample, got shape \(2,\)"),
    (v.as_lengths, ([1.5], "lengths", 1), {}, ValueError,
     "lengths must hold integers, got non-integer values"),
    (v.as_lengths, ([-1, 2], "lengths", 2), {}, ValueError,
     r"lengths must hold non-negative integers, got values in \[-1, 2\]"),
    (v.as_lengths, ([4], "lengths", 1), {"upper": 3, "upper_name": "T"},
     ValueError,
     r"lengths must hold lengths in \[0, 3\] \(T\), got values in \[4, 4\]"),
    (v.as_lengths, ([np.nan], "lengths", 1), {}, ValueError,
     "lengths must be finite"),
    (v.as_lengths, ([], "lengths", 1), {}, ValueError,
     "lengths must not be empty"),
    (v.as_lengths, (None, "lengths", 1), {}, TypeError,
     "lengths must be a numeric"),
    (v.check_all_nonnegative, (np.array([1.0, -2.0]), "w"), {}, ValueError,
     "w must be >= 0 everywhere, got a minimum of -2"),
    (v.check_axes, ((0, 0), 2), {}, ValueError,
     r"axis must not repeat an axis, got \(0, 0\)"),
    (v.check_axes, ((0, -2), 2), {}, ValueError,
     "axis must not repeat an axis"),
    (v.check_axes, (2, 2), {}, ValueError,
     "axis must be None or valid axes for an array of 2 dimensions, got 2"),
    (v.check_axes, (1.5, 2, "dims"), {}, TypeError,
     "dims must be None, an integer or a tuple of integers, got 1.5"),
    (v.check_axes, ((), 2), {}, TypeError, "axis must be None, an integer"),
    (v.check_axes, ((0, True), 2), {}, TypeError,
     "axis must be None, an integer"),
    (v.check_axis, (3, 3), {}, ValueError,
     r"axis must be in \[-3, 3\) for an array with 3 dimensions, got 3"),
    (v.check_axis, (1.0, 3, "dim"), {}, TypeError,
     "dim must be an integer, got 1.0"),
    (v.check_axis, (True, 3), {}, TypeError, "axis must be an integer"),
    (v.check_bool, (1, "flag"), {}, TypeError,
     "flag must be True or False, got 1"),
    (v.check_bool, ("yes", "flag"), {}, TypeError,
     "flag must be True or False, got 'yes'"),
    (v.check_box_format, ("xyzw", "in_fmt"), {}, ValueError,
     r"in_fmt must be one of \('xyxy', 'xywh', 'cxcywh'\), got 'xyzw'"),
    (v.check_boxes, ([1, 2, 3], "b"), {}, ValueError,
     r"b must have shape \(\.\.\., 4\), got shape \(3,\)"),
    (v.check_boxes, (1.0, "b"), {}, ValueError,
     r"b must have shape \(\.\.\., 4\), got shape \(\)"),
    (v.check_boxes, ([[1, 0, 0, 1]], "b"), {}, ValueError,
     "b must have x2 >= x1 in every box"),
    (v.check_boxes, ([[0, 1, 1, 0]], "b"), {}, ValueError,
     "b must have y2 >= y1 in every box"),
    (v.check_boxes, ([[0, 0, np.nan, 1]], "b"), {}, ValueError,
     "b must be finite"),
    (v.check_choice, (3, "link", ("a", "b")), {}, ValueError,
     r"link must be one of \('a', 'b'\), got 3"),
    (v.check_has_positive, (np.array([0, 0]), "y"), {}, ValueError,
     "y must contain at least one positive value, got only 0s"),
    (v.check_has_positive, (np.array([-1.0, 0.0]), "w"), {}, ValueError,
     "w must contain at least one positive value, got a maximum of 0"),
    (v.check_has_positive, (np.zeros(0), "w"), {}, ValueError,
     "w must contain at least one positive value, got no values"),
    (v.check_has_positive, (np.array([0]), "y"),
     {"what": "a 1", "why": "recall needs one"}, ValueError,
     "y must contain a 1: recall needs one, got only 0s"),
    (v.check_in, (3, "k", {1, 2}), {}, ValueError,
     r"k must be one of \(1, 2\), got 3"),
    (v.check_in, ([1], "k", {1: "a"}), {}, ValueError, "k must be one of"),
    (v.check_in, (3, "loss", {}), {"expected": "a loss", "got": "three"},
     ValueError, "loss must be a loss, got three"),
    (v.check_instance, (3.0, "c", (list, tuple), "a list"), {}, TypeError,
     "c must be a list, got float"),
    (v.check_instance, ("ab", "c", Sequence, "a sequence"),
     {"exclude": (str, bytes)}, TypeError, "c must be a sequence, got str"),
    (v.check_finite, (np.array([1.0, np.nan]), "x"), {}, ValueError,
     "x must be finite, got NaN"),
    (v.check_finite, (np.array([-np.inf, 1.0]), "x"), {}, ValueError,
     "x must be finite, got an infinite value"),
    (v.check_count_setting, ("0", "THREADS"), {}, ValueError,
     "THREADS must be a positive integer, got '0'"),
    (v.check_count_setting, ("two", "THREADS"), {}, ValueError,
     "THREADS must be a positive integer, got 'two'"),
    (v.check_switch_setting, ("yes", "COMPILED"), {}, ValueError,
     "COMPILED must be 0 \\(off\\) or 1 \\(on\\), got 'yes'"),
    (v.check_integer, (2.5, "n"), {}, TypeError,
     "n must be an integer, got 2.5"),
    (v.check_integer, (2.0, "n"), {}, TypeError, "n must be an integer"),
    (v.check_integer, (True, "n"), {}, TypeError,
     "n must be an integer, got True"),
    (v.check_integer, ("3", "n"), {}, TypeError, "n must be an integer"),
    (v.check_integer, (0, "n"), {"min_val": 1}, ValueError,
     "n must be >= 1, got 0"),
    (v.check_integer, (5, "n"), {"max_val": 4}, ValueError,
     "n must be <= 4, got 5"),
    (v.check_ndim, (np.zeros(3), "X", 2), {}, ValueError,
     r"X must be 2-D, got shape \(3,\)"),
    (v.check_ndim, (np.zeros((1, 1)), "v", 0), {}, ValueError,
     r"v must be a scalar, got shape \(1, 1\)"),
    (v.check_ndim, (np.zeros(3), "t", (0, 2)), {}, ValueError,
     "t must be a scalar or 2-D"),
    (v.check_ndim, (np.zeros(()), "p"), {"min_ndim": 1}, ValueError,
     r"p must have at least 1 dimension, got shape \(\)"),
    (v.check_ndim, (np.zeros(3), "p"), {"min_ndim": 2}, ValueError,
     r"p must have at least 2 dimensions, got shape \(3,\)"),
    (v.check_ndim, (np.zeros(3), "lp", 3),
     {"expected": "have shape (T, N, C)"}, ValueError,
     r"lp must have shape \(T, N, C\), got shape \(3,\)"),
    (v.check_none, (-100, "ignore_index"), {"when": "for probabilities"},
     ValueError, "ignore_index must be None for probabilities, got -100"),
    (v.check_nonempty, ({}, "components"), {}, ValueError,
     r"components must not be empty, got \{\}"),
    (v.check_nonnegative, (-1, "delta"), {}, ValueError,
     "delta must be >= 0.0, got -1.0"),
    (v.check_nonnegative, ("1", "delta"), {}, TypeError,
     "delta must be a real number, got str"),
    (v.check_not_equal, (np.array([1, 0]), "targets", 0, "the blank 0"),
     {}, ValueError, "targets must not contain the blank 0"),
    (v.check_not_equal, (np.int64(-3), "axis", (0, -3)), {}, ValueError,
     "axis must not be 0 or -3, got axis=-3"),
    (v.check_positive_total, (np.zeros(2), "mask"), {}, ValueError,
     r"the sum of mask must be > 0\.0, got 0\.0"),
    (v.check_positive_total, (np.zeros(2), "y_true labels"),
     {"what": "the number"}, ValueError,
     "the number of y_true labels must be > 0"),
    (v.check_probabilities, (np.array([-0.5, 1.5]), "p"), {}, ValueError,
     r"p must hold probabilities in \[0, 1\], got values in \[-0.5, 1.5\]"),
    (v.check_reduction, ("avg",), {}, ValueError,
     r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"),
    (v.check_reduction, (None,), {}, ValueError,
     "reduction must be one of .*, got None"),
    (v.check_rows_sum_to_one, (np.array([[0.2, 0.4]]), "y_prob", 1, 1e-6),
     {}, ValueError,
     r"y_prob must sum to 1 along axis 1 \(\|row sum - 1\| <= 1e-06\), "
     r"got \|row sum - 1\| up to 0\.4"),
    (v.check_rows_sum_to_one, (np.array([[0.5, 0.5]]), "y_prob", 0, 1e-6),
     {}, ValueError, "y_prob must sum to 1 along axis 0"),
    (v.check_same_keys, ({"a": 1}, "weights", ["b"], "components"), {},
     ValueError,
     r"weights must have the same keys as components; missing \['b'\], "
     r"unexpected \['a'\]"),
    (v.check_same_length, ([], "arrays"), {}, TypeError,
     "arrays must hold at least one array, got none"),
    (v.check_same_length, ([np.zeros(3), np.zeros(2)], "arrays"), {},
     ValueError,
     r"arrays must share a first dimension of at least 1, got lengths "
     r"\[\(3,\), \(2,\)\]"),
    (v.check_same_length, ([np.zeros(1)], "arrays"), {"min_length": 2},
     ValueError, "arrays must share a first dimension of at least 2"),
    (v.check_same_length, ([np.zeros(())], "arrays"), {}, ValueError,
     "arrays must share a first dimension"),
    (v.check_class_axis, (np.zeros(()), "logits", -1), {}, ValueError,
     r"logits must have a class axis \(at least 1 dimension\), got a "
     "scalar"),
    (v.check_arguments, (lambda a, *, b=1: a, "mse", (1,), {"c": 2}), {},
     TypeError, "mse\\(\\) got an unexpected keyword argument 'c'"),
    (v.check_integer, (10**30, "n"), {}, ValueError,
     "n must fit in a 64-bit integer, got an integer of 100 bits"),
    (v.check_scalar, (10**400, "eps"), {}, ValueError,
     "eps must be finite, got an integer of 1329 bits"),
    (v.as_float_array, (np.array([1, 2], "m8[s]"), "x"), {}, TypeError,
     "x must be a numeric array-like, got an array of dtype timedelta64"),
    (v.as_float_array, (np.array([1, 2], "M8[s]"), "x"), {}, TypeError,
     "x must be a numeric array-like, got an array of dtype datetime64"),
    (v.check_broadcastable, (np.ones(3), "w", (2, 4), "z"), {},
     ValueError, r"w must broadcast to the shape of z \(2, 4\), got shape "
     r"\(3,\)"),
    (v.check_broadcastable, (np.ones((2, 2)), "w", (2,), "z"), {},
     ValueError, "w must broadcast"),
    (v.check_same_shape, (np.zeros(2), "a", np.zeros(3), "b"), {},
     ValueError,
     r"a and b must have the same shape, got a.shape=\(2,\) and "
     r"b.shape=\(3,\)"),
    (v.check_scalar, (np.nan, "g"), {}, ValueError,
     "g must be finite, got nan"),
    (v.check_scalar, (1.5, "x"), {"max_val": 1}, ValueError,
     "x must be <= 1, got 1.5"),
    (v.check_scalar, (0, "lr"), {"min_val": 0, "include_min": False},
     ValueError, "lr must be > 0, got 0.0"),
    (v.check_scalar, (1, "x"), {"max_val": 1, "include_max": False},
     ValueError, "x must be < 1, got 1.0"),
    (v.check_scalar, (True, "g"), {}, TypeError,
     "g must be a real number, got bool"),
    (v.check_scalar, ([1.0], "g"), {}, TypeError,
     "g must be a real number, got list"),
    (v.check_sequence, (3, "r"), {"length": 2, "expected": "a pair"},
     TypeError, "r must be a pair, got 3"),
    (v.check_sequence, ([1, 2, 3], "r"), {"length": 2}, TypeError,
     r"r must be a list or tuple of 2 items, got \[1, 2, 3\]"),
    (v.check_sequence, ("ab", "r"), {}, TypeError,
     "r must be a list or tuple, got 'ab'"),
    (v.check_shape, (ZEROS_23, "w", (3,), "one weight per class"), {},
     ValueError,
     r"w must have shape \(3,\), one weight per class, got shape \(2, 3\)"),
    (v.check_shape, (np.zeros(2), "a", [(), (3,)]), {}, ValueError,
     r"a must have shape \(\) or \(3,\), got shape \(2,\)"),
    (v.check_shape, (np.zeros((1, 7)), "t", (2, "S")), {}, ValueError,
     r"t must have shape \(2, S\), got shape \(1, 7\)"),
    (v.check_shape, (np.zeros((4, 2)), "t", (2, ...)), {}, ValueError,
     r"t must have shape \(2, \.\.\.\), got shape \(4, 2\)"),
    (v.check_shape, (np.zeros(()), "b", (..., 4)), {}, ValueError,
     r"b must have shape \(\.\.\., 4\), got shape \(\)"),
    (v.check_state, (False, "RunningMean needs an update first"), {},
     ValueError, "RunningMean needs an update first"),
    (v.check_values_in, (np.array([1.0, 0.0]), "y_true", (-1.0, 1.0),
                         "use 2 * y - 1"), {}, ValueError,
     r"y_true must hold only the values \{-1, 1\}, got 0; use 2 \* y - 1"),
]


def _assert_same(actual, expected):
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray)
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    else:
        assert type(actual) is type(expected)
        assert actual == expected


def _snapshot(args):
    return copy.deepcopy(args)


def _assert_unmodified(args, before):
    for arg, old in zip(args, before, strict=True):
        if isinstance(arg, np.ndarray):
            np.testing.assert_array_equal(arg, old)
        elif isinstance(arg, (list, tuple, dict)):
            assert repr(arg) == repr(old)


def _case_id(case):
    return case[0].__name__


@pytest.mark.parametrize(("checker", "args", "kwargs", "expected"), GOOD,
                         ids=[_case_id(c) for c in GOOD])
def test_good_input_passes(checker, args, kwargs, expected):
    before = _snapshot(args)
    _assert_same(checker(*args, **kwargs), expected)
    _assert_unmodified(args, before)


@pytest.mark.parametrize(("checker", "args", "kwargs", "error", "match"),
                         BAD, ids=[_case_id(c) for c in BAD])
def test_bad_input_raises(checker, args, kwargs, error, match):
    before = _snapshot(args)
    with pytest.raises(error, match=match) as info:
        checker(*args, **kwargs)
    # a ValueError is never a TypeError in disguise, nor the other way
    assert type(info.value) is error
    _assert_unmodified(args, before)


def test_every_checker_is_tested():
    checkers = {
        name for name in v.__all__
        if name.startswith(("as_", "check_"))
    }
    good = {case[0].__name__ for case in GOOD}
    bad = {case[0].__name__ for case in BAD}
    assert checkers - good == set()
    assert checkers - bad == set()


# ---------------------------------------------------------------------------
# the house rule: only lossbook/_validation.py raises on bad input
# ---------------------------------------------------------------------------

PACKAGE = Path(lossbook.__file__).parent
REFUSED = {"ValueError", "TypeError"}
ALLOWED = {
    # being written by other people while this rule was put in place; they
    # are to move their checks into _validation.py, then leave this list
    "alignments.py",
    "anchors.py",
    "custom.py",
    "pixels.py",
    "symbolic/custom.py",
    # outside the change that introduced this test (the SymPy layer's own
    # argument errors, in files it did not touch); same fate
    "symbolic/_core.py",
    "symbolic/focal.py",
}


def _raised_name(node: ast.Raise) -> str | None:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return exc.id if isinstance(exc, ast.Name) else None


def _local_raises() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "_validation.py" or rel in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        found += [
            f"lossbook/{rel}:{node.lineno} raises {_raised_name(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Raise) and node.exc is not None
            and _raised_name(node) in REFUSED
        ]
    return found


def test_only_the_validation_layer_raises():
    assert _local_raises() == [], (
        "add a checker to lossbook/_validation.py and call it instead"
    )


def test_the_scan_sees_a_raise():
    # the scan must not pass because it looks at nothing
    source = "def f(x):\n    if x:\n        raise ValueError('x')\n"
    raises = [n for n in ast.walk(ast.parse(source))
              if isinstance(n, ast.Raise)]
    assert [_raised_name(n) for n in raises] == ["ValueError"]
    assert len(list(PACKAGE.rglob("*.py"))) > 10
