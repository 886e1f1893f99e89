"""Record PyTorch's, Keras's and optax's margin losses for the tests.

Run by hand, never by the test suite, in the throwaway environment that
has PyTorch, Keras (on its PyTorch backend) and optax with JAX:

    KERAS_BACKEND=torch PYTHONPATH=tools /tmp/torchenv/bin/python \\
        tools/make_reference_values_margins.py

It writes ``tests/data/reference_values_margins.json`` in the format of
``tools/make_reference_values.py`` (whose helpers it imports). Cases whose
id contains ``trap`` are the numbers the margin chapter quotes; the tests
look them up by id. ``expect="differs"`` marks a framework call that is a
different loss from the lossbook function named (Keras's
``categorical_hinge`` when every wrong score is negative; PyTorch's
``hinge_embedding_loss``, which is not the SVM hinge).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from make_reference_values import CASES, add, grad_of, t, write_cases  # noqa: E402

SEED = 20251203
DEFAULT_OUT = (Path(__file__).resolve().parent.parent / "tests" / "data"
               / "reference_values_margins.json")
M = "lossbook.margins."
TRAP_LOGITS = [[-0.131, -0.625, -0.75]]


def named(case_id: str) -> None:
    """Give the case just added a fixed id the tests can look up."""
    CASES[-1]["id"] = case_id


#: Keras values, computed in float32 whatever the input (see keras_case)
FLOAT32_CASES: list[dict] = []


def keras_case(case_id: str, function: str, loss, args, y_keras, p,
               reference: str, *, expect: str = "match") -> None:
    """Record the mean over samples of a Keras hinge's per-sample values.

    On the torch backend Keras returns these losses in float32 for
    float64 tensors (the output dtype is recorded), so these values carry
    float32 rounding. They are kept apart from the float64 cases and
    compared at float32 precision by tests/test_margins.py.
    """
    out = loss(torch.tensor(np.asarray(y_keras, dtype=np.float64)),
               torch.tensor(np.asarray(p, dtype=np.float64)))
    FLOAT32_CASES.append({
        "id": case_id, "function": M + function, "kwargs": {},
        "args": [np.asarray(a).tolist() for a in args],
        "dtype": str(out.dtype).removeprefix("torch."),
        "expected": float(out.detach().numpy().astype(np.float64).mean()),
        "reference": reference, "expect": expect,
    })


def multi_margin(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 4)) * 1.5
    labels = rng.integers(0, 4, size=6)
    w = rng.uniform(0.5, 2.0, size=4)
    for p in (1, 2):
        for margin in (1.0, 0.5):
            for red in ("none", "mean", "sum"):
                add(M + "multi_margin_loss", [labels, z],
                    {"p": p, "margin": margin, "reduction": red},
                    F.multi_margin_loss(t(z), t(labels), p=p, margin=margin,
                                        reduction=red),
                    f"F.multi_margin_loss(logits, y, p={p}, margin={margin}, "
                    f"reduction={red!r})")
        for red in ("none", "mean"):
            # mean with weight: PyTorch divides by N, not by sum w[y]
            add(M + "multi_margin_loss", [labels, z],
                {"p": p, "weight": w, "reduction": red},
                F.multi_margin_loss(t(z), t(labels), p=p, weight=t(w),
                                    reduction=red),
                f"F.multi_margin_loss(logits, y, p={p}, weight=w, "
                f"reduction={red!r})")
        add(M + "multi_margin_loss", [labels, z],
            {"p": p, "weight": w, "reduction": "sum"},
            grad_of(lambda x, p=p: F.multi_margin_loss(
                x, t(labels), p=p, weight=t(w), reduction="sum"), z),
            f"autograd of F.multi_margin_loss(p={p}, weight=w, 'sum')",
            kind="gradient")
    add(M + "multi_margin_loss", [[1], TRAP_LOGITS], {},
        F.multi_margin_loss(t(TRAP_LOGITS), t([1])),
        "F.multi_margin_loss on the chapter's example")
    named("torch-multi-margin-trap")


def ranking(rng: np.random.Generator) -> None:
    y = rng.choice([-1.0, 1.0], size=8)
    x1, x2 = rng.normal(size=(2, 8))
    for margin in (0.0, 0.3):
        for red in ("none", "mean", "sum"):
            add(M + "margin_ranking_loss", [y, x1, x2],
                {"margin": margin, "reduction": red},
                F.margin_ranking_loss(t(x1), t(x2), t(y), margin=margin,
                                      reduction=red),
                f"F.margin_ranking_loss(x1, x2, y, margin={margin}, "
                f"reduction={red!r})")
        for which in ("x1", "x2"):
            a, b = t(x1, grad=True), t(x2, grad=True)
            F.margin_ranking_loss(a, b, t(y), margin=margin).backward()
            add(M + "margin_ranking_loss", [y, x1, x2],
                {"margin": margin, "wrt": which},
                (a if which == "x1" else b).grad,
                f"autograd of F.margin_ranking_loss(margin={margin}) in "
                f"{which}", kind="gradient")


def kinks() -> None:
    """Autograd exactly at a kink: PyTorch's clamp passes 0, as lossbook."""
    y, a, b = np.array([1.0, -1.0]), np.array([0.5, 0.0]), np.array([0.0,
                                                                    0.5])
    at = t(a, grad=True)
    F.margin_ranking_loss(at, t(b), t(y), margin=0.5,
                          reduction="sum").backward()
    add(M + "margin_ranking_loss", [y, a, b],
        {"margin": 0.5, "reduction": "sum", "wrt": "x1"}, at.grad,
        "autograd of F.margin_ranking_loss at the kink (-y(x1 - x2) + m = 0)",
        kind="gradient")
    named("torch-ranking-kink-grad")
    z = np.array([[1.0, 0.0, -3.0]])
    add(M + "multi_margin_loss", [[0], z], {"reduction": "sum"},
        grad_of(lambda x: F.multi_margin_loss(x, t([0]), reduction="sum"), z),
        "autograd of F.multi_margin_loss at the kink (z_0 - z_1 = margin)",
        kind="gradient")
    named("torch-multi-margin-kink-grad")


def hinge_embedding(rng: np.random.Generator) -> None:
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    x = np.array([0.3, 2.0, 0.4, 1.5, -0.5, -1.0])
    add(M + "hinge_loss", [y, x], {},
        F.hinge_embedding_loss(t(x), t(y)),
        "F.hinge_embedding_loss(x, y): x for y = 1, max(0, 1 - x) for "
        "y = -1; not the SVM hinge max(0, 1 - y x)", expect="differs")
    named("torch-hinge-embedding-trap")


def keras_hinges(rng: np.random.Generator) -> None:
    y = rng.choice([-1.0, 1.0], size=(5, 3))
    p = rng.normal(size=(5, 3)) * 1.5
    for name, fn in (("hinge_loss", keras.losses.hinge),
                     ("squared_hinge_loss", keras.losses.squared_hinge)):
        short = name.replace("_", "-")
        keras_case(f"keras-{short}", name, fn, [y, p], y, p,
                   f"mean of keras.losses.{fn.__name__}(y, y_pred), y in "
                   "-1/+1")
        # Keras maps labels that are all 0 or 1 to -1 and +1 first
        keras_case(f"keras-{short}-01-labels", name, fn, [y, p], (y + 1) / 2,
                   p, f"mean of keras.losses.{fn.__name__}((y + 1) / 2, "
                   "y_pred): 0/1 labels, which Keras maps to -1/+1")
    keras_case("keras-categorical-hinge-trap", "categorical_hinge_loss",
               keras.losses.categorical_hinge, [[1], TRAP_LOGITS],
               np.eye(3)[[1]], TRAP_LOGITS,
               "keras.losses.categorical_hinge(one_hot, logits): its max "
               "over (1 - y) * y_pred sees the 0 of the true class",
               expect="differs")
    z = rng.normal(size=(6, 4))
    z[:, 0] = np.abs(z[:, 0]) + 0.1  # a positive wrong score in each row
    labels = rng.integers(1, 4, size=6)
    keras_case("keras-categorical-hinge-agree", "categorical_hinge_loss",
               keras.losses.categorical_hinge, [labels, z],
               np.eye(4)[labels], z,
               "keras.losses.categorical_hinge(one_hot, logits) when some "
               "wrong score is positive: the same as Crammer-Singer")


def optax_hinge(rng: np.random.Generator) -> None:
    z = rng.normal(size=(7, 5)) * 2
    labels = rng.integers(0, 5, size=7)
    out = optax.losses.multiclass_hinge_loss(jnp.asarray(z),
                                             jnp.asarray(labels))
    add(M + "categorical_hinge_loss", [labels, z], {"reduction": "none"},
        np.asarray(out, dtype=np.float64),
        "optax.losses.multiclass_hinge_loss(scores, labels) (float64); "
        "where the loss is 0 optax leaves the rounding of (z_t + 1) - 1, "
        "a few 1e-16 of either sign", tolerance="logits")
    named("optax-multiclass-hinge-zeros")
    out = optax.losses.multiclass_hinge_loss(jnp.asarray(TRAP_LOGITS),
                                             jnp.asarray([1]))
    add(M + "categorical_hinge_loss", [[1], TRAP_LOGITS],
        {"reduction": "none"}, np.asarray(out, dtype=np.float64),
        "optax.losses.multiclass_hinge_loss on the chapter's example")
    named("optax-multiclass-hinge-trap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_default_dtype(torch.float64)
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(SEED)
    for section in (multi_margin, ranking, hinge_embedding, keras_hinges,
                    optax_hinge):
        section(rng)
    kinks()
    header = {
        "generated_by": "tools/make_reference_values_margins.py",
        "torch": torch.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "optax": optax.__version__,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "keras_float32_cases": FLOAT32_CASES,
    }
    write_cases(out, header, CASES)


if __name__ == "__main__":
    main()
