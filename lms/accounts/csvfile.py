"""Reading user lists in Moodle's upload-user CSV format, plus our columns (pure).

Coordinators keep their cohorts in the spreadsheets they already use for Moodle, so the
same header names are accepted (matched case-insensitively), with ours added: ``sex``,
``agency``, ``unit``, ``position``, ``role``. Moodle columns we do not keep (``city``,
``phone1`` …) and enrolment columns (``course1``, ``cohort1`` …) are read and reported
as ignored, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

#: Our names for the columns we import, by the header names that feed them.
COLUMNS = {
    "username": "username",
    "password": "password",
    "firstname": "given_name",
    "lastname": "family_name",
    "middlename": "patronymic",
    "firstnamephonetic": "given_name_latin",
    "lastnamephonetic": "family_name_latin",
    "alternatename": "full_name_latin",
    "fullname": "full_name",
    "email": "email",
    "country": "country",
    "lang": "locale",
    "institution": "agency",
    "agency": "agency",
    "department": "unit",
    "unit": "unit",
    "idnumber": "idnumber",
    "sex": "sex",
    "gender": "sex",
    "position": "position",
    "rank": "position",
    "role": "role",
    "suspended": "suspended",
}

#: Moodle's other standard columns: accepted in a file, not imported.
MOODLE_IGNORED = frozenset(
    {
        "id", "emailstop", "city", "timezone", "mailformat", "maildisplay", "maildigest",
        "htmleditor", "autosubscribe", "phone1", "phone2", "address", "description",
        "descriptionformat", "auth", "oldusername", "theme", "deleted", "mnethostid",
        "interests", "url", "skype", "msn", "aim", "yahoo", "icq",
    }
)  # fmt: skip
#: Moodle's numbered enrolment and assignment columns (course1, role1, cohort2 …).
NUMBERED = re.compile(
    r"^(course|type|role|group|enrolperiod|enrolstatus|enroltimestart|cohort|sysrole|"
    r"category|categoryrole)\d+$"
)
#: Without these a row cannot become a person.
REQUIRED = ("username",)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


class FileRefused(Exception):
    """The whole file is refused (encoding, header, size); nothing is imported."""

    def __init__(self, message: str, line: int | None = None, code: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        #: What is wrong ("size", "encoding", "binary", "file"), for pages that say it in
        #: the reader's language.
        self.code = code


@dataclass
class Table:
    """A decoded CSV: the imported values of each row, by our column names."""

    delimiter: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    enrolment_columns: list[str] = field(default_factory=list)


def decode(data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without a byte-order mark).

    :raises FileRefused: too large, not UTF-8, or binary.
    """
    if len(data) > max_bytes:
        raise FileRefused(f"the file is larger than {max_bytes // (1024 * 1024)} MB", code="size")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            "the file is not UTF-8 text; save it from the spreadsheet as CSV UTF-8",
            line,
            code="encoding",
        ) from None
    if "\x00" in text:
        raise FileRefused("the file holds binary data; it is not a CSV file", code="binary")
    return text


def sniff_delimiter(header_line: str) -> str:
    """Comma or semicolon (spreadsheets in Russian locales write semicolons); tab too."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes) -> Table:
    """Decode and check a user CSV; rows keep their line numbers (the header is line 1).

    :raises FileRefused: undecodable text, no header, too few or unknown or repeated
        columns, a missing required column, or too many rows.
    """
    text = decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FileRefused("the file is empty: the first line must name the columns", 1)
    delimiter = sniff_delimiter(lines[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as error:
        raise FileRefused(f"the header cannot be read: {error}", 1) from None
    if len(header) < 2:
        raise FileRefused("the header names fewer than two columns", 1)
    table = Table(delimiter=delimiter, columns=[])
    seen: set[str] = set()
    for name in header:
        key = name.lower()
        if not key:
            raise FileRefused("a column has no name", 1)
        if key in seen:
            raise FileRefused(f"the column {name!r} appears twice", 1)
        seen.add(key)
        if key in COLUMNS:
            table.columns.append(key)
        elif key in MOODLE_IGNORED or key.startswith("profile_field_"):
            table.ignored_columns.append(name)
        elif NUMBERED.match(key):
            table.enrolment_columns.append(name)
        else:
            raise FileRefused(f"unknown column {name!r}", 1)
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        raise FileRefused(f"the required column {missing[0]!r} is missing", 1)
    if not ({"firstname", "lastname"} <= seen or "fullname" in seen):
        raise FileRefused("the columns 'firstname' and 'lastname' (or 'fullname') are required", 1)
    try:
        while True:
            line = reader.line_num + 1  # where this row starts (a quoted cell may span lines)
            record = next(reader, None)
            if record is None:
                break
            if not any(cell.strip() for cell in record):
                continue  # blank lines are allowed anywhere
            if len(table.rows) >= MAX_ROWS:
                raise FileRefused(f"the file has more than {MAX_ROWS} rows; split it", line)
            values: dict[str, str] = {}
            for name, cell in zip(header, record, strict=False):
                key = name.lower()
                if key in COLUMNS and cell.strip():
                    values[COLUMNS[key]] = cell.strip()
            if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
                values["__extra__"] = str(len(record) - len(header))
            table.rows.append((line, values))
    except csv.Error as error:
        raise FileRefused(f"the file cannot be read as CSV: {error}", reader.line_num) from None
    return table
