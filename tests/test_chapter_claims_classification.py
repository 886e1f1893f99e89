"""The classification chapters' framework claims against recorded values.

``tests/data/reference_values_classification.json`` is written by
``tools/make_reference_values_classification.py`` from torch, torchvision
and Keras (torch backend). Its ``cases`` are checked by
``tests/test_reference_values.py``; this file checks its ``claims``: the
float32 numbers that the chapters' tables compute with the emulations in
:mod:`lossbook.frameworks`, and the single facts the prose states.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb
from lossbook import frameworks

DATA = (Path(__file__).resolve().parent / "data"
        / "reference_values_classification.json")
RECORDED = json.loads(DATA.read_text())
CLAIMS = {k: v["value"] for k, v in RECORDED["claims"].items()}
F32 = np.float32
CE_ROWS = {"cat/dog/fish": (np.log([0.2, 0.7, 0.1]), 1),
           "confident mistake": (np.array([0.0, -30.0, 0.0]), 1),
           "underflow": (np.array([0.0, -800.0, 0.0]), 1),
           "confident and right": (np.array([40.0, 0.0, 0.0]), 0)}


def test_header_names_keras_on_torch():
    assert RECORDED["keras"].startswith("3.")
    assert RECORDED["keras_backend"] == "torch"


def test_ignore_index_mean_divides_by_labels_kept():
    mean, total = CLAIMS["ce_ignore_mean"], CLAIMS["ce_ignore_sum"]
    assert CLAIMS["ce_ignore_kept"] < CLAIMS["ce_ignore_n"]
    assert mean == pytest.approx(total / CLAIMS["ce_ignore_kept"], rel=1e-15)
    assert mean != pytest.approx(total / CLAIMS["ce_ignore_n"], rel=1e-3)


@pytest.mark.parametrize("red", ["mean", "sum"])
def test_label_smoothing_skips_ignored_labels(red):
    # pytorch/pytorch#73205: the uniform term used to count ignored rows
    assert CLAIMS[f"ce_smooth_ignore_{red}"] == pytest.approx(
        CLAIMS[f"ce_smooth_masked_{red}"], rel=1e-15)


def _log_sum_exp_route(c: int, z: np.ndarray) -> float:
    top = z.max()
    return float(top + np.log(np.exp(z - top).sum()) - z[c])


@pytest.mark.parametrize("name", list(CE_ROWS))
def test_pytorch_cross_entropy_is_the_log_sum_exp_route(name):
    z, c = CE_ROWS[name]
    assert CLAIMS[f"ce_torch64_{name}"] == pytest.approx(
        _log_sum_exp_route(c, z), rel=4e-16, abs=0.0)


def test_pytorch_rounds_a_tiny_loss_to_zero_where_lossbook_does_not():
    z, c = CE_ROWS["confident and right"]
    assert CLAIMS["ce_torch64_confident and right"] == 0.0
    assert float(lb.cross_entropy([c], z[None])) > 0.0


@pytest.mark.parametrize("name", list(CE_ROWS))
def test_keras_categorical_emulation_in_float32(name):
    # the chapter feeds softmax probabilities rounded to float32
    z, c = CE_ROWS[name]
    probs = lb.softmax(z).astype(F32)[None]
    target = np.eye(3, dtype=F32)[c][None]
    emulated = frameworks.keras_categorical_crossentropy(target, probs)
    assert emulated.dtype == F32
    assert float(emulated[0]) == pytest.approx(CLAIMS[f"ce_keras32_{name}"],
                                               rel=2e-7)


def test_keras_torch_backend_clips_a_keras_softmax_output_too():
    cap = float(-np.log(F32(frameworks.KERAS_EPSILON)))
    for name in ("confident mistake", "underflow"):
        assert CLAIMS[f"ce_keras32_act_{name}"] == pytest.approx(cap, 1e-7)
        assert CLAIMS[f"ce_keras32_logits_{name}"] > 30


def test_bce_clamp_is_per_log_term():
    assert CLAIMS["bce_clamp_weight2"][:2] == [200.0, 200.0]


def test_pos_weight_trap_changes_the_loss():
    assert CLAIMS["bce_pw_right"] != pytest.approx(CLAIMS["bce_pw_trap"],
                                                   rel=1e-3)


def _bce_table_inputs():
    cases = CLAIMS["bce_table_cases"]
    y = np.array([c[0] for c in cases], dtype=F32)
    z = np.array([c[1] for c in cases], dtype=F32)
    with np.errstate(over="ignore"):
        p = 1 / (1 + np.exp(-z))  # as the chapter computes it, in float32
    return y, p


def test_bce_table_float32_probabilities_match_torch_sigmoid():
    _, p = _bce_table_inputs()
    np.testing.assert_allclose(p, CLAIMS["bce_table_sigmoid32"], rtol=2e-7)


def test_bce_table_emulations_match_real_float32_values():
    y, p = _bce_table_inputs()
    torch32 = [float(frameworks.torch_binary_cross_entropy(y[i:i + 1],
                                                           p[i:i + 1]))
               for i in range(y.size)]
    keras32 = frameworks.keras_binary_crossentropy(y[:, None], p[:, None])
    np.testing.assert_allclose(torch32, CLAIMS["bce_table_torch32"],
                               rtol=1e-6)
    np.testing.assert_allclose(keras32, CLAIMS["bce_table_keras32"],
                               rtol=1e-6)


def test_bce_autocast_refusal_is_not_on_cpu():
    assert CLAIMS["bce_autocast_cpu_refused"] is False


def _focal_table_inputs():
    cases = CLAIMS["focal_table_cases"]
    y = np.array([[c[0]] for c in cases], dtype=F32)
    z = np.array([[c[1]] for c in cases])
    return y, lb.sigmoid(z).astype(F32)


def test_keras_focal_float32_table():
    y, p = _focal_table_inputs()
    emulated = frameworks.keras_binary_focal_crossentropy(
        y, p, apply_class_balancing=True)
    assert emulated.dtype == F32
    np.testing.assert_allclose(emulated, CLAIMS["focal_table_keras32"],
                               rtol=1e-6, atol=0)
    # from_logits=True gives the same numbers on the torch backend
    assert CLAIMS["focal_table_keras32_logits"] == CLAIMS[
        "focal_table_keras32"]
    # the book quotes 11.96 and 0 where float64 gives 12.09 and 1e-25
    assert round(CLAIMS["focal_table_keras32"][-1], 2) == 11.96
    assert CLAIMS["focal_table_keras32"][3] == 0.0


def test_keras_focal_from_logits_still_clips():
    cap = float(-np.log(frameworks.KERAS_EPSILON))
    assert CLAIMS["focal_keras_logits_m40"] == pytest.approx(cap, rel=1e-6)
    assert CLAIMS["bce_keras_logits_m40"] == pytest.approx(40.0, rel=1e-7)


def test_keras_categorical_focal_takes_one_alpha_per_class():
    alpha, y, p = (np.asarray(a) for a in
                   CLAIMS["focal_keras_alpha_list_inputs"])
    true = y.argmax(axis=1)
    p_t = p[np.arange(len(p)), true]
    expected = alpha[true] * (1 - p_t) ** 2 * -np.log(p_t)
    np.testing.assert_allclose(CLAIMS["focal_keras_alpha_list"], expected,
                               rtol=1e-6)
