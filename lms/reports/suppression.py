"""Small-group suppression for figures published beyond the coordinators (pure).

A count from 1 to 4 could single out a person (the one female judge of a province who
took a course), so published tables show it as "<5". Hiding one cell of a row is not
enough when the row's total is shown: the hidden cell is the total minus the others. So
when a row has exactly one hidden cell, the smallest other non-zero cell is hidden too
(secondary suppression). Zeros are shown: they single out nobody.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Groups smaller than this are hidden.
SMALL_GROUP = 5
#: What a hidden cell shows.
HIDDEN = "<5"


def hide(count: int) -> int | str:
    """One count as published."""
    return HIDDEN if 0 < count < SMALL_GROUP else count


def suppress_row(total: int, cells: Sequence[int]) -> tuple[int | str, list[int | str]]:
    """A total and the counts it is made of, as published: small counts hidden, and one
    more cell hidden where a single hidden cell could be worked out from the total."""
    shown: list[int | str] = [hide(count) for count in cells]
    hidden = [index for index, value in enumerate(shown) if value == HIDDEN]
    total_shown = hide(total)
    if len(hidden) == 1 and total_shown != HIDDEN:
        others = [(count, index) for index, count in enumerate(cells)
                  if index not in hidden and count > 0]  # fmt: skip
        if others:
            _count, index = min(others)
            shown[index] = HIDDEN
    return total_shown, shown
