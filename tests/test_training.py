"""Tests for lossbook.training: the chain rule through each link."""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb
from lossbook import training
from lossbook.gradients import central_difference


def _loss_of_params(X, y, loss, link, shape, **kw):
    """The training objective as a function of flattened (W, b)."""
    F = X.shape[1]
    K = 1 if len(shape) == 1 else shape[1]

    def f(theta):
        W = theta[: F * K].reshape(shape)
        b = theta[F * K:].reshape(shape[1:])
        model = training.FitResult(W, b, link)
        return float(loss(y, training.predict_linear(model, X), **kw))

    return f


@pytest.mark.parametrize(
    ("loss", "link", "num_outputs", "kw"),
    [
        (lb.mse, "identity", None, {}),
        (lb.mse, "sigmoid", None, {}),
        (lb.binary_cross_entropy_with_logits, "identity", None, {}),
        (lb.cross_entropy, "identity", 3, {}),
        (lb.categorical_cross_entropy, "softmax", 3, {}),
    ],
)
def test_one_step_follows_the_exact_gradient(loss, link, num_outputs, kw):
    # one step of size lr from zero must equal -lr times the numerical
    # gradient of the objective with respect to the parameters
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    if num_outputs is None:
        y = (rng.random(12) < 0.5).astype(float)
        shape = (2,)
    else:
        labels = rng.integers(0, 3, size=12)
        y = labels if loss is lb.cross_entropy else np.eye(3)[labels]
        shape = (2, 3)
    lr = 0.5
    fit = training.fit_linear(X, y, loss, link=link, num_outputs=num_outputs,
                              lr=lr, steps=1, **kw)
    theta0 = np.zeros(int(np.prod(shape)) + int(np.prod(shape[1:])))
    g = central_difference(_loss_of_params(X, y, loss, link, shape, **kw),
                           theta0)
    step = np.concatenate([fit.weights.ravel(), np.ravel(fit.bias)])
    np.testing.assert_allclose(step, -lr * g, rtol=1e-6, atol=1e-9)


def test_fit_recovers_a_line_and_records_both_curves():
    x = np.linspace(-1, 1, 21)[:, None]
    y = 3 * x[:, 0] - 1  # exact line: least squares must recover it
    fit = training.fit_linear(x, y, lb.mse, lr=0.2, steps=3000,
                              X_val=x, y_val=y)
    np.testing.assert_allclose([fit.weights[0], fit.bias], [3, -1],
                               atol=1e-8)
    assert len(fit.train_loss) == len(fit.val_loss) == 3001
    assert fit.train_loss[-1] < 1e-12
    assert fit.train_loss[0] > fit.train_loss[-1]


def test_output_shape_feeds_a_per_image_loss():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2 * 4 * 4, 3))
    masks = (rng.random((2, 4, 4)) < 0.4).astype(float)
    fit = training.fit_linear(X, masks, lb.mse, link="sigmoid",
                              steps=3, output_shape=(2, 4, 4))
    direct = training.fit_linear(X, masks.reshape(-1), lb.mse,
                                 link="sigmoid", steps=3)
    # mse is a plain mean, so the reshape must not change anything
    np.testing.assert_allclose(fit.weights, direct.weights, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"link": "relu"}, "link"),
        ({"lr": 0.0}, "lr"),
        ({"lr": "fast"}, "lr"),
    ],
)
def test_bad_arguments(kwargs, match):
    X = np.zeros((3, 1))
    with pytest.raises((ValueError, TypeError), match=match):
        training.fit_linear(X, np.zeros(3), lb.mse, **kwargs)


def test_x_must_be_two_dimensional():
    with pytest.raises(ValueError, match="X must have shape"):
        training.fit_linear(np.zeros(3), np.zeros(3), lb.mse)


def test_callback_sees_every_step():
    seen = []
    training.fit_linear(np.ones((2, 1)), np.ones(2), lb.mse, steps=4,
                        callback=lambda model, step: seen.append(step))
    assert seen == [0, 1, 2, 3]
