"""Moodle's Aiken format: single-answer multiple-choice questions in plain text.

Each question is one line of text, then its options, one a line, labelled ``A.`` or ``A)``
(a space after the label is optional), then ``ANSWER: X``::

    Which protocol defines trafficking in persons?
    A) The Smuggling of Migrants Protocol
    B) The Trafficking in Persons Protocol
    ANSWER: B

As in Moodle (``qformat_aiken``), lines shorter than two characters are skipped, the text
and options are HTML-escaped and stored in the ``html`` format, and the name is derived
from the question line. Unlike Moodle, which skips a bad question and imports the rest,
:func:`read_aiken` refuses the whole file and lists every problem with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.assessments.gift import decode_text
from lms.assessments.questions import (
    Answer,
    FormatError,
    ParsedBank,
    ParsedQuestion,
    Problem,
    QuestionType,
    TextFormat,
    default_question_name,
    php_trim,
)

__all__ = ["read_aiken"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_OPTION = re.compile(r"([A-Z])[.)]")
_ANSWER = "ANSWER:"


def _html_escape(text: str) -> str:
    """PHP's htmlspecialchars with ENT_NOQUOTES: &, < and > only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(slots=True)
class _Draft:
    line: int
    text: str
    options: list[str] = field(default_factory=list)


def read_aiken(data: str | bytes, *, source: str = "") -> ParsedBank:
    """Read an Aiken file (text, or bytes that must be UTF-8) into a :class:`ParsedBank`.

    The file is refused as a whole with a :class:`FormatError` listing every problem with
    its 1-based line: an option or ``ANSWER:`` line before any question text, a question
    with fewer than 2 options, options not labelled A, B, C... in order, an empty option,
    an ``ANSWER:`` that names no option, a question that never gets its ``ANSWER:`` line
    (reported where the next question starts, or at the question at the end of the file),
    bytes that are not UTF-8, a file with no questions.
    """
    text = decode_text(data, kind="Aiken", source=source)
    problems: list[Problem] = []
    questions: list[ParsedQuestion] = []
    draft: _Draft | None = None
    for number, raw_line in enumerate(_LINE_BREAK.split(text), 1):
        line = php_trim(raw_line)
        if len(line.encode("utf-8")) < 2:
            continue
        option = _OPTION.match(line)
        if option:
            if draft is None:
                problems.append(Problem(number, "an option comes before any question text"))
                continue
            expected = chr(ord("A") + len(draft.options))
            if option.group(1) != expected:
                problems.append(
                    Problem(number, f"option {option.group(1)} found where {expected} was due")
                )
            option_text = php_trim(line[2:])
            if not option_text:
                problems.append(Problem(number, f"option {option.group(1)} is empty"))
            draft.options.append(option_text)
        elif line.startswith(_ANSWER):
            if draft is None:
                problems.append(Problem(number, "an ANSWER: line comes before any question text"))
                continue
            question = _finish(draft, line, number, problems)
            if question is not None:
                questions.append(question)
            draft = None
        else:
            if draft is not None:
                problems.append(
                    Problem(
                        number,
                        f"the question of line {draft.line} has no ANSWER: line before"
                        " the next question starts",
                    )
                )
            draft = _Draft(number, line)
    if draft is not None:
        problems.append(Problem(draft.line, "the question has no ANSWER: line"))
    if not questions and not problems:
        problems.append(Problem(1, "the file holds no questions"))
    if problems:
        raise FormatError(problems, source)
    return ParsedBank(tuple(questions), (), source)


def _finish(
    draft: _Draft, line: str, number: int, problems: list[Problem]
) -> ParsedQuestion | None:
    if len(draft.options) < 2:
        problems.append(Problem(number, "a question needs at least 2 options"))
        return None
    letter = php_trim(line[len(_ANSWER) :])[:1]
    right = ord(letter) - ord("A") if letter else -1
    if not 0 <= right < len(draft.options):
        last = chr(ord("A") + len(draft.options) - 1)
        problems.append(
            Problem(number, f"ANSWER: {letter or '(nothing)'} names no option (A to {last})")
        )
        return None
    answers = tuple(
        Answer(
            _html_escape(option),
            1.0 if index == right else 0.0,
            "",
            TextFormat.HTML,
            TextFormat.HTML,
        )
        for index, option in enumerate(draft.options)
    )
    return ParsedQuestion(
        qtype=QuestionType.MULTICHOICE,
        name=default_question_name(draft.text),
        text=_html_escape(draft.text),
        text_format=TextFormat.HTML,
        answers=answers,
        general_feedback_format=TextFormat.HTML,
        single=True,
        line=draft.line,
    )
