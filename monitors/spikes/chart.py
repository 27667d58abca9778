"""The spike alert's chart as PNG bytes (pure given its values): negative mentions per bucket over the last 48
hours, with the alert's window shaded. Matplotlib's object API on the Agg canvas, as the digest chart does."""

from __future__ import annotations

import io
from datetime import datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

DPI = 90
LINE = "#d9534f"
WINDOW = "#f7c6c5"


def render_spike_chart(points: list[tuple[datetime, int]], *, title: str, window_start: datetime,
                       window_end: datetime) -> bytes:
    """`points`: (bucket start, negative mentions) in time order, zeros included."""
    figure = Figure(figsize=(8, 2.6), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if points:
        times = [at.replace(tzinfo=None) for at, _ in points]  # matplotlib draws naive UTC without a zone lookup
        values = [n for _, n in points]
        axes.fill_between(times, values, step="post", color=LINE, alpha=0.35, linewidth=0)
        axes.step(times, values, where="post", color=LINE, linewidth=1)
        axes.axvspan(window_start.replace(tzinfo=None), window_end.replace(tzinfo=None), color=WINDOW, alpha=0.6,
                     linewidth=0, label="alert window")
        axes.legend(fontsize=7, frameon=False, loc="upper left")
        axes.set_xlim(times[0], times[-1])
    else:
        axes.text(0.5, 0.5, "no mentions in the last 48 hours", ha="center", va="center", transform=axes.transAxes)
    axes.xaxis.set_major_formatter(DateFormatter("%a %H:%M"))
    axes.tick_params(labelsize=7)
    axes.set_ylim(bottom=0)
    axes.set_ylabel("negative / bucket", fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(title, fontsize=9, loc="left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
