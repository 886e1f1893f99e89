"""The compiled twins of the busiest kernels (lossbook._fused, Numba): the
NumPy kernels' values bit for bit, the same errors, and the NumPy kernels
wherever a twin is not built for the input or cannot be loaded."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import lossbook as lb
from lossbook import _blocks, regression

# above COMPILED_FROM, with a short last block
N = _blocks.COMPILED_FROM + 3 * _blocks.BLOCK + 77

# pairs (y, p) placed at the start of the inputs: signed zeros, tiny and
# huge values, both sides of every switch (huber's delta, smooth L1's
# beta, log-cosh's |d| = 2, exp underflow and overflow)
EDGES = [
    (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (0.0, 1.0), (0.0, -1.0),
    (0.0, 2.0), (0.0, -2.0), (0.0, np.nextafter(2.0, 0.0)),
    (0.0, np.nextafter(2.0, 3.0)), (0.0, 0.37), (0.0, 1 / 9),
    (0.0, 0.5), (0.0, 5e-324), (0.0, 1e-300), (0.0, 1e-45), (0.0, 1e-39),
    (0.0, 3e38), (-3e38, 3e38), (3e38, -3e38), (0.0, np.inf),
    (0.0, 80.0), (0.0, -80.0), (0.0, 700.0), (0.0, -700.0), (0.0, 1e4),
    (1.0, 1.0 + 2**-23), (1.0, 1.0 + 2**-52), (1e8, 1e8 + 1.0),
]


def _pairs(dtype):
    rng = np.random.default_rng(11)
    scale = rng.choice([1e-6, 1e-2, 1.0, 3.0, 1e3], N)
    y = rng.normal(size=N) * scale
    p = y + rng.normal(size=N) * rng.choice([0.0, 1e-7, 0.3, 1.0, 5.0], N)
    with np.errstate(over="ignore"):
        y, p = y.astype(dtype), p.astype(dtype)
        edges = np.array(EDGES, dtype=np.float64).astype(dtype)
        # the largest finite value of the dtype
        edges[np.isinf(edges)] = np.finfo(dtype).max
    y[:len(EDGES)], p[:len(EDGES)] = edges[:, 0], edges[:, 1]
    return y, p


def _labels(dtype):
    rng = np.random.default_rng(12)
    t = rng.random(N).astype(dtype)
    t[::3] = np.round(t[::3])
    return t


LOSSES = {
    "mse": lambda y, p, r: lb.mse(y, p, reduction=r),
    "mae": lambda y, p, r: lb.mae(y, p, reduction=r),
    "huber": lambda y, p, r: lb.huber(y, p, reduction=r),
    "huber_0.37": lambda y, p, r: lb.huber(y, p, delta=0.37, reduction=r),
    "smooth_l1": lambda y, p, r: lb.smooth_l1(y, p, reduction=r),
    "smooth_l1_1/9": lambda y, p, r: lb.smooth_l1(
        y, p, beta=1 / 9, reduction=r),
    "smooth_l1_0": lambda y, p, r: lb.smooth_l1(y, p, beta=0.0, reduction=r),
    "log_cosh": lambda y, p, r: lb.log_cosh(y, p, reduction=r),
    "bce_logits": lambda y, p, r: lb.binary_cross_entropy_with_logits(
        _labels(p.dtype), p, reduction=r),
    "sigmoid_focal": lambda y, p, r: lb.sigmoid_focal_loss(
        _labels(p.dtype), p, reduction=r),
    "sigmoid_focal_no_alpha": lambda y, p, r: lb.sigmoid_focal_loss(
        _labels(p.dtype), p, alpha=None, reduction=r),
    "sigmoid_focal_1.5": lambda y, p, r: lb.sigmoid_focal_loss(
        _labels(p.dtype), p, alpha=0.3, gamma=1.5, reduction=r),
    "sigmoid_focal_0": lambda y, p, r: lb.sigmoid_focal_loss(
        _labels(p.dtype), p, gamma=0.0, reduction=r),
}


def _both(monkeypatch, call):
    """``call()`` with the NumPy kernels, then with the twins."""
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, "0")
    with np.errstate(over="ignore"):
        plain = np.asarray(call())
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, "1")
    with np.errstate(over="ignore"):
        twin = np.asarray(call())
    return plain, twin


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_twin_gives_the_same_bits(monkeypatch, name, dtype, reduction):
    y, p = _pairs(dtype)
    plain, twin = _both(monkeypatch, lambda: LOSSES[name](y, p, reduction))
    assert plain.dtype == twin.dtype
    assert plain.shape == twin.shape
    assert plain.tobytes() == twin.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_twin_gives_the_same_bits_on_one_thread(monkeypatch, name, dtype):
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "1")
    y, p = _pairs(dtype)
    plain, twin = _both(monkeypatch, lambda: LOSSES[name](y, p, "none"))
    assert plain.tobytes() == twin.tobytes()


TWINS = [
    (regression._mse_kernel, ("residual", "mse")),
    (regression._mae_kernel, ("residual", "mae")),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_inputs_get_the_twin(monkeypatch, dtype):
    monkeypatch.delenv(_blocks.COMPILED_VARIABLE, raising=False)
    y, p = _pairs(dtype)
    for kernel, twin in TWINS:
        assert _blocks.fused(kernel, (y, p), dtype, *twin) is not kernel


def test_the_twin_is_the_one_that_runs(monkeypatch):
    # a twin that writes a marker: the loss must return the marker's sum
    monkeypatch.delenv(_blocks.COMPILED_VARIABLE, raising=False)
    from lossbook import _fused

    def marker(dtype, name, width=0.0):
        def kernel(out, y, p):
            out.fill(1.0)
        return kernel

    monkeypatch.setattr(_fused, "residual", marker)
    y, p = _pairs(np.float64)
    assert float(lb.mse(y, p, reduction="sum")) == N


def test_whole_blocks_are_summed_by_the_twin(monkeypatch):
    # the compiled block sums, not NumPy's sum of stored values, give the
    # sum of the whole blocks; the short last block is NumPy's
    monkeypatch.delenv(_blocks.COMPILED_VARIABLE, raising=False)
    from lossbook import _fused

    def marker(partial, y, p, kind, width, half):
        partial[:y.size // _blocks.BLOCK] = 1.0

    monkeypatch.setattr(_fused, "_residual_sums", marker)
    rng = np.random.default_rng(14)
    y, p = rng.normal(size=(2, N))
    full = N // _blocks.BLOCK
    short = y[full * _blocks.BLOCK:], p[full * _blocks.BLOCK:]
    expected = full + float(lb.mse(*short, reduction="sum"))
    assert float(lb.mse(y, p, reduction="sum")) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["mse", "huber", "smooth_l1_1/9"])
def test_other_block_sizes_keep_numpy_sums(monkeypatch, name):
    # the compiled sums are built for blocks of 16384: with other blocks
    # the twin's values are summed by NumPy, still the same bits
    monkeypatch.setattr(_blocks, "BLOCK", 1000)
    y, p = _pairs(np.float32)
    plain, twin = _both(monkeypatch, lambda: LOSSES[name](y, p, "sum"))
    assert plain.tobytes() == twin.tobytes()


@pytest.mark.parametrize("case", ["small", "mixed", "strided", "swapped"])
def test_inputs_the_twins_are_not_built_for_keep_numpy(monkeypatch, case):
    monkeypatch.delenv(_blocks.COMPILED_VARIABLE, raising=False)
    y, p = _pairs(np.float64)
    dtype = np.dtype(np.float64)
    if case == "small":
        y, p = y[:_blocks.COMPILED_FROM - 1], p[:_blocks.COMPILED_FROM - 1]
    elif case == "mixed":
        y = y.astype(np.float32)
    elif case == "strided":
        y, p = np.repeat(y, 2)[::2], np.repeat(p, 2)[::2]
    else:
        y = y.astype(y.dtype.newbyteorder())
    kernel = regression._mse_kernel
    assert _blocks.fused(kernel, (y, p), dtype, "residual", "mse") is kernel


def test_switched_off_or_missing_keeps_numpy(monkeypatch):
    y, p = _pairs(np.float64)
    kernel = regression._mse_kernel
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, "0")
    assert _blocks.fused(kernel, (y, p), y.dtype, "residual", "mse") is kernel
    plain = lb.huber(y, p)
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, "1")
    # as when Numba cannot be imported
    monkeypatch.setattr(_blocks, "_FUSED", False)
    assert _blocks.fused(kernel, (y, p), y.dtype, "residual", "mse") is kernel
    assert lb.huber(y, p) == plain


@pytest.mark.parametrize("value", ["2", "yes", "-1", "on"])
def test_bad_compiled_setting_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, value)
    y, p = _pairs(np.float64)
    for size in (N, 10):  # small inputs never use a twin, but still check
        with pytest.raises(ValueError, match="LOSSBOOK_COMPILED must be 0"):
            lb.mse(y[:size], p[:size])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_twin_still_refuses_nan_and_inf(monkeypatch, name, reduction, bad):
    monkeypatch.setenv(_blocks.COMPILED_VARIABLE, "1")
    y, p = _pairs(np.float64)
    p = p.copy()
    p[N // 2] = bad
    with pytest.raises(ValueError, match=r"(y_pred|logits) must be finite"):
        LOSSES[name](y, p, reduction)


def test_small_calls_do_not_import_numba():
    code = (
        "import sys, numpy as np, lossbook as lb\n"
        "lb.huber(np.zeros(1000), np.ones(1000))\n"
        "lb.binary_cross_entropy_with_logits(np.ones(1000), np.ones(1000))\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
        "lb.mse(np.zeros(1 << 17), np.ones(1 << 17))\n"
        "assert 'numba' in sys.modules, 'twin not used'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- box losses --------------------------------------------------------------

# (true, predicted) pairs at the start of the box inputs: points, touching
# and disjoint boxes, signed zeros, one box inside the other, equal areas,
# and unions so small that the pair goes to the scaled frame
BOX_EDGES = [
    ([0, 0, 0, 0], [0, 0, 0, 0]), ([0, 0, 1, 1], [0, 0, 1, 1]),
    ([1, 1, 1, 1], [0, 0, 2, 2]), ([0, 0, 1, 1], [1, 1, 2, 2]),
    ([2, 2, 3, 3], [0, 0, 1, 1]), ([-0.0, -0.0, 0, 0], [0, 0, -0.0, -0.0]),
    ([0, 0, 1, 1], [0.5, 0, 1.5, 1]), ([0, 0, 2, 1], [0, 0, 1, 2]),
    ([0, 0, 1e-30, 1e-30], [0, 0, 1e-30, 1e-30]),
    ([0, 0, 1e-20, 1e-20], [5e-21, 0, 1.5e-20, 1e-20]),
    ([0, 0, 1, 1], [0, 0, 1, 1 + 2**-23]), ([3, 4, 5, 6], [3, 4, 5, 6]),
]


def _boxes(dtype, n=N // 4 + 101):
    rng = np.random.default_rng(13)
    centre = rng.normal(size=(n, 2)) * rng.choice([1e-3, 1, 100, 1e5], (n, 1))
    size = np.abs(rng.normal(size=(n, 2))) * rng.choice(
        [0, 1e-9, 1e-3, 1, 50], (n, 1))
    bt = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    bp = bt + rng.normal(size=(n, 4)) * rng.choice(
        [0, 1e-12, 1e-6, 1e-2, 1, 30], (n, 1))
    bp = np.concatenate([np.minimum(bp[:, :2], bp[:, 2:]),
                         np.maximum(bp[:, :2], bp[:, 2:])], axis=1)
    edges = np.array(BOX_EDGES, dtype=np.float64)
    bt[:len(edges)], bp[:len(edges)] = edges[:, 0], edges[:, 1]
    return bt.astype(dtype), bp.astype(dtype)


BOX_LOSSES = {"iou": lb.iou_loss, "giou": lb.giou_loss,
              "diou": lb.diou_loss}


@pytest.mark.parametrize("eps", [0.0, 1e-7])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(BOX_LOSSES))
def test_box_twin_gives_the_same_bits(monkeypatch, name, dtype, reduction,
                                      eps):
    bt, bp = _boxes(dtype)
    plain, twin = _both(monkeypatch, lambda: BOX_LOSSES[name](
        bt, bp, eps=eps, reduction=reduction))
    assert plain.tobytes() == twin.tobytes()


@pytest.mark.parametrize("name", sorted(BOX_LOSSES))
def test_box_twin_with_tiny_unions_and_batches(monkeypatch, name):
    # every tenth pair in the scaled frame, boxes in a (batch, n, 4) array
    bt, bp = _boxes(np.float64)
    bt[::10] *= 1e-160
    bp[::10] *= 1e-160
    whole = len(bt) // 4 * 4
    bt, bp = bt[:whole].reshape(4, -1, 4), bp[:whole].reshape(4, -1, 4)
    plain, twin = _both(monkeypatch, lambda: BOX_LOSSES[name](
        bt, bp, reduction="none"))
    assert twin.shape == bt.shape[:-1]
    assert plain.tobytes() == twin.tobytes()


def test_box_twin_is_the_one_that_runs(monkeypatch):
    monkeypatch.delenv(_blocks.COMPILED_VARIABLE, raising=False)
    from lossbook import _fused

    def marker(kind, t, p, eps, low, values, small, first, last):
        values[first:last] = 2.0
        small[first:last] = False

    monkeypatch.setattr(_fused, "box_terms", marker)
    bt, bp = _boxes(np.float64)
    assert float(lb.giou_loss(bt, bp, reduction="sum")) == 2 * len(bt)
