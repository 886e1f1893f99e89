"""Time lossbook against a naive NumPy formula and PyTorch (``make bench``).

For each loss: the best of several calls, measured in this one process,
for float64 and float32 inputs of the sizes the project's goals name:
10**6 elements for element-wise losses, (10**5, 100) logits for
cross-entropy and softmax focal loss, 10**5 box pairs for the box losses,
1000 x 1000 pairs for the pairwise box functions. The calls of lossbook
(with its default threads, held to one thread, and with its NumPy kernels
in place of the compiled twins: the "no Numba" column), the naive formula and
PyTorch alternate round by round (interleaved), so that a burst of load on
a shared machine slows all of them alike, in an order shuffled every
round, so that none always runs right after PyTorch's (whose idle OpenMP
workers spin on the other core for a moment); the best round of each is
kept. The naive column is the textbook formula in plain NumPy (no
validation, no stability measures). PyTorch CPU is timed when it is
importable; it is never required (without it the PyTorch columns are left
out and a line says so). Where torchvision is missing, its box formulas
are written in torch operations. Ratios below 1 mean lossbook is faster;
they compare lossbook's default.

Memory: one more call of each lossbook loss runs under ``tracemalloc``
(NumPy reports its array buffers to it), outside the timed calls. The
"peak MB" column is the most memory the call held at once beyond what
existed before it, "peak/in" that peak over the bytes of the input arrays
(for the pairwise functions, whose result is larger than their input,
over the bytes of input and result). The goal is at most
``MEMORY_BOUND`` times the input; the last line names every loss above
it. A last table times two realistic sizes, once each: cross-entropy on
(10**5, 1000) float32 logits and BCE with logits on 10**7 elements.
"""

from __future__ import annotations

import gc
import math
import os
import random
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import lossbook as lb
from lossbook import _blocks

try:  # PyTorch is optional: a comparison, not a dependency
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

N = 10**6
ROWS, CLASSES = 10**5, 100
BOXES = 10**5
PAIRS = 1000  # boxes on each side of the pairwise functions
REPEATS = 21
MEMORY_BOUND = 2.0  # peak extra memory, in multiples of the input size
#: the realistic sizes of the last table
LARGE_ROWS, LARGE_CLASSES, LARGE_N = 10**5, 1000, 10**7


def best_times(fns: list[Callable[[], object] | None],
               repeats: int = REPEATS) -> list[float]:
    """The best time of each call, the calls alternating round by round
    in an order shuffled every round (seeded)."""
    for fn in fns:
        if fn is not None:
            fn()  # warm-up: first-call allocation and import costs
    best = [math.inf if fn is not None else math.nan for fn in fns]
    order = [i for i, fn in enumerate(fns) if fn is not None]
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        # PyTorch's OpenMP workers spin for a while after each call and
        # keep the second core busy: in a fixed order the call after
        # torch's would always pay for that
        shuffle(order)
        for i in order:
            start = time.perf_counter()
            fns[i]()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def with_setting(
    fn: Callable[[], object], variable: str, value: str
) -> Callable[[], object]:
    """``fn`` run with the environment variable ``variable`` set to
    ``value`` (lossbook reads its settings at every call)."""
    def call() -> object:
        os.environ[variable] = value
        try:
            return fn()
        finally:
            del os.environ[variable]
    return call


def compiled_note() -> str:
    """Whether lossbook's compiled twins run (Numba installed)."""
    if _blocks._fused_module() is None:
        return ("compiled twins off: Numba is not installed "
                "(`pip install numba`), so the 'no Numba' column repeats "
                "the default")
    import numba

    return f"compiled twins on (Numba {numba.__version__})"


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
    """Bytes of the arrays a loss of this kind is called with (for the
    pairwise functions, with their result)."""
    y, yhat, _, _, _, logits, labels, bt, bp, b1, b2 = arrays
    if kind == "elementwise":  # two arrays of N: (y, yhat), (t, p), (t, z)
        return y.nbytes + yhat.nbytes
    if kind == "rows":
        return logits.nbytes + labels.nbytes
    if kind == "pairwise":
        return b1.nbytes + b2.nbytes + len(b1) * len(b2) * b1.itemsize
    if kind == "convert":
        return bt.nbytes
    return bt.nbytes + bp.nbytes


def cell(value: float, width: int, spec: str = ".2f") -> str:
    """A number, or a dash where there is nothing to compare with."""
    text = "—" if math.isnan(value) else format(value, spec)
    return f"{text:>{width}}"


def gmean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


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
    b1, b2 = b_true[:PAIRS].copy(), b_pred[:PAIRS].copy()
    return y, yhat, t, z, p, logits, labels, b_true, b_pred, b1, b2


def cases(dtype):
    arrays = make_inputs(dtype)
    y, yhat, t, z, p, logits, labels, bt, bp, b1, b2 = arrays
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
        ("box_iou", "pairwise", lambda: lb.box_iou(b1, b2),
         lambda: _naive_iou(b1[:, None], b2[None, :])),
        ("generalized_box_iou", "pairwise",
         lambda: lb.generalized_box_iou(b1, b2), None),
        ("box_convert", "convert",
         lambda: lb.box_convert(bt, "xyxy", "cxcywh"),
         lambda: np.concatenate([(bt[:, :2] + bt[:, 2:]) / 2,
                                 bt[:, 2:] - bt[:, :2]], axis=1)),
    ]
    return rows, arrays


def _naive_focal(t, z):
    p = sigmoid(z)
    pt = p * t + (1 - p) * (1 - t)
    at = 0.25 * t + 0.75 * (1 - t)
    return -at * (1 - pt) ** 2 * np.log(pt)


def _naive_softmax_focal(onehot, logits):
    pt = (naive_softmax(logits) * onehot).sum(axis=-1)
    return -((1 - pt) ** 2) * np.log(pt)


def _naive_iou(a, b):
    iw = np.clip(np.minimum(a[..., 2], b[..., 2])
                 - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3])
                 - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
            + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]))
    return inter / (area - inter)


def _torch_box_ops():
    """torchvision's box formulas in torch operations (its ops when
    installed): elementwise and pairwise IoU/GIoU and the conversion."""

    def parts(a, b):
        lt = torch.maximum(a[..., :2], b[..., :2])
        rb = torch.minimum(a[..., 2:], b[..., 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[..., 0] * wh[..., 1]
        area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
        area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        union = area_a + area_b - inter
        return inter, union

    def enclosing(a, b):
        lt = torch.minimum(a[..., :2], b[..., :2])
        rb = torch.maximum(a[..., 2:], b[..., 2:])
        wh = (rb - lt).clamp(min=0)
        return wh[..., 0] * wh[..., 1]

    def iou_loss(a, b, eps=1e-7):
        inter, union = parts(a, b)
        return (1 - inter / (union + eps)).mean()

    def giou_loss(a, b, eps=1e-7):
        inter, union = parts(a, b)
        iou = inter / (union + eps)
        area_c = enclosing(a, b)
        return (1 - (iou - (area_c - union) / (area_c + eps))).mean()

    def box_iou(a, b):
        inter, union = parts(a[:, None], b[None, :])
        return inter / union

    def generalized_box_iou(a, b):
        inter, union = parts(a[:, None], b[None, :])
        area_c = enclosing(a[:, None], b[None, :])
        return inter / union - (area_c - union) / area_c

    def box_convert(a):
        return torch.cat([(a[:, :2] + a[:, 2:]) / 2, a[:, 2:] - a[:, :2]],
                         dim=1)

    return iou_loss, giou_loss, box_iou, generalized_box_iou, box_convert


def torch_calls(arrays):
    """PyTorch CPU equivalents, built once per dtype (None when absent)."""
    if torch is None:
        return {}
    y, yhat, t, z, p, logits, labels, bt, bp, b1, b2 = (
        torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)
    log2 = math.log(2.0)

    def focal():
        # the formula of torchvision.ops.sigmoid_focal_loss, in torch ops
        prob = torch.sigmoid(z)
        ce = F.binary_cross_entropy_with_logits(z, t, reduction="none")
        pt = prob * t + (1 - prob) * (1 - t)
        at = 0.25 * t + 0.75 * (1 - t)
        return (at * ce * (1 - pt) ** 2).mean()

    def softmax_focal():
        logp = F.log_softmax(logits, dim=-1).gather(1, labels[:, None])
        return (-((1 - logp.exp()) ** 2) * logp).mean()

    def log_cosh():
        # Keras's form: d + softplus(-2d) - log 2
        d = yhat - y
        return (d + F.softplus(-2 * d) - log2).mean()

    calls = {
        "mse": lambda: F.mse_loss(yhat, y),
        "mae": lambda: F.l1_loss(yhat, y),
        "huber": lambda: F.huber_loss(yhat, y),
        "smooth_l1": lambda: F.smooth_l1_loss(yhat, y),
        "log_cosh": log_cosh,
        "binary_cross_entropy": lambda: F.binary_cross_entropy(p, t),
        "binary_cross_entropy_with_logits":
            lambda: F.binary_cross_entropy_with_logits(z, t),
        "cross_entropy": lambda: F.cross_entropy(logits, labels),
        "sigmoid_focal_loss": focal,
        "softmax_focal_loss": softmax_focal,
    }
    iou_l, giou_l, iou, giou, convert = _torch_box_ops()
    calls.update({
        "iou_loss": lambda: iou_l(bt, bp),
        "giou_loss": lambda: giou_l(bt, bp),
        "box_iou": lambda: iou(b1, b2),
        "generalized_box_iou": lambda: giou(b1, b2),
        "box_convert": lambda: convert(bt),
    })
    try:
        from torchvision import ops
    except ImportError:
        return calls
    calls.update({
        "giou_loss": lambda: ops.generalized_box_iou_loss(bt, bp).mean(),
        "diou_loss": lambda: ops.distance_box_iou_loss(bt, bp).mean(),
        "ciou_loss": lambda: ops.complete_box_iou_loss(bt, bp).mean(),
        "box_iou": lambda: ops.box_iou(b1, b2),
        "generalized_box_iou": lambda: ops.generalized_box_iou(b1, b2),
        "box_convert": lambda: ops.box_convert(bt, "xyxy", "cxcywh"),
    })
    return calls


def large_table() -> None:
    """Realistic sizes, a few calls each: time and memory."""
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3, size=(LARGE_ROWS, LARGE_CLASSES)).astype(
        np.float32)
    labels = rng.integers(0, LARGE_CLASSES, size=LARGE_ROWS)
    t = (rng.random(LARGE_N) < 0.3).astype(np.float32)
    z = rng.normal(scale=3, size=LARGE_N).astype(np.float32)
    ce_torch = bce_torch = None
    if torch is not None:
        tl, tlab = torch.from_numpy(logits), torch.from_numpy(labels)
        tt, tz = torch.from_numpy(t), torch.from_numpy(z)

        def ce_torch():
            return F.cross_entropy(tl, tlab)

        def bce_torch():
            return F.binary_cross_entropy_with_logits(tz, tt)

    rows = [
        (f"cross_entropy ({LARGE_ROWS}, {LARGE_CLASSES})",
         lambda: lb.cross_entropy(labels, logits),
         logits.nbytes + labels.nbytes, ce_torch),
        (f"BCE with logits ({LARGE_N:.0e})",
         lambda: lb.binary_cross_entropy_with_logits(t, z),
         t.nbytes + z.nbytes, bce_torch),
    ]
    print(f"{'realistic size, float32':<34}{'lossbook ms':>12}"
          + (f"{'torch ms':>10}{'lb/torch':>10}" if torch is not None
             else "") + f"{'peak MB':>9}{'peak/in':>9}")
    for name, ours, nbytes, theirs in rows:
        t_lb, t_pt = best_times([ours, theirs], repeats=3)
        peak = peak_bytes(ours)
        print(f"{name:<34}{1e3 * t_lb:>12.1f}"
              + (cell(1e3 * t_pt, 10, ".1f") + cell(t_lb / t_pt, 10)
                 if torch is not None else "")
              + cell(peak / 1e6, 9, ".1f") + cell(peak / nbytes, 9))


def main() -> None:
    torch_note = (f"PyTorch {torch.__version__} CPU, "
                  f"{torch.get_num_threads()} threads"
                  if torch is not None else "PyTorch not installed")
    for variable in (_blocks.THREADS_VARIABLE, _blocks.COMPILED_VARIABLE):
        if variable in os.environ:
            raise SystemExit(f"unset {variable}: the bench times lossbook's "
                             "default and the alternatives itself")
    print(f"lossbook {lb.__version__} ({_blocks.threads()} threads for "
          f"large inputs, {compiled_note()}); NumPy {np.__version__}; "
          f"{torch_note}")
    print(f"best of {REPEATS} interleaved rounds; sizes: {N} elements, "
          f"({ROWS}, {CLASSES}) logits, {BOXES} boxes, {PAIRS} x {PAIRS} "
          "pairs")
    if torch is None:
        print("the PyTorch columns need torch in this Python: "
              "`.venv/bin/python -m pip install torch`; nothing else "
              "needs it")
    print("peak MB: memory held at once by one lossbook call beyond its "
          f"inputs; peak/in: that over the input size (goal: at most "
          f"{MEMORY_BOUND:g})\n")
    header = (f"{'loss':<34}{'dtype':<9}{'lossbook ms':>12}{'1 thread':>9}"
              f"{'no Numba':>9}{'naive ms':>10}"
              + (f"{'torch ms':>10}" if torch is not None else "")
              + f"{'lb/naive':>10}"
              + (f"{'lb/torch':>10}" if torch is not None else "")
              + f"{'peak MB':>9}{'peak/in':>9}")
    over = []
    for dtype in (np.float64, np.float32):
        rows, arrays = cases(dtype)
        tcalls = torch_calls(arrays)
        print(header)
        elementwise, every, elementwise_one, every_one = [], [], [], []
        for name, kind, ours, naive in rows:
            t_lb, t_one, t_np, t_nv, t_pt = best_times(
                [ours, with_setting(ours, _blocks.THREADS_VARIABLE, "1"),
                 with_setting(ours, _blocks.COMPILED_VARIABLE, "0"), naive,
                 tcalls.get(name)])
            r_nv, r_pt = t_lb / t_nv, t_lb / t_pt
            if not math.isnan(r_pt):
                every.append(r_pt)
                every_one.append(t_one / t_pt)
                if kind == "elementwise":
                    elementwise.append(r_pt)
                    elementwise_one.append(t_one / t_pt)
            peak = peak_bytes(ours)
            share = peak / input_bytes(kind, arrays)
            if share > MEMORY_BOUND:
                over.append(f"{name} ({np.dtype(dtype).name}, {share:.2f})")
            print(f"{name:<34}{np.dtype(dtype).name:<9}{1e3 * t_lb:>12.2f}"
                  + cell(1e3 * t_one, 9) + cell(1e3 * t_np, 9)
                  + cell(1e3 * t_nv, 10)
                  + (cell(1e3 * t_pt, 10) if torch is not None else "")
                  + cell(r_nv, 10)
                  + (cell(r_pt, 10) if torch is not None else "")
                  + cell(peak / 1e6, 9, ".1f") + cell(share, 9))
        name = np.dtype(dtype).name
        if elementwise:
            print(f"geometric mean lossbook/torch ({name}): "
                  f"{gmean(elementwise):.2f} over the element-wise losses, "
                  f"{gmean(every):.2f} over every row timed against torch; "
                  f"on one thread {gmean(elementwise_one):.2f} and "
                  f"{gmean(every_one):.2f}")
        print()
    if over:
        print(f"peak memory above {MEMORY_BOUND:g}x the input: "
              + ", ".join(over))
    else:
        print(f"every loss peaks within {MEMORY_BOUND:g}x its input size")
    print()
    large_table()


if __name__ == "__main__":
    main()
