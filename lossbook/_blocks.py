"""Evaluation of element-wise kernels in cache-sized blocks.

A loss written as a chain of NumPy ufuncs makes one pass over memory per
operation. Over a large array each pass streams every element from main
memory and back; over a block that fits the L2 cache the passes after the
first read from the cache, and the temporaries are a few block-sized
buffers instead of several arrays the size of the input. These helpers
cut flat inputs into such blocks, hand each block and a set of scratch
buffers to a kernel, and either keep the kernel's values or sum them.

A kernel is called as ``kernel(out, *blocks)``: it writes the values of
one block into ``out`` (a buffer of the block's length, which it may also
use as scratch) and may call :func:`scratch` for more buffers. Inputs are
1-D views; the kernels never write into them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "BLOCK", "block_sum", "block_values", "flat", "reduce_blocks", "scratch",
]

#: Elements per block: a few float64 buffers of this length fit in L2.
BLOCK = 16384

Kernel = Callable[..., None]


class _Scratch:
    """Block-sized buffers reused from one block to the next."""

    def __init__(self, dtype: np.dtype, length: int) -> None:
        self.dtype, self.length = dtype, length
        self.buffers: dict[object, np.ndarray] = {}
        self.size = length

    def get(self, key: object, dtype: np.dtype | None = None) -> np.ndarray:
        dtype = np.dtype(self.dtype if dtype is None else dtype)
        buf = self.buffers.get((key, dtype))
        if buf is None:
            buf = self.buffers[(key, dtype)] = np.empty(self.length, dtype)
        return buf[:self.size]


_CURRENT: list[_Scratch] = []


def scratch(key: object, dtype: np.dtype | None = None) -> np.ndarray:
    """A buffer of the current block's length, for the kernel running now.

    The same ``key`` returns the same memory on every block of one call,
    so a kernel allocates its temporaries once per call, not per block.
    """
    return _CURRENT[-1].get(key, dtype)


def flat(x: np.ndarray) -> np.ndarray:
    """``x`` as a 1-D array, a view when its memory allows (C order)."""
    return x.reshape(-1)


def _run(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    n: int,
    dtype: np.dtype,
    block: int,
    each: Callable[[slice, np.ndarray], None],
    out: np.ndarray | None,
) -> None:
    state = _Scratch(dtype, min(block, n))
    _CURRENT.append(state)
    try:
        for start in range(0, n, block):
            sl = slice(start, min(start + block, n))
            state.size = sl.stop - sl.start
            dest = state.get("__out__") if out is None else out[sl]
            kernel(dest, *(a[sl] for a in inputs))
            each(sl, dest)
    finally:
        _CURRENT.pop()


def block_values(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    dtype: np.dtype,
    *,
    block: int | None = None,
) -> np.ndarray:
    """The kernel's values for every element of the flat ``inputs``, as one
    new array of their length."""
    block = block or BLOCK  # read at call time, so tests can shrink it
    n = inputs[0].shape[0]
    out = np.empty(n, dtype)
    _run(kernel, inputs, n, np.dtype(dtype), block, lambda sl, v: None, out)
    return out


def block_sum(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    dtype: np.dtype,
    *,
    block: int | None = None,
) -> np.ndarray:
    """The sum of the kernel's values over the flat ``inputs``, without
    storing them: each block is summed (pairwise, as ``np.sum``) and the
    block sums are summed once more.

    The result may be ``inf`` or NaN where a partial sum overflowed;
    callers check it and fall back to :func:`lossbook._validation.reduce`
    on the full values, whose scaled sums stay finite whenever the result
    is representable.
    """
    block = block or BLOCK
    n = inputs[0].shape[0]
    nblocks = -(-n // block)
    partial = np.empty(nblocks, dtype)

    def keep(sl: slice, values: np.ndarray) -> None:
        partial[sl.start // block] = np.add.reduce(values)

    with np.errstate(over="ignore", invalid="ignore"):
        _run(kernel, inputs, n, np.dtype(dtype), block, keep, None)
        return np.add.reduce(partial)


def reduce_blocks(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    dtype: np.dtype,
    reduction: str,
    shape: tuple[int, ...],
    *,
    block: int | None = None,
) -> np.ndarray | None:
    """The kernel's values reduced as ``reduction`` asks.

    ``"none"``: the values, in ``shape``. ``"sum"`` and ``"mean"``: the
    sum of the values (over their number for the mean), computed block by
    block without storing the values; ``None`` when that sum is not
    finite, so that the caller can recompute it with the overflow-safe
    :func:`lossbook._validation.reduce` (and get ``inf`` only where the
    result is infinite).
    """
    dtype = np.dtype(dtype)
    if reduction == "none":
        return block_values(kernel, inputs, dtype, block=block).reshape(shape)
    total = block_sum(kernel, inputs, dtype, block=block)
    if not np.isfinite(total):
        return None
    if reduction == "mean":
        total = total / dtype.type(inputs[0].shape[0])
    return dtype.type(total)
