"""Tests for lossbook.metric_learning and data.embedding_classes."""

from __future__ import annotations

import numpy as np
import pytest

from lossbook import data, metric_learning


def test_embedding_classes_shapes_and_signal():
    X, y = data.embedding_classes(20, n_classes=4, dim=6, seed=3)
    assert X.shape == (80, 6) and np.bincount(y).tolist() == [20] * 4
    # the class means differ in the first two coordinates only
    means = np.array([X[y == c].mean(axis=0) for c in range(4)])
    assert np.ptp(means[:, :2], axis=0).min() > 1.0
    np.testing.assert_array_equal(X, data.embedding_classes(
        20, n_classes=4, dim=6, seed=3)[0])


def test_random_triplets_respect_the_classes():
    y = np.repeat(np.arange(3), 5)
    t = metric_learning.random_triplets(y, 50, np.random.default_rng(0))
    assert (y[t[:, 0]] == y[t[:, 1]]).all() and (t[:, 0] != t[:, 1]).all()
    assert (y[t[:, 0]] != y[t[:, 2]]).all()


@pytest.mark.parametrize(("loss", "metric"), [("triplet", "euclidean"),
                                              ("info_nce", "cosine")])
def test_training_beats_the_raw_input(loss, metric):
    X, y = data.embedding_classes(30, seed=0)
    Xq, yq = data.embedding_classes(20, seed=1)
    Xg, yg = data.embedding_classes(20, seed=2)
    run = metric_learning.train_embedding(X, y, loss=loss, steps=60,
                                          lr=0.2, batch=24,
                                          temperature=0.2)
    raw = metric_learning.retrieval_accuracy(Xq, yq, Xg, yg, metric=metric)
    learned = metric_learning.retrieval_accuracy(Xq @ run.W, yq, Xg @ run.W,
                                                 yg, metric=metric)
    assert learned > raw + 0.2
    assert np.mean(run.losses[-10:]) < np.mean(run.losses[:10])


def test_retrieval_accuracy_by_hand():
    acc = metric_learning.retrieval_accuracy([[0.0], [5.0], [9.0]], [0, 1, 0],
                                             [[1.0], [4.0]], [0, 1])
    assert acc == pytest.approx(2 / 3)


def test_bad_loss_name():
    X, y = data.embedding_classes(3, n_classes=2, dim=3)
    with pytest.raises(ValueError, match="loss"):
        metric_learning.train_embedding(X, y, loss="hinge")
