"""The enrolments part of the demo world: a face-to-face cohort with its trainer and
attendance, and learners at every stage of the shipped courses.

Idempotent: the cohort is found by name, enrolments by person and course, so a second run
changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.accounts.models import User
from lms.courses.models import Course
from lms.demo import DemoWorld
from lms.enrolments import cohorts, services
from lms.enrolments.models import AttendanceStatus, Cohort, CohortMode, Enrolment
from lms.extensions import db

#: The course the demo cohort takes, when it is shipped (else the first course).
MAIN_COURSE = "investigating-tip-som"
COHORT_NAME = "Investigators' course, Bishkek"


def seed(world: DemoWorld) -> None:
    courses = db.session.scalars(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
    ).all()
    if not courses:
        return
    main = next((c for c in courses if c.slug == MAIN_COURSE), courses[0])
    people = {
        u.username: u
        for u in db.session.scalars(sa.select(User).where(User.username.like("%.learner%")))
    }
    trainer = db.session.scalar(
        sa.select(User).where(User.username == world.logins.get("trainer", {}).get("username"))
    )
    learner = people.get(world.logins.get("learner", {}).get("username", ""))
    country = (trainer.country_code if trainer else None) or "KG"
    cohort = _cohort(world, main, trainer, country)
    local = sorted(
        (u for name, u in people.items() if name.startswith(f"{country.lower()}.learner")),
        key=lambda u: u.username,
    )
    group = ([learner] if learner else []) + local
    _tally(world, cohorts.enrol_people(cohort, _new(main, group, world), by=None, now=world.now))
    _attendance(world, cohort)
    # Learners of the other countries take the other courses on their own.
    others = sorted(
        (u for name, u in people.items() if u not in group and ".learner" in name),
        key=lambda u: u.username,
    )
    for index, course in enumerate(c for c in courses if c.id != main.id):
        takers = others[index::2] if len(courses) > 2 else others
        fresh = _new(course, takers, world)
        _tally(world, cohorts.enrol_people_in_course(course, fresh, by=None, now=world.now))


def seed_progress(world: DemoWorld) -> None:
    """Lessons read (after the pre-tests, which open them): person n of each course reads n
    lessons; in the cohort the demo learner has read two and opened the third."""
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == COHORT_NAME))
    learner = db.session.scalar(
        sa.select(User).where(User.username == world.logins.get("learner", {}).get("username"))
    )
    courses = db.session.scalars(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
    ).all()
    for course in courses:
        # The learners of an event already over read nothing more.
        takers = list(
            db.session.scalars(
                sa.select(User)
                .join(Enrolment, Enrolment.user_id == User.id)
                .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
                .where(
                    Enrolment.course_id == course.id,
                    sa.or_(Cohort.id.is_(None), Cohort.ends_on >= world.now.date()),
                )
                .order_by(User.username)
            )
        )
        in_cohort = cohort is not None and cohort.course_id == course.id
        _progress(world, course, takers, skip=learner if in_cohort else None)
    if learner is not None and cohort is not None:
        _start(world, cohort.course, learner)


def _new(course: Course, people: list[User], world: DemoWorld) -> list[User]:
    """Those of ``people`` never enrolled in ``course`` (a completed course is not taken
    again by the demo), counting the others as existing."""
    enrolled = set(
        db.session.scalars(
            sa.select(Enrolment.user_id).where(
                Enrolment.course_id == course.id, Enrolment.user_id.in_([p.id for p in people])
            )
        )
    )
    if enrolled:
        world.existing["enrolments"] += len(enrolled)
    return [p for p in people if p.id not in enrolled]


def _tally(world: DemoWorld, result: cohorts.CohortEnrolment) -> None:
    if result.enrolled:
        world.created["enrolments"] += len(result.enrolled)
    kept = len(result.already) + len(result.elsewhere) + len(result.joined)
    if kept:
        world.existing["enrolments"] += kept


def _cohort(world: DemoWorld, course: Course, trainer: User | None, country: str) -> Cohort:
    found = db.session.scalar(sa.select(Cohort).where(Cohort.name == COHORT_NAME))
    if found is not None:
        world.count("cohorts", created=False)
        return found
    # Started three class days ago (Monday to Friday), whatever today is: two weeks long.
    start = world.now.date()
    past = 0
    while True:
        past += start.weekday() < 5
        if past == 3:
            break
        start -= timedelta(days=1)
    found = cohorts.create_cohort(
        cohorts.CohortDetails(
            course=course,
            name=COHORT_NAME,
            country_code=country,
            mode=CohortMode.FACE_TO_FACE,
            starts_on=start,
            ends_on=start + timedelta(days=13),
            location="Bishkek, Academy of the Ministry of Internal Affairs",
            weekdays=(0, 1, 2, 3, 4),
            trainers=(trainer,) if trainer is not None else (),
        ),
        by=None,
        now=world.now,
    )
    world.count("cohorts", created=True)
    return found


def _attendance(world: DemoWorld, cohort: Cohort) -> None:
    """Mark the class days so far (most present, some absent or excused), once."""
    marked = cohorts.days_marked(cohort)
    people = cohorts.participants(cohort)
    for day in cohort.days():
        if day > world.now.date() or day in marked:
            continue
        marks = {}
        for index, enrolment in enumerate(people):
            turn = (index + day.toordinal()) % 7
            marks[enrolment.id] = (
                AttendanceStatus.ABSENT
                if turn == 0
                else AttendanceStatus.EXCUSED
                if turn == 1 and index % 3 == 0
                else AttendanceStatus.PRESENT
            )
        cohorts.record_attendance(cohort, day, marks, by=None, now=world.now)
        world.created["attendance days"] += 1


def _progress(world: DemoWorld, course: Course, takers: list[User], *, skip: User | None) -> None:
    """Person n of ``takers`` completes n lessons (wrapping round), where lessons are open."""
    lessons = [lesson for lesson, _m in services.live_lessons([course.id])]
    if not lessons:
        return
    enrolments = {
        e.user_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.course_id == course.id,
                Enrolment.user_id.in_([u.id for u in takers]),
            )
        )
    }
    done = services.completed_lessons([e.id for e in enrolments.values()])
    for index, person in enumerate(takers):
        enrolment = enrolments.get(person.id)
        if enrolment is None or person is skip:
            continue
        if not services.lessons_unlocked(enrolment, course) or done[enrolment.id]:
            continue
        for lesson in lessons[: index % (len(lessons) + 1)]:
            services.complete_lesson(enrolment, lesson, course, now=world.now)
            world.created["lessons completed"] += 1


def _start(world: DemoWorld, course: Course, learner: User) -> None:
    """The demo learner has read the first two lessons and opened the third."""
    enrolment = services.active_enrolments(learner, [course.id]).get(course.id)
    if enrolment is None or not services.lessons_unlocked(enrolment, course):
        return
    if services.completed_lessons([enrolment.id])[enrolment.id]:
        return
    lessons = [lesson for lesson, _m in services.live_lessons([course.id])]
    for lesson in lessons[:2]:
        services.complete_lesson(enrolment, lesson, course, now=world.now)
        world.created["lessons completed"] += 1
    if len(lessons) > 2:
        enrolment.last_lesson_id = lessons[2].id
