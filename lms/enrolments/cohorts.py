"""Cohorts (training events), their trainers and participants, and attendance per day.

A cohort is a course given to a group: online, face-to-face or blended, in a country and a
place, on dates, by trainers. Face-to-face and blended cohorts have class days (the dates
from start to end on the chosen days of the week); trainers mark each participant present,
absent or excused on each class day, and where the course requires attendance, the
enrolment's attendance gate is met once the participant was present on at least the
course's ``min_attendance`` per cent of the class days.

The caller (a view, the API, the CLI) decides who may act; these functions apply the rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from lms import audit
from lms.accounts.models import Role, RoleGrant, User
from lms.courses.models import Course
from lms.enrolments import services
from lms.enrolments.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortMode,
    CohortTrainer,
    Enrolment,
    EnrolmentStatus,
)
from lms.errors import Conflict, Invalid
from lms.extensions import db

#: The longest event held in person (its class days make up an attendance sheet).
MAX_IN_PERSON_DAYS = 366
#: The longest cohort of any kind.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class CohortDetails:
    """What a coordinator fills in for a cohort (checked by :func:`check_details`)."""

    course: Course
    name: str
    country_code: str
    mode: CohortMode
    starts_on: date
    ends_on: date
    location: str | None = None
    weekdays: tuple[int, ...] = tuple(range(7))
    regional: bool = False
    trainers: tuple[User, ...] = ()


def check_details(details: CohortDetails) -> None:
    """:raises Invalid: dates out of order or too far apart, no class day, a retired course,
    or a trainer who does not hold the trainer role."""
    if not details.name.strip():
        raise Invalid(gettext("Give the cohort a name."), field="name")
    if details.course.retired_at is not None:
        raise Invalid(gettext("This course is no longer offered."), field="course")
    if details.ends_on < details.starts_on:
        raise Invalid(gettext("The last day comes before the first day."), field="ends_on")
    span = (details.ends_on - details.starts_on).days + 1
    limit = MAX_DAYS if details.mode is CohortMode.ONLINE else MAX_IN_PERSON_DAYS
    if span > limit:
        raise Invalid(
            gettext("A cohort may last at most %(days)d days.", days=limit), field="ends_on"
        )
    if details.mode is not CohortMode.ONLINE:
        weekdays = set(details.weekdays)
        if not weekdays or not any(
            date.fromordinal(n).weekday() in weekdays
            for n in range(details.starts_on.toordinal(), details.ends_on.toordinal() + 1)
        ):
            raise Invalid(
                gettext("No class day falls between the first and the last day."),
                field="weekdays",
            )
    for trainer in details.trainers:
        if not trainer.is_active or not trainer.has_role(Role.TRAINER):
            raise Invalid(
                gettext("%(name)s does not hold the trainer role.", name=trainer.full_name),
                field="trainers",
            )


def create_cohort(details: CohortDetails, *, by: Any, now: datetime) -> Cohort:
    check_details(details)
    cohort = Cohort(created_at=now, created_by_id=getattr(by, "id", None))
    _apply(cohort, details)
    db.session.add(cohort)
    db.session.flush()
    audit.record(
        "cohort.create",
        actor=by,
        object_type="cohort",
        object_id=cohort.id,
        now=now,
        course=details.course.slug,
        country=details.country_code,
    )
    return cohort


def update_cohort(cohort: Cohort, details: CohortDetails, *, by: Any, now: datetime) -> Cohort:
    """Change a cohort; its class days may change, so attendance gates are re-counted.

    :raises Conflict: the course would change while people are enrolled.
    """
    check_details(details)
    if details.course.id != cohort.course_id and participant_count(cohort) > 0:
        raise Conflict(
            gettext("People are enrolled in this cohort: its course cannot change."),
            field="course",
        )
    _apply(cohort, details)
    db.session.flush()
    refresh_attendance_gates(cohort, now=now)
    audit.record("cohort.update", actor=by, object_type="cohort", object_id=cohort.id, now=now)
    return cohort


def _apply(cohort: Cohort, details: CohortDetails) -> None:
    cohort.course_id = details.course.id
    cohort.course = details.course
    cohort.name = details.name.strip()
    cohort.country_code = details.country_code
    cohort.location = (details.location or "").strip() or None
    cohort.mode = details.mode
    cohort.starts_on = details.starts_on
    cohort.ends_on = details.ends_on
    cohort.weekdays = sorted(set(details.weekdays)) or list(range(7))
    cohort.regional = details.regional
    wanted = {t.id for t in details.trainers}
    cohort.trainers = [t for t in cohort.trainers if t.user_id in wanted]
    present = {t.user_id for t in cohort.trainers}
    cohort.trainers.extend(CohortTrainer(user_id=i) for i in sorted(wanted - present))


def get_cohort(cohort_id: int) -> Cohort | None:
    """A cohort with its trainers and course loaded (two queries), or None."""
    return db.session.scalar(
        sa.select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(sa.orm.selectinload(Cohort.trainers), sa.orm.selectinload(Cohort.course))
    )


def participant_count(cohort: Cohort) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Enrolment)
            .where(Enrolment.cohort_id == cohort.id, Enrolment.status != EnrolmentStatus.WITHDRAWN)
        )
        or 0
    )


def participants(cohort: Cohort, scope: sa.ColumnElement[bool] | None = None) -> list[Enrolment]:
    """The cohort's enrolments (not withdrawn) with their people, by name (one query)."""
    query = (
        sa.select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status != EnrolmentStatus.WITHDRAWN)
        .options(sa.orm.contains_eager(Enrolment.user))
        .order_by(User.full_name_latin, User.full_name, User.id)
    )
    if scope is not None:
        query = query.where(scope)
    return list(db.session.scalars(query))


# --- Enrolling people into a cohort ---------------------------------------------------------


@dataclass
class CohortEnrolment:
    """What :func:`enrol_people` did, person by person."""

    enrolled: list[User] = field(default_factory=list)
    #: Already taking the course on their own: their enrolment joined the cohort.
    joined: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    #: Taking the course with another cohort: left as they are.
    elsewhere: list[User] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "enrolled": [u.username for u in self.enrolled],
            "joined": [u.username for u in self.joined],
            "already": [u.username for u in self.already],
            "elsewhere": [u.username for u in self.elsewhere],
        }


def enrol_people(
    cohort: Cohort, people: Iterable[User], *, by: Any, now: datetime
) -> CohortEnrolment:
    """Enrol ``people`` in the cohort's course with the cohort (two queries and one insert,
    however many people). Someone already taking the course on their own joins the cohort
    with their progress; someone already in another cohort stays there.

    :raises Conflict: the course is retired.
    """
    return _enrol_group(cohort.course, cohort, people, by=by, now=now)


def enrol_people_in_course(
    course: Course, people: Iterable[User], *, by: Any, now: datetime
) -> CohortEnrolment:
    """Enrol ``people`` in ``course`` on their own (no cohort); those taking it already are
    reported, not enrolled twice.

    :raises Conflict: the course is retired.
    """
    return _enrol_group(course, None, people, by=by, now=now)


def _enrol_group(
    course: Course, cohort: Cohort | None, people: Iterable[User], *, by: Any, now: datetime
) -> CohortEnrolment:
    if course.retired_at is not None:
        raise Conflict(gettext("This course is no longer offered."))
    unique = {person.id: person for person in people}
    if not unique:
        return CohortEnrolment()
    current = {
        e.user_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.course_id == course.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.user_id.in_(sorted(unique)),
            )
        )
    }
    cohort_id = cohort.id if cohort is not None else None
    result = CohortEnrolment()
    new: list[Enrolment] = []
    for person_id, person in sorted(unique.items()):
        existing = current.get(person_id)
        if existing is None:
            new.append(
                Enrolment(
                    user_id=person_id, course_id=course.id, cohort_id=cohort_id, enrolled_at=now
                )
            )
            result.enrolled.append(person)
        elif existing.cohort_id == cohort_id:
            result.already.append(person)
        elif existing.cohort_id is None:
            existing.cohort_id = cohort_id
            result.joined.append(person)
        else:
            result.elsewhere.append(person)
    db.session.add_all(new)
    db.session.flush()
    for enrolment in new:
        audit.record(
            "enrolment.create",
            actor=by,
            object_type="enrolment",
            object_id=enrolment.id,
            now=now,
            course=course.slug,
            user_id=enrolment.user_id,
            cohort_id=cohort_id,
        )
    if result.joined and cohort is not None:
        refresh_attendance_gates(cohort, now=now)
    return result


def withdraw(enrolment: Enrolment, *, by: Any, now: datetime) -> None:
    """Take someone off a course (their record stays, marked withdrawn).

    :raises Conflict: the course is already complete.
    """
    if enrolment.status is EnrolmentStatus.COMPLETED:
        raise Conflict(gettext("A completed course cannot be withdrawn from."))
    if enrolment.status is EnrolmentStatus.WITHDRAWN:
        return
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.flush()
    audit.record(
        "enrolment.withdraw",
        actor=by,
        object_type="enrolment",
        object_id=enrolment.id,
        now=now,
        user_id=enrolment.user_id,
    )


# --- Attendance -----------------------------------------------------------------------------


def sheet(cohort: Cohort, day: date) -> dict[int, AttendanceStatus]:
    """Each participant's mark on ``day``, by enrolment id (one query)."""
    rows = db.session.execute(
        sa.select(Attendance.enrolment_id, Attendance.status)
        .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id, Attendance.day == day)
    )
    return dict(rows.all())


def days_present(cohort: Cohort) -> dict[int, int]:
    """The number of class days each participant was present, by enrolment id (one query)."""
    days = cohort.days()
    if not days:
        return {}
    rows = db.session.execute(
        sa.select(Attendance.enrolment_id, sa.func.count())
        .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
        .where(
            Enrolment.cohort_id == cohort.id,
            Attendance.status == AttendanceStatus.PRESENT,
            Attendance.day.in_(days),
        )
        .group_by(Attendance.enrolment_id)
    )
    return dict(rows.all())


def days_marked(cohort: Cohort) -> set[date]:
    """The class days on which attendance was taken for anyone (one query)."""
    return set(
        db.session.scalars(
            sa.select(Attendance.day)
            .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id)
            .distinct()
        )
    )


def days_needed(cohort: Cohort) -> int:
    """Class days a participant must attend for the course's attendance gate."""
    return math.ceil(len(cohort.days()) * cohort.course.min_attendance / 100)


def record_attendance(
    cohort: Cohort,
    day: date,
    marks: Mapping[int, AttendanceStatus],
    *,
    by: Any,
    now: datetime,
) -> int:
    """Record the marks of ``day`` (enrolment id → status); return how many changed.

    :raises Invalid: the day is not a class day, it has not come yet, or a mark is for
        someone who is not a participant.
    """
    if day not in cohort.days():
        raise Invalid(gettext("This is not a class day of the cohort."), field="day")
    if day > now.date():
        raise Invalid(gettext("Attendance cannot be taken for a day still to come."), field="day")
    enrolled = {e.id for e in participants(cohort)}
    strangers = set(marks) - enrolled
    if strangers:
        raise Invalid(gettext("Some of these people are not in the cohort."))
    existing = {
        a.enrolment_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(
                Attendance.enrolment_id.in_(sorted(enrolled)), Attendance.day == day
            )
        )
    }
    changed = 0
    recorder = getattr(by, "id", None)
    for enrolment_id, status in marks.items():
        row = existing.get(enrolment_id)
        if row is None:
            db.session.add(
                Attendance(
                    enrolment_id=enrolment_id,
                    day=day,
                    status=status,
                    recorded_at=now,
                    recorded_by_id=recorder,
                )
            )
            changed += 1
        elif row.status is not status:
            row.status, row.recorded_at, row.recorded_by_id = status, now, recorder
            changed += 1
    db.session.flush()
    if changed:
        audit.record(
            "attendance.record",
            actor=by,
            object_type="cohort",
            object_id=cohort.id,
            now=now,
            day=day.isoformat(),
            marks=changed,
        )
        refresh_attendance_gates(cohort, now=now)
    return changed


def refresh_attendance_gates(cohort: Cohort, *, now: datetime) -> list[Enrolment]:
    """Set or clear each participant's attendance gate from the marks, and in a
    face-to-face cohort the lessons gate too (the lessons are taught in class); completes
    the enrolments whose last missing gate this was, and returns them. A fixed number of
    queries whatever the cohort's size.

    Clearing never undoes a completion, and a lessons gate met by reading every lesson
    online stays met.
    """
    course = cohort.course
    if not cohort.attendance_counts:
        return []
    needed = days_needed(cohort)
    present = days_present(cohort)
    people = participants(cohort)
    in_class = cohort.lessons_in_class
    read = services.lesson_progress_counts([e.id for e in people]) if in_class else {}
    lessons = services.lesson_counts([course.id]).get(course.id, 0) if in_class else 0
    finished: list[Enrolment] = []
    for enrolment in people:
        met = bool(cohort.days()) and present.get(enrolment.id, 0) >= needed
        if enrolment.completed_at is not None:
            continue
        if met:
            opened = False
            if enrolment.attendance_met_at is None:
                enrolment.attendance_met_at, opened = now, True
            if in_class and enrolment.lessons_done_at is None:
                enrolment.lessons_done_at, opened = now, True
            if opened and services.complete_if_done(enrolment, course, now=now):
                finished.append(enrolment)
        else:
            enrolment.attendance_met_at = None
            if in_class and read.get(enrolment.id, 0) < lessons:
                enrolment.lessons_done_at = None
    db.session.flush()
    return finished


def trainer_choices(scope: sa.ColumnElement[bool]) -> list[User]:
    """Active people holding the trainer role within ``scope`` (one query)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                scope,
                User.is_active,
                User.id.in_(
                    sa.select(RoleGrant.user_id).where(
                        RoleGrant.role == Role.TRAINER, RoleGrant.revoked_at.is_(None)
                    )
                ),
            )
            .order_by(User.full_name_latin, User.full_name)
        )
    )
