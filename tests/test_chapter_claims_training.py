"""The framework facts the training chapters state, against recorded values.

``tests/data/reference_values_training.json`` is written by
``tools/make_reference_values_training.py`` from Keras 3, PyTorch and
torchvision themselves (its header names the versions). Each test below
states one claim of a chapter and checks it against those measurements,
recomputing the alternative the chapter contrasts it with in NumPy or
lossbook; no framework is imported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb
from lossbook import custom

DATA = (Path(__file__).resolve().parent / "data"
        / "reference_values_training.json")
RECORD = json.loads(DATA.read_text())
M = RECORD["measurements"]
# Keras keeps metrics, mask rescaling and CTC in float32
LOOSE = dict(rtol=1e-6, atol=0.0)


def test_header_names_the_libraries():
    assert RECORD["generated_by"] == "tools/make_reference_values_training.py"
    assert RECORD["keras"].startswith("3.")
    assert RECORD["keras_backend"] == "torch"
    assert RECORD["torch"].startswith("2.")


def test_keras_mask_as_sample_weight_divides_by_every_position():
    m = M["keras_sample_weight_mask"]
    values, mask = np.array(m["per_sample"]), np.array(m["mask"])
    assert m["sum_over_batch_size"] == (values * mask).sum() / values.size
    assert m["mean_with_sample_weight"] == (values * mask).sum() / mask.sum()
    assert m["sum_over_batch_size"] == 1.25
    assert m["mean_with_sample_weight"] == 2.5


def test_keras_fit_weights_batches_by_size():
    m = M["keras_fit_epoch_loss"]
    losses, size = np.array(m["per_sample"]), m["batch_size"]
    starts = np.arange(0, losses.size, size)
    batch_means = np.add.reduceat(losses, starts) / np.diff(
        np.append(starts, losses.size))
    np.testing.assert_allclose(m["history_loss"], losses.mean(), **LOOSE)
    assert not np.isclose(m["history_loss"], batch_means.mean(), rtol=1e-3)


def test_keras_gradient_accumulation_weights_micro_batches_equally():
    m = M["keras_gradient_accumulation"]
    x, size = np.array(m["x"]), m["batch_size"]
    micro = [x[:size], x[size:]]
    # loss (w x)^2 at w = 1: a micro-batch's mean gradient is mean(2 x^2)
    grads = [np.mean(2 * part**2) for part in micro]
    equal = m["w_before"] - m["learning_rate"] * np.mean(grads)
    by_size = m["w_before"] - m["learning_rate"] * np.mean(2 * x**2)
    assert m["w_after"] == pytest.approx(equal, rel=1e-12)
    assert not np.isclose(m["w_after"], by_size)


def test_torchvision_logger_prints_window_median_and_mean_of_batch_means():
    m = M["torchvision_metric_logger"]
    values = np.array(m["batch_means"])
    window = values[-m["window_size"]:]
    # torch.median returns the lower of the two middle values
    lower_median = np.sort(window)[(window.size - 1) // 2]
    assert m["median"] == pytest.approx(lower_median, rel=1e-7)
    assert m["global_avg"] == pytest.approx(values.mean(), rel=1e-12)
    assert m["printed"] == f"loss: {m['median']:.4f} ({m['global_avg']:.4f})"


def test_ddp_averages_rank_means_and_detr_counts_restore_the_global_mean():
    m = M["ddp"]
    xs = [np.array(v) for v in m["rank_x"]]
    # loss (w x)^2 at w = 1: gradient 2 x^2 per sample
    rank_means = [np.mean(2 * x**2) for x in xs]
    global_mean = np.mean(2 * np.concatenate(xs) ** 2)
    assert m["rank mean"] == pytest.approx(np.mean(rank_means), rel=1e-12)
    assert m["detr num_boxes"] == pytest.approx(global_mean, rel=1e-12)
    assert not np.isclose(m["rank mean"], global_mean)
    assert m["reduce_dict loss"] == pytest.approx(
        np.mean([np.mean(x**2) for x in xs]), rel=1e-12)


def test_cross_entropy_on_ntc_logits_fails_or_reads_time_as_classes():
    m = M["torch_ntc_layout"]
    assert "Expected target size" in m["error_when_t_differs_from_c"]
    assert not np.isclose(m["square_untransposed"], m["square_transposed"])


def test_keras_ignore_class_is_the_token_mean_and_sample_weight_is_not():
    m = M["keras_token_mask"]
    tokens, logits = np.array(m["tokens"]), np.array(m["logits"])
    mask = np.array(m["mask"])
    token_mean = float(lb.sequence_cross_entropy(tokens, logits, mask=mask))
    np.testing.assert_allclose(m["ignore_class"], token_mean, **LOOSE)
    np.testing.assert_allclose(m["mean_with_sample_weight"], token_mean,
                               **LOOSE)
    every_position = float(lb.sequence_cross_entropy(
        tokens, logits, mask=mask, reduction="sum")) / mask.size
    np.testing.assert_allclose(m["sample_weight_mask"], every_position,
                               **LOOSE)


def test_keras_ctc_scores_every_sample_over_all_frames():
    m = M["keras_ctc"]
    logits, y_true = np.array(m["logits"]), np.array(m["y_true"])
    log_probs = lb.log_softmax(logits, axis=-1).transpose(1, 0, 2)
    lengths = (y_true != 0).sum(axis=1)
    targets = np.where(y_true != 0, y_true, 1)  # padding beyond the length
    frames = m["frames"]
    all_frames = lb.ctc_loss(log_probs, targets, [frames, frames], lengths,
                             reduction="none")
    np.testing.assert_allclose(m["per_sample"], all_frames, **LOOSE)
    shorter = lb.ctc_loss(log_probs, targets, [frames, frames // 2], lengths,
                          reduction="none")
    assert not np.isclose(m["per_sample"][1], shorter[1], rtol=1e-3)


def test_gradcheck_at_the_kink_passes_for_maximum_and_fails_for_where():
    m = M["custom_gradients"]
    assert m["gradcheck_maximum_kink"] is True
    assert m["gradcheck_where_kink"] is False
    assert m["gradcheck_maximum_random"] and m["gradcheck_where_random"]
    q = 0.9
    assert m["grad_maximum_kink"] == pytest.approx(0.5 - q)
    assert m["grad_where_kink"] == pytest.approx(-q)
    # lossbook's documented choice at the kink is torch.maximum's
    kink = float(custom.pinball_loss_gradient([1.0], [1.0], quantile=q,
                                              reduction="sum")[0])
    assert kink == pytest.approx(m["grad_maximum_kink"], rel=1e-15)


def test_autograd_function_with_closed_form_backward_passes_both_checks():
    m = M["custom_gradients"]
    assert m["gradcheck_function_random"] is True
    assert m["gradgradcheck_function_random"] is True
    assert m["gradcheck_function_kink"] is True
    assert m["grad_function_kink"] == pytest.approx(0.5 - 0.9)


def test_gradcheck_of_torch_ctc_in_log_probs_fails():
    # the backward is the logits form (pytorch/pytorch#52241)
    assert M["torch_ctc_gradcheck_log_probs"] is False


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_pinball_kink_one_sided_slopes_and_documented_subgradient(q):
    # an explicit kink test: a central difference would only confirm the
    # midpoint, so check each one-sided slope and the value at the kink
    y, h = np.array([2.0]), 2.0**-20
    at = float(custom.pinball_loss(y, y, quantile=q))
    above = (float(custom.pinball_loss(y, y + h, quantile=q)) - at) / h
    below = (at - float(custom.pinball_loss(y, y - h, quantile=q))) / h
    assert above == pytest.approx(1 - q, rel=1e-12)
    assert below == pytest.approx(-q, rel=1e-12)
    grad = float(custom.pinball_loss_gradient(y, y, quantile=q)[0])
    assert below <= grad <= above
    assert grad == pytest.approx(0.5 - q, rel=1e-15, abs=1e-16)
