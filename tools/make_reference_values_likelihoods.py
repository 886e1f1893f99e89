"""Record PyTorch's and Keras's likelihood losses for the tests.

Run by hand, never by the test suite, in the throwaway environment that
has PyTorch and Keras (Keras on its PyTorch backend):

    KERAS_BACKEND=torch PYTHONPATH=tools /tmp/torchenv/bin/python \\
        tools/make_reference_values_likelihoods.py

It writes ``tests/data/reference_values_likelihoods.json`` in the format of
``tools/make_reference_values.py`` (whose helpers it imports): every case
names the lossbook function and its arguments in lossbook's order, the
framework call that produced the value, and whether lossbook should match
it or differ from it (where the framework clips, clamps or adds an eps,
or where a call is one of the mistakes the chapters show). Cases whose id
contains ``trap`` are the numbers the chapters quote; the tests look them
up by id.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras
import numpy as np
import torch
import torch.nn.functional as F
from make_reference_values import (
    CASES,
    add,
    grad_of,
    t,
    write_cases,
)

SEED = 20251202
DEFAULT_OUT = (Path(__file__).resolve().parent.parent / "tests" / "data"
               / "reference_values_likelihoods.json")
M = "lossbook.likelihoods."


def named(case_id: str) -> None:
    """Give the case just added a fixed id the tests can look up."""
    CASES[-1]["id"] = case_id


def keras_value(loss, y, p) -> float:
    """Mean over samples of a Keras loss function's per-sample values.

    This is what the loss classes' default ``"sum_over_batch_size"``
    gives; the classes themselves return float32 on the torch backend
    even for float64 input (their reduction goes through Keras's
    ``result_type``, which gives float32 for two float64s there), so the
    functions are called and averaged here.
    """
    out = loss(np.asarray(y), np.asarray(p))
    assert out.dtype == torch.float64, (loss.__name__, out.dtype)
    return float(out.detach().numpy().mean())


#: Keras values computed in float32 whatever the input (see keras_float32)
FLOAT32_CASES: list[dict] = []


def keras_float32(case_id: str, y, p, reference: str) -> None:
    """Record a Keras MSLE, MAPE or Poisson value: float32 on torch.

    On the torch backend ``keras.src.backend.common.dtypes.result_type``
    gives float32 for two float64 tensors (measured here), so
    ``ops.maximum`` and ``ops.add`` cast float64 input to float32:
    ``mean_squared_logarithmic_error`` clips its inputs with ``maximum``,
    ``mean_absolute_percentage_error`` its divisor ``|y|``, and
    ``poisson`` forms ``y_pred + 1e-7`` with ``add``. These cases are
    compared at float32 precision by tests/test_likelihoods.py, not by
    test_reference_values. The id's prefix names the lossbook function.
    """
    name = case_id.split("-")[0]
    fn = {"msle": keras.losses.mean_squared_logarithmic_error,
          "mape": keras.losses.mean_absolute_percentage_error,
          "poisson_nll_loss": keras.losses.poisson}[name]
    kwargs = {"log_input": False} if name == "poisson_nll_loss" else {}
    out = fn(np.asarray(y), np.asarray(p))
    FLOAT32_CASES.append({
        "id": case_id, "function": M + name, "kwargs": kwargs,
        "args": [np.asarray(y).tolist(), np.asarray(p).tolist()],
        "dtype": str(out.dtype).removeprefix("torch."),
        "expected": float(out.detach().numpy().astype(np.float64).mean()),
        "reference": reference,
    })


# ---------------------------------------------------------------------------
# nll_loss
# ---------------------------------------------------------------------------


def nll(rng: np.random.Generator) -> None:
    z = rng.normal(size=(6, 4)) * 3
    lp = F.log_softmax(t(z), dim=1).detach().numpy()
    labels = rng.integers(0, 4, size=6)
    labels[2] = 3
    w = rng.uniform(0.2, 2.0, size=4)
    for red in ("none", "mean", "sum"):
        add(M + "nll_loss", [labels, lp], {"reduction": red},
            F.nll_loss(t(lp), t(labels), reduction=red),
            f"torch.nn.functional.nll_loss(log_probs, y_true, "
            f"reduction={red!r})")
        add(M + "nll_loss", [labels, lp], {"weight": w, "reduction": red},
            F.nll_loss(t(lp), t(labels), weight=t(w), reduction=red),
            f"F.nll_loss(..., weight=w, reduction={red!r}): weighted mean")
    add(M + "nll_loss", [labels, lp],
        {"weight": w, "ignore_index": 3, "reduction": "mean"},
        F.nll_loss(t(lp), t(labels), weight=t(w), ignore_index=3),
        "F.nll_loss(..., weight=w, ignore_index=3)")
    lp3 = F.log_softmax(t(rng.normal(size=(2, 4, 3))), dim=1)
    lab3 = rng.integers(0, 4, size=(2, 3))
    add(M + "nll_loss", [lab3, lp3], {"axis": 1, "reduction": "none"},
        F.nll_loss(lp3, t(lab3), reduction="none"),
        "F.nll_loss on (N, C, d) log-probabilities; lossbook axis=1")
    add(M + "nll_loss", [labels, lp], {"weight": w},
        grad_of(lambda x: F.nll_loss(x, t(labels), weight=t(w)), lp),
        "autograd of F.nll_loss(log_probs, y, weight=w) in log_probs",
        kind="gradient")
    # log_softmax twice changes nothing: log_softmax is idempotent
    twice = F.nll_loss(F.log_softmax(t(lp), dim=1), t(labels))
    add(M + "nll_loss", [labels, lp], {}, twice,
        "F.nll_loss(F.log_softmax(log_softmax(z))): the same as once")
    named("nll_loss-trap-double-log-softmax")
    # probabilities passed where log-probabilities belong: PyTorch returns
    # minus the probability, a negative "loss"; lossbook refuses them, so
    # the case compares with cross_entropy on the logits
    probs = np.exp(lp)
    add("lossbook.classification.cross_entropy", [labels, z], {},
        F.nll_loss(t(probs), t(labels)),
        "F.nll_loss(softmax(z), y): probabilities instead of log-probs",
        expect="differs")
    named("nll_loss-trap-probabilities")
    add("lossbook.classification.cross_entropy", [labels, z], {},
        F.cross_entropy(t(probs), t(labels)),
        "F.cross_entropy(softmax(z), y): the softmax applied twice",
        expect="differs")
    named("nll_loss-trap-double-softmax")


# ---------------------------------------------------------------------------
# kl_divergence and distillation
# ---------------------------------------------------------------------------


def kl(rng: np.random.Generator) -> None:
    y = rng.dirichlet([1.0] * 5, size=4)
    p = rng.dirichlet([1.0] * 5, size=4)
    lp, ly = np.log(p), np.log(y)
    add(M + "kl_divergence", [y, p], {"reduction": "none"},
        F.kl_div(t(lp), t(y), reduction="none").sum(dim=1),
        "F.kl_div(log y_prob, y_true, reduction='none').sum(dim=1)")
    add(M + "kl_divergence", [y, p], {},
        F.kl_div(t(lp), t(y), reduction="batchmean"),
        "F.kl_div(log y_prob, y_true, reduction='batchmean')")
    add(M + "kl_divergence", [y, p], {"reduction": "sum"},
        F.kl_div(t(lp), t(y), reduction="sum"),
        "F.kl_div(log y_prob, y_true, reduction='sum')")
    add(M + "kl_divergence", [y, p], {},
        F.kl_div(t(lp), t(ly), reduction="batchmean", log_target=True),
        "F.kl_div(log y_prob, log y_true, 'batchmean', log_target=True)")
    add(M + "kl_divergence", [y.T, p.T], {"axis": 0},
        F.kl_div(t(lp), t(y), reduction="batchmean"),
        "F.kl_div(..., 'batchmean'); lossbook with the classes on axis 0")
    add(M + "kl_divergence", [y, p], {},
        grad_of(lambda x: F.kl_div(torch.log(x), t(y),
                                   reduction="batchmean"), p),
        "autograd of F.kl_div(log y_prob, y_true, 'batchmean') in y_prob",
        kind="gradient")
    add(M + "kl_divergence", [y, p], {},
        keras_value(keras.losses.kl_divergence, y, p),
        "keras.losses.kl_divergence(y_true, y_prob), mean over samples")
    # a zero target class: Keras clips it to 1e-7 and adds a term
    y0 = np.array([[0.0, 0.5, 0.5]])
    p0 = np.array([[0.02, 0.49, 0.49]])
    add(M + "kl_divergence", [y0, p0], {},
        keras_value(keras.losses.kl_divergence, y0, p0),
        "keras kl_divergence clips y_true to [1e-7, 1]: a term for y = 0",
        expect="differs")
    # a zero predicted probability: infinite, Keras finite
    y1, p1 = np.array([[0.3, 0.7]]), np.array([[0.0, 1.0]])
    add(M + "kl_divergence", [y1, p1], {},
        keras_value(keras.losses.kl_divergence, y1, p1),
        "keras kl_divergence clips y_prob to 1e-7: finite where KL is inf",
        expect="differs")
    named("kl_divergence-keras-clip-inf")

    # the traps of F.kl_div on one example
    ya, pa = np.array([[0.7, 0.2, 0.1]]), np.array([[0.2, 0.5, 0.3]])
    right = F.kl_div(t(np.log(pa)), t(ya), reduction="batchmean")
    add(M + "kl_divergence", [ya, pa], {}, right,
        "F.kl_div(log p, y, 'batchmean') = KL(y || p)")
    named("kl_divergence-trap-order-right")
    swapped = F.kl_div(t(np.log(ya)), t(pa), reduction="batchmean")
    add(M + "kl_divergence", [ya, pa], {}, swapped,
        "F.kl_div(log y, p, 'batchmean'): arguments swapped, KL(p || y)",
        expect="differs")
    named("kl_divergence-trap-order-swapped")
    as_probs = F.kl_div(t(pa), t(ya), reduction="batchmean")
    add(M + "kl_divergence", [ya, pa], {}, as_probs,
        "F.kl_div(p, y, 'batchmean'): probabilities instead of log p",
        expect="differs")
    named("kl_divergence-trap-probabilities")
    add(M + "kl_divergence", [ya, pa], {},
        F.kl_div(t(np.log(pa)), t(ya), reduction="mean"),
        "F.kl_div(log p, y) with the default reduction='mean': / (N * C)",
        expect="differs")
    named("kl_divergence-trap-mean")
    add(M + "kl_divergence", [ya, pa], {},
        F.kl_div(t(np.log(pa)), t(ya), reduction="batchmean"),
        "F.kl_div(log p, y, reduction='batchmean'): the KL")
    named("kl_divergence-trap-batchmean")
    add(M + "kl_divergence", [ya, pa], {},
        F.kl_div(t(np.log(pa)), t(np.log(ya)), reduction="batchmean"),
        "F.kl_div(log p, log y, 'batchmean') without log_target=True",
        expect="differs")
    named("kl_divergence-trap-log-target")


def distillation(rng: np.random.Generator) -> None:
    teacher = rng.normal(size=(5, 6)) * 4
    student = rng.normal(size=(5, 6)) * 2
    for temp in (1.0, 2.0, 4.0, 8.0, 16.0):
        def loss(s, temp=temp):
            return temp**2 * F.kl_div(
                F.log_softmax(s / temp, dim=1),
                F.log_softmax(t(teacher) / temp, dim=1),
                reduction="batchmean", log_target=True)

        ref = (f"T**2 * F.kl_div(F.log_softmax(s / T, 1), F.log_softmax("
               f"t / T, 1), 'batchmean', log_target=True), T={temp:g}")
        add(M + "distillation_loss", [teacher, student],
            {"temperature": temp}, loss(t(student)), ref)
        add(M + "distillation_loss", [teacher, student],
            {"temperature": temp}, grad_of(loss, student),
            "autograd in s of " + ref, kind="gradient")


# ---------------------------------------------------------------------------
# Gaussian and Poisson likelihoods
# ---------------------------------------------------------------------------


def gaussian(rng: np.random.Generator) -> None:
    y = rng.normal(size=(4, 3))
    mu = y + rng.normal(size=(4, 3))
    shapes = {"full": (4, 3), "one short": (4,), "one per row": (4, 1),
              "one per column": (1, 3)}
    for label, shape in shapes.items():
        var = rng.uniform(0.2, 3.0, size=shape)
        for full in (False, True):
            for red in ("none", "mean", "sum"):
                add(M + "gaussian_nll_loss", [y, mu],
                    {"var": var, "full": full, "reduction": red},
                    F.gaussian_nll_loss(t(mu), t(y), t(var), full=full,
                                        reduction=red),
                    f"F.gaussian_nll_loss(y_pred, y_true, var ({label}), "
                    f"full={full}, reduction={red!r})")
        add(M + "gaussian_nll_loss", [y, mu], {"var": var},
            grad_of(lambda x, v=var: F.gaussian_nll_loss(x, t(y), t(v)), mu),
            f"autograd of F.gaussian_nll_loss in y_pred, var {label}",
            kind="gradient")
        add(M + "gaussian_nll_loss", [y, mu], {"var": var, "wrt": "var"},
            grad_of(lambda v: F.gaussian_nll_loss(t(mu), t(y), v), var),
            f"autograd of F.gaussian_nll_loss in var ({label})",
            kind="gradient")
    add(M + "gaussian_nll_loss", [y, mu], {"var": 0.7},
        F.gaussian_nll_loss(t(mu), t(y), 0.7),
        "F.gaussian_nll_loss(y_pred, y_true, 0.7): a float var")
    # below eps = 1e-6 PyTorch clamps the variance
    tiny = np.full((4, 3), 1e-8)
    add(M + "gaussian_nll_loss", [y, mu], {"var": tiny},
        F.gaussian_nll_loss(t(mu), t(y), t(tiny)),
        "F.gaussian_nll_loss with var = 1e-8: clamped to eps = 1e-6",
        expect="differs")
    add(M + "gaussian_nll_loss", [y, mu], {"var": np.full((4, 3), 1e-6)},
        F.gaussian_nll_loss(t(mu), t(y), t(tiny)),
        "F.gaussian_nll_loss with var = 1e-8 equals lossbook at var = 1e-6")

    # the traps of one example
    y1, mu1 = np.array([0.0, 0.0]), np.array([1.0, 2.0])
    std = np.array([0.5, 2.0])
    add(M + "gaussian_nll_loss", [y1, mu1], {"var": std**2},
        F.gaussian_nll_loss(t(mu1), t(y1), t(std**2)),
        "F.gaussian_nll_loss(y_pred, y, var=std**2): the intended loss")
    named("gaussian_nll_loss-trap-var")
    add(M + "gaussian_nll_loss", [y1, mu1], {"var": std**2},
        F.gaussian_nll_loss(t(mu1), t(y1), t(std)),
        "F.gaussian_nll_loss(y_pred, y, var=std): a std passed as var",
        expect="differs")
    named("gaussian_nll_loss-trap-std")
    add(M + "gaussian_nll_loss", [y1, mu1], {"var": np.full(2, 1e-6)},
        F.gaussian_nll_loss(t(mu1), t(y1), t(np.zeros(2))),
        "F.gaussian_nll_loss with var = 0: clamped to eps = 1e-6, finite")
    named("gaussian_nll_loss-trap-zero-var")
    y2, mu2, v2 = np.array([1.0, 2.0]), np.array([1.05, 1.9]), np.full(2, .1)
    add(M + "gaussian_nll_loss", [y2, mu2], {"var": v2},
        F.gaussian_nll_loss(t(mu2), t(y2), t(v2)),
        "F.gaussian_nll_loss with small errors and var = 0.1: negative")
    named("gaussian_nll_loss-trap-negative")


def poisson(rng: np.random.Generator) -> None:
    y = rng.poisson(4.0, size=(3, 5)).astype(np.float64)
    y[0, :3] = [0.0, 1.0, 2.0]
    log_rate = rng.normal(1.2, 0.8, size=(3, 5))
    rate = np.exp(log_rate)
    for full in (False, True):
        for red in ("none", "mean", "sum"):
            add(M + "poisson_nll_loss", [y, log_rate],
                {"full": full, "reduction": red},
                F.poisson_nll_loss(t(log_rate), t(y), full=full,
                                   reduction=red),
                f"F.poisson_nll_loss(log_rate, y, full={full}, "
                f"reduction={red!r})")
            add(M + "poisson_nll_loss", [y, rate],
                {"log_input": False, "full": full, "reduction": red},
                F.poisson_nll_loss(t(rate), t(y), log_input=False,
                                   full=full, eps=0.0, reduction=red),
                f"F.poisson_nll_loss(rate, y, log_input=False, full={full}, "
                f"eps=0.0, reduction={red!r})")
        add(M + "poisson_nll_loss", [y, log_rate], {"full": full},
            grad_of(lambda x, f=full: F.poisson_nll_loss(x, t(y), full=f),
                    log_rate),
            f"autograd of F.poisson_nll_loss(log_rate, y, full={full})",
            kind="gradient")
    add(M + "poisson_nll_loss", [y, rate], {"log_input": False},
        grad_of(lambda x: F.poisson_nll_loss(x, t(y), log_input=False,
                                             eps=0.0), rate),
        "autograd of F.poisson_nll_loss(rate, y, log_input=False, eps=0)",
        kind="gradient")
    # the default eps = 1e-8 of the rate form, where it matters
    y0, r0 = np.array([3.0, 2.0]), np.array([0.0, 1e-6])
    add(M + "poisson_nll_loss", [y0, r0],
        {"log_input": False, "reduction": "none"},
        F.poisson_nll_loss(t(r0), t(y0), log_input=False, reduction="none"),
        "F.poisson_nll_loss(rate, y, log_input=False): log(rate + 1e-8)",
        expect="differs")
    named("poisson_nll_loss-eps")
    # Keras's poisson is the rate form with eps = 1e-7; at large rates the
    # eps moves the value by y * 1e-7 / rate, far below the tolerance
    yk = rng.poisson(3.0, size=(3, 4)).astype(np.float64)
    rk = rng.uniform(2e4, 5e4, size=(3, 4))
    keras_float32("poisson_nll_loss-keras", yk, rk,
                  "keras.losses.poisson(y, rate) at rates of 2e4 to 5e4")
    keras_float32("poisson_nll_loss-keras-clip", y0[:1], np.array([1e-7]),
                  "keras.losses.poisson at a rate of 1e-7: log(rate + 1e-7)")
    # the same numbers in PyTorch's default log-rate form and Keras's rate
    ys, xs = np.array([[2.0, 0.0, 3.0]]), np.array([[1.5, 0.5, 2.0]])
    add(M + "poisson_nll_loss", [ys, xs], {},
        F.poisson_nll_loss(t(xs), t(ys)),
        "F.poisson_nll_loss(x, y): x read as a log-rate")
    named("poisson_nll_loss-trap-log-input")
    keras_float32("poisson_nll_loss-trap-rate", ys, xs,
                  "keras.losses.poisson(y, x): the same x read as a rate")


# ---------------------------------------------------------------------------
# relative errors (Keras)
# ---------------------------------------------------------------------------


def relative(rng: np.random.Generator) -> None:
    y = rng.uniform(0.5, 50.0, size=(4, 3)) * rng.choice([-1.0, 1.0], (4, 3))
    x = y * (1 + 0.3 * rng.normal(size=(4, 3)))
    keras_float32("mape-keras", y, x,
                  "keras.losses.mean_absolute_percentage_error, mean")
    y0, x0 = np.array([[1e-9, 2.0]]), np.array([[2e-9, 2.5]])
    keras_float32("mape-keras-clip", y0, x0,
                  "keras MAPE divides by max(|y|, 1e-7): a target of 1e-9")
    ya = np.abs(y)
    xa = ya * np.exp(0.4 * rng.normal(size=(4, 3)))
    keras_float32("msle-keras", ya, xa,
                  "keras.losses.mean_squared_logarithmic_error, mean")
    y1, x1 = np.array([[1e-8, 3.0]]), np.array([[0.0, 3.0]])
    keras_float32("msle-keras-clip", y1, x1,
                  "keras MSLE clips both inputs to >= 1e-7: 1e-8 and 0 "
                  "look equal")
    # the asymmetries, on one target of 100
    yt = np.array([[100.0, 100.0]])
    for name, pred in (("under", 50.0), ("over", 150.0)):
        xp = np.full((1, 2), pred)
        keras_float32(f"mape-trap-{name}", yt, xp,
                      f"keras MAPE at y = 100, y_pred = {pred:g}")
        keras_float32(f"msle-trap-{name}", yt, xp,
                      f"keras MSLE at y = 100, y_pred = {pred:g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    torch.set_default_dtype(torch.float64)
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(SEED)
    for section in (nll, kl, distillation, gaussian, poisson, relative):
        section(rng)
    header = {
        "generated_by": "tools/make_reference_values_likelihoods.py",
        "torch": torch.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        "seed": SEED,
        "keras_float32_cases": FLOAT32_CASES,
    }
    write_cases(out, header, CASES)


if __name__ == "__main__":
    main()
