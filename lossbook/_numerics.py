"""Stable building blocks shared by the loss families.

Each rewrite names the identity it relies on, so a reader can check it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_sigmoid", "log_softmax", "sigmoid", "softmax"]


def log_softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    """``log softmax(z)`` along ``axis`` by the log-sum-exp shift.

    log softmax(z)_k = (z_k - m) - log sum_c exp(z_c - m), m = max_c z_c;
    the shift makes every exponent <= 0, so nothing overflows.
    """
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    """``softmax(z)`` along ``axis``, shifted by the maximum logit."""
    shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -log(1 + exp(-z)) = -logaddexp(0, -z)``."""
    return -np.logaddexp(np.zeros((), dtype=z.dtype), -z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``sigma(z)`` without overflow: exp(-|z|) never exceeds 1."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
