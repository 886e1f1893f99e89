"""Record PyTorch's and torchvision's values for tests/test_reference_values.

This is the only file of the project that needs PyTorch, and it is run by
hand, never by the test suite. Use a throwaway virtual environment
outside the repository:

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy
    /tmp/torchenv/bin/python tools/make_reference_values.py

It writes ``tests/data/reference_values.json`` (or ``--out PATH``): for
every case, the float64 inputs, the name and keyword arguments of the
lossbook function that should reproduce the value, the PyTorch call that
produced it, and its result (or its autograd gradient). The inputs are
seeded, so a rerun with the same versions gives the same file.

Argument order differs between the two: PyTorch losses take
``(input, target)``, lossbook takes ``(y_true, y_pred)``; the ``args`` of
each case are in lossbook's order. Other translations are spelt out in
each case's ``reference`` string: PyTorch's default reductions, its
``ignore_index=-100``, torchvision's ``alpha=-1`` (lossbook's
``alpha=None``), torchvision's box losses defaulting to ``"none"``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision import ops
from torchvision.ops.diou_loss import _diou_iou_loss

SEED = 20240607
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent
    / "tests" / "data" / "reference_values.json"
)

CASES: list[dict[str, Any]] = []
_COUNTS: Counter[str] = Counter()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def t(x: Any, *, grad: bool = False) -> torch.Tensor:
    """A float64 tensor (int64 for integer arrays) copied from ``x``."""
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.integer):
        return torch.tensor(arr, dtype=torch.int64)
    return torch.tensor(arr, dtype=torch.float64, requires_grad=grad)


def plain(x: Any) -> Any:
    """JSON-ready: arrays and tensors to nested lists, numbers to Python."""
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def add(
    function: str,
    args: list[Any],
    kwargs: dict[str, Any],
    expected: Any,
    reference: str,
    *,
    kind: str = "value",
    tolerance: str = "default",
    expect: str = "match",
) -> None:
    """Record one case; ``function`` is lossbook's dotted name.

    ``kind="gradient"`` means ``lossbook.gradients.gradient(function,
    *args, **kwargs)`` is compared with ``expected``; ``tolerance`` names
    an entry of the test's tolerance table; ``expect="differs"`` records a
    known, documented disagreement that the test asserts is still there.
    """
    short = function.rsplit(".", 1)[1]
    group = f"{short}-grad" if kind == "gradient" else short
    case_id = f"{group}-{_COUNTS[group]}"
    _COUNTS[group] += 1
    CASES.append({
        "id": case_id,
        "function": function,
        "kind": kind,
        "args": plain(args),
        "kwargs": plain(kwargs),
        "expected": plain(expected),
        "reference": reference,
        "tolerance": tolerance,
        "expect": expect,
    })


def grad_of(fn, x: np.ndarray) -> np.ndarray:
    """d sum(fn(x)) / dx by autograd (``"none"`` outputs get ones)."""
    xt = t(x, grad=True)
    out = fn(xt)
    out.backward(torch.ones_like(out))
    return xt.grad.numpy()


# ---------------------------------------------------------------------------
# regression: mse_loss, l1_loss, huber_loss, smooth_l1_loss
# ---------------------------------------------------------------------------


def regression(rng: np.random.Generator) -> None:
    y = rng.normal(size=(4, 5)) * 3
    p = y + rng.normal(size=(4, 5)) * 2
    p[0, 0] = y[0, 0] + 1e4  # an outlier
    p[1, 1] = y[1, 1] - 250.0
    p[2, 2] = y[2, 2] + 1e-9  # a near-perfect prediction
    yt, pt = t(y), t(p)
    for red in ("none", "mean", "sum"):
        add("lossbook.regression.mse", [y, p], {"reduction": red},
            F.mse_loss(pt, yt, reduction=red),
            f"torch.nn.functional.mse_loss(y_pred, y_true, reduction={red!r})")
        add("lossbook.regression.mae", [y, p], {"reduction": red},
            F.l1_loss(pt, yt, reduction=red),
            f"torch.nn.functional.l1_loss(y_pred, y_true, reduction={red!r})")
    for delta in (1.0, 0.5, 3.0):
        for red in ("none", "mean", "sum"):
            add("lossbook.regression.huber", [y, p],
                {"delta": delta, "reduction": red},
                F.huber_loss(pt, yt, reduction=red, delta=delta),
                "torch.nn.functional.huber_loss(y_pred, y_true, "
                f"reduction={red!r}, delta={delta})")
    for beta in (1.0, 0.0, 1 / 9, 2.5):
        for red in ("none", "mean", "sum"):
            add("lossbook.regression.smooth_l1", [y, p],
                {"beta": beta, "reduction": red},
                F.smooth_l1_loss(pt, yt, reduction=red, beta=beta),
                "torch.nn.functional.smooth_l1_loss(y_pred, y_true, "
                f"reduction={red!r}, beta={beta!r})")
    # gradients with respect to y_pred (PyTorch's input)
    add("lossbook.regression.mse", [y, p], {"reduction": "mean"},
        grad_of(lambda x: F.mse_loss(x, yt), p),
        "autograd of torch.nn.functional.mse_loss(y_pred, y_true) in y_pred",
        kind="gradient")
    add("lossbook.regression.mae", [y, p], {"reduction": "sum"},
        grad_of(lambda x: F.l1_loss(x, yt, reduction="sum"), p),
        "autograd of torch.nn.functional.l1_loss(..., reduction='sum')",
        kind="gradient")
    add("lossbook.regression.huber", [y, p],
        {"delta": 0.5, "reduction": "mean"},
        grad_of(lambda x: F.huber_loss(x, yt, delta=0.5), p),
        "autograd of torch.nn.functional.huber_loss(..., delta=0.5)",
        kind="gradient")
    for beta in (1 / 9, 0.0):
        add("lossbook.regression.smooth_l1", [y, p],
            {"beta": beta, "reduction": "none"},
            grad_of(lambda x, b=beta: F.smooth_l1_loss(
                x, yt, reduction="none", beta=b), p),
            "autograd of torch.nn.functional.smooth_l1_loss(..., "
            f"reduction='none', beta={beta!r}), ones as output gradient",
            kind="gradient")


# ---------------------------------------------------------------------------
# binary classification
# ---------------------------------------------------------------------------


def binary(rng: np.random.Generator) -> None:
    shape = (4, 5)
    y_hard = rng.integers(0, 2, size=shape).astype(np.float64)
    y_soft = rng.uniform(size=shape)
    p = rng.uniform(0.02, 0.98, size=shape)
    w = rng.uniform(0.2, 2.0, size=shape)
    pt = t(p)
    for name, y in (("hard", y_hard), ("soft", y_soft)):
        for red in ("none", "mean", "sum"):
            add("lossbook.classification.binary_cross_entropy", [y, p],
                {"reduction": red},
                F.binary_cross_entropy(pt, t(y), reduction=red),
                "torch.nn.functional.binary_cross_entropy(y_prob, y_true, "
                f"reduction={red!r}) ({name} targets)")
        add("lossbook.classification.binary_cross_entropy", [y, p],
            {"weight": w, "reduction": "mean"},
            F.binary_cross_entropy(pt, t(y), weight=t(w)),
            "torch.nn.functional.binary_cross_entropy(y_prob, y_true, "
            f"weight=w) ({name} targets; 'mean' is the plain mean)")
    # near 0 and 1 but above the clamp (torch 2 takes log1p(-p))
    p_edge = np.array([1e-12, 1e-8, 1 - 1e-8, 1 - 1e-12, 0.5, 1e-30])
    for y_edge in (np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
                   np.array([1.0, 1.0, 0.0, 0.0, 1.0, 1.0])):
        add("lossbook.classification.binary_cross_entropy", [y_edge, p_edge],
            {"reduction": "none"},
            F.binary_cross_entropy(t(p_edge), t(y_edge), reduction="none"),
            "torch.nn.functional.binary_cross_entropy(y_prob, y_true, "
            "reduction='none'), probabilities within 1e-12 of 0 and 1")
    # where the clamp bites: compared with lossbook.frameworks' emulation
    p_clamp = np.array([0.0, 1.0, 1e-50, 1.0, 0.3, 0.0])
    y_clamp = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.4])
    w_clamp = np.array([1.0, 2.0, 0.5, 1.0, 1.0, 3.0])
    for red in ("none", "mean"):
        add("lossbook.frameworks.torch_binary_cross_entropy",
            [y_clamp, p_clamp], {"weight": w_clamp, "reduction": red},
            F.binary_cross_entropy(t(p_clamp), t(y_clamp), weight=t(w_clamp),
                                   reduction=red),
            "torch.nn.functional.binary_cross_entropy(y_prob, y_true, "
            f"weight=w, reduction={red!r}) where log clamps at -100",
            tolerance="emulation")
    add("lossbook.classification.binary_cross_entropy", [y_soft, p],
        {"weight": w, "reduction": "mean"},
        grad_of(lambda x: F.binary_cross_entropy(x, t(y_soft), weight=t(w)),
                p),
        "autograd of torch.nn.functional.binary_cross_entropy(y_prob, "
        "y_true, weight=w) in y_prob", kind="gradient")
    add("lossbook.classification.binary_cross_entropy", [y_hard, p],
        {"reduction": "sum"},
        grad_of(lambda x: F.binary_cross_entropy(x, t(y_hard),
                                                 reduction="sum"), p),
        "autograd of torch.nn.functional.binary_cross_entropy(..., "
        "reduction='sum')", kind="gradient")

    # with logits: moderate values and +-30
    z = rng.uniform(-8, 8, size=shape)
    z.flat[:6] = [-30.0, 30.0, -20.0, 20.0, 0.0, 1e-3]
    zt = t(z)
    pos_weight = rng.uniform(0.5, 4.0, size=shape[-1])
    for name, y in (("hard", y_hard), ("soft", y_soft)):
        yt = t(y)
        for red in ("none", "mean", "sum"):
            add("lossbook.classification.binary_cross_entropy_with_logits",
                [y, z], {"reduction": red},
                F.binary_cross_entropy_with_logits(zt, yt, reduction=red),
                "torch.nn.functional.binary_cross_entropy_with_logits("
                f"logits, y_true, reduction={red!r}) ({name} targets)",
                tolerance="logits")
        add("lossbook.classification.binary_cross_entropy_with_logits",
            [y, z], {"weight": w, "pos_weight": pos_weight,
                     "reduction": "none"},
            F.binary_cross_entropy_with_logits(
                zt, yt, weight=t(w), pos_weight=t(pos_weight),
                reduction="none"),
            "torch.nn.functional.binary_cross_entropy_with_logits(logits, "
            "y_true, weight=w, pos_weight=pw (one per column), "
            f"reduction='none') ({name} targets)", tolerance="logits")
        add("lossbook.classification.binary_cross_entropy_with_logits",
            [y, z], {"pos_weight": 3.0, "reduction": "mean"},
            F.binary_cross_entropy_with_logits(
                zt, yt, pos_weight=torch.tensor(3.0, dtype=torch.float64)),
            "torch.nn.functional.binary_cross_entropy_with_logits(logits, "
            f"y_true, pos_weight=tensor(3.0)) ({name} targets)",
            tolerance="logits")
        add("lossbook.classification.binary_cross_entropy_with_logits",
            [y, z], {"weight": w, "pos_weight": pos_weight,
                     "reduction": "mean"},
            grad_of(lambda x, yt=yt: F.binary_cross_entropy_with_logits(
                x, yt, weight=t(w), pos_weight=t(pos_weight)), z),
            "autograd of torch.nn.functional.binary_cross_entropy_with_"
            f"logits(logits, y_true, weight=w, pos_weight=pw) ({name})",
            kind="gradient", tolerance="logits")


# ---------------------------------------------------------------------------
# multi-class: cross_entropy, nll on probabilities, sequences
# ---------------------------------------------------------------------------


def multiclass(rng: np.random.Generator) -> None:
    n, c = 7, 5
    z = rng.normal(size=(n, c)) * 3
    z[0] = [30.0, -30.0, 0.0, 29.9, -5.0]
    z[1] = [30.0, -30.0, -30.0, -30.0, -30.0]  # a confident correct row
    labels = rng.integers(0, c, size=n)
    labels[1] = 0
    weight = rng.uniform(0.3, 2.0, size=c)
    probs = rng.dirichlet(np.ones(c), size=n)
    zt, lt = t(z), t(labels)
    ref = "torch.nn.functional.cross_entropy(logits, y_true"

    def ce(red, **kw):
        return F.cross_entropy(zt, kw.pop("target", lt), reduction=red, **kw)

    for red in ("none", "mean", "sum"):
        add("lossbook.classification.cross_entropy", [labels, z],
            {"reduction": red}, ce(red), f"{ref}, reduction={red!r})",
            tolerance="logits")
        add("lossbook.classification.cross_entropy", [labels, z],
            {"weight": weight, "reduction": red},
            ce(red, weight=t(weight)),
            f"{ref}, weight=w, reduction={red!r}); weighted 'mean' divides "
            "by the sum of the targets' weights", tolerance="logits")
    # ignore_index: torch's default -100, and a real class
    ignored = labels.copy()
    ignored[[2, 5]] = -100
    for red in ("none", "mean", "sum"):
        add("lossbook.classification.cross_entropy", [ignored, z],
            {"ignore_index": -100, "weight": weight, "reduction": red},
            ce(red, target=t(ignored), weight=t(weight)),
            f"{ref} with -100 labels, weight=w, reduction={red!r}) "
            "(ignore_index=-100 is torch's default)", tolerance="logits")
    add("lossbook.classification.cross_entropy", [labels, z],
        {"ignore_index": 2, "reduction": "mean"},
        ce("mean", ignore_index=2),
        f"{ref}, ignore_index=2)", tolerance="logits")
    # label smoothing, with index and probability targets
    for eps in (0.1, 0.25):
        for red in ("none", "mean"):
            add("lossbook.classification.cross_entropy", [labels, z],
                {"label_smoothing": eps, "reduction": red},
                ce(red, label_smoothing=eps),
                f"{ref}, label_smoothing={eps}, reduction={red!r})",
                tolerance="logits")
    add("lossbook.classification.cross_entropy", [ignored, z],
        {"ignore_index": -100, "weight": weight, "label_smoothing": 0.2,
         "reduction": "mean"},
        ce("mean", target=t(ignored), weight=t(weight), label_smoothing=0.2),
        f"{ref} with -100 labels, weight=w, label_smoothing=0.2)",
        tolerance="logits")
    add("lossbook.classification.cross_entropy", [ignored, z],
        {"ignore_index": -100, "weight": weight, "label_smoothing": 0.2,
         "reduction": "none"},
        ce("none", target=t(ignored), weight=t(weight), label_smoothing=0.2),
        f"{ref} with -100 labels, weight=w, label_smoothing=0.2, "
        "reduction='none')", tolerance="logits")
    for red in ("none", "mean", "sum"):
        add("lossbook.classification.cross_entropy", [probs, z],
            {"reduction": red}, ce(red, target=t(probs)),
            f"{ref}=probabilities, reduction={red!r})", tolerance="logits")
    add("lossbook.classification.cross_entropy", [probs, z],
        {"weight": weight, "label_smoothing": 0.15, "reduction": "mean"},
        ce("mean", target=t(probs), weight=t(weight), label_smoothing=0.15),
        f"{ref}=probabilities, weight=w, label_smoothing=0.15); 'mean' "
        "divides by N here", tolerance="logits")
    # PyTorch's (N, C, d1) layout is lossbook's axis=1
    z3 = rng.normal(size=(3, 4, 6)) * 4
    l3 = rng.integers(0, 4, size=(3, 6))
    w3 = rng.uniform(0.5, 1.5, size=4)
    for red in ("none", "mean"):
        add("lossbook.classification.cross_entropy", [l3, z3],
            {"axis": 1, "weight": w3, "reduction": red},
            F.cross_entropy(t(z3), t(l3), weight=t(w3), reduction=red),
            "torch.nn.functional.cross_entropy(logits (N, C, L), y_true "
            f"(N, L), weight=w, reduction={red!r})", tolerance="logits")
    p3 = rng.dirichlet(np.ones(4), size=(3, 6)).transpose(0, 2, 1)
    add("lossbook.classification.cross_entropy", [p3, z3],
        {"axis": 1, "label_smoothing": 0.1, "reduction": "sum"},
        F.cross_entropy(t(z3), t(p3), label_smoothing=0.1, reduction="sum"),
        "torch.nn.functional.cross_entropy(logits (N, C, L), probabilities "
        "(N, C, L), label_smoothing=0.1, reduction='sum')",
        tolerance="logits")
    # gradients in the logits
    add("lossbook.classification.cross_entropy", [labels, z],
        {"reduction": "mean"},
        grad_of(lambda x: F.cross_entropy(x, lt), z),
        f"autograd of {ref}) in logits", kind="gradient", tolerance="logits")
    add("lossbook.classification.cross_entropy", [ignored, z],
        {"ignore_index": -100, "weight": weight, "label_smoothing": 0.2,
         "reduction": "mean"},
        grad_of(lambda x: F.cross_entropy(x, t(ignored), weight=t(weight),
                                          label_smoothing=0.2), z),
        f"autograd of {ref} with -100 labels, weight=w, "
        "label_smoothing=0.2)", kind="gradient", tolerance="logits")
    add("lossbook.classification.cross_entropy", [probs, z],
        {"weight": weight, "reduction": "sum"},
        grad_of(lambda x: F.cross_entropy(x, t(probs), weight=t(weight),
                                          reduction="sum"), z),
        f"autograd of {ref}=probabilities, weight=w, reduction='sum')",
        kind="gradient", tolerance="logits")
    add("lossbook.classification.cross_entropy", [l3, z3],
        {"axis": 1, "reduction": "none"},
        grad_of(lambda x: F.cross_entropy(x, t(l3), reduction="none"), z3),
        "autograd of torch.nn.functional.cross_entropy(logits (N, C, L), "
        "y_true, reduction='none'), ones as output gradient",
        kind="gradient", tolerance="logits")

    # sparse categorical on probabilities: nll_loss of log p
    for red in ("none", "mean"):
        add("lossbook.classification.sparse_categorical_cross_entropy",
            [labels, probs], {"reduction": red},
            F.nll_loss(torch.log(t(probs)), lt, reduction=red),
            "torch.nn.functional.nll_loss(torch.log(y_prob), y_true, "
            f"reduction={red!r})")
    # softmax focal loss with gamma=0 and no alpha is cross-entropy
    add("lossbook.focal.softmax_focal_loss", [labels, z],
        {"gamma": 0.0, "reduction": "mean"}, ce("mean"),
        f"{ref}) (softmax focal loss at gamma=0, alpha=None)",
        tolerance="logits")

    # token-level cross-entropy: torch ignores padding with -100
    zs = rng.normal(size=(3, 6, 5)) * 2
    ls = rng.integers(0, 5, size=(3, 6))
    lengths = np.array([6, 4, 2])
    mask = (np.arange(6) < lengths[:, None]).astype(np.float64)
    padded = np.where(mask > 0, ls, -100)
    for red in ("mean", "sum"):
        add("lossbook.sequence.sequence_cross_entropy", [ls, zs],
            {"mask": mask, "reduction": red},
            F.cross_entropy(t(zs).reshape(-1, 5), t(padded).reshape(-1),
                            reduction=red),
            "torch.nn.functional.cross_entropy(logits.reshape(-1, C), "
            f"labels with padding -100, reduction={red!r})",
            tolerance="logits")


# ---------------------------------------------------------------------------
# focal: torchvision.ops.sigmoid_focal_loss
# ---------------------------------------------------------------------------


def focal(rng: np.random.Generator) -> None:
    shape = (4, 5)
    z = rng.uniform(-8, 8, size=shape)
    z.flat[:6] = [-30.0, 30.0, -30.0, 30.0, 0.0, 15.0]
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    y.flat[:4] = [0.0, 1.0, 1.0, 0.0]  # confident right, confident wrong
    y_soft = rng.uniform(size=shape)
    zt = t(z)
    settings = [
        (0.25, 2.0, "none", y, "hard"),
        (-1.0, 2.0, "mean", y, "hard"),
        (0.9, 0.5, "sum", y, "hard"),
        (0.25, 0.0, "none", y, "hard"),
        (0.25, 5.0, "none", y_soft, "soft"),
        (-1.0, 1.5, "mean", y_soft, "soft"),
    ]
    for alpha, gamma, red, target, name in settings:
        lb_alpha = None if alpha < 0 else alpha
        add("lossbook.focal.sigmoid_focal_loss", [target, z],
            {"alpha": lb_alpha, "gamma": gamma, "reduction": red},
            ops.sigmoid_focal_loss(zt, t(target), alpha=alpha, gamma=gamma,
                                   reduction=red),
            f"torchvision.ops.sigmoid_focal_loss(logits, y_true, "
            f"alpha={alpha}, gamma={gamma}, reduction={red!r}) ({name} "
            "targets; alpha=-1 is lossbook's alpha=None)",
            tolerance="logits")
    for alpha, gamma, red in ((0.25, 2.0, "mean"), (-1.0, 2.0, "sum"),
                              (0.6, 0.5, "none")):
        lb_alpha = None if alpha < 0 else alpha
        add("lossbook.focal.sigmoid_focal_loss", [y, z],
            {"alpha": lb_alpha, "gamma": gamma, "reduction": red},
            grad_of(lambda x, a=alpha, g=gamma, r=red:
                    ops.sigmoid_focal_loss(x, t(y), alpha=a, gamma=g,
                                           reduction=r), z),
            "autograd of torchvision.ops.sigmoid_focal_loss(logits, y_true, "
            f"alpha={alpha}, gamma={gamma}, reduction={red!r})",
            kind="gradient", tolerance="logits")
    # torchvision's own rounding, reproduced by lossbook.frameworks
    z_ext = np.array([-50.0, -40.0, -33.3, -20.0, 20.0, 36.4, 40.0, 50.0,
                      0.0, 3.0])
    y_ext = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.3])
    for alpha in (0.25, -1.0):
        add("lossbook.frameworks.torchvision_sigmoid_focal_loss",
            [y_ext, z_ext], {"alpha": alpha, "reduction": "none"},
            ops.sigmoid_focal_loss(t(z_ext), t(y_ext), alpha=alpha),
            "torchvision.ops.sigmoid_focal_loss(logits, y_true, "
            f"alpha={alpha}) at extreme logits", tolerance="emulation")


# ---------------------------------------------------------------------------
# boxes
# ---------------------------------------------------------------------------


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 100, size=(n, 2))
    wh = rng.uniform(1, 50, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def box_pairs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Matched (true, pred) pairs covering the geometric cases."""
    special_true = [
        [10.0, 10.0, 50.0, 40.0],   # identical
        [10.0, 10.0, 50.0, 40.0],   # pred nested inside
        [0.0, 0.0, 10.0, 10.0],     # disjoint, far apart
        [0.0, 0.0, 10.0, 10.0],     # touching edge
        [0.0, 0.0, 10.0, 20.0],     # same aspect ratio, shifted and scaled
        [1.0, 1.0, 1.0002, 1.0001],  # tiny boxes
        [0.0, 0.0, 2e5, 1e5],       # huge boxes
        [5.0, 5.0, 6.0, 30.0],      # thin versus wide, crossing
    ]
    special_pred = [
        [10.0, 10.0, 50.0, 40.0],
        [20.0, 15.0, 30.0, 35.0],
        [200.0, 300.0, 215.0, 330.0],
        [10.0, 0.0, 20.0, 10.0],
        [3.0, 4.0, 8.0, 14.0],
        [1.00005, 0.99995, 1.00025, 1.00008],
        [5e4, -2e4, 2.3e5, 9e4],
        [0.0, 15.0, 40.0, 17.0],
    ]
    rt, rp = _random_boxes(rng, 8), _random_boxes(rng, 8)
    rp[:4] = rt[:4] + rng.normal(size=(4, 4))  # close to the truth
    rp[:4, 2:] = np.maximum(rp[:4, 2:], rp[:4, :2] + 0.5)
    return (np.concatenate([np.array(special_true), rt]),
            np.concatenate([np.array(special_pred), rp]))


def ciou_with_alpha_in_graph(b1: torch.Tensor, b2: torch.Tensor,
                             eps: float = 1e-7) -> torch.Tensor:
    """torchvision's CIoU formula with alpha kept in the autograd graph.

    Transcribed from ``torchvision/ops/ciou_loss.py`` without its
    ``torch.no_grad()`` block, so autograd gives the true derivative.
    """
    diou, iou = _diou_iou_loss(b1, b2, eps)
    w1, h1 = b1[..., 2] - b1[..., 0], b1[..., 3] - b1[..., 1]
    w2, h2 = b2[..., 2] - b2[..., 0], b2[..., 3] - b2[..., 1]
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    alpha = v / (1 - iou + v + eps)
    return diou + alpha * v


def boxes(rng: np.random.Generator) -> None:
    bt, bp = box_pairs(rng)
    btt, bpt = t(bt), t(bp)
    # conversions
    for in_fmt, out_fmt in (("xyxy", "xywh"), ("xyxy", "cxcywh"),
                            ("xywh", "xyxy"), ("cxcywh", "xyxy"),
                            ("xywh", "cxcywh"), ("cxcywh", "xywh")):
        src = bt if in_fmt == "xyxy" else ops.box_convert(
            btt, "xyxy", in_fmt).numpy()
        add("lossbook.boxes.box_convert", [src, in_fmt, out_fmt], {},
            ops.box_convert(t(src), in_fmt, out_fmt),
            f"torchvision.ops.box_convert(boxes, {in_fmt!r}, {out_fmt!r})",
            tolerance="boxes")  # torchvision rounds twice via xyxy
    # pairwise IoU and GIoU, (N, 4) x (M, 4)
    b1 = np.concatenate([bt[:10], [[3.0, 3.0, 3.0, 9.0]]])  # a zero-area box
    b2 = np.concatenate([bp[2:12], _random_boxes(rng, 3)])
    add("lossbook.boxes.box_iou", [b1, b2], {},
        ops.box_iou(t(b1), t(b2)), "torchvision.ops.box_iou(boxes1, boxes2)",
        tolerance="boxes")
    add("lossbook.boxes.generalized_box_iou", [b1, b2], {},
        ops.generalized_box_iou(t(b1), t(b2)),
        "torchvision.ops.generalized_box_iou(boxes1, boxes2)",
        tolerance="boxes")
    # element-wise losses; torchvision's default reduction is 'none'
    losses = (
        ("giou_loss", ops.generalized_box_iou_loss),
        ("diou_loss", ops.distance_box_iou_loss),
        ("ciou_loss", ops.complete_box_iou_loss),
    )
    for name, tv_fn in losses:
        for red in ("none", "mean", "sum"):
            add(f"lossbook.boxes.{name}", [bt, bp], {"reduction": red},
                tv_fn(btt, bpt, reduction=red),
                f"torchvision.ops.{tv_fn.__name__}(boxes_true, boxes_pred, "
                f"reduction={red!r})", tolerance="boxes")
        for eps in (0.0, 1e-3):
            keep = slice(0, None) if eps else slice(1, None)
            # eps = 0 with identical boxes is 0/0 in torchvision's CIoU
            a, b = bt[keep], bp[keep]
            expect = "match"
            note = ""
            if name == "ciou_loss":
                # complete_box_iou_loss passes eps only to its alpha; its
                # DIoU part always uses _diou_iou_loss's default 1e-7
                expect = "differs"
                note = " (torchvision ignores eps in the DIoU part)"
            add(f"lossbook.boxes.{name}", [a, b],
                {"eps": eps, "reduction": "none"},
                tv_fn(t(a), t(b), reduction="none", eps=eps),
                f"torchvision.ops.{tv_fn.__name__}(boxes_true, boxes_pred, "
                f"eps={eps}){note}", tolerance="boxes", expect=expect)
    # 1 - IoU has no torchvision loss; with eps=0 it is 1 - box_iou
    iou_pairs = torch.diagonal(ops.box_iou(btt, bpt))
    add("lossbook.boxes.iou_loss", [bt, bp], {"eps": 0.0, "reduction": "none"},
        1 - iou_pairs, "1 - diag(torchvision.ops.box_iou(boxes_true, "
        "boxes_pred))", tolerance="boxes")
    # gradients with respect to boxes_pred, leaving out the identical
    # pair (a minimum with a kink) and the touching pair (the intersection
    # has a kink): neither is differentiable, and torchvision's autograd
    # (which splits min/max ties) and lossbook pick different one-sided
    # derivatives there
    smooth = [i for i in range(len(bt)) if i not in (0, 3)]
    bt, bp = bt[smooth], bp[smooth]
    btt = t(bt)
    add("lossbook.boxes.giou_loss", [bt, bp], {"reduction": "mean"},
        grad_of(lambda x: ops.generalized_box_iou_loss(btt, x,
                                                       reduction="mean"), bp),
        "autograd of torchvision.ops.generalized_box_iou_loss(boxes_true, "
        "boxes_pred, reduction='mean') in boxes_pred",
        kind="gradient", tolerance="boxes")
    add("lossbook.boxes.diou_loss", [bt, bp], {"reduction": "sum"},
        grad_of(lambda x: ops.distance_box_iou_loss(btt, x, reduction="sum"),
                bp),
        "autograd of torchvision.ops.distance_box_iou_loss(boxes_true, "
        "boxes_pred, reduction='sum') in boxes_pred",
        kind="gradient", tolerance="boxes")
    # CIoU: where the aspect ratios agree (v = 0), torchvision's constant
    # alpha and the true derivative coincide
    same_t = np.array([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 25.0, 15.0],
                       [0.0, 0.0, 4.0, 4.0]])
    same_p = np.array([[3.0, 4.0, 8.0, 14.0], [10.0, 2.0, 30.0, 12.0],
                       [1.0, 2.0, 7.0, 8.0]])
    add("lossbook.boxes.ciou_loss", [same_t, same_p], {"reduction": "none"},
        grad_of(lambda x: ops.complete_box_iou_loss(t(same_t), x), same_p),
        "autograd of torchvision.ops.complete_box_iou_loss(boxes_true, "
        "boxes_pred) where the aspect ratios agree (v = 0)",
        kind="gradient", tolerance="boxes")
    gt, gp = bt, bp
    add("lossbook.boxes.ciou_loss", [gt, gp], {"reduction": "none"},
        grad_of(lambda x: ciou_with_alpha_in_graph(t(gt), x), gp),
        "autograd of torchvision's CIoU formula with alpha kept in the "
        "graph (the true derivative)", kind="gradient", tolerance="boxes")
    add("lossbook.boxes.ciou_loss", [gt, gp], {"reduction": "none"},
        grad_of(lambda x: ops.complete_box_iou_loss(t(gt), x), gp),
        "autograd of torchvision.ops.complete_box_iou_loss (alpha under "
        "no_grad, so a different gradient)", kind="gradient",
        tolerance="boxes", expect="differs")


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------


def ctc(rng: np.random.Generator) -> None:
    steps, n, c = 12, 5, 5
    logits = rng.normal(size=(steps, n, c)) * 2
    logits[3, 0] = [30.0, -30.0, 0.0, 5.0, -10.0]  # one saturated frame
    log_probs = torch.log_softmax(t(logits), dim=-1).numpy()
    # repeats, unequal lengths, an empty target, and sample 4 impossible:
    # target [2, 2, 2, 2] needs 7 frames, it has 5
    targets = np.array([
        [1, 2, 2, 3, 1],
        [4, 4, 1, 0, 0],
        [3, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [2, 2, 2, 2, 0],
    ])
    input_lengths = np.array([12, 9, 6, 4, 5])
    target_lengths = np.array([5, 3, 1, 0, 4])
    possible = [0, 1, 2, 3]
    lpt = t(log_probs)

    def call(lp, tg, il, tl, **kw):
        return F.ctc_loss(lp, t(tg), t(il), t(tl), **kw)

    # feasible samples only: every reduction
    args_ok = [log_probs[:, possible], targets[possible],
               input_lengths[possible], target_lengths[possible]]
    for red in ("none", "mean", "sum"):
        add("lossbook.ctc.ctc_loss", args_ok, {"reduction": red},
            call(t(args_ok[0]), *args_ok[1:], reduction=red),
            "torch.nn.functional.ctc_loss(log_probs, targets, input_lengths,"
            f" target_lengths, reduction={red!r})", tolerance="ctc")
    # with the impossible sample, with and without zero_infinity
    full = [log_probs, targets, input_lengths, target_lengths]
    for zero_inf in (False, True):
        for red in ("none", "mean", "sum"):
            add("lossbook.ctc.ctc_loss", full,
                {"zero_infinity": zero_inf, "reduction": red},
                call(lpt, *full[1:], reduction=red, zero_infinity=zero_inf),
                "torch.nn.functional.ctc_loss(..., reduction="
                f"{red!r}, zero_infinity={zero_inf}) with one impossible "
                "sample", tolerance="ctc")
    # concatenated 1-D targets and a different blank
    flat = np.concatenate([targets[i, :target_lengths[i]] for i in possible])
    add("lossbook.ctc.ctc_loss", [args_ok[0], flat, args_ok[2], args_ok[3]],
        {"reduction": "none"},
        call(t(args_ok[0]), flat, args_ok[2], args_ok[3], reduction="none"),
        "torch.nn.functional.ctc_loss with 1-D concatenated targets",
        tolerance="ctc")
    blank_targets = np.where(targets == 4, 0, targets)  # labels 0..3
    add("lossbook.ctc.ctc_loss", [log_probs, blank_targets, input_lengths,
                                  target_lengths],
        {"blank": 4, "zero_infinity": True, "reduction": "mean"},
        call(lpt, blank_targets, input_lengths, target_lengths, blank=4,
             zero_infinity=True),
        "torch.nn.functional.ctc_loss(..., blank=4, zero_infinity=True)",
        tolerance="ctc")
    # gradients: autograd through log_softmax in the logits, and the raw
    # backward with log_probs as the leaf; both are ctc_gradient's "logits"
    for red in ("mean", "sum"):
        zt = t(logits, grad=True)
        loss = F.ctc_loss(torch.log_softmax(zt, dim=-1), t(targets),
                          t(input_lengths), t(target_lengths),
                          reduction=red, zero_infinity=True)
        loss.backward()
        add("lossbook.ctc.ctc_gradient", full,
            {"zero_infinity": True, "reduction": red, "wrt": "logits"},
            zt.grad, "autograd of torch.nn.functional.ctc_loss("
            f"log_softmax(logits), ..., reduction={red!r}, "
            "zero_infinity=True) in the logits", tolerance="ctc")
        leaf = t(log_probs, grad=True)
        loss = F.ctc_loss(leaf, t(targets), t(input_lengths),
                          t(target_lengths), reduction=red,
                          zero_infinity=True)
        loss.backward()
        add("lossbook.ctc.ctc_gradient", full,
            {"zero_infinity": True, "reduction": red, "wrt": "logits"},
            leaf.grad, "raw backward of torch.nn.functional.ctc_loss("
            f"log_probs leaf, ..., reduction={red!r}, zero_infinity=True)",
            tolerance="ctc")
    # scores that are not log-probabilities: torch still returns
    # exp(scores) - occupation, ctc_gradient's "logits" form
    scores = rng.normal(size=(steps, n, c))
    leaf = t(scores, grad=True)
    F.ctc_loss(leaf, t(targets), t(input_lengths), t(target_lengths),
               reduction="sum", zero_infinity=True).backward()
    add("lossbook.ctc.ctc_gradient", [scores, targets, input_lengths,
                                      target_lengths],
        {"zero_infinity": True, "reduction": "sum", "wrt": "logits"},
        leaf.grad, "raw backward of torch.nn.functional.ctc_loss(scores "
        "not normalised, ..., reduction='sum', zero_infinity=True)",
        tolerance="ctc")
    add("lossbook.ctc.ctc_gradient", [scores, targets, input_lengths,
                                      target_lengths],
        {"zero_infinity": True, "reduction": "sum", "wrt": "log_probs"},
        leaf.grad, "raw backward of torch.nn.functional.ctc_loss on scores "
        "not normalised: not the derivative in log_probs "
        "(pytorch/pytorch#52241)", tolerance="ctc", expect="differs")


# ---------------------------------------------------------------------------


def write_cases(out: Path, header: dict[str, Any],
                cases: list[dict[str, Any]]) -> None:
    """Write ``cases`` under ``header`` as the tests read them.

    Topic scripts (``tools/make_reference_values_<topic>.py``) import this
    module's :func:`add`, :func:`t`, :func:`grad_of` and this writer, and
    write ``tests/data/reference_values_<topic>.json``.
    """
    # one case per line keeps the file small and its diffs readable
    head = ",\n".join(
        f" {json.dumps(k)}: {json.dumps(v)}" for k, v in header.items()
    )
    body = ",\n".join(
        "  " + json.dumps(case, separators=(",", ":")) for case in cases
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("{\n" + head + ',\n "cases": [\n' + body + "\n ]\n}\n")
    json.loads(out.read_text())  # written as valid JSON
    per_function = Counter(c["function"] + (" (gradient)" if c["kind"] ==
                                             "gradient" else "")
                           for c in cases)
    for name, count in sorted(per_function.items()):
        print(f"{count:4d}  {name}")
    print(f"{len(cases)} cases written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    for section in (regression, binary, multiclass, focal, boxes, ctc):
        section(rng)
    header = {
        "generated_by": "tools/make_reference_values.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "seed": SEED,
    }
    write_cases(out, header, CASES)


if __name__ == "__main__":
    main()
