r"""Training a linear embedding with triplet or InfoNCE loss, and retrieval.

The metric-learning chapter's experiment: an embedding :math:`e = x W`
(a matrix ``W`` of shape ``(dim, out_dim)``) trained by plain gradient
descent, the gradients coming from :func:`lossbook.gradient` and the
chain rule :math:`\partial L / \partial W = X^\top \partial L / \partial E`.
Retrieval is judged by the 1-nearest-neighbour accuracy of held-out
queries against a held-out gallery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from lossbook._validation import (
    as_float_array,
    as_labels,
    check_choice,
    check_integer,
    check_scalar,
)
from lossbook.embeddings import info_nce_loss, triplet_margin_loss
from lossbook.gradients import gradient

__all__ = [
    "EmbeddingRun",
    "random_triplets",
    "retrieval_accuracy",
    "train_embedding",
]


@dataclass
class EmbeddingRun:
    """A trained embedding matrix and its training log."""

    W: np.ndarray
    losses: list[float] = field(default_factory=list)
    zero_fraction: list[float] = field(default_factory=list)


def random_triplets(y: np.ndarray, n: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``n`` random (anchor, positive, negative) index triples.

    >>> t = random_triplets(np.array([0, 0, 1, 1]), 3,
    ...                     np.random.default_rng(0))
    >>> t.shape
    (3, 3)
    """
    anchors = rng.integers(0, y.size, size=n)

    def draw(ok):
        # rejection sampling, vectorised: redraw the rows that do not fit
        picks = rng.integers(0, y.size, size=n)
        bad = ~ok(picks)
        while bad.any():
            picks[bad] = rng.integers(0, y.size, size=int(bad.sum()))
            bad = ~ok(picks)
        return picks

    positives = draw(lambda i: (y[i] == y[anchors]) & (i != anchors))
    negatives = draw(lambda i: y[i] != y[anchors])
    return np.stack([anchors, positives, negatives], axis=1)


def _pairs_one_per_class(y, rng):
    """One (query, key) pair of distinct points from each class."""
    rows = []
    for c in np.unique(y):
        rows.append(rng.choice(np.flatnonzero(y == c), size=2, replace=False))
    return np.array(rows)


def train_embedding(
    X: ArrayLike,
    y: ArrayLike,
    *,
    loss: str,
    out_dim: int = 2,
    steps: int = 300,
    lr: float = 0.05,
    batch: int = 64,
    margin: float = 1.0,
    temperature: float = 0.1,
    seed: int = 0,
) -> EmbeddingRun:
    """Learn ``W`` by gradient descent on ``"triplet"`` or ``"info_nce"``.

    ``"triplet"`` draws ``batch`` random triplets per step and logs the
    fraction of them whose loss is already 0 (they contribute no
    gradient). ``"info_nce"`` draws one pair per class per step (so no
    negative shares the query's class) and uses the symmetric loss.

    Examples
    --------
    >>> from lossbook.data import embedding_classes
    >>> X, y = embedding_classes(10, n_classes=3, dim=4)
    >>> run = train_embedding(X, y, loss="triplet", steps=5)
    >>> run.W.shape, len(run.losses)
    ((4, 2), 5)
    """
    X = as_float_array(X, "X")
    y = as_labels(y, "y", int(np.max(y)) + 1)
    loss = check_choice(loss, "loss", ("triplet", "info_nce"))
    steps = check_integer(steps, "steps", min_val=1)
    lr = check_scalar(lr, "lr", min_val=0.0, include_min=False)
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=1 / np.sqrt(X.shape[1]),
                   size=(X.shape[1], check_integer(out_dim, "out_dim",
                                                   min_val=1)))
    run = EmbeddingRun(W)
    for _ in range(steps):
        if loss == "triplet":
            idx = random_triplets(y, batch, rng)
            parts = [X[idx[:, k]] for k in range(3)]
            emb = [p @ W for p in parts]
            values = triplet_margin_loss(*emb, margin=margin,
                                         reduction="none")
            grads = gradient(triplet_margin_loss, *emb, margin=margin,
                             wrt=("anchor", "positive", "negative"))
            run.zero_fraction.append(float(np.mean(values == 0)))
        else:
            # batch // n_classes small batches, each one pair per class
            kw = dict(temperature=temperature, symmetric=True)
            step, values = 0.0, []
            for _ in range(max(1, batch // len(np.unique(y)))):
                idx = _pairs_one_per_class(y, rng)
                parts = [X[idx[:, 0]], X[idx[:, 1]]]
                emb = [p @ W for p in parts]
                values.append(info_nce_loss(*emb, **kw))
                grads = gradient(info_nce_loss, *emb,
                                 wrt=("queries", "keys"), **kw)
                step = step + sum(p.T @ g for p, g in
                                  zip(parts, grads, strict=True))
            W = W - lr * step / len(values)
            run.losses.append(float(np.mean(values)))
            continue
        W = W - lr * sum(p.T @ g for p, g in zip(parts, grads, strict=True))
        run.losses.append(float(np.mean(values)))
    run.W = W
    return run


def retrieval_accuracy(
    query: ArrayLike, query_labels: ArrayLike, gallery: ArrayLike,
    gallery_labels: ArrayLike, *, metric: str = "euclidean",
) -> float:
    """Share of queries whose nearest gallery item has the query's label.

    ``metric`` is ``"euclidean"`` or ``"cosine"``.

    >>> retrieval_accuracy([[0.0], [5.0]], [0, 1], [[1.0], [4.0]], [0, 1])
    1.0
    """
    q = as_float_array(query, "query")
    g = as_float_array(gallery, "gallery")
    metric = check_choice(metric, "metric", ("euclidean", "cosine"))
    if metric == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        g = g / np.linalg.norm(g, axis=1, keepdims=True)
    d = ((q[:, np.newaxis, :] - g[np.newaxis]) ** 2).sum(-1)
    nearest = np.asarray(gallery_labels)[np.argmin(d, axis=1)]
    return float(np.mean(nearest == np.asarray(query_labels)))
