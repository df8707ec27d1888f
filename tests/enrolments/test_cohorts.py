"""Cohorts: creating them, enrolling people (also across borders), trainers, attendance and
the attendance gate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.audit import AuditEvent
from lms.enrolments import cohorts, services
from lms.enrolments.models import (
    AttendanceStatus,
    Cohort,
    CohortMode,
    Enrolment,
    EnrolmentStatus,
)
from lms.errors import Conflict, Invalid
from lms.extensions import db
from tests.factories import make_agency, make_cohort, make_course, make_unit, make_user

# The frozen clock starts on Monday 2 March 2026.
MONDAY = date(2026, 3, 2)


def _cohort(course, *, trainers=(), mode=CohortMode.FACE_TO_FACE, country="KG", days=3, **kw):
    return make_cohort(course, trainers=trainers, mode=mode, country=country, days=days, **kw)


def _staff():
    return {
        "coordinator": make_user("kg.coord", roles=[Role.COORDINATOR], coordinator_country="KG"),
        "coordinator_kz": make_user(
            "kz.coord", roles=[Role.COORDINATOR], coordinator_country="KZ", country_code="KZ"
        ),
        "trainer": make_user("kg.trainer", roles=[Role.TRAINER], country_code="KG"),
        "other_trainer": make_user("kg.trainer2", roles=[Role.TRAINER], country_code="KG"),
    }


# --- The rules -------------------------------------------------------------------------


def test_cohort_details_are_checked(frozen_clock):
    course = make_course()
    with pytest.raises(Invalid, match="comes before"):
        _cohort(course, starts_on=MONDAY, ends_on=MONDAY - timedelta(days=1))
    with pytest.raises(Invalid, match="No class day"):
        _cohort(course, days=2, weekdays=(6,))  # Monday and Tuesday, classes on Sundays
    with pytest.raises(Invalid, match="at most 366 days"):
        _cohort(course, days=400)
    learner = make_user("not.a.trainer")
    with pytest.raises(Invalid, match="trainer role"):
        _cohort(course, trainers=[learner])
    online = _cohort(course, mode=CohortMode.ONLINE, days=400)
    assert online.days() == []


def test_class_days_follow_the_weekdays(frozen_clock):
    cohort = _cohort(make_course(), days=14, weekdays=(0, 2))
    assert cohort.days() == [MONDAY + timedelta(days=d) for d in (0, 2, 7, 9)]


def test_enrolling_a_group_takes_two_queries_and_reports_each_case(frozen_clock, count_queries):
    course = make_course()
    cohort = _cohort(course)
    other = _cohort(course, name="Bishkek")
    people = [make_user(f"group{n}", country_code="KG") for n in range(5)]
    solo = services.enrol(people[0], course, now=clock.now())  # on their own
    cohorts.enrol_people(other, [people[1]], by=None, now=clock.now())  # another cohort
    cohorts.enrol_people(cohort, [people[2]], by=None, now=clock.now())  # already here
    with count_queries() as log:
        result = cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    assert [u.username for u in result.enrolled] == ["group3", "group4"]
    assert result.joined == [people[0]] and solo.cohort_id == cohort.id
    assert result.elsewhere == [people[1]] and result.already == [people[2]]
    # Select, insert, audit rows, and (someone joined) the gates of a face-to-face cohort
    # read again: a fixed number whatever the group's size.
    assert log.count <= 12, log.statements
    assert len(cohorts.participants(cohort)) == 4
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.create")
    ).all()
    assert {a.details.get("cohort_id") for a in audit} >= {cohort.id}


def test_a_retired_course_takes_no_one(frozen_clock):
    course = make_course()
    cohort = _cohort(course)
    course.retired_at = clock.now()
    with pytest.raises(Conflict):
        cohorts.enrol_people(cohort, [make_user()], by=None, now=clock.now())


def test_attendance_is_taken_on_class_days_that_have_come(frozen_clock):
    cohort = _cohort(make_course(), days=5, weekdays=(0, 1, 2, 3, 4))
    person = make_user("attendee", country_code="KG")
    cohorts.enrol_people(cohort, [person], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    present = {enrolment.id: AttendanceStatus.PRESENT}
    with pytest.raises(Invalid, match="still to come"):
        cohorts.record_attendance(
            cohort, MONDAY + timedelta(days=1), present, by=None, now=clock.now()
        )
    with pytest.raises(Invalid, match="not a class day"):
        cohorts.record_attendance(
            cohort, MONDAY - timedelta(days=1), present, by=None, now=clock.now()
        )
    stranger = services.enrol(make_user(), cohort.course, now=clock.now())
    with pytest.raises(Invalid, match="not in the cohort"):
        cohorts.record_attendance(
            cohort, MONDAY, {stranger.id: AttendanceStatus.PRESENT}, by=None, now=clock.now()
        )
    assert cohorts.record_attendance(cohort, MONDAY, present, by=None, now=clock.now()) == 1
    assert cohorts.record_attendance(cohort, MONDAY, present, by=None, now=clock.now()) == 0
    absent = {enrolment.id: AttendanceStatus.ABSENT}
    assert cohorts.record_attendance(cohort, MONDAY, absent, by=None, now=clock.now()) == 1
    assert cohorts.sheet(cohort, MONDAY) == {enrolment.id: AttendanceStatus.ABSENT}


def test_attendance_completes_a_course_that_requires_it(frozen_clock):
    course = make_course(requires_attendance=True, min_attendance=60, self_enrolment=False)
    cohort = _cohort(course, days=3)  # Monday to Wednesday: 2 of 3 days needed
    person = make_user("gate.person", country_code="KG")
    cohorts.enrol_people(cohort, [person], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    assert cohorts.days_needed(cohort) == 2
    for lesson, _m in services.live_lessons([course.id]):
        assert not services.complete_lesson(enrolment, lesson, course, now=clock.now())
    assert services.gates(enrolment, course)["attendance"] is False
    assert enrolment.completed_at is None
    frozen_clock.advance(timedelta(days=2))
    mark = {enrolment.id: AttendanceStatus.PRESENT}
    cohorts.record_attendance(cohort, MONDAY, mark, by=None, now=clock.now())
    assert enrolment.attendance_met_at is None
    cohorts.record_attendance(
        cohort,
        MONDAY + timedelta(days=1),
        {enrolment.id: AttendanceStatus.EXCUSED},
        by=None,
        now=clock.now(),
    )
    assert enrolment.attendance_met_at is None  # excused is not present
    cohorts.record_attendance(cohort, MONDAY + timedelta(days=2), mark, by=None, now=clock.now())
    assert enrolment.attendance_met_at is not None
    assert enrolment.completed_at is not None and enrolment.status is EnrolmentStatus.COMPLETED
    completed_at = enrolment.completed_at
    # A correction later never rewrites a completion.
    absent = {enrolment.id: AttendanceStatus.ABSENT}
    cohorts.record_attendance(cohort, MONDAY, absent, by=None, now=clock.now())
    assert enrolment.completed_at == completed_at


def test_a_correction_clears_an_attendance_gate_before_completion(frozen_clock):
    course = make_course(requires_attendance=True, self_enrolment=False)
    cohort = _cohort(course, days=1, mode=CohortMode.BLENDED)  # the lessons are read online
    cohorts.enrol_people(cohort, [make_user(country_code="KG")], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    cohorts.record_attendance(
        cohort, MONDAY, {enrolment.id: AttendanceStatus.PRESENT}, by=None, now=clock.now()
    )
    assert enrolment.attendance_met_at is not None
    cohorts.record_attendance(
        cohort, MONDAY, {enrolment.id: AttendanceStatus.ABSENT}, by=None, now=clock.now()
    )
    assert enrolment.attendance_met_at is None


def test_in_a_face_to_face_cohort_attendance_stands_for_the_lessons(frozen_clock):
    course = make_course(min_attendance=50)  # attendance is not required online
    cohort = _cohort(course, days=2)
    blended = _cohort(course, name="Blended", days=2, mode=CohortMode.BLENDED)
    cohorts.enrol_people(cohort, [make_user("f2f", country_code="KG")], by=None, now=clock.now())
    cohorts.enrol_people(blended, [make_user("bl", country_code="KG")], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    (online_reader,) = cohorts.participants(blended)
    frozen_clock.advance(timedelta(days=1))
    for group, person in ((cohort, enrolment), (blended, online_reader)):
        present = {person.id: AttendanceStatus.PRESENT}
        cohorts.record_attendance(group, MONDAY, present, by=None, now=clock.now())
    assert services.gates(enrolment, course)["lessons"] is True
    assert enrolment.completed_at is not None  # no tests on this course: the lessons were all
    assert services.gates(online_reader, course)["lessons"] is False  # blended: read online
    assert services.gates(online_reader, course)["attendance"] is None  # not required


def test_a_lessons_gate_met_in_class_is_cleared_by_a_correction(frozen_clock):
    course = make_course(pre_test="bank", post_test="bank")
    cohort = _cohort(course, days=1)
    cohorts.enrol_people(cohort, [make_user("f2f2", country_code="KG")], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    present = {enrolment.id: AttendanceStatus.PRESENT}
    cohorts.record_attendance(cohort, MONDAY, present, by=None, now=clock.now())
    assert enrolment.lessons_done_at is not None and enrolment.completed_at is None
    absent = {enrolment.id: AttendanceStatus.ABSENT}
    cohorts.record_attendance(cohort, MONDAY, absent, by=None, now=clock.now())
    assert enrolment.lessons_done_at is None
    # Read online in full, the lessons stay done whatever the marks say.
    for lesson, _m in services.live_lessons([course.id]):
        enrolment.pre_test_done_at = clock.now()
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    cohorts.record_attendance(cohort, MONDAY, present, by=None, now=clock.now())
    cohorts.record_attendance(cohort, MONDAY, absent, by=None, now=clock.now())
    assert enrolment.lessons_done_at is not None


def test_without_a_cohort_the_attendance_gate_stays_closed(frozen_clock):
    course = make_course(requires_attendance=True, self_enrolment=False)
    enrolment = services.enrol(make_user(), course, now=clock.now())
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    assert services.gates(enrolment, course) == {
        "pre_test": None,
        "lessons": True,
        "attendance": False,
        "post_test": None,
    }
    assert enrolment.completed_at is None


def test_withdrawing_keeps_the_record_and_completed_courses_stay(frozen_clock):
    course = make_course(lessons=1)
    cohort = _cohort(course)
    cohorts.enrol_people(cohort, [make_user(), make_user()], by=None, now=clock.now())
    first, second = cohorts.participants(cohort)
    cohorts.withdraw(first, by=None, now=clock.now())
    assert first.status is EnrolmentStatus.WITHDRAWN
    assert cohorts.participants(cohort) == [second]
    lesson = services.live_lessons([course.id])[0][0]
    assert services.complete_lesson(second, lesson, course, now=clock.now())
    with pytest.raises(Conflict, match="completed"):
        cohorts.withdraw(second, by=None, now=clock.now())


def test_merging_people_moves_enrolments_and_trainer_places(frozen_clock):
    course = make_course()
    admin = make_user("merge.admin", roles=[Role.ADMIN])
    source = make_user("merge.source", roles=[Role.TRAINER])
    target = make_user("merge.target", roles=[Role.TRAINER])
    cohort = _cohort(course, trainers=[source])
    both = _cohort(course, name="Both", trainers=[source, target])
    kept = services.enrol(target, course, now=clock.now())
    clash = services.enrol(source, course, now=clock.now())
    other = services.enrol(source, make_course(), now=clock.now())
    result = accounts.merge_users(source, target, actor=admin, now=clock.now())
    assert result.moved["enrolments"] == 2
    assert result.moved["cohort_trainer_places"] == 1
    db.session.expire_all()
    assert {clash.user_id, other.user_id, kept.user_id} == {target.id}
    assert clash.status is EnrolmentStatus.WITHDRAWN and kept.status is EnrolmentStatus.ACTIVE
    assert [t.user_id for t in cohort.trainers] == [target.id]
    assert [t.user_id for t in both.trainers] == [target.id]


# --- The pages ---------------------------------------------------------------------------


def test_a_coordinator_creates_a_cohort_and_enrols_people(client, login, frozen_clock):
    staff = _staff()
    course = make_course("osh-course")
    login(staff["coordinator"])
    form = client.get("/cohorts/new").get_data(as_text=True)
    assert "kg.trainer" not in form and "Kyrgyzstan" in form and "Kazakhstan" not in form
    data = {
        "course": "osh-course",
        "name": "Investigators, Osh",
        "mode": "face-to-face",
        "country": "KG",
        "location": "Osh, police academy",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-06",
        "weekdays": ["0", "1", "2", "3", "4"],
        "trainers": [str(staff["trainer"].id)],
    }
    bad = client.post("/cohorts/new", data={**data, "ends_on": "2026-03-01"})
    assert bad.status_code == 422
    assert "The last day comes before the first day." in bad.get_data(as_text=True)
    elsewhere = client.post("/cohorts/new", data={**data, "country": "KZ"})
    assert elsewhere.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0
    response = client.post("/cohorts/new", data=data)
    assert response.status_code == 302
    cohort = db.session.scalar(sa.select(Cohort))
    assert response.headers["Location"] == f"/cohorts/{cohort.id}/enrol"
    assert [t.user_id for t in cohort.trainers] == [staff["trainer"].id]
    assert cohort.location == "Osh, police academy" and cohort.weekdays == [0, 1, 2, 3, 4]
    assert course.id == cohort.course_id

    unit = make_unit(make_agency("KG", "МВД"), "Отдел")
    members = [make_user(f"unit.member{n}", country_code="KG", unit_id=unit.id) for n in range(3)]
    kz_officer = make_user("kz.officer", country_code="KZ")
    refused = client.post(
        f"/cohorts/{cohort.id}/enrol",
        data={"usernames": "unit.member0\nnobody.here, kz.officer"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Line 2: you cannot enrol anyone named “nobody.here”." in html
    assert "Line 2: you cannot enrol anyone named “kz.officer”." in html
    assert cohorts.participants(cohort) == []  # nothing half-done
    done = client.post(f"/cohorts/{cohort.id}/enrol", data={"unit": str(unit.id)})
    assert done.status_code == 302
    assert {e.user_id for e in cohorts.participants(cohort)} == {m.id for m in members}
    assert kz_officer.id not in {e.user_id for e in cohorts.participants(cohort)}
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert all(m.full_name in page for m in members)
    assert page.count("/withdraw") == 3


def test_a_regional_event_takes_officers_of_other_countries(client, login, frozen_clock):
    staff = _staff()
    course = make_course()
    regional = _cohort(course, regional=True, name="Regional, Almaty")
    local = _cohort(course, name="Local, Osh")
    kg_officer = make_user("kg.officer", country_code="KG", full_name="Айбек Осмонов")
    kz_officer = make_user("kz.officer", country_code="KZ", full_name="Нурлан Сериков")
    cohorts.enrol_people(regional, [kg_officer], by=None, now=clock.now())
    login(staff["coordinator_kz"])
    listing = client.get("/cohorts/").get_data(as_text=True)
    assert "Regional, Almaty" in listing and "Local, Osh" not in listing
    assert client.get(f"/cohorts/{local.id}").status_code == 404
    assert client.get(f"/cohorts/{regional.id}/edit").status_code == 403
    refused = client.post(f"/cohorts/{regional.id}/enrol", data={"usernames": "kg.officer"})
    assert refused.status_code == 422
    assert (
        client.post(f"/cohorts/{regional.id}/enrol", data={"usernames": "kz.officer"}).status_code
        == 302
    )
    page = client.get(f"/cohorts/{regional.id}").get_data(as_text=True)
    assert "kz.officer" not in page  # names, not usernames, are shown
    assert kz_officer.full_name in page and kg_officer.full_name not in page
    kg_enrolment = next(e for e in cohorts.participants(regional) if e.user_id == kg_officer.id)
    assert (
        client.post(f"/cohorts/{regional.id}/participants/{kg_enrolment.id}/withdraw").status_code
        == 404
    )


def test_trainers_see_only_their_cohorts(client, login, frozen_clock):
    staff = _staff()
    course = make_course()
    mine = _cohort(course, name="Mine", trainers=[staff["trainer"]])
    theirs = _cohort(course, name="Theirs", trainers=[staff["other_trainer"]])
    login(staff["trainer"])
    listing = client.get("/cohorts/").get_data(as_text=True)
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(f"/cohorts/{mine.id}").status_code == 200
    for path in (f"/cohorts/{theirs.id}", f"/cohorts/{theirs.id}/attendance"):
        assert client.get(path).status_code == 404
    assert client.get(f"/cohorts/{mine.id}/edit").status_code == 403
    assert client.get(f"/cohorts/{mine.id}/enrol").status_code == 403


def test_a_trainer_takes_attendance_on_a_tablet_page(client, login, frozen_clock):
    staff = _staff()
    cohort = _cohort(make_course(), trainers=[staff["trainer"]], days=3)
    people = [make_user(f"class{n}", country_code="KG") for n in range(3)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    rows = cohorts.participants(cohort)
    login(staff["trainer"])
    page = client.get(f"/cohorts/{cohort.id}/attendance")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('type="radio"') == 9
    response = client.post(
        f"/cohorts/{cohort.id}/attendance?day=2026-03-02",
        data={f"mark-{rows[0].id}": "present", f"mark-{rows[1].id}": "absent"},
    )
    assert response.status_code == 302
    assert cohorts.sheet(cohort, MONDAY) == {
        rows[0].id: AttendanceStatus.PRESENT,
        rows[1].id: AttendanceStatus.ABSENT,
    }
    everyone = client.post(
        f"/cohorts/{cohort.id}/attendance", data={"day": "2026-03-02", "all": "present"}
    )
    assert everyone.status_code == 302
    assert set(cohorts.sheet(cohort, MONDAY).values()) == {AttendanceStatus.PRESENT}
    future = client.post(
        f"/cohorts/{cohort.id}/attendance",
        data={"day": "2026-03-03", f"mark-{rows[0].id}": "present"},
    )
    assert future.status_code == 422
    assert "still to come" in future.get_data(as_text=True)
    assert cohorts.sheet(cohort, MONDAY + timedelta(days=1)) == {}
    forged = client.post(
        f"/cohorts/{cohort.id}/attendance", data={"day": "2026-03-02", "mark-999999": "present"}
    )
    assert forged.status_code == 302  # marks for strangers are ignored, not saved
    assert len(cohorts.sheet(cohort, MONDAY)) == 3


def test_online_cohorts_have_no_attendance(client, login, frozen_clock):
    staff = _staff()
    cohort = _cohort(make_course(), mode=CohortMode.ONLINE, trainers=[staff["trainer"]])
    login(staff["trainer"])
    assert client.get(f"/cohorts/{cohort.id}/attendance").status_code == 403


def test_cohort_pages_keep_a_fixed_number_of_queries(client, login, frozen_clock, count_queries):
    staff = _staff()
    course = make_course(lessons=3)
    cohort = _cohort(course, trainers=[staff["trainer"]])
    login(staff["coordinator"])
    counts: dict[str, list[int]] = {}
    for size in (2, 8):
        people = [make_user(country_code="KG") for _ in range(size)]
        cohorts.enrol_people(cohort, people, by=None, now=clock.now())
        _cohort(course, name=f"Another {size}")
        rows = cohorts.participants(cohort)
        lesson = services.live_lessons([course.id])[0][0]
        for enrolment in rows:
            if not services.completed_lessons([enrolment.id])[enrolment.id]:
                services.complete_lesson(enrolment, lesson, course, now=clock.now())
        cohorts.record_attendance(
            cohort,
            MONDAY,
            {e.id: AttendanceStatus.PRESENT for e in rows},
            by=None,
            now=clock.now(),
        )
        db.session.flush()
        for path in ("/cohorts/", f"/cohorts/{cohort.id}", f"/cohorts/{cohort.id}/attendance"):
            with count_queries() as log:
                assert client.get(path).status_code == 200
            counts.setdefault(path, []).append(log.count)
    assert all(a == b for a, b in counts.values()), counts


def test_enrolled_through_a_cohort_the_learner_sees_it(client, login, frozen_clock):
    course = make_course("cohort-course", self_enrolment=False)
    cohort = _cohort(course, name="Osh, March", location="Osh")
    learner = make_user("cohort.learner", country_code="KG")
    cohorts.enrol_people(cohort, [learner], by=None, now=clock.now())
    login(learner)
    html = client.get("/courses/cohort-course").get_data(as_text=True)
    assert "Osh, March" in html and "Your coordinator enrols you" not in html
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.cohort_id == cohort.id


def test_the_trainers_dashboard_offers_todays_attendance(client, login, frozen_clock):
    staff = _staff()
    today = _cohort(make_course(), name="Today's class", trainers=[staff["trainer"]])
    _cohort(
        make_course(),
        name="Long past",
        trainers=[staff["trainer"]],
        starts_on=MONDAY - timedelta(days=60),
        ends_on=MONDAY - timedelta(days=50),
    )
    login(staff["trainer"])
    html = client.get("/").get_data(as_text=True)
    assert "Today&#39;s class" in html and "Long past" not in html
    assert f"/cohorts/{today.id}/attendance" in html
