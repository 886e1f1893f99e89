"""The book's figure style and the drawing helpers chapters share.

Figures have an opaque white background, so they read the same in the
site's light and dark themes, and use the Okabe–Ito palette, which stays
distinguishable for readers with colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, Rectangle

__all__ = [
    "PALETTE",
    "draw_box_formats",
    "draw_boxes",
    "draw_residuals",
    "plot_curves",
    "plot_decision_regions",
    "use_book_style",
]

#: Okabe–Ito colours, in the order the book's curves use them.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

_STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "font.size": 10,
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
    # fixed metadata keeps the stored PNG identical between runs
    "svg.hashsalt": "lossbook",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style for the rest of the session.

    Examples
    --------
    >>> use_book_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.grid"]
    True
    """
    plt.rcParams.update(_STYLE)


def plot_curves(
    ax: Axes,
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    styles: Sequence[str] | None = None,
) -> Axes:
    """Draw several labelled curves over one x axis, with a legend.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> x = np.linspace(-2, 2, 5)
    >>> _ = plot_curves(ax, x, {"x²": x**2, "|x|": abs(x)}, title="t",
    ...                 xlabel="x", ylabel="y")
    >>> len(ax.get_lines())
    2
    >>> plt.close(fig)
    """
    for i, (label, y) in enumerate(curves.items()):
        style = styles[i % len(styles)] if styles else "-"
        ax.plot(x, y, style, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(curves) > 1:
        ax.legend()
    return ax


def draw_residuals(
    ax: Axes, x: np.ndarray, y: np.ndarray, y_fit: np.ndarray, *,
    color: str = PALETTE[1],
) -> Axes:
    """Draw each residual as an arrow from the fitted value to the data.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = draw_residuals(ax, np.arange(3.0), np.ones(3), np.zeros(3))
    >>> len(ax.patches)
    3
    >>> plt.close(fig)
    """
    for xi, yi, fi in zip(x, y, y_fit, strict=True):
        ax.add_patch(FancyArrowPatch(
            (xi, fi), (xi, yi), arrowstyle="-|>", mutation_scale=8,
            color=color, linewidth=1.0, shrinkA=0, shrinkB=0))
    return ax


def draw_boxes(
    ax: Axes,
    boxes: np.ndarray,
    *,
    color: str = PALETTE[0],
    label: str | None = None,
    linestyle: str = "-",
    fill: bool = False,
) -> Axes:
    """Draw ``(N, 4)`` boxes given as ``(x1, y1, x2, y2)``.

    The y axis points down, as in image coordinates, and the axes get an
    equal aspect so that squares look square.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = draw_boxes(ax, np.array([[0, 0, 2, 1], [1, 1, 3, 3]]), label="a")
    >>> len(ax.patches)
    2
    >>> plt.close(fig)
    """
    boxes = np.atleast_2d(np.asarray(boxes, dtype=float))
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        ax.add_patch(Rectangle(
            (x1, y1), x2 - x1, y2 - y1, fill=fill, edgecolor=color,
            facecolor=color if fill else "none", alpha=0.25 if fill else 1,
            linewidth=1.8, linestyle=linestyle,
            label=label if i == 0 else None))
    ax.set_aspect("equal")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.autoscale_view()
    return ax


def draw_box_formats(
    axes: Sequence[Axes],
    box: np.ndarray,
    anchor: np.ndarray,
    t: np.ndarray,
) -> Sequence[Axes]:
    """Draw one ``xyxy`` box four times, marking what each format stores.

    The panels show the two corners (``xyxy``), the top-left corner and
    the size (``xywh``), the centre and the size (``cxcywh``), and the box
    against an anchor with its encoded offsets ``t`` (Faster R-CNN).

    Parameters
    ----------
    axes : sequence of 4 matplotlib Axes
        The panels, left to right.
    box, anchor : array-like of shape (4,)
        The box and the anchor as ``(x1, y1, x2, y2)``.
    t : array-like of shape (4,)
        The box encoded against the anchor, ``(t_x, t_y, t_w, t_h)``.

    Returns
    -------
    sequence of Axes
        ``axes``.

    Examples
    --------
    >>> fig, axes = plt.subplots(1, 4)
    >>> _ = draw_box_formats(axes, [0, 0, 4, 2], [1, 0, 3, 2], [0, 0, 0, 0])
    >>> [len(ax.patches) >= 1 for ax in axes]
    [True, True, True, True]
    >>> plt.close(fig)
    """
    x1, y1, x2, y2 = np.asarray(box, dtype=float)
    ax1, ay1, ax2, ay2 = np.asarray(anchor, dtype=float)
    tx, ty, tw, th = np.asarray(t, dtype=float)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    acx, acy = (ax1 + ax2) / 2, (ay1 + ay2) / 2
    arrow = dict(arrowstyle="<->", color=PALETTE[6], lw=1.2)
    for ax in axes:
        ax.set_axisbelow(True)  # grid lines behind the box edges
        draw_boxes(ax, [x1, y1, x2, y2], label="box")
    first, second, third, fourth = axes
    first.set(title="xyxy: two corners")
    first.plot([x1, x2], [y1, y2], "o", color=PALETTE[1])
    first.text(x1 + 3, y1 + 12, "(x1, y1)")
    first.text(x2 - 45, y2 - 5, "(x2, y2)")
    second.set(title="xywh: corner and size")
    second.plot([x1], [y1], "o", color=PALETTE[1])
    second.annotate("", (x2, y1 - 6), (x1, y1 - 6), arrowprops=arrow)
    second.annotate("", (x2 + 6, y2), (x2 + 6, y1), arrowprops=arrow)
    second.text((x1 + x2) / 2, y1 - 9, "w", ha="center")
    second.text(x2 + 9, (y1 + y2) / 2, "h", va="center")
    third.set(title="cxcywh: centre and size")
    third.plot([cx], [cy], "o", color=PALETTE[1])
    third.annotate("", (x2, cy), (x1, cy), arrowprops=arrow)
    third.annotate("", (cx, y2), (cx, y1), arrowprops=arrow)
    third.text(cx + 3, cy - 4, "(cx, cy)")
    fourth.set(title="relative to an anchor")
    draw_boxes(fourth, [ax1, ay1, ax2, ay2], color=PALETTE[1],
               linestyle="--", label="anchor")
    fourth.plot([acx, cx], [acy, cy], "o", color=PALETTE[1], ms=4)
    fourth.annotate("", (cx, cy), (acx, acy),
                    arrowprops=dict(arrowstyle="->", color=PALETTE[6]))
    fourth.text(0.02, 0.98, f"t_x = {tx:.3f}, t_y = {ty:.3f}\n"
                f"t_w = {tw:.3f}, t_h = {th:.3f}", fontsize=8, va="top",
                transform=fourth.transAxes)
    fourth.legend(loc="lower right", fontsize=8)
    return axes


def plot_decision_regions(
    ax: Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    title: str,
    resolution: int = 200,
    xlabel: str = "feature 1",
    ylabel: str = "feature 2",
) -> Any:
    """Colour the plane by predicted class and scatter the labelled points.

    ``predict`` maps an ``(M, 2)`` array to ``(M,)`` integer classes.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> _ = plot_decision_regions(ax, lambda P: (P[:, 0] > .5).astype(int),
    ...                           X, np.array([0, 1]), title="t",
    ...                           resolution=10)
    >>> plt.close(fig)
    """
    classes = np.unique(y)
    pad = 0.5
    gx, gy = np.meshgrid(
        np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution),
        np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    regions = predict(grid).reshape(gx.shape)
    colors = mpl.colors.ListedColormap(PALETTE[: len(classes)])
    ax.contourf(gx, gy, regions, levels=np.arange(len(classes) + 1) - 0.5,
                cmap=colors, alpha=0.18)
    for k, c in enumerate(classes):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=PALETTE[k],
                   edgecolor="white", linewidth=0.4, label=f"class {c}")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best")
    return ax
