"""Record the overlap losses of SMP, MONAI and Keras for the tests.

Run by hand in the throwaway environment that has the libraries (never
by the test suite):

    KERAS_BACKEND=torch PYTHONPATH=tools /tmp/torchenv/bin/python \\
        tools/make_reference_values_overlap.py

(segmentation-models-pytorch 0.6.0, MONAI 1.6.1, Keras 3.15.1 on torch).
It writes ``tests/data/reference_values_overlap.json`` in the format of
``tools/make_reference_values.py``: float64 inputs in lossbook's argument
order, the lossbook call that should reproduce each value, the library
call that produced it, and the result (or its autograd gradient).

Translations, spelt out in each case's ``reference``: SMP pools the batch
per class (one image per case here) and zeroes classes absent from the
target (every class is present here); SMP's ``smooth=0`` with an ``eps``
clamp of the denominator is lossbook's ``smooth=0``; MONAI's ``smooth_nr
= smooth_dr = 1e-5`` is lossbook's ``smooth=1e-5``; PyTorch's layout is
``(N, C, H, W)``, lossbook's ``axis=1``. Keras 3.15.1's ``tversky`` sums
over every axis (batch included) and weights false negatives with
``alpha``: with ``keras.config.set_epsilon(0)`` it equals lossbook's
``tversky_loss`` with ``alpha`` and ``beta`` exchanged, and with its
default epsilon and the documented roles it does not.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import segmentation_models_pytorch as smp
import torch
from make_reference_values import CASES, add, grad_of, plain, t
from monai.losses import GeneralizedDiceLoss
from monai.losses import TverskyLoss as MonaiTversky
from segmentation_models_pytorch.losses import lovasz as smp_lovasz
from segmentation_models_pytorch.losses.lovasz import (
    _lovasz_softmax,
)

SEED = 20261202
OUT = (Path(__file__).resolve().parent.parent / "tests" / "data"
       / "reference_values_overlap.json")
OV = "lossbook.overlap."


def _masks(rng, n=1, c=3, h=3, w=4, *, present=True):
    """One-hot targets and softmax-like probabilities, (N, C, H, W)."""
    labels = rng.integers(0, c, (n, h, w))
    if present:
        labels.reshape(n, -1)[:, :c] = np.arange(c)
    y = np.moveaxis(np.eye(c)[labels], -1, 1)
    p = rng.dirichlet(np.ones(c), (n, h, w))
    return labels, y, np.moveaxis(p, -1, 1)


NOTES: dict[str, str] = {}


def _lovasz_grad_same_dtype(gt_sorted):
    """SMP 0.6.0's ``_lovasz_grad`` without its ``.float()`` casts."""
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def smp_cases(rng):
    _, y, p = _masks(rng)
    for alpha, beta in ((0.5, 0.5), (0.3, 0.7), (0.7, 0.3)):
        loss = smp.losses.TverskyLoss("multilabel", from_logits=False,
                                      alpha=alpha, beta=beta)
        ref = (f"smp.losses.TverskyLoss('multilabel', from_logits=False, "
               f"alpha={alpha}, beta={beta})(y_prob, y_true), one image")
        kw = {"alpha": alpha, "beta": beta, "smooth": 0.0, "axis": 1}
        add(OV + "tversky_loss", [y, p], kw, loss(t(p), t(y)), ref)
        add(OV + "tversky_loss", [y, p], kw,
            grad_of(lambda x, f=loss: f(x, t(y)), p), "autograd of " + ref,
            kind="gradient")
    # gamma: binary mode, one class, equals focal Tversky
    yb, pb = y[:, :1], p[:, :1]
    loss = smp.losses.TverskyLoss("binary", from_logits=False, alpha=0.3,
                                  beta=0.7, gamma=0.75)
    ref = ("smp.losses.TverskyLoss('binary', from_logits=False, alpha=0.3, "
           "beta=0.7, gamma=0.75)(y_prob, y_true), one image, one class")
    kw = {"alpha": 0.3, "beta": 0.7, "gamma": 0.75, "smooth": 0.0,
          "axis": None}
    add(OV + "focal_tversky_loss", [yb[:, 0], pb[:, 0]], kw,
        loss(t(pb), t(yb)), ref)
    # with classes SMP raises the class mean to gamma: not the same loss
    loss = smp.losses.TverskyLoss("multilabel", from_logits=False,
                                  alpha=0.3, beta=0.7, gamma=0.5)
    add(OV + "focal_tversky_loss", [y, p],
        {"alpha": 0.3, "beta": 0.7, "gamma": 0.5, "smooth": 0.0, "axis": 1},
        loss(t(p), t(y)),
        "smp.losses.TverskyLoss('multilabel', from_logits=False, alpha=0.3,"
        " beta=0.7, gamma=0.5): (mean over classes)^gamma, not the mean of "
        "per-class powers", expect="differs")

    labels = rng.integers(0, 3, (3, 4, 5))
    labels[0] = 0  # classes 1 and 2 absent from image 0
    z = rng.normal(0, 2, (3, 3, 4, 5))
    # SMP 0.6.0's _lovasz_grad casts the sorted labels to float32, so a
    # float64 input fails in torch.dot; record the message, then run SMP's
    # algorithm with that cast made to the input's dtype
    try:
        smp.losses.LovaszLoss("multiclass")(t(z), t(labels))
    except RuntimeError as err:
        NOTES["smp_lovasz_float64"] = str(err)
    smp_lovasz._lovasz_grad = _lovasz_grad_same_dtype
    for per_image in (False, True):
        loss = smp.losses.LovaszLoss("multiclass", per_image=per_image)
        ref = (f"smp.losses.LovaszLoss('multiclass', per_image={per_image})"
               "(logits, labels), _lovasz_grad in float64")
        kw = {"axis": 1, "per_image": per_image}
        add(OV + "lovasz_softmax_loss", [labels, z], kw,
            loss(t(z), t(labels)), ref)
        add(OV + "lovasz_softmax_loss", [labels, z], kw,
            grad_of(lambda x, f=loss: f(x, t(labels)), z),
            "autograd of " + ref, kind="gradient")
    for classes in ("all", [0, 2]):
        ref = ("segmentation_models_pytorch.losses.lovasz._lovasz_softmax("
               f"softmax(logits), labels, classes={classes!r}, "
               "per_image=True)")
        add(OV + "lovasz_softmax_loss", [labels, z],
            {"axis": 1, "classes": classes, "per_image": True},
            _lovasz_softmax(t(z).softmax(1), t(labels), classes=classes,
                            per_image=True),
            ref)


def monai_cases(rng):
    _, y, p = _masks(rng, n=3)
    for alpha, beta in ((0.5, 0.5), (0.3, 0.7)):
        loss = MonaiTversky(alpha=alpha, beta=beta)
        ref = f"monai.losses.TverskyLoss(alpha={alpha}, beta={beta})"
        kw = {"alpha": alpha, "beta": beta, "smooth": 1e-5, "axis": 1}
        add(OV + "tversky_loss", [y, p], kw, loss(t(p), t(y)), ref)
        add(OV + "tversky_loss", [y, p], kw,
            grad_of(lambda x, f=loss: f(x, t(y)), p), "autograd of " + ref,
            kind="gradient")
    # class sizes that are powers of two: MONAI forms 1/Y^2 in float32,
    # exact for these; sample 1 lacks class 2, sample 2 has only class 0
    counts = ((8, 4, 4), (8, 8, 0), (16, 0, 0))
    labels = np.stack([rng.permutation(np.repeat(np.arange(3), k))
                       for k in counts]).reshape(3, 4, 4)
    y = np.moveaxis(np.eye(3)[labels], -1, 1)
    p = np.moveaxis(rng.dirichlet(np.ones(3), (3, 4, 4)), -1, 1)
    ref = "monai.losses.GeneralizedDiceLoss()"
    add(OV + "generalized_dice_loss", [y, p], {"axis": 1},
        GeneralizedDiceLoss()(t(p), t(y)), ref)
    add(OV + "generalized_dice_loss", [y, p],
        {"axis": 1, "reduction": "none"},
        GeneralizedDiceLoss(reduction="none")(t(p), t(y)).reshape(-1),
        "monai.losses.GeneralizedDiceLoss(reduction='none'), shape "
        "(N, 1, 1, 1) reshaped to (N,)")
    add(OV + "generalized_dice_loss", [y, p], {"axis": 1},
        grad_of(lambda x: GeneralizedDiceLoss()(x, t(y)), p),
        "autograd of " + ref, kind="gradient")


def keras_cases(rng):
    y = (rng.uniform(size=(1, 12)) < 0.4).astype(np.float64)
    p = rng.uniform(size=(1, 12))
    ref = ("keras.losses.tversky(y_true, y_pred, alpha=0.3, beta=0.7), "
           "Keras {}, {}")
    out = keras.losses.tversky(y, p, alpha=0.3, beta=0.7)
    add(OV + "tversky_loss", [y, p],
        {"alpha": 0.3, "beta": 0.7, "smooth": 0.0, "axis": None},
        np.asarray(out), ref.format(keras.__version__,
                                    "default epsilon 1e-7; alpha as FP "
                                    "weight as its docstring says"),
        expect="differs")
    eps = keras.config.epsilon()
    keras.config.set_epsilon(0.0)
    try:
        out = keras.losses.tversky(y, p, alpha=0.3, beta=0.7)
    finally:
        keras.config.set_epsilon(eps)
    add(OV + "tversky_loss", [y, p],
        {"alpha": 0.7, "beta": 0.3, "smooth": 0.0, "axis": None},
        np.asarray(out), ref.format(keras.__version__,
                                    "set_epsilon(0); matches lossbook "
                                    "with alpha and beta exchanged"))


def main() -> None:
    rng = np.random.default_rng(SEED)
    torch.set_default_dtype(torch.float64)
    smp_cases(rng)
    monai_cases(rng)
    keras_cases(rng)
    data = {
        "generated_by": "tools/make_reference_values_overlap.py",
        "torch": torch.__version__,
        "segmentation_models_pytorch": version(
            "segmentation-models-pytorch"),
        "monai": version("monai"),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "seed": SEED,
        "notes": NOTES,
        "cases": plain(CASES),
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
