r"""Preference losses: learning from pairs of a chosen and a rejected answer.

:func:`bradley_terry_loss` trains a reward model: the probability that the
chosen answer wins is the logistic function of the difference of the two
scores. :func:`dpo_loss` (direct preference optimisation) puts the policy's
own log-probabilities, measured against a frozen reference model, in
place of the scores.

Both are the logistic loss :math:`-\log\sigma(h)` of a difference
:math:`h`, computed exactly: the difference is summed with its rounding
error carried along, and :math:`-\log\sigma` never forms :math:`\sigma`.
The SymPy definitions are in :mod:`lossbook.symbolic.preferences`; the
derivatives with respect to every score array are in :data:`PARTIALS`
(the default, :data:`GRADIENTS`, is the one in the second argument, as
for every lossbook loss).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossbook._numerics import log_sigmoid, sigmoid, two_diff
from lossbook._validation import (
    as_float_array,
    check_reduction,
    check_same_shape,
    check_scalar,
    common_dtype,
    reduce,
    reduce_gradient,
)

__all__ = ["GRADIENTS", "PARTIALS", "bradley_terry_loss", "dpo_loss"]


def _exact_sum(*terms: np.ndarray):
    """``hi, lo``: the sum of ``terms``, ``hi`` rounded to about half an ulp.

    A cascade of error-free additions whose errors are summed on the side
    (Ogita, Rump and Oishi's Sum2), then renormalised.
    """
    hi = terms[0]
    err = np.zeros_like(hi)
    for term in terms[1:]:
        hi, e = two_diff(hi, -term)
        err = err + e
    return two_diff(hi, -err)


def _two_prod(a: np.ndarray, b: np.ndarray):
    """``hi, lo`` with ``hi = fl(a * b)`` and ``hi + lo = a * b`` exactly."""
    split = a.dtype.type(134217729.0 if a.dtype == np.float64 else 4097.0)
    with np.errstate(over="ignore", invalid="ignore"):
        hi = a * b
        ca, cb = split * a, split * b
        a_hi, b_hi = ca - (ca - a), cb - (cb - b)
        a_lo, b_lo = a - a_hi, b - b_hi
        lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return hi, np.where(np.isfinite(lo), lo, 0.0)


def _neg_log_sigmoid(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    r"""``-log sigma(hi + lo)`` to first order in the small ``lo``.

    :math:`\frac{d}{dh}[-\log\sigma(h)] = -\sigma(-h)`, so the part of the
    argument that did not fit in ``hi`` moves the value by
    :math:`-\sigma(-h)\,\mathrm{lo}`.
    """
    return (0.0 - log_sigmoid(hi)) - sigmoid(-hi) * lo


def _float_arrays(*pairs):
    arrays = [as_float_array(x, name) for x, name in pairs]
    first, first_name = arrays[0], pairs[0][1]
    for arr, (_, name) in zip(arrays[1:], pairs[1:], strict=True):
        check_same_shape(first, first_name, arr, name)
    dtype = common_dtype(*arrays)
    return [a.astype(dtype, copy=False) for a in arrays]


# ---------------------------------------------------------------------------
# Bradley-Terry
# ---------------------------------------------------------------------------


def _bt_inputs(scores_chosen, scores_rejected, margin):
    margin = check_scalar(margin, "margin")
    s_c, s_r = _float_arrays((scores_chosen, "scores_chosen"),
                             (scores_rejected, "scores_rejected"))
    hi, lo = _exact_sum(s_c, -s_r, np.full_like(s_c, -margin))
    return hi, lo


def bradley_terry_loss(
    scores_chosen: ArrayLike,
    scores_rejected: ArrayLike,
    *,
    margin: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""The reward-model loss: the chosen answer should outscore the other.

    Under the Bradley-Terry model the chosen answer wins with probability
    :math:`\sigma(s_c - s_r)`; its negative log-likelihood is binary
    cross-entropy with label 1 on the score difference. A ``margin`` asks
    for a difference of at least that much before the loss flattens:

    .. math:: \ell_i = -\log\sigma\bigl(s_{c,i} - s_{r,i} - m\bigr)

    Parameters
    ----------
    scores_chosen : array-like of shape (...)
        The reward model's scores of the preferred answers.
    scores_rejected : array-like of shape (...)
        Its scores of the rejected answers, same shape.
    margin : float, default=0.0
        The margin :math:`m` (Llama 2 uses a larger one for pairs the
        annotators rated as clearly different).
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    numpy.ndarray
        ``"none"``: one value per pair; otherwise a scalar.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    The derivative in ``scores_chosen`` is :math:`-\sigma(-h)` and in
    ``scores_rejected`` :math:`+\sigma(-h)`, with
    :math:`h = s_c - s_r - m`: ``lossbook.gradient(bradley_terry_loss,
    s_c, s_r, wrt=("scores_chosen", "scores_rejected"))``; the default
    (``wrt=None``) is the one in the second argument, ``scores_rejected``.
    Only the difference matters: adding a constant to every score changes
    nothing.

    References
    ----------
    Bradley and Terry (1952) [bradley1952rank]; Ouyang et al. (2022),
    *Training language models to follow instructions with human feedback*
    [ouyang2022instructgpt]; Touvron et al. (2023), *Llama 2*
    [touvron2023llama2].

    Examples
    --------
    >>> from lossbook.preferences import bradley_terry_loss
    >>> round(float(bradley_terry_loss([1.0], [1.0])), 6)  # ln 2
    0.693147
    >>> round(float(bradley_terry_loss([3.0], [1.0], margin=2.0)), 6)
    0.693147
    """
    check_reduction(reduction)
    hi, lo = _bt_inputs(scores_chosen, scores_rejected, margin)
    return reduce(_neg_log_sigmoid(hi, lo), reduction)


def _bt_grad(scores_chosen, scores_rejected, margin, reduction, sign):
    check_reduction(reduction)
    hi, lo = _bt_inputs(scores_chosen, scores_rejected, margin)
    grad = sign * sigmoid(-(hi + lo))
    return reduce_gradient(grad, reduction, count=grad.size)


def _bradley_terry_loss_grad_chosen(scores_chosen, scores_rejected, *,
                                    margin=0.0, reduction="mean"):
    """-sigma(-h)."""
    return _bt_grad(scores_chosen, scores_rejected, margin, reduction, -1.0)


def _bradley_terry_loss_grad_rejected(scores_chosen, scores_rejected, *,
                                      margin=0.0, reduction="mean"):
    """+sigma(-h)."""
    return _bt_grad(scores_chosen, scores_rejected, margin, reduction, 1.0)


# ---------------------------------------------------------------------------
# DPO
# ---------------------------------------------------------------------------

_DPO_NAMES = ("policy_chosen_logps", "policy_rejected_logps",
              "ref_chosen_logps", "ref_rejected_logps")


def _dpo_inputs(logps, beta, label_smoothing):
    beta = check_scalar(beta, "beta", min_val=0.0, include_min=False)
    eps = check_scalar(label_smoothing, "label_smoothing", min_val=0.0,
                       max_val=0.5)
    pc, pr, rc, rr = _float_arrays(*zip(logps, _DPO_NAMES, strict=True))
    # (pi_c - r_c) - (pi_r - r_r) as hi + lo, then times beta exactly
    hi, lo = _exact_sum(pc, -rc, -pr, rr)
    b = hi.dtype.type(beta)
    h_hi, h_lo = _two_prod(b, hi)
    return h_hi, h_lo + b * lo, eps


def dpo_loss(
    policy_chosen_logps: ArrayLike,
    policy_rejected_logps: ArrayLike,
    ref_chosen_logps: ArrayLike,
    ref_rejected_logps: ArrayLike,
    *,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Direct preference optimisation (DPO), the logistic ("sigmoid") form.

    The policy's implicit reward of an answer is
    :math:`\beta(\log\pi(y) - \log\pi_\text{ref}(y))`; the loss is the
    Bradley-Terry loss of the two implicit rewards, with the conservative
    label smoothing :math:`\varepsilon` (the preference label is taken to
    be flipped with probability :math:`\varepsilon`):

    .. math::

        h_i = \beta\bigl[(\pi_{c,i} - r_{c,i}) - (\pi_{r,i} - r_{r,i})\bigr],
        \qquad
        \ell_i = -(1 - \varepsilon)\log\sigma(h_i)
                 - \varepsilon\log\sigma(-h_i)

    where :math:`\pi_c, \pi_r` are the policy's and :math:`r_c, r_r` the
    reference model's log-probabilities of the chosen and the rejected
    answer.

    Parameters
    ----------
    policy_chosen_logps, policy_rejected_logps : array-like of shape (N,)
        The policy's log-probability of each chosen and rejected answer:
        the sum of its token log-probabilities (any shape, all four the
        same).
    ref_chosen_logps, ref_rejected_logps : array-like of shape (N,)
        The same under the frozen reference model.
    beta : float, default=0.1
        :math:`\beta > 0`, the strength of the KL regularisation towards
        the reference: small :math:`\beta` lets the policy move far.
    label_smoothing : float, default=0.0
        :math:`\varepsilon \in [0, 0.5]`; 0 is plain DPO.
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    numpy.ndarray
        ``"none"``: one value per pair; otherwise a scalar.

    Raises
    ------
    ValueError
        If the four shapes differ, an input is empty or not finite,
        ``beta <= 0``, ``label_smoothing`` is outside [0, 0.5], or
        ``reduction`` is unknown.
    TypeError
        If an input is not numeric.

    Notes
    -----
    With ``label_smoothing=0`` this is TRL's ``DPOTrainer`` loss
    ``loss_type="sigmoid"``. Older TRL releases applied
    ``label_smoothing`` inside that loss, as here (conservative DPO);
    TRL 1.16.0 ignores it there and uses it only for its ``"robust"``,
    ``"exo_pair"`` and ``"aot"`` losses (read in its ``dpo_trainer.py``).
    The inputs are meant to be *summed* log-probabilities, as in the DPO
    paper; averaging over tokens (as some trainers offer) gives a
    different loss, which no longer compares answers of different lengths
    on the same scale. ``dL/dh = -(1 - eps) sigma(-h) + eps sigma(h)``,
    and ``dh`` is :math:`+\beta, -\beta, -\beta, +\beta` in the four
    inputs: ``lossbook.gradient(dpo_loss, *logps, wrt=name)`` for each
    argument name; the default (``wrt=None``) is the derivative in the
    second argument, ``policy_rejected_logps``.

    References
    ----------
    Rafailov et al. (2023), *Direct preference optimization: your language
    model is secretly a reward model* [rafailov2023dpo]; Mitchell (2023),
    *A note on DPO with noisy preferences and relationship to IPO*
    [mitchell2023cdpo].

    Examples
    --------
    >>> from lossbook.preferences import dpo_loss
    >>> # the policy equals the reference: h = 0, the loss is ln 2
    >>> round(float(dpo_loss([-5.0], [-7.0], [-5.0], [-7.0])), 6)
    0.693147
    >>> round(float(dpo_loss([-4.0], [-8.0], [-5.0], [-7.0], beta=0.5)), 6)
    0.313262
    """
    check_reduction(reduction)
    logps = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
             ref_rejected_logps)
    hi, lo, eps = _dpo_inputs(logps, beta, label_smoothing)
    loss = _neg_log_sigmoid(hi, lo)
    if eps:
        loss = (1 - eps) * loss + eps * _neg_log_sigmoid(-hi, -lo)
    return reduce(loss.astype(hi.dtype, copy=False), reduction)


def _dpo_grad(logps, beta, label_smoothing, reduction, sign):
    check_reduction(reduction)
    hi, lo, eps = _dpo_inputs(logps, beta, label_smoothing)
    h = hi + lo
    dl_dh = -(1 - eps) * sigmoid(-h) + eps * sigmoid(h)
    grad = (sign * hi.dtype.type(beta) * dl_dh).astype(hi.dtype)
    return reduce_gradient(grad, reduction, count=grad.size)


def _dpo_partial(index: int, sign: float):
    def partial(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                ref_rejected_logps, *, beta=0.1, label_smoothing=0.0,
                reduction="mean"):
        logps = (policy_chosen_logps, policy_rejected_logps,
                 ref_chosen_logps, ref_rejected_logps)
        return _dpo_grad(logps, beta, label_smoothing, reduction, sign)

    partial.__name__ = f"_dpo_loss_grad_{_DPO_NAMES[index]}"
    partial.__doc__ = (f"d dpo_loss / d {_DPO_NAMES[index]}: "
                       f"{sign:+g} beta dL/dh.")
    return partial


_DPO_PARTIALS = {
    name: _dpo_partial(i, sign)
    for i, (name, sign) in enumerate(
        zip(_DPO_NAMES, (1.0, -1.0, -1.0, 1.0), strict=True))
}

GRADIENTS = {
    bradley_terry_loss: _bradley_terry_loss_grad_rejected,
    dpo_loss: _DPO_PARTIALS["policy_rejected_logps"],
}

PARTIALS = {
    bradley_terry_loss: {
        "scores_chosen": _bradley_terry_loss_grad_chosen,
        "scores_rejected": _bradley_terry_loss_grad_rejected,
    },
    dpo_loss: _DPO_PARTIALS,
}
