r"""A tiny per-pixel segmentation model: features, prediction, scoring.

The book's segmentation experiment classifies every pixel of a grey image
as object or background with a linear model on a handful of hand-made
features, trained by :func:`lossbook.training.fit_linear` under different
losses. This module holds the pieces around the training:

* :func:`box_mean` and :func:`pixel_features` turn images into one row of
  features per pixel (the intensity and its local means at a few scales);
* :func:`standardize` puts the columns on one scale, which plain gradient
  descent needs to converge in a few hundred steps;
* :func:`foreground_probability` and :func:`segment` turn a fitted model
  back into per-pixel probabilities and binary masks;
* :func:`object_zones` and :func:`object_iou` score one labelled object
  of each image, so that a small and a large object in the same image are
  judged separately.

Every function validates its inputs with ``lossbook._validation`` and
returns float64 (or boolean masks).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import sigmoid, softmax
from lossbook._validation import (
    as_float_array,
    as_labels,
    check_choice,
    check_integer,
    check_same_shape,
    check_scalar,
    check_sequence,
)

__all__ = [
    "box_mean",
    "foreground_probability",
    "object_iou",
    "object_zones",
    "pixel_features",
    "segment",
    "standardize",
]


def _images(images: ArrayLike, name: str = "images") -> np.ndarray:
    """A float64 stack of images, shape ``(N, H, W)``."""
    arr = as_float_array(images, name).astype(np.float64, copy=False)
    if arr.ndim != 3:
        raise ValueError(
            f"{name} must have shape (N, H, W), got shape {arr.shape}"
        )
    return arr


def _window(size: object) -> int:
    """An odd, positive window width."""
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(f"size must be an integer, got {size!r}")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd integer, got {size}")
    return int(size)


def box_mean(images: ArrayLike, size: int) -> np.ndarray:
    r"""Mean of each pixel's ``size`` x ``size`` neighbourhood.

    A box blur computed from a summed-area table (two cumulative sums), so
    its cost does not depend on ``size``. Near the border the window is
    cut to the image and the mean is taken over the pixels inside it: no
    padding value leaks in, and a constant image stays constant.

    .. math::

        b_{nij} = \frac{1}{|W_{ij}|} \sum_{(k, l) \in W_{ij}} x_{nkl},
        \qquad W_{ij} = \{(k, l) : |k - i| \le r,\ |l - j| \le r\}
        \cap \text{image},

    with :math:`x` = ``images`` and :math:`r` = ``size // 2``.

    Parameters
    ----------
    images : array-like of shape (N, H, W)
        Grey images.
    size : int
        Odd window width (1 returns the images unchanged).

    Returns
    -------
    numpy.ndarray of shape (N, H, W), float64

    Raises
    ------
    ValueError
        If ``images`` is not 3-D, empty or not finite, or ``size`` is not
        a positive odd integer.
    TypeError
        If ``images`` is not numeric or ``size`` is not an integer.

    References
    ----------
    Crow (1984), *Summed-area tables for texture mapping*, SIGGRAPH '84,
    pp. 207-212.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.pixels import box_mean
    >>> x = np.zeros((1, 3, 3)); x[0, 1, 1] = 9.0
    >>> # the centre sees all 9 pixels; a corner sees 4 of them
    >>> box_mean(x, 3)[0].tolist()
    [[2.25, 1.5, 2.25], [1.5, 1.0, 1.5], [2.25, 1.5, 2.25]]
    """
    x = _images(images)
    r = _window(size) // 2
    n, h, w = x.shape
    table = np.zeros((n, h + 1, w + 1))
    table[:, 1:, 1:] = x.cumsum(axis=1).cumsum(axis=2)
    rows, cols = np.arange(h), np.arange(w)
    top, bottom = np.maximum(rows - r, 0), np.minimum(rows + r + 1, h)
    left, right = np.maximum(cols - r, 0), np.minimum(cols + r + 1, w)
    # window sum = S[bottom, right] - S[top, right] - S[bottom, left]
    #              + S[top, left], S the table with a zero first row/column
    total = (table[:, bottom][:, :, right] - table[:, top][:, :, right]
             - table[:, bottom][:, :, left] + table[:, top][:, :, left])
    count = np.outer(bottom - top, right - left)
    return total / count


def pixel_features(
    images: ArrayLike, *, sizes: Sequence[int] = (3, 5, 9)
) -> np.ndarray:
    r"""One row of hand-made features per pixel.

    The columns are, for each pixel:

    * its intensity :math:`x_{nij}` (what the pixel itself shows);
    * the box means :func:`box_mean` of its neighbourhood at each window
      width in ``sizes`` (3, 5 and 9 pixels by default): averaging over
      :math:`s^2` pixels divides the noise's standard deviation by
      :math:`s`, at the price of blurring objects smaller than the window.

    A linear model on these columns is a small linear filter bank followed
    by a threshold; it can weigh sharp, noisy evidence against smooth,
    blurred evidence, which is all a per-pixel model can do to see objects
    of different sizes. There is no constant column: the model's bias
    plays that role.

    Parameters
    ----------
    images : array-like of shape (N, H, W)
        Grey images.
    sizes : sequence of int, default=(3, 5, 9)
        Odd window widths of the box means.

    Returns
    -------
    numpy.ndarray of shape (N * H * W, 1 + len(sizes)), float64
        Rows in C order of ``(N, H, W)``, so that ``out.reshape(N, H, W,
        -1)`` gives the features of each pixel in place.

    Raises
    ------
    ValueError
        If ``images`` is not 3-D, empty or not finite, or a size is not a
        positive odd integer.
    TypeError
        If ``images`` is not numeric or a size is not an integer.

    See Also
    --------
    standardize : Put the columns on one scale before training.
    lossbook.training.fit_linear : Trains the per-pixel model.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.pixels import pixel_features
    >>> X = pixel_features(np.ones((2, 4, 4)))
    >>> # a constant image: every column is 1
    >>> X.shape, float(X.min()), float(X.max())
    ((32, 4), 1.0, 1.0)
    """
    x = _images(images)
    widths = [_window(s) for s in sizes]
    columns = [x, *(box_mean(x, s) for s in widths)]
    return np.stack(columns, axis=-1).reshape(-1, len(columns))


def standardize(
    train: ArrayLike, *others: ArrayLike
) -> tuple[np.ndarray, ...]:
    r"""Centre and scale feature columns by the training set's statistics.

    .. math::

        \tilde X_{:, f} = \frac{X_{:, f} - \mu_f}{\sigma_f}

    with :math:`\mu_f` and :math:`\sigma_f` the mean and standard deviation
    of column :math:`f` of ``train`` (a constant column is only centred).
    The same :math:`\mu, \sigma` are applied to ``others`` (validation and
    test features), so that no statistic of the test data leaks into the
    model. Gradient descent on standardised columns converges far faster:
    the loss's curvature is similar in every direction.

    Parameters
    ----------
    train : array-like of shape (M, F)
    *others : array-like of shape (M_k, F)

    Returns
    -------
    tuple of numpy.ndarray
        ``train`` and each of ``others``, standardised, float64.

    Raises
    ------
    ValueError
        If an array is not 2-D, empty or not finite, or the column counts
        differ.
    TypeError
        If an input is not numeric.

    Examples
    --------
    >>> from lossbook.pixels import standardize
    >>> train, test = standardize([[0.0], [2.0]], [[4.0]])
    >>> train.ravel().tolist(), test.ravel().tolist()
    ([-1.0, 1.0], [3.0])
    """
    arrays = [as_float_array(a, n).astype(np.float64, copy=False)
              for a, n in ((train, "train"),
                           *((o, f"others[{k}]")
                             for k, o in enumerate(others)))]
    for arr, name in zip(arrays, ["train", *(f"others[{k}]" for k in
                                             range(len(others)))],
                         strict=True):
        if arr.ndim != 2 or arr.shape[1] != arrays[0].shape[-1]:
            raise ValueError(
                f"{name} must have shape (M, {arrays[0].shape[-1]}) like "
                f"train's columns, got shape {arr.shape}"
            )
    mean = arrays[0].mean(axis=0)
    std = arrays[0].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple((a - mean) / std for a in arrays)


def _output_shape(shape: object, rows: int) -> tuple[int, ...]:
    dims = tuple(
        check_integer(d, "shape", min_val=0)
        for d in check_sequence(
            shape, "shape", length=3, expected="a tuple of ints (N, H, W)"
        )
    )
    if len(dims) != 3 or int(np.prod(dims)) != rows:
        raise ValueError(
            f"shape must be (N, H, W) with N * H * W = {rows} (the rows of "
            f"X), got {dims}"
        )
    return dims


def foreground_probability(
    fit: Any, X: ArrayLike, shape: tuple[int, int, int]
) -> np.ndarray:
    r"""A fitted per-pixel model's probability that each pixel is object.

    Works for the three ways the book trains a segmentation model with
    :func:`lossbook.training.fit_linear`:

    * one output with ``link="sigmoid"`` (Dice, soft IoU): the output is
      the probability;
    * one output with ``link="identity"`` (binary cross-entropy with
      logits): the output is a logit :math:`z`, the probability
      :math:`\sigma(z)`;
    * :math:`K \ge 2` outputs, class 0 the background (softmax
      cross-entropy, ``cross_entropy_iou_loss_2d``): the probability of
      "any class but 0", :math:`\sum_{c \ge 1} p_c`, with :math:`p` the
      softmax of the logits (or the output itself for
      ``link="softmax"``).

    Parameters
    ----------
    fit : lossbook.training.FitResult
        The fitted model.
    X : array-like of shape (N * H * W, F)
        Per-pixel features, prepared as for training.
    shape : tuple of int
        ``(N, H, W)``, the images the rows of ``X`` come from.

    Returns
    -------
    numpy.ndarray of shape (N, H, W), float64 in [0, 1]

    Raises
    ------
    ValueError
        If ``shape`` does not match the rows of ``X``, or the model's
        outputs and link do not fit one of the cases above.
    TypeError
        If ``shape`` is not a tuple of integers.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.training import FitResult
    >>> from lossbook.pixels import foreground_probability
    >>> # a logit model whose logit is the single feature
    >>> fit = FitResult(np.array([1.0]), np.array(0.0), "identity")
    >>> X = np.array([[0.0], [np.log(3.0)]])
    >>> foreground_probability(fit, X, (1, 1, 2)).round(2).tolist()
    [[[0.5, 0.75]]]
    """
    out = np.asarray(fit.predict(X), dtype=np.float64)
    dims = _output_shape(shape, out.shape[0])
    link = check_choice(fit.link, "fit.link", ("identity", "sigmoid",
                                               "softmax"))
    if out.ndim == 1:
        if link == "softmax":
            raise ValueError("a softmax model needs at least 2 outputs, got "
                             "one output per pixel")
        prob = out if link == "sigmoid" else sigmoid(out)
    elif out.ndim == 2 and out.shape[1] >= 2 and link != "sigmoid":
        prob = out if link == "softmax" else softmax(out, axis=-1)
        # sum of the non-background classes, not 1 - p_0, keeps tiny
        # foreground probabilities exact
        prob = prob[:, 1:].sum(axis=1)
    else:
        raise ValueError(
            "the model must have one output (sigmoid or logit) or K >= 2 "
            f"class outputs (softmax or logits), got outputs of shape "
            f"{out.shape[1:]} with link={link!r}"
        )
    return prob.reshape(dims)


def segment(
    fit: Any, X: ArrayLike, shape: tuple[int, int, int], *,
    threshold: float = 0.5,
) -> np.ndarray:
    r"""Binary masks: pixels whose foreground probability exceeds a bar.

    .. math::

        \hat m_{nij} = [\, \Pr(\text{object} \mid x_{nij}) > t \,]

    with the probability from :func:`foreground_probability` and
    :math:`t` = ``threshold``. For a softmax model with two classes and
    :math:`t = 1/2` this is the arg-max decision.

    Parameters
    ----------
    fit : lossbook.training.FitResult
    X : array-like of shape (N * H * W, F)
    shape : tuple of int
        ``(N, H, W)``.
    threshold : float in [0, 1], default=0.5

    Returns
    -------
    numpy.ndarray of shape (N, H, W), bool

    Raises
    ------
    ValueError
        As :func:`foreground_probability`, or ``threshold`` outside
        [0, 1].
    TypeError
        As :func:`foreground_probability`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.training import FitResult
    >>> from lossbook.pixels import segment
    >>> fit = FitResult(np.array([1.0]), np.array(0.0), "identity")
    >>> segment(fit, np.array([[-1.0], [2.0]]), (1, 1, 2)).tolist()
    [[[False, True]]]
    """
    threshold = check_scalar(threshold, "threshold", min_val=0.0,
                             max_val=1.0)
    return foreground_probability(fit, X, shape) > threshold


def _label_maps(masks: ArrayLike, name: str = "masks") -> np.ndarray:
    m = as_labels(masks, name, np.iinfo(np.int64).max)
    if m.ndim != 3:
        raise ValueError(f"{name} must have shape (N, H, W), got shape "
                         f"{m.shape}")
    return m


def object_zones(masks: ArrayLike) -> np.ndarray:
    r"""Split each image among its objects: the nearest object per pixel.

    ``masks`` labels the objects of each image (0 is background, every
    other value one object). Each pixel gets the label of the object
    nearest to it, by Euclidean distance to the object's closest pixel
    (a Voronoi split of the image by objects); ties go to the lower
    label, and an image with no object is all 0.

    .. math::

        Z_{nij} = \operatorname*{arg\,min}_{k \ge 1}
        \min_{(a, b) : m_{nab} = k} (i - a)^2 + (j - b)^2

    Parameters
    ----------
    masks : array-like of int, shape (N, H, W)
        Object labels, non-negative integers.

    Returns
    -------
    numpy.ndarray of shape (N, H, W), int64

    Raises
    ------
    ValueError
        If ``masks`` is not ``(N, H, W)`` or holds labels that are
        negative or not integers.
    TypeError
        If ``masks`` is not numeric.

    See Also
    --------
    object_iou : Scores each object against the prediction in its zone.

    Examples
    --------
    >>> from lossbook.pixels import object_zones
    >>> # pixel 2 is 2 away from both objects: the tie goes to label 1
    >>> object_zones([[[1, 0, 0, 0, 2, 2]]]).tolist()
    [[[1, 1, 1, 2, 2, 2]]]
    """
    m = _label_maps(masks)
    coords = np.indices(m.shape[1:]).reshape(2, -1).T.astype(np.float64)
    zones = np.zeros(m.shape, dtype=np.int64)
    for labels_in, zone in zip(m, zones, strict=True):
        flat = labels_in.ravel()
        labels = np.unique(flat[flat > 0])
        if labels.size == 0:
            continue
        # squared distance from every pixel to the nearest pixel of each
        # object: (objects, pixels)
        dist = np.stack([
            ((coords[:, None, :] - coords[flat == k][None, :, :]) ** 2)
            .sum(axis=-1).min(axis=1) for k in labels])
        zone[...] = labels[dist.argmin(axis=0)].reshape(zone.shape)
    return zones


def object_iou(
    masks: ArrayLike, y_pred: ArrayLike, label: int, *,
    zones: ArrayLike | None = None,
) -> np.ndarray:
    r"""IoU of one labelled object per image with the predicted foreground.

    ``masks`` labels the objects of each image (0 is background, every
    other value one object, as :func:`lossbook.data.toy_masks` marks a
    small object 1 and a large one 2). The prediction is a single binary
    foreground mask, so each predicted pixel is first attributed to the
    nearest object of its image (:func:`object_zones`); object :math:`k`
    is then scored against the predicted pixels in its zone
    :math:`Z_k`:

    .. math::

        \mathrm{IoU}_k = \frac{|O_k \cap \hat M|}
                              {|O_k \cup (\hat M \cap Z_k)|},

    with :math:`O_k` the object's pixels and :math:`\hat M` the predicted
    mask. A false positive far from every object still counts against the
    nearest one, and a prediction that covers both objects is split
    between them instead of being charged twice.

    Parameters
    ----------
    masks : array-like of int, shape (N, H, W)
        Object labels, non-negative integers.
    y_pred : array-like, shape (N, H, W)
        Predicted foreground, 0/1 or boolean.
    label : int
        The object to score, >= 1.
    zones : array-like of int, shape (N, H, W), optional
        ``object_zones(masks)``, if already computed (it is the slow
        part; pass it when scoring many predictions of the same images).

    Returns
    -------
    numpy.ndarray of shape (N,), float64
        NaN for an image that has no pixel labelled ``label``.

    Raises
    ------
    ValueError
        On shapes that differ or are not ``(N, H, W)``, labels that are
        negative or not integers, a prediction that is not 0/1, or
        ``label < 1``.
    TypeError
        If an input is not numeric or ``label`` is not an integer.

    See Also
    --------
    lossbook.metrics.mask_iou : IoU of whole masks.

    Examples
    --------
    >>> from lossbook.pixels import object_iou
    >>> masks = [[[1, 0, 0, 0, 2, 2]]]
    >>> pred = [[[1, 1, 0, 0, 1, 0]]]
    >>> # pixels 0-2 are nearest object 1: {0} vs {0, 1}, IoU 1/2;
    >>> # pixels 3-5 are nearest object 2: {4, 5} vs {4}, IoU 1/2
    >>> [object_iou(masks, pred, k).tolist() for k in (1, 2)]
    [[0.5], [0.5]]
    """
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        raise TypeError(f"label must be an integer, got {label!r}")
    if label < 1:
        raise ValueError(f"label must be >= 1 (0 is background), got "
                         f"{label}")
    m = _label_maps(masks)
    pred = as_labels(y_pred, "y_pred", 2).astype(bool)
    check_same_shape(m, "masks", pred, "y_pred")
    if zones is None:
        z = object_zones(m)
    else:
        z = _label_maps(zones, "zones")
        check_same_shape(m, "masks", z, "zones")
    obj = m == label
    inter = (obj & pred).sum(axis=(1, 2))
    union = (obj | (pred & (z == label))).sum(axis=(1, 2))
    present = obj.any(axis=(1, 2))
    return np.where(present, inter / np.maximum(union, 1), np.nan)
