"""The learner's path: catalogue, enrolment, lessons, gates and completion."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import clock
from lms.courses import services as courses
from lms.courses.models import Course
from lms.enrolments import services
from lms.enrolments.models import Enrolment, EnrolmentStatus, LessonProgress
from lms.errors import Conflict, NotAllowed
from lms.extensions import db
from tests.factories import make_user

DATA = Path(__file__).resolve().parents[1] / "data" / "courses"


@pytest.fixture
def synced(app):
    courses.sync([DATA], known_tests={"course-demo/pretest"}, now=clock.now())
    return {c.slug: c for c in db.session.scalars(sa.select(Course))}


def _lessons(course):
    return [lesson for lesson, _m in services.live_lessons([course.id])]


def test_a_course_without_tests_completes_when_its_lessons_are_done(synced, frozen_clock):
    course = synced["open-course"]
    learner = make_user()
    enrolment = services.enrol(learner, course, now=frozen_clock.now())
    received = []
    services.enrolment_completed.connect(received.append, weak=False)
    try:
        first, second = _lessons(course)
        assert services.complete_lesson(enrolment, first, course, now=frozen_clock.now()) is False
        assert services.complete_lesson(enrolment, first, course, now=frozen_clock.now()) is False
        frozen_clock.advance(hours=1)
        assert services.complete_lesson(enrolment, second, course, now=frozen_clock.now()) is True
    finally:
        services.enrolment_completed.disconnect(received.append)
    assert received == [enrolment]
    assert enrolment.completed_at == frozen_clock.now()
    assert enrolment.status is EnrolmentStatus.COMPLETED
    completed = enrolment.completed_at
    frozen_clock.advance(days=3)
    # A re-sync (nothing changed) never rewrites the record.
    courses.sync([DATA], known_tests={"course-demo/pretest"}, now=frozen_clock.now())
    assert enrolment.completed_at == completed
    # Taking it again is a new enrolment; the first completion stays.
    again = services.enrol(learner, course, now=frozen_clock.now())
    assert again.id != enrolment.id
    assert db.session.get(Enrolment, enrolment.id).completed_at == completed


def test_gates_of_a_course_with_tests(synced, frozen_clock):
    course = synced["demo-course"]
    enrolment = services.enrol(make_user(), course, now=frozen_clock.now())
    lessons = _lessons(course)
    with pytest.raises(NotAllowed, match="pre-test"):
        services.complete_lesson(enrolment, lessons[0], course, now=frozen_clock.now())
    services.record_pre_test_done(enrolment, now=frozen_clock.now())
    for lesson in lessons:
        assert not services.complete_lesson(enrolment, lesson, course, now=frozen_clock.now())
    assert services.gates(enrolment, course) == {
        "pre_test": True,
        "lessons": True,
        "attendance": None,
        "post_test": False,
    }
    assert enrolment.completed_at is None
    assert services.record_post_test_passed(enrolment, course, now=frozen_clock.now()) is True
    assert enrolment.completed_at is not None


def test_enrolling_twice_is_refused(synced):
    learner = make_user()
    services.enrol(learner, synced["open-course"], now=clock.now())
    with pytest.raises(Conflict):
        services.enrol(learner, synced["open-course"], now=clock.now())


def test_catalogue_course_and_lessons_in_the_browser_flow(client, login, synced):
    learner = make_user("path.learner")
    login(learner)
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert "Open course without tests" in catalogue and "Not started" in catalogue
    page = client.get("/courses/open-course").get_data(as_text=True)
    assert "Enrol" in page
    lesson_id = _lessons(synced["open-course"])[0].id
    assert client.get(f"/courses/open-course/lessons/{lesson_id}").status_code == 403
    client.post("/courses/open-course/enrol")
    page = client.get("/courses/open-course").get_data(as_text=True)
    assert "Start the first lesson" in page
    lesson = client.get(f"/courses/open-course/lessons/{lesson_id}").get_data(as_text=True)
    assert "indicators" in lesson and "<progress" in lesson
    response = client.post(f"/courses/open-course/lessons/{lesson_id}/complete")
    second_id = _lessons(synced["open-course"])[1].id
    assert response.headers["Location"] == f"/courses/open-course/lessons/{second_id}"
    second = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="block block--safety"' in second
    done = client.post(f"/courses/open-course/lessons/{second_id}/complete")
    assert done.headers["Location"] == "/courses/open-course"
    assert "Completed" in client.get("/courses/open-course").get_data(as_text=True)


def test_lessons_are_in_the_readers_language_with_fallback(client, login, synced):
    learner = make_user("ru.learner", locale="ru")
    services.enrol(learner, synced["open-course"], now=clock.now())
    login(learner)
    first, second = _lessons(synced["open-course"])
    assert "Жертв выявляют" in client.get(f"/courses/open-course/lessons/{first.id}").get_data(
        as_text=True
    )
    assert "Never contact" in client.get(f"/courses/open-course/lessons/{second.id}").get_data(
        as_text=True
    )


def test_locked_lessons_and_foreign_lessons(client, login, synced):
    learner = make_user("locked.learner")
    services.enrol(learner, synced["demo-course"], now=clock.now())
    login(learner)
    demo_lesson = _lessons(synced["demo-course"])[0]
    response = client.get(f"/courses/demo-course/lessons/{demo_lesson.id}")
    assert response.headers["Location"] == "/courses/demo-course"  # locked behind the pre-test
    open_lesson = _lessons(synced["open-course"])[0]
    assert client.get(f"/courses/demo-course/lessons/{open_lesson.id}").status_code == 404
    assert client.get("/courses/no-such-course").status_code == 404


def test_one_learner_never_sees_anothers_progress(client, login, synced):
    other = make_user("other.learner")
    enrolment = services.enrol(other, synced["open-course"], now=clock.now())
    services.complete_lesson(
        enrolment, _lessons(synced["open-course"])[0], synced["open-course"], now=clock.now()
    )
    login(make_user("me.learner"))
    page = client.get("/courses/").get_data(as_text=True)
    assert "Not started" in page


def test_pages_keep_a_fixed_number_of_queries(client, login, synced, count_queries):
    learner = make_user("count.learner")
    enrolment = services.enrol(learner, synced["open-course"], now=clock.now())
    login(learner)
    lesson = _lessons(synced["open-course"])[0]
    counts = {}
    for size in (1, 2):
        if size == 2:
            for n in range(3):
                other = make_user(f"crowd{n}")
                e = services.enrol(other, synced["open-course"], now=clock.now())
                services.complete_lesson(e, lesson, synced["open-course"], now=clock.now())
            services.complete_lesson(enrolment, lesson, synced["open-course"], now=clock.now())
            db.session.flush()
        for path in (
            "/courses/",
            "/courses/open-course",
            f"/courses/open-course/lessons/{lesson.id}",
        ):
            client.get(path)  # a first visit of a lesson records "resume here" (a write)
            with count_queries() as log:
                assert client.get(path).status_code == 200
            counts.setdefault(path, []).append(log.count)
    assert all(a == b for a, b in counts.values()), counts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 4


def test_lesson_page_weight(client, login, synced):
    learner = make_user("weight.learner")
    services.enrol(learner, synced["open-course"], now=clock.now())
    login(learner)
    lesson = _lessons(synced["open-course"])[0]
    html = client.get(f"/courses/open-course/lessons/{lesson.id}").get_data()
    response = client.get("/static/lms.css")
    css = response.get_data()
    response.close()
    assert len(html) + len(css) < 60 * 1024, (len(html), len(css))


def test_dashboard_shows_my_courses_and_the_next_step(client, login, synced, count_queries):
    learner = make_user("dash.learner")
    login(learner)
    assert "You are not taking a course yet." in client.get("/").get_data(as_text=True)
    enrolment = services.enrol(learner, synced["open-course"], now=clock.now())
    first, second = _lessons(synced["open-course"])
    services.complete_lesson(enrolment, first, synced["open-course"], now=clock.now())
    db.session.flush()
    html = client.get("/").get_data(as_text=True)
    assert "Open course without tests" in html
    assert f"/courses/open-course/lessons/{second.id}" in html
    counts = []
    for course in ("demo-course", None):
        with count_queries() as log:
            client.get("/")
        counts.append(log.count)
        if course:
            services.enrol(learner, synced[course], now=clock.now())
            db.session.flush()
    assert counts[0] == counts[1], counts


def test_api_lists_courses_and_my_enrolments(client, synced):
    from lms.accounts import tokens

    learner = make_user("api.learner")
    enrolment = services.enrol(learner, synced["open-course"], now=clock.now())
    services.complete_lesson(
        enrolment, _lessons(synced["open-course"])[0], synced["open-course"], now=clock.now()
    )
    _token, secret = tokens.create_token(learner, name="t", now=clock.now())
    headers = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/courses", headers=headers).get_json()
    assert [c["slug"] for c in listed["items"]] == ["demo-course", "open-course"]
    assert listed["items"][0]["has_pre_test"] is True
    detail = client.get("/api/v1/courses/open-course", headers=headers).get_json()
    assert [lesson["title"] for lesson in detail["modules"][0]["lessons"]] == [
        "First lesson",
        "Second lesson",
    ]
    (mine,) = client.get("/api/v1/me/enrolments", headers=headers).get_json()
    assert (mine["course"], mine["lessons_done"], mine["lessons_total"]) == ("open-course", 1, 2)
    assert mine["gates"] == {
        "pre_test": None,
        "lessons": False,
        "attendance": None,
        "post_test": None,
    }


def test_api_course_detail_shows_the_current_version(client, synced, tmp_path):
    import shutil

    from lms.accounts import tokens

    folder = tmp_path / "courses"
    shutil.copytree(DATA, folder)
    lesson_file = folder / "open-course/01-only/01-first.md"
    lesson_file.write_text(lesson_file.read_text().replace("title: First lesson", "title: Edited"))
    courses.sync([folder], known_tests={"course-demo/pretest"}, now=clock.now())
    _token, secret = tokens.create_token(make_user(), name="t", now=clock.now())
    detail = client.get(
        "/api/v1/courses/open-course", headers={"Authorization": f"Bearer {secret}"}
    ).get_json()
    assert detail["modules"][0]["lessons"][0]["title"] == "Edited"
