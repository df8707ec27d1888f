"""The data model of imported questions, shared by the GIFT and Aiken readers.

Pure and immutable: frozen dataclasses, no Flask, no database. A reader turns a file into a
:class:`ParsedBank`; the GIFT writer turns one back into text. Fractions (answer weights) are
floats in -1..1 as Moodle stores them: 1.0 is full marks, 0.5 half, -1.0 minus full marks.

The helpers at the bottom (:func:`php_trim`, :func:`clean_question_name`,
:func:`default_question_name`) reproduce the small text rules Moodle applies on import, so
that both readers name and trim questions the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "BLANK",
    "DEFAULT_QUESTION_NAME",
    "GRADE_FRACTIONS",
    "Answer",
    "FormatError",
    "MatchPair",
    "ParsedBank",
    "ParsedQuestion",
    "Problem",
    "QuestionType",
    "TextFormat",
    "clean_question_name",
    "default_question_name",
    "php_trim",
]

#: What Moodle puts where the answer block of a missing-word question was.
BLANK = "_____"

#: The name Moodle gives a question whose name and text are both empty.
DEFAULT_QUESTION_NAME = "Question name"

_POSITIVE_GRADES = (
    1.0,
    0.9,
    0.8333333,
    0.8,
    0.75,
    0.7,
    0.6666667,
    0.6,
    0.5,
    0.4,
    0.3333333,
    0.3,
    0.25,
    0.2,
    0.1666667,
    0.1428571,
    0.125,
    0.1111111,
    0.1,
    0.05,
)

#: The answer grades Moodle accepts on import (``question_bank::fraction_options_full``):
#: none, the positive list from 100% down to 5%, then the same negated.
GRADE_FRACTIONS: tuple[float, ...] = (
    0.0,
    *_POSITIVE_GRADES,
    *(-grade for grade in _POSITIVE_GRADES),
)


class QuestionType(StrEnum):
    """The question types GIFT can express (Moodle's ``match`` is called ``matching`` here)."""

    MULTICHOICE = "multichoice"
    TRUEFALSE = "truefalse"
    SHORTANSWER = "shortanswer"
    NUMERICAL = "numerical"
    MATCHING = "matching"
    ESSAY = "essay"
    DESCRIPTION = "description"


class TextFormat(StrEnum):
    """How a piece of text is to be rendered; GIFT writes it as a ``[name]`` prefix."""

    MOODLE = "moodle"
    HTML = "html"
    PLAIN = "plain"
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of a multichoice, true/false, short-answer or numerical question.

    ``text`` is the answer as the student sees it (multichoice), the accepted response
    (short answer, ``*`` matches anything), the number as written (numerical, ``*`` is the
    catch-all written ``~#feedback`` in GIFT) or ``True``/``False`` (true/false).
    ``text_format`` only carries meaning for multichoice; Moodle stores the other types'
    answers as plain strings and the readers set it to ``moodle`` for them.
    ``tolerance`` is set for numerical answers only: the accepted error (0.0 for an exact
    answer; ``None`` for the ``*`` catch-all).
    """

    text: str
    fraction: float
    feedback: str = ""
    text_format: TextFormat = TextFormat.MOODLE
    feedback_format: TextFormat = TextFormat.MOODLE
    tolerance: float | None = None


@dataclass(frozen=True, slots=True)
class MatchPair:
    """One line of a matching question: the item ``left`` goes with the choice ``right``.

    A pair with an empty ``left`` is a distractor: an extra wrong choice.
    """

    left: str
    right: str
    left_format: TextFormat = TextFormat.MOODLE

    @property
    def is_distractor(self) -> bool:
        """True for an extra wrong choice (a pair without an item on the left)."""
        return self.left == ""


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """A question as read from a file, before it is stored anywhere.

    ``answers`` holds the answers of multichoice, true/false (always two: ``True`` then
    ``False``), short-answer and numerical questions; ``pairs`` the pairs of a matching
    question. ``single`` is Moodle's multichoice flag: True when one answer is right (GIFT
    marks it with ``=``), False when several answers carry weights (only ``~%n%``); other
    types leave it True.

    A missing-word question (text after the answer block) has ``blank_offset`` set: the
    index in ``text`` of the :data:`BLANK` Moodle shows where the answer block was.
    ``text_before_blank`` and ``text_after_blank`` give the two sides.

    ``category`` is the path of the last ``$CATEGORY:`` line before the question (None
    before any). ``line`` is where the question starts in its file, for messages; it takes
    no part in comparisons.
    """

    qtype: QuestionType
    name: str
    text: str
    text_format: TextFormat = TextFormat.MOODLE
    answers: tuple[Answer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    general_feedback: str = ""
    general_feedback_format: TextFormat = TextFormat.MOODLE
    single: bool = True
    blank_offset: int | None = None
    category: str | None = None
    idnumber: str | None = None
    tags: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        for name in ("answers", "pairs", "tags"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))
        offset = self.blank_offset
        if offset is not None and (offset < 0 or self.text[offset : offset + len(BLANK)] != BLANK):
            raise ValueError(f"blank_offset {offset} does not point at {BLANK!r} in the text")

    @property
    def is_missing_word(self) -> bool:
        """True when the answer block stood inside the text (a blank replaces it)."""
        return self.blank_offset is not None

    @property
    def text_before_blank(self) -> str | None:
        """The text before the blank of a missing-word question (None otherwise)."""
        if self.blank_offset is None:
            return None
        return self.text[: self.blank_offset]

    @property
    def text_after_blank(self) -> str | None:
        """The text after the blank of a missing-word question (None otherwise)."""
        if self.blank_offset is None:
            return None
        return self.text[self.blank_offset + len(BLANK) :]

    @property
    def correct_answer(self) -> bool | None:
        """For a true/false question, whether the right answer is True (None otherwise)."""
        if self.qtype is not QuestionType.TRUEFALSE or not self.answers:
            return None
        return self.answers[0].fraction == 1


@dataclass(frozen=True, slots=True)
class ParsedBank:
    """What a reader found in one file: the questions in file order, and every category.

    ``categories`` lists each ``$CATEGORY:`` path once, in order of first appearance
    (including a category no question follows). ``source`` names the file, for messages.
    """

    questions: tuple[ParsedQuestion, ...] = ()
    categories: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", _as_tuple(self.questions))
        object.__setattr__(self, "categories", _as_tuple(self.categories))


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file was refused, at a 1-based line number."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class FormatError(Exception):
    """A file was refused as a whole; ``problems`` lists every reason found, by line."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda problem: problem.line)
        )
        self.source = source
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# --- Moodle's small text rules ------------------------------------------------------------

#: The characters PHP's trim() removes; Moodle trims with it, not with Unicode whitespace.
PHP_WHITESPACE = " \t\n\r\0\x0b"

_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
_NAME_LIMIT = 255
_DERIVED_NAME_LIMIT = 80


def php_trim(text: str) -> str:
    """Strip what PHP's trim() strips (ASCII spaces, tabs, line ends, NUL, vertical tab)."""
    return text.strip(PHP_WHITESPACE)


def _strip_tags(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _TAG.sub("", text)
    return text


def clean_question_name(name: str) -> str:
    """Clean a name the way Moodle does on import: drop HTML tags, trim, cap at 255.

    Idempotent: a cleaned name cleans to itself.
    """
    name = php_trim(_strip_tags(name))
    if len(name) > _NAME_LIMIT:
        name = php_trim(name[: _NAME_LIMIT - 3]) + "..."
    return name


def default_question_name(text: str) -> str:
    """The name Moodle derives from a question's text when the file gives none.

    The tags are dropped, runs of white space become one space, and text longer than 80
    characters is cut at a word boundary with "..." added. Empty text gives
    :data:`DEFAULT_QUESTION_NAME`.
    """
    plain = " ".join(_strip_tags(text).split())
    if len(plain) > _DERIVED_NAME_LIMIT:
        cut = plain[: _DERIVED_NAME_LIMIT - 3]
        if " " in cut:
            cut = cut[: cut.rindex(" ")]
        plain = cut.rstrip() + "..."
    return clean_question_name(plain) or DEFAULT_QUESTION_NAME
