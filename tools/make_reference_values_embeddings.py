"""Record PyTorch's embedding losses for the tests and the chapter.

Run by hand, never by the test suite, in the throwaway environment that
has PyTorch:

    PYTHONPATH=tools /tmp/torchenv/bin/python \\
        tools/make_reference_values_embeddings.py

It writes ``tests/data/reference_values_embeddings.json`` in the format of
``tools/make_reference_values.py`` (whose helpers it imports). Cases:

* ``F.cosine_embedding_loss`` with labels ±1 (it adds 1e-12 to each
  squared norm, negligible for the vectors used here), and its gradients;
* ``F.triplet_margin_loss`` with its default eps 1e-6, which lossbook does
  not add: these cases are ``differs``; the same losses through
  ``F.triplet_margin_with_distance_loss`` with the exact p-norm distance,
  which lossbook matches (with ``swap`` and several ``p``);
* ``F.cross_entropy`` on the normalised logits ``q̂ k̂ᵀ / τ`` against
  ``arange(N)``, the InfoNCE peer, one-way and symmetric, and gradients.

The header's ``observations`` holds what is not a lossbook call: what
``F.cosine_embedding_loss`` returns for a label of 0 (lossbook refuses
it) and for a zero vector.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
import torch.nn.functional as F
from make_reference_values import CASES, add, grad_of, t, write_cases

SEED = 20240613
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent
    / "tests" / "data" / "reference_values_embeddings.json"
)
MODULE = "lossbook.embeddings"


def cosine(rng: np.random.Generator) -> dict:
    x1 = rng.normal(size=(6, 5)) * 2
    x2 = rng.normal(size=(6, 5)) * 2
    y = np.array([1.0, -1, 1, -1, 1, -1])
    # small vectors: the 1e-12 that PyTorch adds to each squared norm is
    # no longer negligible, and parallel pairs get 1 - cos > 0
    small = 1e-3 * x1[:3]
    add(f"{MODULE}.cosine_embedding_loss", [np.ones(3), small, 2 * small],
        {"reduction": "none"},
        F.cosine_embedding_loss(t(small), t(2 * small), t(np.ones(3)),
                                reduction="none"),
        "torch.nn.functional.cosine_embedding_loss(x1, 2 * x1, ones, "
        "reduction='none') for |x1| near 4e-3: eps 1e-12 in the norms",
        expect="differs")
    for margin in (0.0, 0.3, -0.4):
        for red in ("none", "mean", "sum"):
            add(f"{MODULE}.cosine_embedding_loss", [y, x1, x2],
                {"margin": margin, "reduction": red},
                F.cosine_embedding_loss(t(x1), t(x2), t(y), margin=margin,
                                        reduction=red),
                "torch.nn.functional.cosine_embedding_loss(x1, x2, y, "
                f"margin={margin}, reduction={red!r})")
    for name, pos in (("x1", 0), ("x2", 1)):
        def fn(x, pos=pos):
            args = [t(x1), t(x2)]
            args[pos] = x
            return F.cosine_embedding_loss(*args, t(y), margin=0.3)
        add(f"{MODULE}.cosine_embedding_loss", [y, x1, x2],
            {"margin": 0.3, "wrt": name},
            grad_of(fn, [x1, x2][pos]),
            f"autograd of F.cosine_embedding_loss(..., margin=0.3) in {name}",
            kind="gradient", tolerance="logits")
    # what lossbook refuses: a label of 0 and a zero vector
    y0 = np.array([1.0, 0.0, -1.0, 0.0, 1.0, 0.0])
    zero = x2.copy()
    zero[1] = 0.0
    # nearly parallel pairs: 1 - cos is about 1e-13, which PyTorch forms by
    # subtraction from 1 (an error of ulp(1) = 2.2e-16 at least)
    near = x1[:3] * 0.5 + 1e-6 * rng.normal(size=(3, 5))
    return {
        "cosine_embedding_loss_nearly_parallel": {
            "x1": x1[:3].tolist(), "x2": near.tolist(), "y": [1, 1, 1],
            "none": F.cosine_embedding_loss(
                t(x1[:3]), t(near), t(np.ones(3)), reduction="none").tolist(),
        },
        "cosine_embedding_loss_target_0": {
            "x1": x1.tolist(), "x2": x2.tolist(), "y": y0.tolist(),
            "none": F.cosine_embedding_loss(
                t(x1), t(x2), t(y0), reduction="none").tolist(),
            "mean": F.cosine_embedding_loss(t(x1), t(x2), t(y0)).item(),
        },
        "cosine_embedding_loss_zero_vector": {
            "x1": x1.tolist(), "x2": zero.tolist(), "y": y.tolist(),
            "none": F.cosine_embedding_loss(
                t(x1), t(zero), t(y), reduction="none").tolist(),
        },
    }


def triplet(rng: np.random.Generator) -> None:
    a = rng.normal(size=(8, 6))
    pos = a + 0.3 * rng.normal(size=(8, 6))
    neg = a + 0.6 * rng.normal(size=(8, 6))
    pos[0] = a[0]  # a zero distance, where eps matters most
    neg[0] = a[0] + 0.05 * rng.normal(size=6)
    for p in (2.0, 1.0, 3.0):
        for swap in (False, True):
            for margin in (1.0, 0.5):
                kw = {"margin": margin, "p": p, "swap": swap}

                def exact_distance(x, z, p=p):
                    return torch.linalg.vector_norm(x - z, ord=p, dim=-1)

                add(f"{MODULE}.triplet_margin_loss", [a, pos, neg],
                    dict(kw, reduction="none"),
                    F.triplet_margin_with_distance_loss(
                        t(a), t(pos), t(neg), distance_function=exact_distance,
                        margin=margin, swap=swap, reduction="none"),
                    "torch.nn.functional.triplet_margin_with_distance_loss("
                    f"a, p, n, distance_function=||x - z||_{p:g}, "
                    f"margin={margin}, swap={swap}, reduction='none')")
                add(f"{MODULE}.triplet_margin_loss", [a, pos, neg],
                    dict(kw, reduction="none"),
                    F.triplet_margin_loss(t(a), t(pos), t(neg), margin=margin,
                                          p=p, swap=swap, reduction="none"),
                    "torch.nn.functional.triplet_margin_loss(a, p, n, "
                    f"margin={margin}, p={p:g}, swap={swap}, "
                    "reduction='none'), eps=1e-6 added inside the distance",
                    expect="differs")
    # away from the tie d(a, n) = d(p, n) that a = p makes, where torch.min
    # splits the gradient between the two and lossbook takes d(a, n)'s
    pos = pos.copy()
    pos[0] = a[0] + 0.3 * rng.normal(size=6)
    for name, index in (("anchor", 0), ("positive", 1), ("negative", 2)):
        def fn(x, index=index):
            args = [t(a), t(pos), t(neg)]
            args[index] = x
            return F.triplet_margin_with_distance_loss(
                *args, margin=1.0, swap=True,
                distance_function=lambda u, v: torch.linalg.vector_norm(
                    u - v, dim=-1))
        add(f"{MODULE}.triplet_margin_loss", [a, pos, neg],
            {"swap": True, "wrt": name},
            grad_of(fn, [a, pos, neg][index]),
            "autograd of F.triplet_margin_with_distance_loss(..., swap=True,"
            f" exact Euclidean distance) in {name}", kind="gradient")


def info_nce(rng: np.random.Generator) -> None:
    q = rng.normal(size=(7, 5))
    k = q + 0.7 * rng.normal(size=(7, 5))

    def peer(qq, kk, tau, symmetric, reduction="mean"):
        logits = F.normalize(qq, dim=-1) @ F.normalize(kk, dim=-1).T / tau
        labels = torch.arange(logits.shape[0])
        one = F.cross_entropy(logits, labels, reduction=reduction)
        if not symmetric:
            return one
        return 0.5 * (one + F.cross_entropy(logits.T, labels,
                                            reduction=reduction))

    for tau in (0.07, 0.1, 0.5, 1.0):
        for symmetric in (False, True):
            for red in ("none", "mean"):
                add(f"{MODULE}.info_nce_loss", [q, k],
                    {"temperature": tau, "symmetric": symmetric,
                     "reduction": red},
                    peer(t(q), t(k), tau, symmetric, red),
                    "torch.nn.functional.cross_entropy(normalize(q) @ "
                    f"normalize(k).T / {tau}, arange(N), reduction={red!r})"
                    + (" averaged with the transposed logits" if symmetric
                       else ""), tolerance="logits")
    for name, index in (("queries", 0), ("keys", 1)):
        for symmetric in (False, True):
            def fn(x, index=index, symmetric=symmetric):
                args = [t(q), t(k)]
                args[index] = x
                return peer(*args, 0.1, symmetric)
            add(f"{MODULE}.info_nce_loss", [q, k],
                {"temperature": 0.1, "symmetric": symmetric, "wrt": name},
                grad_of(fn, [q, k][index]),
                "autograd of cross_entropy(normalize(q) @ normalize(k).T / "
                f"0.1, arange(N)) (symmetric={symmetric}) in {name}",
                kind="gradient", tolerance="logits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    observations = cosine(rng)
    triplet(rng)
    info_nce(rng)
    header = {
        "generated_by": "tools/make_reference_values_embeddings.py",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "observations": observations,
    }
    write_cases(out, header, CASES)


if __name__ == "__main__":
    main()
