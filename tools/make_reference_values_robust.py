"""Record PyTorch's broadcasting of ``weight`` and ``pos_weight``.

``torch.nn.functional.binary_cross_entropy_with_logits`` broadcasts both
weights against its input: a scalar, a ``(C,)`` vector along the last
axis, the full shape, or any shape that broadcasts to it, such as
``(C, 1, 1)`` for an ``(N, C, H, W)`` batch. This script records the
values and autograd gradients for each of those shapes, which
``tests/test_reference_values.py`` compares with
:func:`lossbook.binary_cross_entropy_with_logits` and its gradient. Run
it by hand in the throwaway environment of ``make_reference_values.py``:

    PYTHONPATH=tools /tmp/torchenv/bin/python \\
        tools/make_reference_values_robust.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference_values import CASES, add, grad_of, t, write_cases

SEED = 20261202
OUT = (
    Path(__file__).resolve().parent.parent
    / "tests" / "data" / "reference_values_robust.json"
)
FN = "lossbook.classification.binary_cross_entropy_with_logits"


def bce_broadcasts(rng: np.random.Generator) -> None:
    shape = (2, 3, 4, 5)  # (N, C, H, W)
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    y.flat[::7] = rng.uniform(size=y.flat[::7].shape)  # some soft targets
    z = rng.uniform(-6, 6, size=shape)
    weights = {
        "a scalar": np.float64(rng.uniform(0.5, 2)),
        "(W,) along the last axis": rng.uniform(0.5, 2, size=5),
        "(C, 1, 1) per channel": rng.uniform(0.5, 2, size=(3, 1, 1)),
        "(N, 1, 1, 1) per sample": rng.uniform(0.5, 2, size=(2, 1, 1, 1)),
        "(H, 1)": rng.uniform(0.5, 2, size=(4, 1)),
        "the full shape": rng.uniform(0.5, 2, size=shape),
    }
    for what, w in weights.items():
        for name in ("weight", "pos_weight"):
            for red in ("none", "mean", "sum"):
                add(FN, [y, z], {name: w, "reduction": red},
                    F.binary_cross_entropy_with_logits(
                        t(z), t(y), reduction=red, **{name: t(w)}),
                    "torch.nn.functional.binary_cross_entropy_with_logits("
                    f"logits, y_true, {name}=<{what}>, reduction={red!r})")
            add(FN, [y, z], {name: w, "reduction": "mean"},
                grad_of(lambda x, name=name, w=w:
                        F.binary_cross_entropy_with_logits(
                            x, t(y), **{name: t(w)}), z),
                "autograd of torch.nn.functional.binary_cross_entropy_with_"
                f"logits(logits, y_true, {name}=<{what}>)", kind="gradient")
    # both at once, of different broadcast shapes
    w = weights["(C, 1, 1) per channel"]
    pw = weights["(W,) along the last axis"]
    for red in ("none", "sum"):
        add(FN, [y, z], {"weight": w, "pos_weight": pw, "reduction": red},
            F.binary_cross_entropy_with_logits(
                t(z), t(y), weight=t(w), pos_weight=t(pw), reduction=red),
            "torch.nn.functional.binary_cross_entropy_with_logits(logits, "
            f"y_true, weight=<(C, 1, 1)>, pos_weight=<(W,)>, "
            f"reduction={red!r})")
    add(FN, [y, z], {"weight": w, "pos_weight": pw, "reduction": "sum"},
        grad_of(lambda x: F.binary_cross_entropy_with_logits(
            x, t(y), weight=t(w), pos_weight=t(pw), reduction="sum"), z),
        "autograd of torch.nn.functional.binary_cross_entropy_with_logits("
        "logits, y_true, weight=<(C, 1, 1)>, pos_weight=<(W,)>, "
        "reduction='sum')", kind="gradient")


def main() -> None:
    torch.set_default_dtype(torch.float64)
    bce_broadcasts(np.random.default_rng(SEED))
    header = {
        "generated_by": "tools/make_reference_values_robust.py",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seed": SEED,
    }
    write_cases(OUT, header, CASES)


if __name__ == "__main__":
    main()
