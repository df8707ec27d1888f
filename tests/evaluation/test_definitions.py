"""Survey definitions and answers (pure), and the shipped standard surveys."""

from __future__ import annotations

from datetime import date

from lms.config import REPO_ROOT
from lms.evaluation import content, definitions, services

GOOD = {
    "title": {"en": "Feedback", "ru": "Отзыв"},
    "questions": [
        {"id": "useful", "kind": "likert", "required": True,
         "text": {"en": "Useful", "ru": "Полезно"}},
        {"id": "used", "kind": "single", "required": True, "indicator": "application",
         "applied": ["yes"], "text": {"en": "Used?", "ru": "?"},
         "options": [{"id": "yes", "text": {"en": "Yes", "ru": "Да"}},
                     {"id": "no", "text": {"en": "No", "ru": "Нет"}}]},
        {"id": "skills", "kind": "multiple", "text": {"en": "Which?", "ru": "Какие?"},
         "options": [{"id": "a", "text": {"en": "A", "ru": "А"}},
                     {"id": "b", "text": {"en": "B", "ru": "Б"}}]},
        {"id": "name", "kind": "short_text", "text": {"en": "Short", "ru": "Коротко"}},
        {"id": "more", "kind": "long_text", "text": {"en": "More", "ru": "Ещё"}},
    ],
}  # fmt: skip


def test_a_good_definition_parses_with_its_languages_and_indicator():
    definition, problems = definitions.parse("good", GOOD)
    assert problems == [] and definition is not None
    assert definition.languages == ["en", "ru"]
    assert definition.application.id == "used"
    again = definitions.from_dict(definition.as_dict())
    assert again == definition and again.content_hash() == definition.content_hash()


def test_problems_name_the_question():
    bad = {
        "title": {"ru": "Без английского"},
        "colour": "red",
        "questions": [
            {"id": "Bad Id", "kind": "likert", "text": "x"},
            {"id": "pick", "kind": "single", "text": "x", "options": [{"id": "only", "text": "y"}]},
            {"id": "pick", "kind": "essay", "text": "x"},
            {"id": "yes-no", "kind": "single", "text": "x",
             "options": [{"id": "yes", "text": {"en": True}}, {"id": "no", "text": "No"}]},
        ],
    }  # fmt: skip
    definition, problems = definitions.parse("bad", bad)
    assert definition is None
    text = "\n".join(problems)
    assert "unknown key 'colour'" in text
    assert "title: the English text (en) is missing" in text
    assert "question 1: the id 'Bad Id' must be lower-case" in text
    assert "question pick: list at least two options" in text
    assert "the id 'pick' is used twice" in text and "kind must be one of" in text
    assert "the en text is not text (put words like Yes and No in quotes)" in text


def test_answers_are_read_and_checked():
    definition, _ = definitions.parse("good", GOOD)
    answers, errors = definitions.read_answers(
        definition,
        {"useful": "4", "used": "yes", "skills": ["b", "a", "b"], "name": " x "},
        complete=True,
    )
    assert errors == {}
    assert answers == {"useful": 4, "used": "yes", "skills": ["a", "b"], "name": "x"}
    assert definitions.applied(definition, answers) is True
    _answers, errors = definitions.read_answers(
        definition,
        {"useful": "6", "used": "maybe", "skills": ["c"], "more": "x" * 4001},
        complete=True,
    )
    assert errors == {"useful": "range", "used": "unknown_option", "skills": "unknown_option",
                      "more": "too_long"}  # fmt: skip
    draft, errors = definitions.read_answers(definition, {"useful": "2"}, complete=False)
    assert draft == {"useful": 2} and errors == {}
    _answers, errors = definitions.read_answers(definition, {}, complete=True)
    assert errors == {"useful": "required", "used": "required"}
    assert definitions.applied(definition, {}) is None


def test_the_shipped_surveys_are_valid_and_in_english_and_russian():
    found, problems = content.load_surveys([REPO_ROOT / "courses"])
    assert problems == []
    assert {c.slug for c in found} == {"following-the-money", "investigating-tip-som",
                                       "victim-centred-practice"}  # fmt: skip
    for course in found:
        for settings in course.surveys.values():
            assert settings["definition"].languages == ["en", "ru"]
    follow_up = found[0].surveys["follow_up"]["definition"]
    assert follow_up.application is not None and follow_up.application.applied


def test_content_problems_have_file_and_line(tmp_path):
    (tmp_path / "_surveys").mkdir()
    (tmp_path / "_surveys" / "short.yaml").write_text(
        "title: Short\nquestions:\n  - id: q1\n    kind: likert\n    text: One\n",
        encoding="utf-8",
    )
    (tmp_path / "_surveys" / "broken.yaml").write_text(
        "title: Broken\nquestions:\n  - id: q1\n    kind: likert\n    text: One\n"
        "  - id: q2\n    kind: dropdown\n    text: Two\n",
        encoding="utf-8",
    )
    course = tmp_path / "c1"
    course.mkdir()
    (course / "course.yaml").write_text("title: C\n", encoding="utf-8")
    (course / "surveys.yaml").write_text(
        "feedback:\n  survey: missing\nfollow_up:\n  survey: short\n  months: [6, 3]\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in services.check([tmp_path])]
    kinds = "likert, single, multiple, short_text, long_text"
    assert any(p.endswith(f"broken.yaml:6: question q2: kind must be one of {kinds}")
               for p in problems), problems  # fmt: skip
    assert any(p.endswith("surveys.yaml:2: feedback: no survey 'missing' in _surveys/")
               for p in problems), problems  # fmt: skip
    assert any("surveys.yaml:5: follow_up: months lists increasing numbers" in p
               for p in problems), problems  # fmt: skip


def test_months_and_windows():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    completed = date(2026, 1, 10)
    assert services.follow_up_window(completed, [3, 6], "3") == (date(2026, 4, 10),
                                                                 date(2026, 7, 9))  # fmt: skip
    assert services.follow_up_window(completed, [3, 6], "6") == (date(2026, 7, 10),
                                                                 date(2026, 10, 9))  # fmt: skip
    assert services.follow_up_window(completed, [3, 6], "9") is None
    assert services.open_follow_up(completed, [3, 6], date(2026, 4, 9)) is None
    assert services.open_follow_up(completed, [3, 6], date(2026, 4, 10)) == "3"
    assert services.open_follow_up(completed, [3, 6], date(2026, 8, 1)) == "6"
    assert services.open_follow_up(completed, [3, 6], date(2026, 10, 10)) is None
