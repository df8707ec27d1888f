"""Taking a course's tests online: start, answer (with autosave), submit once, see the result.

Only the learner who owns an attempt sees it (anyone else gets 404). Answers are read from
the form through the question kinds (lms.assessments.qtypes), which refuse tampered fields;
nothing is saved unless every answer on the page reads.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import clock, permissions
from lms.accounts.models import Role, User
from lms.assessments import attempts, qtypes
from lms.assessments.models import Attempt, AttemptItem, QuestionVersion
from lms.assessments.questions import ParsedQuestion
from lms.assessments.services import from_content, text_html
from lms.assessments.views import tests_bp as bp
from lms.courses.models import Course, Module
from lms.enrolments import cohorts
from lms.enrolments import services as enrolments
from lms.enrolments.models import Cohort, Enrolment
from lms.errors import DomainError, Invalid
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.i18n import pick_text
from lms.permissions import roles_required, signed_in


def _course(slug: str) -> Course:
    course = db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.retired_at.is_(None))
    )
    if course is None:
        abort(404)
    return course


def _mine(attempt_id: int) -> tuple[Attempt, Course]:
    """The signed-in learner's attempt (404 for anyone else's)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    course = db.session.get(Course, attempt.course_id)
    if course is None:
        abort(404)
    return attempt, course


def test_title(key: str) -> str:
    if key == attempts.PRE:
        return _("Pre-test")
    if key == attempts.POST:
        return _("Post-test")
    return _("Module check")


@bp.route("/courses/<slug>/tests/<key>/start", methods=["POST"])
@signed_in
def start(slug: str, key: str) -> ResponseReturnValue:
    course = _course(slug)
    enrolment = enrolments.active_enrolments(current_user, [course.id]).get(course.id)
    if enrolment is None:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("learning.course", slug=slug))
    try:
        attempt = attempts.start(
            enrolment, course, key, language=str(get_locale() or "en"), now=clock.now()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("learning.course", slug=slug))
    db.session.commit()
    return redirect(url_for("tests.attempt", attempt_id=attempt.id))


def _page(
    attempt: Attempt,
    course: Course,
    items: list[tuple[AttemptItem, ParsedQuestion]],
    *,
    responses: dict[int, dict[str, Any]] | None = None,
    errors: dict[int, str] | None = None,
) -> str:
    now = clock.now()
    return render_template(
        "assessments/attempt.html",
        attempt=attempt,
        course=course,
        course_title=pick_text(course.texts, course.languages, get_locale())["title"],
        title=test_title(attempt.test_key),
        rows=[
            {
                "item": item,
                "question": question,
                "kind": qtypes.kind_of(question).name,
                "html": text_html(question),
                "presentation": qtypes.Presentation.from_dict(item.presentation),
                "response": (responses or {}).get(item.position, item.response or {}),
                "error": (errors or {}).get(item.position),
            }
            for item, question in items
        ],
        seconds_left=max(0, int((attempt.deadline_at - now).total_seconds()))
        if attempt.deadline_at
        else None,
        form=ConfirmForm(),
    )


@bp.route("/attempts/<int:attempt_id>")
@signed_in
def attempt(attempt_id: int) -> ResponseReturnValue:
    found, course = _mine(attempt_id)
    if attempts.expire_if_due(found, now=clock.now()):
        db.session.commit()
        flash(_("Time is up: your answers were submitted as saved."), "info")
    if found.submitted_at is not None:
        return redirect(url_for("tests.result", attempt_id=found.id))
    return _page(found, course, attempts.load_items(found))


def _read_form(
    items: list[tuple[AttemptItem, ParsedQuestion]],
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Every response on the page, and the positions whose fields were tampered with."""
    responses: dict[int, dict[str, Any]] = {}
    errors: dict[int, str] = {}
    form = request.form
    for item, question in items:
        try:
            responses[item.position] = qtypes.from_form(
                question,
                qtypes.Presentation.from_dict(item.presentation),
                form,
                f"q{item.position}",
            )
        except (qtypes.ResponseError, ValueError) as error:
            errors[item.position] = str(error)
    return responses, errors


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/attempts/<int:attempt_id>", methods=["POST"])
@signed_in
def save(attempt_id: int) -> ResponseReturnValue:
    """Save the answers (the page's Save button, or the autosave script asking for JSON)."""
    found, course = _mine(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    items = attempts.load_items(found)
    responses, errors = _read_form(items)
    if errors:
        if _wants_json():
            return jsonify(error={"code": "invalid", "details": errors}), 422
        return _page(found, course, items, responses=responses, errors=errors), 422
    try:
        changed = attempts.save(found, responses, now=clock.now(), items=items)
    except DomainError as error:
        db.session.commit()  # an expired attempt was submitted: keep that
        if _wants_json():
            return jsonify(error={"code": error.code, "message": error.message}), error.status
        flash(error.message, "info")
        return redirect(url_for("tests.attempt", attempt_id=found.id))
    db.session.commit()
    if _wants_json():
        return jsonify(saved=changed, at=clock.now().isoformat())
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("tests.attempt", attempt_id=found.id))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@signed_in
def submit(attempt_id: int) -> ResponseReturnValue:
    """Save the answers on the page, then submit (exactly once)."""
    found, course = _mine(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if found.submitted_at is not None:
        return redirect(url_for("tests.result", attempt_id=found.id))
    items = attempts.load_items(found)
    responses, errors = _read_form(items)
    if errors:
        return _page(found, course, items, responses=responses, errors=errors), 422
    now = clock.now()
    try:
        attempts.save(found, responses, now=now, items=items)
    except DomainError as error:  # time was up: it is submitted with what was saved
        db.session.commit()
        flash(error.message, "info")
        return redirect(url_for("tests.result", attempt_id=found.id))
    attempts.submit(found, now=now, items=items)
    db.session.commit()
    return redirect(url_for("tests.result", attempt_id=found.id))


@bp.route("/attempts/<int:attempt_id>/result")
@signed_in
def result(attempt_id: int) -> ResponseReturnValue:
    found, course = _mine(attempt_id)
    if attempts.expire_if_due(found, now=clock.now()):
        db.session.commit()
    if found.submitted_at is None:
        return redirect(url_for("tests.attempt", attempt_id=found.id))
    shown = attempts.reveal(found, course)
    rows = []
    if shown != "score":
        for item, question in attempts.load_items(found):
            response = item.response or {}
            rows.append(
                {
                    "item": item,
                    "question": question,
                    "kind": qtypes.kind_of(question).name,
                    "html": text_html(question),
                    "presentation": qtypes.Presentation.from_dict(item.presentation),
                    "response": response,
                    "feedback": qtypes.feedback(question, response),
                    "correct": qtypes.correct_response(question) if shown == "answers" else None,
                }
            )
    enrolment = db.session.get(Enrolment, found.enrolment_id)
    return render_template(
        "assessments/result.html",
        attempt=found,
        course=course,
        course_title=pick_text(course.texts, course.languages, get_locale())["title"],
        title=test_title(found.test_key),
        shown=shown,
        rows=rows,
        completed=enrolment is not None and enrolment.completed_at is not None,
    )


@enrolments.register_course_panel
def tests_panel(enrolment: Enrolment, course: Course) -> dict[str, Any] | None:
    """The course page's part about its tests (two queries)."""
    if not course.tests:
        return None
    states = attempts.states(enrolment, course)
    ordered = [states[k] for k in (attempts.PRE, attempts.POST) if k in states] + [
        state for key, state in sorted(states.items()) if key.startswith("check:")
    ]
    modules = {
        module.key: pick_text(module.texts, course.languages, get_locale())["title"]
        for module in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))
    }
    return {
        "template": "assessments/_tests_panel.html",
        "states": ordered,
        "titles": {s.key: test_title(s.key) for s in ordered},
        "modules": {s.key: modules.get(s.key[6:], s.key[6:]) for s in ordered},
    }


# --- Marking written answers ----------------------------------------------------------------


def cohort_to_mark(cohort_id: int) -> Cohort:
    cohort = cohorts.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    if not permissions.can_mark(current_user, cohort):
        abort(403)
    return cohort


MARKS = (0, 25, 50, 75, 100)


@bp.route("/cohorts/<int:cohort_id>/marking", methods=["GET", "POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
def marking(cohort_id: int) -> ResponseReturnValue:
    """Written answers of the cohort's tests waiting for a mark (a fixed number of queries)."""
    cohort = cohort_to_mark(cohort_id)
    error = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        item = db.session.scalar(
            sa.select(AttemptItem)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
            .where(
                AttemptItem.id == _int(request.form.get("item")),
                Enrolment.cohort_id == cohort.id,
            )
        )
        if item is None:
            abort(404)
        raw = request.form.get("mark", "")
        try:
            if raw not in {str(m) for m in MARKS}:
                raise Invalid(_("Choose a mark."), field="mark")
            attempts.mark(
                item,
                fraction=int(raw) / 100,
                note=request.form.get("note", "")[:2000],
                by=current_user,
                now=clock.now(),
            )
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            flash(_("The mark was saved."), "success")
            return redirect(url_for("tests.marking", cohort_id=cohort.id))
    rows = db.session.execute(
        sa.select(AttemptItem, QuestionVersion, Attempt, User)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(User, User.id == Attempt.user_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Enrolment.cohort_id == cohort.id, AttemptItem.needs_marking.is_(True))
        .order_by(Attempt.submitted_at, AttemptItem.position)
        .limit(50)
    ).all()
    items = []
    for item, version, attempt, person in rows:
        question = from_content(version.content, category=None)
        items.append(
            {
                "item": item,
                "attempt": attempt,
                "person": person,
                "html": text_html(question),
                "rubric": question.general_feedback,
                "answer": (item.response or {}).get("text", ""),
                "test": test_title(attempt.test_key),
            }
        )
    return render_template(
        "assessments/marking.html",
        cohort=cohort,
        items=items,
        marks=MARKS,
        error=error,
        form=ConfirmForm(),
    ), (422 if error else 200)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
