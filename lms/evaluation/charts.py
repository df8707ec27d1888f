"""A Likert distribution as one stacked bar (pure): segments in percent of the bar."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    start: float
    width: float
    count: int
    #: 0 for the first point of the scale (strongly disagree) … 4 for the last.
    index: int


def stacked(counts: list[int]) -> list[Segment]:
    """Each count's segment of a bar 100 wide (empty counts give no segment)."""
    total = sum(counts)
    segments: list[Segment] = []
    start = 0.0
    for index, count in enumerate(counts):
        if not count or not total:
            continue
        width = 100.0 * count / total
        segments.append(Segment(round(start, 2), round(width, 2), count, index))
        start += width
    return segments
