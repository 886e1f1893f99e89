"""lossbook against values recorded from PyTorch and torchvision.

``tests/data/reference_values.json`` is written by
``tools/make_reference_values.py``, run by hand in a separate environment
with PyTorch installed (its header records the versions); this test needs
neither. Further files ``tests/data/reference_values_<topic>.json`` in the
same format (one per topic, each naming the script that wrote it in its
header, e.g. values recorded from Keras) are read the same way. Each
case names the lossbook function, its arguments in lossbook's order and
keywords, the PyTorch call that produced the
expected value, and a tolerance class from the table below. ``kind ==
"gradient"`` cases compare :func:`lossbook.gradients.gradient` with
PyTorch's autograd; ``expect == "differs"`` cases record a documented
disagreement and check that it is still there.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lossbook.gradients import gradient

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "reference_values.json"
REFERENCE = json.loads(DATA.read_text())
#: every recorded file: the PyTorch one first, then one per topic
FILES = {
    path.name: json.loads(path.read_text())
    for path in [DATA, *sorted(DATA.parent.glob("reference_values_*.json"))]
}
CASES = [
    dict(case, id=f"{name.removesuffix('.json')}:{case['id']}")
    for name, data in FILES.items()
    for case in data["cases"]
]

#: (rtol, atol) per tolerance class named by the generator.
TOLERANCES = {
    # same formula, well-conditioned inputs: a few ulps of the result
    "default": (1e-12, 0.0),
    # lossbook.frameworks reproduces the framework's own arithmetic
    "emulation": (1e-14, 0.0),
    # logits up to +-30. PyTorch forms some results by subtracting numbers
    # of size |z|: BCE-with-logits is (1 - y) z - log sigma(z), which for
    # y = 0, z = -30 leaves 9.2e-14 with an error of ulp(30) ~ 3.6e-15
    # (1.3 % relative; lossbook is exact); log_softmax gives -0 for a row
    # [30, -30, -30, -30, -30] whose exact loss is 3.5e-26; torchvision's
    # 1 - p_t is 1 - sigma(30) by subtraction. The absolute floor, about
    # three ulp(30), covers those results near 0 only.
    "logits": (1e-12, 1e-14),
    # CTC: PyTorch's raw backward forms exp(log_probs) - occupation, which
    # leaves an absolute error of a few ulp(1) on gradients near 1e-13
    "ctc": (1e-12, 1e-14),
    # boxes: torchvision takes widths and centres by subtraction at
    # coordinates near 1 for boxes of size 1e-4 (one rounding of ulp(1) is
    # 2e-12 of the width), and 1 - IoU of identical boxes with eps in the
    # union as 1 - I / (U + eps) (8.3e-11 +- 1.1e-16)
    "boxes": (1e-11, 1e-15),
}


def _resolve(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _array(value):
    return np.asarray(value) if isinstance(value, list) else value


def _compute(case: dict) -> np.ndarray:
    fn = _resolve(case["function"])
    args = [_array(a) for a in case["args"]]
    kwargs = {k: _array(v) for k, v in case["kwargs"].items()}
    if case["kind"] == "gradient":
        return np.asarray(gradient(fn, *args, **kwargs))
    return np.asarray(fn(*args, **kwargs))


def test_file_header():
    assert REFERENCE["generated_by"] == "tools/make_reference_values.py"
    assert REFERENCE["torch"].startswith("2.")
    assert REFERENCE["torchvision"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_names_its_generator_and_has_cases(name):
    data = FILES[name]
    assert (ROOT / data["generated_by"]).is_file(), data["generated_by"]
    assert data["cases"], f"{name} records no case"


# every function the generator covers, with at least this many cases
_REQUIRED = {
    "lossbook.regression.mse": 3,
    "lossbook.regression.mae": 3,
    "lossbook.regression.huber": 9,
    "lossbook.regression.smooth_l1": 12,
    "lossbook.classification.binary_cross_entropy": 8,
    "lossbook.classification.binary_cross_entropy_with_logits": 8,
    "lossbook.classification.cross_entropy": 20,
    "lossbook.classification.sparse_categorical_cross_entropy": 2,
    "lossbook.focal.sigmoid_focal_loss": 6,
    "lossbook.focal.softmax_focal_loss": 1,
    "lossbook.sequence.sequence_cross_entropy": 2,
    "lossbook.boxes.box_convert": 6,
    "lossbook.boxes.box_iou": 1,
    "lossbook.boxes.generalized_box_iou": 1,
    "lossbook.boxes.iou_loss": 1,
    "lossbook.boxes.giou_loss": 5,
    "lossbook.boxes.diou_loss": 5,
    "lossbook.boxes.ciou_loss": 5,
    "lossbook.ctc.ctc_loss": 10,
    "lossbook.ctc.ctc_gradient": 5,
    "lossbook.frameworks.torch_binary_cross_entropy": 2,
    "lossbook.frameworks.torchvision_sigmoid_focal_loss": 2,
}


def test_coverage_did_not_shrink():
    counts = Counter(c["function"] for c in REFERENCE["cases"]
                     if c["kind"] == "value")
    short = {f: (counts[f], n) for f, n in _REQUIRED.items() if counts[f] < n}
    assert not short, f"fewer reference cases than expected: {short}"
    grads = {c["function"] for c in CASES if c["kind"] == "gradient"}
    assert len(grads) >= 10
    assert all(c["tolerance"] in TOLERANCES for c in CASES)
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expect"] == "match"],
    ids=lambda c: c["id"],
)
def test_matches_pytorch(case):
    actual = _compute(case)
    expected = np.asarray(case["expected"], dtype=np.float64)
    rtol, atol = TOLERANCES[case["tolerance"]]
    assert actual.shape == expected.shape, case["reference"]
    # inf (an impossible CTC alignment) must be matched by inf
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol,
                               err_msg=case["reference"])


# Documented disagreements: each must stay far outside rounding error,
# so that a change on either side shows up here.
#
# * ciou_loss with eps != 1e-7: torchvision's complete_box_iou_loss passes
#   eps to its alpha only; its DIoU part always uses _diou_iou_loss's
#   default 1e-7, while lossbook uses the one eps throughout.
# * ciou_loss gradient: torchvision computes alpha under no_grad, so its
#   gradient treats alpha as a constant; lossbook's is the true derivative
#   (it matches autograd with alpha in the graph, a "match" case above).
# * ctc_gradient(wrt="log_probs") on scores that are not log-probabilities:
#   PyTorch's raw backward is the logits form exp(scores) - occupation
#   (pytorch/pytorch#52241), which ctc_gradient(wrt="logits") matches.
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["expect"] == "differs"],
    ids=lambda c: c["id"],
)
def test_known_differences_persist(case):
    actual = _compute(case)
    expected = np.asarray(case["expected"], dtype=np.float64)
    assert actual.shape == expected.shape
    assert not np.allclose(actual, expected, rtol=1e-6, atol=1e-9), (
        case["reference"]
    )
