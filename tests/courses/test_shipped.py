"""The courses and banks shipped in courses/ and assessments/: valid, loadable, light."""

from __future__ import annotations

import sqlalchemy as sa

from lms import clock
from lms.assessments.services import bank_catalogue, check_content
from lms.config import REPO_ROOT
from lms.courses import services as courses
from lms.courses.content import load_courses
from lms.courses.models import Course
from lms.enrolments import services
from lms.extensions import db
from tests.factories import make_user

COURSES = REPO_ROOT / "courses"
BANKS = REPO_ROOT / "assessments"


def _known_tests() -> dict[str, dict[str, int]]:
    return bank_catalogue([BANKS])


def test_shipped_content_has_no_problems():
    loaded, problems = load_courses([COURSES], known_tests=_known_tests())
    assert [str(p) for p in problems] == []
    assert check_content([BANKS]) == []
    for course in loaded:
        assert set(course.tests) >= {"pre", "post"}, course.slug
        assert course.tests["pre"]["forms"] != [] and len(course.tests["pre"]["forms"]) == 2
    slugs = {c.slug for c in loaded}
    assert {"investigating-tip-som", "following-the-money", "victim-centred-practice"} <= slugs
    for course in loaded:
        for module in course.modules:
            for lesson in module.lessons:
                assert lesson.objectives, f"{lesson.file}: no objectives"
                assert lesson.minutes > 0, f"{lesson.file}: no reading time"


def test_every_shipped_lesson_page_weighs_under_60_kb(app, client, login):
    courses.sync([COURSES], known_tests=_known_tests(), now=clock.now())
    learner = make_user("weight.reader")
    login(learner)
    css = client.get("/static/lms.css")
    css_size = len(css.get_data())
    css.close()
    heaviest = (0, "")
    for course in db.session.scalars(sa.select(Course)).all():
        enrolment = services.enrol(learner, course, now=clock.now())
        assert not services.lessons_unlocked(enrolment, course)  # the pre-test comes first
        services.record_pre_test_done(enrolment, now=clock.now())
        for lesson, _module in services.live_lessons([course.id]):
            url = f"/courses/{course.slug}/lessons/{lesson.id}"
            response = client.get(url)
            assert response.status_code == 200, url
            heaviest = max(heaviest, (len(response.get_data()), url))
    assert heaviest[0] + css_size < 60 * 1024, (heaviest, css_size)


def test_translated_banks_mirror_their_originals():
    from lms.assessments.services import read_bank_file

    for translated in sorted(BANKS.glob("*/*/*.gift")):
        original = translated.parent.parent / translated.name
        assert original.exists(), translated
        ours = read_bank_file(translated.read_bytes(), "gift", source=str(translated))
        theirs = read_bank_file(original.read_bytes(), "gift", source=str(original))
        assert [(q.idnumber, q.category, q.qtype, q.tags) for q in ours.questions] == [
            (q.idnumber, q.category, q.qtype, q.tags) for q in theirs.questions
        ], translated
        for mine, source in zip(ours.questions, theirs.questions, strict=True):
            assert [a.fraction for a in mine.answers] == [a.fraction for a in source.answers]
            assert len(mine.pairs) == len(source.pairs)
