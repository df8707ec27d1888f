"""GIFT reader and writer: Moodle's fixtures, each syntax feature, each refusal, the writer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.assessments.gift import format_number, normalise_question, read_gift, write_gift
from lms.assessments.questions import (
    BLANK,
    Answer,
    FormatError,
    MatchPair,
    ParsedBank,
    ParsedQuestion,
    QuestionType,
    TextFormat,
)

#: Moodle's own test fixtures, kept beside the repository (never copied into it).
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"

MC = QuestionType.MULTICHOICE
TF = QuestionType.TRUEFALSE
SA = QuestionType.SHORTANSWER
NUM = QuestionType.NUMERICAL
MATCH = QuestionType.MATCHING
ESSAY = QuestionType.ESSAY
DESC = QuestionType.DESCRIPTION
MOODLE = TextFormat.MOODLE
HTML = TextFormat.HTML
PLAIN = TextFormat.PLAIN
MARKDOWN = TextFormat.MARKDOWN


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def one(source: str, **options: object) -> ParsedQuestion:
    bank = read_gift(source, **options)  # type: ignore[arg-type]
    assert len(bank.questions) == 1
    return bank.questions[0]


def problems(source: str | bytes) -> list[tuple[int, str]]:
    with pytest.raises(FormatError) as caught:
        read_gift(source)
    return [(problem.line, problem.message) for problem in caught.value.problems]


# --- Moodle's fixtures --------------------------------------------------------------------


def tf_answers(
    correct: bool, true_feedback: str = "", false_feedback: str = "", fmt: TextFormat = MOODLE
) -> tuple[Answer, Answer]:
    return (
        Answer("True", 1.0 if correct else 0.0, true_feedback, MOODLE, fmt),
        Answer("False", 0.0 if correct else 1.0, false_feedback, MOODLE, fmt),
    )


QUESTIONS_GIFT = [
    ParsedQuestion(ESSAY, "Q8", "How are you?", line=2),
    ParsedQuestion(
        MATCH,
        "Moodle activities",
        "Match the <b>activity</b> to the description.",
        HTML,
        pairs=(
            MatchPair("An activity supporting asynchronous discussions.", "Forum", HTML),
            MatchPair(
                "A teacher asks a question and specifies a choice of multiple responses.",
                "Choice",
                MOODLE,
            ),
            MatchPair("A bank of record entries which participants can add to.", "Database", PLAIN),
            MatchPair(
                "A collection of web pages that anyone can add to or edit.", "Wiki", MARKDOWN
            ),
            MatchPair("", "Chat", HTML),
        ),
        general_feedback_format=HTML,
        line=5,
    ),
    ParsedQuestion(
        MC,
        "Q2",
        "What's between orange and green in the spectrum?",
        answers=(
            Answer("yellow", 1.0, "right; good!"),
            Answer("red", 0.0, "wrong, it's yellow", MOODLE, HTML),
            Answer("blue", 0.0, "wrong, it's yellow", PLAIN, MOODLE),
        ),
        single=True,
        line=14,
    ),
    ParsedQuestion(
        MC,
        "colours",
        "What's between orange and green in the spectrum?",
        answers=(
            Answer("yellow", 0.5, "right; good!"),
            Answer("red", -1.0, "wrong", MOODLE, HTML),
            Answer("off-beige", 0.5, "right; good!"),
            Answer("blue", -1.0, "wrong", PLAIN, MOODLE),
        ),
        single=False,
        line=22,
    ),
    ParsedQuestion(
        NUM,
        "Q5",
        'What is a number from 1 to 5? _____";',
        answers=(
            Answer("3", 1.0, tolerance=2.0),
            Answer("*", 0.0, "Completely wrong", tolerance=None),
        ),
        blank_offset=30,
        line=31,
    ),
    ParsedQuestion(
        SA,
        "Shortanswer",
        "Which is the best animal?",
        answers=(
            Answer("Frog", 1.0, "Good!"),
            Answer("Cat", 0.5, "What is it with Moodlers and cats?"),
            Answer("*", 0.0, "Completely wrong"),
        ),
        line=34,
    ),
    ParsedQuestion(
        TF,
        "Q1",
        '42 is the Absolute Answer to everything._____";',
        answers=tf_answers(
            False,
            true_feedback="42 is the Ultimate Answer.",
            false_feedback="You gave the right answer.",
        ),
        general_feedback="This is, of course, a Hitchiker's Guide to the Galaxy reference.",
        blank_offset=40,
        line=41,
    ),
    ParsedQuestion(TF, "2-08 TSL", "TSL is blablabla.", answers=tf_answers(True), line=46),
    ParsedQuestion(TF, "2-08 TSL", "TSL is blablabla.", answers=tf_answers(True), line=49),
]


def test_questions_gift_reads_as_moodle_reads_it():
    bank = read_gift(fixture("questions.gift.txt"), source="questions.gift.txt")
    assert len(bank.questions) == 9  # Behat: "Importing 9 questions from file"
    assert bank.categories == ()
    assert bank.source == "questions.gift.txt"
    for got, expected in zip(bank.questions, QUESTIONS_GIFT, strict=True):
        assert got == expected
        assert got.line == expected.line


def test_questions_gift_details():
    """The same parity, spelled out for the parts Moodle's tests look at."""
    q8, match, q2, colours, q5, short, q1, tsl, tsl2 = read_gift(
        fixture("questions.gift.txt")
    ).questions
    assert [q.qtype.value for q in (q8, match, q2, colours, q5, short, q1, tsl, tsl2)] == [
        "essay",
        "matching",
        "multichoice",
        "multichoice",
        "numerical",
        "shortanswer",
        "truefalse",
        "truefalse",
        "truefalse",
    ]
    assert [pair.right for pair in match.pairs] == ["Forum", "Choice", "Database", "Wiki", "Chat"]
    assert match.pairs[-1].is_distractor
    assert [(a.text, a.fraction) for a in colours.answers] == [
        ("yellow", 0.5),
        ("red", -1.0),
        ("off-beige", 0.5),
        ("blue", -1.0),
    ]
    assert (q2.single, colours.single) == (True, False)
    # The stray '";' after the block makes missing-word questions, as in Moodle.
    assert q5.is_missing_word
    assert (q5.text_before_blank, q5.text_after_blank) == ("What is a number from 1 to 5? ", '";')
    assert [(a.text, a.tolerance) for a in q5.answers] == [("3", 2.0), ("*", None)]
    assert q1.correct_answer is False
    assert q1.answers[0].feedback == "42 is the Ultimate Answer."  # shown if "True" is chosen
    assert tsl.correct_answer is True


def test_questions_in_category_reads_four_questions_in_its_category():
    bank = read_gift(fixture("questions_in_category.gift.txt"))
    category = "$course$/Default for New Features"
    assert bank.categories == (category,)
    assert len(bank.questions) == 4  # Behat: "Importing 4 questions from file"
    assert {q.category for q in bank.questions} == {category}
    match, greeting, user, acronym = bank.questions
    assert (match.qtype, match.name, match.text_format) == (MATCH, "Moodle activities", HTML)
    assert [p.left_format for p in match.pairs] == [HTML] * 5
    assert match.pairs[0] == MatchPair(
        "An activity supporting asynchronous discussions.", "Forum", HTML
    )
    assert greeting == ParsedQuestion(
        MC,
        "Greeting",
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen to this'
        " greeting:</a><br /><br />What language is being spoken?",
        HTML,
        answers=(
            Answer("English", 0.0, "Sorry, listen again.", HTML, HTML),
            Answer("French", 1.0, "Yes, well done!", HTML, HTML),
            Answer("German", 0.0, "Sorry, listen again.", HTML, HTML),
            Answer("Spanish", 0.0, "Sorry, listen again.", HTML, HTML),
        ),
        general_feedback_format=HTML,
        category=category,
    )
    assert user == ParsedQuestion(
        SA,
        "Moodle user",
        "Anyone who uses Moodle is a ...",
        HTML,
        answers=(Answer("Moodler", 1.0, "", MOODLE, HTML),),
        general_feedback_format=HTML,
        category=category,
    )
    assert acronym.qtype is TF
    assert acronym.correct_answer is True
    assert acronym.text == (
        'Moodle is an acronym for <span style="font-style: italic;">Modular Object-Oriented'
        " Dynamic Learning Environment</span>."
    )
    assert [q.line for q in bank.questions] == [5, 14, 22, 27]


def test_windows_1252_file_is_refused_for_its_encoding():
    with pytest.raises(FormatError) as caught:
        read_gift(fixture("questions_encoding_windows-1252.gift.txt"), source="cp1252.txt")
    [problem] = caught.value.problems
    assert problem.line == 15  # the line with the 0xF6 byte ("a\xf6df")
    assert "not UTF-8" in problem.message
    assert "0xF6" in problem.message
    assert caught.value.source == "cp1252.txt"
    assert str(caught.value).startswith("line 15: the file is not UTF-8")


@pytest.mark.parametrize("name", ["questions.gift.txt", "questions_in_category.gift.txt"])
def test_fixtures_round_trip(name):
    bank = read_gift(fixture(name))
    written = write_gift(bank)
    again = read_gift(written)
    assert again == bank
    assert write_gift(again) == written


def test_utf8_bom_is_accepted():
    bank = read_gift(b"\xef\xbb\xbf" + fixture("questions.gift.txt"))
    assert bank == read_gift(fixture("questions.gift.txt"))
    assert one("\ufeff::a::b{T}").name == "a"


# --- syntax features ----------------------------------------------------------------------


FEATURES = [
    pytest.param(
        "Who wrote it? {=Alice ~Bob ~Carol}",
        ParsedQuestion(
            MC,
            "Who wrote it?",
            "Who wrote it?",
            answers=(Answer("Alice", 1.0), Answer("Bob", 0.0), Answer("Carol", 0.0)),
        ),
        id="multichoice-single",
    ),
    pytest.param(
        "::m::Pick {~%50%a#yes ~%50%b ~%-100%c#no ~d}",
        ParsedQuestion(
            MC,
            "m",
            "Pick",
            answers=(
                Answer("a", 0.5, "yes"),
                Answer("b", 0.5),
                Answer("c", -1.0, "no"),
                Answer("d", 0.0),
            ),
            single=False,
        ),
        id="multichoice-weights-negative",
    ),
    pytest.param(
        "::m::Pick {~%33.33333%a ~%33.333333%b ~%33.3333%c ~%-50%d}",
        ParsedQuestion(
            MC,
            "m",
            "Pick",
            answers=(
                Answer("a", 0.3333333),
                Answer("b", 0.3333333),
                Answer("c", 0.3333333),
                Answer("d", -0.5),
            ),
            single=False,
        ),
        id="multichoice-decimal-weights-snap-to-grades",
    ),
    pytest.param(
        "::m::Pick {=a ~%50%b ~c}",
        ParsedQuestion(
            MC, "m", "Pick", answers=(Answer("a", 1.0), Answer("b", 0.5), Answer("c", 0.0))
        ),
        id="multichoice-single-with-partial-credit",
    ),
    pytest.param(
        "::m::Pick {=a#fine=b ~c}",
        ParsedQuestion(
            MC,
            "m",
            "Pick",
            answers=(Answer("a", 1.0, "fine"), Answer("b", 1.0), Answer("c", 0.0)),
        ),
        id="multichoice-unescaped-equals-in-feedback-starts-an-answer",
    ),
    pytest.param(
        "::t::Sky is blue{T}",
        ParsedQuestion(TF, "t", "Sky is blue", answers=tf_answers(True)),
        id="truefalse-T",
    ),
    pytest.param(
        "::t::Sky is blue{TRUE}",
        ParsedQuestion(TF, "t", "Sky is blue", answers=tf_answers(True)),
        id="truefalse-TRUE",
    ),
    pytest.param(
        "::t::Grass is red{F}",
        ParsedQuestion(TF, "t", "Grass is red", answers=tf_answers(False)),
        id="truefalse-F",
    ),
    pytest.param(
        "::t::Grass is red{FALSE#No, it is green.#Right.}",
        ParsedQuestion(
            TF,
            "t",
            "Grass is red",
            answers=tf_answers(False, true_feedback="No, it is green.", false_feedback="Right."),
        ),
        id="truefalse-two-feedbacks",
    ),
    pytest.param(
        "::t::Sky is blue{TRUE#Look up.#Yes.####Rayleigh scattering.}",
        ParsedQuestion(
            TF,
            "t",
            "Sky is blue",
            answers=tf_answers(True, true_feedback="Yes.", false_feedback="Look up."),
            general_feedback="Rayleigh scattering.",
        ),
        id="truefalse-feedback-and-general-feedback",
    ),
    pytest.param(
        "::s::Name the means {=deception =%50%fraud#Half right =%0%*#No}",
        ParsedQuestion(
            SA,
            "s",
            "Name the means",
            answers=(
                Answer("deception", 1.0),
                Answer("fraud", 0.5, "Half right"),
                Answer("*", 0.0, "No"),
            ),
        ),
        id="shortanswer-weights-wildcard",
    ),
    pytest.param(
        "::s::Two plus two {four}",
        ParsedQuestion(SA, "s", "Two plus two", answers=(Answer("four", 1.0),)),
        id="shortanswer-without-equals",
    ),
    pytest.param(
        "::s::Text {=[html]<b>x</b>#[html]<i>ok</i>}",
        ParsedQuestion(
            SA, "s", "Text", answers=(Answer("<b>x</b>", 1.0, "<i>ok</i>", MOODLE, HTML),)
        ),
        id="shortanswer-answer-format-dropped-feedback-format-kept",
    ),
    pytest.param(
        "::n::Year? {#1822}",
        ParsedQuestion(NUM, "n", "Year?", answers=(Answer("1822", 1.0, tolerance=0.0),)),
        id="numerical-exact",
    ),
    pytest.param(
        "::n::Year? {#1822:5}",
        ParsedQuestion(NUM, "n", "Year?", answers=(Answer("1822", 1.0, tolerance=5.0),)),
        id="numerical-tolerance",
    ),
    pytest.param(
        "::n::Pi? {#3.14:0.005}",
        ParsedQuestion(NUM, "n", "Pi?", answers=(Answer("3.14", 1.0, tolerance=0.005),)),
        id="numerical-decimal-tolerance",
    ),
    pytest.param(
        "::n::Between? {#1..5}",
        ParsedQuestion(NUM, "n", "Between?", answers=(Answer("3", 1.0, tolerance=2.0),)),
        id="numerical-range",
    ),
    pytest.param(
        "::n::Between? {#1.5..2}",
        ParsedQuestion(NUM, "n", "Between?", answers=(Answer("1.75", 1.0, tolerance=0.25),)),
        id="numerical-decimal-range",
    ),
    pytest.param(
        "::n::Age? {# =18:0#Exactly =%50%18:2#Close ~#Not at all}",
        ParsedQuestion(
            NUM,
            "n",
            "Age?",
            answers=(
                Answer("18", 1.0, "Exactly", tolerance=0.0),
                Answer("18", 0.5, "Close", tolerance=2.0),
                Answer("*", 0.0, "Not at all"),
            ),
        ),
        id="numerical-several-answers-weights-feedback",
    ),
    pytest.param(
        "::n::Minus? {#-1e3:+.5}",
        ParsedQuestion(NUM, "n", "Minus?", answers=(Answer("-1e3", 1.0, tolerance=0.5),)),
        id="numerical-number-forms",
    ),
    pytest.param(
        "::n::Any? {#=*#Anything goes}",
        ParsedQuestion(NUM, "n", "Any?", answers=(Answer("*", 1.0, "Anything goes"),)),
        id="numerical-catch-all-answer",
    ),
    pytest.param(
        "::s::Arrow {a->b#c->d}",
        ParsedQuestion(SA, "s", "Arrow", answers=(Answer("a->b", 1.0, "c->d"),)),
        id="shortanswer-arrow-without-equals",
    ),
    pytest.param(
        "::p::Match {=Act -> recruitment =Means -> deception = -> exploitation}",
        ParsedQuestion(
            MATCH,
            "p",
            "Match",
            pairs=(
                MatchPair("Act", "recruitment"),
                MatchPair("Means", "deception"),
                MatchPair("", "exploitation"),
            ),
        ),
        id="matching-with-distractor",
    ),
    pytest.param(
        "::p::Match {=a -> b -> c =d->e}",
        ParsedQuestion(MATCH, "p", "Match", pairs=(MatchPair("a", "b -> c"), MatchPair("d", "e"))),
        id="matching-first-arrow-splits",
    ),
    pytest.param(
        "::e::Describe the protocol.{}",
        ParsedQuestion(ESSAY, "e", "Describe the protocol."),
        id="essay",
    ),
    pytest.param(
        "::e::Describe.{####Mention the three elements.}",
        ParsedQuestion(ESSAY, "e", "Describe.", general_feedback="Mention the three elements."),
        id="essay-general-feedback",
    ),
    pytest.param(
        "::d::Read the case below carefully.",
        ParsedQuestion(DESC, "d", "Read the case below carefully."),
        id="description",
    ),
    pytest.param(
        "::w::Trafficking has {=three ~two ~four} elements.",
        ParsedQuestion(
            MC,
            "w",
            f"Trafficking has {BLANK} elements.",
            answers=(Answer("three", 1.0), Answer("two", 0.0), Answer("four", 0.0)),
            blank_offset=16,
        ),
        id="missing-word",
    ),
    pytest.param(
        "::w::{=Consent ~Age} is irrelevant once means are used.",
        ParsedQuestion(
            MC,
            "w",
            f"{BLANK} is irrelevant once means are used.",
            answers=(Answer("Consent", 1.0), Answer("Age", 0.0)),
            blank_offset=0,
        ),
        id="missing-word-at-start",
    ),
    pytest.param(
        "::w::[html]<p>The {T} end</p>",
        ParsedQuestion(
            TF,
            "w",
            f"<p>The {BLANK} end</p>",
            HTML,
            answers=tf_answers(True, fmt=HTML),
            general_feedback_format=HTML,
            blank_offset=7,
        ),
        id="missing-word-with-format",
    ),
    pytest.param(
        "::g::Pick {=a#Right ~b#Wrong ####General}",
        ParsedQuestion(
            MC,
            "g",
            "Pick",
            answers=(Answer("a", 1.0, "Right"), Answer("b", 0.0, "Wrong")),
            general_feedback="General",
        ),
        id="per-answer-and-general-feedback",
    ),
    pytest.param(
        "Which protocol covers it? {=TIP ~SOM}",
        ParsedQuestion(
            MC,
            "Which protocol covers it?",
            "Which protocol covers it?",
            answers=(Answer("TIP", 1.0), Answer("SOM", 0.0)),
        ),
        id="name-derived-from-text",
    ),
    pytest.param(
        "[html]<p>A <b>bold</b> question</p>{}",
        ParsedQuestion(
            ESSAY,
            "A bold question",
            "<p>A <b>bold</b> question</p>",
            HTML,
            general_feedback_format=HTML,
        ),
        id="derived-name-drops-tags",
    ),
    pytest.param(
        "::Q\\: one\\:\\: <b>two</b>::Text{}",
        ParsedQuestion(ESSAY, "Q: one:: two", "Text"),
        id="name-with-escaped-colons-and-tags",
    ),
    pytest.param(
        "::::Only text{}",
        ParsedQuestion(ESSAY, "Only text", "Only text"),
        id="empty-name-derived",
    ),
    pytest.param(
        "::f::[markdown]*Pick*{=[plain]a#[html]<b>y</b> ~[moodle]b ####[plain]gf}",
        ParsedQuestion(
            MC,
            "f",
            "*Pick*",
            MARKDOWN,
            answers=(
                Answer("a", 1.0, "<b>y</b>", PLAIN, HTML),
                Answer("b", 0.0, "", MOODLE, MARKDOWN),
            ),
            general_feedback="gf",
            general_feedback_format=PLAIN,
        ),
        id="text-formats",
    ),
    pytest.param(
        "::f::[unknown]x{}",
        ParsedQuestion(ESSAY, "f", "[unknown]x"),
        id="unknown-format-is-text",
    ),
    pytest.param(
        "::x::a \\~ \\= \\# \\{ \\} \\: b\\nc \\\\ d{=\\~\\=\\#\\{\\}\\: ~x\\\\y#f\\#g}",
        ParsedQuestion(
            MC,
            "x",
            "a ~ = # { } : b\nc \\ d",
            answers=(Answer("~=#{}:", 1.0), Answer("x\\y", 0.0, "f#g")),
        ),
        id="escapes",
    ),
    pytest.param(
        "::x::a\\b \\\\\\: c{}",
        ParsedQuestion(ESSAY, "x", "a\\b \\: c"),
        id="lone-backslash-kept",
    ),
    pytest.param(
        "// [id:TIP-PRE-07] [tag:pretest] [tag:module2]\n::t::Sky{T}",
        ParsedQuestion(
            TF,
            "t",
            "Sky",
            answers=tf_answers(True),
            idnumber="TIP-PRE-07",
            tags=("pretest", "module2"),
        ),
        id="id-and-tags",
    ),
    pytest.param(
        "// question: 3  name: t\n// [id: a\\]b ] [tag:x] [tag:X] [tag: ] [tag:y\\]z]\n::t::Sky{T}",
        ParsedQuestion(TF, "t", "Sky", answers=tf_answers(True), idnumber="a]b", tags=("x", "y]z")),
        id="id-escaped-bracket-tags-deduplicated",
    ),
    pytest.param(
        "::c::Pick{\n// a comment inside the block\n=a\n~b\n}",
        ParsedQuestion(MC, "c", "Pick", answers=(Answer("a", 1.0), Answer("b", 0.0))),
        id="comment-lines-inside-a-question-are-ignored",
    ),
    pytest.param(
        "::l::Line one\nline two{\n\t=a\n\t~b\n}",
        ParsedQuestion(MC, "l", "Line one\nline two", answers=(Answer("a", 1.0), Answer("b", 0.0))),
        id="multi-line-text",
    ),
]


@pytest.mark.parametrize(("source", "expected"), FEATURES)
def test_feature(source, expected):
    assert one(source) == expected


@pytest.mark.parametrize(("source", "expected"), FEATURES)
def test_feature_round_trips(source, expected):
    written = write_gift([expected])
    assert read_gift(written).questions == (expected,)
    assert write_gift(read_gift(written)) == written


def test_questions_are_separated_by_blank_lines_and_line_ends_do_not_matter():
    source = "// first\n::a::A{T}\n\n\n   \n::b::B{F}\n\n// only a comment\n\n::c::C{}"
    bank = read_gift(source)
    assert [(q.name, q.line) for q in bank.questions] == [("a", 2), ("b", 6), ("c", 10)]
    assert read_gift(source.replace("\n", "\r\n")) == bank
    assert read_gift(source.replace("\n", "\r")) == bank
    assert read_gift(source.encode()) == bank


def test_categories():
    source = (
        "::a::before{T}\n\n$CATEGORY: $course$/TIP\n\n::b::B{T}\n\n"
        "// switch\n$CATEGORY: $course$/TIP/Pre-test\n\n::c::C{T}\n\n"
        "$CATEGORY: $course$/TIP\n\n::d::D{T}\n\n$CATEGORY: $course$/Empty\n"
    )
    bank = read_gift(source)
    assert bank.categories == ("$course$/TIP", "$course$/TIP/Pre-test", "$course$/Empty")
    assert [q.category for q in bank.questions] == [
        None,
        "$course$/TIP",
        "$course$/TIP/Pre-test",
        "$course$/TIP",
    ]
    assert read_gift(write_gift(bank)) == bank


def test_match_grades_nearest_picks_the_nearest_grade():
    question = one("::m::Pick {~%35%a ~%65%b}", match_grades="nearest")
    assert [a.fraction for a in question.answers] == [0.3333333, 0.6666667]
    assert [line for line, _ in problems("::m::Pick {~%35%a ~%65%b}")] == [1, 1]


def test_text_ending_in_escaped_newline_is_still_missing_word():
    """Moodle tests for text after the block before trimming it."""
    question = one("::w::Fill {=a ~b}\\n")
    assert question.text == f"Fill {BLANK}"
    assert question.blank_offset == 5
    assert read_gift(write_gift([question])).questions == (question,)


# --- refusals -----------------------------------------------------------------------------


ERRORS = [
    pytest.param("::a::Question {=yes ~no", [(1, "'{' is never closed")], id="unclosed-brace"),
    pytest.param(
        "// c\n::a::Question\n{=yes\n\n~no\n}",
        [(3, "'{' is never closed"), (6, "'}' has no '{'")],
        id="blank-line-inside-block",
    ),
    pytest.param("::a::Question =yes}", [(1, "'}' has no '{'")], id="closing-brace-alone"),
    pytest.param("::a::Q } {T}", [(1, "'}' comes before")], id="brace-order"),
    pytest.param("::a::Q {=a ~b} and\n{=c ~d}", [(2, "one answer block")], id="two-answer-blocks"),
    pytest.param("::a Question{T}", [(1, "name is not closed")], id="unclosed-name"),
    pytest.param(
        "::a::Pick\n{\n~x\n~y\n}", [(1, "no right answer")], id="multichoice-no-right-answer"
    ),
    pytest.param(
        "::a::Pick {~%50%x ~%20%y}", [(1, "add up to 70%")], id="multichoice-weights-below-100"
    ),
    pytest.param("::a::Pick {~x}", [(1, "at least 2 answers")], id="multichoice-one-answer"),
    pytest.param(
        "::a::Pick {\n=x\n~\n~y\n}", [(3, "an answer is empty")], id="multichoice-empty-answer"
    ),
    pytest.param(
        "::a::Pick {=%50%x ~y}", [(1, "weight follows '~'")], id="multichoice-weight-after-equals"
    ),
    pytest.param(
        "::a::Pick {~%35%x ~%65%y}",
        [(1, "not one of Moodle's grades"), (1, "not one of Moodle's grades")],
        id="weight-not-a-grade",
    ),
    pytest.param("::a::Pick {=x ~%--50%y}", [(1, "one minus sign")], id="weight-two-minus"),
    pytest.param("::a::Pick {=x ~%half%y}", [(1, "not a weight")], id="weight-not-a-number"),
    pytest.param("::a::Pick {=x ~%150%y}", [(1, "not one of Moodle's")], id="weight-above-100"),
    pytest.param("::a::Match {=a -> b}", [(1, "at least 2 pairs")], id="matching-one-pair"),
    pytest.param(
        "::a::Match {=a -> b = -> c}", [(1, "at least 2 pairs")], id="matching-distractor-only"
    ),
    pytest.param(
        "::a::Match {\n=a -> b\n=c\n}", [(3, "needs '->'")], id="matching-pair-without-arrow"
    ),
    pytest.param(
        "::a::Match {=a -> b =c -> }", [(1, "nothing after '->'")], id="matching-empty-right"
    ),
    pytest.param("::a::N {#}", [(1, "at least 1 answer")], id="numerical-no-answer"),
    pytest.param(
        "::a::N {#~#only feedback}", [(1, "at least 1 answer")], id="numerical-only-other"
    ),
    pytest.param("::a::N {#abc}", [(1, "'abc' is not a number")], id="numerical-not-a-number"),
    pytest.param(
        "::a::N {#3:x}", [(1, "tolerance 'x' is not a number")], id="numerical-bad-tolerance"
    ),
    pytest.param("::a::N {#3:-1}", [(1, "is negative")], id="numerical-negative-tolerance"),
    pytest.param(
        "::a::N {#5..1}", [(1, "minimum above its maximum")], id="numerical-range-reversed"
    ),
    pytest.param("::a::N {#1..x}", [(1, "maximum 'x' is not a number")], id="numerical-bad-range"),
    pytest.param("::a::N {#1e999}", [(1, "too large")], id="numerical-infinite"),
    pytest.param(
        "::a::N {#=%50%3}", [(1, "one answer must be worth 100%")], id="numerical-no-full"
    ),
    pytest.param("::a::N {#3 ~wrong}", [(1, "write ~#feedback")], id="numerical-tilde-answer"),
    pytest.param("::a::N {#3 ~#a =4}", [(1, "must come last")], id="numerical-answer-after-tilde"),
    pytest.param("::a::N {#*:2}", [(1, "takes no tolerance")], id="numerical-catch-all-tolerance"),
    pytest.param(
        "::a::S {=%50%cat =%20%dog}",
        [(1, "one answer must be worth 100%")],
        id="shortanswer-no-full",
    ),
    pytest.param("::a::S {=cat =#fb}", [(1, "an answer is empty")], id="shortanswer-empty-answer"),
    pytest.param("::a::", [(1, "has no text")], id="description-without-text"),
    pytest.param(
        "// [id:x [tag:y]\n::a::A{}", [(1, "is a ']' missing?")], id="id-swallowing-a-tag"
    ),
    pytest.param("::a::A{\n// [tag:a\\]\n}", [(2, "ends with a backslash")], id="tag-backslash"),
    pytest.param(
        "$CATEGORY: a\n::q::Q{T}", [(2, "stands alone")], id="category-followed-by-question"
    ),
    pytest.param("$CATEGORY:   ", [(1, "names no category")], id="category-empty"),
    pytest.param("", [(1, "no questions")], id="empty-file"),
    pytest.param("// only\n// comments\n\n\n", [(1, "no questions")], id="comments-only"),
    pytest.param(b"::a::caf\xe9{T}", [(1, "not UTF-8")], id="latin-1-bytes"),
    pytest.param(b"::a::a{T}\n\n::b::b\n{\xff}", [(4, "not UTF-8")], id="bad-byte-line"),
    pytest.param("::a::\ud800{T}", [(1, "lone surrogate")], id="lone-surrogate"),
]


@pytest.mark.parametrize(("source", "expected"), ERRORS)
def test_refusal(source, expected):
    found = problems(source)
    assert len(found) == len(expected), found
    for (line, message), (expected_line, fragment) in zip(found, expected, strict=True):
        assert line == expected_line, found
        assert fragment in message, found


def test_every_problem_of_a_file_is_listed_and_nothing_is_read():
    source = (
        "::ok::Fine{T}\n\n"  # lines 1-2
        "::bad1::Pick {~x ~y}\n\n"  # line 3
        "::ok2::Fine{\n=a\n~b\n}\n\n"  # lines 5-8
        "::bad2::N {#\n=1\n=abc\n}\n\n"  # lines 10-13: the bad answer is on line 12
        "::bad3::Q {=a ~b\n"  # line 15
    )
    with pytest.raises(FormatError) as caught:
        read_gift(source, source="bank.gift")
    error = caught.value
    assert [p.line for p in error.problems] == [3, 12, 15]
    lines = str(error).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("line 3: no right answer")
    assert lines[1] == "line 12: the answer 'abc' is not a number"
    assert lines[2].startswith("line 15: '{' is never closed")
    assert error.source == "bank.gift"


def test_refusing_wrong_input_type():
    with pytest.raises(TypeError):
        read_gift(42)  # type: ignore[arg-type]


# --- the writer ---------------------------------------------------------------------------


SAMPLE = ParsedBank(
    questions=(
        ParsedQuestion(
            MC,
            "TIP-07",
            "Which instrument defines trafficking in persons?",
            answers=(
                Answer("the Trafficking in Persons Protocol", 1.0, "Article 3 (a)."),
                Answer("the Smuggling of Migrants Protocol", 0.0, "That one covers smuggling."),
                Answer("[1961] the Single Convention", 0.0),
            ),
            general_feedback="See the Protocol.",
            idnumber="TIP-PRE-07",
            tags=("pretest", "module2"),
        ),
        ParsedQuestion(
            NUM,
            "Age",
            "Under which age is a person a child? {#} ~=:",
            answers=(Answer("18", 1.0, tolerance=0.0), Answer("*", 0.0, "See Article 3 (d).")),
            category="$course$/TIP",
        ),
        ParsedQuestion(
            MATCH,
            "Elements",
            "Match each element.",
            HTML,
            pairs=(
                MatchPair("Act", "recruitment", HTML),
                MatchPair("Means", "deception", HTML),
                MatchPair("", "a choice", HTML),
            ),
            general_feedback_format=HTML,
            category="$course$/TIP",
        ),
        ParsedQuestion(
            SA,
            "Means",
            "Name the means: _____ of a position of vulnerability.",
            answers=(Answer("abuse", 1.0), Answer("misuse", 0.5, "Close.")),
            blank_offset=16,
            category="$course$/TIP/Post-test",
        ),
        ParsedQuestion(
            TF,
            "Consent",
            "Consent matters once means are used.",
            answers=tf_answers(
                False, true_feedback="It does not (Article 3 (b)).", false_feedback="Right."
            ),
            category="$course$/TIP/Post-test",
        ),
        ParsedQuestion(
            ESSAY, "Эссе", "Опишите дело. صف القضية.", category="$course$/TIP/Post-test"
        ),
        ParsedQuestion(
            DESC, "Intro", "Read the case: #1 = {A}.", category="$course$/TIP/Post-test"
        ),
    ),
    categories=("$course$/TIP", "$course$/TIP/Post-test"),
)

SAMPLE_GIFT = """\
// [id:TIP-PRE-07] [tag:pretest] [tag:module2]
::TIP-07::Which instrument defines trafficking in persons?{
\t=the Trafficking in Persons Protocol#Article 3 (a).
\t~the Smuggling of Migrants Protocol#That one covers smuggling.
\t~[moodle][1961] the Single Convention
\t####See the Protocol.
}

$CATEGORY: $course$/TIP

::Age::Under which age is a person a child? \\{\\#\\} \\~\\=\\:{#
\t=18:0
\t~#See Article 3 (d).
}

::Elements::[html]Match each element.{
\t=Act -> recruitment
\t=Means -> deception
\t= -> a choice
}

$CATEGORY: $course$/TIP/Post-test

::Means::Name the means\\: {
\t=abuse
\t=%50%misuse#Close.
} of a position of vulnerability.

::Consent::Consent matters once means are used.{FALSE#It does not (Article 3 (b)).#Right.}

::Эссе::Опишите дело. صف القضية.{}

::Intro::Read the case\\: \\#1 \\= \\{A\\}.
"""


def test_writer_output_is_exact():
    assert write_gift(SAMPLE) == SAMPLE_GIFT


def test_writer_round_trips_and_is_byte_stable():
    again = read_gift(SAMPLE_GIFT)
    assert again == SAMPLE
    assert write_gift(again) == SAMPLE_GIFT
    assert write_gift(SAMPLE.questions) == SAMPLE_GIFT  # categories follow the questions


def test_writer_keeps_unused_categories_and_their_order():
    question = ParsedQuestion(ESSAY, "q", "Q", category="B")
    bank = ParsedBank((question,), ("A", "B", "C"))
    written = write_gift(bank)
    assert written == "$CATEGORY: A\n\n$CATEGORY: B\n\n$CATEGORY: C\n\n$CATEGORY: B\n\n::q::Q{}\n"
    assert read_gift(written) == bank
    plain = ParsedBank((question,), ("B", "C"))
    assert write_gift(plain) == "$CATEGORY: B\n\n::q::Q{}\n\n$CATEGORY: C\n"
    assert read_gift(write_gift(plain)) == plain


def test_writer_keeps_formats_of_empty_feedback():
    question = ParsedQuestion(
        MC,
        "m",
        "",
        HTML,
        answers=(Answer("a", 1.0, "", HTML, PLAIN), Answer("b", 0.0)),
        general_feedback_format=MARKDOWN,
    )
    written = write_gift([question])
    assert written == "::m::[html]{\n\t=a#[plain]\n\t~[moodle]b#[moodle]\n\t####[markdown]\n}\n"
    assert read_gift(written).questions == (question,)


def test_single_multichoice_where_every_answer_is_right_keeps_a_tilde():
    question = ParsedQuestion(MC, "m", "Q", answers=(Answer("a", 1.0), Answer("b", 1.0)))
    written = write_gift([question])
    assert "\t=a\n\t~%100%b\n" in written
    assert read_gift(written).questions == (question,)


@pytest.mark.parametrize(
    ("questions", "fragment"),
    [
        pytest.param(
            [ParsedQuestion(ESSAY, "a", "A", category="X"), ParsedQuestion(ESSAY, "b", "B")],
            "switch back to the default category",
            id="no-category-after-category",
        ),
        pytest.param(
            [ParsedQuestion(ESSAY, "a", "A", category="X\nY")], "one non-empty line", id="category"
        ),
        pytest.param(
            [ParsedQuestion(SA, "s", "S", answers=(Answer("a->b", 1.0), Answer("c", 0.5)))],
            "'->' in a short answer",
            id="arrow-in-short-answer",
        ),
        pytest.param(
            [ParsedQuestion(MATCH, "m", "M", pairs=(MatchPair("a->b", "c"), MatchPair("d", "e")))],
            "'->' in a matching item",
            id="arrow-in-matching-item",
        ),
        pytest.param(
            [ParsedQuestion(MC, "m", "M", answers=(Answer("a", 0.5), Answer("b", 0.5)))],
            "needs an answer worth 100%",
            id="single-multichoice-without-right-answer",
        ),
        pytest.param(
            [ParsedQuestion(MC, "m", "M", answers=(Answer("a", 1.0), Answer("b", 2.0)))],
            "outside -1..1",
            id="weight-out-of-range",
        ),
        pytest.param(
            [ParsedQuestion(TF, "t", "T", answers=(Answer("True", 1.0),))],
            "two answers",
            id="truefalse-one-answer",
        ),
        pytest.param(
            [ParsedQuestion(ESSAY, "e", "E", tags=("a<b",))], "<, > or `", id="tag-with-angle"
        ),
        pytest.param(
            [ParsedQuestion(ESSAY, "e", "E", idnumber="x\ty")], "control character", id="id-tab"
        ),
        pytest.param(
            [ParsedQuestion(ESSAY, "e", "E", idnumber="x [tag:y]")], "GIFT comment", id="id-tag"
        ),
        pytest.param(
            [ParsedQuestion(ESSAY, "e", "E", idnumber="x\\")], "GIFT comment", id="id-backslash"
        ),
    ],
)
def test_writer_refuses_what_gift_cannot_carry(questions, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        write_gift(questions)


def test_normalise_question_documents_what_gift_drops():
    messy = ParsedQuestion(
        DESC,
        " <b>Name</b>\r\n",
        "  Text\r\nline  ",
        general_feedback="dropped",
        idnumber="  ",
        tags=(" a ", "A", "", "b"),
    )
    clean = normalise_question(messy)
    assert clean == ParsedQuestion(DESC, "Name", "Text\nline", tags=("a", "b"))
    assert read_gift(write_gift([messy])).questions == (clean,)
    assert normalise_question(clean) == clean
    unnamed = normalise_question(ParsedQuestion(ESSAY, "", "<p>Say why</p>", HTML))
    assert unnamed.name == "Say why"
    assert normalise_question(ParsedQuestion(ESSAY, "", "")).name == "Question name"
    long_name = normalise_question(ParsedQuestion(ESSAY, "x" * 300, "T")).name
    assert len(long_name) == 255
    assert long_name.endswith("...")
    sa = normalise_question(
        ParsedQuestion(SA, "s", "S", answers=(Answer("a", 1.0, "", HTML, tolerance=3.0),))
    )
    assert sa.answers == (Answer("a", 1.0),)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (3.0, "3"),
        (-2.5, "-2.5"),
        (0.1, "0.1"),
        (1e16, "1e+16"),
        (1.5e-7, "1.5e-07"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text
    assert float(text) == value
