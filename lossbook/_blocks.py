"""Evaluation of element-wise kernels in cache-sized blocks, on threads.

A loss written as a chain of NumPy ufuncs makes one pass over memory per
operation. Over a large array each pass streams every element from main
memory and back; over a block that fits the cache the passes after the
first read from the cache, and the temporaries are a few block-sized
buffers instead of several arrays the size of the input. These helpers
cut flat inputs into such blocks, hand each block and a set of scratch
buffers to a kernel, and either keep the kernel's values or sum them.

A kernel is called as ``kernel(out, *blocks)``: it writes the values of
one block into ``out`` (a buffer of the block's length, which it may also
use as scratch) and may call :func:`scratch` for more buffers. Inputs are
1-D views; the kernels never write into them.

NumPy's ufuncs release the GIL while they loop, so the blocks of a large
input are shared among threads (:func:`threads`): each thread takes the
next chunk of blocks when it is free (:func:`shared`), so a thread slowed
by another program does less of the work. The blocks themselves do not
depend on the number of threads or on which thread computes them, and
block sums are added in block order, so a result is the same bit for bit
on one thread or many.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported on first use: it costs as much as the rest
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "BLOCK", "block_sum", "block_values", "constant", "extrema", "flat",
    "fused", "fused_module", "parallel", "reduce_blocks", "scratch",
    "shared", "threads",
]

#: Elements per block: the unit of summation. Each block is summed
#: pairwise and the block sums are summed in order, so a result depends
#: on this constant, never on the threads.
BLOCK = 16384

#: Bytes per buffer in one call of a kernel: a call covers as many whole
#: blocks as fit (four of float64, eight of float32). Fewer, longer ufunc
#: calls mean less Python between them, and so less waiting for the GIL
#: when threads run side by side; a kernel's dozen buffers of this size
#: per thread stay within the L3 cache. The values do not depend on it
#: (kernels are element-wise; sums are still taken block by block).
CHUNK_BYTES = 512 * 1024

#: Environment variable that sets the number of threads (1: no threads).
THREADS_VARIABLE = "LOSSBOOK_NUM_THREADS"

#: Environment variable that turns the compiled kernels off (``0``) or on
#: (``1``, the default when Numba is installed).
COMPILED_VARIABLE = "LOSSBOOK_COMPILED"

#: Inputs shorter than this use the NumPy kernels even when compiled twins
#: exist: below it the saving is small next to the first large call's cost
#: of importing Numba and loading the cached machine code (measured 0.4 s
#: once per process; 3.6 s the first time, when it is compiled and cached).
COMPILED_FROM = 1 << 16

Kernel = Callable[..., None]


def threads() -> int:
    """Threads a blocked evaluation may use: ``LOSSBOOK_NUM_THREADS`` if
    set, else the cores this process may run on (at most 8).

    Read at every call, so that a test or a notebook can change it.
    """
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        # imported here: the validation layer itself uses these blocks
        from lossbook._validation import check_count_setting

        return check_count_setting(value, THREADS_VARIABLE)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


_FUSED: object = None  # lossbook._fused once imported; False if it cannot be


def _fused_module():
    global _FUSED
    if _FUSED is None:
        try:
            from lossbook import _fused
        except ImportError:  # Numba is an optional extra
            _FUSED = False
        else:
            _FUSED = _fused
    return _FUSED or None


def compiled_allowed() -> bool:
    """Whether ``LOSSBOOK_COMPILED`` allows the compiled kernels (read at
    every call, like :func:`threads`)."""
    from lossbook._validation import check_switch_setting

    return check_switch_setting(os.environ.get(COMPILED_VARIABLE, ""),
                                COMPILED_VARIABLE)


def fused_module(
    inputs: Sequence[np.ndarray], dtype: np.dtype
) -> object | None:
    """:mod:`lossbook._fused`, if its twins are to run on ``inputs``.

    They are when Numba is importable, ``LOSSBOOK_COMPILED`` is not ``0``,
    the first input has at least :data:`COMPILED_FROM` elements, and every
    input is a C-contiguous array of ``dtype`` in native byte order (the
    compiled loops are built for that case alone; mixed dtypes keep the
    NumPy kernels).
    """
    dtype = np.dtype(dtype)
    # the setting first: a bad value is an error whatever the input
    if not compiled_allowed() or inputs[0].size < COMPILED_FROM:
        return None
    for a in inputs:
        if (a.dtype != dtype or not a.dtype.isnative
                or not a.flags.c_contiguous):
            return None
    return _fused_module()


def fused(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    dtype: np.dtype,
    twin: str,
    *args: object,
) -> Kernel:
    """``kernel``, or its compiled twin ``lossbook._fused.<twin>(dtype,
    *args)`` where :func:`fused_module` allows it.

    The twin gives the same values bit for bit (see :mod:`lossbook._fused`),
    so the choice changes only the time taken.
    """
    module = fused_module(inputs, dtype)
    if module is None:
        return kernel
    return getattr(module, twin)(np.dtype(dtype), *args)


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

    def constant(self, value: float, dtype: np.dtype | None) -> np.ndarray:
        dtype = np.dtype(self.dtype if dtype is None else dtype)
        key = ("__constant__", value, dtype)
        buf = self.buffers.get(key)
        if buf is None:
            buf = self.buffers[key] = np.full(self.length, value, dtype)
        return buf[:self.size]


# each thread has its own stack of scratch sets: the innermost is the one
# the kernel running on that thread asks for
_LOCAL = threading.local()


def _stack() -> list[_Scratch]:
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


def scratch(key: object, dtype: np.dtype | None = None) -> np.ndarray:
    """A buffer of the current block's length, for the kernel running now.

    The same ``key`` returns the same memory on every block of one call
    (on one thread), so a kernel allocates its temporaries once per call
    and thread, not per block.
    """
    return _stack()[-1].get(key, dtype)


def constant(value: float, dtype: np.dtype | None = None) -> np.ndarray:
    """A buffer of the current block's length holding ``value`` everywhere.

    For ``np.maximum(z, constant(0))`` and the like: NumPy's minimum and
    maximum against a scalar skip the vectorised loop that two arrays get
    (about three times slower). Filled once per call and thread.
    """
    return _stack()[-1].constant(value, dtype)


def flat(x: np.ndarray) -> np.ndarray:
    """``x`` as a 1-D array, a view when its memory allows (C order)."""
    return x.reshape(-1)


_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE < workers:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(workers,
                                       thread_name_prefix="lossbook")
            _POOL_SIZE = workers
        return _POOL


def _forget_pool() -> None:
    # a forked child has none of its parent's threads: start afresh
    global _POOL, _POOL_SIZE, _POOL_LOCK
    _POOL, _POOL_SIZE, _POOL_LOCK = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def parallel(count: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(first, last)`` over contiguous runs covering the indices
    ``0 .. count - 1``, one run per thread, and wait for all of them.

    The calling thread takes the first run. The runs depend only on
    ``count`` and :func:`threads`; callers make their results independent
    of the runs (each index writes its own slot). A call made from inside
    a run (a kernel that itself runs blocks) stays on its thread: a worker
    waiting on the pool it belongs to could wait forever.
    """
    busy = getattr(_LOCAL, "busy", False)
    runs = 1 if busy or count <= 1 else min(threads(), count)
    if runs <= 1:
        _busy(work, 0, count)
        return
    edges = [count * k // runs for k in range(runs + 1)]
    pool = _pool(runs - 1)
    # a copy of the caller's context carries its np.errstate to the worker
    futures = [
        pool.submit(contextvars.copy_context().run, _busy, work, edges[k],
                    edges[k + 1])
        for k in range(1, runs)
    ]
    try:
        _busy(work, edges[0], edges[1])
    finally:
        for future in futures:
            future.result()


class _Claims:
    """The indices ``0 .. count - 1`` shared among ``runs`` runs: run ``k``
    first takes index ``k``, then each next free index, whichever run asks
    first. A run slowed down (a core busy with another program) so leaves
    its share to the others instead of holding up the whole call."""

    def __init__(self, count: int, runs: int) -> None:
        self.count, self.free = count, runs
        self.lock = threading.Lock()

    def take(self, run: int) -> Iterator[int]:
        index = run
        while index < self.count:
            yield index
            with self.lock:
                index, self.free = self.free, self.free + 1


def shared(count: int, work: Callable[[Iterator[int]], None]) -> None:
    """Call ``work(indices)`` once per thread, where the iterators between
    them yield each of ``0 .. count - 1`` exactly once, in increasing
    order per thread, as each thread becomes free (:class:`_Claims`).

    Which thread computes an index must not matter: each index writes its
    own slot, so results stay the same bit for bit.
    """
    busy = getattr(_LOCAL, "busy", False)
    runs = 1 if busy or count <= 1 else min(threads(), count)
    claims = _Claims(count, runs)

    def run(first: int, last: int) -> None:
        for k in range(first, last):
            work(claims.take(k))

    parallel(runs, run)


def _busy(work: Callable[[int, int], None], first: int, last: int) -> None:
    outer = getattr(_LOCAL, "busy", False)
    _LOCAL.busy = True
    try:
        work(first, last)
    finally:
        _LOCAL.busy = outer


def _run(
    kernel: Kernel,
    inputs: Sequence[np.ndarray],
    n: int,
    dtype: np.dtype,
    block: int,
    each: Callable[[int, np.ndarray], None],
    out: np.ndarray | None,
) -> None:
    # the kernel runs on chunks of whole blocks, CHUNK_BYTES per buffer
    # (fewer Python-level calls, so less waiting for the GIL between the
    # threads' ufuncs); ``each`` gets the index of a chunk's first block
    # and the chunk's values
    nblocks = -(-n // block)
    per_call = max(1, CHUNK_BYTES // (block * dtype.itemsize))
    step = per_call * block
    chunks = -(-nblocks // per_call)

    def work(chunks_here: Iterator[int]) -> None:
        state = _Scratch(dtype, min(step, n))
        stack = _stack()
        stack.append(state)
        try:
            for chunk in chunks_here:
                start = chunk * step
                sl = slice(start, min(start + step, n))
                state.size = sl.stop - sl.start
                dest = state.get("__out__") if out is None else out[sl]
                kernel(dest, *(a[sl] for a in inputs))
                each(start // block, dest)
        finally:
            stack.pop()

    shared(chunks, work)


def _run_sums(
    sums: Callable[..., None],
    inputs: Sequence[np.ndarray],
    n: int,
    dtype: np.dtype,
    block: int,
    partial: np.ndarray,
) -> None:
    # the chunks of _run, each summed by ``sums(slots, *chunk inputs)``
    # into the slots of its blocks
    per_call = max(1, CHUNK_BYTES // (block * dtype.itemsize))
    step = per_call * block
    chunks = -(-n // step)

    def work(indices: Iterator[int]) -> None:
        for chunk in indices:
            start = chunk * step
            sl = slice(start, min(start + step, n))
            first = start // block
            sums(partial[first:first + per_call], *(a[sl] for a in inputs))

    shared(chunks, work)


#: Below this many elements a min/max scan stays on one thread: the scan
#: is faster than waking another thread.
EXTREMA_THREADED = 1 << 22


def extrema(x: np.ndarray) -> tuple[np.generic, np.generic]:
    """The smallest and largest entry of a non-empty array; NaN for both
    if any entry is NaN. A large C-contiguous array is scanned in one
    piece per thread.

    Minimum and maximum are exact in any order, so the result does not
    depend on the pieces.
    """
    runs = threads() if x.size >= EXTREMA_THREADED else 1
    if runs == 1 or not x.flags.c_contiguous:
        return np.minimum.reduce(x, axis=None), np.maximum.reduce(
            x, axis=None)
    pieces = np.array_split(x.reshape(-1), runs)
    lo = np.empty(runs, x.dtype)
    hi = np.empty(runs, x.dtype)

    def work(first: int, last: int) -> None:
        for index in range(first, last):
            lo[index] = np.minimum.reduce(pieces[index])
            hi[index] = np.maximum.reduce(pieces[index])

    parallel(runs, work)
    return np.minimum.reduce(lo), np.maximum.reduce(hi)


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
    _run(kernel, inputs, n, np.dtype(dtype), block, lambda i, v: None, out)
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
    block sums are summed once more, in block order.

    The result may be ``inf`` or NaN where a partial sum overflowed;
    callers check it and fall back to :func:`lossbook._validation.reduce`
    on the full values, whose scaled sums stay finite whenever the result
    is representable.
    """
    block = block or BLOCK
    n = inputs[0].shape[0]
    nblocks = -(-n // block)
    partial = np.empty(nblocks, dtype)
    sums = getattr(kernel, "block_sums", None)
    if sums is not None and getattr(kernel, "block", None) == block:
        # a compiled twin that sums its blocks itself, the same way
        _run_sums(sums, inputs, n, np.dtype(dtype), block, partial)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.add.reduce(partial)

    def keep(index: int, values: np.ndarray) -> None:
        # each row of the (blocks, BLOCK) view is summed pairwise along
        # its contiguous axis, exactly as np.add.reduce sums one block
        full = values.size // block
        if full:
            np.add.reduce(values[:full * block].reshape(full, block), axis=1,
                          out=partial[index:index + full])
        if values.size > full * block:
            partial[index + full] = np.add.reduce(values[full * block:])

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
