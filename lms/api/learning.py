"""API of courses and the caller's enrolments (read)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from lms.api import schemas
from lms.assessments.models import Attempt
from lms.courses.models import Course
from lms.enrolments import services as learning
from lms.extensions import db
from lms.pagination import paginate
from lms.permissions import signed_in

blp = Blueprint(
    "api_learning", __name__, url_prefix="/api/v1", description="Courses and the caller's learning."
)


def _original(course: Course) -> dict[str, Any]:
    return course.texts[course.languages[0]]


def _course_out(course: Course, lesson_count: int) -> dict[str, Any]:
    return {
        "slug": course.slug,
        "title": _original(course)["title"],
        "summary": _original(course).get("summary", ""),
        "languages": course.languages,
        "version": course.version,
        "estimated_hours": course.estimated_hours,
        "pass_mark": course.pass_mark,
        "objectives": course.objectives,
        "has_pre_test": course.pre_test is not None,
        "has_post_test": course.post_test is not None,
        "lessons": lesson_count,
    }


@blp.route("/courses")
@blp.arguments(schemas.PageArgsSchema, location="query")
@blp.response(200, schemas.CoursePageSchema)
@signed_in
def courses(args: dict[str, Any]) -> dict[str, Any]:
    """The courses on offer (texts in their original language)."""
    page = paginate(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug),
        args["page"],
        args["per_page"],
    )
    counts = learning.lesson_counts([c.id for c in page.items])
    return {
        "items": [_course_out(c, counts.get(c.id, 0)) for c in page.items],
        "page": page.number,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@blp.route("/courses/<slug>")
@blp.response(200, schemas.CourseDetailSchema)
@signed_in
def course(slug: str) -> dict[str, Any]:
    found = db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.retired_at.is_(None))
    )
    if found is None:
        abort(404)
    lessons = learning.live_lessons([found.id])
    titles = learning.current_texts([lesson.id for lesson, _m in lessons])
    modules: list[dict[str, Any]] = []
    for lesson, module in lessons:
        if not modules or modules[-1]["key"] != module.key:
            modules.append(
                {
                    "key": module.key,
                    "title": module.texts[found.languages[0]]["title"],
                    "lessons": [],
                }
            )
        texts = titles.get(lesson.id, {})
        modules[-1]["lessons"].append(
            {
                "id": lesson.id,
                "key": lesson.key,
                "minutes": lesson.minutes,
                "title": texts.get(found.languages[0], {}).get("title", lesson.key),
            }
        )
    return {**_course_out(found, len(lessons)), "modules": modules}


@blp.route("/me/enrolments")
@blp.response(200, schemas.EnrolmentSchema(many=True))
@signed_in
def my_enrolments() -> list[dict[str, Any]]:
    """The caller's enrolments with progress and gates."""
    mine = learning.active_enrolments(current_user)
    courses = (
        {c.id: c for c in db.session.scalars(sa.select(Course).where(Course.id.in_(list(mine))))}
        if mine
        else {}
    )
    totals = learning.lesson_counts(list(courses))
    done = learning.completed_lessons([e.id for e in mine.values()])
    return [
        {
            "id": e.id,
            "course": courses[course_id].slug,
            "status": e.status.value,
            "enrolled_at": e.enrolled_at,
            "completed_at": e.completed_at,
            "lessons_done": len(done.get(e.id, ())),
            "lessons_total": totals.get(course_id, 0),
            "gates": learning.gates(e, courses[course_id]),
        }
        for course_id, e in mine.items()
    ]


def attempt_summary(attempt: Attempt, slug: str) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "user_id": attempt.user_id,
        "course": slug,
        "test": attempt.test_key,
        "number": attempt.number,
        "form": attempt.form,
        "language": attempt.language,
        "source": attempt.source.value,
        "status": attempt.status.value,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
        "score": attempt.score,
        "passed": attempt.passed,
        "max_points": attempt.max_points,
    }


@blp.route("/me/attempts")
@blp.response(200, schemas.AttemptSummarySchema(many=True))
@signed_in
def my_attempts() -> list[dict[str, Any]]:
    """The caller's test attempts (summaries: no answers), newest first."""
    rows = db.session.execute(
        sa.select(Attempt, Course.slug)
        .join(Course, Course.id == Attempt.course_id)
        .where(Attempt.user_id == current_user.id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    ).all()
    return [attempt_summary(attempt, slug) for attempt, slug in rows]
