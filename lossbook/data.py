"""Seeded toy data sets for the book's experiments.

Each function takes its sizes and ``seed`` (default 0) and returns fresh
NumPy arrays drawn from ``np.random.default_rng(seed)``: the same call
gives the same arrays on every run and machine, which the book's stored
outputs rely on. The sets are small by design, so that every chapter
experiment runs in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossbook._validation import (
    check_integer,
    check_same_length,
    check_scalar,
    check_sequence,
)

__all__ = [
    "PreferencePairs",
    "box_pairs",
    "ctc_toy_task",
    "embedding_classes",
    "imbalanced_binary",
    "polynomial_data",
    "preference_pairs",
    "random_boxes",
    "regression_with_outliers",
    "three_class_blobs",
    "toy_expected_length",
    "toy_masks",
    "toy_policy_kl",
    "toy_sequence_logps",
    "toy_sequence_logps_grad",
    "toy_token_sequences",
    "train_val_split",
]


def _count(value: object, name: str, minimum: int = 1) -> int:
    """A size argument: an integer >= ``minimum``."""
    return check_integer(value, name, min_val=minimum)


def _rng(seed: object) -> np.random.Generator:
    return np.random.default_rng(_count(seed, "seed", minimum=0))


def regression_with_outliers(
    n: int = 60,
    outlier_fraction: float = 0.1,
    *,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.5,
    outlier_shift: float = 15.0,
    return_outliers: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, ...]:
    """A noisy line with a few large, one-sided outliers.

    ``y = intercept + slope * x + noise * N(0, 1)`` on ``x`` uniform in
    [0, 10] (sorted), then ``round(outlier_fraction * n)`` points chosen at
    random are moved up by ``outlier_shift`` times a factor uniform in
    [1, 2]. One-sided outliers pull a squared-error fit visibly upward
    while an absolute or Huber fit stays near the line.

    Parameters
    ----------
    n : int, default=60
        Number of points.
    outlier_fraction : float, default=0.1
        Fraction of points made outliers, in [0, 1].
    slope, intercept, noise, outlier_shift : float
        The line, the Gaussian noise's standard deviation (>= 0) and the
        outliers' base shift (>= 0).
    return_outliers : bool, default=False
        Also return the boolean mask of outliers.
    seed : int, default=0

    Returns
    -------
    x, y : ndarray of shape (n,), float64
    is_outlier : ndarray of shape (n,), bool
        Only with ``return_outliers=True``.

    Examples
    --------
    >>> x, y, out = regression_with_outliers(return_outliers=True)
    >>> x.shape, int(out.sum())
    ((60,), 6)
    """
    n = _count(n, "n")
    outlier_fraction = check_scalar(
        outlier_fraction, "outlier_fraction", min_val=0.0, max_val=1.0
    )
    slope = check_scalar(slope, "slope")
    intercept = check_scalar(intercept, "intercept")
    noise = check_scalar(noise, "noise", min_val=0.0)
    outlier_shift = check_scalar(outlier_shift, "outlier_shift", min_val=0.0)
    rng = _rng(seed)
    x = np.sort(rng.uniform(0.0, 10.0, n))
    y = intercept + slope * x + noise * rng.standard_normal(n)
    is_outlier = np.zeros(n, dtype=bool)
    is_outlier[rng.choice(n, round(outlier_fraction * n), replace=False)] = 1
    y[is_outlier] += outlier_shift * rng.uniform(1.0, 2.0, is_outlier.sum())
    return (x, y, is_outlier) if return_outliers else (x, y)


def imbalanced_binary(
    n: int = 1010,
    ratio: int = 100,
    *,
    separation: float = 2.5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes in 2-D, one positive for every ``ratio`` negatives.

    There are ``round(n / (ratio + 1))`` positives (at least one) and the
    rest negatives, so the ratio is exact when ``ratio + 1`` divides ``n``
    (the default: 10 positives, 1000 negatives). Negatives are drawn from
    N(0, I) and positives from N(mu, I) with ``|mu| = separation`` along the
    diagonal; rows are shuffled.

    Parameters
    ----------
    n : int, default=1010
        Total number of points, at least ``ratio + 1``.
    ratio : int, default=100
        Negatives per positive, >= 1.
    separation : float, default=2.5
        Distance between the class means, >= 0.
    seed : int, default=0

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64, 1 for the rare positive class

    Examples
    --------
    >>> X, y = imbalanced_binary()
    >>> X.shape, int(y.sum()), int((y == 0).sum())
    ((1010, 2), 10, 1000)
    """
    ratio = _count(ratio, "ratio")
    n = _count(n, "n", minimum=ratio + 1)
    separation = check_scalar(separation, "separation", min_val=0.0)
    rng = _rng(seed)
    n_pos = max(1, round(n / (ratio + 1)))
    y = np.zeros(n, dtype=np.int64)
    y[:n_pos] = 1
    X = rng.standard_normal((n, 2))
    X[:n_pos] += separation / np.sqrt(2.0)
    order = rng.permutation(n)
    return X[order], y[order]


def three_class_blobs(
    n_per_class: int = 50,
    *,
    spread: float = 1.0,
    radius: float = 3.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 2-D for softmax regression.

    Class ``c`` is drawn from N(m_c, spread^2 I), the means ``m_c`` on a
    circle of ``radius`` at angles 90, 210 and 330 degrees; the classes
    overlap a little at the default sizes, so the loss does not go to 0.

    Parameters
    ----------
    n_per_class : int, default=50
    spread : float, default=1.0
        Standard deviation of each blob, >= 0.
    radius : float, default=3.0
        Distance of the blob means from the origin, >= 0.
    seed : int, default=0

    Returns
    -------
    X : ndarray of shape (3 * n_per_class, 2), float64
    y : ndarray of shape (3 * n_per_class,), int64 labels in {0, 1, 2},
        in blocks of ``n_per_class``

    Examples
    --------
    >>> X, y = three_class_blobs(4)
    >>> X.shape, np.bincount(y).tolist()
    ((12, 2), [4, 4, 4])
    """
    n_per_class = _count(n_per_class, "n_per_class")
    spread = check_scalar(spread, "spread", min_val=0.0)
    radius = check_scalar(radius, "radius", min_val=0.0)
    rng = _rng(seed)
    angles = np.deg2rad([90.0, 210.0, 330.0])
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(3, dtype=np.int64), n_per_class)
    X = means[y] + spread * rng.standard_normal((y.size, 2))
    return X, y


def polynomial_data(
    n: int = 30, noise: float = 0.2, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of ``sin(2 pi x)`` for an under/overfitting sweep.

    ``x`` is uniform in [0, 1] (sorted) and ``y = sin(2 pi x) + noise *
    N(0, 1)``, the curve-fitting example of Bishop (2006), ch. 1. Draw a
    validation set with another seed, or split one draw with
    :func:`train_val_split`.

    Parameters
    ----------
    n : int, default=30
    noise : float, default=0.2
        Standard deviation of the noise, >= 0.
    seed : int, default=0

    Returns
    -------
    x, y : ndarray of shape (n,), float64

    Examples
    --------
    >>> x, y = polynomial_data(5, noise=0.0)
    >>> bool(np.allclose(y, np.sin(2 * np.pi * x)))
    True
    """
    n = _count(n, "n")
    noise = check_scalar(noise, "noise", min_val=0.0)
    rng = _rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    return x, np.sin(2 * np.pi * x) + noise * rng.standard_normal(n)


def train_val_split(
    *arrays: np.ndarray, val_fraction: float = 0.25, seed: int = 0
) -> list[np.ndarray]:
    """Split arrays along axis 0 into a training and a validation part.

    One random permutation is shared by every array, and
    ``round(val_fraction * n)`` rows (at least one, and at least one left
    for training) go to validation.

    Parameters
    ----------
    *arrays : array-likes with the same first dimension n >= 2
    val_fraction : float, default=0.25
        In (0, 1).
    seed : int, default=0

    Returns
    -------
    list of ndarray
        ``[a_train, a_val, b_train, b_val, ...]``, the order of
        scikit-learn's ``train_test_split``.

    Examples
    --------
    >>> x_train, x_val = train_val_split(np.arange(8), val_fraction=0.25)
    >>> len(x_train), len(x_val)
    (6, 2)
    """
    val_fraction = check_scalar(
        val_fraction, "val_fraction", min_val=0.0, max_val=1.0,
        include_min=False, include_max=False,
    )
    arrs = [np.asarray(a) for a in arrays]
    n = check_same_length(arrs, "arrays", min_length=2)
    n_val = min(max(round(val_fraction * n), 1), n - 1)
    order = _rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return [part for a in arrs for part in (a[train], a[val])]


def random_boxes(
    n: int = 100,
    *,
    image_size: float = 512.0,
    min_size: float = 2.0,
    max_size: float = 256.0,
    seed: int = 0,
) -> np.ndarray:
    """Valid ``(x1, y1, x2, y2)`` boxes whose sizes span orders of magnitude.

    Widths and heights are drawn independently and log-uniformly in
    ``[min_size, max_size]`` (so a 2-pixel box is as likely as a 200-pixel
    one on a log scale), and each box lies inside the square image
    ``[0, image_size]^2``.

    Parameters
    ----------
    n : int, default=100
    image_size : float, default=512.0
    min_size, max_size : float, default=2.0, 256.0
        ``0 < min_size <= max_size <= image_size``.
    seed : int, default=0

    Returns
    -------
    ndarray of shape (n, 4), float64, with ``x1 < x2`` and ``y1 < y2``

    Examples
    --------
    >>> boxes = random_boxes(3)
    >>> boxes.shape, bool((boxes[:, 2:] > boxes[:, :2]).all())
    ((3, 4), True)
    """
    n = _count(n, "n")
    image_size = check_scalar(
        image_size, "image_size", min_val=0.0, include_min=False
    )
    max_size = check_scalar(
        max_size, "max_size", min_val=0.0, max_val=image_size,
        include_min=False,
    )
    min_size = check_scalar(
        min_size, "min_size", min_val=0.0, max_val=max_size,
        include_min=False,
    )
    rng = _rng(seed)
    wh = np.exp(rng.uniform(np.log(min_size), np.log(max_size), (n, 2)))
    corner = rng.uniform(0.0, 1.0, (n, 2)) * (image_size - wh)
    return np.concatenate([corner, corner + wh], axis=1)


def box_pairs(
    n: int = 100,
    *,
    jitter: float = 0.2,
    disjoint_fraction: float = 0.2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth boxes and predictions near them, some not overlapping.

    ``boxes_true`` come from :func:`random_boxes`. Each prediction moves
    the centre by ``jitter`` times the box's size times N(0, 1) per axis
    and scales width and height by ``exp(jitter * N(0, 1))``. Then
    ``round(disjoint_fraction * n)`` predictions, chosen at random, are
    moved to the right of their true box with a gap, so that their IoU
    is 0 and only GIoU, DIoU or CIoU still has a gradient.

    Parameters
    ----------
    n : int, default=100
    jitter : float, default=0.2
        Relative size of the perturbations, >= 0.
    disjoint_fraction : float, default=0.2
        In [0, 1].
    seed : int, default=0

    Returns
    -------
    boxes_true, boxes_pred : ndarray of shape (n, 4), float64, valid xyxy
        Predictions may reach outside the image.

    Examples
    --------
    >>> boxes_true, boxes_pred = box_pairs(10)
    >>> int((boxes_pred[:, 0] > boxes_true[:, 2]).sum())  # disjoint ones
    2
    """
    n = _count(n, "n")
    jitter = check_scalar(jitter, "jitter", min_val=0.0)
    disjoint_fraction = check_scalar(
        disjoint_fraction, "disjoint_fraction", min_val=0.0, max_val=1.0
    )
    rng = _rng(seed)
    boxes_true = random_boxes(n, seed=int(rng.integers(2**32)))
    wh = boxes_true[:, 2:] - boxes_true[:, :2]
    centre = boxes_true[:, :2] + wh / 2
    centre = centre + jitter * wh * rng.standard_normal((n, 2))
    wh_pred = wh * np.exp(jitter * rng.standard_normal((n, 2)))
    boxes_pred = np.concatenate(
        [centre - wh_pred / 2, centre + wh_pred / 2], axis=1
    )
    far = rng.choice(n, round(disjoint_fraction * n), replace=False)
    gap = wh[far, 0] * rng.uniform(0.1, 1.0, far.size)
    boxes_pred[far, 0::2] += (boxes_true[far, 2] + gap
                              - boxes_pred[far, 0])[:, None]
    return boxes_true, boxes_pred


def _paint(
    mask: np.ndarray,
    rng: np.random.Generator,
    half: float,
    label: int,
    columns: tuple[float, float],
) -> None:
    """Paint a disc or square of half-size ``half`` into ``mask``.

    The centre's column is drawn so that the shape stays at least one pixel
    inside ``columns``; objects painted into disjoint column ranges
    therefore never touch.
    """
    size = mask.shape[0]
    yy, xx = np.mgrid[:size, :size] + 0.5
    cy = rng.uniform(half + 1, size - half - 1)
    cx = rng.uniform(columns[0] + half + 1, columns[1] - half - 1)
    if rng.random() < 0.5:
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= half**2
    else:
        inside = (abs(yy - cy) <= half) & (abs(xx - cx) <= half)
    mask[inside] = label


def toy_masks(
    n_images: int = 8,
    size: int = 32,
    *,
    noise: float = 0.3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy images, each with one small and one large object, and masks.

    Each image has a large object (a disc or square of half-size between
    ``size / 8`` and ``size / 6``) in one half, left or right, and a small
    one (half-size between 1 and 2 pixels) in the other, so they never
    touch. Object pixels have intensity 1, background
    0, and Gaussian noise of standard deviation ``noise`` is added. The
    mask labels the pixels 0 (background), 1 (small object) and 2 (large
    object): the binary segmentation target is ``masks > 0``, and
    ``masks == 1`` or ``masks == 2`` restricts an IoU to small or large
    objects, to show how region losses favour large objects.

    Parameters
    ----------
    n_images : int, default=8
    size : int, default=32
        Image height and width in pixels, >= 16.
    noise : float, default=0.3
        Standard deviation of the pixel noise, >= 0.
    seed : int, default=0

    Returns
    -------
    images : ndarray of shape (n_images, size, size), float64
    masks : ndarray of shape (n_images, size, size), int64 in {0, 1, 2}

    Examples
    --------
    >>> images, masks = toy_masks(2)
    >>> images.shape, sorted(np.unique(masks).tolist())
    ((2, 32, 32), [0, 1, 2])
    """
    n_images = _count(n_images, "n_images")
    size = _count(size, "size", minimum=16)
    noise = check_scalar(noise, "noise", min_val=0.0)
    rng = _rng(seed)
    masks = np.zeros((n_images, size, size), dtype=np.int64)
    halves = [(0.0, size / 2), (size / 2, float(size))]
    for mask in masks:
        # one object per half image, the side chosen at random
        side = int(rng.integers(2))
        large = rng.uniform(size / 8, size / 6)
        _paint(mask, rng, large, label=2, columns=halves[side])
        _paint(mask, rng, rng.uniform(1.0, 2.0), 1, halves[1 - side])
    images = (masks > 0) + noise * rng.standard_normal(masks.shape)
    return images, masks


def toy_token_sequences(
    n: int = 16,
    vocab: int = 10,
    max_len: int = 12,
    *,
    min_len: int = 2,
    pad_id: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token sequences of unequal lengths, padded to ``max_len``.

    Lengths are uniform in ``[min_len, max_len]``, with the first sequence
    of length ``max_len`` and, when ``n >= 2``, the last of length
    ``min_len``, so padding is always present when the two differ.
    Tokens are uniform over the ids in ``[0, vocab)`` other than
    ``pad_id``; padded positions hold ``pad_id``.

    Parameters
    ----------
    n : int, default=16
    vocab : int, default=10
        Vocabulary size including the padding id, >= 2.
    max_len : int, default=12
    min_len : int, default=2
        In [1, max_len].
    pad_id : int, default=0
        In [0, vocab).
    seed : int, default=0

    Returns
    -------
    tokens : ndarray of shape (n, max_len), int64
    lengths : ndarray of shape (n,), int64
    mask : ndarray of shape (n, max_len), bool
        True at real tokens, ``mask[i, j] == (j < lengths[i])``.

    Examples
    --------
    >>> tokens, lengths, mask = toy_token_sequences(3, max_len=4)
    >>> tokens.shape, lengths.tolist(), int(mask.sum())
    ((3, 4), [4, 3, 2], 9)
    """
    n = _count(n, "n")
    vocab = _count(vocab, "vocab", minimum=2)
    max_len = _count(max_len, "max_len")
    min_len = _count(min_len, "min_len")
    check_integer(min_len, "min_len", max_val=max_len)
    pad_id = _count(pad_id, "pad_id", minimum=0)
    check_integer(pad_id, "pad_id", max_val=vocab - 1)
    rng = _rng(seed)
    lengths = rng.integers(min_len, max_len + 1, n)
    lengths[0] = max_len
    if n >= 2:
        lengths[-1] = min_len
    mask = np.arange(max_len) < lengths[:, None]
    # draw from vocab - 1 ids and step over pad_id
    tokens = rng.integers(0, vocab - 1, (n, max_len))
    tokens = tokens + (tokens >= pad_id)
    return np.where(mask, tokens, pad_id), lengths, mask


def ctc_toy_task(
    n: int = 32,
    T: int = 30,
    *,
    num_classes: int = 6,
    max_target_len: int = 5,
    num_features: int = 8,
    symbol_frames: tuple[int, int] = (2, 3),
    gap_frames: tuple[int, int] = (1, 2),
    noise: float = 0.5,
    return_alignment: bool = False,
    task_seed: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, ...]:
    """Frame sequences and unaligned label sequences, for training with CTC.

    Each sample's target has a length uniform in ``[1, max_target_len]``
    and labels uniform in ``[1, num_classes)`` (0 is the blank; repeats
    occur). Its frames are: a run of blank frames, then for each symbol a
    run of ``symbol_frames`` frames of that symbol followed by a run of
    ``gap_frames`` blank frames (run lengths uniform in the inclusive
    ranges). ``input_lengths`` is the number of frames so used; frames past
    it are zero. The feature of a frame labelled ``c`` is ``means[c] +
    noise * N(0, I)``, with ``means`` of shape ``(num_classes,
    num_features)`` drawn from N(0, I) with ``task_seed``: a per-frame
    linear classifier can solve the task, and CTC can train it from the
    targets alone, without the alignment.

    Parameters
    ----------
    n : int, default=32
        Number of samples.
    T : int, default=30
        Frames per sample, at least the longest possible sequence,
        ``max_target_len * (symbol_frames[1] + gap_frames[1]) +
        gap_frames[1]``.
    num_classes : int, default=6
        Classes including the blank 0, >= 2.
    max_target_len : int, default=5
    num_features : int, default=8
    symbol_frames, gap_frames : (int, int), default=(2, 3), (1, 2)
        Inclusive ranges of run lengths, ``1 <= low <= high``.
    noise : float, default=0.5
        Standard deviation of the feature noise, >= 0.
    return_alignment : bool, default=False
        Also return the frame labels (T, n), with -1 past the input length.
    task_seed : int, default=0
        Seeds the class means, i.e. the task; keep it fixed and vary
        ``seed`` to draw training and validation sets of one task.
    seed : int, default=0
        Seeds the samples.

    Returns
    -------
    features : ndarray of shape (T, n, num_features), float64
        Time first, as :func:`lossbook.ctc_loss` takes ``log_probs``.
    targets : ndarray of shape (n, max_target_len), int64
        Padded with 0 past ``target_lengths``.
    input_lengths : ndarray of shape (n,), int64
    target_lengths : ndarray of shape (n,), int64
    alignment : ndarray of shape (T, n), int64
        Only with ``return_alignment=True``.

    Examples
    --------
    >>> features, targets, input_lengths, target_lengths = ctc_toy_task()
    >>> features.shape, targets.shape
    ((30, 32, 8), (32, 5))
    """
    n = _count(n, "n")
    T = _count(T, "T")
    num_classes = _count(num_classes, "num_classes", minimum=2)
    max_target_len = _count(max_target_len, "max_target_len")
    num_features = _count(num_features, "num_features")
    sym = _run_range(symbol_frames, "symbol_frames")
    gap = _run_range(gap_frames, "gap_frames")
    noise = check_scalar(noise, "noise", min_val=0.0)
    longest = max_target_len * (sym[1] + gap[1]) + gap[1]
    _count(T, "T", minimum=longest)
    means = _rng(task_seed).standard_normal((num_classes, num_features))
    rng = _rng(seed)
    target_lengths = rng.integers(1, max_target_len + 1, n)
    targets = np.zeros((n, max_target_len), dtype=np.int64)
    alignment = np.full((T, n), -1, dtype=np.int64)
    input_lengths = np.zeros(n, dtype=np.int64)
    for i, length in enumerate(target_lengths):
        targets[i, :length] = rng.integers(1, num_classes, length)
        frames = [0] * int(rng.integers(gap[0], gap[1] + 1))
        for label in targets[i, :length]:
            frames += [int(label)] * int(rng.integers(sym[0], sym[1] + 1))
            frames += [0] * int(rng.integers(gap[0], gap[1] + 1))
        alignment[: len(frames), i] = frames
        input_lengths[i] = len(frames)
    used = alignment >= 0
    features = np.where(
        used[..., None],
        means[np.maximum(alignment, 0)]
        + noise * rng.standard_normal((T, n, num_features)),
        0.0,
    )
    out = (features, targets, input_lengths, target_lengths)
    return (*out, alignment) if return_alignment else out


def _run_range(value: object, name: str) -> tuple[int, int]:
    """An inclusive range ``(low, high)`` of run lengths, 1 <= low <= high."""
    value = check_sequence(
        value, name, length=2, expected="a pair (low, high)"
    )
    low = _count(value[0], f"{name}[0]")
    high = _count(value[1], f"{name}[1]", minimum=low)
    return low, high


def distillation_task(
    n_train: int = 30,
    n_test: int = 2000,
    *,
    num_classes: int = 5,
    spread: float = 1.0,
    radius: float = 1.6,
    spread_ratio: float = 3.0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    r"""A small labelled set, a large test set and a teacher's logits.

    ``num_classes`` Gaussian blobs N(m_c, s_c^2 I) in 2-D, the means on a
    circle of ``radius``, the standard deviations ``s_c`` spaced
    geometrically from ``spread / sqrt(spread_ratio)`` to ``spread *
    sqrt(spread_ratio)``, overlapping so that even the best classifier
    errs. The "teacher" is that best classifier: its logits are the exact
    log-posterior :math:`z_c = -|x - m_c|^2 / (2 s_c^2) - 2 \log s_c` (up
    to a constant), what a large model trained on plenty of data
    approaches. Unequal spreads make its decision boundaries curved, so a
    linear student can only approximate it. The student sees only the few
    training labels, and the teacher's logits on the same points: the
    distillation experiment.

    Parameters
    ----------
    n_train : int, default=30
        Training points (classes drawn uniformly).
    n_test : int, default=2000
        Held-out points for accuracy.
    num_classes : int, default=5
        At least 2.
    spread : float, default=1.0
        Geometric mean of the blobs' standard deviations, > 0.
    radius : float, default=1.6
        Distance of the blob means from the origin, >= 0.
    spread_ratio : float, default=3.0
        Largest over smallest standard deviation, >= 1.
    seed : int, default=0

    Returns
    -------
    dict
        ``X_train`` (n_train, 2), ``y_train`` (n_train,) int64,
        ``X_test``, ``y_test``, and the teacher's logits
        ``teacher_train`` (n_train, num_classes) and ``teacher_test``.

    Examples
    --------
    >>> task = distillation_task(10, 20, num_classes=3)
    >>> task["X_train"].shape, task["teacher_test"].shape
    ((10, 2), (20, 3))
    """
    n_train = check_integer(n_train, "n_train", min_val=1)
    n_test = check_integer(n_test, "n_test", min_val=1)
    num_classes = check_integer(num_classes, "num_classes", min_val=2)
    spread = check_scalar(spread, "spread", min_val=0.0, include_min=False)
    radius = check_scalar(radius, "radius", min_val=0.0)
    ratio = check_scalar(spread_ratio, "spread_ratio", min_val=1.0)
    rng = np.random.default_rng(check_integer(seed, "seed", min_val=0))
    angles = 2 * np.pi * np.arange(num_classes) / num_classes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    scales = spread * ratio ** np.linspace(-0.5, 0.5, num_classes)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = rng.integers(0, num_classes, size=n)
        X = means[y] + scales[y, None] * rng.standard_normal((n, 2))
        # log N(x; m_c, s_c^2 I) up to a term that is the same for every c
        sq = ((X[:, None, :] - means[None]) ** 2).sum(axis=-1)
        logits = -0.5 * sq / scales**2 - 2 * np.log(scales)
        return X, y.astype(np.int64), logits

    X_train, y_train, t_train = draw(n_train)
    X_test, y_test, t_test = draw(n_test)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test,
            "y_test": y_test, "teacher_train": t_train,
            "teacher_test": t_test}
# ---------------------------------------------------------------------------
# preference pairs over short sequences, for a toy policy trained with DPO
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferencePairs:
    """Pairs of token sequences, the preferred one first.

    The sequences come from a *unigram policy*: at each of at most
    ``max_length`` steps it draws a token or the end symbol (index
    ``vocab_size``) from ``softmax(logits)``; a sequence that reaches
    ``max_length`` tokens stops without an end symbol. Under such a
    policy a sequence's log-probability is ``counts @ log_softmax(logits)``,
    where ``counts`` counts each token and the end symbol in it.

    Attributes
    ----------
    chosen, rejected : ndarray of shape (n, max_length), int64
        The tokens, ``-1`` after the end.
    chosen_counts, rejected_counts : ndarray of shape (n, vocab_size + 1)
        How often each token and the end symbol occur in each sequence.
    ref_logits : ndarray of shape (vocab_size + 1,)
        The reference policy that drew every sequence.
    max_length : int
    good_token : int
        The token whose count is the true reward.
    """

    chosen: np.ndarray
    rejected: np.ndarray
    chosen_counts: np.ndarray
    rejected_counts: np.ndarray
    ref_logits: np.ndarray
    max_length: int
    good_token: int

    @property
    def chosen_lengths(self) -> np.ndarray:
        """Number of tokens (the end symbol excluded) of each chosen one."""
        return (self.chosen >= 0).sum(axis=1)

    @property
    def rejected_lengths(self) -> np.ndarray:
        """Number of tokens of each rejected sequence."""
        return (self.rejected >= 0).sum(axis=1)

    def reward(self, counts: np.ndarray) -> np.ndarray:
        """The true reward of sequences given by their counts."""
        return np.asarray(counts)[..., self.good_token]


def _toy_log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _draw_sequences(rng, probs, n, max_length):
    end = len(probs) - 1
    tokens = np.full((n, max_length), -1, dtype=np.int64)
    counts = np.zeros((n, end + 1), dtype=np.int64)
    for i in range(n):
        for step in range(max_length):
            symbol = int(rng.choice(end + 1, p=probs))
            counts[i, symbol] += 1
            if symbol == end:
                break
            tokens[i, step] = symbol
    return tokens, counts


def preference_pairs(
    n: int = 256,
    *,
    vocab_size: int = 4,
    max_length: int = 8,
    end_prob: float = 0.2,
    seed: int = 0,
) -> PreferencePairs:
    """Synthetic preferences between sequences of a reference policy.

    Both sequences of a pair are drawn from a unigram reference policy
    (tokens equally likely, the end symbol with probability ``end_prob``
    at each step); the one with more of the ``good_token`` (token 0) is
    preferred, and pairs that tie are drawn again. Longer sequences
    have more chances to hold the good token, so, as in real preference
    data, the preferred answer tends to be the longer one.

    Examples
    --------
    >>> pairs = preference_pairs(4, seed=1)
    >>> pairs.chosen_counts.shape
    (4, 5)
    >>> bool((pairs.reward(pairs.chosen_counts)
    ...       > pairs.reward(pairs.rejected_counts)).all())
    True
    """
    n = _count(n, "n")
    vocab_size = _count(vocab_size, "vocab_size", minimum=2)
    max_length = _count(max_length, "max_length")
    end_prob = check_scalar(end_prob, "end_prob", min_val=0.0, max_val=1.0,
                            include_min=False, include_max=False)
    rng = _rng(seed)
    probs = np.append(np.full(vocab_size, (1 - end_prob) / vocab_size),
                      end_prob)
    good = 0
    kept: list[tuple] = []
    while len(kept) < n:
        tok, cnt = _draw_sequences(rng, probs, 2 * n, max_length)
        for a, b in zip(range(0, 2 * n, 2), range(1, 2 * n, 2), strict=True):
            if cnt[a, good] != cnt[b, good] and len(kept) < n:
                first, second = (a, b) if cnt[a, good] > cnt[b, good] else (
                    b, a)
                kept.append((tok[first], tok[second], cnt[first],
                             cnt[second]))
    chosen, rejected, c_counts, r_counts = (np.array(x) for x in zip(*kept,
                                                                     strict=True))
    return PreferencePairs(chosen, rejected, c_counts, r_counts,
                           np.log(probs), max_length, good)


def toy_sequence_logps(
    logits: np.ndarray, counts: np.ndarray, *, average: bool = False
) -> np.ndarray:
    r"""Log-probabilities of sequences under a unigram policy.

    :math:`\log\pi(y) = \sum_k n_k(y) \log\operatorname{softmax}(\theta)_k`
    with :math:`n_k(y)` the counts; ``average=True`` divides by the number
    of symbols scored (tokens and end symbol), as trainers that average
    token log-probabilities do.

    Examples
    --------
    >>> lp = toy_sequence_logps(np.zeros(3), np.array([[2, 0, 1]]))
    >>> round(float(lp[0]), 6)  # 3 log(1/3)
    -3.295837
    """
    counts = np.asarray(counts, dtype=np.float64)
    logps = counts @ _toy_log_softmax(np.asarray(logits, dtype=np.float64))
    return logps / counts.sum(axis=-1) if average else logps


def toy_sequence_logps_grad(
    logits: np.ndarray, counts: np.ndarray, *, average: bool = False
) -> np.ndarray:
    r"""d log pi(y) / d logits for each sequence, shape ``counts.shape``.

    :math:`n_k(y) - |y|\,p_k`, with :math:`|y| = \sum_k n_k(y)` and
    :math:`p = \operatorname{softmax}(\theta)`; divided by :math:`|y|`
    when ``average``.

    Examples
    --------
    >>> toy_sequence_logps_grad(np.zeros(2), np.array([[1, 1]])).tolist()
    [[0.0, 0.0]]
    """
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.exp(_toy_log_softmax(np.asarray(logits, dtype=np.float64)))
    length = counts.sum(axis=-1, keepdims=True)
    grad = counts - length * probs
    return grad / length if average else grad


def _alive_steps(end_prob: float, max_length: int) -> float:
    """Expected number of draws: sum over t < L of (1 - p_end)^t."""
    keep = 1.0 - end_prob
    return float(sum(keep**t for t in range(max_length)))


def toy_policy_kl(
    logits: np.ndarray, ref_logits: np.ndarray, max_length: int
) -> float:
    r"""KL(pi || pi_ref) between two unigram policies' sequence laws.

    Each draw contributes the KL of the two symbol distributions, and the
    policy makes :math:`\sum_{t < L} (1 - p_\text{end})^t` draws on
    average, so the sequence KL is their product (exact, by the chain
    rule of the KL divergence).

    Examples
    --------
    >>> toy_policy_kl(np.zeros(3), np.zeros(3), 5)
    0.0
    """
    log_p = _toy_log_softmax(np.asarray(logits, dtype=np.float64))
    log_q = _toy_log_softmax(np.asarray(ref_logits, dtype=np.float64))
    per_draw = float(np.sum(np.exp(log_p) * (log_p - log_q)))
    return per_draw * _alive_steps(float(np.exp(log_p[-1])),
                                   _count(max_length, "max_length"))


def toy_expected_length(logits: np.ndarray, max_length: int) -> float:
    """Expected number of tokens (end symbol excluded) a policy writes.

    Examples
    --------
    >>> round(toy_expected_length(np.log([0.5, 0.5]), 3), 6)  # .5+.25+.125
    0.875
    """
    log_p = _toy_log_softmax(np.asarray(logits, dtype=np.float64))
    keep = 1.0 - float(np.exp(log_p[-1]))
    return float(sum(keep**t for t in range(1, _count(max_length,
                                                      "max_length") + 1)))
def embedding_classes(
    n_per_class: int = 40,
    *,
    n_classes: int = 6,
    dim: int = 10,
    signal: float = 1.0,
    noise: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Classes hidden among loud nuisance directions, for metric learning.

    Class means lie at distance ``signal`` from the origin in the first
    two coordinates (on a circle); every coordinate gets Gaussian noise,
    of standard deviation 0.2 in those two and ``noise`` in the other
    ``dim - 2``. Raw Euclidean distances are dominated by the nuisance
    directions, so nearest neighbours in the input are poor; an embedding
    that keeps the first two coordinates separates the classes.

    Returns
    -------
    X : ndarray of shape (n_classes * n_per_class, dim), float64
    y : ndarray of shape (n_classes * n_per_class,), int64 labels in
        blocks of ``n_per_class``

    Examples
    --------
    >>> X, y = embedding_classes(3, n_classes=4, dim=5)
    >>> X.shape, np.bincount(y).tolist()
    ((12, 5), [3, 3, 3, 3])
    """
    n_per_class = _count(n_per_class, "n_per_class")
    n_classes = _count(n_classes, "n_classes", minimum=2)
    dim = _count(dim, "dim", minimum=2)
    signal = check_scalar(signal, "signal", min_val=0.0)
    noise = check_scalar(noise, "noise", min_val=0.0)
    rng = _rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    means = np.zeros((n_classes, dim))
    means[:, 0], means[:, 1] = np.cos(angles), np.sin(angles)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    scale = np.full(dim, noise)
    scale[:2] = 0.2
    X = signal * means[y] + scale * rng.standard_normal((y.size, dim))
    return X, y
