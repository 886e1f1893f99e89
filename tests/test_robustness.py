"""Inputs at the edges of what the contract allows, one test per failure.

Each case is a reproducer of a failure class that a randomised run over
the public functions found: a finite input near the float range whose
exact loss is representable, a gradient that is NaN where the loss is
finite, an exception of the wrong type or naming no argument, a warning
on valid input, a dtype that drifts. ``tests/test_properties.py`` draws
such inputs at random; these pin the known ones.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb
from lossbook import alignments, data, pixels, training
from lossbook.gradients import gradient

MAX64 = np.finfo(np.float64).max
MAX32 = np.finfo(np.float32).max


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    # a valid call emits no warning; an invalid one raises without one
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------
# finite where the exact value is representable
# ---------------------------------------------------------------------------


def test_weighted_cross_entropy_with_huge_weights():
    logits = [[-1.0, -1.0], [1.0, -1.0]]
    plain = lb.cross_entropy([0, 1], logits)
    # the weighted mean with equal weights is the plain mean (1.410)
    got = lb.cross_entropy([0, 1], logits, weight=[1e308, 1e308])
    assert got == pytest.approx(plain, rel=1e-15)
    assert lb.gradient(lb.cross_entropy, [0, 1], logits,
                       weight=[1e308, 1e308]) == pytest.approx(
        lb.gradient(lb.cross_entropy, [0, 1], logits), rel=1e-15)


def test_sequence_mask_near_the_range():
    logits = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    got = lb.sequence_cross_entropy([[0, 1]], logits, mask=[[MAX64, MAX64]])
    assert got == pytest.approx(lb.sequence_cross_entropy([[0, 1]], logits))


@pytest.mark.parametrize("loss, kwargs, big", [
    (lb.mae, {}, 1e308), (lb.mse, {}, 1e154),
    (lb.huber, {"delta": 1.0}, 1e308), (lb.huber, {"delta": 1e-3}, 1e308),
    (lb.smooth_l1, {"beta": 1.0}, 1e308), (lb.smooth_l1, {"beta": 0.0}, 1e308),
])
def test_regression_means_near_the_range(loss, kwargs, big):
    # one residual of 2 * big (|d| or d**2 overflows) among zeros: the
    # mean is representable
    y = np.array([-big, 0.0, 0.0, 0.0])
    p = np.array([big, 0.0, 0.0, 0.0])
    mean = loss(y, p, **kwargs)
    delta = kwargs.get("delta", kwargs.get("beta", 0.0))
    want = {"mae": 5e307, "mse": 1e308,
            "huber": delta * (big / 2 - delta / 8),
            "smooth_l1": big / 2 - delta / 8}[loss.__name__]
    assert np.isfinite(mean)
    assert mean == pytest.approx(want, rel=1e-14)
    # the value of the one element is beyond the range: inf, no warning
    assert loss(y, p, reduction="none", **kwargs)[0] == np.inf


def test_float32_mae_near_the_range():
    y = np.array([-3e38, 0, 0, 0], np.float32)
    got = lb.mae(y, -y)
    assert got.dtype == np.float32
    assert got == pytest.approx(1.5e38, rel=1e-6)


def test_cross_entropy_near_the_range():
    logits = np.array([[-1.7e308, 1.7e308], [0, 0], [0, 0], [0, 0]])
    got = lb.cross_entropy([0, 0, 0, 0], logits)
    # (2 * 1.7e308 + 3 ln 2) / 4, although 2 * 1.7e308 is beyond the range
    assert got == pytest.approx(1.7e308 / 2, rel=1e-14)
    assert lb.cross_entropy([1], logits[:1]) == 0.0
    none = lb.cross_entropy([0, 0], logits[:2], reduction="none")
    assert none[0] == np.inf and none[1] == pytest.approx(np.log(2))


def test_average_loss_and_running_mean_near_the_range():
    assert lb.average_loss([MAX64, MAX64, -MAX64]) == MAX64
    assert lb.average_loss([1e308, -1e308], [1e308, 1e308]) == 0.0
    meter = lb.RunningMean()
    meter.update(1e308, n=10)
    meter.update(1e308, n=10)
    assert meter.value == 1e308


def test_bce_with_logits_sum_beyond_the_range_is_inf_without_warning():
    got = lb.binary_cross_entropy_with_logits(
        [0.0, 0.0], [1.7e308, 1.7e308], reduction="sum")
    assert got == np.inf
    assert lb.binary_cross_entropy_with_logits(
        [0.0, 0.0], [1.7e308, 1.7e308]) == 1.7e308


@pytest.mark.parametrize("dtype", ["<f8", ">f8"])
def test_sum_of_huge_losses_after_an_infinite_one_warns_not(dtype):
    # the last loss (1000 * 1.7e308) is beyond the range and the sum is
    # inf; that inf hid the scale of the finite terms, whose partial sum
    # then overflowed with a warning (the property run drew it for a
    # byte-swapped strided array; the layout is not the cause)
    y = np.repeat(np.array([0.0, 0.0, 1.0], dtype), 2)[::2]
    z = np.repeat(np.array([1.5e308, 1.5e308, -1.7e308], dtype), 2)[::2]
    loss = lb.binary_cross_entropy_with_logits
    assert loss(y, z, pos_weight=1000.0, reduction="none")[2] == np.inf
    assert loss(y, z, pos_weight=1000.0, reduction="sum") == np.inf
    assert loss(y, z, pos_weight=1000.0) == np.inf


def test_masked_token_mean_with_a_loss_beyond_float32():
    # token 0's loss, 2 * 3.4e38, is inf in float32; weighed by 1 of 4,
    # the masked mean (max32 / 2 + 3 ln 2 / 4) is representable
    logits = np.array([[[MAX32, -MAX32], [0.0, 0.0]]], dtype=np.float32)
    got = lb.sequence_cross_entropy([[1, 0]], logits, mask=[[1.0, 3.0]])
    assert got.dtype == np.float32
    assert got == pytest.approx(float(MAX32) / 2, rel=1e-6)
    # the sum and the per-token values, with a small weight on token 0
    mask = [[1e-3, 1.0]]
    total = lb.sequence_cross_entropy([[1, 0]], logits, mask=mask,
                                      reduction="sum")
    assert total == pytest.approx(2e-3 * float(MAX32), rel=1e-6)
    each = lb.sequence_cross_entropy([[1, 0]], logits, mask=mask,
                                     reduction="none")
    assert each[0, 1] == pytest.approx(np.log(2), rel=1e-6)
    # without a mask: the mean of 6e38 and ln 2 is 3e38
    logits = np.array([[[3e38, -3e38], [0.0, 0.0]]], dtype=np.float32)
    assert lb.sequence_cross_entropy([[1, 0]], logits) == pytest.approx(
        3e38, rel=1e-6)


def test_ce_iou_with_a_pixel_loss_beyond_float32():
    # pixel 0's cross-entropy, 2 * max32, is inf in float32; the image's
    # loss, (mean CE + IoU term) / 2, is about max32 / 2
    z = np.array([[[[MAX32, -MAX32], [0.0, 0.0]]]], dtype=np.float32)
    got = lb.cross_entropy_iou_loss_2d([[[1, 0]]], z)
    assert got.dtype == np.float32
    assert got == pytest.approx(float(MAX32) / 2, rel=1e-6)
    assert got == pytest.approx(
        lb.cross_entropy_iou_loss_2d([[[1, 0]]], z.astype(np.float64)),
        rel=1e-6)


def test_ciou_angle_of_a_tiny_box_beside_a_huge_one():
    # the square's sides (1.3e-78) underflowed to 0 in the pair's scaled
    # frame, which made it a point of angle 0 and v = 0; its angle is
    # pi/4 against about 0: v = 1/4, alpha v = v^2 / (1 + v + eps)
    t = [[-0.5, 0.0, 0.0, 3.7e279]]
    p = [[0.0, 0.0, 1.3e-78, 1.3e-78]]
    v = 0.25
    want = 1.0 + 0.25 + v * v / (1.0 + v + 1.0)
    assert lb.ciou_loss(t, p, eps=1.0) == pytest.approx(want, rel=1e-14)
    assert np.isfinite(gradient(lb.ciou_loss, t, p, eps=1.0)).all()


def test_ctc_gradient_with_scores_near_minus_1e300():
    # every score equal: the occupancies do not depend on the score, and
    # six of the paths of three frames collapse to the label
    at_1e300 = lb.ctc_gradient(np.full((3, 1, 3), -1e300), [[1]], [3], [1],
                               reduction="sum")
    at_1 = lb.ctc_gradient(np.full((3, 1, 3), -1.0), [[1]], [3], [1],
                           reduction="sum")
    np.testing.assert_allclose(at_1e300, at_1, rtol=1e-14)
    np.testing.assert_allclose(at_1[0, 0], [-0.5, -0.5, 0.0], atol=1e-15)


@pytest.mark.parametrize("label", [0, 1])
def test_softmax_focal_gradient_at_extreme_logits(label):
    z = [[1e308, -1e308], [-1e308, 1e308], [1000.0, -1000.0]]
    grad = gradient(lb.softmax_focal_loss, [label] * 3, z)
    assert np.isfinite(grad).all()
    # for a sure mistake p_t = 0: (1 - p_t)^gamma = 1 and the gradient is
    # that of cross-entropy, p - onehot (divided by the 3 samples)
    wrong = 0 if label == 1 else 1
    np.testing.assert_allclose(grad[wrong], np.array(
        [1.0, -1.0] if label == 1 else [-1.0, 1.0]) / 3, rtol=1e-15)


def test_cross_entropy_iou_gradient_at_extreme_logits():
    z = [[[1e308, -1e308], [-1e308, 1e308]]]
    for labels in ([[0, 1]], [[1, 0]]):
        grad = gradient(lb.cross_entropy_iou_loss_2d, labels, z)
        assert np.isfinite(grad).all()


# ---------------------------------------------------------------------------
# the right exception, naming the argument
# ---------------------------------------------------------------------------

HUGE = 10**400

HUGE_CASES = [
    (lambda: lb.cross_entropy([0], [[0.0, 1.0]], label_smoothing=HUGE),
     "label_smoothing"),
    (lambda: lb.dice_loss([[1.0, 0.0]], [[1.0, 0.0]], smooth=HUGE), "smooth"),
    (lambda: lb.huber([1.0], [2.0], delta=HUGE), "delta"),
    (lambda: lb.sigmoid_focal_loss([1.0], [2.0], gamma=HUGE), "gamma"),
    (lambda: data.three_class_blobs(HUGE), "n_per_class"),
    (lambda: data.train_val_split(np.zeros((4, 2)), seed=HUGE), "seed"),
    (lambda: data.toy_masks(n_images=HUGE), "n_images"),
    (lambda: alignments.ctc_lattice_edges(HUGE, [1]), "num_frames"),
    (lambda: alignments.ctc_lattice_edges(3, [1], blank=HUGE), "blank"),
]


@pytest.mark.parametrize("call, name", HUGE_CASES)
def test_huge_python_ints_are_value_errors(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("dtype", ["m8[s]", "M8[s]"])
@pytest.mark.parametrize("loss", [lb.mse, lb.binary_cross_entropy_with_logits,
                                  lb.sigmoid_focal_loss])
def test_dates_and_durations_are_not_numbers(loss, dtype):
    with pytest.raises(TypeError, match="y_true must be a numeric"):
        loss(np.array([0, 1], dtype), [0.0, 1.0])


@pytest.mark.parametrize("loss", [lb.cross_entropy, lb.sequence_cross_entropy,
                                  lb.cross_entropy_iou_loss_2d,
                                  lb.softmax_focal_loss])
def test_scalar_logits_have_no_class_axis(loss):
    with pytest.raises(ValueError, match="logits must have a class axis"):
        loss(0, 1.0)


def test_helpers_name_their_arguments():
    X, y = np.zeros((4, 2)), np.zeros(4)
    for steps in (None, float("nan"), 2.0):
        with pytest.raises(TypeError, match="steps must be an integer"):
            training.fit_linear(X, y, lb.mse, steps=steps)
    with pytest.raises(TypeError, match=r"shape must be a tuple of ints"):
        pixels._output_shape({"n": 1, "h": 2, "w": 2}, 4)
    with pytest.raises(TypeError, match=r"shape must be a tuple of ints"):
        pixels._output_shape({1, 2, 3}, 6)


@pytest.mark.parametrize("call, name", [
    (lambda: alignments.ctc_lattice_edges(2, [1e300]), "target"),
    (lambda: lb.cross_entropy([1e300], [[0.0, 1.0]]), "y_true"),
    (lambda: lb.ctc_loss(np.zeros((2, 1, 2)), [[1]], [1e300], [1]),
     "input_lengths"),
])
def test_huge_whole_floats_as_integers_raise_without_a_warning(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_gradient_names_the_public_loss_on_a_wrong_keyword():
    with pytest.raises(TypeError, match=r"^mse\(\) got an unexpected "
                                        r"keyword argument 'delta'"):
        gradient(lb.mse, [1.0], [2.0], delta=1.0)


def test_dice_on_a_1d_mask_names_the_axis_passed():
    with pytest.raises(ValueError, match=r"axis=-1 is axis 0 of its 1 "
                                         r"dimension.*axis=None"):
        lb.dice_loss([1.0, 0.0], [1.0, 0.0])
    # the binary-mask form is what it asks for
    assert lb.dice_loss([[1.0, 0.0]], [[1.0, 0.0]], axis=None) == 0.0


class _GradTensor:
    """Stands in for a torch tensor with ``requires_grad=True``: its
    ``__array__`` refuses as torch's does."""

    requires_grad = True

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError(
            "Can't call numpy() on Tensor that requires grad. Use "
            "tensor.detach().numpy() instead.")


@pytest.mark.parametrize("position", [0, 1])
def test_a_tensor_that_requires_grad_names_the_argument(position):
    args = [[0.0, 1.0], [0.5, -0.5]]
    args[position] = _GradTensor()
    name = ("y_true", "logits")[position]
    with pytest.raises(TypeError, match=f"{name} must be a numeric "
                                        f"array-like, got a _GradTensor "
                                        f"that requires grad"):
        lb.binary_cross_entropy_with_logits(*args)


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", [">", "<"])
@pytest.mark.parametrize("kind, want", [("f4", np.float32),
                                        ("f8", np.float64)])
def test_either_byte_order_keeps_its_precision(order, kind, want):
    x = np.array([5.0, -1.0], dtype=order + kind)
    assert lb.sigmoid(x).dtype == want
    assert lb.smooth_l1(x, x[::-1]).dtype == want
    assert lb.smooth_l1(x, x[::-1], reduction="none").dtype == want
    assert gradient(lb.mse, x, x[::-1]).dtype == want
    assert lb.cross_entropy([0], x[None]).dtype == want


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_float16_and_longdouble_are_computed_in_float64(dtype):
    # the documented promotion: float16 overflows at 65504 inside exp and
    # squares, longdouble's width differs by platform
    y, p = np.array([1.0, 2.0], dtype), np.array([2.0, 4.0], dtype)
    got = lb.mse(y, p)
    assert got.dtype == np.float64 and got == 2.5
    assert lb.sigmoid(np.array([300.0], dtype)).dtype == np.float64
    assert lb.cross_entropy([0], np.array([[0.0, 0.0]], dtype)).dtype == \
        np.float64


# ---------------------------------------------------------------------------
# documentation
# ---------------------------------------------------------------------------

PACKAGE = Path(lb.__file__).parent


def _docstrings():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    yield path.relative_to(PACKAGE).as_posix(), doc


def test_no_escaped_underscore_in_text_mode_math():
    # MathJax shows \_ literally inside \text{} and \texttt{} (text mode);
    # \mathtt{label\_smoothing} renders label_smoothing
    text_mode = re.compile(r"\\text(?:tt)?\{[^}]*\\_")
    bad = [name for name, doc in _docstrings() if text_mode.search(doc)]
    assert not bad


def _unresolved_names(source: str) -> set[str]:
    tree = ast.parse(source)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    used = {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return used - bound


def test_docstring_examples_import_what_they_use():
    # pasted into a fresh REPL, an example of the public API must run:
    # every name it uses is imported or assigned in the example (doctest
    # lends it the module's globals, which hides a missing import)
    bad = {}
    for name in lb.__all__:
        obj = getattr(lb, name)
        if getattr(obj, "__module__", "").startswith(
                ("lossbook.boxes", "lossbook.anchors")):
            continue  # checked with the box geometry
        doc = inspect.getdoc(obj) or ""
        lines = [ln.strip()[4:] for ln in doc.splitlines()
                 if ln.strip().startswith((">>> ", "... "))]
        if lines:
            missing = _unresolved_names("\n".join(lines))
            if missing:
                bad[name] = missing
    assert not bad
