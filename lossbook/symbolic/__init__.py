"""SymPy definitions of lossbook's losses: one source of truth per loss.

Each definition is a function named like the NumPy loss that returns a
:class:`LossDefinition` (structural sizes such as ``num_classes`` are its
arguments). The book shows its LaTeX, differentiates it and takes its
limits; the tests evaluate it with mpmath as the oracle for the NumPy
functions; :func:`lossbook.gradient` implements its derivative in closed
form.

Examples
--------
>>> from lossbook import symbolic as sym
>>> sym.mse().latex()
'\\\\left(- y + \\\\hat{y}\\\\right)^{2}'
"""

from lossbook.symbolic._core import ORACLE_DIGITS, LossDefinition, ulp_error
from lossbook.symbolic.boxes import ciou_loss, diou_loss, giou_loss, iou_loss
from lossbook.symbolic.classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    sequence_cross_entropy,
    sparse_categorical_cross_entropy,
)
from lossbook.symbolic.custom import pinball_loss
from lossbook.symbolic.embeddings import (
    contrastive_loss,
    cosine_embedding_loss,
    info_nce_loss,
    triplet_margin_loss,
)
from lossbook.symbolic.focal import sigmoid_focal_loss, softmax_focal_loss
from lossbook.symbolic.likelihoods import (
    distillation_loss,
    gaussian_nll_loss,
    kl_divergence,
    mape,
    msle,
    nll_loss,
    poisson_nll_loss,
)
from lossbook.symbolic.margins import (
    categorical_hinge_loss,
    hinge_loss,
    margin_ranking_loss,
    multi_margin_loss,
    squared_hinge_loss,
)
from lossbook.symbolic.overlap import (
    focal_tversky_loss,
    generalized_dice_loss,
    lovasz_softmax_loss,
    tversky_loss,
)
from lossbook.symbolic.preferences import bradley_terry_loss, dpo_loss
from lossbook.symbolic.regression import huber, log_cosh, mae, mse, smooth_l1
from lossbook.symbolic.segmentation import (
    cross_entropy_iou_loss_2d,
    dice_loss,
    soft_iou_loss,
)

__all__ = [
    "ORACLE_DIGITS",
    "LossDefinition",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "bradley_terry_loss",
    "categorical_cross_entropy",
    "categorical_hinge_loss",
    "ciou_loss",
    "contrastive_loss",
    "cosine_embedding_loss",
    "cross_entropy",
    "cross_entropy_iou_loss_2d",
    "dice_loss",
    "diou_loss",
    "distillation_loss",
    "dpo_loss",
    "focal_tversky_loss",
    "gaussian_nll_loss",
    "generalized_dice_loss",
    "giou_loss",
    "hinge_loss",
    "huber",
    "info_nce_loss",
    "iou_loss",
    "kl_divergence",
    "log_cosh",
    "lovasz_softmax_loss",
    "mae",
    "mape",
    "margin_ranking_loss",
    "mse",
    "msle",
    "multi_margin_loss",
    "nll_loss",
    "pinball_loss",
    "poisson_nll_loss",
    "sequence_cross_entropy",
    "sigmoid_focal_loss",
    "smooth_l1",
    "soft_iou_loss",
    "softmax_focal_loss",
    "sparse_categorical_cross_entropy",
    "squared_hinge_loss",
    "triplet_margin_loss",
    "tversky_loss",
    "ulp_error",
]
