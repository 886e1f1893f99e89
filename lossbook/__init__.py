"""lossbook: loss functions for machine learning, exact and stable.

Every loss of the book's API is importable from here, e.g.
``lossbook.huber`` or ``lossbook.cross_entropy``; the symbolic definitions
are in :mod:`lossbook.symbolic`, the toy data sets in :mod:`lossbook.data`.

The helper modules that need SymPy, mpmath or matplotlib (``symbolic``,
``plotting``, ``training``, ``data``, ``frameworks``, ``alignments``,
``notebook``) load on first use (PEP 562), so ``import lossbook`` costs
NumPy and the numeric modules only.

Examples
--------
>>> import lossbook as lb
>>> float(lb.mse([0.0, 0.0], [1.0, 3.0]))
5.0
"""

import importlib
from typing import Any

from lossbook import anchors, metrics, pixels
from lossbook.activations import log_sigmoid, log_softmax, sigmoid, softmax
from lossbook.average import RunningMean, average_loss
from lossbook.boxes import (
    box_convert,
    box_iou,
    ciou_loss,
    diou_loss,
    generalized_box_iou,
    giou_loss,
    iou_loss,
)
from lossbook.classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    sparse_categorical_cross_entropy,
)
from lossbook.ctc import ctc_gradient, ctc_loss
from lossbook.custom import pinball_loss
from lossbook.embeddings import (
    contrastive_loss,
    cosine_embedding_loss,
    info_nce_loss,
    triplet_margin_loss,
)
from lossbook.focal import sigmoid_focal_loss, softmax_focal_loss
from lossbook.gradients import gradient
from lossbook.likelihoods import (
    distillation_loss,
    gaussian_nll_loss,
    kl_divergence,
    mape,
    msle,
    nll_loss,
    poisson_nll_loss,
)
from lossbook.margins import (
    categorical_hinge_loss,
    hinge_loss,
    margin_ranking_loss,
    multi_margin_loss,
    squared_hinge_loss,
)
from lossbook.overlap import (
    focal_tversky_loss,
    generalized_dice_loss,
    lovasz_softmax_loss,
    tversky_loss,
)
from lossbook.preferences import bradley_terry_loss, dpo_loss
from lossbook.regression import huber, log_cosh, mae, mse, smooth_l1
from lossbook.segmentation import (
    cross_entropy_iou_loss_2d,
    dice_loss,
    soft_iou_loss,
)
from lossbook.sequence import sequence_cross_entropy

__version__ = "0.1.0"

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

#: helper modules imported on first attribute access
_LAZY_MODULES = frozenset({
    "alignments", "data", "frameworks", "notebook", "plotting", "symbolic",
    "training",
})


def __getattr__(name: str) -> Any:
    # PEP 562: ``lossbook.symbolic`` imports SymPy only when first used
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"lossbook.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lossbook' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_MODULES)
