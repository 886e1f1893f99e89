"""Blocked kernels on threads: the same bits on one thread or many, the
caller's floating-point error state in every worker, no deadlock when a
kernel runs blocks itself, and a clear error for a bad thread setting."""

from __future__ import annotations

import multiprocessing
import warnings

import numpy as np
import pytest

# the element-wise inputs of the block-border tests: every regime of each
# loss, over several blocks
from test_kernels import _inputs

import lossbook as lb
from lossbook import _blocks
from lossbook._numerics import nonnegative_mask


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 1000 elements, calls of 2 blocks (float64) or 4
    (float32): a few thousand elements make many calls, so every thread
    count splits them."""
    monkeypatch.setattr(_blocks, "BLOCK", 1000)
    monkeypatch.setattr(_blocks, "CHUNK_BYTES", 2 * 1000 * 8)


CALLS = {
    "mse": lambda y, p, t, z, q, r: lb.mse(y, p, reduction=r),
    "huber": lambda y, p, t, z, q, r: lb.huber(y, p, reduction=r),
    "log_cosh": lambda y, p, t, z, q, r: lb.log_cosh(y, p, reduction=r),
    "bce": lambda y, p, t, z, q, r: lb.binary_cross_entropy(
        np.round(t), q, reduction=r),
    "bce_logits": lambda y, p, t, z, q, r:
        lb.binary_cross_entropy_with_logits(t, z, reduction=r),
    "sigmoid_focal": lambda y, p, t, z, q, r: lb.sigmoid_focal_loss(
        t, z, reduction=r),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_thread_count_changes_no_bit(name, dtype, small_blocks, monkeypatch):
    arrays = _inputs(dtype)  # 50 blocks of 1000, 25 calls or 13
    results = {}
    for count in ("1", "2", "3", "8"):
        monkeypatch.setenv(_blocks.THREADS_VARIABLE, count)
        results[count] = [np.asarray(CALLS[name](*arrays, r))
                          for r in ("none", "sum", "mean")]
    for count in ("2", "3", "8"):
        for one, many in zip(results["1"], results[count], strict=True):
            assert one.dtype == many.dtype == dtype
            np.testing.assert_array_equal(one, many)


def test_threads_do_run(small_blocks, monkeypatch):
    """With two threads, chunks of one call are computed on two threads
    (so the equality above compares two real schedules)."""
    import threading

    seen = set()

    def kernel(out, x):
        seen.add(threading.get_ident())
        np.multiply(x, 2, out=out)

    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "2")
    x = np.arange(10_000.0)
    np.testing.assert_array_equal(
        _blocks.block_values(kernel, (x,), x.dtype), 2 * x)
    assert len(seen) == 2


def test_sum_is_grouped_by_block_whatever_the_chunk(monkeypatch):
    """Changing CHUNK_BYTES (how many blocks a kernel call covers) changes no
    sum: each block is still summed alone, the block sums in order."""
    monkeypatch.setattr(_blocks, "BLOCK", 1000)
    x = np.random.default_rng(2).normal(size=12_345).astype(np.float32)

    def kernel(out, a):
        np.square(a, out=out)

    sums = []
    for chunk in (1, 3, 16):
        monkeypatch.setattr(_blocks, "CHUNK_BYTES", chunk * 1000 * 4)
        sums.append(_blocks.block_sum(kernel, (x,), x.dtype))
    by_block = np.add.reduce(np.array(
        [np.add.reduce(np.square(x[i:i + 1000]))
         for i in range(0, x.size, 1000)], np.float32))
    assert sums[0] == sums[1] == sums[2] == by_block


def test_extrema_match_min_and_max_and_see_nan(monkeypatch):
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "3")
    monkeypatch.setattr(_blocks, "EXTREMA_THREADED", 1000)
    x = np.random.default_rng(4).normal(size=50_001)
    lo, hi = _blocks.extrema(x)
    assert (lo, hi) == (x.min(), x.max())
    for where in (0, 25_000, 50_000):
        bad = x.copy()
        bad[where] = np.nan
        assert all(np.isnan(v) for v in _blocks.extrema(bad))
    # a view that is not contiguous is scanned as it is
    assert _blocks.extrema(x[::7]) == (x[::7].min(), x[::7].max())


def test_invalid_input_found_in_any_chunk(small_blocks, monkeypatch):
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "2")
    _, _, t, z, _ = _inputs(np.float64)
    z[-1] = np.inf
    with pytest.raises(ValueError, match="logits must be finite"):
        lb.binary_cross_entropy_with_logits(t, z)
    t[t.size // 2] = 1.5
    with pytest.raises(ValueError, match=r"y_true must hold probabilities"):
        lb.binary_cross_entropy_with_logits(t, np.zeros_like(t))


def test_error_state_reaches_every_worker(small_blocks, monkeypatch):
    """np.errstate is per thread (a context variable): a worker runs in a
    copy of the caller's context, so what the caller silences stays
    silent and what it makes an error is an error, on every chunk."""
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "2")
    x = np.full(9_000, 1e300)

    def kernel(out, a):
        np.multiply(a, a, out=out)  # overflows everywhere

    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        _blocks.block_values(kernel, (x,), x.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="ignore"):
            out = _blocks.block_values(kernel, (x,), x.dtype)
    assert np.isinf(out).all()


def test_kernel_running_blocks_itself_does_not_wait_forever(
        small_blocks, monkeypatch):
    """A kernel that calls a blocked function runs it on its own thread:
    waiting on the pool it is part of could never end."""
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "2")
    x = np.linspace(-30, 30, 8_000)

    def kernel(out, a):
        out[...] = lb.sigmoid(a)  # itself a blocked evaluation

    np.testing.assert_array_equal(
        _blocks.block_values(kernel, (x,), x.dtype), lb.sigmoid(x))


def _child_sum(queue):
    x = np.arange(200_000.0)
    queue.put(float(lb.mse(x, np.zeros_like(x), reduction="sum")))


def test_a_forked_child_starts_its_own_threads(monkeypatch):
    """A child forked after the pool exists has none of its threads; it
    makes a new pool instead of waiting on the parent's."""
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "2")
    x = np.arange(200_000.0)
    expected = float(lb.mse(x, np.zeros_like(x), reduction="sum"))
    assert _blocks._POOL is not None
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_sum, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=60) == expected
    finally:
        child.join(timeout=60)
    assert child.exitcode == 0


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_thread_setting_is_refused(value, monkeypatch):
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, value)
    with pytest.raises(ValueError,
                       match="LOSSBOOK_NUM_THREADS must be a positive"):
        lb.mse(np.zeros(200_000), np.ones(200_000))


def test_default_threads_are_the_usable_cores(monkeypatch):
    import os

    monkeypatch.delenv(_blocks.THREADS_VARIABLE, raising=False)
    assert _blocks.threads() == max(1, min(len(os.sched_getaffinity(0)), 8))
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "3")
    assert _blocks.threads() == 3


# ---------------------------------------------------------------------------
# selections by arithmetic: the same bits as a where()
# ---------------------------------------------------------------------------

def edges(dtype) -> np.ndarray:
    """Signed zeros, subnormals, the log-cosh switch at 2 and its
    neighbour, values where exp under- or overflows, and the largest."""
    info = np.finfo(dtype)
    below_two = np.nextafter(dtype(2), dtype(0))
    values = np.array([0.0, info.smallest_subnormal, info.tiny, 1e-8, 0.5,
                       1.0, below_two, 2.0, 30.0, 90.0, 745.0,
                       float(info.max) / 2, float(info.max)], dtype)
    return np.concatenate([values, -values])


def _in_block(kernel, *arrays):
    out = np.empty_like(arrays[0])
    state = _blocks._Scratch(arrays[0].dtype, arrays[0].size)
    _blocks._stack().append(state)
    try:
        kernel(out, *arrays)
    finally:
        _blocks._stack().pop()
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nonnegative_mask_is_one_from_minus_zero_up(dtype):
    z = edges(dtype)
    h = _in_block(lambda out, a: np.copyto(out, nonnegative_mask(a)), z)
    np.testing.assert_array_equal(h, np.where(z < 0, 0.0, 1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_equals_its_two_branch_form(dtype):
    z = np.concatenate([edges(dtype), np.linspace(-40, 40, 1001,
                                                   dtype=dtype)])
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(z))
    branches = np.where(z < 0, e / (1 + e), 1 / (1 + e))
    np.testing.assert_array_equal(lb.sigmoid(z), branches)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_equals_its_two_branch_form(dtype):
    z = np.repeat(np.concatenate(
        [edges(dtype), np.linspace(-40, 40, 101, dtype=dtype)]), 5)
    t = np.tile(np.array([0.0, 1.0, 0.3, 1e-9, 1 - 1e-7], dtype),
                z.size // 5)
    with np.errstate(over="ignore"):
        tail = np.log1p(np.exp(-np.abs(z)))
    coef = np.where(z < 0, t, 1 - t)
    np.testing.assert_array_equal(
        lb.binary_cross_entropy_with_logits(t, z, reduction="none"),
        tail + coef * np.abs(z))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_zero_coefficient_terms_are_zero(dtype):
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.0], dtype)
    p = np.array([0.0, 1.0, 0.25, 0.75, 0.5, 1.0], dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(t == 0, 0.0, -t * np.log(p))
        second = np.where(t == 1, 0.0, -(1 - t) * np.log1p(-p))
    np.testing.assert_array_equal(
        lb.binary_cross_entropy(t, p, reduction="none"),
        (first + second).astype(dtype))
    assert np.isinf(lb.binary_cross_entropy(t, p, reduction="none")[-1])


# ---------------------------------------------------------------------------
# residual losses: the finiteness test after the sum, still always made
# ---------------------------------------------------------------------------

RESIDUAL = ["mse", "mae", "huber", "smooth_l1", "log_cosh"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["y_true", "y_pred"])
@pytest.mark.parametrize("name", RESIDUAL)
def test_residual_loss_refuses_a_bad_input(name, which, bad, reduction):
    """A mean or sum is checked for finiteness only when it is not finite
    itself; a NaN or an infinity in either input, anywhere, still makes
    the call fail with the same message."""
    for where in (0, 40_000):
        y = np.zeros(50_000)
        p = np.ones(50_000)
        (y if which == "y_true" else p)[where] = bad
        with pytest.raises(ValueError, match=f"{which} must be finite"):
            getattr(lb, name)(y, p, reduction=reduction)


@pytest.mark.parametrize("name", RESIDUAL)
def test_residual_loss_equal_infinities_refused(name):
    # inf - inf is NaN: the term is NaN, the sum too, and the test runs
    y = np.array([np.inf, 0.0])
    with pytest.raises(ValueError, match="y_true must be finite"):
        getattr(lb, name)(y, y.copy())


PROBABILITY_INPUTS = [
    ("binary_cross_entropy", "y_true",
     lambda a: lb.binary_cross_entropy(a, np.full(a.shape, 0.5))),
    ("binary_cross_entropy", "y_prob",
     lambda a: lb.binary_cross_entropy(np.zeros(a.shape), a)),
    ("binary_cross_entropy_with_logits", "y_true",
     lambda a: lb.binary_cross_entropy_with_logits(a, np.zeros(a.shape))),
    ("sigmoid_focal_loss", "y_true",
     lambda a: lb.sigmoid_focal_loss(a, np.zeros(a.shape))),
]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(("name", "arg", "call"), PROBABILITY_INPUTS,
                         ids=[f"{n}-{a}" for n, a, _ in PROBABILITY_INPUTS])
def test_probability_scan_refuses_what_is_not_finite(name, arg, call, bad):
    """One min/max scan checks both the range and finiteness of a
    probability input; what is not finite gets the finiteness message."""
    a = np.full(70_000, 0.5)
    a[-3] = bad
    with pytest.raises(ValueError, match=f"{arg} must be finite"):
        call(a)
    a[-3] = 1.5
    with pytest.raises(ValueError, match=f"{arg} must hold probabilities"):
        call(a)
