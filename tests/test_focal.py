"""Tests for lossbook.focal against lossbook.symbolic.focal.

The oracle is the SymPy definition evaluated in mpmath. The plain
definitions compute 1 - p_t and log(1 + e^-z) as written, so resolving a
loss of e^-700 takes about 300 significant digits: each oracle value is
computed with 60 digits plus half the logit range (e^-x needs x / ln 10 ~
0.43 x digits), not the fixed 50 of LossDefinition.evaluate.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import MAX_ULP, central_difference

from lossbook import classification, focal
from lossbook._numerics import log_sigmoid, sigmoid, softmax
from lossbook.activations import log_softmax
from lossbook.focal import sigmoid_focal_loss, softmax_focal_loss
from lossbook.symbolic import focal as sym

REDUCTIONS = ("mean", "sum", "none")
SIGMOID_DEFS = {True: sym.sigmoid_focal_loss(),
                False: sym.sigmoid_focal_loss(alpha_balanced=False)}
SOFTMAX_DEFS = {c: sym.softmax_focal_loss(c) for c in (2, 3, 4, 5)}


def _exact(defn, values, *, spread: float, expr=None, **params):
    """The SymPy definition at the exact float inputs, with enough digits.

    ``spread`` bounds the logits' range; e^-spread must be resolved.
    """
    fn = defn.evaluator(expr)
    ordered = [params[s.name] for s in defn.params]
    with mpmath.workdps(60 + int(spread / 2)):
        return fn(*[mpmath.mpf(float(v)) for v in (*values, *ordered)])


# for gamma > 2 lossbook forms 1 - p_t in np.longdouble; where that is wider
# than float64 (x86) the value meets MAX_ULP for every gamma
_EXTENDED = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps


def _max_ulp(gamma: float) -> float:
    """MAX_ULP, or, without extended precision, 2 more per unit of gamma > 2.

    The modulating factor (1 - p_t)^gamma has condition number gamma in
    1 - p_t: rounding 1 - p_t once already costs gamma / 2 ulp, and
    float64 sigmoids behind it about gamma ulp more. Where longdouble is
    just float64 (ARM, Windows) gamma = 5 therefore gets 14.
    """
    return MAX_ULP if _EXTENDED else MAX_ULP + 2 * max(gamma - 2, 0)


def _sigmoid_exact(y, z, alpha, gamma, *, derivative=False):
    defn = SIGMOID_DEFS[alpha is not None]
    expr = defn.derivative() if derivative else None
    params = {"gamma": gamma} | ({} if alpha is None else {"alpha": alpha})
    return [_exact(defn, (a, b), spread=abs(b), expr=expr, **params)
            for a, b in zip(y, z, strict=True)]


def _class_alphas(alpha, num_classes):
    if alpha is None:
        alpha = 1.0
    weights = np.broadcast_to(np.asarray(alpha, dtype=float), (num_classes,))
    return {f"alpha_{c}": w for c, w in enumerate(weights)}


def _softmax_exact(labels, logits, gamma, alpha, *, wrt=None):
    num_classes = logits.shape[-1]
    defn = SOFTMAX_DEFS[num_classes]
    expr = None if wrt is None else defn.derivative(defn.wrt[wrt])
    params = {"gamma": gamma} | _class_alphas(alpha, num_classes)
    eye = np.eye(num_classes)
    return [_exact(defn, (*eye[t], *z), spread=float(np.ptp(z)), expr=expr,
                   **params)
            for t, z in zip(labels, logits, strict=True)]


def _sigmoid_inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hard and soft targets against moderate and extreme logits.

    Logits reach +-1000 (and +-745, where e^-z leaves the float range),
    +-37 (where 1 - sigmoid(z) rounds to 0); soft targets come within
    1e-12 of 0 and 1.
    """
    rng = np.random.default_rng(seed)
    extremes = np.array([1000.0, 745.0, 700.0, 100.0, 37.0, 36.7, 5.0,
                         1e-8, 0.0])
    z = np.concatenate([rng.uniform(-40, 40, 12), extremes, -extremes])
    n = z.size
    soft = rng.uniform(0, 1, n)
    soft[:4] = [1e-12, 1 - 1e-12, 0.5, 1e-300]
    y = np.concatenate([np.ones(n), np.zeros(n), soft])
    return y, np.tile(z, 3)


def _softmax_inputs(seed: int, num_classes: int, n: int = 24):
    """Logits at scales 1 to 1000; half the labels are the arg-max."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(0, 4, size=(n, 1))
    logits = rng.normal(size=(n, num_classes)) * scale
    labels = rng.integers(0, num_classes, size=n)
    labels[: n // 2] = logits[: n // 2].argmax(axis=-1)
    # a tie for the top logit, and the widest gap
    logits[0, :2] = 3.0
    labels[0] = 1
    logits[1, :2] = [1000.0, -1000.0]
    labels[1] = 0
    return labels, logits


def _bce_with_logits(y, z):
    """Reference BCE with logits, -(y log sigma(z) + (1-y) log sigma(-z))."""
    return -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z))


# ---------------------------------------------------------------------------
# values against the SymPy oracle
# ---------------------------------------------------------------------------

SIGMOID_CASES = [(0.25, 2.0), (None, 2.0), (None, 0.0), (0.9, 0.5),
                 (0.25, 5.0), (None, 1.0), (0.0, 2.0), (0.25, 10.0),
                 (None, 20.0)]
SIGMOID_IDS = [f"alpha={a}-gamma={g}" for a, g in SIGMOID_CASES]


@pytest.mark.parametrize(("alpha", "gamma"), SIGMOID_CASES, ids=SIGMOID_IDS)
def test_sigmoid_oracle_values(alpha, gamma, ulp_report):
    y, z = _sigmoid_inputs(seed=SIGMOID_CASES.index((alpha, gamma)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak out
        actual = sigmoid_focal_loss(y, z, alpha=alpha, gamma=gamma,
                                    reduction="none")
    ulp_report.check("sigmoid_focal_loss", actual,
                     _sigmoid_exact(y, z, alpha, gamma),
                     max_ulp=_max_ulp(gamma))


SOFTMAX_CASES = [
    (2, 2.0, None),
    (3, 0.0, None),
    (4, 0.5, [0.25, 0.5, 1.0, 2.0]),
    (5, 2.0, 0.5),
    (3, 5.0, None),
    (2, 1.0, [0.75, 0.25]),
]
SOFTMAX_IDS = [f"C={c}-gamma={g}-alpha={a}" for c, g, a in SOFTMAX_CASES]


@pytest.mark.parametrize(("num_classes", "gamma", "alpha"), SOFTMAX_CASES,
                         ids=SOFTMAX_IDS)
def test_softmax_oracle_values(num_classes, gamma, alpha, ulp_report):
    labels, logits = _softmax_inputs(
        SOFTMAX_CASES.index((num_classes, gamma, alpha)), num_classes
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actual = softmax_focal_loss(labels, logits, gamma=gamma, alpha=alpha,
                                    reduction="none")
    ulp_report.check("softmax_focal_loss", actual,
                     _softmax_exact(labels, logits, gamma, alpha),
                     max_ulp=_max_ulp(gamma))


def test_confident_correct_prediction_keeps_its_loss(ulp_report):
    # the naive 1 - sigmoid(40) is exactly 0 in float64, so a torchvision-
    # style evaluation returns 0; the true loss is about e^-120
    y, z = np.array([1.0]), np.array([40.0])
    p = 1 / (1 + np.exp(-z))
    assert 1 - p[0] == 0.0
    actual = sigmoid_focal_loss(y, z, alpha=None, reduction="none")
    assert actual[0] > 0
    ulp_report.check("sigmoid_focal_loss", actual,
                     _sigmoid_exact(y, z, None, 2.0))


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("alpha", "gamma"), SIGMOID_CASES, ids=SIGMOID_IDS)
def test_sigmoid_gradient_matches_central_differences(alpha, gamma,
                                                      reduction):
    rng = np.random.default_rng(21)
    z = rng.uniform(-4, 4, size=(3, 4))
    y = np.concatenate([np.ones(4), np.zeros(4), rng.uniform(0, 1, 4)])
    y = y.reshape(3, 4)
    kwargs = {"alpha": alpha, "gamma": gamma, "reduction": reduction}

    def total(x):
        return float(np.sum(sigmoid_focal_loss(y, x, **kwargs)))

    grad = focal.GRADIENTS[sigmoid_focal_loss](y, z, **kwargs)
    assert grad.shape == z.shape
    np.testing.assert_allclose(grad, central_difference(total, z),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("alpha", "gamma"), SIGMOID_CASES, ids=SIGMOID_IDS)
def test_sigmoid_gradient_matches_sympy_derivative(alpha, gamma, ulp_report):
    y, z = _sigmoid_inputs(seed=40 + SIGMOID_CASES.index((alpha, gamma)))
    grad = focal.GRADIENTS[sigmoid_focal_loss](
        y, z, alpha=alpha, gamma=gamma, reduction="none"
    )
    exact = _sigmoid_exact(y, z, alpha, gamma, derivative=True)
    hard = (y == 0) | (y == 1)
    ulp_report.check("sigmoid_focal_loss (gradient)", grad[hard],
                     [e for e, h in zip(exact, hard, strict=True) if h],
                     max_ulp=_max_ulp(gamma))
    # soft targets: p - y cancels near the optimum, an inherent loss of
    # relative (not absolute) precision
    np.testing.assert_allclose(
        grad[~hard], np.array([float(e) for e, h in zip(exact, hard,
                                                        strict=True)
                               if not h]),
        rtol=1e-10, atol=1e-15,
    )


def test_sigmoid_gradient_closed_form_for_positives():
    # the book's identity, y = 1: dFL/dz = alpha (1-p)^gamma
    # (gamma p log p + p - 1)
    z = np.linspace(-6, 6, 25)
    alpha, gamma = 0.25, 2.0
    p = sigmoid(z)
    expected = alpha * (1 - p) ** gamma * (gamma * p * np.log(p) + p - 1)
    grad = focal.GRADIENTS[sigmoid_focal_loss](
        np.ones_like(z), z, alpha=alpha, gamma=gamma, reduction="none"
    )
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-300)


def test_sigmoid_gradient_gamma_zero_is_bce_gradient():
    # d/dz BCE(y, sigma(z)) = sigma(z) - y
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=10) * 3, rng.uniform(0, 1, 10)
    grad = focal.GRADIENTS[sigmoid_focal_loss](y, z, alpha=None, gamma=0.0,
                                               reduction="none")
    np.testing.assert_allclose(grad, sigmoid(z) - y, rtol=1e-12, atol=1e-16)


SOFTMAX_GRAD_CASES = [(2.0, None, -1), (0.0, None, -1), (0.5, 0.3, -1),
                      (2.0, [0.5, 1.0, 2.0], 1), (1.5, None, 0)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("gamma", "alpha", "axis"), SOFTMAX_GRAD_CASES)
def test_softmax_gradient_matches_central_differences(gamma, alpha, axis,
                                                      reduction):
    rng = np.random.default_rng(31)
    logits = rng.normal(size=(4, 3)) * 2  # (N, C)
    labels = rng.integers(0, 3, size=4)
    if axis == 1:  # PyTorch layout (N, C, K)
        logits = rng.normal(size=(2, 3, 2)) * 2
        labels = rng.integers(0, 3, size=(2, 2))
    elif axis == 0:  # classes first, samples second
        logits = logits.T.copy()
    kwargs = {"gamma": gamma, "alpha": alpha, "axis": axis,
              "reduction": reduction}

    def total(x):
        return float(np.sum(softmax_focal_loss(labels, x, **kwargs)))

    grad = focal.GRADIENTS[softmax_focal_loss](labels, logits, **kwargs)
    assert grad.shape == logits.shape
    np.testing.assert_allclose(grad, central_difference(total, logits),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("num_classes", "gamma", "alpha"), SOFTMAX_CASES,
                         ids=SOFTMAX_IDS)
def test_softmax_gradient_matches_sympy_derivative(num_classes, gamma, alpha,
                                                   ulp_report):
    labels, logits = _softmax_inputs(
        50 + SOFTMAX_CASES.index((num_classes, gamma, alpha)), num_classes,
        n=8,
    )
    grad = focal.GRADIENTS[softmax_focal_loss](
        labels, logits, gamma=gamma, alpha=alpha, reduction="none"
    )
    for k in range(num_classes):
        ulp_report.check("softmax_focal_loss (gradient)", grad[:, k],
                         _softmax_exact(labels, logits, gamma, alpha, wrt=k),
                         max_ulp=_max_ulp(gamma))


def test_softmax_gradient_gamma_zero_is_softmax_minus_onehot():
    rng = np.random.default_rng(4)
    logits, labels = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)
    grad = focal.GRADIENTS[softmax_focal_loss](labels, logits, gamma=0.0,
                                               reduction="sum")
    expected = softmax(logits, axis=-1) - np.eye(4)[labels]
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-16)


# ---------------------------------------------------------------------------
# identities and properties
# ---------------------------------------------------------------------------

_logits = st.floats(-1000, 1000, allow_nan=False, allow_infinity=False)
_unit = st.floats(0, 1)
_binary = st.integers(1, 8).flatmap(
    lambda n: st.tuples(hnp.arrays(np.float64, n, elements=_unit),
                        hnp.arrays(np.float64, n, elements=_logits))
)
_gamma = st.floats(0, 5)


@given(_binary, _gamma)
def test_sigmoid_focal_is_finite_nonnegative_and_below_bce(pair, gamma):
    # FL <= BCE because (1 - p_t)^gamma <= 1 and alpha_t <= 1
    y, z = pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = sigmoid_focal_loss(y, z, gamma=gamma, reduction="none")
        plain = sigmoid_focal_loss(y, z, alpha=None, gamma=gamma,
                                   reduction="none")
    assert np.isfinite(values).all() and (values >= 0).all()
    # against the library's own BCE, whose ce term the focal kernel shares:
    # a factor <= 1 cannot round a product above it, while another formula
    # for BCE (as _bce_with_logits) may differ from it by an ulp at gamma = 0
    bce = classification.binary_cross_entropy_with_logits(y, z,
                                                          reduction="none")
    assert (values <= bce).all() and (plain <= bce).all()


@given(_binary)
def test_sigmoid_gamma_zero_no_alpha_is_bce_with_logits(pair):
    y, z = pair
    values = sigmoid_focal_loss(y, z, alpha=None, gamma=0.0, reduction="none")
    # both kernels write ce as b |z| + log1p(e^-|z|): the same floats
    np.testing.assert_array_equal(
        values, classification.binary_cross_entropy_with_logits(
            y, z, reduction="none"))
    np.testing.assert_allclose(values, _bce_with_logits(y, z), rtol=4e-16,
                               atol=1e-300)
    bce = getattr(classification, "binary_cross_entropy_with_logits", None)
    if bce is not None:  # the classification family, once it exists
        np.testing.assert_allclose(values, bce(y, z, reduction="none"),
                                   rtol=1e-13, atol=1e-300)


@given(_binary, _gamma, st.floats(0, 1))
def test_sigmoid_alpha_is_a_per_element_weight(pair, gamma, alpha):
    y, z = pair
    weighted = sigmoid_focal_loss(y, z, alpha=alpha, gamma=gamma,
                                  reduction="none")
    plain = sigmoid_focal_loss(y, z, alpha=None, gamma=gamma,
                               reduction="none")
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    np.testing.assert_allclose(weighted, alpha_t * plain, rtol=1e-14,
                               atol=1e-300)


def test_sigmoid_focal_over_bce_is_the_modulating_factor():
    # torchvision's test: FL / BCE = (1 - p_t)^gamma for hard labels
    rng = np.random.default_rng(8)
    z = rng.uniform(-10, 10, 20)
    y = (rng.uniform(size=20) < 0.5).astype(float)
    gamma = 2.0
    one_minus_pt = np.where(y == 1, sigmoid(-z), sigmoid(z))
    ratio = (sigmoid_focal_loss(y, z, alpha=None, gamma=gamma,
                                reduction="none") / _bce_with_logits(y, z))
    np.testing.assert_allclose(ratio, one_minus_pt**gamma, rtol=1e-13)


def test_paper_ratios_to_cross_entropy():
    # Lin et al. (2017): with gamma = 2, an example at p_t = 0.9 gets 100x
    # less loss than under CE, at p_t ~ 0.968 about 1000x less; the ratio
    # is (1 - p_t)^2, so 0.01 and 0.032^2 = 1.024e-3
    p_t = np.array([0.9, 0.968])
    z = np.log(p_t / (1 - p_t))  # logit: sigma(z) = p_t for y = 1
    ratio = (sigmoid_focal_loss(np.ones(2), z, alpha=None, reduction="none")
             / _bce_with_logits(np.ones(2), z))
    np.testing.assert_allclose(ratio, (1 - p_t) ** 2, rtol=1e-12)
    assert ratio[0] == pytest.approx(0.01, rel=1e-12)
    assert ratio[1] == pytest.approx(1e-3, rel=0.03)


@given(_binary, st.floats(0, 4), st.floats(0.1, 2))
def test_sigmoid_focal_decreases_with_gamma(pair, gamma, step):
    y, z = pair
    low = sigmoid_focal_loss(y, z, gamma=gamma, reduction="none")
    high = sigmoid_focal_loss(y, z, gamma=gamma + step, reduction="none")
    assert (high <= low).all()


def test_sigmoid_soft_targets_match_the_torchvision_formula():
    # torchvision: p = sigmoid(z), ce = BCE-with-logits, p_t = p y +
    # (1 - p)(1 - y), loss = alpha_t (1 - p_t)^gamma ce; fine for moderate
    # z, where 1 - p_t does not cancel
    rng = np.random.default_rng(9)
    z, y = rng.uniform(-5, 5, 30), rng.uniform(0, 1, 30)
    alpha, gamma = 0.25, 2.0
    p = 1 / (1 + np.exp(-z))
    p_t = p * y + (1 - p) * (1 - y)
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    expected = alpha_t * (1 - p_t) ** gamma * _bce_with_logits(y, z)
    np.testing.assert_allclose(
        sigmoid_focal_loss(y, z, alpha=alpha, gamma=gamma, reduction="none"),
        expected, rtol=1e-10,
    )


def _cross_entropy_reference(labels, logits):
    return -np.take_along_axis(log_softmax(logits, axis=-1),
                               labels[:, None], axis=-1)[:, 0]


def test_softmax_gamma_zero_no_alpha_is_cross_entropy():
    rng = np.random.default_rng(12)
    logits, labels = rng.normal(size=(20, 5)) * 4, rng.integers(0, 5, 20)
    values = softmax_focal_loss(labels, logits, gamma=0.0, reduction="none")
    np.testing.assert_allclose(
        values, _cross_entropy_reference(labels, logits), rtol=1e-13
    )
    ce = getattr(classification, "cross_entropy", None)
    if ce is not None:  # the classification family, once it exists
        np.testing.assert_allclose(
            values, ce(labels, logits, reduction="none"), rtol=1e-13
        )
        np.testing.assert_allclose(
            softmax_focal_loss(labels, logits, gamma=0.0),
            ce(labels, logits), rtol=1e-13,
        )


def test_softmax_with_two_classes_is_sigmoid_focal_on_the_difference():
    # softmax over (0, z) is (sigma(-z), sigma(z)): label 1 is y = 1
    rng = np.random.default_rng(13)
    z = rng.uniform(-30, 30, 20)
    labels = rng.integers(0, 2, 20)
    logits = np.stack([np.zeros_like(z), z], axis=-1)
    np.testing.assert_allclose(
        softmax_focal_loss(labels, logits, gamma=1.5, reduction="none"),
        sigmoid_focal_loss(labels.astype(float), z, alpha=None, gamma=1.5,
                           reduction="none"),
        rtol=1e-14, atol=1e-300,
    )


def test_softmax_alpha_weights_the_true_class():
    rng = np.random.default_rng(14)
    logits, labels = rng.normal(size=(10, 3)), rng.integers(0, 3, 10)
    plain = softmax_focal_loss(labels, logits, reduction="none")
    weights = np.array([0.2, 1.0, 3.0])
    np.testing.assert_allclose(
        softmax_focal_loss(labels, logits, alpha=weights, reduction="none"),
        weights[labels] * plain, rtol=1e-15,
    )
    # a scalar alpha only rescales the loss
    np.testing.assert_allclose(
        softmax_focal_loss(labels, logits, alpha=0.25, reduction="none"),
        0.25 * plain, rtol=1e-15,
    )


def test_softmax_mean_is_the_plain_mean_over_samples():
    # unlike cross_entropy's weighted mean sum(w_t l) / sum(w_t)
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    labels = np.array([0, 0, 1])
    weights = np.array([1.0, 4.0])
    per = softmax_focal_loss(labels, logits, alpha=weights, reduction="none")
    mean = softmax_focal_loss(labels, logits, alpha=weights)
    assert float(mean) == pytest.approx(per.sum() / 3, rel=1e-15)
    weighted_mean = per.sum() / weights[labels].sum()
    assert abs(float(mean) - weighted_mean) > 0.01


@given(st.integers(0, 3), hnp.arrays(np.float64, 4, elements=_logits),
       _gamma, st.floats(-100, 100))
def test_softmax_focal_properties(label, logits, gamma, shift):
    # finite, non-negative, at most CE, and shift invariant
    labels = np.array([label])
    row = logits[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = softmax_focal_loss(labels, row, gamma=gamma)
        shifted = softmax_focal_loss(labels, row + shift, gamma=gamma)
    assert np.isfinite(value) and value >= 0
    assert value <= softmax_focal_loss(labels, row, gamma=0.0)
    # row + shift rounds, moving the logit gaps by up to an ulp of 1100
    ce = float(softmax_focal_loss(labels, row, gamma=0.0))
    assert abs(float(shifted) - float(value)) <= 1e-9 * max(ce, 1.0)


# ---------------------------------------------------------------------------
# reductions, axes, dtypes, inputs untouched
# ---------------------------------------------------------------------------


@given(_binary, _gamma)
def test_sigmoid_reductions(pair, gamma):
    y, z = pair
    per = sigmoid_focal_loss(y, z, gamma=gamma, reduction="none")
    assert per.shape == y.shape
    np.testing.assert_allclose(
        sigmoid_focal_loss(y, z, gamma=gamma, reduction="sum"), per.sum(),
        rtol=1e-14,
    )
    np.testing.assert_allclose(sigmoid_focal_loss(y, z, gamma=gamma),
                               per.mean(), rtol=1e-14)


@pytest.mark.parametrize("alpha", [None, 0.5, [1.0, 2.0, 0.5]])
def test_softmax_reductions_and_axis(alpha):
    rng = np.random.default_rng(15)
    logits = rng.normal(size=(2, 3, 4))  # PyTorch layout (N, C, K)
    labels = rng.integers(0, 3, size=(2, 4))
    per = softmax_focal_loss(labels, logits, alpha=alpha, axis=1,
                             reduction="none")
    assert per.shape == (2, 4)
    last = softmax_focal_loss(labels, np.moveaxis(logits, 1, -1),
                              alpha=alpha, reduction="none")
    np.testing.assert_array_equal(per, last)
    np.testing.assert_allclose(
        softmax_focal_loss(labels, logits, alpha=alpha, axis=1,
                           reduction="sum"), per.sum(), rtol=1e-15)
    np.testing.assert_allclose(
        softmax_focal_loss(labels, logits, alpha=alpha, axis=1), per.mean(),
        rtol=1e-15)
    grad = focal.GRADIENTS[softmax_focal_loss]
    np.testing.assert_allclose(
        grad(labels, logits, alpha=alpha, axis=1),
        grad(labels, logits, alpha=alpha, axis=1, reduction="sum") / 8,
        rtol=1e-15,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtypes(reduction):
    y32 = np.array([1.0, 0.0, 0.3], dtype=np.float32)
    z32 = np.array([2.0, -1.0, 0.5], dtype=np.float32)
    loss = sigmoid_focal_loss(y32, z32, reduction=reduction)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(
        loss, sigmoid_focal_loss(y32.astype(float), z32.astype(float),
                                 reduction=reduction), rtol=1e-6)
    grad = focal.GRADIENTS[sigmoid_focal_loss](y32, z32, reduction=reduction)
    assert grad.dtype == np.float32
    assert sigmoid_focal_loss([1, 0], [2, -3], reduction=reduction).dtype == (
        np.float64
    )

    logits32 = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]], np.float32)
    labels = np.array([0, 2])
    alpha64 = np.array([0.5, 1.0, 2.0])  # does not promote the result
    out = softmax_focal_loss(labels, logits32, alpha=alpha64,
                             reduction=reduction)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, softmax_focal_loss(labels, logits32.astype(float), alpha=alpha64,
                                reduction=reduction), rtol=1e-6)
    sgrad = focal.GRADIENTS[softmax_focal_loss](labels, logits32,
                                                reduction=reduction)
    assert sgrad.dtype == np.float32
    assert softmax_focal_loss([1], [[1, 2]], reduction=reduction).dtype == (
        np.float64
    )
    if reduction != "none":
        assert np.ndim(loss) == 0 and np.ndim(out) == 0


def test_labels_as_whole_floats_and_bools():
    logits = np.array([[0.0, 1.0], [2.0, 0.0]])
    expected = softmax_focal_loss([1, 0], logits, reduction="none")
    np.testing.assert_array_equal(
        softmax_focal_loss([1.0, 0.0], logits, reduction="none"), expected)
    np.testing.assert_array_equal(
        softmax_focal_loss([True, False], logits, reduction="none"), expected)


def test_hand_values():
    # z = 0: p = 1/2 whatever y; loss = alpha_t (1/2)^2 log 2
    log2 = np.log(2.0)
    values = sigmoid_focal_loss([1.0, 0.0, 0.5], [0.0, 0.0, 0.0],
                                reduction="none")
    # alpha_t = 0.25, 0.75, 0.5; for y = 1/2 the BCE is log 2 as well
    np.testing.assert_allclose(values, np.array([0.25, 0.75, 0.5]) * log2 / 4,
                               rtol=1e-15)
    # three equal logits: p_t = 1/3, (2/3)^2 log 3
    value = softmax_focal_loss([1], [[5.0, 5.0, 5.0]])
    assert float(value) == pytest.approx((2 / 3) ** 2 * np.log(3), rel=1e-15)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

_Y, _Z = [1.0, 0.0], [0.5, -1.0]
SIGMOID_BAD = [
    # (y_true, logits, kwargs, exception, message)
    ([1.0, 0.0, 1.0], _Z, {}, ValueError, "y_true and logits"),
    (_Y, [0.5, np.nan], {}, ValueError, "logits must be finite"),
    ([np.inf, 0.0], _Z, {}, ValueError, "y_true must be finite"),
    ([1.5, 0.0], _Z, {}, ValueError, r"y_true must hold probabilities"),
    ([-0.1, 0.0], _Z, {}, ValueError, r"y_true must hold probabilities"),
    ([], [], {}, ValueError, "y_true must not be empty"),
    (_Y, ["a", "b"], {}, TypeError, "logits must be a numeric"),
    (_Y, _Z, {"alpha": 1.5}, ValueError, "alpha must be <= 1"),
    (_Y, _Z, {"alpha": -1.0}, ValueError, "alpha must be >= 0"),
    (_Y, _Z, {"alpha": "0.25"}, TypeError, "alpha must be a real"),
    (_Y, _Z, {"gamma": -2.0}, ValueError, "gamma must be >= 0"),
    (_Y, _Z, {"gamma": None}, TypeError, "gamma must be a real"),
    (_Y, _Z, {"gamma": np.nan}, ValueError, "gamma must be finite"),
    (_Y, _Z, {"reduction": "mean "}, ValueError, "reduction must be one"),
    (_Y, _Z, {"reduction": None}, ValueError, "reduction must be one"),
]


@pytest.mark.parametrize(("y_true", "logits", "kwargs", "error", "match"),
                         SIGMOID_BAD, ids=[str(i) for i in range(
                             len(SIGMOID_BAD))])
def test_sigmoid_bad_input(y_true, logits, kwargs, error, match):
    y, z = np.array(y_true), np.array(logits)
    before = y.copy(), z.copy()
    for fn in (sigmoid_focal_loss, focal.GRADIENTS[sigmoid_focal_loss]):
        with pytest.raises(error, match=match):
            fn(y, z, **kwargs)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(z, before[1])


_L, _LOGITS = [0, 2], [[0.5, -1.0, 2.0], [0.0, 1.0, 0.0]]
_LABEL_SHAPE = r"y_true must have shape \(2,\), one label per sample"
SOFTMAX_BAD = [
    # (y_true, logits, kwargs, exception, message)
    ([0.5, 2], _LOGITS, {}, ValueError, "y_true must hold integer"),
    ([0, 3], _LOGITS, {}, ValueError, r"y_true must hold class labels in"),
    ([-1, 0], _LOGITS, {}, ValueError, r"y_true must hold class labels in"),
    ([0, 1, 2], _LOGITS, {}, ValueError, _LABEL_SHAPE),
    ([[0, 1]], _LOGITS, {}, ValueError, _LABEL_SHAPE),
    ([np.nan, 1], _LOGITS, {}, ValueError, "y_true must hold integer"),
    (["a", "b"], _LOGITS, {}, TypeError, "y_true must be a numeric"),
    (_L, [[0.5, np.nan, 2.0], [0.0, 1.0, 0.0]], {}, ValueError,
     "logits must be finite"),
    (_L, [[0.5, -np.inf, 2.0], [0.0, 1.0, 0.0]], {}, ValueError,
     "logits must be finite"),
    ([], np.zeros((0, 3)), {}, ValueError, "logits must not be empty"),
    (_L, [["a", "b", "c"]] * 2, {}, TypeError, "logits must be a numeric"),
    (_L, _LOGITS, {"axis": 2}, ValueError, "axis must be in"),
    (_L, _LOGITS, {"axis": 1.0}, TypeError, "axis must be an integer"),
    (_L, _LOGITS, {"gamma": -0.5}, ValueError, "gamma must be >= 0"),
    (_L, _LOGITS, {"alpha": -0.5}, ValueError, "alpha must be >= 0"),
    (_L, _LOGITS, {"alpha": [1.0, 2.0]}, ValueError,
     r"alpha must have shape \(\) or \(3,\), a scalar or one weight per "
     r"class, got shape \(2,\)"),
    (_L, _LOGITS, {"alpha": [1.0, -2.0, 1.0]}, ValueError,
     "alpha must be >= 0"),
    (_L, _LOGITS, {"alpha": [1.0, np.nan, 1.0]}, ValueError,
     "alpha must be finite"),
    (_L, _LOGITS, {"alpha": "x"}, TypeError, "alpha must be a numeric"),
    (_L, _LOGITS, {"reduction": "max"}, ValueError, "reduction must be one"),
]


@pytest.mark.parametrize(("y_true", "logits", "kwargs", "error", "match"),
                         SOFTMAX_BAD, ids=[str(i) for i in range(
                             len(SOFTMAX_BAD))])
def test_softmax_bad_input(y_true, logits, kwargs, error, match):
    y, z = np.array(y_true), np.array(logits)
    before = y.copy(), z.copy()
    for fn in (softmax_focal_loss, focal.GRADIENTS[softmax_focal_loss]):
        with pytest.raises(error, match=match):
            fn(y, z, **kwargs)
    np.testing.assert_array_equal(y, before[0])
    np.testing.assert_array_equal(z, before[1])


def test_inputs_not_modified():
    y = np.array([1.0, 0.0, 0.25])
    z = np.array([3.0, -2.0, 0.5], dtype=np.float32)
    labels = np.array([[0, 1]])
    logits = np.arange(6.0).reshape(1, 3, 2)
    alpha = np.array([0.5, 1.0, 2.0])
    saved = [a.copy() for a in (y, z, labels, logits, alpha)]
    sigmoid_focal_loss(y, z)
    focal.GRADIENTS[sigmoid_focal_loss](y, z)
    softmax_focal_loss(labels, logits, alpha=alpha, axis=1)
    focal.GRADIENTS[softmax_focal_loss](labels, logits, alpha=alpha, axis=1)
    for before, after in zip(saved, (y, z, labels, logits, alpha),
                             strict=True):
        np.testing.assert_array_equal(before, after)


def test_symbolic_num_classes_is_checked():
    with pytest.raises(TypeError, match="num_classes must be an integer"):
        sym.softmax_focal_loss(2.0)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        sym.softmax_focal_loss(0)


def test_gradients_registry_covers_every_loss():
    assert set(focal.GRADIENTS) == {sigmoid_focal_loss, softmax_focal_loss}
