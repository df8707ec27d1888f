"""Classroom answers typed in by a trainer from paper answer sheets (pure: no Flask, no DB).

A paper shows each question's options in question order, lettered A, B, C…; the trainer
types what the learner marked: a letter (single choice), several letters (multiple
response, "AC"), T or F (true/false; also the Russian В/Н and 1/0), the text written
(short answer, numerical), the letters of the right-hand column in the order of the items
(matching, "BAC"), or the mark given on paper in per cent (essay: 0, 25, 50, 75 or 100).
An empty cell is an unanswered question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.assessments import qtypes
from lms.assessments.questions import ParsedQuestion

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
