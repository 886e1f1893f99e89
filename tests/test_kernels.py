"""The blocked kernels: a block border changes no value, and a public loss
validates and converts its inputs once, never again in its private parts."""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb
from lossbook import _blocks, _validation

# a length that leaves a short last block, and values across every regime
N = 3 * _blocks.BLOCK + 123


def _inputs(dtype):
    rng = np.random.default_rng(7)
    y = rng.normal(size=N).astype(dtype)
    p = (y + rng.normal(scale=3, size=N)).astype(dtype)
    t = rng.random(N).astype(dtype)
    t[::3] = np.round(t[::3])
    z = rng.normal(scale=20, size=N).astype(dtype)
    prob = (1 / (1 + np.exp(-rng.normal(size=N)))).astype(dtype)
    return y, p, t, z, prob


ELEMENTWISE = [
    ("mse", lambda y, p, t, z, q: lb.mse(y, p, reduction="none")),
    ("mae", lambda y, p, t, z, q: lb.mae(y, p, reduction="none")),
    ("huber", lambda y, p, t, z, q: lb.huber(y, p, delta=0.7,
                                             reduction="none")),
    ("smooth_l1", lambda y, p, t, z, q: lb.smooth_l1(y, p, beta=0.3,
                                                     reduction="none")),
    ("log_cosh", lambda y, p, t, z, q: lb.log_cosh(y, p, reduction="none")),
    ("bce", lambda y, p, t, z, q: lb.binary_cross_entropy(
        t, q, reduction="none")),
    ("bce_logits", lambda y, p, t, z, q: lb.binary_cross_entropy_with_logits(
        t, z, reduction="none")),
    ("bce_logits_weighted",
     lambda y, p, t, z, q: lb.binary_cross_entropy_with_logits(
         t, z, pos_weight=2.5, reduction="none")),
    ("sigmoid_focal", lambda y, p, t, z, q: lb.sigmoid_focal_loss(
        t, z, reduction="none")),
    ("sigmoid", lambda y, p, t, z, q: lb.sigmoid(z)),
    ("log_sigmoid", lambda y, p, t, z, q: lb.log_sigmoid(z)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "fn"), ELEMENTWISE,
                         ids=[n for n, _ in ELEMENTWISE])
def test_block_borders_change_no_value(name, fn, dtype, monkeypatch):
    """Computed over several blocks, each element equals the same element
    computed alone (a block of its own), so no value depends on where the
    borders fall."""
    arrays = _inputs(dtype)
    whole = fn(*arrays)
    assert whole.shape == (N,) and whole.dtype == dtype
    # the elements on both sides of every border, and a few inside
    picks = np.unique(np.concatenate([
        np.arange(k * _blocks.BLOCK - 3, k * _blocks.BLOCK + 3)
        for k in range(1, N // _blocks.BLOCK + 1)] + [np.arange(0, N, 997)]))
    piece = fn(*(a[picks] for a in arrays))
    np.testing.assert_array_equal(whole[picks], piece)
    # and a tiny block size reproduces the whole array bit for bit
    monkeypatch.setattr(_blocks, "BLOCK", 1000)
    small = fn(*arrays)
    np.testing.assert_array_equal(whole, small)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["mse", "mae", "huber", "log_cosh"])
def test_blocked_mean_and_sum_match_the_values(name, dtype):
    y, p, *_ = _inputs(dtype)
    fn = getattr(lb, name)
    values = fn(y, p, reduction="none").astype(np.float64)
    exact_sum = float(np.sum(values))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert fn(y, p, reduction="sum").dtype == dtype
    np.testing.assert_allclose(float(fn(y, p, reduction="sum")), exact_sum,
                               rtol=tol)
    np.testing.assert_allclose(float(fn(y, p, reduction="mean")),
                               exact_sum / N, rtol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("classes", [3, 100, 3 * _blocks.BLOCK + 5])
def test_row_blocks_change_no_row(classes, dtype, monkeypatch):
    """cross_entropy, softmax_focal_loss, softmax and log_softmax over
    many row blocks equal the same rows computed one at a time."""
    rng = np.random.default_rng(classes)
    rows = max(3, 4 * _blocks.BLOCK // classes + 7)
    z = rng.normal(scale=10, size=(rows, classes)).astype(dtype)
    labels = rng.integers(0, classes, size=rows)
    picks = np.array([0, 1, rows // 2, rows - 2, rows - 1])
    for fn in (lambda lab, zz: lb.cross_entropy(lab, zz, reduction="none"),
               lambda lab, zz: lb.cross_entropy(
                   lab, zz, label_smoothing=0.1, reduction="none"),
               lambda lab, zz: lb.softmax_focal_loss(lab, zz,
                                                     reduction="none"),
               lambda lab, zz: lb.softmax(zz),
               lambda lab, zz: lb.log_softmax(zz)):
        whole = fn(labels, z)
        assert whole.dtype == dtype
        for i in picks:
            np.testing.assert_array_equal(whole[i], fn(labels[i:i + 1],
                                                       z[i:i + 1])[0])
    before = lb.cross_entropy(labels, z, reduction="none")
    focal = lb.softmax_focal_loss(labels, z, reduction="none")
    monkeypatch.setattr(_blocks, "CHUNK_BYTES", 8)  # one row per block
    np.testing.assert_array_equal(
        lb.cross_entropy(labels, z, reduction="none"), before)
    np.testing.assert_array_equal(
        lb.softmax_focal_loss(labels, z, reduction="none"), focal)
    assert before.shape == (rows,)


def test_cross_entropy_rows_equal_the_log_softmax_entry():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=30, size=(5000, 17))
    labels = rng.integers(0, 17, size=5000)
    picked = -lb.log_softmax(z)[np.arange(5000), labels]
    np.testing.assert_array_equal(
        lb.cross_entropy(labels, z, reduction="none"), picked)


CALLS = [
    ("mse", lambda: lb.mse(np.ones(10), np.zeros(10))),
    ("huber", lambda: lb.huber(np.ones(10), np.zeros(10))),
    ("log_cosh", lambda: lb.log_cosh(np.ones(10), np.zeros(10))),
    ("binary_cross_entropy", lambda: lb.binary_cross_entropy(
        np.ones(10), np.full(10, 0.5))),
    ("binary_cross_entropy_with_logits",
     lambda: lb.binary_cross_entropy_with_logits(np.ones(10), np.zeros(10))),
    ("sigmoid_focal_loss", lambda: lb.sigmoid_focal_loss(np.ones(10),
                                                         np.zeros(10))),
    ("cross_entropy", lambda: lb.cross_entropy(np.zeros(4, int),
                                               np.zeros((4, 3)))),
    ("softmax_focal_loss", lambda: lb.softmax_focal_loss(
        np.zeros(4, int), np.zeros((4, 3)))),
    ("log_softmax", lambda: lb.log_softmax(np.zeros((4, 3)))),
    ("log_sigmoid", lambda: lb.log_sigmoid(np.zeros(4))),
]
#: arrays each call passes through as_float_array: once per argument
CONVERSIONS = {"mse": 2, "huber": 2, "log_cosh": 2,
               "binary_cross_entropy": 2,
               "binary_cross_entropy_with_logits": 2,
               "sigmoid_focal_loss": 2, "cross_entropy": 2,
               "softmax_focal_loss": 1, "log_softmax": 1, "log_sigmoid": 1}


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[n for n, _ in CALLS])
def test_each_input_is_validated_once(name, call, monkeypatch):
    """Counting the calls of the converter: one per array argument, so no
    private kernel converts or validates an input again."""
    seen = []
    original = _validation.as_float_array

    def counting(x, name_, **kwargs):
        seen.append(name_)
        return original(x, name_, **kwargs)

    import lossbook.activations
    import lossbook.classification
    import lossbook.focal
    import lossbook.regression
    for module in (lossbook.regression, lossbook.classification,
                   lossbook.focal, lossbook.activations):
        monkeypatch.setattr(module, "as_float_array", counting)
    call()
    assert len(seen) == CONVERSIONS[name], seen
    assert len(set(seen)) == len(seen), seen
