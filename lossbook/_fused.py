"""Compiled twins of the busiest element-wise kernels (needs Numba).

Each NumPy kernel of :mod:`lossbook._blocks` makes one pass over its
block per ufunc: huber makes six, log-cosh nineteen. A twin here runs the
same IEEE operations, on the same operands and in the same order, in one
loop per stretch of arithmetic, so its values are the NumPy kernel's bit
for bit; only the number of passes changes. Sums are NumPy's pairwise
sums, block by block (:func:`lossbook._blocks.block_sum`): the residual
twins add up each whole block themselves, in exactly NumPy's order
(:func:`_block_total`), the others leave the sum to NumPy. Reduced
results are therefore identical too. The loops release the GIL, so the
threads of :func:`lossbook._blocks.shared` run them side by side.

Transcendental functions (``exp``, ``log1p``, ``sinh``, ``power``) stay NumPy's
calls between the loops: NumPy's vectorised versions and the C library's
differ in the last bit, and the twin must not.

Two details keep the twins exact:

- Every constant is passed in the block's dtype: a Python float in a
  compiled float32 expression would promote it to float64, where NumPy
  rounds the constant to float32 first (NEP 50).
- NumPy's ``minimum(x, c)`` and ``maximum(x, c)`` return ``c`` when the
  two compare equal (``-0.0`` against ``0.0``); ``x if x < c else c``
  does the same.

This module imports Numba at once; :func:`lossbook._blocks.fused` imports
it only for an input large enough to gain from it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from lossbook._blocks import BLOCK, scratch

__all__ = [
    "bce_logits", "box_terms", "log_cosh", "residual", "sigmoid_focal",
]

# error_model="numpy": a division by zero gives inf or NaN, as in NumPy,
# instead of raising; cache=True keeps the machine code between sessions
_jit = njit(nogil=True, cache=True, error_model="numpy")


@_jit
def _squared(out, y, p):  # pragma: no cover - compiled
    for i in range(out.size):
        d = p[i] - y[i]
        out[i] = d * d


@_jit
def _absolute(out, y, p):  # pragma: no cover - compiled
    for i in range(out.size):
        out[i] = abs(p[i] - y[i])


@_jit
def _huber(out, y, p, width, half):  # pragma: no cover - compiled
    # q = min(|d|, width); q (|d| - q/2), as regression._banded
    for i in range(out.size):
        a = abs(p[i] - y[i])
        q = a if a < width else width
        out[i] = (a - q * half) * q


@_jit
def _smooth_l1(out, y, p, width, half):  # pragma: no cover - compiled
    # (q / width) (|d| - q/2), as regression._banded with divide=True
    for i in range(out.size):
        a = abs(p[i] - y[i])
        q = a if a < width else width
        out[i] = (a - q * half) * (q / width)


# The pairwise sum NumPy takes of one block of BLOCK = 16384 = 128 * 128
# values: 128 leaves of 128, each summed in eight lanes (lane j adds
# elements j, j + 8, ..., j + 120 in order) whose totals are combined as
# ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); then the leaf sums
# in a perfect binary tree, left plus right. Numba leaves LLVM's SLP
# vectorizer off, so the eight lanes are written as one vector here.
_LEAF, _LANES = 128, 8
_LEAVES = BLOCK // _LEAF


@intrinsic
def _leaf_sum(typingctx, values, start):  # pragma: no cover - compiled
    """NumPy's pairwise-sum leaf over ``values[start:start + 128]``."""
    signature = values.dtype(values, types.intp)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        element = context.get_data_type(sig.args[0].dtype)
        width = sig.args[0].dtype.bitwidth // 8
        lanes = builder.bitcast(builder.gep(array.data, [args[1]]),
                                ir.VectorType(element, _LANES).as_pointer())
        total = builder.load(lanes, align=width)
        for row in range(1, _LEAF // _LANES):
            at = builder.gep(lanes, [ir.Constant(ir.IntType(64), row)])
            total = builder.fadd(total, builder.load(at, align=width))
        lane = [builder.extract_element(total, ir.Constant(ir.IntType(32), j))
                for j in range(_LANES)]
        add = builder.fadd
        return add(add(add(lane[0], lane[1]), add(lane[2], lane[3])),
                   add(add(lane[4], lane[5]), add(lane[6], lane[7])))

    return signature, codegen


@_jit
def _block_total(values, leaves, zero):  # pragma: no cover - compiled
    # np.add.reduce of one full block: its identity 0 plus the tree
    for leaf in range(_LEAVES):
        leaves[leaf] = _leaf_sum(values, leaf * _LEAF)
    m = _LEAVES
    while m > 1:
        m //= 2
        for i in range(m):
            leaves[i] = leaves[2 * i] + leaves[2 * i + 1]
    return zero + leaves[0]


@_jit
def _residual_sums(partial, y, p, kind, width, half):  # pragma: no cover
    # the sum of each full block of the residual loss ``kind`` (0 mse,
    # 1 mae, 2 huber, 3 smooth L1): the loops of the twins above, then
    # NumPy's pairwise sum of the block
    values = np.empty(BLOCK, partial.dtype)
    leaves = np.empty(_LEAVES, partial.dtype)
    zero = partial.dtype.type(0)
    for b in range(y.size // BLOCK):
        ys, ps = y[b * BLOCK:(b + 1) * BLOCK], p[b * BLOCK:(b + 1) * BLOCK]
        if kind == 0:
            _squared(values, ys, ps)
        elif kind == 1:
            _absolute(values, ys, ps)
        elif kind == 2:
            _huber(values, ys, ps, width, half)
        else:
            _smooth_l1(values, ys, ps, width, half)
        partial[b] = _block_total(values, leaves, zero)


_KINDS = {"mse": 0, "mae": 1, "huber": 2, "smooth_l1": 3}


def residual(dtype: np.dtype, name: str, width: float = 0.0) -> Callable:
    """The twin of a residual kernel of :mod:`lossbook.regression`:
    ``"mse"``, ``"mae"``, ``"huber"`` or ``"smooth_l1"`` (band ``width``).

    It also sums whole blocks itself (``kernel.block_sums``, used by
    :func:`lossbook._blocks.block_sum`), without storing their values.
    """
    kind = _KINDS[name]
    width, half = dtype.type(width), dtype.type(0.5)
    loop = (_squared, _absolute, _huber, _smooth_l1)[kind]

    def kernel(out: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
        if kind < 2:
            loop(out, y, p)
        else:
            loop(out, y, p, width, half)

    def block_sums(partial: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
        full = y.size // BLOCK
        if full:
            _residual_sums(partial, y, p, kind, width, half)
        if y.size > full * BLOCK:  # the short last block, as NumPy sums it
            rest = np.empty(y.size - full * BLOCK, dtype)
            kernel(rest, y[full * BLOCK:], p[full * BLOCK:])
            partial[full] = np.add.reduce(rest)

    kernel.block_sums = block_sums
    kernel.block = BLOCK
    return kernel


@_jit
def _negative_abs(out, az, z):  # pragma: no cover - compiled
    for i in range(out.size):
        a = abs(z[i])
        az[i] = a
        out[i] = -a


@_jit
def _bce_logits_rest(out, y, z, az, one, zero):  # pragma: no cover
    # out holds log1p(exp(-|z|)); add (1 - y) relu(z) + y (|z| - relu(z))
    for i in range(out.size):
        zi = z[i]
        relu = zi if zi > zero else zero
        out[i] += (one - y[i]) * relu + (az[i] - relu) * y[i]


def bce_logits(dtype: np.dtype) -> Callable:
    """The twin of ``classification._bce_logits_kernel``."""
    one, zero = dtype.type(1), dtype.type(0)

    def kernel(out: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        az = scratch("az")
        _negative_abs(out, az, z)
        np.exp(out, out=out)
        np.log1p(out, out=out)
        _bce_logits_rest(out, y, z, az, one, zero)

    return kernel


@_jit
def _log_cosh_start(ad, s, far, y, p, half, cap, minus2):  # pragma: no cover
    # |d|; min(|d|/2, 1) for the sinh form; -2|d| for the softplus form
    for i in range(ad.size):
        a = abs(p[i] - y[i])
        ad[i] = a
        h = a * half
        s[i] = h if h < cap else cap
        far[i] = a * minus2


@_jit
def _twice_square(s, two):  # pragma: no cover - compiled
    for i in range(s.size):
        v = s[i]
        s[i] = (v * v) * two


@_jit
def _log_cosh_end(ad, near, far, switch, log2, one, zero):  # pragma: no cover
    # near m + (|d| - log 2 + far)(1 - m), m = 1 where |d| < switch
    for i in range(ad.size):
        a = ad[i]
        m = one if a < switch else zero
        ad[i] = ((a - log2) + far[i]) * (one - m) + near[i] * m


def log_cosh(dtype: np.dtype, switch: float, log2: np.generic) -> Callable:
    """The twin of the kernel of :func:`lossbook.regression.log_cosh`."""
    t = dtype.type
    half, cap, minus2, two = t(0.5), t(1.0), t(-2), t(2)
    switch, log2, one, zero = t(switch), t(log2), t(1), t(0)

    def kernel(out: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
        s, far = scratch("s"), scratch("far")
        _log_cosh_start(out, s, far, y, p, half, cap, minus2)
        np.sinh(s, out=s)
        _twice_square(s, two)
        np.log1p(s, out=s)
        np.exp(far, out=far)
        np.log1p(far, out=far)
        _log_cosh_end(out, s, far, switch, log2, one, zero)

    return kernel


# ---------------------------------------------------------------------------
# box losses: the direct frame of lossbook.boxes._elementwise
# ---------------------------------------------------------------------------


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _lo(a, b):  # pragma: no cover - compiled
    # np.minimum(a, b) on numbers: b when they compare equal
    return a if a < b else b


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _hi(a, b):  # pragma: no cover - compiled
    # np.maximum(a, b) on numbers
    return a if a > b else b


@_jit
def _box_terms(values, small, t, p, first, last, kind, eps, low, tiny,
               zero, one, four):  # pragma: no cover - compiled
    # boxes._axis, _geometry, _iou_term and the GIoU/DIoU terms, one pair
    # at a time, operation for operation; kind 0 IoU, 1 GIoU, 2 DIoU
    for i in range(first, last):
        # x axis: coordinates 0 and 2; y axis: 1 and 3
        xt1, xt2, xp1, xp2 = t[i, 0], t[i, 2], p[i, 0], p[i, 2]
        yt1, yt2, yp1, yp2 = t[i, 1], t[i, 3], p[i, 1], p[i, 3]
        xs, xe = _hi(xt1, xp1), _lo(xt2, xp2)
        ys, ye = _hi(yt1, yp1), _lo(yt2, yp2)
        xlt, xrt, xlp, xrp = xs - xt1, xt2 - xe, xs - xp1, xp2 - xe
        ylt, yrt, ylp, yrp = ys - yt1, yt2 - ye, ys - yp1, yp2 - ye
        xst, xsp, yst, ysp = xt2 - xt1, xp2 - xp1, yt2 - yt1, yp2 - yp1
        # what the enclosing interval adds, before the pieces are cut
        xbt = xlp + xrp
        ybt, ybp = ylp + yrp, ylt + yrt
        xshift = (xlt - xlp) + (xrp - xrt)
        yshift = (ylt - ylp) + (yrp - yrt)
        xlt, xrt = _lo(xlt, xst), _lo(xrt, xst)
        xlp, xrp = _lo(xlp, xsp), _lo(xrp, xsp)
        ylt, yrt = _lo(ylt, yst), _lo(yrt, yst)
        ylp, yrp = _lo(ylp, ysp), _lo(yrp, ysp)
        xo, yo = xe - xs, ye - ys
        xgap, ygap = _hi(-xo, zero), _hi(-yo, zero)
        xo, yo = _hi(xo, zero), _hi(yo, zero)
        inter = xo * yo
        only = xlt * yst
        only += xlp * ysp
        only += xrt * yst
        only += xrp * ysp
        only += xo * (ylt + ylp)
        only += xo * (yrt + yrp)
        pred_only = xlp * ysp
        pred_only += xrp * ysp
        pred_only += xo * ylp
        pred_only += xo * yrp
        area_t, area_p = xst * yst, xsp * ysp
        m = one if area_t >= area_p else zero
        area_t += pred_only
        area_p += only - pred_only
        union = area_t * m + area_p * (one - m)
        union *= one if inter > zero else zero
        union = _hi(union, only)
        num, den = only + eps, union + eps
        if den == zero:
            num = den = one
        value = num / den
        if kind == 1:
            cw, ch = xst + xbt, yst + ybt
            uncovered = xgap * ch
            uncovered += xo * ygap
            uncovered += xlp * ybp
            uncovered += xrp * ybp
            uncovered += xlt * ybt
            uncovered += xrt * ybt
            value += uncovered / _hi(cw * ch + eps, tiny)
        elif kind == 2:
            cw, ch = xst + xbt, yst + ybt
            diagonal2 = cw * cw
            diagonal2 += ch * ch
            centre2 = xshift * xshift
            centre2 += yshift * yshift
            centre2 /= four
            value += centre2 / _hi(diagonal2 + eps, tiny)
        values[i] = value
        small[i] = union < low


def box_terms(
    kind: str, t: np.ndarray, p: np.ndarray, eps: np.ndarray, low: float,
    values: np.ndarray, small: np.ndarray, first: int, last: int,
) -> None:
    """IoU, GIoU or DIoU loss (``kind``) of the pairs ``first .. last - 1``
    of the ``(n, 4)`` boxes ``t``, ``p`` in the direct frame, into
    ``values``; ``small`` marks the pairs whose union is below ``low``
    (recomputed in the scaled frame)."""
    d = t.dtype.type
    _box_terms(values, small, t, p, first, last,
               {"iou": 0, "giou": 1, "diou": 2}[kind], d(eps), d(low),
               np.finfo(t.dtype).smallest_subnormal, d(0), d(1), d(4))


# ---------------------------------------------------------------------------
# sigmoid focal loss (gamma <= 2): focal._sigmoid_focal_kernel
# ---------------------------------------------------------------------------


@_jit
def _focal_weights(q, b, y, z, e, one, zero, square):  # pragma: no cover
    # e holds exp(-|z|): q = a s + b r (squared for gamma = 2), and b
    for i in range(q.size):
        ei = e[i]
        r = ei + one
        s = ei / r
        r = one - s
        yi = y[i]
        h = one if z[i] >= zero else zero
        a = abs(yi - (one - h))
        bi = abs(yi - h)
        qi = a * s + bi * r
        q[i] = qi * qi if square else qi
        b[i] = bi


@_jit
def _focal_end(out, y, q, b, az, tail, balanced, alpha, beta,
               one):  # pragma: no cover - compiled
    # tail holds log1p(exp(-|z|)): alpha_t q ce with ce = b |z| + tail
    for i in range(out.size):
        ce = b[i] * az[i] + tail[i]
        if balanced:
            yi = y[i]
            out[i] = ((yi * alpha + (one - yi) * beta) * q[i]) * ce
        else:
            out[i] = q[i] * ce


def sigmoid_focal(
    dtype: np.dtype, alpha: float | None, gamma: float
) -> Callable:
    """The twin of ``focal._sigmoid_focal_kernel`` (``gamma <= 2``)."""
    t = dtype.type
    one, zero = t(1), t(0)
    balanced = alpha is not None
    # NumPy rounds alpha to the dtype, and 1 - alpha is formed in float64
    # first (focal: ``omy *= 1 - alpha``)
    a, beta = (t(alpha), t(1 - alpha)) if balanced else (zero, zero)
    square = gamma == 2

    def kernel(out: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        az, e = scratch("az"), scratch("e")
        _negative_abs(e, az, z)
        np.exp(e, out=e)
        q, b = scratch("q"), scratch("b")
        _focal_weights(q, b, y, z, e, one, zero, square)
        if not square:
            np.power(q, gamma, out=q)
        np.log1p(e, out=e)
        _focal_end(out, y, q, b, az, e, balanced, a, beta, one)

    return kernel
