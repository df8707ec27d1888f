"""Tables leaving the application as files people open in spreadsheets (core: no domain).

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is read by
spreadsheet programs as a formula; a learner's name like ``=HYPERLINK(…)`` would run on a
coordinator's machine. Every exported text cell goes through :func:`safe_cell`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Numbers and empty values as they are; text that a spreadsheet would take for a
    formula gets a leading apostrophe (shown by no spreadsheet, read as text by all)."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (CRLF line ends, as RFC 4180 and spreadsheets expect), every cell made
    safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return out.getvalue()
