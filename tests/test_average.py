"""Tests for lossbook.average: average_loss and RunningMean."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossbook.average import RunningMean, average_loss

# ----------------------------------------------------------------------------
# average_loss
# ----------------------------------------------------------------------------


def test_average_loss_plain_sum_by_hand():
    # torchvision's sum(loss_dict.values()): 0.5 + 0.25 + 0.75
    assert average_loss({"cls": 0.5, "box": 0.25, "mask": 0.75}) == 1.5
    assert average_loss([0.5, 0.25, 0.75]) == 1.5


def test_average_loss_weighted_by_hand():
    # 1 * 0.5 + 3 * 0.25
    assert average_loss({"cls": 0.5, "box": 0.25},
                        {"box": 3, "cls": 1}) == 1.25
    assert average_loss([0.5, 0.25], [1, 3]) == 1.25


def test_average_loss_zero_weight_drops_a_component():
    assert average_loss([1.0, 100.0], [2.0, 0.0]) == 2.0
    assert average_loss([1.0, 100.0], [0.0, 0.0]) == 0.0


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8))
def test_average_loss_is_torchvision_sum(values):
    # torchvision's detection engine trains on sum(loss_dict.values())
    components = {f"loss_{i}": v for i, v in enumerate(values)}
    assert math.isclose(average_loss(components), math.fsum(values),
                        rel_tol=1e-12, abs_tol=1e-6)


@given(values=st.lists(st.floats(0, 10), min_size=2, max_size=6),
       scale=st.floats(0.01, 100))
def test_average_loss_linear_in_the_weights(values, scale):
    weights = np.arange(1, len(values) + 1, dtype=float)
    a = average_loss(values, weights)
    b = average_loss(values, weights * scale)
    assert math.isclose(b, a * scale, rel_tol=1e-12, abs_tol=1e-12)
    terms = [w * v for w, v in zip(weights, values, strict=True)]
    assert math.isclose(a, math.fsum(terms), rel_tol=1e-12, abs_tol=1e-12)


def test_average_loss_unit_weights_are_the_plain_sum():
    values = [0.1, 0.7, 2.5]
    assert average_loss(values, [1, 1, 1]) == average_loss(values)


def test_average_loss_near_the_float_range():
    # the exact totals are representable; a naive sum overflows to inf or
    # forms inf - inf = nan
    big = np.finfo(np.float64).max / 2
    assert average_loss([big, big, -big]) == big
    assert average_loss([1e308, -1e308], [1e308, 1e308]) == 0.0
    assert average_loss([1e308, 1e-300], [1e-10, 1e300]) == pytest.approx(
        1e298 + 1e0)
    f32 = np.array([3e38, 3e38, -3e38], np.float32)
    assert average_loss(f32) == np.float32(3e38)
    # a total beyond the range is inf, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert average_loss([1e308, 1e308]) == np.inf


def test_average_loss_accepts_lossbook_scalars():
    # lossbook losses return NumPy scalars or 0-d arrays
    values = {"a": np.float64(1.0), "b": np.array(3.0)}
    assert average_loss(values) == 4.0


def test_average_loss_dtype():
    f32 = [np.float32(1.0), np.float32(2.0)]
    assert average_loss(f32).dtype == np.float32
    assert average_loss(f32, np.ones(2, np.float32)).dtype == np.float32
    assert average_loss([1, 2]).dtype == np.float64
    assert average_loss(f32, [1.0, 1.0]).dtype == np.float64


def test_average_loss_does_not_modify_inputs():
    values, weights = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    components = {"a": 1.0, "b": 2.0}
    average_loss(values, weights)
    average_loss(components, {"a": 1.0, "b": 2.0})
    np.testing.assert_array_equal(values, [1.0, 2.0])
    np.testing.assert_array_equal(weights, [1.0, 3.0])
    assert components == {"a": 1.0, "b": 2.0}


AVERAGE_BAD = [
    (({},), ValueError, "components"),
    (([],), ValueError, "components"),
    (({"a": [1.0, 2.0]},), ValueError, r"components\['a'\]"),
    (({"a": float("nan")},), ValueError, r"components\['a'\]"),
    (([1.0, float("inf")],), ValueError, "components"),
    (([[1.0, 2.0]],), ValueError, "components"),
    (({"a": "x"},), TypeError, r"components\['a'\]"),
    ((["a", "b"],), TypeError, "components"),
    (("ab",), TypeError, "components"),
    ((3.0,), TypeError, "components"),
    (({"a": 1.0}, {"b": 1.0}), ValueError, "weights"),
    (({"a": 1.0}, {"a": 1.0, "b": 1.0}), ValueError, "weights"),
    (({"a": 1.0}, [1.0]), TypeError, "weights"),
    (([1.0], {"a": 1.0}), TypeError, "weights"),
    (([1.0, 2.0], [1.0]), ValueError, "weights"),
    (([1.0, 2.0], [1.0, -1.0]), ValueError, "weights"),
    (([1.0, 2.0], [1.0, float("nan")]), ValueError, "weights"),
    (([1.0, 2.0], ["a", "b"]), TypeError, "weights"),
]


@pytest.mark.parametrize("args, error, match", AVERAGE_BAD)
def test_average_loss_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        average_loss(*args)


# ----------------------------------------------------------------------------
# RunningMean
# ----------------------------------------------------------------------------


def test_running_mean_by_hand():
    meter = RunningMean()
    meter.update(1.0, n=3)
    meter.update(3.0, n=1)
    # (3 * 1.0 + 1 * 3.0) / 4 = 1.5, while the mean of batch means is 2.0
    assert meter.value == 1.5
    assert meter.count == 4


@given(sizes=st.lists(st.integers(1, 64), min_size=1, max_size=12),
       seed=st.integers(0, 2**32 - 1))
def test_running_mean_is_global_mean(sizes, seed):
    rng = np.random.default_rng(seed)
    per_sample = [rng.exponential(size=k) for k in sizes]
    meter = RunningMean()
    for batch in per_sample:
        meter.update(batch.mean(), n=batch.size)
    everything = np.concatenate(per_sample)
    assert math.isclose(meter.value, everything.mean(), rel_tol=1e-12)
    assert meter.count == everything.size


def test_running_mean_differs_from_mean_of_batch_means():
    # a full batch and a short last batch: the classic epoch-loss mistake
    rng = np.random.default_rng(0)
    batches = [rng.exponential(size=32), rng.exponential(size=32) + 5,
               rng.exponential(size=3)]
    meter = RunningMean()
    for batch in batches:
        meter.update(batch.mean(), n=batch.size)
    global_mean = np.concatenate(batches).mean()
    mean_of_means = np.mean([b.mean() for b in batches])
    assert math.isclose(meter.value, global_mean, rel_tol=1e-12)
    assert not math.isclose(meter.value, mean_of_means, rel_tol=1e-3)


def test_running_mean_compensated_sum():
    # 0.7 added 100000 times drifts in naive float summation; the
    # compensated sum keeps the mean at 0.1 to the last ulp or two
    meter = RunningMean()
    for _ in range(10**5):
        meter.update(0.1, n=7)
    assert abs(meter.value - 0.1) <= 2 * np.spacing(0.1)


def test_running_mean_near_the_float_range():
    # n * value overflows in float64; the exact mean is representable
    meter = RunningMean()
    meter.update(1e308, n=10)
    meter.update(-1e308, n=5)
    assert meter.value == pytest.approx(1e308 / 3, rel=1e-15)
    meter.update(np.finfo(np.float64).max, n=10**18)
    assert np.isfinite(meter.value)


def test_running_mean_reset_and_empty():
    meter = RunningMean()
    assert meter.count == 0
    assert repr(meter) == "RunningMean(count=0)"
    with pytest.raises(ValueError, match="update"):
        _ = meter.value
    meter.update(2.0, n=2)
    assert repr(meter) == "RunningMean(value=2.0, count=2)"
    meter.reset()
    assert meter.count == 0
    with pytest.raises(ValueError, match="update"):
        _ = meter.value


def test_running_mean_accepts_lossbook_scalars():
    meter = RunningMean()
    meter.update(np.array(2.0), n=np.int64(2))
    meter.update(np.float32(4.0))
    assert math.isclose(meter.value, 8 / 3, rel_tol=1e-15)
    assert isinstance(meter.value, np.float64)


RUNNING_BAD = [
    ((float("nan"),), ValueError, "value"),
    ((float("inf"),), ValueError, "value"),
    (([1.0, 2.0],), ValueError, "value"),
    (("a",), TypeError, "value"),
    ((None,), TypeError, "value"),
    ((1.0, 0), ValueError, "n"),
    ((1.0, -2), ValueError, "n"),
    ((1.0, 2.5), TypeError, "n"),
    ((1.0, True), TypeError, "n"),
]


@pytest.mark.parametrize("args, error, match", RUNNING_BAD)
def test_running_mean_bad_input(args, error, match):
    meter = RunningMean()
    meter.update(1.0, n=2)
    with pytest.raises(error, match=match):
        meter.update(*args)
    # a rejected update leaves the meter as it was
    assert meter.value == 1.0 and meter.count == 2
