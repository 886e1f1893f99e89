r"""Anchor-relative box coordinates: the R-CNN box parameterisation.

Two-stage detectors (R-CNN, Fast and Faster R-CNN) and many one-stage
ones do not regress the four corners of a box directly. They predict
four numbers *relative to a reference box*, the anchor (or proposal):
the shift of the centre in units of the anchor's width and height, and
the log of the ratio of the sizes. :func:`encode_boxes` turns a box into
those numbers, :func:`decode_boxes` turns them back into a box; the box
regression loss (smooth L1, :func:`lossbook.smooth_l1`) is then taken
between the encoded target and the network's output.

Boxes and anchors are ``(..., 4)`` arrays in corner form ``(x1, y1, x2,
y2)``, as everywhere in lossbook. Both need a positive width and height:
the encoding divides by the anchor's size and takes the log of the
box's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    as_float_array,
    check_boxes,
    check_same_shape,
    check_scalar,
    common_dtype,
)
from lossbook.boxes import box_convert

__all__ = ["ROI_HEAD_WEIGHTS", "decode_boxes", "encode_boxes"]

#: The weights torchvision's Faster R-CNN box head (and detectron2's ROI
#: head) use for ``(x, y, w, h)``; its RPN uses ``(1, 1, 1, 1)``.
ROI_HEAD_WEIGHTS = (10.0, 10.0, 5.0, 5.0)


def _sized_boxes(x: ArrayLike, name: str) -> np.ndarray:
    """``xyxy`` boxes whose widths and heights are all positive."""
    boxes = check_boxes(x, name)
    check_scalar(float((boxes[..., 2] - boxes[..., 0]).min()),
                 f"every width x2 - x1 of {name}", min_val=0.0,
                 include_min=False)
    check_scalar(float((boxes[..., 3] - boxes[..., 1]).min()),
                 f"every height y2 - y1 of {name}", min_val=0.0,
                 include_min=False)
    return boxes


def _weights(weights: Sequence[float]) -> tuple[float, ...]:
    """Four positive reals, as Python floats (they keep float32 float32)."""
    arr = as_float_array(weights, "weights")
    check_same_shape(arr, "weights", np.empty(4), "(wx, wy, ww, wh)")
    return tuple(
        check_scalar(float(w), f"weights[{i}]", min_val=0.0,
                     include_min=False)
        for i, w in enumerate(arr)
    )


def encode_boxes(
    boxes: ArrayLike,
    anchors: ArrayLike,
    *,
    weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
) -> np.ndarray:
    r"""Encode boxes relative to anchors as R-CNN regression targets.

    This is what a Faster R-CNN region proposal network, and its box
    head, learn to output: the centre shift in units of the anchor's
    size, and the log of the size ratio. The targets do not depend on the
    scale of the image, and a box twice as wide and a box half as wide as
    the anchor get targets of equal size and opposite sign.

    .. math::

        t_x = w_x \frac{x - x_a}{w_a}, \quad
        t_y = w_y \frac{y - y_a}{h_a}, \quad
        t_w = w_w \log\frac{w}{w_a}, \quad
        t_h = w_h \log\frac{h}{h_a}

    where :math:`(x, y, w, h)` is the centre and size of ``boxes[i]``,
    :math:`(x_a, y_a, w_a, h_a)` that of ``anchors[i]`` (both computed
    with :func:`lossbook.box_convert`) and :math:`(w_x, w_y, w_w, w_h)`
    are ``weights``.

    Parameters
    ----------
    boxes : array-like of shape (..., 4)
        Target boxes ``(x1, y1, x2, y2)`` with ``x2 > x1`` and ``y2 > y1``.
    anchors : array-like of shape (..., 4)
        Reference boxes, the same shape as ``boxes``, also with a positive
        width and height.
    weights : sequence of 4 floats, default=(1.0, 1.0, 1.0, 1.0)
        Positive factors ``(wx, wy, ww, wh)`` multiplying the four targets.
        The paper uses 1; torchvision's ``BoxCoder`` takes them as an
        argument, ``(1, 1, 1, 1)`` in its RPN and ``(10, 10, 5, 5)`` in its
        box head (:data:`ROI_HEAD_WEIGHTS`), which scales the targets to
        roughly unit variance.

    Returns
    -------
    numpy.ndarray of shape (..., 4)
        ``(t_x, t_y, t_w, t_h)`` per box; float32 if both inputs are
        float32, float64 otherwise.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite or not of shape
        ``(..., 4)``, a box or anchor has ``x2 <= x1`` or ``y2 <= y1``, or
        ``weights`` is not four positive numbers.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``BoxCoder.encode_single`` in
    ``torchvision.models.detection._utils`` (sizes ``x2 - x1``, without
    the ``+ 1`` of the original Caffe code). The log of the size ratio is
    computed as ``log1p((w - w_a) / w_a)``, which keeps full relative
    accuracy when the box and the anchor have nearly the same size.

    See Also
    --------
    decode_boxes : The inverse.
    lossbook.box_convert : Corner and centre-size formats.
    lossbook.smooth_l1 : The loss usually taken on these targets.

    References
    ----------
    Ren, He, Girshick and Sun (2015), *Faster R-CNN: Towards Real-Time
    Object Detection with Region Proposal Networks*, NeurIPS 28,
    arXiv:1506.01497 [ren2015faster], Eq. (2); the same
    parameterisation was introduced with R-CNN and used in Fast R-CNN
    [girshick2015fast].

    Examples
    --------
    >>> from lossbook.anchors import encode_boxes
    >>> # anchor: centre (5, 10), size 10 x 20; box: centre (10, 20),
    >>> # size 10 x 40, so t = (5/10, 10/20, log 1, log 2)
    >>> t = encode_boxes([[5.0, 0.0, 15.0, 40.0]], [[0.0, 0.0, 10.0, 20.0]])
    >>> np.round(t, 4)
    array([[0.5   , 0.5   , 0.    , 0.6931]])
    """
    b = _sized_boxes(boxes, "boxes")
    a = _sized_boxes(anchors, "anchors")
    check_same_shape(b, "boxes", a, "anchors")
    wx, wy, ww, wh = _weights(weights)
    dtype = common_dtype(b, a)
    b = box_convert(b.astype(dtype, copy=False), "xyxy", "cxcywh")
    a = box_convert(a.astype(dtype, copy=False), "xyxy", "cxcywh")
    return np.stack([
        wx * (b[..., 0] - a[..., 0]) / a[..., 2],
        wy * (b[..., 1] - a[..., 1]) / a[..., 3],
        # log(w / w_a) as log1p((w - w_a) / w_a): no rounding of the
        # ratio near 1, where the target is small
        ww * np.log1p((b[..., 2] - a[..., 2]) / a[..., 2]),
        wh * np.log1p((b[..., 3] - a[..., 3]) / a[..., 3]),
    ], axis=-1)


def decode_boxes(
    deltas: ArrayLike,
    anchors: ArrayLike,
    *,
    weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    max_log_scale: float | None = None,
) -> np.ndarray:
    r"""Turn regression outputs relative to anchors back into boxes.

    The inverse of :func:`encode_boxes`: a detector applies it to its
    outputs at inference time, and a detector trained with an IoU-type
    loss applies it before the loss.

    .. math::

        x = x_a + \frac{t_x}{w_x} w_a, \quad
        y = y_a + \frac{t_y}{w_y} h_a, \quad
        w = w_a \exp\frac{t_w}{w_w}, \quad
        h = h_a \exp\frac{t_h}{w_h}

    and the box is returned in corner form, ``(x - w/2, y - h/2, x + w/2,
    y + h/2)``.

    Parameters
    ----------
    deltas : array-like of shape (..., 4)
        ``(t_x, t_y, t_w, t_h)`` per box, any finite reals.
    anchors : array-like of shape (..., 4)
        Reference boxes ``(x1, y1, x2, y2)``, the same shape as
        ``deltas``, with ``x2 > x1`` and ``y2 > y1``.
    weights : sequence of 4 floats, default=(1.0, 1.0, 1.0, 1.0)
        The positive factors used in the encoding.
    max_log_scale : float or None, default=None
        If given, :math:`t_w / w_w` and :math:`t_h / w_h` are clamped to at
        most this value before the exponential, as torchvision does with
        ``bbox_xform_clip = log(1000 / 16)`` (a box at most 62.5 times as
        wide as its anchor). ``None`` decodes exactly.

    Returns
    -------
    numpy.ndarray of shape (..., 4)
        Boxes ``(x1, y1, x2, y2)``; float32 if both inputs are float32,
        float64 otherwise. A very negative size target can give a box of
        zero width or height (``exp`` underflows), never a reversed one.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, not finite or not of shape
        ``(..., 4)``, an anchor has ``x2 <= x1`` or ``y2 <= y1``,
        ``weights`` is not four positive numbers, or a decoded width or
        height overflows to infinity (pass ``max_log_scale``).
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``BoxCoder.decode_single`` in
    ``torchvision.models.detection._utils`` when ``max_log_scale`` is set
    to its ``bbox_xform_clip``; torchvision always clamps, lossbook only
    when asked, so that :func:`decode_boxes` is the exact inverse of
    :func:`encode_boxes`.

    See Also
    --------
    encode_boxes : The encoding.

    References
    ----------
    Ren, He, Girshick and Sun (2015), *Faster R-CNN*, arXiv:1506.01497
    [ren2015faster].

    Examples
    --------
    >>> from lossbook.anchors import decode_boxes, encode_boxes
    >>> anchor = [[0.0, 0.0, 10.0, 20.0]]
    >>> decode_boxes([[0.5, 0.5, 0.0, np.log(2.0)]], anchor)
    array([[ 5.,  0., 15., 40.]])
    >>> box = [[2.0, 3.0, 7.0, 4.0]]
    >>> t = encode_boxes(box, anchor, weights=(10.0, 10.0, 5.0, 5.0))
    >>> decode_boxes(t, anchor, weights=(10.0, 10.0, 5.0, 5.0))
    array([[2., 3., 7., 4.]])
    """
    t = as_float_array(deltas, "deltas")
    # an all-zero array of the same shape passes every corner check, so
    # this call checks the (..., 4) shape alone
    check_boxes(np.zeros(t.shape, dtype=t.dtype), "deltas")
    a = _sized_boxes(anchors, "anchors")
    check_same_shape(t, "deltas", a, "anchors")
    wx, wy, ww, wh = _weights(weights)
    if max_log_scale is not None:
        max_log_scale = check_scalar(max_log_scale, "max_log_scale")
    dtype = common_dtype(t, a)
    t = t.astype(dtype, copy=False)
    a = box_convert(a.astype(dtype, copy=False), "xyxy", "cxcywh")
    log_w, log_h = t[..., 2] / ww, t[..., 3] / wh
    if max_log_scale is not None:
        log_w = np.minimum(log_w, dtype.type(max_log_scale))
        log_h = np.minimum(log_h, dtype.type(max_log_scale))
    with np.errstate(over="ignore"):
        w, h = a[..., 2] * np.exp(log_w), a[..., 3] * np.exp(log_h)
    hint = "(exp overflowed; pass max_log_scale to clamp the size targets)"
    w = as_float_array(w, f"every decoded width {hint}")
    h = as_float_array(h, f"every decoded height {hint}")
    centre_size = np.stack([
        a[..., 0] + t[..., 0] / wx * a[..., 2],
        a[..., 1] + t[..., 1] / wy * a[..., 3],
        w,
        h,
    ], axis=-1)
    return box_convert(centre_size, "cxcywh", "xyxy")
