"""Tables leaving the application as files people open in spreadsheets (core: no domain).

In a CSV file a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is read by spreadsheet programs as a formula; a learner's name like
``=HYPERLINK(…)`` would run on a coordinator's machine. Every CSV text cell goes through
:func:`safe_cell`; XLSX cells are typed, so text is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Sheet:
    """One table of an export: a title (a worksheet's name in XLSX), a header and rows."""

    title: str
    header: Sequence[Any]
    rows: Sequence[Sequence[Any]]
    #: A short name for choosing one table of several (``?table=``) and naming its file.
    key: str = "table"


_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook with a worksheet per table, written row by row (XlsxWriter's
    constant-memory mode: memory stays flat for large tables); numbers stay numbers, text
    is written as text (typed cells: a leading ``=`` is never a formula, so no apostrophe
    is needed), the header row is bold and frozen."""
    import xlsxwriter  # imported here: only exports need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    bold = book.add_format({"bold": True})
    used: set[str] = set()
    for sheet in sheets:
        title = sheet.title.translate(_SHEET_TITLE_FORBIDDEN).strip()[:31] or "Sheet"
        while title.lower() in used:  # worksheet names are unique, case-insensitively
            title = f"{title[:28]} {len(used) + 1}"
        used.add(title.lower())
        page = book.add_worksheet(title)
        page.freeze_panes(1, 0)
        page.write_row(0, 0, [str(cell) for cell in sheet.header], bold)
        for number, row in enumerate(sheet.rows, start=1):
            for column, cell in enumerate(row):
                if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    page.write_number(number, column, cell)
                elif cell is not None:
                    page.write_string(number, column, str(cell))
    book.close()
    return out.getvalue()


def download(name: str, sheets: Sequence[Sheet], fmt: str, table: str | None = None) -> Any:
    """A download response: every sheet as an XLSX workbook (``fmt`` "xlsx"), or one sheet
    (chosen by its key, else the first) as UTF-8 CSV with a BOM for spreadsheet programs."""
    from flask import Response

    if fmt == "xlsx":
        return Response(
            xlsx_bytes(sheets),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    sheet = next((s for s in sheets if s.key == table), sheets[0])
    return Response(
        "\ufeff" + csv_text(sheet.header, sheet.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-{sheet.key}.csv"'},
    )
