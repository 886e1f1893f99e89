r"""Bounding-box losses: IoU, GIoU, DIoU and CIoU, and box utilities.

Boxes are ``(..., 4)`` arrays in corner form ``(x1, y1, x2, y2)`` with
``x1 <= x2`` and ``y1 <= y2`` unless a format says otherwise. The four
losses share one private core, ``_geometry``, which returns the
intersection, the union, the enclosing box (area and squared diagonal)
and the squared distance between the centres; IoU, GIoU, DIoU and CIoU
each add one term to what the core returns, and CIoU builds on DIoU.

The core measures areas without cancellation. On each axis the boxes'
edges cut the enclosing interval into pieces that are each one rounded
difference of two coordinates; every area the losses need is a sum of
products of such non-negative pieces:

* ``1 - IoU = (U - I) / U`` with ``U - I = (A - I) + (A' - I)`` and
  ``A - I = (w - o_w) h + o_w (h - o_h)``, instead of subtracting two
  nearly equal numbers for well-fitting boxes;
* ``C - U`` (the GIoU penalty), the area covered by neither box, is the
  gap on each axis times the enclosing length across it plus the parts of
  each box outside the other times what the enclosing box adds to it.

Element-wise losses run in blocks that fit the L2 cache; the pairwise
functions broadcast the coordinates once. Pairs whose coordinates are
near the float range, or whose union is below the normal range, are
computed in a frame scaled by a power of two (exact), so no value
overflows or underflows on the way to a representable result.

The SymPy definitions are in :mod:`lossbook.symbolic.boxes`; the
gradients with respect to ``boxes_pred`` are in ``GRADIENTS`` (used by
:func:`lossbook.gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossbook._blocks import fused_module, shared
from lossbook._validation import (
    as_float_array,
    check_all_nonnegative,
    check_box_format,
    check_boxes,
    check_nonnegative,
    check_reduction,
    check_same_shape,
    check_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = [
    "GRADIENTS",
    "box_convert",
    "box_iou",
    "ciou_loss",
    "diou_loss",
    "generalized_box_iou",
    "giou_loss",
    "iou_loss",
]

# ---------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------


def _checked_boxes(boxes: ArrayLike, fmt: str, name: str) -> np.ndarray:
    """Validate boxes given in ``fmt``: corners ordered, or sizes >= 0."""
    if fmt == "xyxy":
        return check_boxes(boxes, name)
    arr = check_shape(as_float_array(boxes, name), name, (..., 4))
    # a width or height is a size, not a corner: check its sign directly
    check_all_nonnegative(
        arr[..., 2], f"the widths (column 2) of {name} in format {fmt!r}"
    )
    check_all_nonnegative(
        arr[..., 3], f"the heights (column 3) of {name} in format {fmt!r}"
    )
    return arr


def _half_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a + b) / 2`` with one rounding, also where ``a + b`` overflows."""
    with np.errstate(over="ignore"):
        mid = (a + b) / 2  # halving is exact: one rounding in a + b
    big = np.isinf(mid)
    if big.any():
        # |a + b| > max: both are large, so halving each first is exact
        mid[big] = a[big] / 2 + b[big] / 2
    return mid


def _convert(b: np.ndarray, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Each output coordinate from the input in one rounded operation.

    A size is copied or formed by one subtraction, a corner by one
    addition or subtraction of a (halved) size, a centre by one halved
    sum; halving is exact, so every coordinate is the correctly rounded
    value of the exact conversion (an overflow gives +-inf only when the
    exact coordinate is beyond the float range).
    """
    if in_fmt == out_fmt:
        return b.copy()
    a, c, s, t = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out = np.empty_like(b)
    with np.errstate(over="ignore"):
        if in_fmt == "xyxy":
            out[..., 2], out[..., 3] = s - a, t - c  # the sizes
            if out_fmt == "xywh":
                out[..., 0], out[..., 1] = a, c
            else:
                out[..., 0], out[..., 1] = _half_sum(a, s), _half_sum(c, t)
            return out
        out[..., 2], out[..., 3] = s, t  # sizes stay, or give corners
        if in_fmt == "xywh":
            if out_fmt == "xyxy":
                out[..., 2], out[..., 3] = a + s, c + t
                out[..., 0], out[..., 1] = a, c
            else:
                out[..., 0], out[..., 1] = a + s / 2, c + t / 2
            return out
        # cxcywh
        out[..., 0], out[..., 1] = a - s / 2, c - t / 2
        if out_fmt == "xyxy":
            out[..., 2], out[..., 3] = a + s / 2, c + t / 2
        return out


def box_convert(boxes: ArrayLike, in_fmt: str, out_fmt: str) -> np.ndarray:
    r"""Convert boxes between corner, corner-size and centre-size formats.

    Detectors and datasets disagree on how a box is written: COCO stores
    ``xywh``, many heads predict ``cxcywh``, and the losses here take
    ``xyxy``. Convert once at the boundary.

    .. math::

        \texttt{xyxy} = (x_1, y_1, x_2, y_2), \quad
        \texttt{xywh} = (x_1, y_1, x_2 - x_1, y_2 - y_1), \quad
        \texttt{cxcywh} = \bigl(\tfrac{x_1 + x_2}{2},
        \tfrac{y_1 + y_2}{2}, x_2 - x_1, y_2 - y_1\bigr)

    Parameters
    ----------
    boxes : array-like of shape (..., 4)
        Boxes in ``in_fmt``.
    in_fmt : {"xyxy", "xywh", "cxcywh"}
        Format of ``boxes``.
    out_fmt : {"xyxy", "xywh", "cxcywh"}
        Format of the result.

    Returns
    -------
    numpy.ndarray of shape (..., 4)
        A new array (never ``boxes`` itself), float32 for float32 input,
        float64 otherwise.

    Raises
    ------
    ValueError
        If a format is unknown, ``boxes`` is empty, not of shape
        ``(..., 4)`` or not finite, an ``xyxy`` box has ``x2 < x1`` or
        ``y2 < y1``, or an ``xywh``/``cxcywh`` box has a negative width or
        height.
    TypeError
        If ``boxes`` is not numeric.

    Notes
    -----
    Matches ``torchvision.ops.box_convert`` for these three formats, except
    that integer boxes are returned as float64 and that the input is
    validated. Every conversion is direct (``cxcywh`` to ``xywh`` does not
    pass through ``xyxy``) and each output coordinate is one rounded
    operation on the input (halving is exact), so it is the correctly
    rounded value of the exact conversion: within half an ulp (one ulp
    if a size is subnormal, where halving rounds too). A
    coordinate whose exact value lies beyond the float range is
    returned as ``inf`` (without a warning).

    See Also
    --------
    box_iou : Pairwise IoU of ``xyxy`` boxes.

    Examples
    --------
    >>> from lossbook.boxes import box_convert
    >>> box_convert([0.0, 0.0, 4.0, 2.0], "xyxy", "cxcywh")
    array([2., 1., 4., 2.])
    >>> box_convert([1.0, 1.0, 2.0, 3.0], "xywh", "xyxy")
    array([1., 1., 3., 4.])
    """
    check_box_format(in_fmt, "in_fmt")
    check_box_format(out_fmt, "out_fmt")
    arr = _checked_boxes(_native(boxes), in_fmt, "boxes")
    return _convert(arr, in_fmt, out_fmt)


# ---------------------------------------------------------------------------
# the shared core
# ---------------------------------------------------------------------------

#: Pairs per block: a block's temporaries stay in the cache, and at 10**5
#: pairs the losses peak at 0.5 to 0.64 times their input (``make
#: bench``). The values do not depend on it.
_BLOCK = 8192


class _Limits(NamedTuple):
    """Where a dtype's products of lengths neither overflow nor underflow.

    With every coordinate at most ``high`` in magnitude, no area, squared
    diagonal or product of sides overflows; a pair whose union is at least
    ``low`` has no product of lengths below the normal range that matters
    (an underflowed piece is then below 2**-49 ulp of the union). Other
    pairs are computed in a scaled frame. ``eps_cap`` is so much larger
    than any area in range that ``eps`` beyond it rounds every ratio the
    same way: it keeps ``U + eps`` from overflowing.
    """

    high: float
    low: float
    eps_cap: float


_LIMITS = {
    np.dtype(np.float64): _Limits(2.0**250, 2.0**-900, 2.0**600),
    np.dtype(np.float32): _Limits(2.0**30, 2.0**-100, 2.0**90),
}


class _Geometry(NamedTuple):
    """What every IoU-type loss is made of, for one pair of boxes.

    Fields the caller did not ask for are None.
    """

    inter: np.ndarray  # I, the intersection's area
    union: np.ndarray  # U = I + only_one
    only_one: np.ndarray  # U - I, covered by exactly one box
    enclosing: np.ndarray | None  # C, area of the smallest enclosing box
    uncovered: np.ndarray | None  # C - U, covered by neither box
    diagonal2: np.ndarray | None  # squared diagonal of the enclosing box
    centre2: np.ndarray | None  # squared distance between the centres
    sizes: tuple[np.ndarray, ...]  # w, h of the true, then the predicted box


class _Axis(NamedTuple):
    """One axis of a pair: the true interval [t1, t2], the predicted
    [p1, p2]. Every length is one exactly rounded difference, or a sum of
    two non-negative ones."""

    overlap: np.ndarray  # length covered by both
    gap: np.ndarray  # length between them when they do not meet, else 0
    true_parts: tuple[np.ndarray, np.ndarray]  # true outside the overlap
    pred_parts: tuple[np.ndarray, np.ndarray]  # (left, right pieces)
    beyond_true: np.ndarray  # enclosing length minus the true length
    beyond_pred: np.ndarray
    size_true: np.ndarray
    size_pred: np.ndarray
    shift: np.ndarray  # (p1 - t1) + (p2 - t2): twice the centre offset


def _axis(t1, t2, p1, p2, full: bool = True) -> _Axis:
    """Lengths on one axis, each a rounded difference or a sum of
    non-negative rounded differences: nothing cancels.

    With ``start = max(t1, p1)`` and ``end = min(t2, p2)``, the four
    pieces ``start - t1``, ``t2 - end`` (the true interval's parts left
    and right of the overlap) and ``start - p1``, ``p2 - end`` (the
    prediction's) are each one exactly rounded non-negative difference.
    The prediction's pieces are also what the enclosing interval adds to
    the true one, and the true's what it adds to the prediction. When the
    intervals are disjoint a piece overshoots its interval; the minimum
    with the interval's length corrects that.
    """
    start, end = np.maximum(t1, p1), np.minimum(t2, p2)
    left_t, right_t = start - t1, t2 - end
    left_p, right_p = start - p1, p2 - end
    size_t, size_p = t2 - t1, p2 - p1
    # IoU alone (``full=False``) needs neither the enclosing interval nor
    # the centres
    beyond_t = beyond_p = shift = gap = None
    if full:
        beyond_t, beyond_p = left_p + right_p, left_t + right_t
        # exactly one of left_t, left_p is non-zero: p1 - t1 rounded
        shift = (left_t - left_p) + (right_p - right_t)
    for piece in (left_t, right_t):
        np.minimum(piece, size_t, out=piece)
    for piece in (left_p, right_p):
        np.minimum(piece, size_p, out=piece)
    overlap = end - start
    # np.maximum against an array of zeros takes NumPy's vectorised loop,
    # against the scalar 0 a much slower one
    zeros = np.zeros_like(overlap)
    if full:
        gap = -overlap
        np.maximum(gap, zeros, out=gap)
    np.maximum(overlap, zeros, out=overlap)
    return _Axis(overlap, gap, (left_t, right_t), (left_p, right_p),
                 beyond_t, beyond_p, size_t, size_p, shift)


def _only(x: _Axis, y: _Axis, parts: str, size: str) -> np.ndarray:
    """A box's area outside the intersection, ``A - I = (w - o_w) h +
    o_w (h - o_h)``, as four products of single-rounded lengths."""
    (xl, xr), (yl, yr) = getattr(x, parts), getattr(y, parts)
    h = getattr(y, size)
    area = xl * h
    area += xr * h
    area += x.overlap * yl
    area += x.overlap * yr
    return area


def _geometry(
    bt: np.ndarray, bp: np.ndarray, *, enclosing: bool = True,
    distance: bool = True,
) -> _Geometry:
    """Areas and distances of the box pairs ``bt``, ``bp`` (broadcast).

    ``U - I``, the area covered by exactly one box, is four products of
    non-negative lengths: the piece of the x-axis left of the overlap (one
    box's, so its two candidate pieces add exactly) times that box's
    height, the same on the right, and the overlap's width times the
    pieces of the y-axis below and above the overlap. So ``1 - IoU`` keeps
    its relative accuracy for well-fitting boxes. The union is the larger
    area plus the other box's part outside the intersection. The empty
    part of the enclosing box is likewise a sum of non-negative products:
    the gap between the boxes on each axis times the enclosing length
    across it, plus each box's part outside the other in x times what the
    enclosing box adds to that box in y.
    """
    full = enclosing or distance
    x = _axis(bt[..., 0], bt[..., 2], bp[..., 0], bp[..., 2], full)
    y = _axis(bt[..., 1], bt[..., 3], bp[..., 1], bp[..., 3], full)
    inter = x.overlap * y.overlap
    # left of the overlap in x lies one box's piece only (the other's is
    # 0), and it spans that box's height: of the two products below one
    # is exactly 0, so their sum is the one product, rounded once
    (tl, tr), (pl, pr) = x.true_parts, x.pred_parts
    only_one = tl * y.size_true
    only_one += pl * y.size_pred
    only_one += tr * y.size_true
    only_one += pr * y.size_pred
    (tl, tr), (pl, pr) = y.true_parts, y.pred_parts
    only_one += x.overlap * (tl + pl)
    only_one += x.overlap * (tr + pr)
    # U as the larger area plus the other box's part outside it: the
    # large term is one product; the small one may carry an error of
    # ulp(U - I) from the subtraction, below ulp(U)
    pred_only = _only(x, y, "pred_parts", "size_pred")
    area_t, area_p = x.size_true * y.size_true, x.size_pred * y.size_pred
    # 1 where the true box is the larger, else 0: the choice between the
    # two finite sums below is then m a + (1 - m) b, exactly
    mask = np.empty_like(area_t)
    np.copyto(mask, area_t >= area_p)
    area_t += pred_only
    area_p += only_one - pred_only
    union = area_t
    union *= mask
    np.subtract(1, mask, out=mask)
    area_p *= mask
    union += area_p
    # keep U >= U - I, and U = U - I exactly for disjoint boxes, so that
    # the IoU is never below 0 and is exactly 0 without an intersection:
    # where I = 0 the union is first multiplied by 0
    np.copyto(mask, inter > 0)
    union *= mask
    np.maximum(union, only_one, out=union)
    area = uncovered = diagonal2 = centre2 = None
    if enclosing or distance:
        cw, ch = x.size_true + x.beyond_true, y.size_true + y.beyond_true
    if enclosing:
        area = cw * ch
        uncovered = x.gap * ch
        uncovered += x.overlap * y.gap
        for parts, beyond in ((x.pred_parts, y.beyond_pred),
                              (x.true_parts, y.beyond_true)):
            uncovered += parts[0] * beyond
            uncovered += parts[1] * beyond
    if distance:
        diagonal2 = cw * cw
        diagonal2 += ch * ch
        centre2 = x.shift * x.shift
        centre2 += y.shift * y.shift
        centre2 /= 4
    return _Geometry(inter, union, only_one, area, uncovered, diagonal2,
                     centre2, (x.size_true, y.size_true, x.size_pred,
                               y.size_pred))


def _tiny(dtype: np.dtype) -> np.ndarray:
    return np.asarray(np.finfo(dtype).smallest_subnormal, dtype)


def _div0(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` for ``den >= 0``, where ``num == 0`` whenever ``den ==
    0``: the ratio is then 0, its limit as ``eps -> 0+``.

    Raising ``den`` to the smallest subnormal changes no positive ``den``
    and turns 0/0 into 0/tiny = 0, in two passes and without a warning.
    """
    return num / np.maximum(den, _tiny(den.dtype))


def _ratio(
    num: np.ndarray, den: np.ndarray, at_zero: float = 0.0
) -> np.ndarray:
    """``num / den``, and ``at_zero`` where ``den == 0``.

    Each ratio of the box losses has a numerator that vanishes with its
    denominator; 0 is its limit as ``eps -> 0+``. (The segmentation losses
    use the same rule for ``smooth -> 0+``.)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, np.asarray(at_zero, den.dtype), num / den)


def _iou_term(g: _Geometry, eps) -> np.ndarray:
    """``1 - I / (U + eps)``, as ``(U - I + eps) / (U + eps)``."""
    num, den = g.only_one + eps, g.union + eps
    # U + eps = 0 only for two zero-area boxes with eps = 0: I/(U+eps) -> 0
    zero = den == 0
    if zero.any():
        num[zero] = den[zero] = 1
    return np.divide(num, den, out=num)


def _giou_term(g: _Geometry, eps) -> np.ndarray:
    return _div0(g.uncovered, g.enclosing + eps)


def _diou_term(g: _Geometry, eps) -> np.ndarray:
    return _div0(g.centre2, g.diagonal2 + eps)


_CIOU_K = 4 / np.pi**2


def _angle_gap(g: _Geometry) -> np.ndarray:
    """``atan2(w, h) - atan2(w_hat, h_hat)`` in one atan2 call.

    The difference of the angles of (h, w) and (h_hat, w_hat) is the
    atan2 of their cross and dot products; it avoids subtracting two
    nearly equal angles. A point box (w = h = 0) has angle 0 by atan2's
    convention, and cross = dot = 0 only then: use the two angles there.
    """
    w, h, wp, hp = g.sizes
    cross = w * hp
    cross -= wp * h
    dot = h * hp
    dot += w * wp
    gap = np.arctan2(cross, dot)
    both_zero = (cross == 0) & (dot == 0)
    if both_zero.any():
        gap[both_zero] = (np.arctan2(w[both_zero], h[both_zero])
                          - np.arctan2(wp[both_zero], hp[both_zero]))
    return gap


def _ciou_term(
    iou_term: np.ndarray, v: np.ndarray, eps
) -> np.ndarray:
    """``alpha v = v^2 / (1 - iou + v + eps)``; 0 where ``v = 0``."""
    return _div0(v * v, iou_term + v + eps)


# ---------------------------------------------------------------------------
# the scaled frame
# ---------------------------------------------------------------------------


def _native(x: ArrayLike) -> ArrayLike:
    """A float array in non-native byte order, as a native copy of the
    same precision (so that ``>f4`` stays float32)."""
    dtype = getattr(x, "dtype", None)
    if (isinstance(x, np.ndarray) and dtype.kind == "f"
            and not dtype.isnative):
        return x.astype(dtype.newbyteorder("="))
    return x


def _in_range(*boxes: np.ndarray) -> bool:
    """Whether every coordinate is small enough for the direct frame."""
    high = _LIMITS[boxes[0].dtype].high
    return all(b.max() <= high and b.min() >= -high for b in boxes)


def _scaled(
    bt: np.ndarray, bp: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs ``(n, 4)`` in float64, each pair scaled by a power of two
    so that its largest coordinate lies in [1/2, 1).

    Every loss here is a ratio of areas (or of squared lengths) and an
    angle, so it does not change when both boxes are scaled, provided
    ``eps`` scales with the areas: it becomes ``eps * 2**(-2k)``. Scaling
    by a power of two is exact, so the scaled frame gives the same values
    as the direct one wherever that neither overflows nor underflows.
    float32 pairs are scaled in float64 (exactly), where neither the
    coordinates nor the scaled ``eps`` can leave the normal range.
    Returns the scaled boxes, the exponents ``k`` and the scaled ``eps``.
    """
    bt = bt.astype(np.float64, copy=False)
    bp = bp.astype(np.float64, copy=False)
    big = np.maximum(np.abs(bt).max(axis=-1), np.abs(bp).max(axis=-1))
    k = np.frexp(big)[1]
    t = np.ldexp(bt, -k[:, None])
    p = np.ldexp(bp, -k[:, None])
    with np.errstate(over="ignore", under="ignore"):
        e = np.ldexp(np.float64(eps), -2 * k.astype(np.int64))
    return t, p, k, np.minimum(e, _LIMITS[t.dtype].eps_cap)


def _own_sizes(
    bt: np.ndarray, bp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``w, h`` of the true, then the predicted boxes ``(n, 4)``, each box
    scaled by a power of two of its own (largest coordinate in [1/2, 1)).

    The gap between the two boxes' angles does not change when one box
    alone is scaled, and in its own frame no box loses its shape: in the
    pair's frame the sides of a box far smaller than the other (a 1e-78
    square beside a 1e279 box) underflow to 0, which made it a point of
    angle 0.
    """
    sizes = []
    for b in (bt, bp):
        b = b.astype(np.float64, copy=False)
        k = np.frexp(np.abs(b).max(axis=-1))[1]
        with np.errstate(under="ignore"):
            b = np.ldexp(b, -k[:, None])
        sizes += [b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]]
    return tuple(sizes)


def _eps_direct(eps: float, dtype: np.dtype) -> np.ndarray:
    return np.asarray(min(eps, _LIMITS[dtype].eps_cap), dtype)


def _eps_raw(eps: float, dtype: np.dtype) -> np.ndarray:
    # beyond the float range eps makes alpha 0 either way
    return np.asarray(min(eps, float(np.finfo(dtype).max)), dtype)


def _elementwise(
    bt: np.ndarray, bp: np.ndarray, eps: float,
    terms: Callable[[_Geometry, object, object], np.ndarray], *,
    enclosing: bool = False, distance: bool = False, twin: str = "",
) -> np.ndarray:
    """``terms(geometry, eps in the frame, eps)`` for every pair, in
    blocks, shape ``(...)``.

    Pairs go through the direct frame in blocks that fit the cache; those
    out of its range (huge coordinates anywhere, or a tiny union) are
    recomputed in the scaled frame. ``twin`` names the compiled twin of
    the direct frame's ``terms`` (``lossbook._fused.box_terms``), if any.
    """
    shape, dtype = bt.shape[:-1], bt.dtype
    t, p = bt.reshape(-1, 4), bp.reshape(-1, 4)
    n = t.shape[0]
    values = np.empty(n, dtype)
    e_raw = _eps_raw(eps, dtype)
    if _in_range(t, p):
        low = _LIMITS[dtype].low
        e = _eps_direct(eps, dtype)
        module = fused_module((t, p), dtype) if twin else None
        if module is not None:
            return _twin_values(module, twin, t, p, e, low, values, eps,
                                terms, enclosing, distance).reshape(shape)
        redo = []
        # one thread: some seventy short array operations per block (IoU
        # alone) leave a second thread waiting for the GIL more than
        # computing (measured slower with two at 10**5 pairs, in float64
        # and float32)
        for i in range(0, n, _BLOCK):
            sl = slice(i, i + _BLOCK)
            # a transposed copy of the block makes every coordinate column
            # contiguous
            tb = np.ascontiguousarray(t[sl].T)
            pb = np.ascontiguousarray(p[sl].T)
            g = _geometry(tb.T, pb.T, enclosing=enclosing, distance=distance)
            values[sl] = terms(g, e, e_raw)
            small = g.union < low
            if small.any():
                redo.append(i + np.flatnonzero(small))
        redo = np.concatenate(redo) if redo else None
    else:
        redo = np.arange(n)
    if redo is not None:
        _redo_scaled(t, p, redo, eps, terms, values, enclosing, distance)
    return values.reshape(shape)


def _redo_scaled(
    t: np.ndarray, p: np.ndarray, redo: np.ndarray, eps: float,
    terms: Callable[[_Geometry, object, object], np.ndarray],
    values: np.ndarray, enclosing: bool, distance: bool,
) -> None:
    """``values[redo]``: the pairs ``redo`` of the ``(n, 4)`` boxes ``t``,
    ``p`` recomputed in the scaled frame."""
    ts, ps, _, e = _scaled(t[redo], p[redo], eps)
    g = _geometry(ts, ps, enclosing=enclosing, distance=distance)
    if distance:  # the angles of CIoU
        g = g._replace(sizes=_own_sizes(t[redo], p[redo]))
    values[redo] = terms(g, e, _eps_raw(eps, ts.dtype))


def _twin_values(
    module, twin: str, t: np.ndarray, p: np.ndarray, e: np.ndarray,
    low: float, values: np.ndarray, eps: float,
    terms: Callable[[_Geometry, object, object], np.ndarray],
    enclosing: bool, distance: bool,
) -> np.ndarray:
    """The direct frame of :func:`_elementwise` by the compiled twin, on
    threads (a compiled loop holds no GIL), then the scaled frame for the
    pairs with a tiny union, as there."""
    n = t.shape[0]
    small = np.empty(n, np.bool_)
    chunks = -(-n // _BLOCK)

    def work(indices: Iterator[int]) -> None:
        for index in indices:
            module.box_terms(twin, t, p, e, low, values, small,
                             index * _BLOCK, min((index + 1) * _BLOCK, n))

    shared(chunks, work)
    redo = np.flatnonzero(small)
    if redo.size:
        _redo_scaled(t, p, redo, eps, terms, values, enclosing, distance)
    return values


# ---------------------------------------------------------------------------
# pairwise
# ---------------------------------------------------------------------------


def _pairwise(
    boxes1: ArrayLike, boxes2: ArrayLike, *, generalized: bool
) -> np.ndarray:
    """IoU (or GIoU) of every box of ``boxes1`` with every box of
    ``boxes2``, shape ``boxes1.shape[:-1] + boxes2.shape[:-1]``."""
    b1 = check_boxes(_native(boxes1), "boxes1")
    b2 = check_boxes(_native(boxes2), "boxes2")
    dtype = common_dtype(b1, b2)
    a = b1.astype(dtype, copy=False).reshape(-1, 4)
    b = b2.astype(dtype, copy=False).reshape(-1, 4)
    shape = b1.shape[:-1] + b2.shape[:-1]
    if not _in_range(a, b):
        ia, ib = np.divmod(np.arange(a.shape[0] * b.shape[0]), b.shape[0])
        values = _pairwise_scaled(a[ia], b[ib], generalized)
        return values.astype(dtype, copy=False).reshape(shape)
    out = np.empty((a.shape[0], b.shape[0]), dtype)
    _pairwise_direct(a, b, generalized, out)
    # a union below the direct frame's range needs both boxes tiny
    low = _LIMITS[dtype].low
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    tiny_a, tiny_b = np.flatnonzero(area_a < low), np.flatnonzero(area_b < low)
    if tiny_a.size and tiny_b.size:
        ia, ib = (i.ravel() for i in np.meshgrid(tiny_a, tiny_b,
                                                   indexing="ij"))
        out[ia, ib] = _pairwise_scaled(a[ia], b[ib], generalized)
    return out.reshape(shape)


def _pairwise_direct(
    a: np.ndarray, b: np.ndarray, generalized: bool, out: np.ndarray
) -> None:
    """The direct frame, a block of rows at a time, into ``out``.

    Broadcasting the columns of ``a`` (rows) against those of ``b``
    forms each pair's overlap in four passes per axis; the union ``A + B
    - I`` does not cancel (``I <= min(A, B)``), so IoU keeps a few ulp.
    Pairs with both areas 0 (union 0) are set apart by raising the union
    to the smallest subnormal: 0/tiny is 0.
    """
    ax1, ay1, ax2, ay2 = (a[:, i:i + 1] for i in range(4))
    bx1, by1, bx2, by2 = b.T
    area_a = (ax2 - ax1) * (ay2 - ay1)
    area_b = (bx2 - bx1) * (by2 - by1)
    rows = max(1, 4 * _BLOCK // b.shape[0])
    tiny = _tiny(a.dtype)
    shape = (min(rows, a.shape[0]), b.shape[0])
    iw, ih, tmp = (np.empty(shape, a.dtype) for _ in range(3))
    for i in range(0, a.shape[0], rows):
        sl = slice(i, i + rows)
        m = min(rows, a.shape[0] - i)
        w, h, u = iw[:m], ih[:m], tmp[:m]
        np.minimum(ax2[sl], bx2, out=w)
        w -= np.maximum(ax1[sl], bx1, out=u)
        np.maximum(w, 0, out=w)
        np.minimum(ay2[sl], by2, out=h)
        h -= np.maximum(ay1[sl], by1, out=u)
        np.maximum(h, 0, out=h)
        w *= h  # the intersection
        np.add(area_a[sl], area_b, out=u)
        u -= w  # the union
        np.maximum(u, tiny, out=u)
        o = out[sl]
        np.divide(w, u, out=o)
        if generalized:
            # the enclosing box; GIoU = IoU - (C - U) / C
            np.maximum(ax2[sl], bx2, out=w)
            w -= np.minimum(ax1[sl], bx1, out=h)
            np.maximum(ay2[sl], by2, out=h)
            h -= np.minimum(ay1[sl], by1)
            w *= h
            np.subtract(w, u, out=h)
            np.maximum(h, 0, out=h)
            np.maximum(w, tiny, out=w)
            h /= w
            o -= h


def _pairwise_scaled(
    t: np.ndarray, p: np.ndarray, generalized: bool
) -> np.ndarray:
    """IoU (or GIoU) of the pairs ``(n, 4)`` in the scaled frame."""
    ts, ps, _, _ = _scaled(t, p, 0.0)
    g = _geometry(ts, ps, enclosing=generalized, distance=False)
    iou = _div0(g.inter, g.union)
    if generalized:
        iou -= _div0(g.uncovered, g.enclosing)
    return iou


def box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    r"""Intersection over union of every box in ``boxes1`` with every box
    in ``boxes2``.

    Used to match predictions to ground truth (anchors, NMS, mAP), not as
    a loss; :func:`iou_loss` is the element-wise loss.

    .. math::

        \mathrm{IoU}_{ij} = \frac{|B_i \cap B'_j|}{|B_i \cup B'_j|}

    with :math:`B_i` = ``boxes1[i]`` and :math:`B'_j` = ``boxes2[j]``.

    Parameters
    ----------
    boxes1 : array-like of shape (N, 4)
        Boxes ``(x1, y1, x2, y2)``. Any ``(..., 4)`` shape is accepted.
    boxes2 : array-like of shape (M, 4)
        Boxes ``(x1, y1, x2, y2)``. Any ``(..., 4)`` shape is accepted.

    Returns
    -------
    numpy.ndarray of shape (N, M)
        IoU in [0, 1]; in general the batch shape of ``boxes1`` followed
        by that of ``boxes2``. float32 if both inputs are float32.

    Raises
    ------
    ValueError
        If either input is empty, not finite, not of shape ``(..., 4)`` or
        has a box with ``x2 < x1`` or ``y2 < y1``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torchvision.ops.box_iou``, except for two boxes of zero area
    (union 0): torchvision returns NaN (0/0), lossbook returns 0, the
    limit of :math:`I / (U + \epsilon)` as :math:`\epsilon \to 0^+` that
    :func:`iou_loss` also uses.

    See Also
    --------
    generalized_box_iou : Pairwise GIoU.
    iou_loss : ``1 - IoU`` of matching boxes, as a loss.

    Examples
    --------
    >>> from lossbook.boxes import box_iou
    >>> # the 1x1 box covers a quarter of the 2x2 box, and touches the
    >>> # other 1x1 box only along an edge
    >>> box_iou([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]],
    ...         [[0.0, 0.0, 1.0, 1.0]])
    array([[0.25],
           [0.  ]])
    """
    return _pairwise(boxes1, boxes2, generalized=False)


def generalized_box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    r"""Generalized IoU of every box in ``boxes1`` with every box in
    ``boxes2``.

    GIoU keeps ranking boxes that do not overlap, by how far apart they
    are; DETR's Hungarian matcher uses it as a matching cost.

    .. math::

        \mathrm{GIoU}_{ij} = \mathrm{IoU}_{ij}
        - \frac{|C_{ij}| - |B_i \cup B'_j|}{|C_{ij}|}

    where :math:`C_{ij}` is the smallest box enclosing ``boxes1[i]`` and
    ``boxes2[j]``.

    Parameters
    ----------
    boxes1 : array-like of shape (N, 4)
        Boxes ``(x1, y1, x2, y2)``. Any ``(..., 4)`` shape is accepted.
    boxes2 : array-like of shape (M, 4)
        Boxes ``(x1, y1, x2, y2)``. Any ``(..., 4)`` shape is accepted.

    Returns
    -------
    numpy.ndarray of shape (N, M)
        GIoU in (-1, 1]; in general the batch shape of ``boxes1`` followed
        by that of ``boxes2``.

    Raises
    ------
    ValueError
        If either input is empty, not finite, not of shape ``(..., 4)`` or
        has a box with ``x2 < x1`` or ``y2 < y1``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torchvision.ops.generalized_box_iou``, except where it
    divides 0 by 0 (boxes whose enclosing box has zero area): there
    torchvision returns NaN and lossbook takes each 0/0 ratio as 0, the
    limit as :math:`\epsilon \to 0^+` of :func:`giou_loss`'s ratios.

    See Also
    --------
    box_iou : Pairwise IoU.
    giou_loss : ``1 - GIoU`` of matching boxes, as a loss.

    References
    ----------
    Rezatofighi et al. (2019), *Generalized Intersection over Union: A
    Metric and a Loss for Bounding Box Regression*, arXiv:1902.09630
    [rezatofighi2019giou].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.boxes import generalized_box_iou
    >>> # unit boxes one unit apart: IoU 0, enclosing area 3, union 2
    >>> np.round(generalized_box_iou([[0.0, 0.0, 1.0, 1.0]],
    ...                              [[2.0, 0.0, 3.0, 1.0]]), 6)
    array([[-0.333333]])
    """
    return _pairwise(boxes1, boxes2, generalized=True)


# ---------------------------------------------------------------------------
# element-wise losses
# ---------------------------------------------------------------------------


def _prepare(
    boxes_true: ArrayLike, boxes_pred: ArrayLike, eps: object,
    reduction: str,
) -> tuple[np.ndarray, np.ndarray, float, np.dtype]:
    """Validate a loss's arguments; return both boxes in one dtype, eps and
    the dtype of a gradient with respect to ``boxes_pred``."""
    check_reduction(reduction)
    eps = check_nonnegative(eps, "eps")
    bt = check_boxes(_native(boxes_true), "boxes_true")
    bp = check_boxes(_native(boxes_pred), "boxes_pred")
    check_same_shape(bt, "boxes_true", bp, "boxes_pred")
    dtype = common_dtype(bt, bp)
    return (bt.astype(dtype, copy=False), bp.astype(dtype, copy=False),
            eps, bp.dtype)


# Each takes the geometry, eps in its frame (scaled with the areas) and
# eps as given (CIoU's alpha adds it to a ratio, which does not scale).


def _iou_values(g: _Geometry, eps_area, eps) -> np.ndarray:
    return _iou_term(g, eps_area)


def _giou_values(g: _Geometry, eps_area, eps) -> np.ndarray:
    values = _iou_term(g, eps_area)
    values += _giou_term(g, eps_area)
    return values


def _diou_values(g: _Geometry, eps_area, eps) -> np.ndarray:
    values = _iou_term(g, eps_area)
    values += _diou_term(g, eps_area)
    return values


def _ciou_values(g: _Geometry, eps_area, eps) -> np.ndarray:
    iou_term = _iou_term(g, eps_area)
    gap = _angle_gap(g)
    v = _CIOU_K * (gap * gap)
    values = _ciou_term(iou_term, v, eps)
    values += iou_term
    values += _diou_term(g, eps_area)
    return values


def iou_loss(
    boxes_true: ArrayLike,
    boxes_pred: ArrayLike,
    *,
    eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    r"""IoU loss: one minus the intersection over union of matching boxes.

    The plainest overlap loss: scale-invariant, unlike an L1 or smooth-L1
    loss on coordinates, but flat (gradient 0) as soon as the boxes stop
    overlapping, which :func:`giou_loss` and :func:`diou_loss` fix.

    .. math::

        \ell = 1 - \frac{I}{U + \epsilon}

    with :math:`I` and :math:`U` the areas of the intersection and the
    union of ``boxes_true[i]`` and ``boxes_pred[i]``, and
    :math:`\epsilon` = ``eps``.

    Parameters
    ----------
    boxes_true : array-like of shape (..., 4)
        Target boxes ``(x1, y1, x2, y2)``, ``x1 <= x2``, ``y1 <= y2``.
    boxes_pred : array-like of shape (..., 4)
        Predicted boxes, the same shape as ``boxes_true``.
    eps : float, default=1e-7
        Added to the union (torchvision's placement). ``eps=0`` gives the
        exact IoU loss; it must be >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the boxes.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; shape ``(...)`` (one value
        per box) for ``"none"``. In [0, 1].

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite, not of shape
        ``(..., 4)`` or has a box with ``x2 < x1`` or ``y2 < y1``, ``eps``
        is negative, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    torchvision has no separate IoU loss; this is the first part of its
    ``generalized_box_iou_loss``, with the same ``eps`` placement, and the
    loss UnitBox writes as :math:`-\ln \mathrm{IoU}` taken without the log.
    ``eps`` is an absolute area: for boxes whose area is comparable to it
    (e.g. normalised coordinates of tiny objects) it visibly lowers the
    IoU; pass ``eps=0`` for the exact value.

    Zero-area boxes: with ``eps > 0`` a zero-area box compared with itself
    has IoU 0 and loss **1**, as in torchvision (pytorch/vision#7746). With
    ``eps=0`` that case is 0/0; lossbook defines it as the limit
    :math:`\epsilon \to 0^+`, the same loss 1, so the loss is never NaN.

    The gradient (:func:`lossbook.gradient`) is exact away from the kinks;
    where a predicted edge is level with a true edge, or the boxes just
    touch, it is the one-sided derivative as that predicted coordinate
    increases (the right derivative, a sub- or super-gradient of the
    kink). A ratio whose denominator is 0 (two zero-area boxes with
    ``eps=0``) is constant at its limit, so its derivative is taken as 0.
    The gradient is finite wherever the loss is, also for touching,
    zero-width and zero-area boxes, for coordinates near the float range
    (each pair is differentiated in its own scaled frame) and for any
    ``eps``.

    Values near the float range: every quantity is formed without
    overflow (pairs with huge coordinates, or with a union below the
    normal range, are computed scaled by a power of two), so the loss is
    the exact value, rounded, wherever that is representable, and no
    warning is raised.

    See Also
    --------
    giou_loss, diou_loss, ciou_loss : IoU plus one more term.
    box_iou : Pairwise IoU.

    References
    ----------
    Yu et al. (2016), *UnitBox: An Advanced Object Detection Network*,
    arXiv:1608.01471 [yu2016unitbox]; Rahman and Wang (2016), *Optimizing
    Intersection-Over-Union in Deep Neural Networks for Image
    Segmentation* [rahman2016iou].

    Examples
    --------
    >>> from lossbook.boxes import iou_loss
    >>> big = [[0.0, 0.0, 2.0, 2.0]] * 3
    >>> pred = [[0.0, 0.0, 2.0, 2.0],  # identical: loss 0
    ...         [0.0, 0.0, 1.0, 1.0],  # a quarter of it: IoU 1/4
    ...         [2.0, 0.0, 3.0, 1.0]]  # touching an edge: IoU 0
    >>> iou_loss(big, pred, eps=0.0, reduction="none")
    array([0.  , 0.75, 1.  ])
    """
    bt, bp, eps, _ = _prepare(boxes_true, boxes_pred, eps, reduction)
    return reduce(_elementwise(bt, bp, eps, _iou_values, twin="iou"),
                  reduction)


def giou_loss(
    boxes_true: ArrayLike,
    boxes_pred: ArrayLike,
    *,
    eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Generalized IoU loss: the IoU loss plus the empty share of the
    enclosing box.

    Unlike the IoU loss it still has a gradient when the boxes do not
    overlap: it pulls them together by shrinking the smallest box that
    encloses both.

    .. math::

        \ell = 1 - \frac{I}{U + \epsilon} + \frac{C - U}{C + \epsilon}

    with :math:`C` the area of the smallest box enclosing
    ``boxes_true[i]`` and ``boxes_pred[i]``.

    Parameters
    ----------
    boxes_true : array-like of shape (..., 4)
        Target boxes ``(x1, y1, x2, y2)``, ``x1 <= x2``, ``y1 <= y2``.
    boxes_pred : array-like of shape (..., 4)
        Predicted boxes, the same shape as ``boxes_true``.
    eps : float, default=1e-7
        Added to the union and to the enclosing area (torchvision's
        placement). ``eps=0`` gives the paper's formula; it must be >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the boxes.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; shape ``(...)`` for
        ``"none"``. In [0, 2): near 2 for distant boxes.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite, not of shape
        ``(..., 4)`` or has a box with ``x2 < x1`` or ``y2 < y1``, ``eps``
        is negative, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torchvision.ops.generalized_box_iou_loss`` (``eps=1e-7``),
    whose default reduction is ``"none"`` where lossbook's is ``"mean"``.
    A zero-area box compared with itself gives loss 1 there and here
    (pytorch/vision#7746). With ``eps=0`` each 0/0 ratio (zero union, or
    zero enclosing area) is taken as its limit :math:`\epsilon \to 0^+`,
    which is 0, so the loss is never NaN. The term :math:`C - U` is
    computed as the area covered by neither box, not as a difference.

    The gradient is exact away from the kinks, and the right derivative
    there (each predicted coordinate increasing), as for :func:`iou_loss`;
    it is finite for touching, zero-width and zero-area boxes, and for
    ``eps`` up to the float maximum (``eps=1e308`` gives the loss 1).

    See Also
    --------
    iou_loss : Without the enclosing-box term.
    diou_loss : Penalises the centre distance instead.
    generalized_box_iou : Pairwise GIoU.

    References
    ----------
    Rezatofighi et al. (2019), *Generalized Intersection over Union: A
    Metric and a Loss for Bounding Box Regression*, arXiv:1902.09630
    [rezatofighi2019giou].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.boxes import giou_loss
    >>> # unit boxes one unit apart: IoU 0, C = 3, U = 2, loss 1 + 1/3;
    >>> # a 2x2 box and its top-right quarter: C = U, loss 1 - 1/4
    >>> np.round(giou_loss([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]],
    ...                    [[2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 2.0, 2.0]],
    ...                    eps=0.0, reduction="none"), 6)
    array([1.333333, 0.75    ])
    """
    bt, bp, eps, _ = _prepare(boxes_true, boxes_pred, eps, reduction)
    return reduce(_elementwise(bt, bp, eps, _giou_values, enclosing=True,
                               twin="giou"),
                  reduction)


def diou_loss(
    boxes_true: ArrayLike,
    boxes_pred: ArrayLike,
    *,
    eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Distance-IoU loss: the IoU loss plus the normalised distance
    between the centres.

    Converges faster than GIoU: the penalty pulls the centres together
    directly, and it does not vanish when one box contains the other.

    .. math::

        \ell = 1 - \frac{I}{U + \epsilon} + \frac{\rho^2}{c^2 + \epsilon}

    with :math:`\rho` the distance between the centres of
    ``boxes_true[i]`` and ``boxes_pred[i]`` and :math:`c` the diagonal of
    their enclosing box.

    Parameters
    ----------
    boxes_true : array-like of shape (..., 4)
        Target boxes ``(x1, y1, x2, y2)``, ``x1 <= x2``, ``y1 <= y2``.
    boxes_pred : array-like of shape (..., 4)
        Predicted boxes, the same shape as ``boxes_true``.
    eps : float, default=1e-7
        Added to the union and to the squared diagonal :math:`c^2`
        (torchvision's placement). ``eps=0`` gives the paper's formula; it
        must be >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the boxes.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; shape ``(...)`` for
        ``"none"``. In [0, 2).

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite, not of shape
        ``(..., 4)`` or has a box with ``x2 < x1`` or ``y2 < y1``, ``eps``
        is negative, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``torchvision.ops.distance_box_iou_loss`` (``eps=1e-7``, default
    reduction ``"none"`` there). Swapping the two arguments leaves the
    value unchanged. For concentric boxes :math:`\rho = 0` and it equals
    :func:`iou_loss`. With ``eps=0`` each 0/0 ratio is taken as its limit
    :math:`\epsilon \to 0^+`, 0. The gradient is exact away from the kinks
    and the right derivative there (each predicted coordinate
    increasing), as for :func:`iou_loss`; it is finite for touching,
    zero-width and zero-area boxes and for any ``eps``.

    See Also
    --------
    ciou_loss : Adds an aspect-ratio term.
    giou_loss : Penalises the empty part of the enclosing box instead.

    References
    ----------
    Zheng et al. (2020), *Distance-IoU Loss: Faster and Better Learning for
    Bounding Box Regression*, AAAI 34(07), arXiv:1911.08287
    [zheng2020diou].

    Examples
    --------
    >>> from lossbook.boxes import diou_loss
    >>> # unit boxes one unit apart: IoU 0, rho^2 = 2^2, c^2 = 3^2 + 1^2
    >>> float(diou_loss([0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 1.0],
    ...                 eps=0.0))
    1.4
    """
    bt, bp, eps, _ = _prepare(boxes_true, boxes_pred, eps, reduction)
    return reduce(_elementwise(bt, bp, eps, _diou_values, distance=True,
                               twin="diou"),
                  reduction)


def ciou_loss(
    boxes_true: ArrayLike,
    boxes_pred: ArrayLike,
    *,
    eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Complete-IoU loss: the DIoU loss plus an aspect-ratio term.

    Adds the third geometric factor, the shape: among boxes with the same
    overlap and centre, it prefers the one whose width-to-height ratio
    matches the target's.

    .. math::

        \ell = \ell_{\mathrm{DIoU}} + \alpha v, \quad
        v = \frac{4}{\pi^2}\Bigl(\arctan\frac{w}{h}
            - \arctan\frac{\hat w}{\hat h}\Bigr)^2, \quad
        \alpha = \frac{v}{1 - I/(U + \epsilon) + v + \epsilon}

    with :math:`(w, h)` the size of ``boxes_true[i]`` and
    :math:`(\hat w, \hat h)` that of ``boxes_pred[i]``.

    Parameters
    ----------
    boxes_true : array-like of shape (..., 4)
        Target boxes ``(x1, y1, x2, y2)``, ``x1 <= x2``, ``y1 <= y2``.
    boxes_pred : array-like of shape (..., 4)
        Predicted boxes, the same shape as ``boxes_true``.
    eps : float, default=1e-7
        Added to the union, to :math:`c^2` and to the denominator of
        :math:`\alpha` (torchvision's placement). ``eps=0`` gives the
        paper's formula; it must be >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the boxes.

    Returns
    -------
    numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; shape ``(...)`` for
        ``"none"``. Non-negative, below 3.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite, not of shape
        ``(..., 4)`` or has a box with ``x2 < x1`` or ``y2 < y1``, ``eps``
        is negative, or ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches the value of ``torchvision.ops.complete_box_iou_loss``
    (``eps=1e-7``, default reduction ``"none"`` there). It is symmetric in
    its two arguments (:math:`v` is a square) and equals :func:`diou_loss`
    when the aspect ratios are equal (:math:`v = 0`).

    The gradient is exact away from the kinks and the right derivative at
    them, as for :func:`iou_loss`. For a point box (w = h = 0) the angle is
    constant (0) and its derivative is taken as 0; the gradient is finite
    for touching, zero-width and zero-area boxes and for any ``eps``.

    **Differs in the gradient.** torchvision treats
    :math:`\alpha` as a constant when differentiating (torchvision computes
    it under ``torch.no_grad()``). lossbook's gradient
    (:func:`lossbook.gradient`) is the true derivative of the value above,
    :math:`\alpha` included, which is what a check against finite
    differences sees.

    The angles are computed as :math:`\operatorname{atan2}(w, h)`, equal to
    :math:`\arctan(w/h)` for :math:`h > 0` and finite for :math:`h = 0`
    (where torchvision divides by zero); a point box has angle 0. Where
    :math:`1 - \mathrm{IoU} + v + \epsilon = 0` (identical boxes with
    ``eps=0``, a 0/0 in torchvision) :math:`\alpha v` is 0, its limit.

    See Also
    --------
    diou_loss : Without the aspect-ratio term.

    References
    ----------
    Zheng et al. (2020), *Distance-IoU Loss: Faster and Better Learning for
    Bounding Box Regression*, AAAI 34(07), arXiv:1911.08287
    [zheng2020diou].

    Examples
    --------
    >>> from lossbook.boxes import ciou_loss
    >>> # same aspect ratio (both square), one inside the other, concentric:
    >>> # v = 0, rho = 0, so only 1 - IoU = 1 - 1/4 is left
    >>> float(ciou_loss([0.0, 0.0, 2.0, 2.0], [0.5, 0.5, 1.5, 1.5],
    ...                 eps=0.0))
    0.75
    """
    bt, bp, eps, _ = _prepare(boxes_true, boxes_pred, eps, reduction)
    return reduce(_elementwise(bt, bp, eps, _ciou_values, distance=True),
                  reduction)


# ---------------------------------------------------------------------------
# gradients with respect to boxes_pred
# ---------------------------------------------------------------------------


class _Slopes(NamedTuple):
    """Derivatives in the four predicted coordinates, each ``(..., 4)``."""

    inter: np.ndarray
    union: np.ndarray
    enclosing: np.ndarray
    diagonal2: np.ndarray
    centre2: np.ndarray


def _axis_slopes(
    t1: np.ndarray, t2: np.ndarray, p1: np.ndarray, p2: np.ndarray
) -> tuple[np.ndarray, ...]:
    """One-sided slopes (coordinate increasing) of the overlap and the
    enclosing length in ``p1`` and ``p2``.

    A tie is resolved as if the predicted coordinate were a little larger:
    ``max(p1, t1)`` follows ``p1`` when ``p1 >= t1``, ``min(p2, t2)``
    follows ``p2`` only when ``p2 < t2``, and so on; an overlap of exactly
    0 grows only with ``p2``.
    """
    overlap = np.minimum(t2, p2) - np.maximum(t1, p1)
    d_inter_p1 = -((overlap > 0) & (p1 >= t1)).astype(np.int8)
    d_inter_p2 = ((overlap >= 0) & (p2 < t2)).astype(np.int8)
    d_enc_p1 = -(p1 < t1).astype(np.int8)
    d_enc_p2 = (p2 >= t2).astype(np.int8)
    return (np.maximum(overlap, 0), d_inter_p1, d_inter_p2,
            np.maximum(t2, p2) - np.minimum(t1, p1), d_enc_p1, d_enc_p2)


def _slopes(bt: np.ndarray, bp: np.ndarray) -> _Slopes:
    iw, dix1, dix2, cw, dcx1, dcx2 = _axis_slopes(
        bt[..., 0], bt[..., 2], bp[..., 0], bp[..., 2])
    ih, diy1, diy2, ch, dcy1, dcy2 = _axis_slopes(
        bt[..., 1], bt[..., 3], bp[..., 1], bp[..., 3])
    wp, hp = bp[..., 2] - bp[..., 0], bp[..., 3] - bp[..., 1]
    dx = ((bp[..., 0] - bt[..., 0]) + (bp[..., 2] - bt[..., 2])) / 2
    dy = ((bp[..., 1] - bt[..., 1]) + (bp[..., 3] - bt[..., 3])) / 2

    def stack(a, b, c, d):
        return np.stack(np.broadcast_arrays(a, b, c, d), axis=-1).astype(
            bp.dtype, copy=False)

    inter = stack(ih * dix1, iw * diy1, ih * dix2, iw * diy2)
    area_pred = stack(-hp, -wp, hp, wp)
    return _Slopes(
        inter=inter,
        union=area_pred - inter,
        enclosing=stack(ch * dcx1, cw * dcy1, ch * dcx2, cw * dcy2),
        # d(cw^2 + ch^2) = 2 cw dcw + 2 ch dch
        diagonal2=2 * stack(cw * dcx1, ch * dcy1, cw * dcx2, ch * dcy2),
        # d(dx^2 + dy^2)/dp1 = 2 dx * 1/2, the centre moving by half a step
        centre2=stack(dx, dy, dx, dy),
    )


def _ratio_slope(
    num: np.ndarray, d_num: np.ndarray, den: np.ndarray, d_den: np.ndarray
) -> np.ndarray:
    """Quotient rule as ``(num' - (num/den) den') / den``; 0 where den = 0.

    Dividing once by ``den`` (not by ``den**2``) keeps it finite for a
    huge ``eps``.
    """
    r = _div0(num, den)[..., None]
    den = den[..., None]
    slope = d_num - r * d_den
    return np.divide(slope, den, out=np.zeros_like(slope), where=den > 0)


def _iou_slope(g: _Geometry, s: _Slopes, eps: float) -> np.ndarray:
    # d(1 - I/(U + eps)) = -d(I/(U + eps))
    return -_ratio_slope(g.inter, s.inter, g.union + eps, s.union)


def _giou_slope(g: _Geometry, s: _Slopes, eps: float) -> np.ndarray:
    return _ratio_slope(g.uncovered, s.enclosing - s.union,
                        g.enclosing + eps, s.enclosing)


def _diou_slope(g: _Geometry, s: _Slopes, eps: float) -> np.ndarray:
    return _ratio_slope(g.centre2, s.centre2, g.diagonal2 + eps,
                        s.diagonal2)


def _angle_slope(bp: np.ndarray) -> np.ndarray:
    """d atan2(w, h) in the predicted corners; 0 for a point box."""
    wp, hp = bp[..., 2] - bp[..., 0], bp[..., 3] - bp[..., 1]
    r2 = wp * wp + hp * hp
    d_w = _ratio(hp, r2)  # d atan2(w, h)/dw = h / (w^2 + h^2)
    d_h = _ratio(-wp, r2)  # d atan2(w, h)/dh = -w / (w^2 + h^2)
    return np.stack([-d_w, -d_h, d_w, d_h], axis=-1)


def _gradient(
    terms: Callable[..., np.ndarray],
    boxes_true: ArrayLike,
    boxes_pred: ArrayLike,
    eps: object,
    reduction: str,
    *,
    angles: bool = False,
) -> np.ndarray:
    bt, bp, eps, dtype = _prepare(boxes_true, boxes_pred, eps, reduction)
    shape = bt.shape
    # every pair in its scaled frame (exact for ordinary boxes); the loss
    # does not change with the scale, so d/dx = 2**-k d/dx_scaled
    t, p, k, e = _scaled(bt.reshape(-1, 4), bp.reshape(-1, 4), eps)
    g, s = _geometry(t, p), _slopes(t, p)
    if angles:
        g = g._replace(sizes=_own_sizes(bt.reshape(-1, 4),
                                        bp.reshape(-1, 4)))
    grad = terms(t, p, g, s, e, _eps_raw(eps, t.dtype))
    with np.errstate(under="ignore"):
        grad = np.ldexp(grad, -k[:, None]).reshape(shape)
    count = grad.size // 4
    with np.errstate(over="ignore"):  # beyond float32's range: inf
        return reduce_gradient(grad, reduction, count=count).astype(
            dtype, copy=False)


def _iou_loss_gradient(
    boxes_true: ArrayLike, boxes_pred: ArrayLike, *, eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    def terms(bt, bp, g, s, eps, eps_raw):
        return _iou_slope(g, s, eps)
    return _gradient(terms, boxes_true, boxes_pred, eps, reduction)


def _giou_loss_gradient(
    boxes_true: ArrayLike, boxes_pred: ArrayLike, *, eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    def terms(bt, bp, g, s, eps, eps_raw):
        return _iou_slope(g, s, eps) + _giou_slope(g, s, eps)
    return _gradient(terms, boxes_true, boxes_pred, eps, reduction)


def _diou_loss_gradient(
    boxes_true: ArrayLike, boxes_pred: ArrayLike, *, eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    def terms(bt, bp, g, s, eps, eps_raw):
        return _iou_slope(g, s, eps) + _diou_slope(g, s, eps)
    return _gradient(terms, boxes_true, boxes_pred, eps, reduction)


def _ciou_loss_gradient(
    boxes_true: ArrayLike, boxes_pred: ArrayLike, *, eps: float = 1e-7,
    reduction: str = "mean",
) -> np.ndarray:
    def terms(bt, bp, g, s, eps, eps_raw):
        iou_term = _iou_term(g, eps)
        d_iou = _iou_slope(g, s, eps)
        gap = _angle_gap(g)
        v = _CIOU_K * gap * gap
        # v = k (theta_true - theta_pred)^2, so dv = -2 k gap d theta_pred
        d_v = -2 * _CIOU_K * gap[..., None] * _angle_slope(bp)
        # alpha v = v^2 / S with S = (1 - iou) + v + eps, alpha not frozen
        alpha_v = _ratio_slope(v * v, 2 * v[..., None] * d_v,
                               iou_term + v + eps_raw, d_iou + d_v)
        return d_iou + _diou_slope(g, s, eps) + alpha_v
    return _gradient(terms, boxes_true, boxes_pred, eps, reduction,
                     angles=True)


GRADIENTS: dict[Callable, Callable] = {
    iou_loss: _iou_loss_gradient,
    giou_loss: _giou_loss_gradient,
    diou_loss: _diou_loss_gradient,
    ciou_loss: _ciou_loss_gradient,
}
