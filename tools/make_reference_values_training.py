"""Record Keras, PyTorch and torchvision facts used by the training chapters.

The chapters on averaging (``average_loss``), sequence losses, choosing a
loss and writing your own loss state how Keras 3 reduces weighted losses,
how ``fit`` and ``gradient_accumulation_steps`` weight batches, what
torchvision's detection reference logs, what DDP averages, how
``F.cross_entropy`` reads an ``(N, T, C)`` tensor, what Keras's masked
token losses and CTC divide by, and what ``gradcheck`` says at a kink.
This script measures each of those in the real libraries and writes
``tests/data/reference_values_training.json``:

* ``cases``: lossbook calls that must reproduce a recorded value (read by
  ``tests/test_reference_values.py``);
* ``measurements`` in the header: the raw numbers behind each claim
  (read by ``tests/test_chapter_claims_training.py``).

Run it by hand in a throwaway environment, never from the test suite::

    KERAS_BACKEND=torch PYTHONPATH=. /tmp/torchenv/bin/python \\
        tools/make_reference_values_training.py \\
        --vision-references PATH/TO/vision/references/detection

``--vision-references`` is a directory holding pytorch/vision's
``references/detection/utils.py`` (it is not part of the torchvision
wheel); without it the torchvision logging measurements are skipped.
Keras runs with ``floatx`` float64 so that recorded values compare with
lossbook to rounding error; the behaviour measured does not depend on it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
import torchvision
from torch.autograd import gradcheck, gradgradcheck

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference_values import CASES, add, plain, t, write_cases

SEED = 20261202
OUT = (Path(__file__).resolve().parent.parent
       / "tests" / "data" / "reference_values_training.json")
MEASURED: dict[str, Any] = {}


# ---------------------------------------------------------------------------
# Keras: reductions, fit's epoch loss, gradient accumulation
# ---------------------------------------------------------------------------


def _linear_model(weight: float) -> keras.Model:
    """y = w x, one weight, no bias: every gradient is checkable by hand."""
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(1, use_bias=False,
                           kernel_initializer=keras.initializers.Constant(
                               weight)),
    ])
    return model


def keras_reductions() -> None:
    y_true = np.zeros((4, 1))
    y_pred = np.array([[1.0], [2.0], [3.0], [4.0]])  # squared errors 1..16
    mask = np.array([1.0, 1.0, 0.0, 0.0])
    per_sample = keras.losses.MeanSquaredError(reduction=None)(y_true, y_pred)
    per_sample = np.asarray(per_sample)
    out = {}
    for red in ("sum_over_batch_size", "mean_with_sample_weight"):
        value = float(keras.losses.MeanSquaredError(reduction=red)(
            y_true, y_pred, sample_weight=mask))
        out[red] = value
        add("lossbook.frameworks.keras_reduce", [per_sample],
            {"sample_weight": mask, "reduction": red}, value,
            f"keras.losses.MeanSquaredError(reduction={red!r})(y_true, "
            "y_pred, sample_weight=mask), per-sample losses 1, 4, 9, 16, "
            "mask 1, 1, 0, 0", tolerance="emulation")
    MEASURED["keras_sample_weight_mask"] = {
        "per_sample": per_sample, "mask": mask, **out}


def keras_fit_epoch_loss() -> None:
    # lr = 0: the model never changes, so every batch loss is known
    x = np.array([[1.0], [1.0], [1.0], [2.0], [3.0]])
    y = np.zeros((5, 1))
    model = _linear_model(1.0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0),
                  loss="mse")
    history = model.fit(x, y, batch_size=2, epochs=1, shuffle=False,
                        verbose=0)
    per_sample = (x[:, 0] * 1.0) ** 2
    MEASURED["keras_fit_epoch_loss"] = {
        "per_sample": per_sample, "batch_size": 2,
        "history_loss": float(history.history["loss"][0]),
    }


def keras_gradient_accumulation() -> None:
    # micro-batches [1, 1, 1] and [2] of x; loss (w x)^2, w = 1: the
    # micro-batch mean gradients are 2 and 8
    x = np.array([[1.0], [1.0], [1.0], [2.0]])
    y = np.zeros((4, 1))
    model = _linear_model(1.0)
    model.compile(optimizer=keras.optimizers.SGD(
        learning_rate=1.0, gradient_accumulation_steps=2), loss="mse")
    model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    MEASURED["keras_gradient_accumulation"] = {
        "x": x[:, 0], "batch_size": 3, "steps": 2, "learning_rate": 1.0,
        "w_before": 1.0,
        "w_after": float(np.asarray(model.layers[0].kernel)[0, 0]),
    }


# ---------------------------------------------------------------------------
# torchvision's detection reference: what its log shows
# ---------------------------------------------------------------------------


def torchvision_logger(references: Path | None) -> None:
    if references is None:
        return
    sys.path.insert(0, str(references))
    import utils  # pytorch/vision references/detection/utils.py

    rng = np.random.default_rng(SEED)
    batch_means = np.round(rng.uniform(0.2, 2.0, size=25), 6)
    logger = utils.MetricLogger(delimiter="  ")
    for value in batch_means:
        logger.update(loss=torch.tensor(float(value)))
    MEASURED["torchvision_metric_logger"] = {
        "batch_means": batch_means,
        "median": logger.loss.median,
        "global_avg": logger.loss.global_avg,
        "printed": str(logger),
        "window_size": logger.loss.deque.maxlen,
    }


# ---------------------------------------------------------------------------
# DDP: the gradient is the mean of the ranks' gradients
# ---------------------------------------------------------------------------

#: per-rank inputs: three samples on rank 0, one on rank 1
_RANK_X = ([1.0, 1.0, 1.0], [2.0])


def _ddp_worker(rank: int, world: int, init: str, out: str,
                references: str) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank,
                            world_size=world)
    torch.manual_seed(0)
    x = torch.tensor(_RANK_X[rank], dtype=torch.float64)[:, None]
    results = {}
    for rule in ("rank mean", "detr num_boxes"):
        model = torch.nn.Linear(1, 1, bias=False).double()
        with torch.no_grad():
            model.weight.fill_(1.0)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        per_sample = ddp(x)[:, 0] ** 2
        if rule == "rank mean":
            loss = per_sample.mean()
        else:  # models/detr.py: all-reduce the count, divide by the world
            num_boxes = torch.tensor([float(x.shape[0])])
            dist.all_reduce(num_boxes)
            num_boxes = torch.clamp(num_boxes / world, min=1).item()
            loss = per_sample.sum() / num_boxes
        loss.backward()
        results[rule] = float(model.weight.grad[0, 0])
    # torchvision's reduce_dict: the logged loss averages the rank losses
    if references:
        sys.path.insert(0, references)
        import utils

        rank_mean = (x[:, 0] ** 2).mean()
        reduced = utils.reduce_dict({"loss": rank_mean.detach()})
        results["reduce_dict loss"] = float(reduced["loss"])
    if rank == 0:
        torch.save(results, out)
    dist.destroy_process_group()


def ddp_gradients(references: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        init = "file://" + str(Path(tmp) / "rendezvous")
        out = str(Path(tmp) / "ddp.pt")
        mp.spawn(_ddp_worker, args=(2, init, out,
                                    str(references) if references else ""),
                 nprocs=2, join=True)
        results = torch.load(out)
    MEASURED["ddp"] = {"rank_x": [list(v) for v in _RANK_X], **results}


# ---------------------------------------------------------------------------
# sequence losses: F.cross_entropy layout, Keras token masks, Keras CTC
# ---------------------------------------------------------------------------


def sequence_layout(rng: np.random.Generator) -> None:
    n, steps, classes = 2, 3, 5
    logits = rng.normal(size=(n, steps, classes)) * 2
    labels = rng.integers(0, classes, size=(n, steps))
    labels[1, 2] = -100
    try:
        F.cross_entropy(t(logits), t(labels))
        message = None
    except (RuntimeError, ValueError) as err:
        message = str(err).splitlines()[0]
    right = F.cross_entropy(t(logits).transpose(1, 2), t(labels))
    add("lossbook.classification.cross_entropy", [labels, logits],
        {"ignore_index": -100}, right,
        "torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels) "
        "for (N, T, C) logits, -100 labels", tolerance="logits")
    # T == C: the untransposed call runs and reads T as the class axis
    square = rng.normal(size=(2, 4, 4)) * 2
    sq_labels = rng.integers(0, 4, size=(2, 4))
    sq_labels[0, 3] = -100
    silent = F.cross_entropy(t(square), t(sq_labels))
    fixed = F.cross_entropy(t(square).transpose(1, 2), t(sq_labels))
    add("lossbook.classification.cross_entropy", [sq_labels, square],
        {"ignore_index": -100}, fixed,
        "torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels) "
        "for (N, T, C) logits with T == C", tolerance="logits")
    add("lossbook.classification.cross_entropy", [sq_labels, square],
        {"ignore_index": -100}, silent,
        "torch.nn.functional.cross_entropy(logits, labels) for (N, T, C) "
        "logits with T == C: runs, with the class axis read as T",
        tolerance="logits", expect="differs")
    add("lossbook.classification.cross_entropy", [sq_labels, square],
        {"axis": 1, "ignore_index": -100}, silent,
        "torch.nn.functional.cross_entropy(logits, labels) for (N, T, C) "
        "logits with T == C is lossbook's axis=1: the time axis as classes",
        tolerance="logits")
    MEASURED["torch_ntc_layout"] = {
        "error_when_t_differs_from_c": message,
        "square_untransposed": float(silent),
        "square_transposed": float(fixed),
    }


def keras_token_losses(rng: np.random.Generator) -> None:
    n, steps, classes = 3, 5, 6
    logits = rng.normal(size=(n, steps, classes)) * 2
    tokens = rng.integers(1, classes, size=(n, steps))
    lengths = np.array([5, 3, 1])
    mask = (np.arange(steps)[None, :] < lengths[:, None]).astype(float)
    padded = np.where(mask > 0, tokens, -1)
    ignore = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1)
    value_ignore = float(ignore(padded, logits))
    per_token = np.asarray(keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction=None)(tokens, logits))
    plain_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    value_weight = float(plain_loss(tokens, logits, sample_weight=mask))
    # Keras rescales a mask by a float32 ratio (count / kept), so these
    # values carry float32 rounding: the claims test compares them loosely
    MEASURED["keras_token_mask"] = {
        "tokens": tokens, "logits": logits, "per_token": per_token,
        "mask": mask, "ignore_class": value_ignore,
        "sample_weight_mask": value_weight,
        "mean_with_sample_weight": float(
            keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction="mean_with_sample_weight")(
                    tokens, logits, sample_weight=mask)),
    }


def keras_ctc_frames(rng: np.random.Generator) -> None:
    n, frames, classes = 2, 6, 4
    logits = rng.normal(size=(n, frames, classes)) * 2
    y_true = np.array([[1, 2, 0], [3, 0, 0]])  # 0 is Keras's blank and pad
    per_sample = np.asarray(keras.losses.ctc(y_true, logits))
    # Keras's torch backend computes CTC in float32: compared loosely
    # PyTorch's CTC backward on log-probabilities not made by log_softmax
    lp = t(rng.normal(size=(frames, n, classes)), grad=True)
    ctc_args = (t(np.array([[1, 2], [3, 3]])), t(np.array([frames, frames])),
                t(np.array([2, 1])))
    MEASURED["torch_ctc_gradcheck_log_probs"] = _check(
        lambda x: F.ctc_loss(x, *ctc_args, reduction="sum"), lp)
    MEASURED["keras_ctc"] = {"logits": logits, "y_true": y_true,
                             "frames": frames, "per_sample": per_sample}


# ---------------------------------------------------------------------------
# custom losses: gradcheck at the kink, autograd.Function, custom_gradient
# ---------------------------------------------------------------------------

Q = 0.9


def pinball_maximum(pred, target, q=Q):
    u = target - pred
    return torch.maximum(q * u, (q - 1.0) * u).sum()


def pinball_where(pred, target, q=Q):
    u = target - pred
    return torch.where(u >= 0, q * u, (q - 1.0) * u).sum()


class PinballLossFunction(torch.autograd.Function):
    """Pinball loss, summed, with the closed-form (sub)gradient of lossbook."""

    @staticmethod
    def forward(ctx, pred, target, q):
        u = target - pred
        ctx.save_for_backward(u)
        ctx.q = q
        return torch.maximum(q * u, (q - 1.0) * u).sum()

    @staticmethod
    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        q = ctx.q
        slope = torch.where(u > 0, -q, torch.where(u < 0, 1.0 - q, 0.5 - q))
        return grad_output * slope, None, None


def _check(fn, *inputs, grad_grad: bool = False) -> bool:
    checker = gradgradcheck if grad_grad else gradcheck
    try:
        return bool(checker(fn, inputs, raise_exception=False))
    except RuntimeError:
        return False


def custom_gradients(rng: np.random.Generator) -> None:
    target = t(rng.normal(size=8))
    pred = t(rng.normal(size=8), grad=True)
    at_kink = target.detach().clone().requires_grad_(True)
    res: dict[str, Any] = {}
    def function(p, y):
        return PinballLossFunction.apply(p, y, Q)

    for name, fn in (("maximum", pinball_maximum), ("where", pinball_where),
                     ("function", function)):
        res[f"gradcheck_{name}_random"] = _check(
            lambda p, fn=fn: fn(p, target), pred)
        res[f"gradcheck_{name}_kink"] = _check(
            lambda p, fn=fn: fn(p, target), at_kink)
        p = at_kink.detach().clone().requires_grad_(True)
        fn(p, target).backward()
        res[f"grad_{name}_kink"] = float(p.grad[0])
    res["gradgradcheck_function_random"] = _check(
        lambda p: function(p, target), pred, grad_grad=True)
    p = pred.detach().clone().requires_grad_(True)
    PinballLossFunction.apply(p, target, Q).backward()
    y_np, p_np = target.numpy(), pred.detach().numpy()
    add("lossbook.custom.pinball_loss_gradient", [y_np, p_np],
        {"quantile": Q, "reduction": "sum"}, p.grad,
        "torch.autograd.Function with the closed-form backward, "
        f"quantile={Q}, summed")
    y_kink = target.numpy()
    add("lossbook.custom.pinball_loss_gradient", [y_kink, y_kink],
        {"quantile": Q, "reduction": "sum"},
        np.full(8, res["grad_maximum_kink"]),
        "autograd of torch.maximum(q * u, (q - 1) * u).sum() at u = 0: "
        "the even split 0.5 - q")
    res["keras_custom_gradient"] = keras_custom_gradient(y_np, p_np)
    add("lossbook.custom.pinball_loss_gradient", [y_np, p_np],
        {"quantile": Q, "reduction": "sum"},
        res["keras_custom_gradient"]["grad"],
        "keras.ops.custom_gradient pinball loss (torch backend), gradient "
        "of the sum by torch autograd")
    MEASURED["custom_gradients"] = res


def pinball_sum(quantile):
    """The chapter's ``keras.ops.custom_gradient`` version, as printed."""
    from keras import ops

    @ops.custom_gradient
    def loss(y_pred, y_true):
        u = y_true - y_pred
        value = ops.sum(ops.maximum(quantile * u, (quantile - 1.0) * u))

        def grad(*args, upstream=None):
            if upstream is None:  # the TensorFlow backend passes it first
                (upstream,) = args
            slope = ops.where(u > 0, -quantile,
                              ops.where(u < 0, 1.0 - quantile, 0.5 - quantile))
            return upstream * slope, ops.zeros_like(y_true)

        return value, grad

    return loss


def keras_custom_gradient(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    pt = t(p, grad=True)
    out = pinball_sum(Q)(pt, t(y))
    out.backward()
    return {"value": out.item(), "grad": pt.grad.numpy()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--vision-references", type=Path, default=None)
    args = parser.parse_args()
    keras.config.set_floatx("float64")
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    keras_reductions()
    keras_fit_epoch_loss()
    keras_gradient_accumulation()
    torchvision_logger(args.vision_references)
    ddp_gradients(args.vision_references)
    sequence_layout(rng)
    keras_token_losses(rng)
    keras_ctc_frames(rng)
    custom_gradients(rng)
    header = {
        "generated_by": "tools/make_reference_values_training.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "keras_floatx": keras.config.floatx(),
        "numpy": np.__version__,
        "seed": SEED,
        "measurements": plain(MEASURED),
    }
    write_cases(args.out, header, CASES)


if __name__ == "__main__":
    main()
