"""Tests for lossbook.plotting: the style and the drawing helpers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from lossbook import plotting


def test_style_is_opaque_and_uses_the_palette():
    plotting.use_book_style()
    rc = matplotlib.rcParams
    # an opaque white figure reads the same in light and dark themes
    assert rc["figure.facecolor"] == "white"
    assert rc["savefig.facecolor"] == "white"
    colors = rc["axes.prop_cycle"].by_key()["color"]
    assert tuple(colors) == plotting.PALETTE


def test_draw_boxes_draws_each_box_with_its_geometry():
    fig, ax = plt.subplots()
    boxes = np.array([[1.0, 2.0, 4.0, 3.0], [0.0, 0.0, 1.0, 5.0]])
    plotting.draw_boxes(ax, boxes, label="truth")
    rects = ax.patches
    assert len(rects) == 2
    assert rects[0].get_xy() == (1.0, 2.0)
    assert (rects[0].get_width(), rects[0].get_height()) == (3.0, 1.0)
    assert ax.yaxis_inverted()  # image coordinates: y grows downwards
    assert [h.get_label() for h in ax.get_legend_handles_labels()[0]] \
        == ["truth"]
    plt.close(fig)


def test_residual_arrows_start_at_the_fit_and_end_at_the_data():
    fig, ax = plt.subplots()
    plotting.draw_residuals(ax, np.array([0.0, 1.0]), np.array([2.0, -1.0]),
                            np.array([0.5, 0.5]))
    ends = [(p._posA_posB[0], p._posA_posB[1]) for p in ax.patches]
    assert ends == [((0.0, 0.5), (0.0, 2.0)), ((1.0, 0.5), (1.0, -1.0))]
    plt.close(fig)


def test_plot_curves_labels_everything():
    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 5)
    plotting.plot_curves(ax, x, {"a": x, "b": 2 * x}, title="T",
                         xlabel="X", ylabel="Y")
    assert ax.get_title() == "T"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("X", "Y")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_decision_regions_colour_the_predicted_classes():
    fig, ax = plt.subplots()
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    y = np.array([0, 1, 2])
    plotting.plot_decision_regions(
        ax, lambda P: np.argmin(((P[:, None, :] - X) ** 2).sum(-1), axis=1),
        X, y, title="regions", resolution=20)
    assert len(ax.collections) >= 4  # contour set plus one scatter a class
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class 0", "class 1", "class 2"]
    plt.close(fig)


def test_draw_box_formats_draws_the_box_in_every_panel_and_the_anchor():
    fig, axes = plt.subplots(1, 4)
    box, anchor = [40.0, 30.0, 160.0, 110.0], [30.0, 60.0, 110.0, 100.0]
    plotting.draw_box_formats(axes, box, anchor, [0.375, -0.25, 0.4, 0.7])
    assert [len(ax.patches) for ax in axes] == [1, 1, 1, 2]
    assert axes[3].patches[1].get_xy() == (30.0, 60.0)
    assert any("t_x = 0.375" in tx.get_text() for tx in axes[3].texts)
    plt.close(fig)
