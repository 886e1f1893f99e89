"""Record torchvision, SMP, MONAI and Keras values for two chapters.

Run by hand in the throwaway environment of ``make_reference_values.py``
with segmentation-models-pytorch, MONAI and Keras 3 added:

    /tmp/torchenv/bin/pip install segmentation-models-pytorch monai keras
    KERAS_BACKEND=torch PYTHONPATH=tools \\
        /tmp/torchenv/bin/python tools/make_reference_values_detection.py

It writes ``tests/data/reference_values_detection.json``. Its ``cases``
(lossbook function, arguments, recorded value) are checked by
``tests/test_reference_values.py``; its ``claims`` (named values the
chapters ``bbox_regression`` and ``cross_entropy_iou_2d`` state as facts
about a framework) are checked against the chapters' glued numbers by
``tests/test_chapter_claims_detection.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import monai
import numpy as np
import segmentation_models_pytorch as smp
import torch
import torchvision
from make_reference_values import CASES, add, plain, t, write_cases
from monai.losses import DiceLoss as MonaiDice
from torchvision import ops
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection import fasterrcnn_resnet50_fpn
from torchvision.models.detection.roi_heads import fastrcnn_loss

OUT = (Path(__file__).resolve().parent.parent / "tests" / "data"
       / "reference_values_detection.json")
CLAIMS: dict[str, Any] = {}

#: the CIoU pair of the bounding-box chapter (4 x 2 target, 2 x 3 prediction)
CIOU_TRUE = [0.0, 0.0, 4.0, 2.0]
CIOU_PRED = [1.0, 0.5, 3.0, 3.5]

#: the empty-mask cases of the segmentation chapter: 16 pixels, indices on
MASK_CASES = {
    "empty_empty": ([], []),
    "empty_fp2": ([], [0, 1]),
    "one_missed": ([0], []),
    "one_found": ([0], [0]),
}


def claim(name: str, value: Any, source: str) -> None:
    """Record a value a chapter states as a fact, with the call behind it."""
    CLAIMS[name] = {"value": plain(value), "source": source}


def masks(on_true: list[int], on_pred: list[int]) -> tuple[np.ndarray, ...]:
    y, p = np.zeros((1, 16)), np.zeros((1, 16))
    y[0, on_true], p[0, on_pred] = 1.0, 1.0
    return y, p


# ---------------------------------------------------------------------------
# torchvision: CIoU's gradient, Faster R-CNN's box losses
# ---------------------------------------------------------------------------


def boxes() -> None:
    pred = t(CIOU_PRED, grad=True)
    ops.complete_box_iou_loss(t(CIOU_TRUE)[None], pred[None]).sum().backward()
    claim("ciou_grad_torchvision", pred.grad,
          "torchvision.ops.complete_box_iou_loss(boxes_true, boxes_pred) "
          "backward, d/d boxes_pred (alpha under no_grad)")
    add("lossbook.boxes.ciou_loss", [CIOU_TRUE, CIOU_PRED], {},
        pred.grad, "torchvision.ops.complete_box_iou_loss backward: alpha "
        "held constant, unlike lossbook's true derivative",
        kind="gradient", expect="differs")

    model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    claim("fasterrcnn_roi_weights", model.roi_heads.box_coder.weights,
          "fasterrcnn_resnet50_fpn().roi_heads.box_coder.weights")
    claim("fasterrcnn_rpn_weights", model.rpn.box_coder.weights,
          "fasterrcnn_resnet50_fpn().rpn.box_coder.weights")
    claim("fasterrcnn_bbox_xform_clip", model.roi_heads.box_coder
          .bbox_xform_clip, "roi_heads.box_coder.bbox_xform_clip")

    # the box head's loss on one positive and one negative region:
    # smooth L1 with beta = 1/9 on the weighted targets, summed, divided
    # by the number of sampled regions (2)
    coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    proposal = t([[30.0, 60.0, 110.0, 100.0]])
    gt = t([[40.0, 30.0, 160.0, 110.0]])
    target_w = coder.encode_single(gt, proposal)
    raw = t([[0.3, -0.2, 0.45, 0.7]])  # a raw (unweighted) prediction
    pred_w = raw * t([10.0, 10.0, 5.0, 5.0])
    class_logits = t([[0.0, 1.0], [1.0, 0.0]])
    regression = torch.cat([torch.zeros(2, 4), torch.cat(
        [pred_w, torch.zeros(1, 4)])], dim=1)
    targets = torch.cat([target_w, torch.zeros(1, 4)])
    _, box_loss = fastrcnn_loss(class_logits, regression,
                                [torch.tensor([1, 0])], [targets])
    claim("fasterrcnn_box_case", {
        "gt": gt[0], "proposal": proposal[0], "raw_pred": raw[0],
        "weighted_targets": target_w[0], "box_loss": box_loss,
        "n_sampled": 2},
        "torchvision.models.detection.roi_heads.fastrcnn_loss on one "
        "positive region (raw_pred times the weights) and one negative")
    add("lossbook.regression.smooth_l1", [target_w, pred_w],
        {"beta": 1 / 9, "reduction": "sum"}, 2 * box_loss,
        "2 x fastrcnn_loss box_loss (sum over one positive / 2 sampled)")


# ---------------------------------------------------------------------------
# segmentation_models_pytorch
# ---------------------------------------------------------------------------


def smp_values() -> None:
    claim("smp_version", smp.__version__, "segmentation_models_pytorch")
    dice = smp.losses.DiceLoss(mode="binary", from_logits=False)
    half = np.full((1, 4), 0.5)
    value = dice(t(half)[:, None], t(half)[:, None])
    claim("smp_dice_soft_half", value,
          "DiceLoss('binary', from_logits=False)(p, y), y = p = 0.5 on 4 px")
    add("lossbook.frameworks.smp_dice_loss", [half, half], {"axis": None},
        value, "smp DiceLoss('binary', from_logits=False), y = p = 0.5",
        tolerance="emulation")
    for name, (on_t, on_p) in MASK_CASES.items():
        y, p = masks(on_t, on_p)
        value = dice(t(p)[:, None], t(y)[:, None])
        claim(f"smp_dice_{name}", value,
              f"DiceLoss('binary', from_logits=False), case {name}")
        add("lossbook.frameworks.smp_dice_loss", [y, p], {"axis": None},
            value, f"smp DiceLoss binary, {name}", tolerance="emulation")
    # a batch: an empty image with two false positives and an image whose
    # 4-pixel object is found; the class is present in the batch, so the
    # false positives count
    y, p = np.zeros((2, 16)), np.zeros((2, 16))
    p[0, :2] = 1.0
    y[1, :4] = p[1, :4] = 1.0
    value = dice(t(p)[:, None], t(y)[:, None])
    claim("smp_dice_mixed_batch", value,
          "DiceLoss('binary', from_logits=False), batch [empty + 2 FP, "
          "4-px object found]")
    add("lossbook.frameworks.smp_dice_loss", [y, p], {"axis": None},
        value, "smp DiceLoss binary, mixed batch", tolerance="emulation")
    # Jaccard on a hard partial overlap equals lossbook's soft IoU, smooth=1
    y, p = np.zeros((1, 16)), np.zeros((1, 16))
    y[0, :4], p[0, 2:7] = 1.0, 1.0
    jac = smp.losses.JaccardLoss(mode="binary", from_logits=False,
                                 smooth=1.0)
    value = jac(t(p)[:, None], t(y)[:, None])
    add("lossbook.segmentation.soft_iou_loss", [y, p],
        {"smooth": 1.0, "axis": None}, value,
        "smp JaccardLoss('binary', from_logits=False, smooth=1)")
    sm1 = smp.losses.DiceLoss(mode="binary", from_logits=False, smooth=1.0)
    p[0, 2:7] = 0.8
    value = sm1(t(p)[:, None], t(y)[:, None])
    claim("smp_dice_smooth1_partial", value,
          "DiceLoss('binary', from_logits=False, smooth=1), y 4 px, "
          "p = 0.8 on 5 px overlapping 2")
    add("lossbook.segmentation.dice_loss", [y, p],
        {"smooth": 2.0, "axis": None}, value,
        "smp DiceLoss(smooth=1) is the Dice loss with smooth=2")


# ---------------------------------------------------------------------------
# MONAI
# ---------------------------------------------------------------------------


def monai_values() -> None:
    claim("monai_version", monai.__version__, "monai")
    loss = MonaiDice()
    for name, (on_t, on_p) in MASK_CASES.items():
        y, p = masks(on_t, on_p)
        value = loss(t(p).reshape(1, 1, 4, 4), t(y).reshape(1, 1, 4, 4))
        claim(f"monai_dice_{name}", value, f"monai DiceLoss(), {name}")
        add("lossbook.frameworks.monai_dice_loss", [y, p], {"axis": None},
            value, f"monai.losses.DiceLoss() defaults, {name}",
            tolerance="emulation")


# ---------------------------------------------------------------------------
# Keras 3 (torch backend), float32 as Keras computes by default
# ---------------------------------------------------------------------------


def keras_values() -> None:
    claim("keras_version", keras.__version__, "keras")
    claim("keras_backend", keras.backend.backend(), "keras.backend.backend()")
    for name, (on_t, on_p) in MASK_CASES.items():
        y, p = masks(on_t, on_p)
        v32 = keras.losses.dice(y.astype(np.float32), p.astype(np.float32))
        claim(f"keras_dice_{name}_float32", float(v32),
              f"keras.losses.dice(y, p) on float32 arrays, {name}")
        v64 = keras.losses.dice(y, p)
        add("lossbook.frameworks.keras_dice", [y, p], {}, float(v64),
            f"keras.losses.dice on float64 arrays, {name}",
            tolerance="emulation")
    # axis=None pools the classes too: two one-hot classes over 4 pixels
    y = np.array([[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])
    p = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    claim("keras_dice_two_classes_axis_none", float(keras.losses.dice(y, p)),
          "keras.losses.dice(y, p), shape (1, 4, 2), axis=None")
    per_class = [float(keras.losses.dice(y[..., c], p[..., c]))
                 for c in range(2)]
    claim("keras_dice_two_classes_per_class", per_class,
          "keras.losses.dice(y[..., c], p[..., c]) for c = 0, 1")
    # Tversky with alpha = beta = 1 is the soft Jaccard loss (eps below)
    y, p = np.zeros((1, 16)), np.zeros((1, 16))
    y[0, :4], p[0, 2:7] = 1.0, 0.8
    value = keras.losses.Tversky(alpha=1.0, beta=1.0)(y, p)
    claim("keras_tversky11_partial", float(value),
          "keras.losses.Tversky(alpha=1, beta=1)(y, p), float64 inputs")
    # which count does alpha weigh? only false positives here
    y, p = np.zeros((1, 16)), np.zeros((1, 16))
    y[0, :4] = p[0, :4] = 1.0
    p[0, 4:8] = 1.0
    claim("keras_tversky_alpha_only_fp",
          float(keras.losses.tversky(y, p, alpha=1.0, beta=0.0)),
          "keras.losses.tversky(y, p, alpha=1, beta=0), 4 TP and 4 FP")
    claim("keras_tversky_beta_only_fp",
          float(keras.losses.tversky(y, p, alpha=0.0, beta=1.0)),
          "keras.losses.tversky(y, p, alpha=0, beta=1), 4 TP and 4 FP")


def main() -> None:
    torch.set_default_dtype(torch.float64)
    boxes()
    smp_values()
    monai_values()
    keras_values()
    header = {
        "generated_by": "tools/make_reference_values_detection.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "segmentation_models_pytorch": smp.__version__,
        "monai": monai.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        "claims": CLAIMS,
    }
    write_cases(OUT, header, CASES)
    print("claims:", ", ".join(sorted(CLAIMS)))


if __name__ == "__main__":
    main()
