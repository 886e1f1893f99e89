"""Record PyTorch's and Keras's values behind the classification chapters.

The chapters on the overview, cross-entropy, binary cross-entropy and the
focal loss state facts about PyTorch, torchvision and Keras. This script
measures each of them in the real libraries and writes
``tests/data/reference_values_classification.json``. Like
``tools/make_reference_values.py`` it is run by hand in a throwaway
environment, never by the test suite:

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.14.1 torchvision==0.29.1 \
        keras==3.15.1 numpy
    KERAS_BACKEND=torch PYTHONPATH=tools \
        /tmp/torchenv/bin/python tools/make_reference_values_classification.py

The file has two parts. ``cases`` has the format that
``tests/test_reference_values.py`` reads: a lossbook function, its
arguments, and the float64 value (or autograd gradient) the library
returned. ``claims`` holds the measurements that are not a lossbook call:
float32 results of Keras and PyTorch, which the emulations in
``lossbook.frameworks`` must reproduce in float32, and single numbers
behind sentences of the chapters (a divisor, a cap, an error that was or
was not raised). ``tests/test_chapter_claims_classification.py`` checks
them.

Keras runs on its torch backend here. What Keras does on the TensorFlow
backend (recovering the logits from the output of a Keras sigmoid or
softmax, so that nothing is clipped) cannot be measured without
TensorFlow; the chapters cite the source for it,
``keras/src/backend/tensorflow/nn.py`` (``_get_logits``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from make_reference_values import CASES, add, grad_of, plain, t, write_cases
from torchvision import ops

SEED = 20261202
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent
    / "tests" / "data" / "reference_values_classification.json"
)
CLAIMS: dict[str, Any] = {}


def claim(name: str, value: Any, source: str) -> None:
    """Record one measured value under ``name`` with the call that gave it."""
    CLAIMS[name] = {"value": plain(value), "source": source}


def f32(x: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float32))


# ---------------------------------------------------------------------------
# cross-entropy
# ---------------------------------------------------------------------------


def cross_entropy(rng: np.random.Generator) -> None:
    # (N, C, d1, d2): PyTorch's class axis is dim 1
    z = rng.normal(size=(2, 4, 3, 5)) * 2
    labels = rng.integers(0, 4, size=(2, 3, 5))
    for red in ("none", "mean"):
        add("lossbook.classification.cross_entropy", [labels, z],
            {"axis": 1, "reduction": red},
            F.cross_entropy(t(z), t(labels), reduction=red),
            "torch.nn.functional.cross_entropy(logits of shape (N, C, d1, "
            f"d2), labels of shape (N, d1, d2), reduction={red!r})",
            tolerance="logits")
    # ignore_index: the mean divides by the number of labels kept
    z2 = rng.normal(size=(6, 3)) * 2
    lab = np.array([0, 2, -100, 1, -100, 2])
    kept = lab != -100
    mean = F.cross_entropy(t(z2), t(lab))
    total = F.cross_entropy(t(z2), t(lab), reduction="sum")
    claim("ce_ignore_mean", mean, "F.cross_entropy(z, labels with two -100)")
    claim("ce_ignore_sum", total, "F.cross_entropy(..., reduction='sum')")
    claim("ce_ignore_kept", int(kept.sum()), "labels != -100")
    claim("ce_ignore_n", lab.size, "number of labels")
    # label smoothing with ignored labels: both terms skip them (#73205)
    for red in ("mean", "sum"):
        value = F.cross_entropy(t(z2), t(lab), label_smoothing=0.2,
                                reduction=red)
        masked = F.cross_entropy(t(z2[kept]), t(lab[kept]),
                                 label_smoothing=0.2, reduction=red)
        claim(f"ce_smooth_ignore_{red}", value,
              f"F.cross_entropy(z, labels with -100, label_smoothing=0.2, "
              f"reduction={red!r})")
        claim(f"ce_smooth_masked_{red}", masked,
              "the same on the rows whose label is kept")
        add("lossbook.classification.cross_entropy", [lab, z2],
            {"ignore_index": -100, "label_smoothing": 0.2, "reduction": red},
            value, "torch.nn.functional.cross_entropy(z, labels with -100, "
            f"label_smoothing=0.2, reduction={red!r})", tolerance="logits")
    # the chapter's four cases: what PyTorch returns, float64 and float32
    rows = {"cat/dog/fish": (np.log([0.2, 0.7, 0.1]), 1),
            "confident mistake": (np.array([0.0, -30.0, 0.0]), 1),
            "underflow": (np.array([0.0, -800.0, 0.0]), 1),
            "confident and right": (np.array([40.0, 0.0, 0.0]), 0)}
    for name, (logits, c) in rows.items():
        claim(f"ce_torch64_{name}", F.cross_entropy(
            t(logits[None]), t(np.array([c]))),
            "F.cross_entropy(logits (1, 3) float64, label)")
        claim(f"ce_torch32_{name}", F.cross_entropy(
            f32(logits[None]), t(np.array([c]))),
            "F.cross_entropy(logits (1, 3) float32, label)")
        target = np.eye(3, dtype=np.float32)[c][None]
        probs = keras.ops.softmax(f32(logits[None]))
        claim(f"ce_keras32_{name}", keras.losses.categorical_crossentropy(
            target, probs)[0],
            "keras.losses.categorical_crossentropy(one-hot, "
            "keras.ops.softmax(logits)) float32, torch backend")
        act = keras.activations.softmax(f32(logits[None]))
        claim(f"ce_keras32_act_{name}", keras.losses.categorical_crossentropy(
            target, act)[0],
            "the same with keras.activations.softmax (which caches the "
            "logits; the torch backend does not use them)")
        claim(f"ce_keras32_logits_{name}",
              keras.losses.categorical_crossentropy(
                  target, f32(logits[None]), from_logits=True)[0],
              "keras.losses.categorical_crossentropy(..., from_logits=True)")
        claim(f"ce_softmax32_{name}", probs.detach().numpy()[0],
              "keras.ops.softmax(logits) float32")


# ---------------------------------------------------------------------------
# binary cross-entropy
# ---------------------------------------------------------------------------


def binary(rng: np.random.Generator) -> None:
    # the -100 clamp is per log term: weight 2 reaches 200
    y = np.array([1.0, 0.0, 1.0])
    p = np.array([0.0, 1.0, 0.5])
    w = np.array([2.0, 2.0, 1.0])
    value = F.binary_cross_entropy(t(p), t(y), weight=t(w), reduction="none")
    claim("bce_clamp_weight2", value,
          "F.binary_cross_entropy(p=[0, 1, 0.5], y=[1, 0, 1], "
          "weight=[2, 2, 1], reduction='none')")
    add("lossbook.frameworks.torch_binary_cross_entropy", [y, p],
        {"weight": w, "reduction": "none"}, value,
        "torch.nn.functional.binary_cross_entropy with weight 2 at p = 0 "
        "and p = 1", tolerance="emulation")
    # pos_weight on (N, C, H, W): (C, 1, 1) per channel; (C,) along W
    n, c, h, wd = 2, 3, 4, 3
    z = rng.normal(size=(n, c, h, wd)) * 2
    yy = (rng.uniform(size=z.shape) < 0.3).astype(np.float64)
    pw = np.array([1.0, 4.0, 9.0])
    right = F.binary_cross_entropy_with_logits(
        t(z), t(yy), pos_weight=t(pw.reshape(c, 1, 1)))
    trap = F.binary_cross_entropy_with_logits(t(z), t(yy), pos_weight=t(pw))
    last = np.moveaxis
    add("lossbook.classification.binary_cross_entropy_with_logits",
        [last(yy, 1, -1), last(z, 1, -1)], {"pos_weight": pw}, right,
        "torch.nn.functional.binary_cross_entropy_with_logits on (N, C, H, "
        "W) with pos_weight of shape (C, 1, 1); lossbook gets the channels "
        "last and pos_weight (C,)", tolerance="logits")
    add("lossbook.classification.binary_cross_entropy_with_logits",
        [yy, z], {"pos_weight": pw}, trap,
        "torch.nn.functional.binary_cross_entropy_with_logits on (N, C, H, "
        "W) with W == C and pos_weight of shape (C,): it weights along W",
        tolerance="logits")
    claim("bce_pw_right", right, "pos_weight (C, 1, 1) on (N, C, H, W)")
    claim("bce_pw_trap", trap, "pos_weight (C,) on (N, C, H, W), W == C")
    # the table: BCELoss and Keras on sigma(z) in float32
    cases = [(0.0, 5.0), (0.0, 12.0), (0.0, 17.0), (0.0, 40.0),
             (1.0, -40.0), (1.0, -120.0), (1.0, -1000.0)]
    torch32, keras32, logits32, probs = [], [], [], []
    for label, logit in cases:
        zz, yt = f32([logit]), f32([label])
        prob = torch.sigmoid(zz)
        probs.append(float(prob[0]))
        torch32.append(float(F.binary_cross_entropy(prob, yt)))
        keras32.append(float(keras.losses.binary_crossentropy(
            yt[None], keras.ops.sigmoid(zz)[None])[0]))
        logits32.append(float(F.binary_cross_entropy_with_logits(zz, yt)))
    claim("bce_table_cases", cases, "(y, z) of the chapter's table")
    claim("bce_table_sigmoid32", probs, "torch.sigmoid(z) in float32")
    claim("bce_table_torch32", torch32,
          "F.binary_cross_entropy(torch.sigmoid(z), y) float32")
    claim("bce_table_keras32", keras32,
          "keras.losses.binary_crossentropy(y, keras.ops.sigmoid(z)) "
          "float32, torch backend")
    claim("bce_table_logits32", logits32,
          "F.binary_cross_entropy_with_logits(z, y) float32")
    # autocast: the refusal is registered for CUDA; on CPU the call runs
    p_cpu = torch.tensor([0.3, 0.8])
    y_cpu = torch.tensor([0.0, 1.0])
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            F.binary_cross_entropy(p_cpu, y_cpu)
        refused = False
    except RuntimeError:
        refused = True
    claim("bce_autocast_cpu_refused", refused,
          "F.binary_cross_entropy under torch.autocast('cpu', bfloat16)")


# ---------------------------------------------------------------------------
# focal loss
# ---------------------------------------------------------------------------


def focal(rng: np.random.Generator) -> None:
    del rng
    # gradients of a badly wrong positive, p_t = 0.05, alpha off
    z_wrong = np.array([np.log(0.05 / 0.95)])
    y_one = np.ones(1)
    for gamma in (0.0, 2.0, 5.0):
        add("lossbook.focal.sigmoid_focal_loss", [y_one, z_wrong],
            {"alpha": None, "gamma": gamma, "reduction": "none"},
            grad_of(lambda x, g=gamma: ops.sigmoid_focal_loss(
                x, t(y_one), alpha=-1, gamma=g), z_wrong),
            "autograd of torchvision.ops.sigmoid_focal_loss(logit of "
            f"p_t = 0.05, 1, alpha=-1, gamma={gamma})", kind="gradient",
            tolerance="logits")
    # the chapter's table, real float32 Keras on keras.ops.sigmoid(z)
    cases = [(1.0, -800.0), (1.0, -20.0), (1.0, 20.0), (1.0, 40.0),
             (0.0, 20.0), (0.0, 40.0)]
    on_probs, on_logits = [], []
    for label, logit in cases:
        yt, zz = f32([[label]]), f32([[logit]])
        on_probs.append(float(keras.losses.binary_focal_crossentropy(
            yt, keras.ops.sigmoid(zz), apply_class_balancing=True)[0]))
        on_logits.append(float(keras.losses.binary_focal_crossentropy(
            yt, zz, apply_class_balancing=True, from_logits=True)[0]))
    claim("focal_table_cases", cases, "(y, z) of the chapter's table")
    claim("focal_table_keras32", on_probs,
          "keras.losses.binary_focal_crossentropy(y, keras.ops.sigmoid(z), "
          "apply_class_balancing=True) float32, torch backend")
    claim("focal_table_keras32_logits", on_logits,
          "the same with z and from_logits=True")
    # from_logits=True still clips: y = 1, z = -40, gamma = 0, no alpha
    claim("focal_keras_logits_m40", keras.losses.binary_focal_crossentropy(
        f32([[1.0]]), f32([[-40.0]]), gamma=0.0, from_logits=True)[0],
        "keras.losses.binary_focal_crossentropy([[1]], [[-40]], gamma=0, "
        "from_logits=True) float32, torch backend")
    claim("bce_keras_logits_m40", keras.losses.binary_crossentropy(
        f32([[1.0]]), f32([[-40.0]]), from_logits=True)[0],
        "keras.losses.binary_crossentropy([[1]], [[-40]], from_logits=True)")
    # CategoricalFocalCrossentropy accepts one alpha per class
    alpha = [0.1, 0.2, 0.7]
    y3 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    p3 = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=np.float32)
    loss = keras.losses.CategoricalFocalCrossentropy(
        alpha=alpha, gamma=2.0, reduction=None)
    claim("focal_keras_alpha_list", loss(y3, p3),
          "keras.losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.7],"
          " gamma=2, reduction=None) on two rows")
    claim("focal_keras_alpha_list_inputs", [alpha, y3, p3],
          "alpha, one-hot targets, probabilities")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    for section in (cross_entropy, binary, focal):
        section(rng)
    header = {
        "generated_by": "tools/make_reference_values_classification.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        "seed": SEED,
    }
    write_cases(out, header, CASES)
    text = out.read_text().rstrip()
    assert text.endswith("]\n}"), "unexpected layout from write_cases"
    claims = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}"
                        for k, v in CLAIMS.items())
    out.write_text(text[:-1].rstrip() + ',\n "claims": {\n' + claims
                   + "\n }\n}\n")
    json.loads(out.read_text())
    print(f"{len(CLAIMS)} claims written to {out}")


if __name__ == "__main__":
    main()
