"""Question kinds: presentation, form reading, validation, scoring, feedback, answer keys.

Pure tests: questions come from small GIFT snippets (or are built directly where GIFT
cannot express them); no app, no database.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.assessments.gift import read_gift
from lms.assessments.qtypes import (
    KINDS,
    MAX_TEXT_LENGTH,
    Part,
    Presentation,
    ResponseError,
    Score,
    correct_response,
    feedback,
    from_form,
    is_answerable,
    is_answered,
    kind_of,
    mark_essay,
    normalise_text,
    parse_number,
    present,
    score,
    validate,
)
from lms.assessments.questions import Answer, ParsedQuestion, QuestionType


def gift(text: str) -> ParsedQuestion:
    """The one question of a GIFT snippet."""
    (question,) = read_gift(text).questions
    return question


SINGLE = gift("Capital? {=Kabul#Yes ~%-50%Herat#No ~%50%Kabol#Almost ~Mazar}")
MULTIPLE = gift("Pick {~%50%A#a ~%50%B#b ~%-100%C#c ~D}")
TRUE = gift("Kabul is a capital. {T#Wrong#Right}")
FALSE = gift("Herat is a capital. {F}")
SHORT = gift("City? {=Kabul#Yes =%50%Kab*l#Close =%-50%x*#No}")
NUMERICAL = gift("Pi? {#3.5:0.1}")
MATCHING = gift("Match {=a -> 1 =b -> 2 =c -> 3 = -> 4}")
ESSAY = gift("Write. {}")
DESCRIPTION = gift("Just a text to read.")

ANSWERABLE = {
    "single": SINGLE,
    "multiple": MULTIPLE,
    "truefalse": TRUE,
    "shortanswer": SHORT,
    "numerical": NUMERICAL,
    "matching": MATCHING,
    "essay": ESSAY,
}


def close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) < 1e-9


# --- registry -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "question"), ANSWERABLE.items())
def test_kind_of(name: str, question: ParsedQuestion) -> None:
    assert kind_of(question) is KINDS[name]
    assert kind_of(question).name == name
    assert is_answerable(question)


def test_kinds_registry() -> None:
    assert list(KINDS) == [
        "single",
        "multiple",
        "truefalse",
        "shortanswer",
        "numerical",
        "matching",
        "essay",
    ]
    assert [kind.name for kind in KINDS.values() if kind.manual] == ["essay"]


def test_description_is_not_answerable() -> None:
    assert not is_answerable(DESCRIPTION)
    with pytest.raises(ValueError, match="not a question to answer") as raised:
        kind_of(DESCRIPTION)
    assert not isinstance(raised.value, ResponseError)


# --- scoring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "expected"),
    [(0, 1.0), (1, 0.0), (2, 0.5), (3, 0.0)],
    ids=["right", "negative-floored", "partial", "wrong"],
)
def test_single_scores(choice: int, expected: float) -> None:
    result = score(SINGLE, {"choice": choice})
    assert result.fraction == expected
    assert result.answered
    assert not result.needs_marking
    assert result.parts == (Part(choice, SINGLE.answers[choice].fraction),)


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([0], 0.5),
        ([0, 1], 1.0),
        ([1, 0], 1.0),
        ([0, 3], 0.5),
        ([0, 1, 2], 0.0),
        ([0, 2], 0.0),
        ([2], 0.0),
        ([3], 0.0),
        ([0, 1, 2, 3], 0.0),
    ],
)
def test_multiple_scores_partial_and_floored(choices: list[int], expected: float) -> None:
    result = score(MULTIPLE, {"choices": choices})
    assert close(result.fraction, expected)
    assert [part.index for part in result.parts] == sorted(choices)


def test_multiple_is_capped_at_one() -> None:
    question = ParsedQuestion(
        QuestionType.MULTICHOICE,
        "q",
        "q",
        answers=(Answer("a", 1.0), Answer("b", 0.5), Answer("c", 0.0)),
        single=False,
    )
    assert score(question, {"choices": [0, 1]}).fraction == 1.0
    assert score(question, {"choices": [1]}).fraction == 0.5


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [(TRUE, True, 1.0), (TRUE, False, 0.0), (FALSE, False, 1.0), (FALSE, True, 0.0)],
)
def test_truefalse_scores(question: ParsedQuestion, value: bool, expected: float) -> None:
    assert score(question, {"value": value}).fraction == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kabul", 1.0),
        ("kabul", 1.0),
        ("  KABUL  ", 1.0),
        ("Kabol", 0.5),
        ("Kaboooul", 0.5),
        ("Kabl", 0.5),
        ("xyz", 0.0),  # -50% floored at 0
        ("Herat", 0.0),
        ("Kabul city", 0.0),
    ],
)
def test_shortanswer_scores(text: str, expected: float) -> None:
    assert score(SHORT, {"text": text}).fraction == expected


def _short(accepted: str, fraction: float = 1.0) -> ParsedQuestion:
    return ParsedQuestion(QuestionType.SHORTANSWER, "q", "q", answers=(Answer(accepted, fraction),))


@pytest.mark.parametrize(
    ("accepted", "typed"),
    [
        ("کتاب", "كتاب"),  # Arabic kaf
        ("علی", "علي"),  # Arabic yeh
        ("علی", "على"),  # alef maksura
        ("مصطفى", "مصطفی"),
        ("احمد", "أحمد"),  # alef with hamza above
        ("اسلام", "إسلام"),  # alef with hamza below
        ("آب", "اب"),  # alef with madda
        ("محمد", "مُحَمَّد"),  # harakat
        ("رحمن", "رحمٰن"),  # superscript alef
        ("کتاب", "کـــتاب"),  # tatweel
        ("میروم", "می\u200cروم"),  # zero-width non-joiner
        ("می\u200cروم", "میروم"),
        ("خانه", "خانۀ"),  # ezafe hamza
        ("خانه", "خانهٔ"),
        ("سوال", "سؤال"),  # hamza seats
        ("پاییز", "پائیز"),
        ("123", "۱۲۳"),  # Persian digits
        ("123", "١٢٣"),  # Arabic-Indic digits
        ("۱۲۳", "123"),
        ("New York", "  new\t\n  YORK "),
        ("Straße", "STRASSE"),  # case folding
        ("café", "cafe\u0301"),  # composed and decomposed
        ("Kabul", "Ｋａｂｕｌ"),  # full-width
        ("کابل", "\u200fکابل\u200e"),  # bidi marks
    ],
)
def test_shortanswer_normalisation(accepted: str, typed: str) -> None:
    assert score(_short(accepted), {"text": typed}).fraction == 1.0
    assert normalise_text(accepted) == normalise_text(typed)


@pytest.mark.parametrize(
    ("accepted", "typed"),
    [
        ("کتاب", "کتب"),
        ("رحمة", "رحمه"),  # teh marbuta kept
        ("cafe", "café"),
        ("New York", "NewYork"),
        ("123", "1 2 3"),
    ],
)
def test_shortanswer_normalisation_keeps_differences(accepted: str, typed: str) -> None:
    assert score(_short(accepted), {"text": typed}).fraction == 0.0


@pytest.mark.parametrize(
    ("accepted", "typed", "matches"),
    [
        ("*ball", "football", True),
        ("*ball", "ball", True),
        ("*ball", "balls", False),
        ("foot*", "football", True),
        ("f*t*l", "football", True),
        ("f*t*l", "fl", False),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("*", "anything at all", True),
        ("**", "x", True),
        ("Kab*l", "KABUL", True),
        ("5 \\* 3", "5 * 3", True),
        ("5 \\* 3", "5 x 3", False),
        ("a.b", "axb", False),
        ("(a)+", "(a)+", True),
        ("a+", "aa", False),
        ("كت*", "کتاب", True),
    ],
)
def test_shortanswer_wildcards(accepted: str, typed: str, matches: bool) -> None:
    assert score(_short(accepted), {"text": typed}).fraction == float(matches)


def test_shortanswer_first_match_in_order_wins() -> None:
    question = ParsedQuestion(
        QuestionType.SHORTANSWER,
        "q",
        "q",
        answers=(Answer("*", 0.0, "Anything else"), Answer("Kabul", 1.0, "Yes")),
    )
    assert score(question, {"text": "Kabul"}).fraction == 0.0
    assert feedback(question, {"text": "Kabul"}) == ["Anything else"]


def test_shortanswer_many_wildcards_stay_fast() -> None:
    question = _short("*a*a*a*a*a*a*a*a*a*a*b")
    assert score(question, {"text": "a" * MAX_TEXT_LENGTH}).fraction == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5", 1.0),
        ("3.6", 1.0),  # tolerance edge
        ("3.4", 1.0),
        ("3.61", 0.0),
        ("3.39", 0.0),
        ("3,5", 1.0),  # decimal comma
        ("۳٫۵", 1.0),  # Persian digits and decimal separator
        ("٣٫٥", 1.0),  # Arabic-Indic digits
        ("۳,۵", 1.0),
        ("+3.5", 1.0),
        ("3.5e0", 1.0),
        ("35e-1", 1.0),
        (" 3.5 ", 1.0),
        ("-3.5", 0.0),
        ("abc", 0.0),
        ("3.5 cm", 0.0),
        ("3/5", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
    ],
)
def test_numerical_scores(text: str, expected: float) -> None:
    result = score(NUMERICAL, {"text": text})
    assert result.fraction == expected
    assert result.answered


@pytest.mark.parametrize(
    ("snippet", "text", "expected"),
    [
        ("{#1..2}", "1", 1.0),
        ("{#1..2}", "2", 1.0),
        ("{#1..2}", "1.5", 1.0),
        ("{#1..2}", "2.0001", 0.0),
        ("{#1..2}", "0.9999", 0.0),
        ("{#0.1..0.3}", "0.1", 1.0),  # float rounding at the edges
        ("{#0.1..0.3}", "0.3", 1.0),
        ("{#0.1..0.3}", "0.30001", 0.0),
        ("{#-5..-3}", "-4", 1.0),
        ("{#5}", "5", 1.0),
        ("{#5}", "5.000001", 0.0),
        ("{#5}", "5.0", 1.0),
        ("{#0}", "-0", 1.0),
        ("{#1000}", "1 000", 1.0),
        ("{#1000}", "1٬000", 1.0),
        ("{#1000}", "1,000", 0.0),  # ambiguous: refused
        ("{#1000.5}", "1,000.5", 1.0),
        ("{#1000.5}", "1.000,5", 1.0),
        ("{#1000.5}", "1 000,5", 1.0),
        ("{#1}", "1,000", 0.0),
        ("{#1}", "1.000", 1.0),
        ("{#=5:0 =%50%5:1 ~#Nope}", "5", 1.0),
        ("{#=5:0 =%50%5:1 ~#Nope}", "5.5", 0.5),
        ("{#=5:0 =%50%5:1 ~#Nope}", "6", 0.5),
        ("{#=5:0 =%50%5:1 ~#Nope}", "7", 0.0),
        ("{#=5:0 =%50%*}", "123456", 0.5),
        ("{#=5:0 =%50%*}", "not a number", 0.0),
        ("{#=*}", "-1e10", 1.0),
    ],
)
def test_numerical_ranges_and_catch_all(snippet: str, text: str, expected: float) -> None:
    assert score(gift("Q " + snippet), {"text": text}).fraction == expected


def test_numerical_negative_weight_floored() -> None:
    question = ParsedQuestion(
        QuestionType.NUMERICAL,
        "q",
        "q",
        answers=(Answer("5", 1.0, tolerance=0.0), Answer("*", -0.5)),
    )
    result = score(question, {"text": "6"})
    assert result.fraction == 0.0
    assert result.parts == (Part(1, -0.5),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5", 3.5),
        ("3,5", 3.5),
        ("۳٫۵", 3.5),
        ("٣٫٥", 3.5),
        ("٣,٥", 3.5),
        ("-2", -2.0),
        ("+7", 7.0),
        ("\u22124", -4.0),
        ("- 4", -4.0),
        (".5", 0.5),
        (",5", 0.5),
        ("3.", 3.0),
        ("1e3", 1000.0),
        ("1,5E-1", 0.15),
        ("1 000", 1000.0),
        ("1\u00a0000", 1000.0),
        ("1\u202f000\u202f000", 1_000_000.0),
        ("1 000,5", 1000.5),
        ("1 000.5", 1000.5),
        ("1,000.5", 1000.5),
        ("1.000,5", 1000.5),
        ("1,000,000", 1_000_000.0),
        ("1.000.000", 1_000_000.0),
        ("1.000.000,25", 1_000_000.25),
        ("۱٬۰۰۰٫۵", 1000.5),
        ("1.000", 1.0),
        ("0,500", 0.5),
        ("1234,567", 1234.567),
        ("1,0000", 1.0),
        ("12,34", 12.34),
        ("１２", 12.0),
        ("1,000", None),
        ("-1,000", None),
        ("999,999", None),
        ("12 34", None),
        ("1 0000", None),
        ("01 000", None),
        ("1,5.3", None),
        ("1.5.3", None),
        ("1,000,5", None),
        ("1 000,000.5", None),
        ("1.5 000", None),
        ("1e99999", None),
        ("1e400", None),
        ("", None),
        ("   ", None),
        ("-", None),
        (".", None),
        ("٫", None),
        ("e3", None),
        ("abc", None),
        ("3 cm", None),
        ("inf", None),
        ("nan", None),
        ("0x10", None),
        ("1_000", None),
        ("3/5", None),
        ("5-", None),
        ("--5", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    result = parse_number(text)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert abs(result - expected) <= 1e-12 * max(1.0, abs(expected))


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ({"0": "1", "1": "2", "2": "3"}, 1.0),
        ({"0": "1", "1": "2", "2": "4"}, 2 / 3),  # the distractor is wrong
        ({"0": "1", "1": "2"}, 2 / 3),  # an unanswered item is wrong
        ({"0": "2", "1": "1", "2": "3"}, 1 / 3),
        ({"0": "4", "1": "4", "2": "4"}, 0.0),
        ({"2": "3"}, 1 / 3),
    ],
)
def test_matching_scores(pairs: dict[str, str], expected: float) -> None:
    result = score(MATCHING, {"pairs": pairs})
    assert close(result.fraction, expected)
    assert [part.index for part in result.parts] == [0, 1, 2]
    assert sum(part.fraction for part in result.parts) == round(expected * 3)


def test_matching_with_a_right_text_shared_by_two_items() -> None:
    question = gift("Q {=a -> x =b -> x =c -> y}")
    assert score(question, {"pairs": {"0": "x", "1": "x", "2": "y"}}).fraction == 1.0
    assert close(score(question, {"pairs": {"0": "x", "1": "y", "2": "x"}}).fraction, 1 / 3)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({}, Score(0.0, needs_marking=False, answered=False)),
        ({"text": ""}, Score(0.0, needs_marking=False, answered=False)),
        ({"text": " \n\t\u200c "}, Score(0.0, needs_marking=False, answered=False)),
        ({"text": "My essay."}, Score(None, needs_marking=True, answered=True)),
    ],
)
def test_essay_marking_state(response: dict[str, Any], expected: Score) -> None:
    assert score(ESSAY, response) == expected


@pytest.mark.parametrize(
    ("awarded", "possible", "expected"),
    [(0, 10, 0.0), (5, 10, 0.5), (10, 10, 1.0), (2.5, 5, 0.5)],
)
def test_mark_essay(awarded: float, possible: float, expected: float) -> None:
    assert mark_essay(awarded, possible) == expected


@pytest.mark.parametrize(
    ("awarded", "possible"),
    [(1, 0), (1, -5), (-1, 10), (11, 10), (float("nan"), 10), (1, float("inf"))],
)
def test_mark_essay_refuses(awarded: float, possible: float) -> None:
    with pytest.raises(ValueError, match="points"):
        mark_essay(awarded, possible)


@pytest.mark.parametrize(
    ("question", "response"),
    [
        (SINGLE, {}),
        (MULTIPLE, {}),
        (MULTIPLE, {"choices": []}),
        (TRUE, {}),
        (SHORT, {}),
        (SHORT, {"text": "   "}),
        (NUMERICAL, {}),
        (NUMERICAL, {"text": ""}),
        (MATCHING, {}),
        (MATCHING, {"pairs": {}}),
        (ESSAY, {}),
    ],
)
def test_unanswered_scores_zero(question: ParsedQuestion, response: dict[str, Any]) -> None:
    assert score(question, response) == Score(0.0, answered=False)
    assert not is_answered(question, response)
    assert feedback(question, response) == []


# --- answer keys and feedback -------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "{=A ~B ~C}",
        "{~B ~C =A}",
        "{~%50%A ~%50%B ~%-100%C}",
        "{~%33.33333%A ~%33.33333%B ~%33.33333%C ~D}",
        "{T}",
        "{F}",
        "{TRUE#no#yes}",
        "{=Kabul =Kabol}",
        "{=%50%Kab*l =Herat}",
        "{=K*l}",
        "{=5 \\\\* 3}",
        "{#3.5:0.1}",
        "{#1..2}",
        "{#=5:0 =%50%5:1}",
        "{#=*}",
        "{=a -> 1 =b -> 2 = -> 3}",
        "{=a -> x =b -> x =c -> y}",
    ],
)
def test_correct_response_scores_one(snippet: str) -> None:
    question = gift("Q " + snippet)
    response = correct_response(question)
    validate(question, response)
    assert score(question, response).fraction == 1.0


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (SINGLE, {"choice": 0}),
        (MULTIPLE, {"choices": [0, 1]}),
        (TRUE, {"value": True}),
        (FALSE, {"value": False}),
        (SHORT, {"text": "Kabul"}),
        (NUMERICAL, {"text": "3.5"}),
        (MATCHING, {"pairs": {"0": "1", "1": "2", "2": "3"}}),
        (ESSAY, {}),
        (gift("Q {=Kab*l}"), {"text": "Kab*l"}),
        (gift("Q {#=%50%5:1 =5:0}"), {"text": "5"}),
        (gift("Q {#=*}"), {"text": "0"}),
    ],
)
def test_correct_response(question: ParsedQuestion, expected: dict[str, Any]) -> None:
    assert correct_response(question) == expected


def test_correct_response_skips_an_answer_captured_earlier() -> None:
    question = ParsedQuestion(
        QuestionType.SHORTANSWER,
        "q",
        "q",
        answers=(Answer("Kab*", 0.5), Answer("Kabul", 1.0), Answer("Herat", 1.0)),
    )
    assert correct_response(question) == {"text": "Herat"}


@pytest.mark.parametrize(
    ("question", "response", "expected"),
    [
        (SINGLE, {"choice": 0}, ["Yes"]),
        (SINGLE, {"choice": 3}, []),
        (MULTIPLE, {"choices": [2, 0]}, ["a", "c"]),
        (MULTIPLE, {"choices": [3]}, []),
        (TRUE, {"value": True}, ["Right"]),
        (TRUE, {"value": False}, ["Wrong"]),
        (SHORT, {"text": "kabul"}, ["Yes"]),
        (SHORT, {"text": "Kabool"}, ["Close"]),
        (SHORT, {"text": "xyz"}, ["No"]),
        (SHORT, {"text": "Herat"}, []),
        (gift("Q {#=5:0#Exactly =%50%5:1#Near ~#Nope}"), {"text": "5"}, ["Exactly"]),
        (gift("Q {#=5:0#Exactly =%50%5:1#Near ~#Nope}"), {"text": "5,5"}, ["Near"]),
        (gift("Q {#=5:0#Exactly =%50%5:1#Near ~#Nope}"), {"text": "9"}, ["Nope"]),
        (gift("Q {#=5:0#Exactly =%50%5:1#Near ~#Nope}"), {"text": "five"}, []),
        (MATCHING, {"pairs": {"0": "1"}}, []),
        (ESSAY, {"text": "Text"}, []),
    ],
)
def test_feedback(question: ParsedQuestion, response: dict[str, Any], expected: list[str]) -> None:
    assert feedback(question, response) == expected


# --- presentation -------------------------------------------------------------------------

FOUR = gift("Q {=A ~B ~C ~D}")


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, FOUR, MATCHING])
@pytest.mark.parametrize("seed", [0, 1, 42, 2**40])
def test_present_is_deterministic(question: ParsedQuestion, seed: int) -> None:
    assert present(question, seed) == present(question, seed)
    assert present(question, seed).fits(question)


def test_present_varies_with_the_seed() -> None:
    orders = {present(FOUR, seed).order for seed in range(30)}
    assert len(orders) > 1
    assert all(sorted(order) == [0, 1, 2, 3] for order in orders)


@pytest.mark.parametrize("seed", range(10))
def test_present_matching(seed: int) -> None:
    question = gift("Q {=a -> x =b -> y =c -> x = -> z = -> y}")
    shown = present(question, seed)
    assert sorted(shown.order) == [0, 1, 2]
    assert sorted(shown.choices) == ["x", "y", "z"]


def test_present_matching_varies_with_the_seed() -> None:
    question = gift("Q {=a -> 1 =b -> 2 =c -> 3 =d -> 4 = -> 5}")
    shown = [present(question, seed) for seed in range(30)]
    assert len({p.order for p in shown}) > 1
    assert len({p.choices for p in shown}) > 1


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (FOUR, Presentation((0, 1, 2, 3))),
        (MATCHING, Presentation((0, 1, 2), ("1", "2", "3", "4"))),
        (TRUE, Presentation()),
    ],
)
def test_present_without_shuffling(question: ParsedQuestion, expected: Presentation) -> None:
    assert present(question, 7, shuffle=False) == expected


@pytest.mark.parametrize("question", [TRUE, SHORT, NUMERICAL, ESSAY])
def test_present_is_empty_for_kinds_without_options(question: ParsedQuestion) -> None:
    assert present(question, 3) == Presentation()


@pytest.mark.parametrize("question", list(ANSWERABLE.values()))
def test_presentation_round_trips_through_json(question: ParsedQuestion) -> None:
    shown = present(question, 5)
    assert Presentation.from_dict(json.loads(json.dumps(shown.to_dict()))) == shown


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "order",
        {"order": "0123"},
        {"order": [0, "1"]},
        {"order": [True, False]},
        {"order": [0.5]},
        {"choices": [1]},
        {"choices": "abc"},
        {"order": [], "extra": 1},
    ],
)
def test_presentation_from_dict_refuses(data: object) -> None:
    with pytest.raises(ValueError, match="presentation"):
        Presentation.from_dict(data)


@pytest.mark.parametrize(
    ("question", "presentation", "fits"),
    [
        (FOUR, Presentation((3, 1, 0, 2)), True),
        (FOUR, Presentation((0, 1, 2)), False),
        (FOUR, Presentation((0, 1, 2, 2)), False),
        (FOUR, Presentation((0, 1, 2, 4)), False),
        (MATCHING, Presentation((2, 0, 1), ("4", "3", "2", "1")), True),
        (MATCHING, Presentation((2, 0, 1), ("4", "3", "2")), False),
        (MATCHING, Presentation((2, 0, 1), ("4", "3", "2", "2", "1")), False),
        (MATCHING, Presentation((2, 0, 1, 3), ("4", "3", "2", "1")), False),
        (MATCHING, Presentation((0, 1, 2), ("1", "2", "3", "9")), False),
        (TRUE, Presentation(), True),
        (TRUE, Presentation((0, 1)), False),
    ],
)
def test_presentation_fits(
    question: ParsedQuestion, presentation: Presentation, fits: bool
) -> None:
    assert presentation.fits(question) is fits


# --- from_form ----------------------------------------------------------------------------

SHOWN = {name: present(question, 11) for name, question in ANSWERABLE.items()}


def choice_position(name: str, text: str) -> str:
    """The form value that picks ``text`` in the shown matching question."""
    return str(SHOWN[name].choices.index(text))


@pytest.mark.parametrize(
    ("name", "form", "expected"),
    [
        ("single", {"q": ["2"]}, {"choice": 2}),
        ("single", {"q": [""]}, {}),
        ("single", {"q": []}, {}),
        ("single", {}, {}),
        ("single", {"q": None}, {}),
        ("single", {"q": ["0"], "other": ["x"]}, {"choice": 0}),
        ("multiple", {"q": ["3", "0"]}, {"choices": [0, 3]}),
        ("multiple", {"q": ["", "1"]}, {"choices": [1]}),
        ("multiple", {"q": [""]}, {}),
        ("multiple", {}, {}),
        ("truefalse", {"q": ["true"]}, {"value": True}),
        ("truefalse", {"q": ["false"]}, {"value": False}),
        ("truefalse", {"q": [""]}, {}),
        ("shortanswer", {"q": ["Kabul"]}, {"text": "Kabul"}),
        ("shortanswer", {"q": ["  "]}, {}),
        ("shortanswer", {"q": "Kabul"}, {"text": "Kabul"}),
        ("numerical", {"q": ["۳٫۵"]}, {"text": "۳٫۵"}),
        ("numerical", {"q": ["not a number"]}, {"text": "not a number"}),
        ("essay", {"q": ["line 1\r\nline 2"]}, {"text": "line 1\nline 2"}),
        ("essay", {"q": ["x" * MAX_TEXT_LENGTH]}, {"text": "x" * MAX_TEXT_LENGTH}),
        ("essay", {"q": ["\u200c \n"]}, {}),
        ("matching", {}, {}),
        ("matching", {"q-0": [""], "q-1": [""]}, {}),
        ("matching", {"q-2": ["@3"], "q-0": ["@1"]}, {"pairs": {"0": "1", "2": "3"}}),
        ("matching", {"q-1": ["@4"], "q": ["9"], "qq-7": ["x"]}, {"pairs": {"1": "4"}}),
    ],
)
def test_from_form(name: str, form: dict[str, Any], expected: dict[str, Any]) -> None:
    form = {
        key: [choice_position(name, v[1:]) if v.startswith("@") else v for v in values]
        if isinstance(values, list)
        else values
        for key, values in form.items()
    }
    question = ANSWERABLE[name]
    response = from_form(question, SHOWN[name], form, "q")
    assert response == expected
    validate(question, response)


class MultiDict:
    """Just enough of werkzeug's MultiDict: ``getlist`` and iteration over keys."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self.items if name == key]

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self.items))


def test_from_form_reads_a_multidict() -> None:
    form = MultiDict([("q", "1"), ("q", "0")])
    assert from_form(MULTIPLE, None, form, "q") == {"choices": [0, 1]}  # type: ignore[arg-type]
    form = MultiDict([("q-1", "3"), ("q-0", "0")])
    assert from_form(MATCHING, None, form, "q") == {  # type: ignore[arg-type]
        "pairs": {"0": "1", "1": "4"}
    }


def test_from_form_without_a_presentation_uses_question_order() -> None:
    assert from_form(SINGLE, None, {"q": ["3"]}, "q") == {"choice": 3}
    assert from_form(MATCHING, None, {"q-0": ["3"]}, "q") == {"pairs": {"0": "4"}}


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("single", {"q": ["4"]}),
        ("single", {"q": ["99999999999999999999999"]}),
        ("single", {"q": ["-1"]}),
        ("single", {"q": ["abc"]}),
        ("single", {"q": ["1.0"]}),
        ("single", {"q": ["01"]}),
        ("single", {"q": ["+1"]}),
        ("single", {"q": [" 1"]}),
        ("single", {"q": ["1_0"]}),
        ("single", {"q": ["١"]}),
        ("single", {"q": ["0", "1"]}),
        ("single", {"q": ["1", "1"]}),
        ("single", {"q": ["\x00"]}),
        ("multiple", {"q": ["0", "0"]}),
        ("multiple", {"q": ["0", "4"]}),
        ("multiple", {"q": ["-1"]}),
        ("multiple", {"q": ["x"]}),
        ("truefalse", {"q": ["True"]}),
        ("truefalse", {"q": ["1"]}),
        ("truefalse", {"q": ["yes"]}),
        ("truefalse", {"q": ["true", "false"]}),
        ("shortanswer", {"q": ["a", "b"]}),
        ("shortanswer", {"q": ["Kab\x00ul"]}),
        ("shortanswer", {"q": ["x" * (MAX_TEXT_LENGTH + 1)]}),
        ("numerical", {"q": ["3\x005"]}),
        ("numerical", {"q": ["9" * (MAX_TEXT_LENGTH + 1)]}),
        ("essay", {"q": ["x" * (MAX_TEXT_LENGTH + 1)]}),
        ("essay", {"q": ["a\x00"]}),
        ("essay", {"q": ["\ud800"]}),
        ("matching", {"q-3": ["0"]}),  # the distractor is no item
        ("matching", {"q-9": ["0"]}),
        ("matching", {"q-x": ["0"]}),
        ("matching", {"q--1": ["0"]}),
        ("matching", {"q-01": ["0"]}),
        ("matching", {"q-": ["0"]}),
        ("matching", {"q-0": ["4"]}),  # only 4 choices: 0..3
        ("matching", {"q-0": ["1"], "q-5": [""]}),
        ("matching", {"q-0": ["Paris"]}),
        ("matching", {"q-0": ["-1"]}),
        ("matching", {"q-0": ["0", "1"]}),
        ("matching", {"q-0": ["\x00"]}),
        ("single", {"q": [1]}),
        ("single", {"q": [None]}),
        ("single", {"q": 5}),
        ("multiple", {"q": [b"1"]}),
        ("matching", {"q-0": [0]}),
        ("essay", {"q": [["nested"]]}),
    ],
)
def test_from_form_refuses_tampering(name: str, form: dict[str, Any]) -> None:
    with pytest.raises(ResponseError):
        from_form(ANSWERABLE[name], SHOWN[name], form, "q")


@pytest.mark.parametrize("form", [None, "q=1", 42, [("q", "1")], object()])
@pytest.mark.parametrize("name", list(ANSWERABLE))
def test_from_form_refuses_a_form_that_is_no_mapping(name: str, form: object) -> None:
    # Refused, or (a matching question finding no field named like an item) read as blank.
    try:
        response = from_form(ANSWERABLE[name], SHOWN[name], form, "q")  # type: ignore[arg-type]
    except ResponseError:
        return
    validate(ANSWERABLE[name], response)


class BrokenForm(dict[str, list[str]]):
    """A mapping that fails however it is read."""

    def get(self, key: str, default: object = None) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Any:
        raise RuntimeError("boom")


@pytest.mark.parametrize("name", list(ANSWERABLE))
def test_from_form_wraps_a_failing_form(name: str) -> None:
    with pytest.raises(ResponseError):
        from_form(ANSWERABLE[name], SHOWN[name], BrokenForm(), "q")


@pytest.mark.parametrize(
    ("name", "presentation"),
    [
        ("single", Presentation((0, 1, 2))),
        ("multiple", Presentation((0, 1, 2, 3, 4))),
        ("matching", Presentation((0, 1), ("1", "2", "3", "4"))),
        ("truefalse", Presentation((0, 1))),
    ],
)
def test_from_form_refuses_a_presentation_that_no_longer_fits(
    name: str, presentation: Presentation
) -> None:
    with pytest.raises(ResponseError, match="changed"):
        from_form(ANSWERABLE[name], presentation, {}, "q")


def test_from_form_on_a_description_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a question"):
        from_form(DESCRIPTION, None, {}, "q")


_JUNK_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["0", "1", "2", "3", "4", "-1", "01", "true", "false", "", "\x00", "٣", "1e3", "x" * 10_001]
)
_JUNK_VALUE = st.one_of(
    st.lists(_JUNK_TEXT, max_size=4),
    _JUNK_TEXT,
    st.none(),
    st.integers(),
    st.lists(st.one_of(st.integers(), st.none(), st.binary(max_size=3)), max_size=3),
)
_JUNK_KEY = st.one_of(
    st.sampled_from(["q", "q-0", "q-1", "q-2", "q-3", "q-9", "q-", "q-01", "qq", "q-x"]),
    st.text(max_size=6),
    st.builds(lambda text: "q-" + text, st.text(alphabet=string.printable, max_size=4)),
)


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(list(ANSWERABLE)),
    form=st.dictionaries(_JUNK_KEY, _JUNK_VALUE, max_size=5),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_from_form_never_raises_anything_but_response_error(
    name: str, form: dict[str, Any], seed: int
) -> None:
    question = ANSWERABLE[name]
    try:
        response = from_form(question, present(question, seed), form, "q")
    except ResponseError:
        return
    validate(question, response)
    result = score(question, response)
    assert result.fraction is None or 0 <= result.fraction <= 1
    json.dumps(response)


# --- validate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "response"),
    [
        ("single", {}),
        ("single", {"choice": 3}),
        ("multiple", {"choices": []}),
        ("multiple", {"choices": [3, 0]}),
        ("multiple", {"choices": (1,)}),
        ("truefalse", {"value": False}),
        ("shortanswer", {"text": ""}),
        ("shortanswer", {"text": "x" * MAX_TEXT_LENGTH}),
        ("numerical", {"text": "abc"}),
        ("matching", {"pairs": {}}),
        ("matching", {"pairs": {"2": "4"}}),
        ("essay", {"text": "An essay."}),
    ],
)
def test_validate_accepts(name: str, response: dict[str, Any]) -> None:
    validate(ANSWERABLE[name], response)


@pytest.mark.parametrize(
    ("name", "response"),
    [
        ("single", None),
        ("single", []),
        ("single", "0"),
        ("single", {"choice": 4}),
        ("single", {"choice": -1}),
        ("single", {"choice": "1"}),
        ("single", {"choice": 1.0}),
        ("single", {"choice": True}),
        ("single", {"choice": None}),
        ("single", {"choices": [1]}),
        ("single", {"choice": 1, "extra": 2}),
        ("single", {1: 1}),
        ("multiple", {"choices": 1}),
        ("multiple", {"choices": "01"}),
        ("multiple", {"choices": [0, 0]}),
        ("multiple", {"choices": [0, 9]}),
        ("multiple", {"choices": [False]}),
        ("multiple", {"choices": {0: 1}}),
        ("truefalse", {"value": 1}),
        ("truefalse", {"value": "true"}),
        ("truefalse", {"value": None}),
        ("shortanswer", {"text": 5}),
        ("shortanswer", {"text": None}),
        ("shortanswer", {"text": "a\x00b"}),
        ("shortanswer", {"text": "\udfff"}),
        ("shortanswer", {"text": "x" * (MAX_TEXT_LENGTH + 1)}),
        ("numerical", {"text": 3.5}),
        ("essay", {"text": ["a"]}),
        ("matching", {"pairs": []}),
        ("matching", {"pairs": {"3": "4"}}),  # a distractor
        ("matching", {"pairs": {"9": "1"}}),
        ("matching", {"pairs": {"01": "1"}}),
        ("matching", {"pairs": {0: "1"}}),
        ("matching", {"pairs": {"0": "Paris"}}),
        ("matching", {"pairs": {"0": 1}}),
        ("matching", {"pairs": {"0": None}}),
    ],
)
def test_validate_refuses(name: str, response: object) -> None:
    with pytest.raises(ResponseError):
        validate(ANSWERABLE[name], response)
    if isinstance(response, dict):
        with pytest.raises(ResponseError):
            score(ANSWERABLE[name], response)


def test_response_error_is_a_value_error_with_a_safe_message() -> None:
    with pytest.raises(ValueError, match="not one of the options") as raised:
        from_form(SINGLE, None, {"q": ["<script>"]}, "q")
    assert "<script>" not in str(raised.value)


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert once == once.strip()
    assert "  " not in once


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_number_reads_python_floats(value: float) -> None:
    assert parse_number(repr(value)) == value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_parse_number_never_raises(text: str) -> None:
    result = parse_number(text)
    assert result is None or isinstance(result, float)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab*", max_size=8),
    st.text(alphabet="ab", max_size=10),
)
def test_wildcards_agree_with_fnmatch(pattern: str, text: str) -> None:
    import fnmatch

    expected = fnmatch.fnmatchcase(text, pattern)
    assert (score(_short(pattern), {"text": text}).fraction == 1.0) is (expected and text != "")
