"""lossbook: loss functions for machine learning, exact and stable.

Every loss of the book's API is importable from here, e.g.
``lossbook.huber`` or ``lossbook.cross_entropy``; the symbolic definitions
are in :mod:`lossbook.symbolic`, the toy data sets in :mod:`lossbook.data`.

Everything here loads on first use (PEP 562): ``import lossbook`` reads
this one file, ``lossbook.huber`` then imports NumPy and
:mod:`lossbook.regression`, and the helper modules that need SymPy,
mpmath or matplotlib (``symbolic``, ``plotting``, ``training``, ``data``,
``frameworks``, ``alignments``, ``notebook``) load only when a program
touches them.

Examples
--------
>>> import lossbook as lb
>>> float(lb.mse([0.0, 0.0], [1.0, 3.0]))
5.0
"""

import importlib
from typing import Any

__version__ = "0.1.0"

#: where each public function lives: imported from there on first access
#: (PEP 562), so ``import lossbook`` loads nothing but this file, and a
#: program pays for NumPy and the modules it uses when it first uses one
_FUNCTIONS = {
    "log_sigmoid": "activations",
    "log_softmax": "activations",
    "sigmoid": "activations",
    "softmax": "activations",
    "RunningMean": "average",
    "average_loss": "average",
    "box_convert": "boxes",
    "box_iou": "boxes",
    "ciou_loss": "boxes",
    "diou_loss": "boxes",
    "generalized_box_iou": "boxes",
    "giou_loss": "boxes",
    "iou_loss": "boxes",
    "binary_cross_entropy": "classification",
    "binary_cross_entropy_with_logits": "classification",
    "categorical_cross_entropy": "classification",
    "cross_entropy": "classification",
    "sparse_categorical_cross_entropy": "classification",
    "ctc_gradient": "ctc",
    "ctc_loss": "ctc",
    "pinball_loss": "custom",
    "contrastive_loss": "embeddings",
    "cosine_embedding_loss": "embeddings",
    "info_nce_loss": "embeddings",
    "triplet_margin_loss": "embeddings",
    "sigmoid_focal_loss": "focal",
    "softmax_focal_loss": "focal",
    "gradient": "gradients",
    "distillation_loss": "likelihoods",
    "gaussian_nll_loss": "likelihoods",
    "kl_divergence": "likelihoods",
    "mape": "likelihoods",
    "msle": "likelihoods",
    "nll_loss": "likelihoods",
    "poisson_nll_loss": "likelihoods",
    "categorical_hinge_loss": "margins",
    "hinge_loss": "margins",
    "margin_ranking_loss": "margins",
    "multi_margin_loss": "margins",
    "squared_hinge_loss": "margins",
    "focal_tversky_loss": "overlap",
    "generalized_dice_loss": "overlap",
    "lovasz_softmax_loss": "overlap",
    "tversky_loss": "overlap",
    "bradley_terry_loss": "preferences",
    "dpo_loss": "preferences",
    "huber": "regression",
    "log_cosh": "regression",
    "mae": "regression",
    "mse": "regression",
    "smooth_l1": "regression",
    "cross_entropy_iou_loss_2d": "segmentation",
    "dice_loss": "segmentation",
    "soft_iou_loss": "segmentation",
    "sequence_cross_entropy": "sequence",
}

__all__ = [
    "RunningMean",
    "alignments",
    "anchors",
    "average_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "box_convert",
    "box_iou",
    "bradley_terry_loss",
    "categorical_cross_entropy",
    "categorical_hinge_loss",
    "ciou_loss",
    "contrastive_loss",
    "cosine_embedding_loss",
    "cross_entropy",
    "cross_entropy_iou_loss_2d",
    "ctc_gradient",
    "ctc_loss",
    "data",
    "dice_loss",
    "diou_loss",
    "distillation_loss",
    "dpo_loss",
    "focal_tversky_loss",
    "frameworks",
    "gaussian_nll_loss",
    "generalized_box_iou",
    "generalized_dice_loss",
    "giou_loss",
    "gradient",
    "hinge_loss",
    "huber",
    "info_nce_loss",
    "iou_loss",
    "kl_divergence",
    "log_cosh",
    "log_sigmoid",
    "log_softmax",
    "lovasz_softmax_loss",
    "mae",
    "mape",
    "margin_ranking_loss",
    "metrics",
    "mse",
    "msle",
    "multi_margin_loss",
    "nll_loss",
    "pinball_loss",
    "pixels",
    "plotting",
    "poisson_nll_loss",
    "sequence_cross_entropy",
    "sigmoid",
    "sigmoid_focal_loss",
    "smooth_l1",
    "soft_iou_loss",
    "softmax",
    "softmax_focal_loss",
    "sparse_categorical_cross_entropy",
    "squared_hinge_loss",
    "symbolic",
    "training",
    "triplet_margin_loss",
    "tversky_loss",
]

#: modules imported on first attribute access: the numeric ones, and the
#: helpers that need SymPy, mpmath or matplotlib
_LAZY_MODULES = frozenset({
    "alignments", "anchors", "data", "frameworks", "metrics", "notebook",
    "pixels", "plotting", "symbolic", "training",
})


#: every other public module, also reachable as an attribute on first use
#: (``lossbook.gradients.GRADIENTS``), as it was when all were imported
_OTHER_MODULES = frozenset({
    "activations", "average", "boxes", "classification", "ctc", "custom",
    "embeddings", "focal", "gradients", "likelihoods", "margins",
    "metric_learning", "overlap", "preferences", "regression",
    "segmentation", "sequence",
})


def __getattr__(name: str) -> Any:
    # PEP 562: ``lossbook.symbolic`` imports SymPy only when first used,
    # ``lossbook.mse`` lossbook.regression (and NumPy)
    if name in _LAZY_MODULES or name in _OTHER_MODULES:
        value = importlib.import_module(f"lossbook.{name}")
    elif name in _FUNCTIONS:
        module = importlib.import_module(f"lossbook.{_FUNCTIONS[name]}")
        value = getattr(module, name)
    else:
        raise AttributeError(f"module 'lossbook' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_MODULES | _OTHER_MODULES
                  | set(_FUNCTIONS))
