"""lossbook: loss functions for machine learning, exact and stable.

Every loss of the book's API is importable from here, e.g.
``lossbook.huber`` or ``lossbook.cross_entropy``; the symbolic definitions
are in :mod:`lossbook.symbolic`, the toy data sets in :mod:`lossbook.data`.

Examples
--------
>>> import lossbook as lb
>>> float(lb.mse([0.0, 0.0], [1.0, 3.0]))
5.0
"""

from lossbook import (
    alignments,
    anchors,
    data,
    frameworks,
    metrics,
    pixels,
    plotting,
    symbolic,
    training,
)
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
from lossbook.focal import sigmoid_focal_loss, softmax_focal_loss
from lossbook.gradients import gradient
from lossbook.overlap import (
    focal_tversky_loss,
    generalized_dice_loss,
    lovasz_softmax_loss,
    tversky_loss,
)
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
    "categorical_cross_entropy",
    "ciou_loss",
    "cross_entropy",
    "cross_entropy_iou_loss_2d",
    "ctc_gradient",
    "ctc_loss",
    "data",
    "dice_loss",
    "diou_loss",
    "focal_tversky_loss",
    "frameworks",
    "generalized_box_iou",
    "generalized_dice_loss",
    "giou_loss",
    "gradient",
    "huber",
    "iou_loss",
    "log_cosh",
    "log_sigmoid",
    "log_softmax",
    "lovasz_softmax_loss",
    "mae",
    "metrics",
    "mse",
    "pinball_loss",
    "pixels",
    "plotting",
    "sequence_cross_entropy",
    "sigmoid",
    "sigmoid_focal_loss",
    "smooth_l1",
    "soft_iou_loss",
    "softmax",
    "softmax_focal_loss",
    "sparse_categorical_cross_entropy",
    "symbolic",
    "training",
    "tversky_loss",
]
