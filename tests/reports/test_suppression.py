"""Small-group suppression: counts under five hidden, and no hidden count recoverable
from the total."""

from __future__ import annotations

from lms.reports.suppression import HIDDEN, hide, suppress_row


def test_small_counts_are_hidden_and_zeros_shown():
    assert [hide(n) for n in (0, 1, 4, 5, 120)] == [0, HIDDEN, HIDDEN, 5, 120]


def test_a_single_hidden_cell_takes_the_smallest_other_with_it():
    total, cells = suppress_row(23, [3, 12, 8, 0])
    assert total == 23 and cells == [HIDDEN, 12, HIDDEN, 0]


def test_two_hidden_cells_need_nothing_more():
    assert suppress_row(14, [2, 3, 9]) == (14, [HIDDEN, HIDDEN, 9])


def test_a_hidden_total_hides_its_cells_without_more():
    assert suppress_row(4, [1, 3, 0]) == (HIDDEN, [HIDDEN, HIDDEN, 0])


def test_nothing_small_changes_nothing():
    assert suppress_row(30, [10, 20, 0]) == (30, [10, 20, 0])


def test_no_single_hidden_cell_can_be_worked_out():
    """Whatever the row, the hidden cells are never exactly one while the total shows."""
    import itertools

    for cells in itertools.product(range(0, 8), repeat=3):
        total, shown = suppress_row(sum(cells), list(cells))
        hidden = [value for value in shown if value == HIDDEN]
        assert total == HIDDEN or len(hidden) != 1
