"""The public interface: every name of the API contract, documented.

The contract (version 1) fixes these names; each must be importable from
``lossbook`` itself and carry a NumPy-style docstring with the formula, a
reference and a runnable example (the examples run as doctests).
"""

from __future__ import annotations

import inspect

import pytest

import lossbook as lb

LOSSES = [
    "mse", "mae", "huber", "smooth_l1", "log_cosh",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "categorical_cross_entropy",
    "sparse_categorical_cross_entropy",
    "sigmoid_focal_loss", "softmax_focal_loss",
    "iou_loss", "giou_loss", "diou_loss", "ciou_loss",
    "dice_loss", "soft_iou_loss", "cross_entropy_iou_loss_2d",
    "sequence_cross_entropy", "ctc_loss",
    "nll_loss", "kl_divergence", "distillation_loss", "gaussian_nll_loss",
    "poisson_nll_loss", "mape", "msle",
    "hinge_loss", "squared_hinge_loss", "categorical_hinge_loss",
    "multi_margin_loss", "margin_ranking_loss", "bradley_terry_loss",
    "dpo_loss",
    "tversky_loss", "focal_tversky_loss", "generalized_dice_loss",
    "lovasz_softmax_loss",
]
OTHERS = [
    "box_convert", "box_iou", "generalized_box_iou",
    "average_loss", "RunningMean", "gradient", "ctc_gradient",
]
CONTRACT = LOSSES + OTHERS


@pytest.mark.parametrize("name", CONTRACT)
def test_name_is_exported_and_documented(name):
    obj = getattr(lb, name)
    assert name in lb.__all__
    doc = inspect.getdoc(obj) or ""
    assert doc.splitlines()[0].strip(), f"{name} has no summary line"
    for section in ("Examples", ">>> "):
        assert section in doc, f"{name}'s docstring lacks {section!r}"


@pytest.mark.parametrize("name", [*LOSSES, "ctc_gradient", "gradient"])
def test_losses_state_formula_and_reference(name):
    doc = inspect.getdoc(getattr(lb, name))
    assert ".. math::" in doc, f"{name}'s docstring has no formula"
    assert "References" in doc, f"{name}'s docstring has no references"


@pytest.mark.parametrize("name", LOSSES)
def test_reduction_is_keyword_only_and_defaults_to_mean(name):
    params = inspect.signature(getattr(lb, name)).parameters
    reduction = params["reduction"]
    assert reduction.kind is inspect.Parameter.KEYWORD_ONLY
    assert reduction.default == "mean"


@pytest.mark.parametrize("name", LOSSES)
def test_target_comes_first(name):
    first, second = list(inspect.signature(getattr(lb, name)).parameters)[:2]
    if name == "ctc_loss":
        assert (first, second) == ("log_probs", "targets")
    elif name == "distillation_loss":
        # the teacher's output is the target
        assert (first, second) == ("teacher_logits", "student_logits")
    elif name == "nll_loss":
        assert (first, second) == ("y_true", "log_probs")
    elif name == "margin_ranking_loss":
        assert (first, second) == ("y_true", "x1")
    elif name == "bradley_terry_loss":
        assert (first, second) == ("scores_chosen", "scores_rejected")
    elif name == "dpo_loss":
        assert (first, second) == ("policy_chosen_logps",
                                   "policy_rejected_logps")
    else:
        assert first in ("y_true", "boxes_true")
        assert second in ("y_pred", "y_prob", "logits", "boxes_pred")


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "ctc_loss"])
def test_every_loss_but_ctc_has_a_closed_form_gradient(name):
    from lossbook.gradients import _registry

    assert getattr(lb, name) in _registry()


def test_ctc_loss_points_to_ctc_gradient():
    with pytest.raises(ValueError, match="ctc_gradient"):
        lb.gradient(lb.ctc_loss, [0.0], [0.0])


@pytest.mark.parametrize(
    "name",
    [n for n in LOSSES if n not in ("ctc_loss", "sequence_cross_entropy")],
)
def test_symbolic_definition_exists(name):
    from lossbook import symbolic as sym

    assert callable(getattr(sym, name))


# version 2: embedding losses (several prediction inputs, no y_pred)
EMBEDDING_LOSSES = [
    "cosine_embedding_loss", "contrastive_loss", "triplet_margin_loss",
    "info_nce_loss",
]


@pytest.mark.parametrize("name", EMBEDDING_LOSSES)
def test_embedding_losses_follow_the_contract(name):
    from lossbook import symbolic as sym
    from lossbook.gradients import _partials, _registry

    test_name_is_exported_and_documented(name)
    test_losses_state_formula_and_reference(name)
    test_reduction_is_keyword_only_and_defaults_to_mean(name)
    loss = getattr(lb, name)
    assert loss in _registry() and loss in _partials()
    assert callable(getattr(sym, name))
