"""Aiken reader: Moodle's fixtures and each refusal, with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.assessments.aiken import read_aiken
from lms.assessments.questions import (
    Answer,
    FormatError,
    ParsedQuestion,
    QuestionType,
    TextFormat,
)

#: Moodle's own test fixtures, kept beside the repository (never copied into it).
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"
HTML = TextFormat.HTML


def answers(*texts: str, right: int) -> tuple[Answer, ...]:
    return tuple(
        Answer(text, 1.0 if index == right else 0.0, "", HTML, HTML)
        for index, text in enumerate(texts)
    )


def problems(source: str | bytes) -> list[tuple[int, str]]:
    with pytest.raises(FormatError) as caught:
        read_aiken(source)
    return [(problem.line, problem.message) for problem in caught.value.problems]


def test_questions_aiken_reads_as_moodle_reads_it():
    bank = read_aiken((FIXTURES / "questions.aiken.txt").read_bytes(), source="q.aiken")
    assert bank.source == "q.aiken"
    assert bank.categories == ()
    assert bank.questions == (
        ParsedQuestion(
            QuestionType.MULTICHOICE,
            "The Moodle project was started by:",
            "The Moodle project was started by:",
            HTML,
            answers=answers("Petr Skoda", "Martin Dougiamas", "Eloy Lafuente", "Tim Hunt", right=1),
            general_feedback_format=HTML,
            single=True,
        ),
        ParsedQuestion(
            QuestionType.MULTICHOICE,
            "Moodle's abilities include handling user input that includes & images:",
            "Moodle's abilities include handling user input that includes"
            ' &lt;html class="cool"&gt; &amp; images:',
            HTML,
            answers=answers("True", "False", right=0),
            general_feedback_format=HTML,
            single=True,
        ),
    )
    assert [q.line for q in bank.questions] == [1, 8]


def test_aiken_errors_is_refused_with_moodles_line_numbers():
    found = problems((FIXTURES / "aiken_errors.txt").read_bytes())
    # Moodle's PHPUnit test: "at least 2 answers on line 3", "not started on line 5",
    # "not started on line 7", "not completed before next question start on line 18".
    assert [line for line, _ in found] == [3, 5, 7, 18]
    assert "at least 2 options" in found[0][1]
    assert "before any question text" in found[1][1]
    assert "ANSWER: line comes before any question text" in found[2][1]
    assert "question of line 14 has no ANSWER: line" in found[3][1]


def test_good_questions_of_aiken_errors_read_as_in_moodle():
    """Moodle imports the three good questions of that file; without the bad ones, so do we."""
    lines = (FIXTURES / "aiken_errors.txt").read_text(encoding="utf-8").splitlines()
    good = "\n".join(lines[8:12] + lines[17:])  # lines 9-12 and 18-26
    first, second, third = read_aiken(good).questions
    assert first.name == "A good question"
    assert first.answers == answers("Correct", "Incorrect", right=0)
    assert second.name == "A second good question"
    assert second.answers == answers("Incorrect (No space)", "Correct (No space)", right=1)
    assert third.name == "A third good question with HTML chars such as > < &"
    assert third.text == "A third good question with HTML chars such as &gt; &lt; &amp;"
    assert third.answers == answers(
        "Correct (&lt; &gt; &amp;)", "Incorrect (&lt; &gt; &amp;)", right=0
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("Q?\nA. one\nB. two\nANSWER: B", id="dot-labels"),
        pytest.param("Q?\r\nA) one\r\nB) two\r\nANSWER: B\r\n", id="crlf"),
        pytest.param("\ufeffQ?\n\nA)one\n \nB)\ttwo\nx\nANSWER:B", id="bom-blank-short-lines"),
        pytest.param(b"Q?\nA) one\nB) two\nANSWER: B trailing words", id="bytes"),
    ],
)
def test_aiken_syntax_variants(source):
    [question] = read_aiken(source).questions
    assert question.text == "Q?"
    assert question.answers == answers("one", "two", right=1)


ERRORS = [
    pytest.param("Q?\nA) a\nB) b\nANSWER: C", [(4, "names no option (A to B)")], id="letter"),
    pytest.param("Q?\nA) a\nB) b\nANSWER:", [(4, "ANSWER: (nothing)")], id="no-letter"),
    pytest.param("Q?\nA) a\nB) b\nANSWER: b", [(4, "ANSWER: b names no")], id="lowercase"),
    pytest.param("Q?\nA) a\nC) b\nANSWER: A", [(3, "option C found where B")], id="order"),
    pytest.param("Q?\nA) a\nB)\nANSWER: A", [(3, "option B is empty")], id="empty-option"),
    pytest.param("Q?\nA) a\nB) b", [(1, "has no ANSWER: line")], id="unfinished-at-end"),
    pytest.param("Q?\nA) a\nANSWER: A", [(3, "at least 2 options")], id="one-option"),
    pytest.param("", [(1, "no questions")], id="empty"),
    pytest.param(b"Caf\xe9?\nA) a\nB) b\nANSWER: A", [(1, "not UTF-8")], id="not-utf8"),
]


@pytest.mark.parametrize(("source", "expected"), ERRORS)
def test_aiken_refusal(source, expected):
    found = problems(source)
    assert len(found) == len(expected), found
    for (line, message), (expected_line, fragment) in zip(found, expected, strict=True):
        assert line == expected_line, found
        assert fragment in message, found
