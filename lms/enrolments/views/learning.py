"""The learner's pages: the catalogue, a course, the lesson reader."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import clock
from lms.accounts.organisations import country_name
from lms.courses.models import Course, Lesson, LessonVersion, Module
from lms.enrolments import cohorts, services
from lms.enrolments.models import EnrolmentStatus
from lms.enrolments.views import bp
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.i18n import pick_text
from lms.permissions import signed_in


def localised(texts: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """The texts in the reader's language when the course has it, else in the original."""
    return pick_text(texts, languages, get_locale())


def _course(slug: str) -> Course:
    course = db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.retired_at.is_(None))
    )
    if course is None:
        abort(404)
    return course


@bp.route("/")
@signed_in
def catalogue() -> ResponseReturnValue:
    """Every course on offer with the user's status (four queries, whatever the numbers)."""
    courses = db.session.scalars(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
    ).all()
    ids = [c.id for c in courses]
    totals = services.lesson_counts(ids)
    mine = services.active_enrolments(current_user, ids)
    done = services.completed_lessons([e.id for e in mine.values()])
    rows = [
        {
            "course": c,
            "texts": localised(c.texts, c.languages),
            "enrolment": mine.get(c.id),
            "done": len(done.get(mine[c.id].id, ())) if c.id in mine else 0,
            "total": totals.get(c.id, 0),
        }
        for c in courses
    ]
    return render_template("enrolments/catalogue.html", rows=rows)


@bp.route("/<slug>")
@signed_in
def course(slug: str) -> ResponseReturnValue:
    found = _course(slug)
    lessons = services.live_lessons([found.id])
    enrolment = services.active_enrolments(current_user, [found.id]).get(found.id)
    done = services.completed_lessons([enrolment.id])[enrolment.id] if enrolment else set()
    modules: list[dict[str, Any]] = []
    for lesson, module in lessons:
        if not modules or modules[-1]["module"].id != module.id:
            modules.append(
                {"module": module, "texts": localised(module.texts, found.languages), "lessons": []}
            )
        modules[-1]["lessons"].append(lesson)
    titles = _lesson_titles([lesson for lesson, _m in lessons], found.languages)
    next_lesson = next((lesson for lesson, _m in lessons if lesson.id not in done), None)
    if enrolment is not None and enrolment.last_lesson_id and enrolment.last_lesson_id not in done:
        resume = enrolment.last_lesson_id
        next_lesson = next((item for item, _m in lessons if item.id == resume), next_lesson)
    return render_template(
        "enrolments/course.html",
        course=found,
        texts=localised(found.texts, found.languages),
        objectives=list(objective_texts(found).values()),
        modules=modules,
        titles=titles,
        enrolment=enrolment,
        done=done,
        total=len(lessons),
        next_lesson=next_lesson,
        gates=services.gates(enrolment, found) if enrolment else None,
        cohort=_cohort_facts(enrolment, found),
        panels=services.course_panels(enrolment, found) if enrolment else [],
        unlocked=services.lessons_unlocked(enrolment, found) if enrolment else False,
        confirm_form=ConfirmForm(),
    )


def objective_texts(course: Course) -> dict[str, str]:
    """The course's learning objectives (id → text) in the reader's language where the
    course has them translated, else in the original."""
    translated = localised(course.texts, course.languages).get("objectives") or {}
    return {o["id"]: translated.get(o["id"], o["text"]) for o in course.objectives}


def _cohort_facts(enrolment: Any, course: Course) -> dict[str, Any] | None:
    """The learner's cohort, with their days present where attendance counts (two queries)."""
    if enrolment is None or enrolment.cohort_id is None:
        return None
    cohort = enrolment.cohort
    facts: dict[str, Any] = {
        "cohort": cohort,
        "country": country_name(cohort.country_code, get_locale()),
    }
    if cohort.attendance_counts:
        facts["present"] = cohorts.days_present(cohort).get(enrolment.id, 0)
        facts["needed"] = cohorts.days_needed(cohort)
    return facts


def _lesson_titles(lessons: list[Lesson], languages: list[str]) -> dict[int, str]:
    """Lesson titles of the current versions, in the reader's language (one query)."""
    texts = services.current_texts([lesson.id for lesson in lessons])
    return {lesson_id: localised(value, languages)["title"] for lesson_id, value in texts.items()}


@bp.route("/<slug>/enrol", methods=["POST"])
@signed_in
def enrol(slug: str) -> ResponseReturnValue:
    found = _course(slug)
    if not found.self_enrolment:
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            services.enrol(current_user, found, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(_("You are enrolled. Good studying!"), "success")
    return redirect(url_for("learning.course", slug=found.slug))


def _enrolled_lesson(slug: str, lesson_id: int) -> tuple[Course, Any, Lesson]:
    found = _course(slug)
    enrolment = services.active_enrolments(current_user, [found.id]).get(found.id)
    if enrolment is None:
        abort(403)
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.retired_at is not None:
        abort(404)
    module = db.session.get(Module, lesson.module_id)
    if module is None or module.course_id != found.id:
        abort(404)
    return found, enrolment, lesson


@bp.route("/<slug>/lessons/<int:lesson_id>")
@signed_in
def lesson(slug: str, lesson_id: int) -> ResponseReturnValue:
    found, enrolment, current = _enrolled_lesson(slug, lesson_id)
    if not services.lessons_unlocked(enrolment, found):
        flash(_("Take the pre-test first: the lessons open after it."), "info")
        return redirect(url_for("learning.course", slug=found.slug))
    ordered = [item for item, _m in services.live_lessons([found.id])]
    position = next(i for i, item in enumerate(ordered) if item.id == current.id)
    version = db.session.scalar(
        sa.select(LessonVersion).where(
            LessonVersion.lesson_id == current.id, LessonVersion.version == current.current_version
        )
    )
    if enrolment.status is EnrolmentStatus.ACTIVE and enrolment.last_lesson_id != current.id:
        enrolment.last_lesson_id = current.id
        db.session.commit()
    done = services.completed_lessons([enrolment.id])[enrolment.id]
    return render_template(
        "enrolments/lesson.html",
        course=found,
        course_texts=localised(found.texts, found.languages),
        lesson=current,
        texts=localised(version.texts, found.languages),
        previous=ordered[position - 1] if position > 0 else None,
        following=ordered[position + 1] if position + 1 < len(ordered) else None,
        done=done,
        total=len(ordered),
        completed=current.id in done,
        objectives=[
            text for key in current.objectives if (text := objective_texts(found).get(key))
        ],
        confirm_form=ConfirmForm(),
    )


@bp.route("/<slug>/lessons/<int:lesson_id>/complete", methods=["POST"])
@signed_in
def complete(slug: str, lesson_id: int) -> ResponseReturnValue:
    found, enrolment, current = _enrolled_lesson(slug, lesson_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("learning.lesson", slug=slug, lesson_id=lesson_id))
    try:
        finished = services.complete_lesson(enrolment, current, found, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("learning.course", slug=slug))
    db.session.commit()
    if finished:
        flash(_("You have completed the course."), "success")
        return redirect(url_for("learning.course", slug=slug))
    ordered = [item for item, _m in services.live_lessons([found.id])]
    position = next(i for i, item in enumerate(ordered) if item.id == current.id)
    if position + 1 < len(ordered):
        return redirect(url_for("learning.lesson", slug=slug, lesson_id=ordered[position + 1].id))
    return redirect(url_for("learning.course", slug=slug))
