"""The learner's path: enrolling, opening and completing lessons, gates and completion.

The enrolment owns the gate state; the assessments domain records its gates through
:func:`record_pre_test_done` and :func:`record_post_test_passed`. Completion is recorded
once and announced with the ``enrolment_completed`` signal, so that certificates and
evaluation react to it without this domain importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext

from lms import audit
from lms.accounts.services import register_merge_handler
from lms.courses.models import Course, Lesson, LessonVersion, Module
from lms.enrolments.models import CohortTrainer, Enrolment, EnrolmentStatus, LessonProgress
from lms.errors import Conflict, NotAllowed
from lms.extensions import db

#: Parts of the course page that higher domains add (the tests, later the certificate):
#: each takes the enrolment and the course and returns ``{"template": …, **context}`` or
#: None. Registered at import by those domains, so this one imports none of them.
CoursePanel = Callable[[Enrolment, Course], dict[str, Any] | None]
COURSE_PANELS: list[CoursePanel] = []


def register_course_panel(panel: CoursePanel) -> CoursePanel:
    """Add a part to the learner's course page (decorator)."""
    if panel not in COURSE_PANELS:
        COURSE_PANELS.append(panel)
    return panel


def course_panels(enrolment: Enrolment, course: Course) -> list[dict[str, Any]]:
    return [found for panel in COURSE_PANELS if (found := panel(enrolment, course)) is not None]


signals = Namespace()
#: Sent with ``enrolment=…`` once, when an enrolment completes.
enrolment_completed = signals.signal("enrolment-completed")


def live_lessons(course_ids: list[int]) -> list[tuple[Lesson, Module]]:
    """The live lessons of the courses with their modules, in reading order (one query)."""
    if not course_ids:
        return []
    return list(
        db.session.execute(
            sa.select(Lesson, Module)
            .join(Module, Module.id == Lesson.module_id)
            .where(
                Module.course_id.in_(course_ids),
                Module.retired_at.is_(None),
                Lesson.retired_at.is_(None),
            )
            .order_by(Module.course_id, Module.position, Lesson.position)
        ).all()
    )


def current_texts(lesson_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The texts (per language) of each lesson's current version (one query)."""
    if not lesson_ids:
        return {}
    rows = db.session.execute(
        sa.select(LessonVersion.lesson_id, LessonVersion.texts)
        .join(
            Lesson,
            sa.and_(
                Lesson.id == LessonVersion.lesson_id,
                LessonVersion.version == Lesson.current_version,
            ),
        )
        .where(Lesson.id.in_(lesson_ids))
    )
    return dict(rows.all())


def lesson_counts(course_ids: list[int]) -> dict[int, int]:
    """The number of live lessons per course (one query)."""
    counts: dict[int, int] = {}
    for _lesson, module in live_lessons(course_ids):
        counts[module.course_id] = counts.get(module.course_id, 0) + 1
    return counts


def active_enrolments(user: Any, course_ids: list[int] | None = None) -> dict[int, Enrolment]:
    """The user's latest enrolment per course (active or completed), by course id."""
    query = sa.select(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.status != EnrolmentStatus.WITHDRAWN
    )
    if course_ids is not None:
        query = query.where(Enrolment.course_id.in_(course_ids))
    latest: dict[int, Enrolment] = {}
    for enrolment in db.session.scalars(query.order_by(Enrolment.enrolled_at, Enrolment.id)):
        latest[enrolment.course_id] = enrolment
    return latest


def completed_lessons(enrolment_ids: list[int]) -> dict[int, set[int]]:
    """Completed lesson ids per enrolment (one query)."""
    done: dict[int, set[int]] = {i: set() for i in enrolment_ids}
    if enrolment_ids:
        rows = db.session.execute(
            sa.select(LessonProgress.enrolment_id, LessonProgress.lesson_id).where(
                LessonProgress.enrolment_id.in_(enrolment_ids)
            )
        )
        for enrolment_id, lesson_id in rows:
            done[enrolment_id].add(lesson_id)
    return done


def lesson_progress_counts(enrolment_ids: list[int]) -> dict[int, int]:
    """The number of completed lessons per enrolment (one grouped query)."""
    if not enrolment_ids:
        return {}
    rows = db.session.execute(
        sa.select(LessonProgress.enrolment_id, sa.func.count())
        .where(LessonProgress.enrolment_id.in_(enrolment_ids))
        .group_by(LessonProgress.enrolment_id)
    )
    return dict(rows.all())


def enrol(user: Any, course: Course, *, now: datetime, by: Any = None) -> Enrolment:
    """Enrol ``user`` (the caller decides who may); a completed course may be taken again.

    :raises Conflict: the course is retired, or the user is already taking it.
    """
    if course.retired_at is not None:
        raise Conflict(gettext("This course is no longer offered."))
    existing = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == user.id,
            Enrolment.course_id == course.id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
    )
    if existing is not None:
        raise Conflict(gettext("You are already taking this course."))
    enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now)
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "enrolment.create",
        actor=by or user,
        object_type="enrolment",
        object_id=enrolment.id,
        now=now,
        course=course.slug,
        user_id=user.id,
    )
    return enrolment


def lessons_unlocked(enrolment: Enrolment, course: Course) -> bool:
    """Lessons open once the pre-test is done, when the course has one."""
    return course.pre_test is None or enrolment.pre_test_done_at is not None


def complete_lesson(enrolment: Enrolment, lesson: Lesson, course: Course, *, now: datetime) -> bool:
    """Mark a lesson complete (once); return True when this completed the course.

    :raises NotAllowed: the lessons are still locked behind the pre-test.
    """
    if not lessons_unlocked(enrolment, course):
        raise NotAllowed(gettext("Take the pre-test first: the lessons open after it."))
    done = completed_lessons([enrolment.id])[enrolment.id]
    if lesson.id not in done:
        db.session.add(
            LessonProgress(
                enrolment_id=enrolment.id,
                lesson_id=lesson.id,
                version=lesson.current_version,
                completed_at=now,
            )
        )
        done.add(lesson.id)
    all_ids = {item.id for item, _m in live_lessons([course.id])}
    if enrolment.lessons_done_at is None and all_ids <= done:
        enrolment.lessons_done_at = now
    db.session.flush()
    return complete_if_done(enrolment, course, now=now)


def record_pre_test_done(enrolment: Enrolment, *, now: datetime) -> None:
    if enrolment.pre_test_done_at is None:
        enrolment.pre_test_done_at = now


def record_post_test_passed(enrolment: Enrolment, course: Course, *, now: datetime) -> bool:
    if enrolment.post_test_passed_at is None:
        enrolment.post_test_passed_at = now
    return complete_if_done(enrolment, course, now=now)


def withdraw_post_test_pass(enrolment: Enrolment) -> None:
    """Clear the post-test gate after a corrected result no longer passes.

    :raises Conflict: the course is completed: its completion stands on that result.
    """
    if enrolment.completed_at is not None:
        raise Conflict(
            gettext(
                "The learner has completed the course on this result: "
                "it can no longer fall below the pass mark."
            )
        )
    enrolment.post_test_passed_at = None


def gates(enrolment: Enrolment, course: Course) -> dict[str, bool | None]:
    """Each gate: True met, False not yet, None not part of this course.

    Attendance is a gate when the course requires it: it is met from the marks of the
    enrolment's face-to-face or blended cohort (lms.enrolments.cohorts), so an enrolment
    without such a cohort cannot meet it.
    """
    return {
        "pre_test": None if course.pre_test is None else enrolment.pre_test_done_at is not None,
        "lessons": enrolment.lessons_done_at is not None,
        "attendance": None
        if not course.requires_attendance
        else enrolment.attendance_met_at is not None,
        "post_test": None
        if course.post_test is None
        else enrolment.post_test_passed_at is not None,
    }


def complete_if_done(enrolment: Enrolment, course: Course, *, now: datetime) -> bool:
    """Complete the enrolment (once) when every gate is met; return True if this did it."""
    if enrolment.completed_at is not None:
        return False
    if not all(met is not False for met in gates(enrolment, course).values()):
        return False
    enrolment.completed_at = now
    enrolment.status = EnrolmentStatus.COMPLETED
    audit.record(
        "enrolment.complete",
        object_type="enrolment",
        object_id=enrolment.id,
        now=now,
        course=course.slug,
        user_id=enrolment.user_id,
    )
    db.session.flush()
    enrolment_completed.send(enrolment)
    return True


@register_merge_handler
def merge_enrolments(source: Any, target: Any) -> dict[str, int]:
    """Move ``source``'s enrolments and cohort trainer places to ``target`` (a merge of two
    records of one person). Where both are taking the same course, ``target``'s enrolment
    stays active and ``source``'s is kept as withdrawn, so no progress record is lost."""
    target_active = set(
        db.session.scalars(
            sa.select(Enrolment.course_id).where(
                Enrolment.user_id == target.id, Enrolment.status == EnrolmentStatus.ACTIVE
            )
        )
    )
    clashing = db.session.scalars(
        sa.select(Enrolment).where(
            Enrolment.user_id == source.id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
            Enrolment.course_id.in_(sorted(target_active)),
        )
    ).all()
    for enrolment in clashing:
        enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.flush()
    moved = db.session.execute(
        sa.update(Enrolment).where(Enrolment.user_id == source.id).values(user_id=target.id)
    ).rowcount
    trained = sa.select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == target.id)
    db.session.execute(
        sa.delete(CohortTrainer).where(
            CohortTrainer.user_id == source.id, CohortTrainer.cohort_id.in_(trained)
        )
    )
    places = db.session.execute(
        sa.update(CohortTrainer).where(CohortTrainer.user_id == source.id).values(user_id=target.id)
    ).rowcount
    return {"enrolments": moved, "cohort_trainer_places": places}
