"""Charts as inline SVG, so a report is one self-contained file that prints cleanly.

Matplotlib draws them (the ``report`` extra); without it the report still has
its text and tables and says which package to install. Text inside an SVG is
escaped by Matplotlib's writer, and captions by :func:`figure_html`, so labels
taken from user data cannot inject markup.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

INSTALL_HINT = "pip install 'automl[report]'"
PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096", "#319795", "#b7791f")
HIGHLIGHT = "#2f855a"
MUTED = "#a0aec0"
_XML_HEADER = re.compile(r"^.*?(?=<svg)", re.DOTALL)


class ChartsUnavailable(RuntimeError):
    """Matplotlib is not installed."""


class ChartTooLarge(ValueError):
    """A chart whose canvas would exceed :data:`automl.limits.MAX_CANVAS_BYTES`; refused before Matplotlib
    allocates it (its message is the report's note)."""


@dataclass(frozen=True)
class Chart:
    """One rendered chart: ``name`` is a stable id (tests and CSS use it), ``svg`` is trusted markup."""

    name: str
    title: str
    svg: str
    caption: str = ""

    def html(self) -> str:
        return figure_html(self.name, self.svg, self.caption)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ChartsUnavailable(f"charts need matplotlib: {INSTALL_HINT}") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.style.use("default")  # Optuna's plots switch the global style to ggplot
    plt.rcParams.update({
        "svg.fonttype": "none",  # text stays text: small files, selectable, searchable
        "svg.hashsalt": "automl",  # identical runs give identical files
        "text.parse_math": False,  # a label with two "$" is text from the data, not TeX
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    })
    return plt


@contextmanager
def canvas(width: float = 6.0, height: float = 3.4, ncols: int = 1) -> Iterator[tuple[Any, Any]]:
    """A figure and its axes, closed afterwards so long reports do not pile up figures.

    Laying a figure out rasterises it at full size, so a size computed from the
    data (a bar per label, a cell per class) is checked before the figure exists.
    """
    from automl import limits

    if limits.canvas_bytes(width, height) > limits.MAX_CANVAS_BYTES:
        raise ChartTooLarge(f"a chart of {width:.0f} x {height:.0f} inches was left out: it would need "
                            f"{limits.human_bytes(limits.canvas_bytes(width, height))} of pixels")
    plt = _pyplot()
    fig, axes = plt.subplots(1, ncols, figsize=(width, height))
    try:
        yield fig, axes
    finally:
        plt.close(fig)


def to_svg(fig: Any) -> str:
    """The figure as an ``<svg>`` element scaled to the page width."""
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight",
                metadata={"Date": None, "Creator": None, "Type": None, "Format": None})  # no URLs, no timestamp
    svg = _XML_HEADER.sub("", buffer.getvalue(), count=1)
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)


def figure_html(name: str, svg_or_img: str, caption: str = "") -> str:
    """The figure wrapper every chart uses: ``<figure class="chart" data-chart=NAME>``."""
    caption_html = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="chart" data-chart="{html.escape(name, quote=True)}">'
            f"{svg_or_img}{caption_html}</figure>")


def short(label: Any, limit: int = 28) -> str:
    """A label cut to fit an axis; the full text stays in the tables."""
    text = str(label)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def score_axis(values: Sequence[float]) -> tuple[float, float] | None:
    """Axis limits around scores that lie close together, or ``None`` when bars from zero show them.

    Scores of 0.90 to 0.93 drawn from zero look the same; an axis from just below
    the lowest to just above the highest shows the differences. Only used when all
    the scores are positive and their spread is under half the smallest (bars of
    negative scores run leftwards from zero, which a cut axis would garble).
    """
    finite = [float(v) for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return None
    low, high = min(finite), max(finite)
    if low <= 0 or high - low >= 0.5 * low:
        return None
    pad = max(high - low, 1e-3 * high)
    return max(low - 0.6 * pad, 0.0), high + 0.6 * pad


def bar_chart(name: str, title: str, labels: Sequence[Any], values: Sequence[float], *, xlabel: str = "",
              caption: str = "", highlight: int | None = None, errors: Sequence[float] | None = None,
              value_format: str = "{:.3g}", zoom: bool = False) -> Chart:
    """Horizontal bars, largest first as given, with the values written at their ends.

    ``zoom`` is for scores (not counts or importances): when they lie close together
    the axis starts near the lowest (:func:`score_axis`), and the caption says so.
    """
    limits = score_axis(values) if zoom else None
    with canvas(6.0, max(1.6, 0.32 * len(labels) + 0.9)) as (fig, ax):
        colours = [HIGHLIGHT if i == highlight else PALETTE[0] for i in range(len(labels))]
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values, color=colours, xerr=errors, error_kw={"ecolor": MUTED, "capsize": 2})
        ax.set_yticks(positions, [short(label) for label in labels])
        for y, value in zip(positions, values, strict=True):
            ax.text(value, y, " " + value_format.format(value), va="center", fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.margins(x=0.15)
        if limits is not None:
            low, high = limits
            ax.set_xlim(low, high + 0.25 * (high - low))  # room for the values written at the bars' ends
            caption = (f"{caption} " if caption else "") + (
                f"The axis starts at {value_format.format(low)}, not 0, so that the differences show; bar "
                "lengths are not proportional to the scores.")
        return Chart(name, title, to_svg(fig), caption)


def line_chart(name: str, title: str, series: dict[str, tuple[Sequence[float], Sequence[float]]], *,
               xlabel: str = "", ylabel: str = "", caption: str = "", diagonal: bool = False,
               step: bool = False) -> Chart:
    """One or more lines; ``diagonal`` draws the chance line of ROC and calibration plots."""
    with canvas(4.6, 3.6) as (fig, ax):
        for label, (x, y) in series.items():
            if step:
                ax.step(x, y, where="post", label=short(label, 40))
            else:
                ax.plot(x, y, marker="o" if len(x) <= 12 else None, markersize=3, label=short(label, 40))
        if diagonal:
            ax.plot([0, 1], [0, 1], linestyle="--", color=MUTED, linewidth=1, label="chance")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        if len(series) > 1 or diagonal:
            ax.legend(fontsize=7, frameon=False)
        return Chart(name, title, to_svg(fig), caption)


def heatmap(name: str, title: str, matrix: Any, row_labels: Sequence[Any], col_labels: Sequence[Any], *,
            xlabel: str = "", ylabel: str = "", caption: str = "") -> Chart:
    """A matrix of counts with each cell's number written in it (the confusion matrix)."""
    import numpy as np

    values = np.asarray(matrix, dtype=float)
    size = max(3.0, 0.45 * len(col_labels) + 1.8)
    with canvas(size + 2.4, size + 1.2) as (fig, ax):
        ax.imshow(values, cmap="Blues")
        ax.grid(False)
        ax.set_xticks(range(len(col_labels)), [short(c, 14) for c in col_labels], rotation=45, ha="right")
        ax.set_yticks(range(len(row_labels)), [short(r, 14) for r in row_labels])
        threshold = values.max() / 2 if values.size else 0
        if values.shape[0] <= 21:  # 20 classes and "others" (automl.limits.MAX_CLASSES_DRAWN)
            for (i, j), value in np.ndenumerate(values):
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if value > threshold else "black")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        return Chart(name, title, to_svg(fig), caption)


def scatter_chart(name: str, title: str, x: Sequence[float], y: Sequence[float], *, xlabel: str = "",
                  ylabel: str = "", caption: str = "", zero_line: bool = False) -> Chart:
    with canvas(5.2, 3.4) as (fig, ax):
        ax.scatter(x, y, s=6, alpha=0.5, color=PALETTE[0], linewidths=0)
        if zero_line:
            ax.axhline(0, color=MUTED, linestyle="--", linewidth=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        return Chart(name, title, to_svg(fig), caption)
