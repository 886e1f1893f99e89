"""Stable building blocks shared by the loss families.

Each rewrite names the identity it relies on, so a reader can check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from lossbook import _blocks
from lossbook._blocks import block_values, constant, flat, scratch

__all__ = [
    "exp_diff",
    "for_row_blocks",
    "log1p_exp_neg_abs",
    "log_partition",
    "log_sigmoid",
    "max_abs_exponent",
    "neg_log_softmax",
    "nonnegative_mask",
    "pow2_scale",
    "row_blocks",
    "scaled_sum",
    "sigmoid",
    "sigmoid_into",
    "softmax",
    "two_diff",
    "two_diff_finite",
]


def two_diff(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``hi, lo`` with ``hi = fl(a - b)`` and ``hi + lo == a - b`` exactly.

    Knuth's TwoSum applied to ``a + (-b)``: the rounding error of a
    floating-point subtraction is itself a floating-point number, and
    these four operations recover it. Where ``hi`` overflows, ``lo`` is 0.

    >>> hi, lo = two_diff(np.array([1.0]), np.array([1e-17]))
    >>> float(hi[0]), float(lo[0])
    (1.0, -1e-17)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        hi = a - b
        back = hi - a
        lo = (a - (hi - back)) - (b + back)
        return hi, np.where(np.isfinite(hi), lo, 0.0)


def exp_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp(a - b)`` to about an ulp, although ``a - b`` itself rounds.

    ``exp`` turns the absolute rounding error of ``a - b`` into a relative
    error of the same size, ``|a - b|`` ulps (15 ulp for a softmax
    probability of e^-30). With ``a - b = hi + lo`` exactly (:func:`two_diff`),
    ``exp(hi + lo) = exp(hi) (1 + lo)`` to first order, and ``|lo|`` is at
    most half an ulp of ``hi``, so the second-order term is negligible.
    """
    hi, lo = two_diff(a, b)
    with np.errstate(over="ignore"):
        e = np.exp(hi)
        return e + e * lo


def max_abs_exponent(x: np.ndarray) -> int:
    """:func:`pow2_scale` of ``x`` from its largest and smallest entries,
    without the temporary array of ``|x|``."""
    if not x.size:
        return 0
    lo, hi = _blocks.extrema(x)
    top = max(abs(float(hi)), abs(float(lo)))
    return int(np.frexp(top)[1]) if top > 0 else 0


def row_blocks(rows: int, classes: int):
    """Slices of whole rows, one float64 buffer of
    :data:`lossbook._blocks.CHUNK_BYTES` each (one row at least), so that
    a block and its temporaries stay in the cache. No row's value depends
    on where the blocks fall: every reduction is along a row."""
    step = max(1, _blocks.CHUNK_BYTES // 8 // max(classes, 1))
    for start in range(0, rows, step):
        yield slice(start, min(start + step, rows))


def for_row_blocks(
    rows: int, classes: int, body: Callable[[slice], None]
) -> None:
    """``body(sl)`` for every slice of :func:`row_blocks`, the blocks
    shared among threads (:func:`lossbook._blocks.shared`); each call
    must write only its own rows."""
    blocks = list(row_blocks(rows, classes))

    def work(indices: Iterator[int]) -> None:
        for index in indices:
            body(blocks[index])

    _blocks.shared(len(blocks), work)


class LogPartition:
    """The pieces of ``-log softmax`` for one block of rows ``(R, C)``.

    ``-log p_c = (lse - lo_c) - hi_c`` with ``hi + lo = z - m`` exactly
    (float64) or ``lo = None`` and ``hi = z - m`` in float64 (float32
    logits, whose difference float64 holds to far below their ulp);
    ``top`` is each row's argmax. With ``halve``, every piece is half its
    value (see :func:`neg_log_softmax`).
    """

    __slots__ = ("hi", "lo", "lse", "top")

    def __init__(self, hi, lo, lse, top) -> None:
        self.hi, self.lo, self.lse, self.top = hi, lo, lse, top

    def at(self, index: np.ndarray) -> np.ndarray:
        """``-log p`` at one column per row (``index`` of shape (R,))."""
        col = index[:, np.newaxis]
        hi = np.take_along_axis(self.hi, col, axis=-1)[:, 0]
        if self.lo is None:
            return self.lse[:, 0] - hi
        lo = np.take_along_axis(self.lo, col, axis=-1)[:, 0]
        return (self.lse[:, 0] - lo) - hi

    def full(self) -> np.ndarray:
        """``-log p`` at every entry of the block, shape (R, C)."""
        if self.lo is None:
            return self.lse - self.hi
        return (self.lse - self.lo) - self.hi


def log_partition(
    z: np.ndarray, *, halve: bool = False, finite: bool = False,
    wide: bool = True,
) -> LogPartition:
    """:class:`LogPartition` of a block of logits ``z`` of shape (R, C).

    ``finite=True`` promises that no ``z - m`` overflows (every logit
    below a quarter of the float range), which spares the test for it.
    ``wide=True`` computes float32 logits in float64, where the
    difference ``z - m`` needs no second float.
    """
    rows = np.arange(z.shape[0])
    top = np.argmax(z, axis=-1)
    if wide and z.dtype == np.float32:
        m = z[rows, top][:, np.newaxis].astype(np.float64)
        # cast on the fly: float32 to float64 is exact, and one pass
        # instead of a copy and a pass
        hi = np.subtract(z, m, dtype=np.float64)
        terms = np.exp(hi)
        terms[rows, top] = 0.0
        lse = np.log1p(np.add.reduce(terms, axis=-1, keepdims=True))
        if halve:
            hi *= 0.5
            lse *= 0.5
        return LogPartition(hi, None, lse, top)
    m = z[rows, top][:, np.newaxis]
    if halve:
        z, m = z * 0.5, m * 0.5
    if finite or halve:
        hi, lo = two_diff_finite(z, m)
    else:
        hi, lo = two_diff(z, m)
    with np.errstate(over="ignore"):
        # exp(2 hi) of a hi below -max/2 is the exact 0
        hi2, lo2 = (hi * 2, lo * 2) if halve else (hi, lo)
        # exp(hi + lo) = exp(hi) (1 + lo) to first order, as in exp_diff
        terms = np.exp(hi2)
        terms *= np.add(lo2, 1, out=lo2 if halve else None)
    terms[rows, top] = 0.0
    lse = np.log1p(np.add.reduce(terms, axis=-1, keepdims=True))
    if halve:
        lse = lse * 0.5
    return LogPartition(hi, lo, lse, top)


def two_diff_finite(
    a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`two_diff` where ``a - b`` cannot overflow, in three buffers."""
    hi = np.subtract(a, b)
    back = np.subtract(hi, a)
    lo = np.subtract(hi, back)
    np.subtract(a, lo, out=lo)
    np.add(back, b, out=back)
    lo -= back
    return hi, lo


def neg_log_softmax(z: np.ndarray, *, halve: bool = False) -> np.ndarray:
    r"""``-log softmax(z)`` over the last axis, accurate even when tiny.

    With :math:`m = z_{k^*}` the largest logit,
    :math:`-\log p_k = (m - z_k) + \operatorname{log1p}\sum_{c \ne k^*}
    e^{z_c - m}`. Two details keep the relative error at a few ulp where
    the plain ``log(sum(exp(z - m)))`` loses everything: the max's own term
    (exactly 1) is taken out so that ``log1p`` sees the small remainder,
    and each ``z_c - m`` is carried as ``hi + lo`` because ``exp`` turns an
    absolute rounding error in its argument into a relative one as large
    as that argument.

    ``halve=True`` returns half the value, computed from ``z / 2`` (an
    exact scaling) so that ``m - z_k`` cannot overflow for logits beyond
    half the float range: the frame in which a mean of losses near the
    range limit is still representable.

    Evaluated in blocks of rows (:func:`row_blocks`); float32 logits keep
    float32 arithmetic here (callers that want the float64 form use
    :func:`log_partition` with ``wide=True``).
    """
    classes = z.shape[-1]
    flat_z = z.reshape(-1, classes)
    out = np.empty(flat_z.shape, z.dtype)
    finite = max_abs_exponent(z) < np.finfo(z.dtype).maxexp - 2
    for sl in row_blocks(flat_z.shape[0], classes):
        part = log_partition(flat_z[sl], halve=halve, finite=finite,
                             wide=False)
        out[sl] = part.full()
    return out.reshape(z.shape)


def softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    """``softmax(z)`` along ``axis``, shifted by the maximum logit."""
    # a difference below -max overflows to -inf, whose exp is the exact 0
    with np.errstate(over="ignore"):
        shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def log1p_exp_neg_abs(out: np.ndarray, z: np.ndarray, az: np.ndarray) -> None:
    """``out = log(1 + exp(-|z|))`` and ``az = |z|``, for flat blocks.

    The shared tail of every softplus: ``softplus(x) = max(x, 0) +
    log1p(exp(-|x|))``, where ``exp`` never exceeds 1 and ``log1p`` keeps
    the tiny values of a large ``|x|``.
    """
    np.abs(z, out=az)
    np.negative(az, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)


def _log_sigmoid_kernel(out: np.ndarray, z: np.ndarray) -> None:
    # log sigma(z) = -softplus(-z) = -(max(-z, 0) + log1p(exp(-|z|)))
    az = scratch("az")
    log1p_exp_neg_abs(out, z, az)
    np.minimum(z, constant(0), out=az)
    np.subtract(az, out, out=out)


def nonnegative_mask(z: np.ndarray) -> np.ndarray:
    """A scratch buffer holding 1.0 where ``z >= 0`` (-0.0 included) and
    0.0 below, for exact selections by arithmetic.

    Multiplying by 1 or 0 and adding 0 are exact, and so are ``max(x, 1)``
    and ``max(x, 0)`` for x in [0, 1]: with this mask a kernel picks one
    of two finite values per element at the cost of a few vectorised
    passes, where a masked ``copyto`` or ``where`` on a random mask costs
    ten to thirty times as much.
    """
    mask = scratch("nonneg_mask", np.bool_)
    np.greater_equal(z, constant(0), out=mask)
    h = scratch("nonneg")
    np.copyto(h, mask)
    return h


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -log(1 + exp(-z)) = min(z, 0) - log1p(exp(-|z|))``.

    Both terms are <= 0, so their sum loses nothing.
    """
    z = np.asarray(z)
    return block_values(_log_sigmoid_kernel, (flat(z),), z.dtype).reshape(
        z.shape)


def sigmoid_into(out: np.ndarray, z: np.ndarray) -> None:
    """``out = sigma(z)`` for flat blocks: ``1 / (1 + e)`` for z >= 0 and
    ``e / (1 + e)`` below, with ``e = exp(-|z|) <= 1``.

    The numerator is ``max(e, h)`` with ``h`` 1 for z >= 0 and 0 below
    (:func:`nonnegative_mask`): 1 or e, exactly, and one division.
    """
    e = scratch("sig_e")
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    den = scratch("sig_den")
    np.add(e, 1, out=den)
    np.maximum(e, nonnegative_mask(z), out=out)
    np.divide(out, den, out=out)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``sigma(z)`` without overflow: exp(-|z|) never exceeds 1."""
    z = np.asarray(z)
    return block_values(sigmoid_into, (flat(z),), z.dtype).reshape(z.shape)


def pow2_scale(x: np.ndarray) -> int:
    """The exponent ``e`` with ``max|x| / 2**e`` in [0.5, 1) (0 for zeros).

    Dividing by a power of two is exact (down to the subnormals), so
    ``np.ldexp(x, -e)`` rescales an array without rounding: the
    running-scale trick that keeps a sum of huge terms from overflowing
    on its way to a representable result.
    """
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return int(np.frexp(top)[1]) if top > 0 else 0


def scaled_sum(
    x: np.ndarray, axis: int | tuple[int, ...] | None = None
) -> np.ndarray:
    """``x.sum(axis)``, finite whenever the exact sum is representable.

    The terms are divided by a common power of two (the largest entry's),
    summed where no partial sum can overflow, and scaled back once with
    ``ldexp``, which rounds to ``inf`` only if the result itself is out of
    range. Where no partial sum can overflow (the usual case) this is the
    plain sum.
    """
    if x.size == 0 or (
        pow2_scale(x) + x.size.bit_length() < np.finfo(x.dtype).maxexp
    ):
        # |partial sum| <= size * 2**e: no overflow possible
        return x.sum(axis=axis, dtype=x.dtype)
    # one scale per reduced slice, so a slice of small terms keeps its bits
    top = np.max(np.abs(x), axis=axis, keepdims=True)
    e = np.frexp(top)[1]
    inner = np.ldexp(x, -e).sum(axis=axis, dtype=x.dtype)
    e = np.squeeze(e, axis=axis) if axis is not None else e.reshape(())
    with np.errstate(over="ignore"):
        return np.ldexp(inner, e).astype(x.dtype)
