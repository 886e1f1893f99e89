r"""Metric-learning and contrastive losses on embedding vectors.

Each loss compares vectors along a feature axis (``axis=-1`` by default)
and gives one value per pair, triplet or query; ``reduction="mean"``
averages those values. Their SymPy definitions live in
:mod:`lossbook.symbolic.embeddings`; :data:`GRADIENTS` and
:data:`PARTIALS` hold the closed-form derivatives with respect to every
embedding input (``gradient(loss, ..., wrt="x2")``, ``wrt="anchor"``,
``wrt="queries"`` ...).

The arithmetic is done in float64 whatever the input dtype and rounded
once to it at the end. Cosines use a compensated dot product, and
``1 - cos`` of nearly parallel vectors is taken from Lagrange's identity
rather than by subtraction, so both keep their relative accuracy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import neg_log_softmax, softmax
from lossbook._validation import (
    as_float_array,
    as_label_values,
    check_axis,
    check_bool,
    check_ndim,
    check_nonnegative,
    check_nonzero_vectors,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_shape,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = [
    "GRADIENTS",
    "PARTIALS",
    "contrastive_loss",
    "cosine_embedding_loss",
    "info_nce_loss",
    "triplet_margin_loss",
]

# Veltkamp's splitting constant for float64, 2**27 + 1
_SPLIT = 134217729.0


# ---------------------------------------------------------------------------
# accurate building blocks (vectors along the last axis, float64)
# ---------------------------------------------------------------------------


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p, e`` with ``p = fl(a b)`` and ``p + e == a b`` exactly (Dekker)."""
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


def _power_of_two_scale(x: np.ndarray) -> np.ndarray:
    """``x`` times a power of two per vector, so that max |x| is in [½, 1).

    Exact (only the exponent changes), and it keeps squares and products
    far from overflow and underflow. Zero vectors stay zero.
    """
    top = np.max(np.abs(x), axis=-1, keepdims=True)
    _, exponent = np.frexp(top)
    return np.ldexp(x, -exponent)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products along the last axis as if in twice the precision.

    Ogita, Rump and Oishi's Dot2: each product's rounding error (Dekker)
    and each addition's (Knuth's TwoSum) are summed on the side, so the
    result is accurate even when the dot product nearly cancels.
    """
    total = np.zeros(a.shape[:-1])
    carry = np.zeros(a.shape[:-1])
    for i in range(a.shape[-1]):
        p, e = _two_prod(a[..., i], b[..., i])
        s = total + p
        back = s - total
        carry += ((total - (s - back)) + (p - back)) + e
        total = s
    return total + carry


def _cosine_parts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """``cos`` and ``1 - cos`` of vector pairs, both to a few ulp.

    For cos > ½, :math:`1 - \\cos = \\frac{\\sum_{i<j}(a_i b_j - a_j
    b_i)^2}{|a|^2 |b|^2 (1 + \\cos)}` (Lagrange's identity), with each
    2×2 determinant formed exactly enough by :func:`_two_prod`.
    """
    a, b = _power_of_two_scale(a), _power_of_two_scale(b)
    qa, qb = np.sum(a * a, axis=-1), np.sum(b * b, axis=-1)
    cos = _dot(a, b) / (np.sqrt(qa) * np.sqrt(qb))
    one_minus = 1.0 - cos
    close = cos > 0.5
    if close.any():
        ac, bc = a[close], b[close]
        squares = np.zeros(ac.shape[0])
        for i in range(ac.shape[-1] - 1):
            p1, e1 = _two_prod(ac[:, i:i + 1], bc[:, i + 1:])
            p2, e2 = _two_prod(ac[:, i + 1:], bc[:, i:i + 1])
            det = (p1 - p2) + (e1 - e2)
            squares += np.sum(det * det, axis=-1)
        one_minus[close] = squares / (qa[close] * qb[close] * (1 + cos[close]))
    return cos, one_minus


def _norm(u: np.ndarray, p: float) -> np.ndarray:
    """The p-norm along the last axis (p >= 1)."""
    if p == 2.0:
        return np.sqrt(np.sum(u * u, axis=-1))
    if p == 1.0:
        return np.sum(np.abs(u), axis=-1)
    return np.sum(np.abs(u) ** p, axis=-1) ** (1.0 / p)


def _norm_gradient(u: np.ndarray, d: np.ndarray, p: float) -> np.ndarray:
    """d|u|_p / du; the subgradient 0 where u = 0."""
    safe = np.where(d > 0, d, 1.0)[..., np.newaxis]
    if p == 2.0:
        g = u / safe
    elif p == 1.0:
        g = np.sign(u)
    else:
        g = np.sign(u) * (np.abs(u) / safe) ** (p - 1.0)
    return np.where(d[..., np.newaxis] > 0, g, 0.0)


def _vectors(names: tuple[str, ...], arrays: tuple, axis: object,
             reduction: str) -> tuple[list[np.ndarray], int, list]:
    """Validate same-shape embedding inputs; float64, feature axis last."""
    check_reduction(reduction)
    raw = [as_float_array(x, n) for x, n in zip(arrays, names, strict=True)]
    check_ndim(raw[0], names[0], min_ndim=1)
    for x, n in zip(raw[1:], names[1:], strict=True):
        check_same_shape(raw[0], names[0], x, n)
    ax = check_axis(axis, raw[0].ndim)
    moved = [np.moveaxis(x.astype(np.float64), ax, -1) for x in raw]
    return moved, ax, raw


def _finish(values: np.ndarray, reduction: str,
            dtype: np.dtype) -> np.ndarray:
    return reduce(np.asarray(values).astype(dtype), reduction)


def _back(grad: np.ndarray, ax: int, reduction: str, count: int,
          like: np.ndarray) -> np.ndarray:
    grad = reduce_gradient(np.moveaxis(grad, -1, ax), reduction, count=count)
    return grad.astype(like.dtype)


# ---------------------------------------------------------------------------
# cosine embedding loss
# ---------------------------------------------------------------------------


def _cosine_inputs(y_true, x1, x2, margin, axis, reduction):
    (a, b), ax, raw = _vectors(("x1", "x2"), (x1, x2), axis, reduction)
    check_nonzero_vectors(a, "x1", -1)
    check_nonzero_vectors(b, "x2", -1)
    y = as_label_values(y_true, "y_true", (-1.0, 1.0))
    check_shape(y, "y_true", a.shape[:-1], "one label per pair")
    margin = check_scalar(margin, "margin", min_val=-1.0, max_val=1.0)
    return y, a, b, margin, ax, raw


def cosine_embedding_loss(
    y_true: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    margin: float = 0.0,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Cosine embedding loss: pull similar pairs together, push others apart.

    .. math::

        \ell(y, x_1, x_2) =
        \begin{cases}
            1 - \cos(x_1, x_2) & y = 1 \\
            \max(0, \cos(x_1, x_2) - m) & y = -1
        \end{cases},
        \qquad \cos(x_1, x_2) = \frac{x_1 \cdot x_2}{|x_1|\,|x_2|},

    with :math:`m` = ``margin``.

    Parameters
    ----------
    y_true : array-like of shape (...)
        Pair labels, 1 (similar) or -1 (dissimilar); any other value is
        refused.
    x1, x2 : array-like of shape (..., D)
        The two embeddings of each pair, the same shape; the feature axis
        is ``axis``. No vector may be zero (its cosine is undefined).
    margin : float, default=0.0
        Cosine below which a dissimilar pair costs nothing, in [-1, 1].
    axis : int, default=-1
        The feature axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over pairs.

    Returns
    -------
    numpy.ndarray
        A scalar, or one value per pair for ``"none"``, in the inputs'
        float dtype.

    Raises
    ------
    ValueError
        If a label is not ±1, a vector is zero, the shapes differ, the
        margin is outside [-1, 1], an input is empty or not finite, or
        ``reduction`` is unknown.

    Notes
    -----
    ``torch.nn.functional.cosine_embedding_loss`` gives 0 for a label of 0
    (it selects neither branch) and divides by
    :math:`\sqrt{(|x_1|^2 + 10^{-12})(|x_2|^2 + 10^{-12})}`, so a zero vector
    gets cosine 0 instead of an error; for vectors of norm near 1 the eps
    moves the value by about 1e-12 relative. lossbook refuses both.

    References
    ----------
    PyTorch ``CosineEmbeddingLoss``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.embeddings import cosine_embedding_loss
    >>> x1 = [[1.0, 0.0], [1.0, 0.0]]
    >>> x2 = [[1.0, 1.0], [1.0, 1.0]]
    >>> np.round(cosine_embedding_loss([1, -1], x1, x2, reduction="none"), 6)
    array([0.292893, 0.707107])
    """
    y, a, b, margin, _, raw = _cosine_inputs(y_true, x1, x2, margin, axis,
                                             reduction)
    cos, one_minus = _cosine_parts(a, b)
    values = np.where(y == 1, one_minus, np.maximum(cos - margin, 0.0))
    return _finish(values, reduction, common_dtype(*raw))


def _cosine_partial(which: int) -> Callable:
    def partial(y_true, x1, x2, *, margin=0.0, axis=-1, reduction="mean"):
        y, a, b, margin, ax, raw = _cosine_inputs(y_true, x1, x2, margin,
                                                  axis, reduction)
        if which == 2:
            a, b = b, a
        na = np.linalg.norm(a, axis=-1, keepdims=True)
        nb = np.linalg.norm(b, axis=-1, keepdims=True)
        cos = _cosine_parts(a, b)[0][..., np.newaxis]
        dcos = b / (na * nb) - cos * a / (na * na)
        sign = np.where(y == 1, -1.0, np.where(cos[..., 0] > margin, 1.0, 0.0))
        return _back(sign[..., np.newaxis] * dcos, ax, reduction, y.size,
                     raw[which - 1])
    partial.__name__ = f"_cosine_embedding_gradient_x{which}"
    return partial


# ---------------------------------------------------------------------------
# contrastive loss
# ---------------------------------------------------------------------------


def _contrastive_inputs(y_true, x1, x2, margin, axis, reduction):
    (a, b), ax, raw = _vectors(("x1", "x2"), (x1, x2), axis, reduction)
    y = as_label_values(y_true, "y_true", (0.0, 1.0))
    check_shape(y, "y_true", a.shape[:-1], "one label per pair")
    margin = check_nonnegative(margin, "margin")
    return y, a - b, margin, ax, raw


def contrastive_loss(
    y_true: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    *,
    margin: float = 1.0,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Contrastive loss of Hadsell, Chopra and LeCun (2006) on pairs.

    .. math::

        \ell(y, x_1, x_2) = \tfrac12\bigl[y\,d^2 + (1 - y)\max(0, m - d)^2
        \bigr], \qquad d = |x_1 - x_2|_2,

    with :math:`m` = ``margin``: similar pairs (:math:`y = 1`) are pulled
    together, dissimilar pairs (:math:`y = 0`) pushed to distance
    :math:`m` and then left alone.

    Parameters
    ----------
    y_true : array-like of shape (...)
        1 for a similar pair, 0 for a dissimilar one (the paper's
        :math:`1 - Y`).
    x1, x2 : array-like of shape (..., D)
        The two embeddings of each pair; the feature axis is ``axis``.
    margin : float, default=1.0
        The distance beyond which dissimilar pairs cost nothing, >= 0.
    axis : int, default=-1
        The feature axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over pairs.

    Returns
    -------
    numpy.ndarray
        A scalar, or one value per pair for ``"none"``.

    Raises
    ------
    ValueError
        If a label is not 0 or 1, the shapes differ, ``margin < 0``, an
        input is empty or not finite, or ``reduction`` is unknown.

    Notes
    -----
    :math:`d^2` is summed directly (no square root) for similar pairs.
    Where :math:`d` is close to :math:`m` the term :math:`m - d` is a
    difference of nearby numbers and is accurate to an ulp of :math:`m`,
    not of itself.

    References
    ----------
    Hadsell, Chopra and LeCun (2006), *Dimensionality Reduction by Learning
    an Invariant Mapping* [hadsell2006].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.embeddings import contrastive_loss
    >>> x1, x2 = [[0.0, 0.0], [0.0, 0.0]], [[0.3, 0.4], [0.3, 0.4]]
    >>> np.round(contrastive_loss([1, 0], x1, x2, reduction="none"), 6)
    array([0.125, 0.125])
    """
    y, u, margin, _, raw = _contrastive_inputs(y_true, x1, x2, margin, axis,
                                               reduction)
    d2 = np.sum(u * u, axis=-1)
    gap = np.maximum(margin - np.sqrt(d2), 0.0)
    values = 0.5 * np.where(y == 1, d2, gap * gap)
    return _finish(values, reduction, common_dtype(*raw))


def _contrastive_partial(which: int) -> Callable:
    def partial(y_true, x1, x2, *, margin=1.0, axis=-1, reduction="mean"):
        y, u, margin, ax, raw = _contrastive_inputs(y_true, x1, x2, margin,
                                                    axis, reduction)
        d = np.sqrt(np.sum(u * u, axis=-1))
        pull = np.where((d > 0) & (d < margin),
                        -(margin - d) / np.where(d > 0, d, 1.0), 0.0)
        scale = np.where(y == 1, 1.0, pull)[..., np.newaxis]
        sign = 1.0 if which == 1 else -1.0
        return _back(sign * scale * u, ax, reduction, y.size, raw[which - 1])
    partial.__name__ = f"_contrastive_gradient_x{which}"
    return partial


# ---------------------------------------------------------------------------
# triplet margin loss
# ---------------------------------------------------------------------------


def _triplet_parts(anchor, positive, negative, margin, p, swap, axis,
                   reduction):
    (a, pos, neg), ax, raw = _vectors(
        ("anchor", "positive", "negative"), (anchor, positive, negative),
        axis, reduction)
    margin = check_nonnegative(margin, "margin")
    p = check_scalar(p, "p", min_val=1.0)
    swap = check_bool(swap, "swap")
    u_ap, u_an, u_pn = a - pos, a - neg, pos - neg
    d_ap, d_an = _norm(u_ap, p), _norm(u_an, p)
    d_pn = _norm(u_pn, p) if swap else d_an
    use_pn = swap & (d_pn < d_an)
    values = np.maximum(d_ap - np.where(use_pn, d_pn, d_an) + margin, 0.0)
    return dict(values=values, use_pn=use_pn, u_ap=u_ap, u_an=u_an,
                u_pn=u_pn, d_ap=d_ap, d_an=d_an, d_pn=d_pn, p=p, ax=ax,
                raw=raw)


def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    swap: bool = False,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Triplet margin loss: the positive closer than the negative by m.

    .. math::

        \ell(a, p, n) = \max\bigl(0,\; d(a, p) - d(a, n) + m\bigr),
        \qquad d(x, z) = |x - z|_p,

    with :math:`m` = ``margin``. With ``swap=True`` the negative distance
    is :math:`\min(d(a, n), d(p, n))` (Balntas et al. 2016).

    Parameters
    ----------
    anchor, positive, negative : array-like of shape (..., D)
        The three embeddings of each triplet, one shape; the feature axis
        is ``axis``.
    margin : float, default=1.0
        The required gap between the two distances, >= 0.
    p : float, default=2.0
        The norm degree, >= 1.
    swap : bool, default=False
        Use the harder of the two negative distances.
    axis : int, default=-1
        The feature axis.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over triplets.

    Returns
    -------
    numpy.ndarray
        A scalar, or one value per triplet for ``"none"``.

    Raises
    ------
    ValueError
        If the shapes differ, ``margin < 0``, ``p < 1``, an input is empty
        or not finite, or ``reduction`` is unknown.

    Notes
    -----
    ``torch.nn.functional.triplet_margin_loss`` measures
    :math:`|x - z + 10^{-6}|_p` (``pairwise_distance``'s eps is added to
    every component of the difference), so a distance of 0 comes out as
    :math:`10^{-6} D^{1/p}` and every distance moves by up to about
    :math:`10^{-6} D^{1/p}`; lossbook is exact. The loss is a difference of
    two distances: where it is much smaller than they are, it is accurate
    to an ulp of the distances, not of itself.

    References
    ----------
    Schroff, Kalenichenko and Philbin (2015), *FaceNet* [schroff2015];
    Balntas et al. (2016) for the swap [balntas2016].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.embeddings import triplet_margin_loss
    >>> a, pos, neg = [[0.0, 0.0]], [[0.0, 1.0]], [[3.0, 4.0]]
    >>> np.round(triplet_margin_loss(a, pos, neg, margin=5.0), 6)
    np.float64(1.0)
    """
    parts = _triplet_parts(anchor, positive, negative, margin, p, swap,
                           axis, reduction)
    return _finish(parts["values"], reduction, common_dtype(*parts["raw"]))


def _triplet_partial(which: str) -> Callable:
    def partial(anchor, positive, negative, *, margin=1.0, p=2.0, swap=False,
                axis=-1, reduction="mean"):
        t = _triplet_parts(anchor, positive, negative, margin, p, swap, axis,
                           reduction)
        g_ap = _norm_gradient(t["u_ap"], t["d_ap"], t["p"])
        g_an = _norm_gradient(t["u_an"], t["d_an"], t["p"])
        g_pn = _norm_gradient(t["u_pn"], t["d_pn"], t["p"])
        pn = t["use_pn"][..., np.newaxis]
        if which == "anchor":
            g = g_ap - np.where(pn, 0.0, g_an)
        elif which == "positive":
            g = -g_ap - np.where(pn, g_pn, 0.0)
        else:
            g = np.where(pn, g_pn, g_an)
        g = np.where(t["values"][..., np.newaxis] > 0, g, 0.0)
        like = t["raw"][("anchor", "positive", "negative").index(which)]
        return _back(g, t["ax"], reduction, t["values"].size, like)
    partial.__name__ = f"_triplet_margin_gradient_{which}"
    return partial


# ---------------------------------------------------------------------------
# InfoNCE
# ---------------------------------------------------------------------------


def _info_nce_parts(queries, keys, temperature, symmetric, axis, reduction):
    check_reduction(reduction)
    q_raw = check_ndim(as_float_array(queries, "queries"), "queries", 2,
                       expected="be 2-D (N, D)")
    k_raw = as_float_array(keys, "keys")
    check_same_shape(q_raw, "queries", k_raw, "keys")
    ax = check_axis(axis, 2)
    q = np.moveaxis(q_raw.astype(np.float64), ax, -1)
    k = np.moveaxis(k_raw.astype(np.float64), ax, -1)
    check_nonzero_vectors(q, "queries", -1)
    check_nonzero_vectors(k, "keys", -1)
    tau = check_scalar(temperature, "temperature", min_val=0.0,
                       include_min=False)
    symmetric = check_bool(symmetric, "symmetric")
    q_norm = np.linalg.norm(q, axis=-1, keepdims=True)
    k_norm = np.linalg.norm(k, axis=-1, keepdims=True)
    qh, kh = q / q_norm, k / k_norm
    logits = (qh @ kh.T) / tau
    return dict(q_raw=q_raw, k_raw=k_raw, ax=ax, qh=qh, kh=kh, q_norm=q_norm,
                k_norm=k_norm, tau=tau, symmetric=symmetric, logits=logits)


def info_nce_loss(
    queries: ArrayLike,
    keys: ArrayLike,
    *,
    temperature: float = 0.07,
    symmetric: bool = False,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""In-batch InfoNCE: each query must pick out its own key.

    .. math::

        \ell_i = -\log \frac{e^{\hat q_i \cdot \hat k_i / \tau}}
        {\sum_{j=1}^{N} e^{\hat q_i \cdot \hat k_j / \tau}},
        \qquad \hat q = q / |q|,\ \hat k = k / |k|,

    i.e. the cross-entropy of the logits :math:`\hat Q \hat K^\top / \tau`
    against the labels :math:`0, \dots, N - 1`, with :math:`\tau` =
    ``temperature``. The other :math:`N - 1` keys of the batch are the
    negatives. ``symmetric=True`` averages this with the same loss with
    queries and keys exchanged (the columns of the logit matrix), as CLIP
    does; ``"none"`` then gives :math:`\tfrac12(\ell_i + \ell_i')`.

    Parameters
    ----------
    queries, keys : array-like of shape (N, D)
        Row i of ``keys`` is the positive of row i of ``queries``; the
        feature axis is ``axis``. No row may be zero.
    temperature : float, default=0.07
        :math:`\tau > 0`; smaller values sharpen the softmax.
    symmetric : bool, default=False
        Average the query→key and key→query losses (CLIP).
    axis : int, default=-1
        The feature axis of the two 2-D arrays.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the N queries.

    Returns
    -------
    numpy.ndarray
        A scalar, or one value per query (N,) for ``"none"``.

    Raises
    ------
    ValueError
        If the arrays are not 2-D of one shape, a row is zero,
        ``temperature <= 0``, an input is empty or not finite, or
        ``reduction`` is unknown.

    Notes
    -----
    The loss is at least 0 and, for random embeddings, about
    :math:`\log N`; a batch of N bounds the mutual-information estimate
    :math:`\log N - \ell` by :math:`\log N` (van den Oord et al. 2018).
    Equal to ``torch.nn.functional.cross_entropy(q̂ @ k̂.T / τ,
    arange(N))`` (symmetric: the mean of that and the transposed call).
    The logits carry an absolute rounding error of about an ulp of
    :math:`1/\tau`, so a small loss at a small temperature is accurate to
    a few ulp times :math:`1/\tau`, as its condition number demands.

    References
    ----------
    van den Oord, Li and Vinyals (2018), *Representation Learning with
    Contrastive Predictive Coding* [oord2018]; Chen et al. (2020), SimCLR
    [chen2020simclr]; Radford et al. (2021), CLIP [radford2021].

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.embeddings import info_nce_loss
    >>> q = [[1.0, 0.0], [0.0, 1.0]]
    >>> np.round(info_nce_loss(q, q, temperature=1.0), 6)  # log(1 + e^-1)
    np.float64(0.313262)
    """
    t = _info_nce_parts(queries, keys, temperature, symmetric, axis,
                        reduction)
    values = np.diagonal(neg_log_softmax(t["logits"])).copy()
    if t["symmetric"]:
        values = 0.5 * (values + np.diagonal(neg_log_softmax(t["logits"].T)))
    return _finish(values, reduction, common_dtype(t["q_raw"], t["k_raw"]))


def _info_nce_partial(which: str) -> Callable:
    def partial(queries, keys, *, temperature=0.07, symmetric=False, axis=-1,
                reduction="mean"):
        t = _info_nce_parts(queries, keys, temperature, symmetric, axis,
                            reduction)
        n = t["logits"].shape[0]
        g = softmax(t["logits"], axis=1) - np.eye(n)
        if t["symmetric"]:
            g = 0.5 * (g + softmax(t["logits"], axis=0) - np.eye(n))
        if which == "queries":
            unit, norm, g_unit = t["qh"], t["q_norm"], g @ t["kh"] / t["tau"]
            like = t["q_raw"]
        else:
            unit, norm, g_unit = t["kh"], t["k_norm"], g.T @ t["qh"] / t["tau"]
            like = t["k_raw"]
        # through the normalisation: remove the radial part, divide by |x|
        radial = np.sum(unit * g_unit, axis=-1, keepdims=True)
        return _back((g_unit - radial * unit) / norm, t["ax"], reduction, n,
                     like)
    partial.__name__ = f"_info_nce_gradient_{which}"
    return partial


PARTIALS: dict[Callable, dict[str, Callable]] = {
    cosine_embedding_loss: {"x1": _cosine_partial(1),
                            "x2": _cosine_partial(2)},
    contrastive_loss: {"x1": _contrastive_partial(1),
                       "x2": _contrastive_partial(2)},
    triplet_margin_loss: {name: _triplet_partial(name) for name in
                          ("anchor", "positive", "negative")},
    info_nce_loss: {"queries": _info_nce_partial("queries"),
                    "keys": _info_nce_partial("keys")},
}

#: The default derivative: in the second positional argument.
GRADIENTS: dict[Callable, Callable] = {
    cosine_embedding_loss: PARTIALS[cosine_embedding_loss]["x1"],
    contrastive_loss: PARTIALS[contrastive_loss]["x1"],
    triplet_margin_loss: PARTIALS[triplet_margin_loss]["positive"],
    info_nce_loss: PARTIALS[info_nce_loss]["keys"],
}
