"""Fuzz and property tests of the GIFT reader and writer (hypothesis).

1. Any text or bytes end in a ParsedBank or a FormatError, never another exception.
2. The same for Moodle's fixtures and our sample after random edits around the syntax.
3. Written questions read back as they were (after :func:`normalise_question`), and the
   writer is byte-stable: write(read(write(x))) == write(x).

Whenever a fuzzed input does read, the bank must also survive write → read unchanged: the
writer can write everything the reader can produce.

Budgets are fixed and the runs derandomized (the same examples on every run, no example
database), so CI is reproducible; the whole module runs in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.assessments.gift import format_number, normalise_question, read_gift, write_gift
from lms.assessments.questions import (
    BLANK,
    GRADE_FRACTIONS,
    Answer,
    FormatError,
    MatchPair,
    ParsedBank,
    ParsedQuestion,
    QuestionType,
    TextFormat,
    php_trim,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROUND_TRIP = settings(FUZZ, max_examples=300)

SAMPLE = """\
// [id:TIP-PRE-07] [tag:pretest] [tag:module2]
::TIP\\:07::[html]Which instrument <b>defines</b> trafficking?{
\t=the TIP Protocol#Article 3 (a).
\t~%-50%the SOM Protocol#[plain]Smuggling.
\t~[moodle]%5% of cases
\t####See \\{the Protocol\\}.
}

$CATEGORY: $course$/TIP/Pre-test

::Age::Under which age is a person a child?{#
\t=18:0#Yes.
\t=%50%17..19
\t~#See Article 3 (d).
}

::Elements::Match {=Act -> recruitment =Means -> deception = -> a choice}

::Means::Name the means\\: {=abuse =%50%misuse#Close.} of a position of vulnerability.

::Consent::Consent matters.{FALSE#It does not.#Right.####Article 3 (b).}

::Эссе::Опишите дело. صف القضية.{####Общий отзыв}

Read the case: #1 \\= \\{A\\}.

::W::Pick {~%50%a ~%50%b ~%-100%c}
"""

SEEDS = [
    (FIXTURES / "questions.gift.txt").read_text(encoding="utf-8"),
    (FIXTURES / "questions_in_category.gift.txt").read_text(encoding="utf-8"),
    (FIXTURES / "questions_encoding_windows-1252.gift.txt").read_bytes().decode("cp1252"),
    SAMPLE,
]
SPECIAL = [*"{}~=#:%\\", "\n", "\n\n", "-", ">", "[", "]", "/", "*", ".", " ", "T"]
TOKENS = [
    *SPECIAL,
    "::",
    "->",
    "####",
    "\\n",
    "$CATEGORY: ",
    "// ",
    "[html]",
    "[id:x]",
    "[tag:y]",
    "TRUE",
    "F",
    "..",
    "%50%",
    "%-100%",
    "word",
    "3",
    "Ж",
    "ع",
]


def check_reads(data: str | bytes) -> None:
    """Reading ends in a bank or a FormatError; a bank then survives write → read."""
    try:
        bank = read_gift(data)
    except FormatError as error:
        refused = error
    else:
        refused = None
    if refused is not None:
        assert refused.problems
        assert all(problem.line >= 1 for problem in refused.problems)
        assert str(refused).startswith("line ")
        return
    written = write_gift(bank)
    again = read_gift(written)
    assert again == bank
    assert write_gift(again) == written


# --- 1. arbitrary input -------------------------------------------------------------------


@FUZZ
@given(st.text())
def test_any_text_reads_or_is_refused(text):
    check_reads(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_any_sequence_of_gift_tokens_reads_or_is_refused(text):
    check_reads(text)


INSIDE = [token for token in TOKENS if token not in ("{", "}", "\n\n")]


def token_text(tokens: list[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=max_size).map("".join)


QUESTION_LIKE = st.builds(
    lambda head, answers, tail: head + "{" + answers + "}" + tail,
    token_text(INSIDE, 8),
    token_text(INSIDE, 20),
    st.sampled_from(["", "", "", " tail", '";']),
)


@FUZZ
@given(st.lists(QUESTION_LIKE, min_size=1, max_size=4).map("\n\n".join))
def test_any_answer_block_of_gift_tokens_reads_or_is_refused(text):
    check_reads(text)


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_read_or_are_refused(data):
    check_reads(data)


# --- 2. mutated valid files ---------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = list(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        position = draw(st.integers(0, len(text)))
        if operation == "delete" and text:
            length = draw(st.integers(1, 3))
            del text[position : position + length]
        elif operation == "insert":
            text[position:position] = list(draw(st.sampled_from(SPECIAL)))
        else:
            length = draw(st.integers(1, 12))
            text[position:position] = text[position : position + length]
    return "".join(text)


@FUZZ
@given(mutated())
def test_mutated_files_read_or_are_refused(text):
    check_reads(text)


@FUZZ
@given(mutated(), st.integers(0, 10_000), st.binary(min_size=1, max_size=3))
def test_mutated_bytes_read_or_are_refused(text, position, junk):
    data = text.encode("utf-8")
    position %= len(data) + 1
    check_reads(data[:position] + junk + data[position:])


def test_seeds_are_valid():
    for seed in [*SEEDS[:2], SAMPLE]:
        assert read_gift(seed).questions


# --- 3. writer → reader -------------------------------------------------------------------

CHARS = st.one_of(
    st.sampled_from(list("{}~=#:%\\[]-> *_.$/\n\t\r")),
    st.characters(min_codepoint=0x410, max_codepoint=0x44F),  # Cyrillic
    st.characters(min_codepoint=0x621, max_codepoint=0x64A),  # Arabic
    st.characters(exclude_categories=("Cs",)),
)
MARK_CHARS = st.one_of(
    st.sampled_from(list("abcXYZ019-_.: ]/\\")),
    st.characters(min_codepoint=0x410, max_codepoint=0x44F),
    st.characters(min_codepoint=0x621, max_codepoint=0x64A),
)
FORMATS = st.sampled_from(list(TextFormat))
GRADES = st.sampled_from(GRADE_FRACTIONS)
NUMBERS = st.one_of(
    st.integers(-(10**9), 10**9).map(str),
    st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False).map(format_number),
    st.sampled_from(["+.5", "1e3", "-0", "3.", "0.000001", "-2.5E-3"]),
)
TOLERANCES = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


def _solid(text: str) -> bool:
    return php_trim(text.replace("\r", "\n")) != ""


def texts(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(CHARS, max_size=max_size)


def solid_texts(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(CHARS, min_size=1, max_size=max_size).filter(_solid)


def without_arrow(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.filter(lambda text: "->" not in text)


def marks() -> st.SearchStrategy[str]:
    return st.text(MARK_CHARS, min_size=1, max_size=12).filter(
        lambda text: _solid(text) and not php_trim(text).endswith("\\")
    )


def answers(
    count: st.SearchStrategy[int], text: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[list[Answer]]:
    one = st.builds(
        Answer,
        text=text if text is not None else solid_texts(),
        fraction=GRADES,
        feedback=texts(),
        text_format=FORMATS,
        feedback_format=FORMATS,
    )
    return count.flatmap(lambda n: st.lists(one, min_size=n, max_size=n))


def with_full_mark(items: list[Answer], index: int) -> tuple[Answer, ...]:
    items = list(items)
    index %= len(items)
    items[index] = Answer(
        items[index].text,
        1.0,
        items[index].feedback,
        items[index].text_format,
        items[index].feedback_format,
        items[index].tolerance,
    )
    return tuple(items)


PARTIAL_SPLITS = [
    (1.0,),
    (0.5, 0.5),
    (0.3333333, 0.3333333, 0.3333333),
    (0.25, 0.25, 0.25, 0.25),
    (0.5, 0.25, 0.25),
    (0.6, 0.4),
    (0.8333333, 0.1666667),
    (0.9, 0.05, 0.05),
]


@st.composite
def multichoice(draw: st.DrawFn) -> dict[str, object]:
    if draw(st.booleans()):
        items = draw(answers(st.integers(2, 5)))
        return {
            "answers": with_full_mark(items, draw(st.integers(0, 10))),
            "single": True,
        }
    positives = draw(st.sampled_from(PARTIAL_SPLITS))
    others = draw(st.lists(st.sampled_from([0.0, -0.5, -1.0, -0.3333333]), max_size=3))
    fractions = draw(st.permutations([*positives, *others]))
    if len(fractions) < 2:
        fractions = [*fractions, 0.0]
    items = draw(answers(st.just(len(fractions))))
    return {
        "answers": tuple(
            Answer(a.text, fraction, a.feedback, a.text_format, a.feedback_format)
            for a, fraction in zip(items, fractions, strict=True)
        ),
        "single": False,
    }


@st.composite
def shortanswer(draw: st.DrawFn) -> dict[str, object]:
    items = draw(answers(st.integers(1, 4), without_arrow(solid_texts())))
    items = [
        Answer(a.text, a.fraction, draw(without_arrow(texts())), a.text_format, a.feedback_format)
        for a in items
    ]
    return {"answers": with_full_mark(items, draw(st.integers(0, 10)))}


@st.composite
def numerical(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(1, 3))
    items = []
    for _ in range(count):
        catch_all = draw(st.integers(0, 5)) == 0
        items.append(
            Answer(
                "*" if catch_all else draw(NUMBERS),
                draw(GRADES),
                draw(texts()),
                draw(FORMATS),
                draw(FORMATS),
                None if catch_all else draw(TOLERANCES),
            )
        )
    result = list(with_full_mark(items, draw(st.integers(0, 10))))
    if draw(st.booleans()):
        result.append(Answer("*", 0.0, draw(texts()), TextFormat.MOODLE, draw(FORMATS)))
    return {"answers": tuple(result)}


@st.composite
def matching(draw: st.DrawFn) -> dict[str, object]:
    pair = st.builds(
        MatchPair, left=without_arrow(solid_texts()), right=solid_texts(), left_format=FORMATS
    )
    distractor = st.builds(MatchPair, left=st.just(""), right=solid_texts(), left_format=FORMATS)
    pairs = draw(st.lists(pair, min_size=2, max_size=4)) + draw(st.lists(distractor, max_size=2))
    return {"pairs": tuple(draw(st.permutations(pairs)))}


@st.composite
def truefalse(draw: st.DrawFn) -> dict[str, object]:
    correct = draw(st.booleans())
    true_answer = Answer("True", float(correct), draw(texts()), feedback_format=draw(FORMATS))
    false_answer = Answer("False", float(not correct), draw(texts()), feedback_format=draw(FORMATS))
    return {"answers": (true_answer, false_answer)}


BODIES = {
    QuestionType.MULTICHOICE: multichoice(),
    QuestionType.SHORTANSWER: shortanswer(),
    QuestionType.NUMERICAL: numerical(),
    QuestionType.MATCHING: matching(),
    QuestionType.TRUEFALSE: truefalse(),
    QuestionType.ESSAY: st.just({}),
    QuestionType.DESCRIPTION: st.just({}),
}


@st.composite
def questions(draw: st.DrawFn) -> ParsedQuestion:
    qtype = draw(st.sampled_from(list(QuestionType)))
    body = draw(BODIES[qtype])
    blank_offset = None
    if qtype is QuestionType.DESCRIPTION:
        text = draw(solid_texts(40))
    elif draw(st.booleans()):
        before, after = draw(texts()), draw(texts())
        text, blank_offset = before + BLANK + after, len(before)
    else:
        text = draw(texts(40))
    return ParsedQuestion(
        qtype=qtype,
        name=draw(texts()),
        text=text,
        text_format=draw(FORMATS),
        general_feedback=draw(texts()),
        general_feedback_format=draw(FORMATS),
        blank_offset=blank_offset,
        idnumber=draw(st.none() | marks()),
        tags=tuple(draw(st.lists(marks(), max_size=3))),
        **body,  # type: ignore[arg-type]
    )


def test_question_strategy_covers_every_type():
    """The property below draws every question type (a cheap guard on the strategy)."""
    assert set(BODIES) == set(QuestionType)


@ROUND_TRIP
@given(questions())
def test_written_question_reads_back(question):
    expected = normalise_question(question)
    assert normalise_question(expected) == expected
    written = write_gift([question])
    bank = read_gift(written)
    assert bank.questions == (expected,)
    assert write_gift(bank) == written
    assert write_gift([expected]) == written


CATEGORY_NAMES = st.sampled_from(["$course$/TIP", "$course$/TIP/Pre-test", "SOM", "Общие", "عام"])


@ROUND_TRIP
@given(
    st.lists(questions(), min_size=1, max_size=4),
    st.integers(0, 4),
    st.lists(CATEGORY_NAMES, min_size=4, max_size=4),
    st.lists(CATEGORY_NAMES, max_size=3),
)
def test_written_bank_reads_back(items, uncategorised, paths, declared):
    # GIFT cannot return to the default category: questions without one come first.
    categorised = [
        item if index < uncategorised else _in_category(item, paths[index])
        for index, item in enumerate(items)
    ]
    bank = ParsedBank(tuple(categorised), tuple(declared))
    written = write_gift(bank)
    again = read_gift(written)
    assert again.questions == tuple(normalise_question(q) for q in categorised)
    expected_categories = list(dict.fromkeys([*declared, *(q.category for q in categorised)]))
    assert list(again.categories) == [c for c in expected_categories if c is not None]
    assert write_gift(again) == written


def _in_category(question: ParsedQuestion, path: str) -> ParsedQuestion:
    return ParsedQuestion(
        qtype=question.qtype,
        name=question.name,
        text=question.text,
        text_format=question.text_format,
        answers=question.answers,
        pairs=question.pairs,
        general_feedback=question.general_feedback,
        general_feedback_format=question.general_feedback_format,
        single=question.single,
        blank_offset=question.blank_offset,
        category=path,
        idnumber=question.idnumber,
        tags=question.tags,
    )
