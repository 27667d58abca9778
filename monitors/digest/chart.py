"""The digest chart as PNG bytes (pure given its values; no display needed).

Matplotlib's object API with the Agg canvas: no pyplot, so no global figure state and nothing that looks for a
screen. One small panel per brand (mentions per day, stacked by sentiment) and a share-of-voice bar.
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from monitors.digest.compose import ChartData

PANELS = 6  # brands drawn; the rest are summed into "others" in the share-of-voice bar only
COLOURS = {"negative": "#d9534f", "neutral": "#b8b8b8", "positive": "#4caf50"}
VOICE_COLOURS = ["#3366cc", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#aaaaaa"]
DPI = 90


def render_chart(data: ChartData) -> bytes:
    series = data.series[:PANELS]
    columns = 2 if len(series) > 1 else 1
    rows = max(math.ceil(len(series) / columns), 1)
    figure = Figure(figsize=(10, 2.2 * rows + 1.5), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows + 1, columns, height_ratios=[3] * rows + [1.1], hspace=0.7, wspace=0.18,
                               top=1 - 0.55 / (2.2 * rows + 1.5), bottom=0.03, left=0.06, right=0.98)
    labels = [f"{day:%d}" for day in data.days]
    for index, brand in enumerate(series):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        bottom = [0] * len(data.days)
        for name, values in (("negative", brand.negative), ("neutral", brand.neutral),
                             ("positive", brand.positive)):
            axes.bar(range(len(values)), values, bottom=bottom, color=COLOURS[name], width=0.8, label=name)
            bottom = [b + v for b, v in zip(bottom, values)]
        axes.set_title(brand.name + (" (competitor)" if brand.competitor else ""), fontsize=9, loc="left")
        axes.set_xticks(range(len(labels)), labels, fontsize=7)
        axes.tick_params(axis="y", labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
    if not series:
        axes = figure.add_subplot(grid[0, :])
        axes.text(0.5, 0.5, "No brands", ha="center", va="center")
        axes.set_axis_off()
    _voice_bar(figure.add_subplot(grid[rows, :]), data)
    figure.suptitle(data.title, fontsize=10, x=0.01, ha="left")
    if series:
        handles = [Patch(color=COLOURS[name], label=name) for name in ("positive", "neutral", "negative")]
        figure.legend(handles=handles, loc="upper right", ncols=3, fontsize=8, frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _voice_bar(axes, data: ChartData) -> None:
    total = sum(n for _, n in data.voice)
    axes.set_axis_off()
    axes.set_title("Share of voice in the period", fontsize=9, loc="left")
    if not total:
        axes.text(0, 0.5, "no mentions in the period", fontsize=8, va="center")
        return
    shown = data.voice[:len(VOICE_COLOURS) - 1]
    others = total - sum(n for _, n in shown)
    parts = [(name, n) for name, n in shown if n] + ([("others", others)] if others else [])
    left = 0.0
    for index, (name, n) in enumerate(parts):
        width = n / total
        colour = VOICE_COLOURS[index] if name != "others" else VOICE_COLOURS[-1]
        axes.barh(0, width, left=left, color=colour, height=0.6)
        label = f"{name[:14]} {100 * width:.0f}%" if width >= 0.08 else f"{100 * width:.0f}%"
        if width >= 0.03:
            axes.text(left + width / 2, 0, label, ha="center", va="center", fontsize=7, color="white")
        left += width
    axes.set_xlim(0, 1)
    axes.set_ylim(-0.5, 0.5)
