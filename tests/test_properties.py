"""Property tests over every public loss but the box functions.

For each loss, Hypothesis draws valid inputs over dtypes (float32,
float64, integers, booleans, non-native byte order), memory layouts
(C, Fortran, strided, read-only, zero-stride broadcast views), shapes,
and values over the whole finite range, and checks the contract:

* no NaN, and a finite result wherever a higher-precision reference
  (the loss written out in ``np.longdouble``, or a bound by one) is
  comfortably inside the float range;
* no warning (warnings are errors here);
* float32 in, float32 out; everything else float64;
* the inputs are not modified.

Invalid inputs (NaN, a wrong shape, a string, an unknown reduction) must
raise ValueError or TypeError whose message names the argument.

Budget: ``settings(max_examples=..., deadline=None, derandomize=True)``
fixes the examples, so a run is reproducible and takes about 30 s on one
core. Each valid-input test runs ``VALID_EXAMPLES`` examples per loss,
each invalid-input test ``INVALID_EXAMPLES``; there is no shrinking, so
a failure is reported as drawn. Run against the package as it was before
the robustness fixes, every one of the 20 valid-input tests failed
(the 17 invalid-input tests passed): float32 of non-native byte order
came back float64 (every loss), overflow warnings escaped from sums,
weighted terms, softmax shifts and gradients (cross-entropy, BCE,
sequence, focal, Dice/IoU with a large ``smooth``), means near the range
limit were inf where the exact mean is representable (regression losses),
the CTC occupancies of a frame summed to 2 for scores near -1e300, and
``average_loss`` refused all-zero weights.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import lossbook as lb

VALID_EXAMPLES = 40
INVALID_EXAMPLES = 15

LD = np.longdouble
#: the reference is trusted to say "finite" only well inside the range
_SAFE = {np.float32: float(np.finfo(np.float32).max) / 4,
         np.float64: float(np.finfo(np.float64).max) / 4}
_WIDE = np.finfo(LD).maxexp > np.finfo(np.float64).maxexp

# no shrinking: a failure is reported as drawn, which keeps a failing run
# as fast as a passing one
SETTINGS = dict(deadline=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


# ---------------------------------------------------------------------------
# drawing values, dtypes and layouts
# ---------------------------------------------------------------------------

DTYPES = ["float32", "float64", ">f4", ">f8", "int64", "bool"]


def _float_bits(dtype: str) -> int:
    return 32 if dtype in ("float32", ">f4") else 64


def _result_dtype(dtype: str) -> type:
    return np.float32 if dtype in ("float32", ">f4") else np.float64


def _reals(draw, dtype: str, shape, *, lo=None, hi=None) -> np.ndarray:
    """An array of ``dtype`` over the full finite range (or [lo, hi])."""
    n = int(np.prod(shape))
    if dtype == "bool":
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        return np.array(vals, dtype=bool).reshape(shape)
    if dtype == "int64":
        lo_i = -10**6 if lo is None else int(np.ceil(lo))
        hi_i = 10**6 if hi is None else int(np.floor(hi))
        vals = draw(st.lists(st.integers(lo_i, hi_i), min_size=n, max_size=n))
        return np.array(vals, dtype=np.int64).reshape(shape)
    width = _float_bits(dtype)
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False,
                         width=width)
    if lo is None:
        # mostly ordinary magnitudes, sometimes the edge of the range
        big = float(np.finfo(np.float32 if width == 32 else np.float64).max)
        elements = st.one_of(
            st.floats(-50, 50, width=width), elements,
            st.sampled_from([big, -big, big / 3, -big / 3]))
    vals = draw(st.lists(elements, min_size=n, max_size=n))
    return np.array(vals, dtype=dtype).reshape(shape)


LAYOUTS = ["C", "F", "strided", "readonly", "broadcast"]


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values (zero-stride: the first row repeated) laid out
    differently in memory."""
    if a.ndim == 0 or layout == "C":
        return a.copy()
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided":
        wide = np.repeat(a, 2, axis=-1)
        return wide[..., ::2]
    if layout == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b
    return np.broadcast_to(a[:1], a.shape)


# ---------------------------------------------------------------------------
# the losses: how to draw valid inputs, and a longdouble reference
# ---------------------------------------------------------------------------


@dataclass
class Spec:
    fn: Any
    draw: Any  # (draw, dtype) -> (args, kwargs)
    ref: Any = None  # (args, kwargs) -> longdouble mean, or None
    names: tuple = ("y_true", "y_pred")  # the two positional arguments
    bounded: float | None = None  # |loss| <= bounded whatever the input
    keeps_dtype: bool = True
    labels_first: bool = False  # y_true holds integer labels


def _shape(draw, min_dims=1, max_dims=3, max_side=4):
    ndim = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.integers(1, max_side)) for _ in range(ndim))


def _pair(draw, dtype, **kw):
    shape = _shape(draw)
    return _reals(draw, dtype, shape, **kw), _reals(draw, dtype, shape, **kw)


def _max(dtype) -> float:
    """The largest float of ``dtype`` (float64's for non-float dtypes)."""
    kind = np.dtype(dtype)
    return float(np.finfo(kind if kind.kind == "f" else np.float64).max)


def _ld(x):
    return np.asarray(x).astype(LD)


def _softplus(x):
    return np.logaddexp(LD(0), x)


def _regression(fn, kw_strategy=None, ref_elem=None):
    def draw_fn(draw, dtype):
        y, p = _pair(draw, dtype)
        kwargs = {} if kw_strategy is None else draw(kw_strategy)
        return [y, p], kwargs

    def ref(args, kwargs):
        d = _ld(args[1]) - _ld(args[0])
        return ref_elem(d, **kwargs).mean()

    return Spec(fn, draw_fn, ref)


def _huber_ref(d, delta=1.0):
    a = np.abs(d)
    return np.where(a <= delta, a * a / 2, delta * (a - LD(delta) / 2))


def _smooth_l1_ref(d, beta=1.0):
    a = np.abs(d)
    if beta == 0:
        return a
    return np.where(a < beta, a * a / (2 * LD(beta)), a - LD(beta) / 2)


def _log_cosh_ref(d):
    a = np.abs(d)
    return a + np.log1p(np.exp(-2 * a)) - np.log(LD(2))


def _pinball_ref(d, quantile=0.5):
    # d = y_pred - y_true; the loss is q (y - p) if y >= p else (1-q)(p - y)
    return np.where(d <= 0, -quantile * d, (1 - quantile) * d)


def _bce_logits(draw, dtype):
    shape = _shape(draw)
    y = _reals(draw, dtype, shape, lo=0, hi=1)
    z = _reals(draw, dtype, shape)
    kwargs = {}
    if draw(st.booleans()):
        kwargs["pos_weight"] = _reals(
            draw, "float64", draw(st.sampled_from([(), shape[-1:]])),
            lo=0, hi=1e3)
    return [y, z], kwargs


def _bce_logits_ref(args, kwargs):
    y, z = _ld(args[0]), _ld(args[1])
    pw = _ld(kwargs.get("pos_weight", 1.0))
    return (pw * y * _softplus(-z) + (1 - y) * _softplus(z)).mean()


def _bce(draw, dtype):
    shape = _shape(draw)
    y = _reals(draw, dtype, shape, lo=0, hi=1)
    p = _reals(draw, dtype, shape, lo=0, hi=1)
    return [y, p], {}


def _bce_ref(args, kwargs):
    y, p = _ld(args[0]), _ld(args[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, -y * np.log(p), 0)
        neg = np.where(y < 1, -(1 - y) * np.log1p(-p), 0)
    return (pos + neg).mean()


def _class_logits(draw, dtype, *, min_dims=1):
    shape = _shape(draw, min_dims=min_dims)
    classes = draw(st.integers(2, 4))
    z = _reals(draw, dtype, (*shape, classes))
    labels = np.array(draw(st.lists(st.integers(0, classes - 1),
                                    min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape)))))
    return labels.reshape(shape), z


def _ce_ref_values(labels, z):
    z = _ld(z)
    m = z.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(z - m).sum(axis=-1))
    picked = np.take_along_axis(z, labels[..., None], axis=-1)[..., 0]
    return lse - picked


def _cross_entropy(draw, dtype):
    labels, z = _class_logits(draw, dtype)
    kwargs = {}
    if draw(st.booleans()):
        kwargs["weight"] = _reals(draw, "float64", (z.shape[-1],),
                                  lo=1e-3, hi=_max(z.dtype))
    if draw(st.booleans()):
        kwargs["label_smoothing"] = draw(st.floats(0, 1))
    return [labels, z], kwargs


def _cross_entropy_ref(args, kwargs):
    labels, z = args
    if "label_smoothing" in kwargs or "weight" in kwargs:
        return None  # bounded below by the plain loss; no simple reference
    return _ce_ref_values(labels, z).mean()


def _probabilities(draw, dtype, *, min_dims=1):
    shape = _shape(draw, min_dims=min_dims)
    classes = draw(st.integers(2, 4))
    raw = _reals(draw, "float64", (*shape, classes), lo=0, hi=1)
    raw[..., 0] += 1e-3  # a row that can be normalised
    p = raw / raw.sum(axis=-1, keepdims=True)
    return p.astype(dtype if dtype not in ("int64", "bool") else "float64")


def _categorical(draw, dtype):
    p = _probabilities(draw, dtype)
    classes = np.array(draw(st.lists(st.integers(0, p.shape[-1] - 1),
                                     min_size=p[..., 0].size,
                                     max_size=p[..., 0].size)))
    y = np.eye(p.shape[-1], dtype=p.dtype)[classes].reshape(p.shape)
    return [y, p], {}


def _sparse(draw, dtype):
    p = _probabilities(draw, dtype)
    labels = np.array(draw(st.lists(st.integers(0, p.shape[-1] - 1),
                                    min_size=p[..., 0].size,
                                    max_size=p[..., 0].size)))
    return [labels.reshape(p.shape[:-1]), p], {}


def _sigmoid_focal(draw, dtype):
    (y, z), kwargs = _bce_logits(draw, dtype)
    kwargs = {"gamma": draw(st.sampled_from([0.0, 0.5, 2.0, 5.0])),
              "alpha": draw(st.sampled_from([None, 0.25]))}
    return [y, z], kwargs


def _softmax_focal(draw, dtype):
    labels, z = _class_logits(draw, dtype)
    return [labels, z], {"gamma": draw(st.sampled_from([0.0, 2.0, 5.0]))}


def _focal_ref(args, kwargs):
    # focal <= cross-entropy: finite wherever cross-entropy is
    return _ce_ref_values(*args).mean()


def _masks(draw, dtype):
    shape = (draw(st.integers(1, 3)), *_shape(draw, max_dims=2))
    classes = draw(st.integers(1, 3))
    y = _reals(draw, "bool", (*shape, classes)).astype(
        np.float64 if dtype in ("int64", "bool") else dtype)
    p = _reals(draw, dtype if dtype != "int64" else "bool",
               (*shape, classes), lo=0, hi=1)
    return [y, p], {"smooth": draw(st.sampled_from([0.0, 1.0, 1e-5, 1e30]))}


def _ce_iou(draw, dtype):
    labels, z = _class_logits(draw, dtype, min_dims=1)
    return [labels, z], {}


def _ce_iou_ref(args, kwargs):
    return _ce_ref_values(*args).mean() / 2 + 1


def _sequence(draw, dtype):
    labels, z = _class_logits(draw, dtype, min_dims=2)
    kwargs = {}
    if draw(st.booleans()):
        mask = _reals(draw, "float64", labels.shape, lo=0, hi=_max(z.dtype))
        mask.flat[0] = max(mask.flat[0], 1.0)
        kwargs["mask"] = mask
    return [labels, z], kwargs


def _sequence_ref(args, kwargs):
    if "mask" in kwargs:
        m = _ld(kwargs["mask"])
        return (m * _ce_ref_values(*args)).sum() / m.sum()
    return _ce_ref_values(*args).mean()


SPECS = {
    "mse": _regression(lb.mse, None, lambda d: d * d),
    "mae": _regression(lb.mae, None, np.abs),
    "huber": _regression(
        lb.huber, st.fixed_dictionaries(
            {"delta": st.sampled_from([1.0, 1e-3, 1e30])}), _huber_ref),
    "smooth_l1": _regression(
        lb.smooth_l1, st.fixed_dictionaries(
            {"beta": st.sampled_from([0.0, 1.0, 1e30])}), _smooth_l1_ref),
    "log_cosh": _regression(lb.log_cosh, None, _log_cosh_ref),
    "pinball_loss": _regression(
        lb.pinball_loss, st.fixed_dictionaries(
            {"quantile": st.sampled_from([0.1, 0.5, 0.9])}), _pinball_ref),
    "binary_cross_entropy": Spec(lb.binary_cross_entropy, _bce, _bce_ref,
                                 ("y_true", "y_prob")),
    "binary_cross_entropy_with_logits": Spec(
        lb.binary_cross_entropy_with_logits, _bce_logits, _bce_logits_ref,
        ("y_true", "logits")),
    "cross_entropy": Spec(lb.cross_entropy, _cross_entropy,
                          _cross_entropy_ref, ("y_true", "logits"),
                          labels_first=True),
    "categorical_cross_entropy": Spec(
        lb.categorical_cross_entropy, _categorical, _bce_ref,
        ("y_true", "y_prob")),
    "sparse_categorical_cross_entropy": Spec(
        lb.sparse_categorical_cross_entropy, _sparse, None,
        ("y_true", "y_prob"), labels_first=True),
    "sigmoid_focal_loss": Spec(lb.sigmoid_focal_loss, _sigmoid_focal,
                               _bce_logits_ref, ("y_true", "logits")),
    "softmax_focal_loss": Spec(lb.softmax_focal_loss, _softmax_focal,
                               _focal_ref, ("y_true", "logits"),
                               labels_first=True),
    "dice_loss": Spec(lb.dice_loss, _masks, None, ("y_true", "y_prob"),
                      bounded=1.0),
    "soft_iou_loss": Spec(lb.soft_iou_loss, _masks, None,
                          ("y_true", "y_prob"), bounded=1.0),
    "cross_entropy_iou_loss_2d": Spec(
        lb.cross_entropy_iou_loss_2d, _ce_iou, _ce_iou_ref,
        ("y_true", "logits"), labels_first=True),
    "sequence_cross_entropy": Spec(lb.sequence_cross_entropy, _sequence,
                                   _sequence_ref, ("y_true", "logits"),
                                   labels_first=True),
}


def _expected_dtype(spec: Spec, dtype: str, args) -> type:
    floats = [a for a in args if np.asarray(a).dtype.kind == "f"]
    if spec.labels_first:
        floats = floats[1:] if np.asarray(args[0]).dtype.kind == "f" and \
            len(floats) > 1 else [args[1]]
    if all(np.asarray(a).dtype.itemsize == 4 for a in floats) and floats:
        return np.float32
    return np.float64


def _snapshot(obj):
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    return obj


def _assert_same(before, after):
    if isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
    elif isinstance(before, dict):
        for k in before:
            _assert_same(before[k], after[k])


# ---------------------------------------------------------------------------
# valid inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_valid_inputs_keep_the_contract(name):
    spec = SPECS[name]

    @settings(max_examples=VALID_EXAMPLES, **SETTINGS)
    @given(data=st.data(), dtype=st.sampled_from(DTYPES),
           layout=st.sampled_from(LAYOUTS),
           reduction=st.sampled_from(["mean", "sum", "none"]))
    def check(data, dtype, layout, reduction):
        args, kwargs = spec.draw(data.draw, dtype)
        if spec.labels_first:
            args = [args[0], _layout(args[1], layout)]
        else:
            args = [_layout(a, layout) for a in args]
        before = [_snapshot(a) for a in args], _snapshot(kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = np.asarray(spec.fn(*args, **kwargs, reduction=reduction))
            grad = None
            if name != "pinball_loss":
                grad = lb.gradient(spec.fn, *args, **kwargs,
                                   reduction=reduction)
        _assert_same(before[0], args)
        _assert_same(before[1], kwargs)
        want = _expected_dtype(spec, dtype, args)
        assert out.dtype == want, (out.dtype, want)
        assert not np.isnan(out).any()
        if grad is not None:
            assert grad.shape == np.shape(args[1])
            assert not np.isnan(grad).any()
        if spec.bounded is not None and reduction != "sum":
            assert (np.abs(out) <= spec.bounded * (1 + 1e-6)).all()
        if spec.ref is not None and reduction == "mean" and _WIDE:
            with np.errstate(all="ignore"):
                ref = spec.ref(args, kwargs)
            if ref is not None and np.isfinite(ref) and \
                    abs(float(ref)) < _SAFE[want]:
                assert np.isfinite(out), (float(ref), out)

    check()


def test_activations_over_the_range():
    @settings(max_examples=VALID_EXAMPLES, **SETTINGS)
    @given(data=st.data(), dtype=st.sampled_from(DTYPES),
           layout=st.sampled_from(LAYOUTS))
    def check(data, dtype, layout):
        z = _layout(_reals(data.draw, dtype, _shape(data.draw)), layout)
        before = z.copy()
        want = _result_dtype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            outs = {f: f(z) for f in (lb.sigmoid, lb.log_sigmoid)}
            outs |= {f: f(z, axis=-1) for f in (lb.softmax, lb.log_softmax)}
        np.testing.assert_array_equal(z, before)
        for f, out in outs.items():
            assert out.dtype == want, f.__name__
            assert not np.isnan(out).any(), f.__name__
        assert np.isfinite(outs[lb.sigmoid]).all()
        assert np.isfinite(outs[lb.softmax]).all()
        p = outs[lb.softmax].astype(np.float64).sum(axis=-1)
        np.testing.assert_allclose(p, 1, rtol=1e-5)

    check()


def test_average_loss_and_running_mean_over_the_range():
    @settings(max_examples=VALID_EXAMPLES, **SETTINGS)
    @given(data=st.data(), dtype=st.sampled_from(DTYPES))
    def check(data, dtype):
        n = data.draw(st.integers(1, 6))
        values = _reals(data.draw, dtype, (n,))
        weights = _reals(data.draw, "float64", (n,), lo=0,
                         hi=np.finfo(np.float64).max)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            total = lb.average_loss(list(values), list(weights))
            plain = lb.average_loss(values)
            meter = lb.RunningMean()
            for v in values:
                meter.update(v, n=data.draw(st.integers(1, 10**6)))
        assert plain.dtype == _result_dtype(dtype)
        for got, ref in ((total, (_ld(values) * _ld(weights)).sum()),
                         (plain, _ld(values).sum())):
            assert not np.isnan(got)
            if _WIDE and abs(float(ref)) < _SAFE[got.dtype.type]:
                assert np.isfinite(got)
        assert np.isfinite(meter.value)
        lo, hi = float(values.min()), float(values.max())
        # a mean lies between the smallest and the largest value
        assert lo - abs(lo) * 1e-12 <= meter.value <= hi + abs(hi) * 1e-12

    check()


def test_ctc_loss_over_the_range():
    @settings(max_examples=VALID_EXAMPLES // 2, **SETTINGS)
    @given(data=st.data(), dtype=st.sampled_from(["float32", "float64",
                                                  ">f8"]))
    def check(data, dtype):
        T, N, C = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 2)),
                   data.draw(st.integers(2, 3)))
        lo = -1e300 if _float_bits(dtype) == 64 else float(np.float32(-1e30))
        lp = _reals(data.draw, dtype, (T, N, C), lo=lo, hi=0)
        S = data.draw(st.integers(0, 2))
        targets = np.array(data.draw(st.lists(
            st.integers(1, C - 1), min_size=N * S, max_size=N * S)),
            dtype=np.int64).reshape(N, S)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = lb.ctc_loss(lp, targets, [T] * N, [S] * N,
                               reduction="none")
            grad = lb.ctc_gradient(lp, targets, [T] * N, [S] * N,
                                   reduction="sum", zero_infinity=True)
        assert loss.dtype == _result_dtype(dtype)
        assert not np.isnan(loss).any() and (loss >= 0).all()
        assert not np.isnan(grad).any()
        # occupancies of a possible sample sum to 1 at every frame
        possible = np.isfinite(loss)
        np.testing.assert_allclose(
            -grad.astype(np.float64).sum(axis=2)[:, possible], 1, rtol=1e-4)

    check()


# ---------------------------------------------------------------------------
# invalid inputs: ValueError or TypeError naming the argument
# ---------------------------------------------------------------------------

BREAKS = ["nan", "inf", "shape", "string", "reduction", "datetime"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_invalid_inputs_name_the_argument(name):
    spec = SPECS[name]

    @settings(max_examples=INVALID_EXAMPLES, **SETTINGS)
    @given(data=st.data(), how=st.sampled_from(BREAKS),
           which=st.sampled_from([0, 1]))
    def check(data, how, which):
        args, kwargs = spec.draw(data.draw, "float64")
        args = [np.array(a, dtype=np.float64) for a in args]
        if spec.labels_first and how in ("nan", "inf", "datetime"):
            which = 1
        arg = spec.names[which]
        kwargs = dict(kwargs, reduction="mean")
        if how == "nan":
            args[which].flat[0] = np.nan
        elif how == "inf":
            args[which].flat[-1] = -np.inf
        elif how == "shape":
            args[0] = np.concatenate([args[0].ravel(), args[0].ravel()])
            arg = spec.names[0]
        elif how == "string":
            args[which] = "0.5"
        elif how == "datetime":
            with np.errstate(invalid="ignore"):  # huge values as seconds
                args[which] = args[which].astype("M8[s]")
        else:
            kwargs["reduction"] = "average"
            arg = "reduction"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning before the error
            with pytest.raises((ValueError, TypeError)) as info:
                spec.fn(*args, **kwargs)
        assert arg in str(info.value), (how, str(info.value))
        if how in ("string", "datetime"):
            assert info.type is TypeError

    check()
