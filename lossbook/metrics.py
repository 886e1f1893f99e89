r"""Evaluation metrics the book reports beside its losses.

A loss is what training minimises; a metric is what a reader judges the
result by. For a rare positive class the metric of choice is the
precision-recall curve and its summary, average precision (AP), because
accuracy and even the ROC curve look good for a model that ignores the
rare class. :func:`precision_recall_curve` and :func:`average_precision`
follow scikit-learn's definitions exactly (the step-wise AP, no
interpolation); :func:`precision_at_threshold` and
:func:`recall_at_threshold` give one operating point; :func:`mask_iou` is
the intersection over union of binary segmentation masks.

Every function here takes the target first, validates its inputs with
``lossbook._validation``, and returns float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    as_float_array,
    as_labels,
    check_axes,
    check_has_positive,
    check_same_shape,
    check_scalar,
)

__all__ = [
    "average_precision",
    "mask_iou",
    "precision_at_threshold",
    "precision_recall_curve",
    "recall_at_threshold",
]


def _binary_inputs(
    y_true: ArrayLike, scores: ArrayLike, scores_name: str = "scores"
) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and finite float64 scores of one shape, flattened."""
    s = as_float_array(scores, scores_name).astype(np.float64, copy=False)
    y = as_labels(y_true, "y_true", 2)
    check_same_shape(y, "y_true", s, scores_name)
    return y.ravel(), s.ravel()


def _require_positive(y: np.ndarray) -> None:
    check_has_positive(
        y, "y_true", what="at least one positive (1)",
        why="recall is undefined without positives",
    )


def precision_recall_curve(
    y_true: ArrayLike, scores: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Precision and recall of "positive if score >= t" at every threshold.

    Sweeping the threshold :math:`t` down through the distinct scores
    traces how much of the positive class is found (recall) against how
    clean the predicted positives are (precision). For a rare class this
    says far more than accuracy or the ROC curve.

    .. math::

        P(t) = \frac{TP(t)}{TP(t) + FP(t)}, \qquad
        R(t) = \frac{TP(t)}{\#\{i : y_i = 1\}},

    where :math:`TP(t)` and :math:`FP(t)` count the positives and negatives
    with ``scores >= t``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Binary labels, 0 or 1 (booleans and whole-number floats accepted),
        with at least one 1.
    scores : array-like of shape (...)
        Any finite scores, higher meaning "more positive": probabilities,
        logits, or anything monotone in them (the curve depends only on the
        ranking).

    Returns
    -------
    precision : numpy.ndarray of shape (K + 1,)
        ``precision[k]`` at ``thresholds[k]``; the last entry is 1.
    recall : numpy.ndarray of shape (K + 1,)
        ``recall[k]`` at ``thresholds[k]``, non-increasing; the last entry
        is 0.
    thresholds : numpy.ndarray of shape (K,)
        The K distinct values of ``scores``, increasing.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, ``scores`` holds NaN or
        infinity, ``y_true`` holds anything but 0 and 1, or no 1 at all.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``sklearn.metrics.precision_recall_curve`` (scikit-learn
    >= 1.1, ``drop_intermediate=False``), including the appended point
    (recall 0, precision 1) and the order of the arrays. Tied scores form
    one threshold. The lowest threshold predicts everything positive, so
    its precision is the prevalence of the positive class.

    See Also
    --------
    average_precision : The area-like summary of this curve.

    References
    ----------
    Manning, Raghavan and Schütze (2008), *Introduction to Information
    Retrieval*, ch. 8, Cambridge University Press.

    Examples
    --------
    >>> from lossbook.metrics import precision_recall_curve
    >>> # at t = 0.8 one positive, nothing else: P = 1, R = 1/2; at
    >>> # t = 0.35 two positives and one negative: P = 2/3, R = 1
    >>> p, r, t = precision_recall_curve([0, 0, 1, 1],
    ...                                  [0.1, 0.4, 0.35, 0.8])
    >>> p.round(4).tolist()
    [0.5, 0.6667, 0.5, 1.0, 1.0]
    >>> r.tolist()
    [1.0, 1.0, 0.5, 0.5, 0.0]
    >>> t.tolist()
    [0.1, 0.35, 0.4, 0.8]
    """
    y, s = _binary_inputs(y_true, scores)
    _require_positive(y)
    # stable sort, highest score first; the last index of each run of tied
    # scores is where that threshold's counts are complete
    order = np.argsort(s, kind="stable")[::-1]
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(y)[last].astype(np.float64)
    predicted = (last + 1).astype(np.float64)  # TP + FP, never 0
    precision = tps / predicted
    recall = tps / tps[-1]
    return (
        np.r_[precision[::-1], 1.0],
        np.r_[recall[::-1], 0.0],
        s[last][::-1].copy(),
    )


def average_precision(y_true: ArrayLike, scores: ArrayLike) -> np.float64:
    r"""Average precision: precision averaged over the recall gained.

    The step-wise summary of :func:`precision_recall_curve`: each
    threshold contributes its precision, weighted by the recall it adds.
    1 for a perfect ranking; about the prevalence of the positive class for
    a random one.

    .. math::

        \mathrm{AP} = \sum_n (R_n - R_{n-1})\, P_n,

    over the thresholds in decreasing order, with :math:`R_0 = 0`.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Binary labels, 0 or 1, with at least one 1.
    scores : array-like of shape (...)
        Any finite scores, higher meaning "more positive".

    Returns
    -------
    numpy.float64
        AP in (0, 1].

    Raises
    ------
    ValueError
        As :func:`precision_recall_curve`.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``sklearn.metrics.average_precision_score`` for binary labels.
    It is not the trapezoidal area under the PR curve (which is optimistic
    where precision drops between thresholds), nor the interpolated
    11-point AP of PASCAL VOC, nor COCO's AP, which averages an
    interpolated AP over IoU thresholds and classes.

    See Also
    --------
    precision_recall_curve : The curve being summarised.

    References
    ----------
    Zhu (2004), *Recall, Precision and Average Precision*, University of
    Waterloo; scikit-learn's ``average_precision_score``.

    Examples
    --------
    >>> from lossbook.metrics import average_precision
    >>> # recall steps of 1/2 at precision 1 and at precision 2/3:
    >>> # 1/2 * 1 + 1/2 * 2/3 = 5/6
    >>> round(float(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])),
    ...       6)
    0.833333
    >>> float(average_precision([0, 1], [0.2, 0.9]))  # perfect ranking
    1.0
    """
    precision, recall, _ = precision_recall_curve(y_true, scores)
    # recall falls along the returned arrays, so -diff is each step's gain
    return np.float64(-np.sum(np.diff(recall) * precision[:-1]))


def _confusion(
    y_true: ArrayLike,
    scores: ArrayLike,
    threshold: float,
    *,
    require_positive: bool = False,
) -> tuple[int, int, int]:
    """True positives, predicted positives and actual positives."""
    y, s = _binary_inputs(y_true, scores)
    threshold = check_scalar(threshold, "threshold")
    if require_positive:
        _require_positive(y)
    predicted = s >= threshold
    return int((predicted & (y == 1)).sum()), int(predicted.sum()), int(
        y.sum()
    )


def precision_at_threshold(
    y_true: ArrayLike,
    scores: ArrayLike,
    threshold: float = 0.5,
    *,
    zero_division: float = 0.0,
) -> np.float64:
    r"""Precision of the rule "positive if score >= threshold".

    .. math:: P = \frac{TP}{TP + FP}

    Parameters
    ----------
    y_true : array-like of shape (...)
        Binary labels, 0 or 1.
    scores : array-like of shape (...)
        Finite scores; use ``threshold=0.5`` for probabilities and
        ``threshold=0`` for logits (the same rule).
    threshold : float, default=0.5
        Scores at or above it are predicted positive.
    zero_division : float in [0, 1], default=0.0
        The value returned when nothing is predicted positive.

    Returns
    -------
    numpy.float64

    Raises
    ------
    ValueError
        On mismatched shapes, empty input, NaN or infinity, labels other
        than 0 and 1, a non-finite ``threshold`` or ``zero_division``
        outside [0, 1].
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``sklearn.metrics.precision_score(y_true, scores >= threshold,
    zero_division=...)``.

    See Also
    --------
    recall_at_threshold, precision_recall_curve

    Examples
    --------
    >>> from lossbook.metrics import precision_at_threshold
    >>> # 0.6 and 0.9 are predicted positive; one of them is: P = 1/2
    >>> float(precision_at_threshold([0, 1, 1], [0.6, 0.9, 0.2]))
    0.5
    """
    zero_division = check_scalar(
        zero_division, "zero_division", min_val=0.0, max_val=1.0
    )
    tp, predicted, _ = _confusion(y_true, scores, threshold)
    return np.float64(tp / predicted if predicted else zero_division)


def recall_at_threshold(
    y_true: ArrayLike, scores: ArrayLike, threshold: float = 0.5
) -> np.float64:
    r"""Recall (true-positive rate) of "positive if score >= threshold".

    .. math:: R = \frac{TP}{TP + FN}

    Parameters
    ----------
    y_true : array-like of shape (...)
        Binary labels, 0 or 1, with at least one 1.
    scores : array-like of shape (...)
        Finite scores; use ``threshold=0.5`` for probabilities and
        ``threshold=0`` for logits.
    threshold : float, default=0.5
        Scores at or above it are predicted positive.

    Returns
    -------
    numpy.float64

    Raises
    ------
    ValueError
        On mismatched shapes, empty input, NaN or infinity, labels other
        than 0 and 1, no positive label, or a non-finite ``threshold``.
    TypeError
        If an input is not numeric.

    Notes
    -----
    Matches ``sklearn.metrics.recall_score(y_true, scores >= threshold)``,
    except that scikit-learn returns 0 with a warning where there is no
    positive label and this function raises.

    See Also
    --------
    precision_at_threshold, precision_recall_curve

    Examples
    --------
    >>> from lossbook.metrics import recall_at_threshold
    >>> # of the positives (scores 0.9 and 0.2) only 0.9 passes: R = 1/2
    >>> float(recall_at_threshold([0, 1, 1], [0.6, 0.9, 0.2]))
    0.5
    """
    tp, _, positives = _confusion(
        y_true, scores, threshold, require_positive=True
    )
    return np.float64(tp / positives)


def mask_iou(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    axis: int | tuple[int, ...] | None = None,
    empty_value: float = 1.0,
) -> np.ndarray:
    r"""Intersection over union (Jaccard index) of binary masks.

    The standard score of a segmentation: the overlap of the predicted and
    true foreground divided by their union, 1 for a perfect mask and 0 for
    no overlap.

    .. math::

        \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|}
        = \frac{\sum_i a_i b_i}{\sum_i a_i + \sum_i b_i - \sum_i a_i b_i},

    with :math:`a` = ``y_true`` and :math:`b` = ``y_pred``, the sums taken
    over ``axis``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (...)
        Binary masks of one shape, 0 or 1 (booleans and whole-number
        floats accepted). Threshold probabilities before calling.
    axis : int, tuple of int or None, default=None
        The axes summed over: ``None`` for one IoU of the whole arrays,
        e.g. ``(1, 2)`` for one IoU per image of an ``(N, H, W)`` batch.
    empty_value : float in [0, 1], default=1.0
        The IoU where both masks are empty (the union is 0): 1 counts
        "nothing there, nothing predicted" as a perfect answer.

    Returns
    -------
    numpy.ndarray
        float64; a 0-d array for ``axis=None``, else the shape of the
        inputs without ``axis``.

    Raises
    ------
    ValueError
        On mismatched shapes, empty input, values other than 0 and 1, an
        axis out of range, or ``empty_value`` outside [0, 1].
    TypeError
        If an input is not numeric.

    Notes
    -----
    The hard-mask metric that :func:`lossbook.soft_iou_loss` relaxes: with
    0/1 masks and ``smooth=0``, ``soft_iou_loss`` is ``1 - mask_iou``.
    Per-image IoUs averaged over a batch differ from one IoU of the pooled
    pixels; say which one you report.

    See Also
    --------
    lossbook.soft_iou_loss : The differentiable loss built on it.

    References
    ----------
    Jaccard (1912), *The distribution of the flora in the alpine zone*,
    New Phytologist 11(2):37-50; Everingham et al. (2010), *The PASCAL
    Visual Object Classes (VOC) Challenge*, IJCV 88:303-338.

    Examples
    --------
    >>> from lossbook.metrics import mask_iou
    >>> # overlap 1 pixel, union 3 pixels
    >>> round(float(mask_iou([1, 1, 0, 0], [0, 1, 1, 0])), 6)
    0.333333
    >>> mask_iou([[1, 0], [0, 0]], [[1, 0], [0, 1]], axis=1).tolist()
    [1.0, 0.0]
    """
    empty_value = check_scalar(
        empty_value, "empty_value", min_val=0.0, max_val=1.0
    )
    a = as_labels(y_true, "y_true", 2)
    b = as_labels(y_pred, "y_pred", 2)
    check_same_shape(a, "y_true", b, "y_pred")
    axes = check_axes(axis, a.ndim)
    intersection = (a & b).sum(axis=axes)
    union = (a | b).sum(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, intersection / union, empty_value)
    return np.asarray(iou, dtype=np.float64)
