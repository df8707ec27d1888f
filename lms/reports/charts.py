"""Charts drawn on the server as SVG geometry (pure: no Flask, no DB).

Pages render the shapes computed here with a template macro; no JavaScript, nothing
fetched, readable on a phone and in print. Every chart sits beside the table that holds
its numbers, so it is a picture of the table, never the only place a number appears.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    #: Which series (0 pre, 1 post…), for its colour.
    series: int
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    """Shapes of a bar chart in a ``width`` × ``height`` view box."""

    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    #: Category labels under the groups of bars: (x centre, text).
    categories: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    baseline: float = 0.0
    left: float = 0.0
    right: float = 0.0


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[float | None]]],
    *,
    maximum: float = 100.0,
    width: int = 640,
    height: int = 240,
) -> Chart:
    """Bars side by side per group (e.g. mean pre and post per group of learners), on a
    0..``maximum`` scale with ticks every fifth of it. A missing value draws no bar."""
    left, right, top, bottom = 40.0, 8.0, 10.0, 40.0
    chart = Chart(width, height, left=left, right=width - right)
    plot_h = height - top - bottom
    chart.baseline = top + plot_h
    for step in range(6):
        value = maximum * step / 5
        chart.y_ticks.append(Tick(top + plot_h - plot_h * step / 5, f"{value:g}"))
    if not groups:
        return chart
    slot = (width - left - right) / len(groups)
    series = max(len(values) for _label, values in groups) or 1
    bar_w = min(28.0, slot * 0.8 / series)
    for index, (label, values) in enumerate(groups):
        start = left + slot * index + (slot - bar_w * series) / 2
        chart.categories.append((left + slot * index + slot / 2, label))
        for s, value in enumerate(values):
            if value is None:
                continue
            clipped = max(0.0, min(value, maximum))
            h = plot_h * clipped / maximum if maximum else 0.0
            chart.bars.append(
                Bar(start + s * bar_w, top + plot_h - h, bar_w - 2, h, value, s, label)
            )
    return chart


def histogram(
    values: Sequence[float],
    *,
    low: float = -100.0,
    high: float = 100.0,
    bins: int = 20,
    width: int = 640,
    height: int = 200,
) -> Chart:
    """Counts of ``values`` in ``bins`` equal bins from ``low`` to ``high`` (a value equal
    to ``high`` falls in the last bin); bars are labelled with their lower bound."""
    left, right, top, bottom = 40.0, 8.0, 10.0, 30.0
    chart = Chart(width, height, left=left, right=width - right)
    plot_h = height - top - bottom
    chart.baseline = top + plot_h
    counts = [0] * bins
    size = (high - low) / bins
    for value in values:
        index = int((min(max(value, low), high) - low) // size)
        counts[min(index, bins - 1)] += 1
    peak = max(counts) or 1
    for step in range(5):
        chart.y_ticks.append(Tick(top + plot_h - plot_h * step / 4, f"{peak * step / 4:.0f}"))
    slot = (width - left - right) / bins
    for index, count in enumerate(counts):
        h = plot_h * count / peak
        bound = low + size * index
        chart.bars.append(
            Bar(left + slot * index + 1, top + plot_h - h, slot - 2, h, count, 0, f"{bound:g}")
        )
        if index % max(1, bins // 10) == 0:
            chart.categories.append((left + slot * index, f"{bound:+g}" if bound else "0"))
    return chart


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (at least 5), so a count
    axis divides into five steps of round numbers."""
    if value <= 5:
        return 5.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Row:
    """One horizontal bar: its label on the left, its value at its end."""

    y: float
    width: float
    value: float
    label: str
    #: Share of the first row's value, in per cent (None for the first row or from 0).
    share: float | None


@dataclass
class HorizontalChart:
    width: int
    height: int
    left: float
    bar_height: float
    rows: list[Row] = field(default_factory=list)


def horizontal_bars(
    rows: Sequence[tuple[str, float]], *, width: int = 640, label_width: float = 170.0
) -> HorizontalChart:
    """One bar per row, scaled to the largest value, each with its share of the first
    (a funnel: how many of those who enrolled reached each stage)."""
    bar_h, gap, top = 24.0, 8.0, 4.0
    chart = HorizontalChart(
        width, int(top * 2 + len(rows) * (bar_h + gap)), left=label_width, bar_height=bar_h
    )
    peak = max((value for _label, value in rows), default=0) or 1
    room = width - label_width - 90
    first = rows[0][1] if rows else 0
    for index, (label, value) in enumerate(rows):
        share = round(100.0 * value / first, 1) if index and first else None
        chart.rows.append(
            Row(top + index * (bar_h + gap), room * value / peak, value, label, share)
        )
    return chart
