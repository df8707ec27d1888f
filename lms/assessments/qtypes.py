"""Question kinds: how each kind of imported question is shown, answered, checked and scored.

Pure: no Flask, no database, no I/O. It works on the :class:`ParsedQuestion` of
:mod:`lms.assessments.questions` and on plain JSON-ready data, so it can serve the quiz
pages, the API, saved attempts and printed answer keys alike.

The kinds (:data:`KINDS`, found with :func:`kind_of`) are ``single`` (multiple choice, one
right answer), ``multiple`` (multiple response: several weighted answers), ``truefalse``,
``shortanswer``, ``numerical``, ``matching`` and ``essay``. A description is no question to
answer: :func:`is_answerable` tells callers to skip it.

The pieces, in the order an attempt uses them:

* :func:`present` computes, from a seed, the order in which options are shown
  (a :class:`Presentation`, stored with the attempt as JSON).
* :func:`from_form` turns the submitted HTML form into a *response*, refusing anything that
  was tampered with by raising :class:`ResponseError`; :func:`validate` checks a response
  read back from storage or sent to the API.
* :func:`score` gives a :class:`Score` (a fraction in 0..1, or None when a person must mark
  an essay); :func:`feedback` the feedback texts that apply; :func:`correct_response` a
  response that scores full marks.

An option is always identified by the index of its answer in ``question.answers`` (of its
pair in ``question.pairs`` for a matching item), never by the position it was shown at.

Responses, one shape per kind (``{}`` is the unanswered response of every kind, and the one
:func:`from_form` gives when nothing was entered)::

    single       {"choice": 2}
    multiple     {"choices": [0, 3]}               (from_form sorts them)
    truefalse    {"value": true}
    shortanswer  {"text": "Kabul"}
    numerical    {"text": "3,5"}                   (as typed; parsed when scored)
    matching     {"pairs": {"0": "Paris", "2": "Rome"}}   (item index -> chosen right text)
    essay        {"text": "..."}

Texts are limited to :data:`MAX_TEXT_LENGTH` characters and may not contain NUL or lone
surrogates (which no browser sends and PostgreSQL refuses).
"""

from __future__ import annotations

import abc
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lms.assessments.questions import Answer, ParsedQuestion, QuestionType
from lms.i18n import normalise_digits

__all__ = [
    "KINDS",
    "MAX_TEXT_LENGTH",
    "Part",
    "Presentation",
    "QuestionKind",
    "Response",
    "ResponseError",
    "Score",
    "correct_response",
    "feedback",
    "from_form",
    "is_answerable",
    "is_answered",
    "kind_of",
    "mark_essay",
    "normalise_text",
    "parse_number",
    "present",
    "score",
    "validate",
]

#: The longest text answer accepted (short answer, numerical, essay), in characters.
MAX_TEXT_LENGTH = 10_000

#: A response: plain JSON-ready data, one shape per kind (see the module docstring).
Response = dict[str, Any]


class ResponseError(ValueError):
    """A response or submitted form that no honest use of the page produces.

    The message is plain English, safe to show, and never repeats what was submitted.
    """


# --- text normalisation -------------------------------------------------------------------

# Invisible characters: soft hyphen, Arabic letter mark, tatweel, zero-width space,
# non-joiner and joiner, left-to-right and right-to-left marks, bidi embeddings, overrides
# and isolates, word joiner, byte-order mark.
_INVISIBLE = (
    "\u00ad\u061c\u0640\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)
# Arabic-script letters written differently on Arabic and Persian keyboards.
_LETTERS = {
    "\u064a": "\u06cc",  # ي Arabic yeh -> ی Farsi yeh
    "\u0649": "\u06cc",  # ى alef maksura -> ی Farsi yeh
    "\u0643": "\u06a9",  # ك Arabic kaf -> ک keheh
    "\u0671": "\u0627",  # ٱ alef wasla -> ا alef
}


def _text_table() -> dict[int, int | str | None]:
    table: dict[int, int | str | None] = dict.fromkeys(map(ord, _INVISIBLE))
    for block in (range(0x0600, 0x0700), range(0x08A0, 0x0900)):
        for code in block:
            if unicodedata.category(chr(code)) == "Mn":  # harakat, hamza and madda marks...
                table[code] = None
    table.update({ord(old): new for old, new in _LETTERS.items()})
    table.update({ord(digit): normalise_digits(digit) for digit in "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"})
    return table


_TEXT_TABLE = _text_table()
# ۀ (heh with yeh above) decomposes to ە + hamza above: it is a Persian ه with the ezafe mark.
_HEH_WITH_HAMZA = "\u06d5\u0654"


def normalise_text(text: str) -> str:
    """The form in which short answers are compared: lenient about how a word was typed.

    In order:

    * compatibility decomposition (NFKD: ligatures, full-width and presentation forms
      become plain letters; ``أ`` becomes ``ا`` + hamza mark), then case folding;
    * ``ۀ`` (and ``ە`` + hamza) becomes ``ه``: the ezafe hamza is optional in Persian;
    * every Arabic-script combining mark is removed: the harakat (U+064B-U+0652), the
      superscript alef (U+0670), hamza above and below and madda (U+0653-U+0655), Quranic
      marks. So the hamza and madda forms of alef (``أ إ آ``) become ``ا``, and the hamza
      seats ``ؤ ئ`` become ``و ی``: "سؤال" matches "سوال", "پائیز" matches "پاییز";
    * Arabic yeh ``ي`` and alef maksura ``ى`` become Farsi yeh ``ی``; Arabic kaf ``ك``
      becomes keheh ``ک``; alef wasla ``ٱ`` becomes ``ا``;
    * Persian and Arabic-Indic digits become Western digits;
    * invisible characters are removed: tatweel ``ـ``, zero-width non-joiner and joiner
      (so "می‌روم" matches "میروم"), zero-width space, soft hyphen, bidi marks;
    * canonical composition (NFC, so the result is NFKC-equivalent), then runs of white
      space become one space, and the ends are trimmed.

    Kept distinct, on purpose: teh marbuta ``ة`` (a letter of its own in Arabic; Persian
    spellings vary between ``ه`` and ``ت``, so no single mapping is right) and ``ه``
    versus Urdu's ``ہ`` and ``ھ``. A trade-off to know: in Pashto ``ي`` and ``ی`` are
    different letters, which this unification treats as one.

    Idempotent: ``normalise_text(normalise_text(t)) == normalise_text(t)``.
    """
    text = unicodedata.normalize("NFKD", text).casefold()
    text = text.replace(_HEH_WITH_HAMZA, "\u0647").translate(_TEXT_TABLE)
    return " ".join(unicodedata.normalize("NFC", text).split())


# Runs of unescaped asterisks are wildcards; "\*" is a literal asterisk (as in Moodle).
_WILDCARDS = re.compile(r"(?<!\\)\*+")


def _wildcard_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern``, where ``*`` stands for any run of characters.

    Both are already normalised. Greedy leftmost search, linear in the text: no regular
    expression, so a pattern with many stars cannot make matching slow.
    """
    bits = [bit.replace("\\*", "*") for bit in _WILDCARDS.split(pattern)]
    if len(bits) == 1:
        return text == bits[0]
    first, *middle, last = bits
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    position = len(first)
    for bit in middle:
        found = text.find(bit, position, end)
        if found == -1:
            return False
        position = found + len(bit)
    return True


# --- numbers ------------------------------------------------------------------------------

_NUMBER_CHARS = str.maketrans({"\u2212": "-", "\u060c": ","})  # minus sign, Arabic comma
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]{1,4})\Z", re.ASCII)
_MANTISSA = re.compile(r"[0-9.,\u066b\u066c ]*[0-9][0-9.,\u066b\u066c ]*", re.ASCII)
_DIGITS = re.compile(r"[0-9]*", re.ASCII)
_AMBIGUOUS_COMMA = re.compile(r"[1-9][0-9]{0,2},[0-9]{3}", re.ASCII)
_DECIMAL_SEPARATOR = "\u066b"  # ٫
_THOUSANDS_SEPARATOR = "\u066c"  # ٬


def parse_number(text: str) -> float | None:
    """The number a student typed, read leniently; None when it is not one number.

    Persian and Arabic-Indic digits count as digits (and full-width ones, by NFKC); a
    leading ``+`` or ``-`` (or the minus sign ``−``) and an exponent (``1.5e3``) are
    allowed. Separators:

    * ``٫`` is always the decimal separator and ``٬`` always a thousands separator;
    * with both ``.`` and ``,``, the last one is the decimal separator: ``1,000.5`` and
      ``1.000,5`` are both 1000.5;
    * one of them used more than once groups thousands: ``1,000,000``, ``1.000.000``;
    * a single ``.`` is a decimal point (``1.000`` is 1);
    * a single ``,`` is a decimal comma (``3,5`` is 3.5; ``0,500`` is 0.5), except in
      ``1,000``: one to three digits, a comma, exactly three digits. That reads 1000 in
      English and 1 in Russian, so it is refused (None) rather than guessed;
    * spaces (also no-break and thin spaces) group thousands: ``1 000``, ``1 000,5``.

    Thousands must be grouped correctly (a first group of one to three digits not
    starting with 0, then groups of exactly three), with one kind of separator, and only
    before the decimal separator. Anything else (units, fractions such as ``3/5``,
    ``inf``, two numbers) is None, as is a number too large for a float.
    """
    if not isinstance(text, str):
        return None
    text = normalise_digits(unicodedata.normalize("NFKC", text)).translate(_NUMBER_CHARS)
    text = " ".join(text.split())
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = text[0], text[1:].lstrip()
    exponent = "0"
    found = _EXPONENT.search(text)
    if found:
        exponent, text = found.group(1), text[: found.start()]
    if not _MANTISSA.fullmatch(text):
        return None
    decimal = _decimal_separator(text)
    if decimal is None:
        return None
    if decimal:
        if text.count(decimal) != 1:
            return None
        whole, fraction = text.split(decimal)
    else:
        whole, fraction = text, ""
    groups = set(whole) - set("0123456789")
    if len(groups) > 1 or not _DIGITS.fullmatch(fraction):
        return None
    if groups:
        group = groups.pop()
        if not re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:{re.escape(group)}[0-9]{{3}})+", whole):
            return None
        whole = whole.replace(group, "")
    if not whole and not fraction:
        return None
    value = float(f"{sign}{whole or '0'}.{fraction or '0'}e{exponent}")
    return value if math.isfinite(value) else None


def _decimal_separator(text: str) -> str | None:
    """The decimal separator of a mantissa: a character, "" for none, None if ambiguous."""
    if _DECIMAL_SEPARATOR in text:
        return _DECIMAL_SEPARATOR
    points, commas = text.count("."), text.count(",")
    if points and commas:
        return "." if text.rindex(".") > text.rindex(",") else ","
    if points + commas > 1:
        return ""
    if points:
        return "."
    if commas:
        if " " in text or _THOUSANDS_SEPARATOR in text:
            return ","
        return None if _AMBIGUOUS_COMMA.fullmatch(text) else ","
    return ""


def _answer_value(answer: Answer) -> float | None:
    """The number of a numerical answer (as the readers write it), None if it has none."""
    try:
        value = float(answer.text)
    except ValueError:
        return parse_number(answer.text)
    return value if math.isfinite(value) else None


def _is_catch_all(answer: Answer) -> bool:
    return answer.text.strip() == "*"


def _number_matches(answer: Answer, value: float) -> bool:
    """Whether a number is within an answer's tolerance (the catch-all takes any number).

    A tiny relative epsilon absorbs float rounding (a range 0.1..0.3 is stored as 0.2 with
    a tolerance just under 0.1), as Moodle adds 10^-precision. A numerical answer without
    a tolerance (None, other than the catch-all) must be exact.
    """
    if _is_catch_all(answer):
        return True
    target = _answer_value(answer)
    if target is None:
        return False
    tolerance = abs(answer.tolerance or 0.0)
    epsilon = 1e-12 * max(1.0, abs(target), tolerance)
    return abs(value - target) <= tolerance + epsilon


# --- presentation, scores -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presentation:
    """The order in which a question's options are shown to one student.

    ``order`` lists answer indexes (single, multiple) or the indexes of the matching items
    (the pairs that are not distractors) in display order; ``choices`` lists the
    right-hand texts of a matching question, each once, distractors included, in display
    order. Both are empty for the other kinds. Store it with the attempt (``to_dict``):
    the seed alone would tie the order to the random module's algorithm.
    """

    order: tuple[int, ...] = ()
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        object.__setattr__(self, "choices", tuple(self.choices))

    def to_dict(self) -> dict[str, list[Any]]:
        """JSON-ready data that :meth:`from_dict` reads back."""
        return {"order": list(self.order), "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, data: object) -> Presentation:
        """Read :meth:`to_dict`'s data; a ValueError for anything else."""
        if not isinstance(data, Mapping) or not set(data) <= {"order", "choices"}:
            raise ValueError("a presentation is a mapping with 'order' and 'choices'")
        order, choices = data.get("order", []), data.get("choices", [])
        if not isinstance(order, list | tuple) or not all(_is_int(item) for item in order):
            raise ValueError("a presentation's order is a list of integers")
        if not isinstance(choices, list | tuple) or not all(
            isinstance(item, str) for item in choices
        ):
            raise ValueError("a presentation's choices are a list of texts")
        return cls(tuple(order), tuple(choices))

    def fits(self, question: ParsedQuestion) -> bool:
        """Whether this could have been computed for ``question`` (it was not edited since)."""
        natural = kind_of(question).natural(question)
        return sorted(self.order) == sorted(natural.order) and sorted(self.choices) == sorted(
            natural.choices
        )


@dataclass(frozen=True, slots=True)
class Part:
    """The credit of one piece of a response, for marking it right or wrong on a page.

    ``index`` is a chosen answer's index (single, multiple; short answer, numerical: the
    answer that matched) with its own weight as ``fraction`` (possibly negative); the
    value chosen in a true/false question (0 True, 1 False) with 1.0 when right, else
    0.0; or a matching item's pair index with 1.0 (right) or 0.0 (wrong or unanswered).
    """

    index: int
    fraction: float


@dataclass(frozen=True, slots=True)
class Score:
    """How a response scored.

    ``fraction`` is in 0..1, or None while a person must mark it (an answered essay, when
    ``needs_marking`` is True). ``answered`` is False for an empty response (which scores
    0). ``parts`` details the credit of each piece (see :class:`Part`).
    """

    fraction: float | None
    needs_marking: bool = False
    answered: bool = True
    parts: tuple[Part, ...] = ()


_UNANSWERED = Score(0.0, answered=False)
# How far below 1 a sum of weights may fall and still be full marks: Moodle's grades have
# 7 decimals, so three answers of 33.33333% add up to 0.9999999.
_FULL_MARKS_SLACK = 1e-6


def _clamp(fraction: float) -> float:
    """A fraction floored at 0 and capped at 1."""
    return min(max(fraction, 0.0), 1.0)


# --- checking input -----------------------------------------------------------------------

_INDEX = re.compile(r"0|[1-9][0-9]{0,5}", re.ASCII)
_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise ResponseError("The answer must be text.")
    if len(text) > MAX_TEXT_LENGTH:
        raise ResponseError(f"The answer is longer than {MAX_TEXT_LENGTH} characters.")
    if _FORBIDDEN.search(text):
        raise ResponseError("The answer contains characters that are not allowed.")
    return text


def _form_index(value: str, allowed: Sequence[int] | range) -> int:
    """An option index sent by a form: canonical digits naming an allowed option."""
    if not _INDEX.fullmatch(value) or int(value) not in allowed:
        raise ResponseError("The answer is not one of the options.")
    return int(value)


def _values(form: object, name: str) -> list[str]:
    """Every value a form sent for ``name`` (a mapping of lists, or a MultiDict)."""
    try:
        getlist = getattr(form, "getlist", None)
        if callable(getlist):
            values = getlist(name)
        elif isinstance(form, Mapping):
            values = form.get(name)
        else:
            raise ResponseError("The form data is malformed.")
        if values is None:
            values = []
        elif isinstance(values, str):
            values = [values]
        else:
            values = list(values)
    except ResponseError:
        raise
    except Exception as error:  # a foreign mapping may fail any way it likes
        raise ResponseError("The form data is malformed.") from error
    if not all(isinstance(value, str) for value in values):
        raise ResponseError("The form data is malformed.")
    return values


def _one_value(form: object, name: str) -> str:
    """The single value of a field, "" when it was not sent or left empty."""
    values = _values(form, name)
    if len(values) > 1:
        raise ResponseError("One answer was expected, several were sent.")
    return values[0] if values else ""


def _field_names(form: object) -> list[str]:
    try:
        return [key for key in form if isinstance(key, str)]  # type: ignore[attr-defined]
    except Exception as error:  # a foreign mapping may fail any way it likes
        raise ResponseError("The form data is malformed.") from error


# --- the kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionKind(abc.ABC):
    """One kind of question: its name, the question type it reads, its response's key.

    ``manual`` is True when a person marks an answered response (essay). The methods
    behind the module's functions are overridden by each kind; call the module's
    functions (:func:`present`, :func:`from_form`, :func:`score`...) rather than these.
    """

    name: str
    qtype: QuestionType
    response_key: str
    manual: bool = False

    def natural(self, question: ParsedQuestion) -> Presentation:
        """The presentation in question order (also what :func:`present` shuffles)."""
        return Presentation()

    def shuffle(self, question: ParsedQuestion, rng: random.Random) -> Presentation:
        """A shuffled presentation (kinds without options have none)."""
        return self.natural(question)

    def read_form(
        self, question: ParsedQuestion, presentation: Presentation, form: object, prefix: str
    ) -> Response:
        """The response for one text field ``prefix`` ({} when blank)."""
        text = _check_text(_one_value(form, prefix).replace("\r\n", "\n"))
        return {self.response_key: text} if normalise_text(text) else {}

    def check(self, question: ParsedQuestion, value: object) -> None:
        """Raise ResponseError unless ``value`` is a valid value of the response key."""
        _check_text(value)

    def answered(self, question: ParsedQuestion, value: object) -> bool:
        """Whether the (valid) value is an answer rather than a blank."""
        return bool(normalise_text(value)) if isinstance(value, str) else bool(value)

    @abc.abstractmethod
    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        """The score of an answered, valid value (every kind defines its own)."""

    def feedback_for(self, question: ParsedQuestion, value: Any) -> list[str]:
        """The feedback texts for an answered, valid value."""
        return []

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        """Responses that may score 1, best guess first (see :func:`correct_response`)."""
        return ()


class _SingleKind(QuestionKind):
    def natural(self, question: ParsedQuestion) -> Presentation:
        return Presentation(tuple(range(len(question.answers))))

    def shuffle(self, question: ParsedQuestion, rng: random.Random) -> Presentation:
        order = list(range(len(question.answers)))
        rng.shuffle(order)
        return Presentation(tuple(order))

    def read_form(
        self, question: ParsedQuestion, presentation: Presentation, form: object, prefix: str
    ) -> Response:
        value = _one_value(form, prefix)
        return {"choice": _form_index(value, presentation.order)} if value else {}

    def check(self, question: ParsedQuestion, value: object) -> None:
        if not _is_int(value) or not 0 <= value < len(question.answers):  # type: ignore[operator]
            raise ResponseError("The answer is not one of the options.")

    def answered(self, question: ParsedQuestion, value: object) -> bool:
        return True

    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        fraction = question.answers[value].fraction
        return Score(_clamp(fraction), parts=(Part(value, fraction),))

    def feedback_for(self, question: ParsedQuestion, value: Any) -> list[str]:
        return [question.answers[value].feedback]

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        ranked = sorted(
            range(len(question.answers)), key=lambda index: -question.answers[index].fraction
        )
        return ({"choice": index} for index in ranked)


class _MultipleKind(_SingleKind):
    def read_form(
        self, question: ParsedQuestion, presentation: Presentation, form: object, prefix: str
    ) -> Response:
        choices = [
            _form_index(value, presentation.order) for value in _values(form, prefix) if value
        ]
        if len(set(choices)) != len(choices):
            raise ResponseError("An option was chosen twice.")
        return {"choices": sorted(choices)} if choices else {}

    def check(self, question: ParsedQuestion, value: object) -> None:
        if not isinstance(value, list | tuple):
            raise ResponseError("The answer must be a list of options.")
        for choice in value:
            super().check(question, choice)
        if len(set(value)) != len(value):
            raise ResponseError("An option was chosen twice.")

    def answered(self, question: ParsedQuestion, value: object) -> bool:
        return bool(value)

    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        chosen = sorted(value)
        parts = tuple(Part(index, question.answers[index].fraction) for index in chosen)
        total = _clamp(sum(part.fraction for part in parts))
        # Weights stored to 7 decimals (33.33333% three times) add up to full marks.
        return Score(1.0 if total > 1 - _FULL_MARKS_SLACK else total, parts=parts)

    def feedback_for(self, question: ParsedQuestion, value: Any) -> list[str]:
        return [question.answers[index].feedback for index in sorted(value)]

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        answers = question.answers
        return ({"choices": [i for i, answer in enumerate(answers) if answer.fraction > 0]},)


class _TrueFalseKind(QuestionKind):
    def read_form(
        self, question: ParsedQuestion, presentation: Presentation, form: object, prefix: str
    ) -> Response:
        value = _one_value(form, prefix)
        if value in ("true", "false"):
            return {"value": value == "true"}
        if value:
            raise ResponseError("The answer must be true or false.")
        return {}

    def check(self, question: ParsedQuestion, value: object) -> None:
        if not isinstance(value, bool):
            raise ResponseError("The answer must be true or false.")

    def answered(self, question: ParsedQuestion, value: object) -> bool:
        return True

    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        right = value == question.correct_answer
        return Score(1.0 if right else 0.0, parts=(Part(0 if value else 1, float(right)),))

    def feedback_for(self, question: ParsedQuestion, value: Any) -> list[str]:
        index = 0 if value else 1
        return [question.answers[index].feedback] if index < len(question.answers) else []

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        return ({"value": bool(question.correct_answer)},)


class _MatchedAnswerKind(QuestionKind):
    """A kind scored by the first answer, in question order, that the response matches."""

    @abc.abstractmethod
    def match(self, question: ParsedQuestion, text: str) -> int | None:
        """The index of the first answer the text matches, None when none does."""

    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        index = self.match(question, value)
        if index is None:
            return Score(0.0)
        fraction = question.answers[index].fraction
        return Score(_clamp(fraction), parts=(Part(index, fraction),))

    def feedback_for(self, question: ParsedQuestion, value: Any) -> list[str]:
        index = self.match(question, value)
        return [] if index is None else [question.answers[index].feedback]


class _ShortAnswerKind(_MatchedAnswerKind):
    def match(self, question: ParsedQuestion, text: str) -> int | None:
        normalised = normalise_text(text)
        for index, answer in enumerate(question.answers):
            if _wildcard_match(normalise_text(answer.text), normalised):
                return index
        return None

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        for answer in sorted(question.answers, key=lambda answer: -answer.fraction):
            # The answer as a student would type it: "\*" is a literal asterisk, and a
            # wildcard matches itself.
            yield {"text": answer.text.replace("\\*", "*")}


class _NumericalKind(_MatchedAnswerKind):
    def match(self, question: ParsedQuestion, text: str) -> int | None:
        value = parse_number(text)
        if value is None:
            return None
        for index, answer in enumerate(question.answers):
            if _number_matches(answer, value):
                return index
        return None

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        for answer in sorted(question.answers, key=lambda answer: -answer.fraction):
            if not _is_catch_all(answer):
                yield {"text": answer.text.strip()}
        yield {"text": "0"}


class _MatchingKind(QuestionKind):
    def natural(self, question: ParsedQuestion) -> Presentation:
        items = tuple(i for i, pair in enumerate(question.pairs) if not pair.is_distractor)
        return Presentation(items, tuple(dict.fromkeys(pair.right for pair in question.pairs)))

    def shuffle(self, question: ParsedQuestion, rng: random.Random) -> Presentation:
        natural = self.natural(question)
        order, choices = list(natural.order), list(natural.choices)
        rng.shuffle(order)
        rng.shuffle(choices)
        return Presentation(tuple(order), tuple(choices))

    def read_form(
        self, question: ParsedQuestion, presentation: Presentation, form: object, prefix: str
    ) -> Response:
        """Fields ``{prefix}-{item index}``; each value the position of the chosen text in
        ``presentation.choices`` ("" for none)."""
        start = prefix + "-"
        pairs: dict[str, str] = {}
        for name in _field_names(form):
            if not name.startswith(start):
                continue
            item = name[len(start) :]
            if not _INDEX.fullmatch(item) or int(item) not in presentation.order:
                raise ResponseError("The answer names an item the question does not have.")
            value = _one_value(form, name)
            if value:
                chosen = _form_index(value, range(len(presentation.choices)))
                pairs[item] = presentation.choices[chosen]
        return {"pairs": dict(sorted(pairs.items(), key=lambda kv: int(kv[0])))} if pairs else {}

    def check(self, question: ParsedQuestion, value: object) -> None:
        if not isinstance(value, Mapping):
            raise ResponseError("The answer must map items to choices.")
        natural = self.natural(question)
        for item, chosen in value.items():
            if (
                not isinstance(item, str)
                or not _INDEX.fullmatch(item)
                or int(item) not in natural.order
            ):
                raise ResponseError("The answer names an item the question does not have.")
            if not isinstance(chosen, str) or chosen not in natural.choices:
                raise ResponseError("The answer is not one of the options.")

    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        items = self.natural(question).order
        parts = tuple(
            Part(index, float(value.get(str(index)) == question.pairs[index].right))
            for index in items
        )
        right = sum(part.fraction for part in parts)
        return Score(right / len(items) if items else 0.0, parts=parts)

    def candidates(self, question: ParsedQuestion) -> Iterable[Response]:
        items = self.natural(question).order
        return ({"pairs": {str(index): question.pairs[index].right for index in items}},)


class _EssayKind(QuestionKind):
    def grade(self, question: ParsedQuestion, value: Any) -> Score:
        return Score(None, needs_marking=True)


#: Every kind of question, by name.
KINDS: dict[str, QuestionKind] = {
    kind.name: kind
    for kind in (
        _SingleKind("single", QuestionType.MULTICHOICE, "choice"),
        _MultipleKind("multiple", QuestionType.MULTICHOICE, "choices"),
        _TrueFalseKind("truefalse", QuestionType.TRUEFALSE, "value"),
        _ShortAnswerKind("shortanswer", QuestionType.SHORTANSWER, "text"),
        _NumericalKind("numerical", QuestionType.NUMERICAL, "text"),
        _MatchingKind("matching", QuestionType.MATCHING, "pairs"),
        _EssayKind("essay", QuestionType.ESSAY, "text", manual=True),
    )
}

_BY_TYPE = {
    QuestionType.TRUEFALSE: KINDS["truefalse"],
    QuestionType.SHORTANSWER: KINDS["shortanswer"],
    QuestionType.NUMERICAL: KINDS["numerical"],
    QuestionType.MATCHING: KINDS["matching"],
    QuestionType.ESSAY: KINDS["essay"],
}


# --- the functions ------------------------------------------------------------------------


def is_answerable(question: ParsedQuestion) -> bool:
    """Whether the question asks for an answer (a description does not)."""
    return question.qtype is QuestionType.MULTICHOICE or question.qtype in _BY_TYPE


def kind_of(question: ParsedQuestion) -> QuestionKind:
    """The kind of a question; a ValueError for a description, which asks for nothing."""
    if question.qtype is QuestionType.MULTICHOICE:
        return KINDS["single" if question.single else "multiple"]
    try:
        return _BY_TYPE[question.qtype]
    except KeyError:
        raise ValueError(f"a {question.qtype} is not a question to answer") from None


def present(question: ParsedQuestion, seed: int, *, shuffle: bool = True) -> Presentation:
    """The order in which one student sees the options, the same for the same seed.

    Single and multiple: the answers shuffled. Matching: the items shuffled, then the
    right-hand choices (each text once, distractors included). Other kinds: empty.
    ``shuffle=False`` keeps question order (for "all of the above" options).
    """
    kind = kind_of(question)
    if not shuffle:
        return kind.natural(question)
    # Not for security: the order only has to differ between students and stay put.
    return kind.shuffle(question, random.Random(seed))  # noqa: S311


def from_form(
    question: ParsedQuestion,
    presentation: Presentation | None,
    form: Mapping[str, list[str]],
    prefix: str,
) -> Response:
    """The response a submitted form holds; a :class:`ResponseError` if it was tampered with.

    ``form`` maps field names to their lists of values (``request.form.to_dict(flat=False)``;
    a MultiDict such as ``request.form`` itself works too). The fields:

    * single: ``{prefix}``, an answer index (``"2"``); multiple: ``{prefix}`` repeated, one
      answer index each (empty values are ignored, so a hidden ``""`` field may mark that
      the question was shown);
    * true/false: ``{prefix}``, ``"true"`` or ``"false"``;
    * short answer, numerical, essay: ``{prefix}``, the text (CR LF becomes LF);
    * matching: ``{prefix}-{item index}`` for each item, the value being the *position* of
      the chosen text in ``presentation.choices`` (``"0"``...), not the text itself:
      browsers rewrite line breaks inside values, so a text would not always come back
      as it was sent.

    A field left empty (or absent) is no answer: every blank gives ``{}``. Refused: an
    index that is not an option or not in canonical form (``"abc"``, ``"-1"``, ``"01"``),
    a choice sent twice, several values for a one-value field, an unknown item, text
    longer than :data:`MAX_TEXT_LENGTH` or holding NUL, a presentation that does not fit
    the question (the question was edited during the attempt). Nothing but
    :class:`ResponseError` is raised for any form (a description question, which has no
    form, is a ValueError as in :func:`kind_of`). ``presentation=None`` means question
    order.

    Prefixes must not be ``{another prefix}-{number}``, or a matching question would read
    the other question's field as its own.
    """
    kind = kind_of(question)
    if presentation is None:
        presentation = kind.natural(question)
    elif not presentation.fits(question):
        raise ResponseError("The question has changed since it was shown: please answer again.")
    return kind.read_form(question, presentation, form, prefix)


def validate(question: ParsedQuestion, response: object) -> None:
    """Raise :class:`ResponseError` unless ``response`` is a well-formed response.

    The same rules as :func:`from_form`, on the stored shape: a mapping with at most the
    kind's one key, an ``int`` (not a bool) naming an answer for single, a list of such
    without repeats for multiple, a ``bool`` for true/false, text (length and characters
    checked) for short answer, numerical and essay, a mapping from item indexes (``"0"``)
    to right-hand texts of the question for matching.
    """
    kind = kind_of(question)
    if not isinstance(response, Mapping):
        raise ResponseError("The answer is malformed.")
    for key in response:
        if key != kind.response_key:
            raise ResponseError("The answer has an unexpected field.")
    if kind.response_key in response:
        kind.check(question, response[kind.response_key])


def is_answered(question: ParsedQuestion, response: Mapping[str, Any]) -> bool:
    """Whether a valid response answers the question (blank text does not)."""
    kind = kind_of(question)
    key = kind.response_key
    return key in response and kind.answered(question, response[key])


def score(question: ParsedQuestion, response: Mapping[str, Any]) -> Score:
    """How a response scores; a :class:`ResponseError` if it is malformed.

    * single: the chosen answer's weight, floored at 0;
    * multiple: the sum of the chosen answers' weights, floored at 0 and capped at 1 (a
      sum within 10^-6 of 1, such as three times 33.33333%, is full marks);
    * true/false: 1 when the value is the right one, else 0;
    * short answer: the weight of the first answer, in question order, that the response
      matches after :func:`normalise_text` on both (``*`` matches any run of characters,
      ``\\*`` an asterisk), floored at 0; 0 when none matches;
    * numerical: the weight of the first answer, in order, whose tolerance holds the
      number (:func:`parse_number`; a ``*`` answer takes any number), floored at 0; 0 for
      text that is no number;
    * matching: the share of items paired with their own right-hand text;
    * essay: None with ``needs_marking`` once answered (see :func:`mark_essay`).

    A blank response scores 0, with ``answered`` False, for every kind.
    """
    validate(question, response)
    kind = kind_of(question)
    if not is_answered(question, response):
        return _UNANSWERED
    return kind.grade(question, response[kind.response_key])


def feedback(question: ParsedQuestion, response: Mapping[str, Any]) -> list[str]:
    """The answer feedback that applies to a response, in question order, empty ones left out.

    The chosen answers' feedback (single, multiple, true/false), the matched answer's
    (short answer, numerical, including a ``*`` catch-all's); none for matching and
    essay. The question's general feedback is not included. Plain strings: the caller
    renders them in the answers' ``feedback_format``.
    """
    validate(question, response)
    kind = kind_of(question)
    if not is_answered(question, response):
        return []
    return [text for text in kind.feedback_for(question, response[kind.response_key]) if text]


def correct_response(question: ParsedQuestion) -> Response:
    """A response that scores full marks, for answer keys and tests.

    Single: the first best answer; multiple: every answer with a positive weight;
    true/false: the right value; short answer: the first full-mark answer that the
    earlier answers do not capture (wildcards kept, ``\\*`` written ``*``); numerical:
    that answer's number as written; matching: every item with its text. For a malformed
    question where nothing scores 1, the best-scoring candidate. An essay has no right
    answer: ``{}``.
    """
    kind = kind_of(question)
    best: Response = {}
    best_fraction = -1.0
    for candidate in kind.candidates(question):
        try:
            fraction = score(question, candidate).fraction
        except ResponseError:  # a text the question itself made too long
            continue
        if fraction is not None and fraction > best_fraction:
            best, best_fraction = candidate, fraction
            if fraction >= 1:
                break
    return best


def mark_essay(points_awarded: float, points_possible: float) -> float:
    """The fraction a person's marking gives: points awarded over points possible.

    A ValueError unless both are finite, ``points_possible`` is positive and the points
    awarded lie between 0 and ``points_possible``.
    """
    if not (math.isfinite(points_awarded) and math.isfinite(points_possible)):
        raise ValueError("points must be finite numbers")
    if points_possible <= 0:
        raise ValueError("the points possible must be positive")
    if not 0 <= points_awarded <= points_possible:
        raise ValueError("the points awarded must lie between 0 and the points possible")
    return points_awarded / points_possible
