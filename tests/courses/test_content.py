"""Courses from their folders: precise problems, idempotent sync with versions, listing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import clock
from lms.courses import services
from lms.courses.content import load_courses
from lms.courses.models import Course, Lesson, LessonVersion
from lms.errors import Invalid
from lms.extensions import db
from lms.markdown import BlockError, render_markdown

DATA = Path(__file__).resolve().parents[1] / "data" / "courses"
TESTS = {"course-demo/pretest"}


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the test course to break in various ways."""
    target = tmp_path / "courses"
    shutil.copytree(DATA, target)
    return target


def test_the_test_course_reads(app):
    courses, problems = load_courses([DATA], known_tests=TESTS)
    assert problems == []
    assert [c.slug for c in courses] == ["demo-course", "open-course"]
    course = courses[0]
    assert course.slug == "demo-course"
    assert course.texts["ru"]["title"] == "Учебный курс о торговле людьми"
    assert [m.key for m in course.modules] == ["01-basics", "02-practice"]
    first = course.modules[0].lessons[0]
    assert set(first.texts) == {"en", "ru"}  # translated
    assert set(course.modules[0].lessons[1].texts) == {"en"}  # falls back to English
    assert '<div class="block block--key-points">' in first.texts["en"]["html"]
    assert 'href="#fn:protocol"' in first.texts["en"]["html"]


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (
            lambda f: (f / "demo-course/course.yaml").write_text("title: [unclosed\n"),
            "course.yaml:2",
            "not valid YAML",
        ),
        (
            lambda f: (f / "demo-course/01-basics/01-definition.md").write_text(
                "---\nminutes: 3\n---\nBody\n"
            ),
            "01-definition.md:2",
            "no title",
        ),
        (
            lambda f: (f / "demo-course/02-practice/module.yaml").unlink(),
            "02-practice/module.yaml:1",
            "the file is missing",
        ),
        (
            lambda f: (f / "demo-course/assets/elements.svg").unlink(),
            "01-definition.md:12",
            "points to no file",
        ),
        (
            lambda f: (f / "demo-course/01-basics/02-smuggling.md").write_text(
                "---\ntitle: T\n---\n::: warning\nx\n:::\n"
            ),
            "02-smuggling.md:4",
            "unknown block 'warning'",
        ),
        (
            lambda f: (f / "demo-course/01-basics/02-smuggling.md").write_text(
                "---\ntitle: T\n---\nText\n<script>alert(1)</script>\n"
            ),
            "02-smuggling.md:4",
            "sanitiser removes",
        ),
        (
            lambda f: (f / "demo-course/01-basics/02-smuggling.md").write_text(
                "---\ntitle: T\nobjectives: [lo-9]\n---\nText\n"
            ),
            "02-smuggling.md:2",
            "'lo-9' is not one of the course's",
        ),
        (
            lambda f: _append(f / "demo-course/course.yaml", "requires_attendance: true\n"),
            "course.yaml:19",
            "set self_enrolment: false",
        ),
        (
            lambda f: _append(f / "demo-course/course.yaml", "min_attendance: 120\n"),
            "course.yaml:19",
            "from 1 to 100",
        ),
        (
            lambda f: _append(f / "demo-course/course.yaml", "certificate_valid_years: two\n"),
            "course.yaml:19",
            "whole number of years from 1 to 50",
        ),
        (
            lambda f: _append(f / "demo-course/ru/course.yaml", "objectives:\n  lo-7: Текст\n"),
            "ru/course.yaml:4",
            "unknown objective 'lo-7'",
        ),
        (
            lambda f: _append(f / "demo-course/ru/course.yaml", "objectives: [lo-1]\n"),
            "ru/course.yaml:3",
            "maps each objective id",
        ),
    ],
)
def test_problems_name_file_and_line(folder, edit, where, message):
    edit(folder)
    _courses, problems = load_courses([folder], known_tests=TESTS)
    texts = [str(p) for p in problems]
    assert any(where in t and message in t for t in texts), texts


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_translations_carry_objectives_and_block_titles(folder):
    _append(folder / "demo-course/ru/course.yaml", "objectives:\n  lo-1: Назовите три элемента.\n")
    courses, problems = load_courses([folder], known_tests=TESTS)
    assert problems == []
    course = courses[0]
    assert course.texts["ru"]["objectives"] == {"lo-1": "Назовите три элемента."}
    lesson = course.modules[0].lessons[0]
    # A block without a title is named in the lesson's own language.
    assert '<p class="block__title">Remember</p>' in lesson.texts["en"]["html"]
    assert '<p class="block__title">Главное</p>' in lesson.texts["ru"]["html"]


def test_unknown_assessments_and_duplicate_slugs(folder):
    _courses, problems = load_courses([folder], known_tests=set())
    texts = [str(p) for p in problems]
    assert any(
        "course.yaml:15: the assessment 'course-demo/pretest' does not exist" in t for t in texts
    ), texts
    shutil.copytree(folder / "demo-course", folder / "copy")
    copy = folder / "copy" / "course.yaml"
    copy.write_text("slug: demo-course\n" + copy.read_text())
    courses, problems = load_courses([folder], known_tests=TESTS)
    assert sorted(c.slug for c in courses) == ["demo-course", "open-course"]  # the copy is out
    assert any("the slug 'demo-course' is also used by" in str(p) for p in problems)


def test_markdown_never_keeps_script():
    html = render_markdown(
        '<a href="javascript:alert(1)" onclick="x()">x</a> <img src=x onerror=y> <script>z</script>'
    )
    assert "javascript:" not in html and "onclick" not in html and "onerror" not in html
    assert "<script" not in html
    with pytest.raises(BlockError):
        render_markdown("::: case\nnever closed\n")


def test_sync_is_idempotent_versions_edits_and_retires(app, folder):
    first = services.sync([folder], known_tests=TESTS, now=clock.now())
    assert (first["created"], first["lessons_created"]) == (2, 5)
    again = services.sync([folder], known_tests=TESTS, now=clock.now())
    assert again == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "lessons_created": 0,
        "lessons_updated": 0,
        "retired": 0,
    }
    lesson_file = folder / "demo-course/01-basics/02-smuggling.md"
    lesson_file.write_text(lesson_file.read_text().replace("free on arrival", "free once across"))
    edited = services.sync([folder], known_tests=TESTS, now=clock.now())
    assert (edited["updated"], edited["lessons_updated"]) == (1, 1)
    lesson = db.session.scalars(sa.select(Lesson).where(Lesson.key == "02-smuggling")).one()
    versions = db.session.scalars(
        sa.select(LessonVersion)
        .where(LessonVersion.lesson_id == lesson.id)
        .order_by(LessonVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert "free on arrival" in versions[0].texts["en"]["html"]
    (folder / "demo-course/02-practice/01-check.md").unlink()
    (folder / "demo-course/02-practice/02-new.md").write_text("---\ntitle: New\n---\nText\n")
    services.sync([folder], known_tests=TESTS, now=clock.now())
    retired = db.session.scalars(sa.select(Lesson).where(Lesson.key == "01-check")).one()
    assert retired.retired_at is not None


def test_a_refused_sync_writes_nothing(app, folder):
    services.sync([folder], known_tests=TESTS, now=clock.now())
    (folder / "demo-course/01-basics/module.yaml").write_text("title: Changed\n")
    (folder / "demo-course/02-practice/module.yaml").write_text("summary: no title\n")
    with pytest.raises(Invalid, match="problems in the course content"):
        services.sync([folder], known_tests=TESTS, now=clock.now())
    course = db.session.scalars(sa.select(Course).where(Course.slug == "demo-course")).one()
    assert course.modules[0].texts["en"]["title"] == "Basics"


def test_cli_content_commands(runner):
    check = runner.invoke(args=["lms", "content", "check", "--json"])
    assert check.exit_code == 0, check.output
    sync = runner.invoke(args=["lms", "content", "sync", "--json"])
    assert sync.exit_code == 0, sync.output
    data = json.loads(sync.stdout)
    assert data["courses"]["created"] == 2
    again = json.loads(runner.invoke(args=["lms", "content", "sync", "--json"]).stdout)
    assert (again["created"], again["updated"]) == (0, 0)
    text = runner.invoke(args=["lms", "content", "sync"]).output
    assert "nothing changed, nothing written" in text
    listed = json.loads(runner.invoke(args=["lms", "content", "list", "--json"]).stdout)
    lessons = listed["courses"][0]["modules"][0]["lessons"]
    assert lessons[0]["files"] == {
        "en": "01-basics/01-definition.md",
        "ru": "ru/01-basics/01-definition.md",
    }


def test_cli_check_reports_every_problem(app_factory, folder):
    (folder / "demo-course/course.yaml").write_text("title: x\nmodules: [nope]\n")
    broken = app_factory(COURSES_DIR=str(folder))
    result = broken.test_cli_runner().invoke(args=["lms", "content", "check"])
    assert result.exit_code == 1
    assert f"{folder}/demo-course/nope/module.yaml:1: the file is missing" in result.stderr
    assert "Traceback" not in result.output


def test_check_questions_keep_their_numbers_across_answers():
    html = render_markdown(
        '::: check\n1. One?\n\n<details markdown="1"><summary>Answer</summary>\n\nYes.\n\n'
        "</details>\n\n2. Two?\n:::\n"
    )
    assert '<p class="block__title">Check your understanding</p>' in html
    assert "<details>\n<summary>Answer</summary>" in html
    assert '<ol start="2">' in html


CATALOGUE = {"course-demo/pretest": {"course-demo/pre-test": 2, "course-demo/form-b": 2}}


def _tests_yaml(folder: Path, text: str) -> None:
    course = folder / "demo-course" / "course.yaml"
    course.write_text(
        "".join(
            line
            for line in course.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(("pre_test:", "post_test:"))
        ),
        encoding="utf-8",
    )
    (folder / "demo-course" / "tests.yaml").write_text(text, encoding="utf-8")


def test_test_definitions_are_read_from_tests_yaml(folder):
    _tests_yaml(
        folder,
        "pre_test:\n  bank: course-demo/pretest\n"
        "  forms: [course-demo/pre-test, course-demo/form-b]\n  items: 2\n  time_limit: 20\n"
        "post_test:\n  bank: course-demo/pretest\n"
        "  forms: [course-demo/form-b, course-demo/pre-test]\n  attempts: 3\n  pass_mark: 80\n"
        "  reveal: answers\n"
        "module_checks:\n  01-basics:\n    bank: course-demo/pretest\n"
        "    category: course-demo/form-b\n",
    )
    courses, problems = load_courses([folder], known_tests=CATALOGUE)
    assert problems == []
    course = courses[0]
    assert course.pre_test == course.post_test == "course-demo/pretest"
    assert course.tests["pre"] == {
        "bank": "course-demo/pretest",
        "forms": ["course-demo/pre-test", "course-demo/form-b"],
        "items": 2,
        "time_limit": 20,
        "attempts": 1,
        "pass_mark": 70.0,
        "reveal": "score",
    }
    assert course.tests["post"]["attempts"] == 3 and course.tests["post"]["pass_mark"] == 80.0
    assert course.tests["check:01-basics"]["forms"] == ["course-demo/form-b"]


def test_the_course_yaml_shorthand_still_names_a_bank(folder):
    courses, problems = load_courses([folder], known_tests=CATALOGUE)
    assert problems == []
    assert courses[0].tests["pre"]["forms"] == [] and courses[0].tests["pre"]["items"] is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "pre_test:\n  bank: nowhere/bank\n",
            "tests.yaml:1: the assessment 'nowhere/bank' does not",
        ),
        ("pre_test:\n  bank: course-demo/pretest\n  forms: [x/y]\n", "has no category 'x/y'"),
        (
            "pre_test:\n  bank: course-demo/pretest\n  items: 5\n",
            "draws 5 items but a form has only 4",
        ),
        ("pre_test:\n  bank: course-demo/pretest\n  reveal: answers\n", "never reveals answers"),
        ("pre_test:\n  bank: course-demo/pretest\n  attempts: two\n", "'attempts' in 'pre_test'"),
        ("pre_test:\n  bank: course-demo/pretest\n  shuffle: yes\n", "unknown setting 'shuffle'"),
        ("post_test: [1, 2]\n", "'post_test' must hold a bank"),
        ("module_checks:\n  09-nothing:\n    bank: course-demo/pretest\n", "not a module"),
        ("final_exam: {}\n", "unknown key 'final_exam'"),
        (
            "pre_test:\n  bank: course-demo/pretest\n"
            "  forms: [course-demo/pre-test, course-demo/form-b]\n"
            "post_test:\n  bank: course-demo/pretest\n  forms: [course-demo/pre-test]\n",
            "use the same two forms",
        ),
    ],
)
def test_bad_test_definitions_are_named(folder, text, message):
    _tests_yaml(folder, text)
    _courses, problems = load_courses([folder], known_tests=CATALOGUE)
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


def test_tests_yaml_and_course_yaml_may_not_both_define_a_test(folder):
    (folder / "demo-course" / "tests.yaml").write_text("post_test:\n  bank: course-demo/pretest\n")
    _courses, problems = load_courses([folder], known_tests=CATALOGUE)
    assert any("'pre_test' is defined in tests.yaml" in str(p) for p in problems)
