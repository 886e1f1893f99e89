"""The box and mask chapters' framework claims against recorded values.

``tests/data/reference_values_detection.json`` holds values recorded from
torchvision, segmentation_models_pytorch, MONAI and Keras 3 by
``tools/make_reference_values_detection.py`` (its ``claims``). Each test
here takes a number a chapter glues into its prose, from the chapter's
stored outputs, and compares it with the recorded one, so that the book
cannot state as a fact about a framework what the framework does not do.
The glued numbers keep 10 significant digits (``lossbook.notebook``).
"""

from __future__ import annotations

import ast
import json
import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from lossbook.anchors import ROI_HEAD_WEIGHTS, encode_boxes

ROOT = Path(__file__).resolve().parent.parent
RECORDED = json.loads(
    (ROOT / "tests" / "data" / "reference_values_detection.json").read_text()
)
CLAIMS = {name: c["value"] for name, c in RECORDED["claims"].items()}
GLUED_DIGITS = dict(rtol=1e-9, atol=1e-12)


@cache
def glued(chapter: str) -> dict[str, object]:
    """The values a chapter glues, by name, from its stored outputs."""
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook")
            if record is None:
                continue
            text = out["data"][record["mime_prefix"] + "text/plain"]
            values[record["name"]] = ast.literal_eval(text)
    return values


def test_header_names_the_libraries():
    assert RECORDED["generated_by"] == (
        "tools/make_reference_values_detection.py")
    for lib in ("torch", "torchvision", "segmentation_models_pytorch",
                "monai", "keras"):
        assert RECORDED[lib], lib
    assert RECORDED["keras_backend"] == "torch"


# ---------------------------------------------------------------------------
# bbox_regression
# ---------------------------------------------------------------------------


def test_ciou_constant_alpha_row_is_torchvisions_gradient():
    values = glued("bbox_regression")
    row = [values[f"bb_ciou_frozen_{k}"] for k in range(4)]
    np.testing.assert_allclose(row, CLAIMS["ciou_grad_torchvision"],
                               **GLUED_DIGITS)


def test_faster_rcnn_box_head_loss_and_weights():
    values = glued("bbox_regression")
    case = CLAIMS["fasterrcnn_box_case"]
    assert values["bb_head_loss"] == pytest.approx(case["box_loss"],
                                                   rel=1e-9)
    assert tuple(CLAIMS["fasterrcnn_roi_weights"]) == ROI_HEAD_WEIGHTS
    assert values["bb_roi_weights"] == ", ".join(
        f"{w:g}" for w in CLAIMS["fasterrcnn_roi_weights"])
    assert CLAIMS["fasterrcnn_rpn_weights"] == [1.0, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(
        encode_boxes(case["gt"], case["proposal"], weights=ROI_HEAD_WEIGHTS),
        case["weighted_targets"], rtol=1e-13)
    # the effective beta in raw units is 1/9 over each weight
    assert values["bb_beta_raw_centre"] == pytest.approx(
        1 / 9 / CLAIMS["fasterrcnn_roi_weights"][0], rel=1e-9)
    assert values["bb_beta_raw_size"] == pytest.approx(
        1 / 9 / CLAIMS["fasterrcnn_roi_weights"][2], rel=1e-9)


def test_decoder_clamp_is_log_1000_over_16():
    assert CLAIMS["fasterrcnn_bbox_xform_clip"] == pytest.approx(
        math.log(1000 / 16), rel=1e-15)


# ---------------------------------------------------------------------------
# cross_entropy_iou_2d
# ---------------------------------------------------------------------------

_EMPTY_CASES = ("empty_empty", "empty_fp2", "one_missed", "one_found")


@pytest.mark.parametrize("case", _EMPTY_CASES)
@pytest.mark.parametrize("lib, claim", [
    ("keras", "keras_dice_{}_float32"),  # Keras computes in float32
    ("smp", "smp_dice_{}"),
    ("monai", "monai_dice_{}"),
])
def test_empty_mask_table_matches_the_libraries(case, lib, claim):
    shown = glued("cross_entropy_iou_2d")[f"empty_{lib}_{case}"]
    assert shown == pytest.approx(CLAIMS[claim.format(case)], rel=1e-9,
                                  abs=1e-12)


def test_keras_float32_scores_a_found_pixel_zero_and_float64_does_not():
    values = glued("cross_entropy_iou_2d")
    assert CLAIMS["keras_dice_one_found_float32"] == 0.0
    assert values["keras_found_f64"] == pytest.approx(5e-8, rel=1e-6)


def test_smp_intersection_on_soft_targets():
    values = glued("cross_entropy_iou_2d")
    assert values["soft_half_smp"] == CLAIMS["smp_dice_soft_half"] == 0.0
    assert values["soft_half_product"] == 0.5


def test_smp_zeroes_absent_classes_per_batch():
    values = glued("cross_entropy_iou_2d")
    assert values["smp_empty_alone"] == CLAIMS["smp_dice_empty_fp2"] == 0.0
    assert values["smp_mixed"] == pytest.approx(
        CLAIMS["smp_dice_mixed_batch"], rel=1e-9)


def test_smp_dice_smooth_one_is_dice_smooth_two():
    values = glued("cross_entropy_iou_2d")
    assert values["smp_smooth1_partial"] == pytest.approx(
        CLAIMS["smp_dice_smooth1_partial"], rel=1e-9)


def test_keras_tversky_one_one_is_the_soft_jaccard_loss():
    values = glued("cross_entropy_iou_2d")
    # Keras's epsilon (1e-7) sits in the denominator only
    assert values["jaccard_part"] == pytest.approx(
        CLAIMS["keras_tversky11_partial"], rel=1e-6)


def test_keras_dice_axis_none_pools_the_classes():
    values = glued("cross_entropy_iou_2d")
    assert values["keras_two_pooled"] == pytest.approx(
        CLAIMS["keras_dice_two_classes_axis_none"], rel=1e-9)
    for k in range(2):
        assert values[f"keras_two_class_{k}"] == pytest.approx(
            CLAIMS["keras_dice_two_classes_per_class"][k], rel=1e-9)
    assert values["keras_two_pooled"] != pytest.approx(
        values["keras_two_class_mean"], rel=1e-3)


@pytest.mark.parametrize("chapter, libraries", [
    ("bbox_regression", {"torchvision": "torchvision"}),
    ("cross_entropy_iou_2d", {"SMP": "segmentation_models_pytorch",
                              "MONAI": "monai", "Keras": "keras"}),
])
def test_versions_named_in_the_prose_are_the_recorded_ones(chapter,
                                                           libraries):
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    prose = " ".join("".join(c["source"]) for c in nb["cells"]
                     if c["cell_type"] == "markdown")
    for shown, key in libraries.items():
        named = set(re.findall(rf"{shown} (\d+\.\d+\.\d+)", prose))
        # a local build tag such as "+cu130" is not part of the version
        recorded = RECORDED[key].split("+")[0]
        assert named == {recorded}, (shown, named, recorded)
