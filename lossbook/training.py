"""Plain gradient descent for the book's small experiments.

The chapters train tiny models (a line, logistic and softmax regression, a
per-pixel classifier) with the losses of this package and nothing else:
the loss's derivative comes from :func:`lossbook.gradient`, and the chain
rule through the model is written out here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossbook import _validation as v
from lossbook._numerics import sigmoid, softmax
from lossbook.gradients import gradient

__all__ = ["LINKS", "FitResult", "fit_linear", "predict_linear"]

#: How a linear score z = X W + b becomes the loss's second argument.
LINKS = ("identity", "sigmoid", "softmax")


@dataclass
class FitResult:
    """Weights of a fitted linear model and its loss after each step.

    Attributes
    ----------
    weights : numpy.ndarray
        Shape ``(F, K)``, or ``(F,)`` for a single output.
    bias : numpy.ndarray
        Shape ``(K,)``, or a 0-d array for a single output.
    link : str
        The link the model was trained with (see :data:`LINKS`).
    train_loss, val_loss : list of float
        The loss on the training (and validation) data before each step
        and after the last one.
    """

    weights: np.ndarray
    bias: np.ndarray
    link: str
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)

    def predict(self, X: Any) -> np.ndarray:
        """The model's output, after the link."""
        return predict_linear(self, X)


def _apply_link(z: np.ndarray, link: str) -> np.ndarray:
    if link == "sigmoid":
        return sigmoid(z)
    if link == "softmax":
        return softmax(z, axis=-1)
    return z


def _link_backward(g: np.ndarray, out: np.ndarray, link: str) -> np.ndarray:
    """dL/dz from dL/d(link(z)), with ``out = link(z)``."""
    if link == "sigmoid":
        # d sigma / dz = sigma (1 - sigma)
        return g * out * (1 - out)
    if link == "softmax":
        # Jacobian-vector product of softmax: p * (g - <g, p>)
        return out * (g - (g * out).sum(axis=-1, keepdims=True))
    return g


def predict_linear(model: FitResult, X: Any) -> np.ndarray:
    """``link(X @ weights + bias)`` for a fitted model."""
    X = v.as_float_array(X, "X")
    return _apply_link(X @ model.weights + model.bias, model.link)


def fit_linear(
    X: Any,
    y: Any,
    loss: Callable,
    *,
    link: str = "identity",
    num_outputs: int | None = None,
    lr: float = 0.1,
    steps: int = 500,
    X_val: Any = None,
    y_val: Any = None,
    init_bias: float | np.ndarray = 0.0,
    output_shape: tuple[int, ...] | None = None,
    callback: Callable[[FitResult, int], None] | None = None,
    **loss_kwargs: Any,
) -> FitResult:
    r"""Fit ``link(X W + b)`` to ``y`` by full-batch gradient descent.

    Each step computes :math:`g = \partial L / \partial \hat y` with
    :func:`lossbook.gradient`, takes it back through the link to the score
    :math:`z = XW + b`, and updates :math:`W \leftarrow W - \eta X^\top g_z`,
    :math:`b \leftarrow b - \eta \sum_i g_{z,i}`.

    Parameters
    ----------
    X : array-like of shape (N, F)
        Features.
    y : array-like
        Targets in the form ``loss`` expects.
    loss : callable
        A lossbook loss whose second argument is the model output.
    link : {"identity", "sigmoid", "softmax"}, default="identity"
        Applied to the score before the loss; use ``"identity"`` for losses
        that take logits.
    num_outputs : int, optional
        Number of score columns K; ``None`` gives one score per sample.
    lr : float, default=0.1
        Step size :math:`\eta`.
    steps : int, default=500
        Number of gradient steps.
    X_val, y_val : array-like, optional
        Validation data whose loss is recorded each step.
    init_bias : float or array-like, default=0.0
        Starting bias, e.g. the log prior odds of a rare class.
    output_shape : tuple of int, optional
        Reshape the ``(N, K)`` (or ``(N,)``) output to this shape before
        the loss sees it, e.g. ``(images, height, width, K)`` for a
        per-pixel model trained with a per-image segmentation loss; the
        gradient is reshaped back. Validation outputs get the same shape
        with their own first dimension.
    callback : callable, optional
        Called as ``callback(model, step)`` after every update, e.g. to
        record accuracy along the way.
    **loss_kwargs
        Passed to ``loss`` and :func:`lossbook.gradient` (not ``reduction``:
        training always uses the mean).

    Returns
    -------
    FitResult
        Weights, bias, link and loss curves.

    Examples
    --------
    >>> import numpy as np, lossbook as lb
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> fit = lb.training.fit_linear(X, [1.0, 3.0, 5.0], lb.mse, steps=2000)
    >>> np.round([fit.weights[0], fit.bias], 3).tolist()
    [2.0, 1.0]
    """
    X = v.as_float_array(X, "X")
    v.check_ndim(X, "X", 2, expected="have shape (N, F)")
    v.check_choice(link, "link", LINKS)
    lr = v.check_scalar(lr, "lr", min_val=0.0, include_min=False)
    steps = v.check_integer(steps, "steps", min_val=0)
    shape = (X.shape[1],) if num_outputs is None else (X.shape[1],
                                                       num_outputs)
    weights = np.zeros(shape)
    bias = np.zeros(shape[1:]) + np.asarray(init_bias, dtype=float)
    model = FitResult(weights, bias, link)

    def shaped(out, shape):
        return out if shape is None else out.reshape(shape)

    def record(data_X, data_y, curve, shape):
        if data_X is not None:
            out = shaped(predict_linear(model, data_X), shape)
            curve.append(float(loss(data_y, out, **loss_kwargs)))

    val_shape = None if output_shape is None else (-1, *output_shape[1:])
    for step in range(steps):
        record(X, y, model.train_loss, output_shape)
        record(X_val, y_val, model.val_loss, val_shape)
        out = _apply_link(X @ model.weights + model.bias, link)
        g = gradient(loss, y, shaped(out, output_shape), **loss_kwargs)
        g = _link_backward(g.reshape(out.shape), out, link)
        model.weights = model.weights - lr * (X.T @ g)
        model.bias = model.bias - lr * g.sum(axis=0)
        if callback is not None:
            callback(model, step)
    record(X, y, model.train_loss, output_shape)
    record(X_val, y_val, model.val_loss, val_shape)
    return model
