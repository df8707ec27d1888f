"""Classroom answers typed in by a trainer from paper answer sheets (pure: no Flask, no DB).

A paper shows each question's options in question order, lettered A, B, C…; the trainer
types what the learner marked: a letter (single choice), several letters (multiple
response, "AC"), T or F (true/false; also the Russian В/Н and 1/0), the text written
(short answer, numerical), the letters of the right-hand column in the order of the items
(matching, "BAC"), or the mark given on paper in per cent (essay: 0, 25, 50, 75 or 100).
An empty cell is an unanswered question.

The same answers may come as a CSV file (:func:`read_sheet`): one row per learner, a
``username`` column, one column per question numbered as on the paper, and optionally a
``name`` column for the reader's eyes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from lms.accounts.csvfile import FileRefused, decode, sniff_delimiter
from lms.assessments import qtypes
from lms.assessments.questions import ParsedQuestion
from lms.tables import csv_text

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Cyrillic letters that look like Latin ones, as typed on a Russian keyboard.
_LOOKALIKES = str.maketrans("АВСЕКМНОРТХ", "ABCEKMHOPTX")
ESSAY_MARKS = (0, 25, 50, 75, 100)
TRUE_WORDS = {"T", "TRUE", "В", "ВЕРНО", "1", "+"}
FALSE_WORDS = {"F", "FALSE", "Н", "НЕВЕРНО", "0", "-"}


class CellError(qtypes.ResponseError):
    """A cell that does not read; ``code`` and ``params`` let the page say it in the
    reader's language (the message is English)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Cell:
    """What one cell says: a response, and for an essay the mark given on paper."""

    response: dict[str, Any]
    essay_mark: float | None = None


def _letters(text: str) -> list[int]:
    indexes = []
    for char in text.upper().translate(_LOOKALIKES):
        if char in " ,;":
            continue
        if char not in LETTERS:
            raise CellError("letter", f"“{char}” is not an option letter.", char=char)
        indexes.append(LETTERS.index(char))
    return indexes


def read_cell(question: ParsedQuestion, raw: str) -> Cell:
    """The response a typed cell stands for; a :class:`CellError` naming what is wrong (a
    letter that is not an option, a mark that is not one of the steps…)."""
    text = (raw or "").strip()
    if not text:
        return Cell({})
    kind = qtypes.kind_of(question).name
    if kind in ("single", "multiple"):
        chosen = _letters(text)
        if any(i >= len(question.answers) for i in chosen):
            last = LETTERS[len(question.answers) - 1]
            raise CellError("range", f"This question has options A to {last}.", last=last)
        if kind == "single":
            if len(chosen) != 1:
                raise CellError("one", "One letter only for this question.")
            response: dict[str, Any] = {"choice": chosen[0]}
        else:
            if len(set(chosen)) != len(chosen):
                raise CellError("twice", "A letter is written twice.")
            response = {"choices": sorted(chosen)}
    elif kind == "truefalse":
        word = text.upper()
        if word in TRUE_WORDS:
            response = {"value": True}
        elif word in FALSE_WORDS:
            response = {"value": False}
        else:
            raise CellError("truefalse", "Write T (true) or F (false).")
    elif kind in ("shortanswer", "numerical"):
        response = {"text": text}
    elif kind == "matching":
        items = [i for i, pair in enumerate(question.pairs) if not pair.is_distractor]
        rights = list(dict.fromkeys(pair.right for pair in question.pairs))
        chosen = _letters(text)
        if len(chosen) != len(items):
            raise CellError(
                "count", f"Write {len(items)} letters, one for each item.", n=len(items)
            )
        if any(i >= len(rights) for i in chosen):
            last = LETTERS[len(rights) - 1]
            raise CellError("range", f"The choices are A to {last}.", last=last)
        response = {"pairs": {str(item): rights[c] for item, c in zip(items, chosen, strict=True)}}
    else:  # essay: the mark given on paper
        number = qtypes.parse_number(text.rstrip("%"))
        if number is None or number not in ESSAY_MARKS:
            raise CellError("mark", "Write the mark in per cent: 0, 25, 50, 75 or 100.")
        return Cell({"text": "(on paper)"}, essay_mark=number / 100)
    qtypes.validate(question, response)
    return Cell(response)


def write_cell(question: ParsedQuestion, response: dict[str, Any], mark: float | None) -> str:
    """What a trainer would have typed for a saved response (the inverse of
    :func:`read_cell`), so a saved classroom row can be shown again and corrected."""
    if not response:
        return ""
    kind = qtypes.kind_of(question).name
    if kind == "single":
        return LETTERS[response["choice"]]
    if kind == "multiple":
        return "".join(LETTERS[i] for i in response["choices"])
    if kind == "truefalse":
        return "T" if response["value"] else "F"
    if kind in ("shortanswer", "numerical"):
        return str(response.get("text", ""))
    if kind == "matching":
        rights = list(dict.fromkeys(pair.right for pair in question.pairs))
        items = [i for i, pair in enumerate(question.pairs) if not pair.is_distractor]
        chosen = [response["pairs"].get(str(i)) for i in items]
        return "".join(LETTERS[rights.index(right)] for right in chosen if right in rights)
    return "" if mark is None else str(round(mark * 100))


# --- Answer sheets as CSV ------------------------------------------------------------------

SHEET_MAX_BYTES = 1024 * 1024
SHEET_MAX_ROWS = 1000
_NAME_COLUMNS = {"name", "fullname", "learner"}
_QUESTION_COLUMN = re.compile(r"^(?:q)?(\d{1,3})$", re.IGNORECASE)


class SheetError(Exception):
    """A problem with an answer file, at a line (1 is the header) when there is one;
    ``code`` and ``params`` let the page say it in the reader's language."""

    def __init__(self, code: str, message: str, line: int | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.line = line
        self.params = params


@dataclass(frozen=True)
class SheetRow:
    """One learner's row: the file line, the username and the cells of questions 1..n."""

    line: int
    username: str
    cells: tuple[str, ...]


def read_sheet(data: bytes, questions: int) -> list[SheetRow]:
    """Read a CSV of classroom answers for a paper of ``questions`` questions.

    The header needs ``username`` and every question column 1..n (``Q1`` is read as 1);
    ``name`` (or ``fullname``, ``learner``) may be there and is not read. Commas,
    semicolons or tabs separate cells. Blank lines are skipped.

    :raises SheetError: the first problem found, with its line.
    """
    try:
        text = decode(data, SHEET_MAX_BYTES)
    except FileRefused as refused:
        raise SheetError(refused.code, refused.message, refused.line) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SheetError("empty", "The file is empty.", 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(lines[0]))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error:
        raise SheetError("header", "The first line cannot be read.", 1) from None
    username_at: int | None = None
    positions: dict[int, int] = {}  # column → question number
    for column, name in enumerate(header):
        key = name.lower()
        number = _QUESTION_COLUMN.match(key)
        if key == "username" and username_at is None:
            username_at = column
        elif key in _NAME_COLUMNS:
            continue
        elif number and 1 <= int(number.group(1)) <= questions:
            if int(number.group(1)) in positions.values():
                raise SheetError("twice", f"Column {name} appears twice.", 1, column=name)
            positions[column] = int(number.group(1))
        else:
            raise SheetError("column", f"Unknown column “{name}”.", 1, column=name or "?")
    if username_at is None:
        raise SheetError("username", "The column “username” is missing.", 1)
    missing = sorted(set(range(1, questions + 1)) - set(positions.values()))
    if missing:
        raise SheetError(
            "questions",
            f"The paper has {questions} questions; the column of question {missing[0]} is missing.",
            1,
            n=questions,
            missing=missing[0],
        )
    rows: list[SheetRow] = []
    seen: dict[str, int] = {}
    try:
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= SHEET_MAX_ROWS:
                raise SheetError("rows", "Too many rows.", line, max=SHEET_MAX_ROWS)
            if len(record) > len(header):
                raise SheetError("cells", "This row has more cells than the header.", line)
            record += [""] * (len(header) - len(record))
            username = record[username_at].strip()
            if not username:
                raise SheetError("no-username", "This row has no username.", line)
            if username.lower() in seen:
                raise SheetError(
                    "repeated",
                    f"{username} has a row already, on line {seen[username.lower()]}.",
                    line,
                    username=username,
                    first=seen[username.lower()],
                )
            seen[username.lower()] = line
            cells = [""] * questions
            for column, number in positions.items():
                cells[number - 1] = record[column].strip()[:200]
            rows.append(SheetRow(line, username, tuple(cells)))
    except csv.Error:
        raise SheetError("row", "This line cannot be read.", reader.line_num) from None
    return rows


def blank_sheet(questions: int, learners: list[tuple[str, str]]) -> str:
    """A CSV to fill in: the header and a row per learner (username, name), cells empty."""
    header = ["username", "name", *[str(n) for n in range(1, questions + 1)]]
    return csv_text(header, ([username, name, *[""] * questions] for username, name in learners))
