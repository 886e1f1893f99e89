"""Stable building blocks shared by the loss families.

Each rewrite names the identity it relies on, so a reader can check it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "exp_diff",
    "log_sigmoid",
    "neg_log_softmax",
    "pow2_scale",
    "scaled_sum",
    "sigmoid",
    "softmax",
    "two_diff",
]


def two_diff(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``hi, lo`` with ``hi = fl(a - b)`` and ``hi + lo == a - b`` exactly.

    Knuth's TwoSum applied to ``a + (-b)``: the rounding error of a
    floating-point subtraction is itself a floating-point number, and
    these four operations recover it. Where ``hi`` overflows, ``lo`` is 0.

    >>> hi, lo = two_diff(np.array([1.0]), np.array([1e-17]))
    >>> float(hi[0]), float(lo[0])
    (1.0, -1e-17)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        hi = a - b
        back = hi - a
        lo = (a - (hi - back)) - (b + back)
        return hi, np.where(np.isfinite(hi), lo, 0.0)


def exp_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp(a - b)`` to about an ulp, although ``a - b`` itself rounds.

    ``exp`` turns the absolute rounding error of ``a - b`` into a relative
    error of the same size, ``|a - b|`` ulps (15 ulp for a softmax
    probability of e^-30). With ``a - b = hi + lo`` exactly (:func:`two_diff`),
    ``exp(hi + lo) = exp(hi) (1 + lo)`` to first order, and ``|lo|`` is at
    most half an ulp of ``hi``, so the second-order term is negligible.
    """
    hi, lo = two_diff(a, b)
    with np.errstate(over="ignore"):
        e = np.exp(hi)
        return e + e * lo


def neg_log_softmax(z: np.ndarray, *, halve: bool = False) -> np.ndarray:
    r"""``-log softmax(z)`` over the last axis, accurate even when tiny.

    With :math:`m = z_{k^*}` the largest logit,
    :math:`-\log p_k = (m - z_k) + \operatorname{log1p}\sum_{c \ne k^*}
    e^{z_c - m}`. Two details keep the relative error at a few ulp where
    the plain ``log(sum(exp(z - m)))`` loses everything: the max's own term
    (exactly 1) is taken out so that ``log1p`` sees the small remainder,
    and each ``z_c - m`` is carried as ``hi + lo`` because ``exp`` turns an
    absolute rounding error in its argument into a relative one as large
    as that argument.

    ``halve=True`` returns half the value, computed from ``z / 2`` (an
    exact scaling) so that ``m - z_k`` cannot overflow for logits beyond
    half the float range: the frame in which a mean of losses near the
    range limit is still representable.
    """
    top = np.argmax(z, axis=-1)[..., np.newaxis]
    m = np.take_along_axis(z, top, axis=-1)
    if halve:
        z, m = z * 0.5, m * 0.5
    hi, lo = two_diff(z, m)
    with np.errstate(over="ignore"):
        if halve:  # exp(2 hi) of a hi below -max/2 is the exact 0
            hi2, lo2 = hi * 2, lo * 2
        else:
            hi2, lo2 = hi, lo
        # exp(hi + lo) = exp(hi) (1 + lo) to first order, as in exp_diff
        terms = np.exp(hi2) * (1 + lo2)
    np.put_along_axis(terms, top, 0.0, axis=-1)
    lse = np.log1p(terms.sum(axis=-1, keepdims=True))
    if halve:
        lse = lse * 0.5
    return (lse - lo) - hi


def softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    """``softmax(z)`` along ``axis``, shifted by the maximum logit."""
    # a difference below -max overflows to -inf, whose exp is the exact 0
    with np.errstate(over="ignore"):
        shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log sigma(z) = -log(1 + exp(-z)) = -logaddexp(0, -z)``."""
    return -np.logaddexp(np.zeros((), dtype=z.dtype), -z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``sigma(z)`` without overflow: exp(-|z|) never exceeds 1."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def pow2_scale(x: np.ndarray) -> int:
    """The exponent ``e`` with ``max|x| / 2**e`` in [0.5, 1) (0 for zeros).

    Dividing by a power of two is exact (down to the subnormals), so
    ``np.ldexp(x, -e)`` rescales an array without rounding: the
    running-scale trick that keeps a sum of huge terms from overflowing
    on its way to a representable result.
    """
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return int(np.frexp(top)[1]) if top > 0 else 0


def scaled_sum(
    x: np.ndarray, axis: int | tuple[int, ...] | None = None
) -> np.ndarray:
    """``x.sum(axis)``, finite whenever the exact sum is representable.

    The terms are divided by a common power of two (the largest entry's),
    summed where no partial sum can overflow, and scaled back once with
    ``ldexp``, which rounds to ``inf`` only if the result itself is out of
    range. Where no partial sum can overflow (the usual case) this is the
    plain sum.
    """
    if x.size == 0 or (
        pow2_scale(x) + x.size.bit_length() < np.finfo(x.dtype).maxexp
    ):
        # |partial sum| <= size * 2**e: no overflow possible
        return x.sum(axis=axis, dtype=x.dtype)
    # one scale per reduced slice, so a slice of small terms keeps its bits
    top = np.max(np.abs(x), axis=axis, keepdims=True)
    e = np.frexp(top)[1]
    inner = np.ldexp(x, -e).sum(axis=axis, dtype=x.dtype)
    e = np.squeeze(e, axis=axis) if axis is not None else e.reshape(())
    with np.errstate(over="ignore"):
        return np.ldexp(inner, e).astype(x.dtype)
