"""Time lossbook against a naive NumPy formula and PyTorch (``make bench``).

For each loss: the best of several calls, measured in this one process,
for float64 and float32 inputs of the sizes the project's goals name:
10**6 elements for element-wise losses, (10**5, 100) logits for
cross-entropy and softmax focal loss, 10**5 box pairs for the box losses.
The naive column is the textbook formula in plain NumPy (no validation,
no stability measures). PyTorch CPU is timed when it is importable; it is
never required (without it the PyTorch columns are left out and a line
says so). Ratios below 1 mean lossbook is faster.

Memory: one more call of each lossbook loss runs under ``tracemalloc``
(NumPy reports its array buffers to it), outside the timed calls. The
"peak MB" column is the most memory the call held at once beyond what
existed before it, "peak/in" that peak over the bytes of the input arrays.
The goal is at most ``MEMORY_BOUND`` times the input; the last line names
every loss above it.
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import lossbook as lb

try:  # PyTorch is optional: a comparison, not a dependency
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

N = 10**6
ROWS, CLASSES = 10**5, 100
BOXES = 10**5
REPEATS = 7
MEMORY_BOUND = 2.0  # peak extra memory, in multiples of the input size


def best_time(fn: Callable[[], object]) -> float:
    fn()  # warm-up: first-call allocation and import costs
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_bytes(fn: Callable[[], object]) -> int:
    """Most memory held at once during ``fn()``, beyond what was held
    before the call (the result is freed before the peak is read)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before


def input_bytes(kind: str, arrays) -> int:
    """Bytes of the arrays a loss of this kind is called with."""
    y, yhat, _, _, _, logits, labels, bt, bp = arrays
    if kind == "elementwise":  # two arrays of N: (y, yhat), (t, p), (t, z)
        return y.nbytes + yhat.nbytes
    if kind == "rows":
        return logits.nbytes + labels.nbytes
    return bt.nbytes + bp.nbytes


def cell(value: float, width: int, spec: str = ".2f") -> str:
    """A number, or a dash where there is nothing to compare with."""
    text = "—" if math.isnan(value) else format(value, spec)
    return f"{text:>{width}}"


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def make_inputs(dtype):
    rng = np.random.default_rng(0)
    y = rng.normal(size=N).astype(dtype)
    yhat = (y + rng.normal(size=N)).astype(dtype)
    t = (rng.random(N) < 0.3).astype(dtype)
    z = rng.normal(scale=3, size=N).astype(dtype)
    p = sigmoid(z).astype(dtype)
    logits = rng.normal(scale=3, size=(ROWS, CLASSES)).astype(dtype)
    labels = rng.integers(0, CLASSES, size=ROWS)
    xy = rng.uniform(0, 100, size=(2, BOXES, 2))
    wh = rng.uniform(1, 50, size=(2, BOXES, 2))
    b_true = np.concatenate([xy[0], xy[0] + wh[0]], axis=1).astype(dtype)
    b_pred = np.concatenate([xy[1], xy[1] + wh[1]], axis=1).astype(dtype)
    return y, yhat, t, z, p, logits, labels, b_true, b_pred


def cases(dtype):
    y, yhat, t, z, p, logits, labels, bt, bp = make_inputs(dtype)
    onehot = np.eye(CLASSES, dtype=dtype)[labels]
    rows = [
        ("mse", "elementwise", lambda: lb.mse(y, yhat),
         lambda: np.mean((yhat - y) ** 2)),
        ("mae", "elementwise", lambda: lb.mae(y, yhat),
         lambda: np.mean(np.abs(yhat - y))),
        ("huber", "elementwise", lambda: lb.huber(y, yhat),
         lambda: np.mean(np.where(np.abs(yhat - y) <= 1,
                                  0.5 * (yhat - y) ** 2,
                                  np.abs(yhat - y) - 0.5))),
        ("smooth_l1", "elementwise", lambda: lb.smooth_l1(y, yhat),
         lambda: np.mean(np.where(np.abs(yhat - y) < 1,
                                  0.5 * (yhat - y) ** 2,
                                  np.abs(yhat - y) - 0.5))),
        ("log_cosh", "elementwise", lambda: lb.log_cosh(y, yhat),
         lambda: np.mean(np.log(np.cosh(yhat - y)))),
        ("binary_cross_entropy", "elementwise",
         lambda: lb.binary_cross_entropy(t, p),
         lambda: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))),
        ("binary_cross_entropy_with_logits", "elementwise",
         lambda: lb.binary_cross_entropy_with_logits(t, z),
         lambda: -np.mean(t * np.log(sigmoid(z))
                          + (1 - t) * np.log(1 - sigmoid(z)))),
        ("sigmoid_focal_loss", "elementwise",
         lambda: lb.sigmoid_focal_loss(t, z),
         lambda: np.mean(_naive_focal(t, z))),
        ("cross_entropy", "rows", lambda: lb.cross_entropy(labels, logits),
         lambda: -np.mean(np.log(naive_softmax(logits)[
             np.arange(ROWS), labels]))),
        ("softmax_focal_loss", "rows",
         lambda: lb.softmax_focal_loss(labels, logits),
         lambda: np.mean(_naive_softmax_focal(onehot, logits))),
        ("iou_loss", "boxes", lambda: lb.iou_loss(bt, bp),
         lambda: np.mean(1 - _naive_iou(bt, bp))),
        ("giou_loss", "boxes", lambda: lb.giou_loss(bt, bp), None),
        ("diou_loss", "boxes", lambda: lb.diou_loss(bt, bp), None),
        ("ciou_loss", "boxes", lambda: lb.ciou_loss(bt, bp), None),
    ]
    return rows, (y, yhat, t, z, p, logits, labels, bt, bp)


def _naive_focal(t, z):
    p = sigmoid(z)
    pt = p * t + (1 - p) * (1 - t)
    at = 0.25 * t + 0.75 * (1 - t)
    return -at * (1 - pt) ** 2 * np.log(pt)


def _naive_softmax_focal(onehot, logits):
    pt = (naive_softmax(logits) * onehot).sum(axis=-1)
    return -((1 - pt) ** 2) * np.log(pt)


def _naive_iou(a, b):
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]),
                 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]),
                 0, None)
    inter = iw * ih
    area = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
            + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
    return inter / (area - inter)


def torch_calls(arrays):
    """PyTorch CPU equivalents, built once per dtype (None when absent)."""
    if torch is None:
        return {}
    y, yhat, t, z, p, logits, labels, bt, bp = (
        torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)

    def focal():
        # the formula of torchvision.ops.sigmoid_focal_loss, in torch ops
        prob = torch.sigmoid(z)
        ce = F.binary_cross_entropy_with_logits(z, t, reduction="none")
        pt = prob * t + (1 - prob) * (1 - t)
        at = 0.25 * t + 0.75 * (1 - t)
        return (at * ce * (1 - pt) ** 2).mean()

    calls = {
        "mse": lambda: F.mse_loss(yhat, y),
        "mae": lambda: F.l1_loss(yhat, y),
        "huber": lambda: F.huber_loss(yhat, y),
        "smooth_l1": lambda: F.smooth_l1_loss(yhat, y),
        "binary_cross_entropy": lambda: F.binary_cross_entropy(p, t),
        "binary_cross_entropy_with_logits":
            lambda: F.binary_cross_entropy_with_logits(z, t),
        "cross_entropy": lambda: F.cross_entropy(logits, labels),
        "sigmoid_focal_loss": focal,
    }
    try:
        from torchvision import ops
    except ImportError:
        return calls
    calls.update({
        "giou_loss": lambda: ops.generalized_box_iou_loss(bt, bp).mean(),
        "diou_loss": lambda: ops.distance_box_iou_loss(bt, bp).mean(),
        "ciou_loss": lambda: ops.complete_box_iou_loss(bt, bp).mean(),
    })
    return calls


def main() -> None:
    torch_note = (f"PyTorch {torch.__version__} CPU, "
                  f"{torch.get_num_threads()} threads"
                  if torch is not None else "PyTorch not installed")
    print(f"lossbook {lb.__version__}; NumPy {np.__version__}; {torch_note}")
    print(f"best of {REPEATS} calls; sizes: {N} elements, "
          f"({ROWS}, {CLASSES}) logits, {BOXES} boxes")
    if torch is None:
        print("the PyTorch columns need torch (and torchvision for the box "
              "losses) in this Python: `.venv/bin/python -m pip install "
              "torch torchvision`; nothing else needs it")
    print("peak MB: memory held at once by one lossbook call beyond its "
          f"inputs; peak/in: that over the input size (goal: at most "
          f"{MEMORY_BOUND:g})\n")
    header = (f"{'loss':<34}{'dtype':<9}{'lossbook ms':>12}{'naive ms':>10}"
              + (f"{'torch ms':>10}" if torch is not None else "")
              + f"{'lb/naive':>10}"
              + (f"{'lb/torch':>10}" if torch is not None else "")
              + f"{'peak MB':>9}{'peak/in':>9}")
    over = []
    for dtype in (np.float64, np.float32):
        rows, arrays = cases(dtype)
        tcalls = torch_calls(arrays)
        print(header)
        ratios = []
        for name, kind, ours, naive in rows:
            t_lb = best_time(ours)
            t_nv = best_time(naive) if naive else math.nan
            t_pt = best_time(tcalls[name]) if name in tcalls else math.nan
            r_nv, r_pt = t_lb / t_nv, t_lb / t_pt
            if kind == "elementwise" and not math.isnan(r_pt):
                ratios.append(r_pt)
            peak = peak_bytes(ours)
            share = peak / input_bytes(kind, arrays)
            if share > MEMORY_BOUND:
                over.append(f"{name} ({np.dtype(dtype).name}, {share:.2f})")
            print(f"{name:<34}{np.dtype(dtype).name:<9}{1e3 * t_lb:>12.2f}"
                  + cell(1e3 * t_nv, 10)
                  + (cell(1e3 * t_pt, 10) if torch is not None else "")
                  + cell(r_nv, 10)
                  + (cell(r_pt, 10) if torch is not None else "")
                  + cell(peak / 1e6, 9, ".1f") + cell(share, 9))
        if ratios:
            gmean = math.exp(sum(map(math.log, ratios)) / len(ratios))
            print(f"geometric mean lossbook/torch over element-wise losses "
                  f"({np.dtype(dtype).name}): {gmean:.2f}")
        print()
    if over:
        print(f"peak memory above {MEMORY_BOUND:g}x the input: "
              + ", ".join(over))
    else:
        print(f"every loss peaks within {MEMORY_BOUND:g}x its input size")


if __name__ == "__main__":
    main()
