"""Moodle's GIFT question format: a reader with Moodle's parsing rules, and a writer.

:func:`read_gift` follows ``qformat_gift`` (``question/format/gift/format.php``) step by
step, so a file reads here as it reads in Moodle: the same questions, types, answers,
weights, tolerances, feedback, names and categories, including Moodle's quirks (a stray
``";`` after the answer block makes a missing-word question; an unescaped ``=`` inside
feedback starts a new answer; weights must be one of Moodle's grades, as with Moodle's
default "Match grades: error"). The file is refused as a whole, every problem listed
with its line (Moodle's default "Stop on error").

Where Moodle would import something silently wrong, the reader refuses instead: a second
answer block or a stray brace, a ``::name`` never closed, an empty answer, ``=%50%`` in a
multichoice (Moodle keeps ``%50%`` as text), a ``%...%`` that is not a weight, a
numerical answer that is not a number (Moodle turns it into ``*``), a negative tolerance
or reversed range, text between ``~`` and ``#`` or answers after the ``~#feedback`` of a
numerical question, a matching pair with nothing after ``->`` or fewer than two real
pairs, a question with no right answer, a description without text, a ``$CATEGORY:``
line that is empty or not followed by a blank line, an ``[id:...]`` or ``[tag:...]``
item that swallowed another (a missing ``]``). Small differences: a line holding only
``0`` is text (PHP's ``empty("0")`` makes it a separator in Moodle), a ``$CATEGORY:``
path is kept verbatim, a name made from the text has its white space collapsed, tags are
de-duplicated ignoring case. Not supported: question-type plugin syntax (such as the
ordering type's ``{>...}``), embedded files, and what GIFT has no syntax for (marks,
penalties, combined feedback, answer numbering).

:func:`write_gift` writes questions so that reading them back gives the same questions:
``read_gift(write_gift(qs)).questions == tuple(normalise_question(q) for q in qs)``, and
``normalise_question`` leaves alone every question the reader can produce. It is
deterministic, so export, import, export gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from lms.assessments.questions import (
    BLANK,
    GRADE_FRACTIONS,
    Answer,
    FormatError,
    MatchPair,
    ParsedBank,
    ParsedQuestion,
    Problem,
    QuestionType,
    TextFormat,
    clean_question_name,
    default_question_name,
    php_trim,
)

__all__ = [
    "MatchGrades",
    "decode_text",
    "format_number",
    "normalise_question",
    "read_gift",
    "write_gift",
]

#: What to do with a weight that is not one of Moodle's grades (Moodle's "Match grades"
#: import option): refuse the file, or use the nearest grade.
MatchGrades = Literal["error", "nearest"]

_UTF8_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# While a question is parsed, each escaped character (``\:`` ``\#`` ``\=`` ``\{`` ``\}``
# ``\~`` ``\n``) stands as a lone surrogate, which no decoded text can contain (the reader
# refuses them), so it can never be taken for syntax; ``\\`` becomes one backslash.
_ESCAPED = ":#={}~n"
_STAND_IN = {char: chr(0xD800 + index) for index, char in enumerate(_ESCAPED)}
_ESCAPE_IN = re.compile(r"\\([\\:#={}~n])")
_UNESCAPE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _STAND_IN.items()})
_ESCAPE_OUT = str.maketrans(
    {
        "\\": "\\\\",
        "#": "\\#",
        "=": "\\=",
        "~": "\\~",
        "{": "\\{",
        "}": "\\}",
        ":": "\\:",
        "\n": "\\n",
    }
)

_FORMATS = {fmt.value: fmt for fmt in TextFormat}
# Moodle's answer weight: ``%`` then (signs) one or two digits, a point, digits, ``%``.
_WEIGHT = re.compile(r"%(-*)([0-9]{1,2}\.?[0-9]*)%")
_WEIGHT_LIKE = re.compile(r"%[^%]*%")
# PHP's is_numeric() for a trimmed string, ASCII digits only.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY = "$CATEGORY:"
_CONTROL = "".join(map(chr, range(32))) + "\x7f"
_ID = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])*)\]")


# --- decoding -----------------------------------------------------------------------------


def decode_text(data: str | bytes, *, kind: str = "GIFT", source: str = "") -> str:
    """The text of an import file: UTF-8 only, a leading byte-order mark dropped.

    Bytes that are not UTF-8 (a file saved as Windows-1252, say) are refused with a
    :class:`FormatError` naming the line of the first bad byte. ``kind`` names the format in
    the message.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if raw.startswith(_UTF8_BOM):
            raw = raw[len(_UTF8_BOM) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            before = raw[: error.start].decode("utf-8", errors="replace")
            line = len(_LINE_BREAK.findall(before)) + 1
            message = (
                f"the file is not UTF-8 text (byte 0x{raw[error.start]:02X} cannot be read);"
                f" {kind} files must be saved with the UTF-8 encoding"
            )
            raise FormatError([Problem(line, message)], source) from None
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"expected str or bytes, not {type(data).__name__}")
    text = text.removeprefix("\ufeff")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line = len(_LINE_BREAK.findall(text, 0, error.start)) + 1
        message = (
            f"the text holds a lone surrogate (U+{ord(text[error.start]):04X});"
            " it is not valid Unicode"
        )
        raise FormatError([Problem(line, message)], source) from None
    return text


# --- small Moodle rules -------------------------------------------------------------------


def _unescape(text: str) -> str:
    return text.translate(_UNESCAPE)


def _escape_line(line: str) -> str:
    return _ESCAPE_IN.sub(lambda m: "\\" if m.group(1) == "\\" else _STAND_IN[m.group(1)], line)


def _with_format(raw: str, default: TextFormat) -> tuple[str, TextFormat]:
    """Moodle's parse_text_with_format: an optional ``[format]`` prefix, unescape, trim."""
    if raw.startswith("["):
        end = raw.find("]")
        if end != -1 and raw[1:end] in _FORMATS:
            return php_trim(_unescape(raw[end + 1 :])), _FORMATS[raw[1:end]]
    return php_trim(_unescape(raw)), default


def _match_grade(value: float, mode: MatchGrades) -> float | None:
    """Moodle's match_grade_options: the grade a weight stands for, or None if there is none."""
    if mode == "nearest":
        return min(GRADE_FRACTIONS, key=lambda grade: abs(grade - value))
    for grade in GRADE_FRACTIONS:
        if abs(grade - value) < 0.00001:
            return grade
    return None


def format_number(value: float) -> str:
    """A number as the writer puts it: integers without a point, others in shortest form.

    ``float(format_number(x)) == x`` for every finite x.
    """
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _format_weight(fraction: float) -> str:
    if not math.isfinite(fraction) or not -1 <= fraction <= 1:
        raise ValueError(f"weight {fraction!r} is outside -1..1")
    text = f"{round(fraction * 100, 5):.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _percent(fraction: float) -> str:
    return _format_weight(fraction) + "%"


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Category:
    path: str


@dataclass(slots=True)
class _Block:
    """One question's lines, joined with escapes replaced, and where they came from."""

    text: str
    first_line: int
    problems: list[Problem]
    grades: MatchGrades

    def line(self, position: int) -> int:
        return self.first_line + self.text.count("\n", 0, position)

    def error(self, position: int, message: str) -> None:
        self.problems.append(Problem(self.line(position), message))

    def question_error(self, question: ParsedQuestion, message: str) -> None:
        """A problem of the question as a whole, reported where the question starts."""
        self.problems.append(Problem(question.line, message))

    def trimmed(self, start: int, end: int) -> tuple[int, int]:
        """The bounds of text[start:end] without PHP white space at either end."""
        while start < end and self.text[start] in " \t\n\r\0\x0b":
            start += 1
        while end > start and self.text[end - 1] in " \t\n\r\0\x0b":
            end -= 1
        return start, end


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Groups of non-blank lines (trimmed), with the number of each group's first line."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        trimmed = php_trim(line)
        if trimmed:
            if not block:
                first = number
            block.append(trimmed)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _split(text: str, start: int, end: int, cut: str, keep: str = "") -> list[tuple[int, int]]:
    """Moodle's explode: split at each ``cut`` character (dropped) and before each ``keep``.

    A first piece that is blank is dropped, as Moodle does.
    """
    pieces = []
    begin = start
    for index in range(start, end):
        char = text[index]
        if char in cut:
            pieces.append((begin, index))
            begin = index + 1
        elif char in keep:
            pieces.append((begin, index))
            begin = index
    pieces.append((begin, end))
    if not php_trim(text[pieces[0][0] : pieces[0][1]]):
        pieces.pop(0)
    return pieces


def _mark_problem(value: str) -> str | None:
    """Why an idnumber or tag cannot travel in a GIFT comment, or None if it can."""
    if any(char in _CONTROL for char in value):
        return "holds a control character"
    if "[id:" in value or "[tag:" in value:
        return "holds '[id:' or '[tag:' (is a ']' missing?)"
    if value.endswith("\\"):
        return "ends with a backslash (is a ']' missing?)"
    return None


def _id_and_tags(
    first_line: int, lines: list[str], problems: list[Problem]
) -> tuple[str | None, tuple[str, ...]]:
    """The ``[id:...]`` and ``[tag:...]`` items of a question's comment lines.

    Moodle takes the first id and every tag; ``\\]`` stands for ``]``. An item that would
    not survive being written back (see :func:`_mark_problem`) is refused.
    """
    idnumber: str | None = None
    id_seen = False
    tags: list[str] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if not line.startswith("//"):
            continue
        found = None if id_seen else _ID.search(line)
        values = [(found.group(1), "the idnumber")] if found else []
        values += [(raw, "the tag") for raw in _TAG.findall(line)]
        for raw, what in values:
            value = php_trim(raw).replace("\\]", "]")
            problem = _mark_problem(value)
            if problem:
                problems.append(Problem(first_line + index, f"{what} {value!r} {problem}"))
            elif what == "the idnumber":
                id_seen = True
                idnumber = value or None
            elif value and value.casefold() not in seen:
                seen.add(value.casefold())
                tags.append(value)
    return idnumber, tuple(tags)


def _read_block(
    first_line: int, lines: list[str], problems: list[Problem], grades: MatchGrades
) -> ParsedQuestion | _Category | None:
    content = [" " if line.startswith("//") else _escape_line(line) for line in lines]
    block = _Block("\n".join(content), first_line, problems, grades)
    start, end = block.trimmed(0, len(block.text))
    if start == end:
        return None
    text = block.text
    if text.startswith(_CATEGORY, start):
        return _read_category(block, lines, start)

    qline = block.line(start)
    name: str | None = None
    if text.startswith("::", start):
        close = text.find("::", start + 2, end)
        if close == -1:
            block.error(start, "the question name is not closed: '::' is missing after it")
            return None
        name = clean_question_name(_unescape(text[start + 2 : close]))
        start, end = block.trimmed(close + 2, end)

    opens = [i for i in range(start, end) if text[i] == "{"]
    closes = [i for i in range(start, end) if text[i] == "}"]
    if opens and not closes:
        block.error(opens[0], "'{' is never closed: the answer block needs a '}'")
        return None
    if closes and not opens:
        block.error(closes[0], "'}' has no '{' before it (write \\} for a literal brace)")
        return None
    if closes and closes[0] < opens[0]:
        block.error(closes[0], "'}' comes before the '{' of the answer block")
        return None
    if len(opens) > 1 or len(closes) > 1:
        extra = opens[1] if len(opens) > 1 else closes[1]
        block.error(
            extra,
            "a question has one answer block {...}; write \\{ and \\} for literal braces",
        )
        return None

    idnumber, tags = _id_and_tags(first_line, lines, problems)
    if not opens:
        question_text, text_format = _with_format(text[start:end], TextFormat.MOODLE)
        if not question_text:
            block.error(start, "the question has no text")
            return None
        return ParsedQuestion(
            qtype=QuestionType.DESCRIPTION,
            name=name or default_question_name(question_text),
            text=question_text,
            text_format=text_format,
            general_feedback_format=text_format,
            idnumber=idnumber,
            tags=tags,
            line=qline,
        )

    block_start, block_end = opens[0], closes[0]
    before_raw = text[start:block_start]
    after_raw = text[block_end + 1 : end]
    question_text, text_format, blank_offset = _question_text(before_raw, after_raw)

    answer_start, answer_end = block.trimmed(block_start + 1, block_end)
    general_feedback, general_format = "", text_format
    separator = text.rfind("####", answer_start, answer_end)
    if separator != -1:
        general_feedback, general_format = _with_format(
            php_trim(text[separator + 4 : answer_end]), text_format
        )
        answer_start, answer_end = block.trimmed(answer_start, separator)

    question = ParsedQuestion(
        qtype=QuestionType.ESSAY,
        name=name or default_question_name(question_text),
        text=question_text,
        text_format=text_format,
        general_feedback=general_feedback,
        general_feedback_format=general_format,
        blank_offset=blank_offset,
        idnumber=idnumber,
        tags=tags,
        line=qline,
    )
    answers = text[answer_start:answer_end]
    before = len(problems)
    if not answers:
        return question
    if answers[0] == "#":
        result = _read_numerical(block, question, answer_start + 1, answer_end)
    elif "~" in answers:
        result = _read_multichoice(block, question, answer_start, answer_end)
    elif "=" in answers and "->" in answers:
        result = _read_matching(block, question, answer_start, answer_end)
    else:
        check = answers
        hash_at = answers.find("#")
        if hash_at > 0:
            check = php_trim(answers[:hash_at])
        if check in _TRUEFALSE:
            result = _read_truefalse(block, question, answer_start, answer_end)
        else:
            result = _read_shortanswer(block, question, answer_start, answer_end)
    return result if len(problems) == before else None


def _read_category(block: _Block, lines: list[str], start: int) -> _Category | None:
    index = block.text.count("\n", 0, start)
    for later in range(index + 1, len(lines)):
        if not lines[later].startswith("//"):
            block.problems.append(
                Problem(
                    block.first_line + later,
                    "a $CATEGORY: line stands alone: put a blank line after it",
                )
            )
            break
    path = php_trim(lines[index][len(_CATEGORY) :])
    if not path:
        block.error(start, "the $CATEGORY: line names no category")
        return None
    return _Category(path)


def _question_text(before_raw: str, after_raw: str) -> tuple[str, TextFormat, int | None]:
    """The question text around the answer block, Moodle's way.

    Text after the block makes a missing-word question: the block becomes :data:`BLANK`.
    The format prefix and the trimming apply to the text as a whole.
    """
    prefix = 0
    text_format = TextFormat.MOODLE
    composite = before_raw + (BLANK + after_raw if after_raw else "")
    if composite.startswith("["):
        close = composite.find("]")
        if close != -1 and composite[1:close] in _FORMATS:
            text_format = _FORMATS[composite[1:close]]
            prefix = close + 1
    if not after_raw:
        return php_trim(_unescape(before_raw[prefix:])), text_format, None
    before = _unescape(before_raw[prefix:]).lstrip(" \t\n\r\0\x0b")
    after = _unescape(after_raw).rstrip(" \t\n\r\0\x0b")
    return before + BLANK + after, text_format, len(before)


def _piece(block: _Block, start: int, end: int) -> tuple[str, int]:
    """A piece of an answer block, trimmed, and where it starts (its marker if empty)."""
    first, last = block.trimmed(start, end)
    return block.text[first:last], first if first < last else start


def _take_weight(block: _Block, raw: str, position: int) -> tuple[float | None, str, bool]:
    """A leading ``%weight%`` of an answer: (fraction or None if absent, rest, ok)."""
    found = _WEIGHT.match(raw)
    if found is None:
        attempt = _WEIGHT_LIKE.match(raw)
        if attempt:
            block.error(
                position,
                f"{attempt.group(0)!r} is not a weight: write a percentage such as %50%"
                " or %-33.33333%",
            )
            return None, raw, False
        return None, raw, True
    signs, number = found.groups()
    if len(signs) > 1:
        block.error(position, f"{found.group(0)!r} is not a weight: use one minus sign")
        return None, raw, False
    value = float(number) / 100 * (-1 if signs else 1)
    grade = _match_grade(value, block.grades)
    if grade is None:
        block.error(
            position,
            f"the weight {found.group(0)} is not one of Moodle's grades"
            " (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,"
            " 16.66667, 14.28571, 12.5, 11.11111, 10, 5 or 0 per cent, or minus one of them)",
        )
        return None, raw, False
    return grade, raw[found.end() :], True


def _comment(raw: str, default: TextFormat) -> tuple[str, TextFormat, str, TextFormat]:
    """Moodle's commentparser: ``answer#feedback``, each with an optional format prefix."""
    head, hash_sign, tail = raw.partition("#")
    text, text_format = _with_format(php_trim(head), default)
    if not hash_sign:
        return text, text_format, "", default
    feedback, feedback_format = _with_format(php_trim(tail), default)
    return text, text_format, feedback, feedback_format


def _read_multichoice(
    block: _Block, question: ParsedQuestion, start: int, end: int
) -> ParsedQuestion:
    single = "=" in block.text[start:end]
    answers: list[Answer] = []
    pieces = _split(block.text, start, end, cut="~", keep="=")
    qformat = question.text_format
    for piece_start, piece_end in pieces:
        raw, position = _piece(block, piece_start, piece_end)
        fraction: float | None = 0.0
        if raw.startswith("="):
            raw = raw[1:]
            fraction = 1.0
            if _WEIGHT_LIKE.match(php_trim(raw)):
                block.error(
                    position,
                    "in a multiple-choice question a weight follows '~', not '='"
                    " (write ~%50%answer)",
                )
                continue
        elif raw.startswith("%"):
            fraction, raw, ok = _take_weight(block, raw, position)
            if not ok:
                continue
            fraction = fraction if fraction is not None else 0.0
        text, text_format, feedback, feedback_format = _comment(raw, qformat)
        if not text:
            block.error(position, "an answer is empty")
            continue
        answers.append(Answer(text, fraction, feedback, text_format, feedback_format))
    if len(pieces) < 2:
        block.question_error(question, "a multiple-choice question needs at least 2 answers")
    elif len(answers) == len(pieces) and not single:
        total = round(sum(a.fraction for a in answers if a.fraction > 0), 2)
        if total != 1:
            block.question_error(
                question,
                f"no right answer: the positive weights add up to {format_number(total * 100)}%"
                " but must add up to 100% (or mark the one right answer with '=')",
            )
    return replace(question, qtype=QuestionType.MULTICHOICE, answers=tuple(answers), single=single)


def _read_matching(block: _Block, question: ParsedQuestion, start: int, end: int) -> ParsedQuestion:
    pairs: list[MatchPair] = []
    pieces = _split(block.text, start, end, cut="=")
    for piece_start, piece_end in pieces:
        raw, position = _piece(block, piece_start, piece_end)
        arrow = raw.find("->")
        if arrow == -1:
            block.error(position, "a matching pair needs '->' between the item and its match")
            continue
        left, left_format = _with_format(raw[:arrow], question.text_format)
        right = php_trim(_unescape(raw[arrow + 2 :]))
        if not right:
            block.error(position, "a matching pair has nothing after '->'")
            continue
        pairs.append(MatchPair(left, right, left_format))
    if len([pair for pair in pairs if not pair.is_distractor]) < 2 and len(pairs) == len(pieces):
        block.question_error(
            question,
            "a matching question needs at least 2 pairs (a distractor '= -> choice' does not"
            " count)",
        )
    return replace(question, qtype=QuestionType.MATCHING, pairs=tuple(pairs))


def _read_truefalse(
    block: _Block, question: ParsedQuestion, start: int, end: int
) -> ParsedQuestion:
    qformat = question.text_format
    bits = block.text[start:end].split("#", 2)
    keyword, _ = _with_format(php_trim(bits[0]), qformat)
    wrong = _with_format(php_trim(bits[1]), qformat) if len(bits) > 1 else ("", qformat)
    right = _with_format(php_trim(bits[2]), qformat) if len(bits) > 2 else ("", qformat)
    correct = _TRUEFALSE[keyword]
    true_feedback, false_feedback = (right, wrong) if correct else (wrong, right)
    answers = (
        Answer("True", 1.0 if correct else 0.0, true_feedback[0], TextFormat.MOODLE,
               true_feedback[1]),
        Answer("False", 0.0 if correct else 1.0, false_feedback[0], TextFormat.MOODLE,
               false_feedback[1]),
    )  # fmt: skip
    return replace(question, qtype=QuestionType.TRUEFALSE, answers=answers)


def _read_shortanswer(
    block: _Block, question: ParsedQuestion, start: int, end: int
) -> ParsedQuestion:
    answers: list[Answer] = []
    pieces = _split(block.text, start, end, cut="=")
    for piece_start, piece_end in pieces:
        raw, position = _piece(block, piece_start, piece_end)
        fraction, raw, ok = _take_weight(block, raw, position)
        if not ok:
            continue
        text, _, feedback, feedback_format = _comment(raw, question.text_format)
        if not text:
            block.error(position, "an answer is empty")
            continue
        answers.append(
            Answer(text, 1.0 if fraction is None else fraction, feedback, TextFormat.MOODLE,
                   feedback_format)
        )  # fmt: skip
    if not pieces:
        block.question_error(question, "a short-answer question needs at least 1 answer")
    elif len(answers) == len(pieces) and max(a.fraction for a in answers) != 1:
        block.question_error(question, "no right answer: one answer must be worth 100%")
    return replace(question, qtype=QuestionType.SHORTANSWER, answers=tuple(answers))


def _number(block: _Block, text: str, position: int, what: str) -> float | None:
    if not _NUMBER.fullmatch(text):
        block.error(position, f"{what} {_unescape(text)!r} is not a number")
        return None
    value = float(text)
    if not math.isfinite(value):
        block.error(position, f"{what} {text!r} is too large")
        return None
    return value


def _read_numerical(
    block: _Block, question: ParsedQuestion, start: int, end: int
) -> ParsedQuestion:
    text = block.text
    qformat = question.text_format
    tilde = text.find("~", start, end)
    other: tuple[int, int] | None = None
    if tilde != -1:
        other = (tilde + 1, end)
        end = tilde
    answers: list[Answer] = []
    pieces = _split(text, start, end, cut="=")
    if not pieces:
        block.question_error(question, "a numerical question needs at least 1 answer after '#'")
    for piece_start, piece_end in pieces:
        raw, position = _piece(block, piece_start, piece_end)
        fraction, raw, ok = _take_weight(block, raw, position)
        if not ok:
            continue
        value_text, _, feedback, feedback_format = _comment(raw, qformat)
        answer = _numerical_answer(block, value_text, position)
        if answer is not None:
            answers.append(
                replace(
                    answer,
                    fraction=1.0 if fraction is None else fraction,
                    feedback=feedback,
                    feedback_format=feedback_format,
                )
            )
    if other is not None:
        raw, position = _piece(block, *other)
        head, hash_sign, tail = raw.partition("#")
        if php_trim(head):
            block.error(
                position,
                "in a numerical question '~' only brings feedback for any other answer:"
                " write ~#feedback",
            )
        elif "=" in tail or "~" in tail:
            block.error(position, "the ~#feedback part must come last in a numerical question")
        else:
            feedback, feedback_format = (
                _with_format(php_trim(tail), qformat) if hash_sign else ("", qformat)
            )
            answers.append(Answer("*", 0.0, feedback, TextFormat.MOODLE, feedback_format))
    complete = pieces and len(answers) == len(pieces) + (other is not None)
    if complete and max(a.fraction for a in answers) != 1:
        block.question_error(question, "no right answer: one answer must be worth 100%")
    return replace(question, qtype=QuestionType.NUMERICAL, answers=tuple(answers))


def _numerical_answer(block: _Block, value_text: str, position: int) -> Answer | None:
    """``value``, ``value:tolerance``, ``min..max`` or ``*``, as Moodle reads them."""
    range_at = value_text.find("..")
    colon_at = value_text.find(":")
    if range_at > 0:
        low = _number(block, php_trim(value_text[:range_at]), position, "the minimum")
        high = _number(block, php_trim(value_text[range_at + 2 :]), position, "the maximum")
        if low is None or high is None:
            return None
        if low > high:
            block.error(position, f"the range {value_text!r} has its minimum above its maximum")
            return None
        middle = (low + high) / 2
        if not math.isfinite(middle):
            block.error(position, f"the range {value_text!r} is too large")
            return None
        return Answer(format_number(middle), 1.0, tolerance=high - middle)
    if colon_at > 0:
        value_text, tolerance_text = (
            php_trim(value_text[:colon_at]),
            php_trim(value_text[colon_at + 1 :]),
        )
    else:
        tolerance_text = ""
    if value_text == "*":
        if tolerance_text:
            block.error(position, "the catch-all answer '*' takes no tolerance")
            return None
        return Answer("*", 1.0)
    value = _number(block, value_text, position, "the answer")
    tolerance = _number(block, tolerance_text, position, "the tolerance") if tolerance_text else 0.0
    if value is None or tolerance is None:
        return None
    if tolerance < 0:
        block.error(position, f"the tolerance {tolerance_text!r} is negative")
        return None
    return Answer(value_text, 1.0, tolerance=tolerance)


def read_gift(
    data: str | bytes, *, source: str = "", match_grades: MatchGrades = "error"
) -> ParsedBank:
    """Read a GIFT file (text, or bytes that must be UTF-8) into a :class:`ParsedBank`.

    The file is refused as a whole with a :class:`FormatError` listing every problem, each
    with the 1-based line of the offending question or answer: bytes that are not UTF-8,
    an answer block never closed (or a stray brace), a missing ``::`` after a name, too few
    answers or pairs for the type, a question with no right answer, an empty answer, a
    numerical answer or tolerance that is not a number, a weight that is not one of
    Moodle's grades (unless ``match_grades="nearest"``, which picks the nearest grade as
    Moodle's option of that name does), a file with no questions.

    ``source`` names the file in the bank and the error.
    """
    text = decode_text(data, kind="GIFT", source=source)
    problems: list[Problem] = []
    questions: list[ParsedQuestion] = []
    categories: list[str] = []
    category: str | None = None
    for first_line, lines in _blocks(_LINE_BREAK.split(text)):
        item = _read_block(first_line, lines, problems, match_grades)
        if isinstance(item, _Category):
            category = item.path
            if category not in categories:
                categories.append(category)
        elif item is not None:
            questions.append(replace(item, category=category))
    if not questions and not categories and not problems:
        problems.append(Problem(1, "the file holds no questions"))
    if problems:
        raise FormatError(problems, source)
    return ParsedBank(tuple(questions), tuple(categories), source)


# --- normalising and writing --------------------------------------------------------------


def _lines_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(text: str) -> str:
    return php_trim(_lines_to_lf(text))


def normalise_question(question: ParsedQuestion) -> ParsedQuestion:
    """The question as it reads back after :func:`write_gift`: what GIFT cannot represent.

    Texts lose white space at both ends and CR line ends become LF (the reader trims every
    text and splits lines); a name is cleaned as Moodle does (tags dropped, trimmed,
    capped at 255) and derived from the text when it ends up empty; answers of short-answer,
    numerical and true/false questions have the ``moodle`` text format (GIFT has no place
    for another); the ``*`` numerical answer has no tolerance and other numerical answers
    at least 0.0; a description keeps no general feedback, answers or blank; ``single`` is
    True but for multichoice; answers belong to their types only (no pairs outside
    matching); the idnumber is trimmed (empty means none); tags are trimmed, and empty or
    repeated ones (ignoring case) dropped. Every question the reader produces is left equal.
    """
    qtype = question.qtype
    text_format = question.text_format
    blank_offset = question.blank_offset
    if blank_offset is not None and qtype is not QuestionType.DESCRIPTION:
        before = _lines_to_lf(question.text[:blank_offset]).lstrip(" \t\n\r\0\x0b")
        after = _lines_to_lf(question.text[blank_offset + len(BLANK) :]).rstrip(" \t\n\r\0\x0b")
        text = before + BLANK + after
        blank_offset = len(before)
    else:
        text = _clean(question.text)
        blank_offset = None

    answers: tuple[Answer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    if qtype is QuestionType.MULTICHOICE:
        answers = tuple(
            replace(a, text=_clean(a.text), feedback=_clean(a.feedback), tolerance=None)
            for a in question.answers
        )
    elif qtype in (QuestionType.SHORTANSWER, QuestionType.TRUEFALSE):
        answers = tuple(
            replace(
                a,
                text=_clean(a.text),
                feedback=_clean(a.feedback),
                text_format=TextFormat.MOODLE,
                tolerance=None,
            )
            for a in question.answers
        )
    elif qtype is QuestionType.NUMERICAL:
        answers = tuple(
            replace(
                a,
                text=_clean(a.text),
                feedback=_clean(a.feedback),
                text_format=TextFormat.MOODLE,
                tolerance=None if _clean(a.text) == "*" else (a.tolerance or 0.0),
            )
            for a in question.answers
        )
    elif qtype is QuestionType.MATCHING:
        pairs = tuple(
            replace(p, left=_clean(p.left), right=_clean(p.right)) for p in question.pairs
        )

    general_feedback = _clean(question.general_feedback)
    general_format = question.general_feedback_format
    if qtype is QuestionType.DESCRIPTION:
        general_feedback, general_format = "", text_format

    tags: list[str] = []
    seen: set[str] = set()
    for tag in question.tags:
        tag = php_trim(tag)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)

    return replace(
        question,
        name=clean_question_name(_lines_to_lf(question.name)) or default_question_name(text),
        text=text,
        answers=answers,
        pairs=pairs,
        general_feedback=general_feedback,
        general_feedback_format=general_format,
        single=question.single if qtype is QuestionType.MULTICHOICE else True,
        blank_offset=blank_offset,
        category=None if question.category is None else php_trim(question.category),
        idnumber=php_trim(question.idnumber or "") or None,
        tags=tuple(tags),
    )


def _escape(text: str) -> str:
    return text.translate(_ESCAPE_OUT)


def _text(text: str, text_format: TextFormat, default: TextFormat) -> str:
    """A text with its format prefix when it differs from the default, or when the text
    itself starts with ``[`` or ``%`` (which the reader would take for a prefix or weight)."""
    prefix = ""
    if text_format != default or text.startswith(("[", "%")):
        prefix = f"[{text_format}]"
    return prefix + _escape(text)


def _feedback(text: str, text_format: TextFormat, default: TextFormat, mark: str = "#") -> str:
    if not text and text_format == default:
        return ""
    return mark + _text(text, text_format, default)


def _check_mark(value: str, what: str) -> None:
    problem = _mark_problem(value)
    if problem:
        raise ValueError(f"{what} {value!r} {problem}: GIFT comments cannot carry it")


def _metadata_comment(question: ParsedQuestion) -> str:
    items = []
    if question.idnumber:
        _check_mark(question.idnumber, "idnumber")
        items.append("[id:" + question.idnumber.replace("]", "\\]") + "]")
    for tag in question.tags:
        _check_mark(tag, "tag")
        if any(char in "<>`" for char in tag):
            raise ValueError(f"tag {tag!r} holds <, > or `, which GIFT comments cannot carry")
        items.append("[tag:" + tag.replace("]", "\\]") + "]")
    return "// " + " ".join(items) if items else ""


def _general_feedback_line(question: ParsedQuestion) -> list[str]:
    written = _feedback(
        question.general_feedback,
        question.general_feedback_format,
        question.text_format,
        mark="####",
    )
    return ["\t" + written] if written else []


def _multichoice_block(question: ParsedQuestion) -> str:
    qformat = question.text_format
    answers = question.answers
    if question.single and not any(a.fraction == 1 for a in answers):
        raise ValueError(
            f"question {question.name!r}: a single-answer multichoice needs an answer worth"
            " 100% (GIFT marks it with '=')"
        )
    # A multichoice needs a '~' somewhere; when every answer is right, only the first gets '='.
    all_right = all(a.fraction == 1 for a in answers)
    lines = []
    marked = False
    for answer in answers:
        if question.single and answer.fraction == 1 and not (all_right and marked):
            mark = "="
            marked = True
        elif answer.fraction == 0:
            mark = "~"
        else:
            mark = "~%" + _percent(answer.fraction)
        lines.append(
            "\t"
            + mark
            + _text(answer.text, answer.text_format, qformat)
            + _feedback(answer.feedback, answer.feedback_format, qformat)
        )
    return "{\n" + "\n".join([*lines, *_general_feedback_line(question)]) + "\n}"


def _shortanswer_block(question: ParsedQuestion) -> str:
    qformat = question.text_format
    answers = question.answers
    if any("->" in a.text or "->" in a.feedback for a in answers):
        # '=' and '->' together make a matching question; one full-mark answer needs no '='.
        if len(answers) != 1 or answers[0].fraction != 1:
            raise ValueError(
                f"question {question.name!r}: GIFT cannot write '->' in a short answer or its"
                " feedback unless it is the only answer (it would read as a matching question)"
            )
        answer = answers[0]
        return (
            "{"
            + _text(answer.text, qformat, qformat)
            + _feedback(answer.feedback, answer.feedback_format, qformat)
            + _feedback(
                question.general_feedback,
                question.general_feedback_format,
                qformat,
                mark="####",
            )
            + "}"
        )
    lines = []
    for answer in answers:
        weight = "" if answer.fraction == 1 else "%" + _percent(answer.fraction)
        lines.append(
            "\t="
            + weight
            + _text(answer.text, qformat, qformat)
            + _feedback(answer.feedback, answer.feedback_format, qformat)
        )
    return "{\n" + "\n".join([*lines, *_general_feedback_line(question)]) + "\n}"


def _numerical_block(question: ParsedQuestion) -> str:
    qformat = question.text_format
    lines = []
    last = len(question.answers) - 1
    for index, answer in enumerate(question.answers):
        feedback = _feedback(answer.feedback, answer.feedback_format, qformat)
        weight = "" if answer.fraction == 1 else "%" + _percent(answer.fraction)
        if answer.text == "*":
            if index == last and answer.fraction == 0:
                lines.append("\t~" + feedback)
            else:
                lines.append("\t=" + weight + "*" + feedback)
        else:
            tolerance = format_number(answer.tolerance or 0.0)
            lines.append("\t=" + weight + _escape(answer.text) + ":" + tolerance + feedback)
    return "{#\n" + "\n".join([*lines, *_general_feedback_line(question)]) + "\n}"


def _matching_block(question: ParsedQuestion) -> str:
    qformat = question.text_format
    lines = []
    for pair in question.pairs:
        if "->" in pair.left:
            raise ValueError(
                f"question {question.name!r}: GIFT cannot write '->' in a matching item"
            )
        lines.append(
            "\t=" + _text(pair.left, pair.left_format, qformat) + " -> " + _escape(pair.right)
        )
    return "{\n" + "\n".join([*lines, *_general_feedback_line(question)]) + "\n}"


def _truefalse_block(question: ParsedQuestion) -> str:
    qformat = question.text_format
    if len(question.answers) != 2:
        raise ValueError(
            f"question {question.name!r}: a true/false question has two answers, True and False"
        )
    true_answer, false_answer = question.answers
    if true_answer.fraction == 1:
        out, right, wrong = "TRUE", true_answer, false_answer
    else:
        out, right, wrong = "FALSE", false_answer, true_answer
    wrong_text = _feedback(wrong.feedback, wrong.feedback_format, qformat)
    right_text = _feedback(right.feedback, right.feedback_format, qformat)
    if wrong_text:
        out += wrong_text
    elif right_text:
        out += "#"
    out += right_text
    out += _feedback(
        question.general_feedback, question.general_feedback_format, qformat, mark="####"
    )
    return "{" + out + "}"


def _essay_block(question: ParsedQuestion) -> str:
    general = _feedback(
        question.general_feedback,
        question.general_feedback_format,
        question.text_format,
        mark="####",
    )
    return "{" + general + "}"


_BLOCK_WRITERS = {
    QuestionType.MULTICHOICE: _multichoice_block,
    QuestionType.SHORTANSWER: _shortanswer_block,
    QuestionType.NUMERICAL: _numerical_block,
    QuestionType.MATCHING: _matching_block,
    QuestionType.TRUEFALSE: _truefalse_block,
    QuestionType.ESSAY: _essay_block,
}


def _write_question(question: ParsedQuestion) -> str:
    lines = []
    comment = _metadata_comment(question)
    if comment:
        lines.append(comment)
    head = "::" + _escape(question.name) + "::"
    if question.qtype is QuestionType.DESCRIPTION:
        lines.append(head + _text(question.text, question.text_format, TextFormat.MOODLE))
        return "\n".join(lines)
    block = _BLOCK_WRITERS[question.qtype](question)
    if question.blank_offset is None:
        before, after = question.text, ""
    else:
        before = question.text[: question.blank_offset]
        after = question.text[question.blank_offset + len(BLANK) :]
        # Text after the block is what makes a missing-word question; when the blank ends
        # the text, an escaped line break (which the reader trims away) plays that part.
        after = _escape(after) if after else "\\n"
    lines.append(head + _text(before, question.text_format, TextFormat.MOODLE) + block + after)
    return "\n".join(lines)


def _check_category(path: str) -> None:
    if not path or "\n" in path or "\r" in path:
        raise ValueError(f"category {path!r} cannot be written: it must be one non-empty line")


def write_gift(bank_or_questions: ParsedBank | Iterable[ParsedQuestion]) -> str:
    """Write questions as GIFT text, ready to save as UTF-8.

    Each question is normalised first (:func:`normalise_question`) and written with its
    ``// [id:...] [tag:...]`` comment when it has an idnumber or tags, its ``::name::``,
    its text and answer block, every special character escaped; a ``$CATEGORY:`` line
    comes before each change of category. Questions are separated by a blank line and the
    text ends with a line break. The same input always gives the same text.

    A bank's categories that no question uses are written too, so they read back.
    Raises ValueError for what GIFT cannot carry: a question without a category after one
    with a category (GIFT cannot switch back to the default category), a category that is
    empty or spans lines, '->' in a short answer or a matching item, a single-answer
    multichoice without a 100% answer, a weight outside -1..1, an idnumber or tag with a
    control character (or that would be misread in a comment).
    """
    if isinstance(bank_or_questions, ParsedBank):
        questions = [normalise_question(q) for q in bank_or_questions.questions]
        declared = [php_trim(path) for path in bank_or_questions.categories]
    else:
        questions = [normalise_question(q) for q in bank_or_questions]
        declared = []
    categories: list[str] = []
    for path in [*declared, *(q.category for q in questions if q.category is not None)]:
        _check_category(path)
        if path not in categories:
            categories.append(path)
    used: list[str] = []
    seen_category = False
    for question in questions:
        if question.category is None:
            if seen_category:
                raise ValueError(
                    f"question {question.name!r} has no category but follows questions with"
                    " one: GIFT cannot switch back to the default category"
                )
            continue
        seen_category = True
        if question.category not in used:
            used.append(question.category)
    natural = used + [path for path in categories if path not in used]
    # When the questions alone would list the categories in another order (or the bank
    # names categories before the ones its first questions use), name them all up front.
    preamble = categories if natural != categories else []

    blocks: list[str] = []
    current: str | None = None
    for question in questions:
        if question.category is not None:
            for path in preamble:
                blocks.append(f"{_CATEGORY} {path}")
                current = path
            preamble = []
            if question.category != current:
                blocks.append(f"{_CATEGORY} {question.category}")
                current = question.category
        blocks.append(_write_question(question))
    if natural == categories:
        # Categories no question uses come last, so they read back in the same order.
        blocks.extend(f"{_CATEGORY} {path}" for path in categories if path not in used)
    return "".join(block + "\n\n" for block in blocks)[:-1] if blocks else ""
