"""Survey pages: a learner answers their course's feedback and follow-up surveys; the
staff who follow officers up list who is due, enter answers taken by telephone or on
paper, and confirm what they observed; coordinators read the results."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import audit, clock, permissions
from lms.accounts.models import Role, User
from lms.courses.models import Course
from lms.enrolments.models import Cohort, Enrolment
from lms.errors import Conflict, DomainError
from lms.evaluation import charts, services
from lms.evaluation.definitions import LIKERT, LIMITS
from lms.evaluation.models import (
    SOURCE_LABELS,
    ApplicationConfirmation,
    CourseSurvey,
    ResponseSource,
    SurveyKind,
)
from lms.extensions import db
from lms.i18n import pick_text
from lms.permissions import roles_required, signed_in
from lms.tables import Sheet, download

bp = Blueprint("surveys", __name__, template_folder="templates")

LIKERT_LABELS = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Neither agree nor disagree"),
    4: _l("Agree"),
    5: _l("Strongly agree"),
}
STAFF = (Role.MENTOR, Role.COORDINATOR, Role.ADMIN)


def error_messages() -> dict[str, str]:
    return {
        "required": _("Answer this question."),
        "range": _("Choose a point on the scale from 1 to 5."),
        "unknown_option": _("Choose from the options given."),
        "too_long": _("This answer is too long: shorten it, please."),
    }


def _text(texts: dict[str, str]) -> str:
    """A survey text in the reader's language, else English."""
    locale = str(get_locale() or "en")
    return texts.get(locale) or texts.get(locale.split("_")[0]) or texts.get("en", "")


wave_label = services.wave_label


def _enrolment(enrolment_id: int) -> Enrolment:
    found = db.session.get(Enrolment, enrolment_id)
    if found is None:
        abort(404)
    return found


def _open(enrolment: Enrolment, wave: str) -> services.Survey:
    """The survey, or the error page: 404 for no such survey, 409 with the reason when it
    is not open (the course not completed, the follow-up not due)."""
    return services.open_survey(enrolment, wave, today=clock.now().date())


def _render(
    survey: services.Survey,
    *,
    errors: dict[str, str] | None = None,
    form: Any = None,
    entry_for: User | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    answers: dict[str, Any] = dict(survey.response.answers) if survey.response else {}
    if form is not None:
        answers = {q.id: (form.getlist(q.id) if q.kind == "multiple" else form.get(q.id, ""))
                   for q in survey.definition.questions}  # fmt: skip
    course = db.session.get(Course, survey.enrolment.course_id)
    return render_template(
        "evaluation/survey.html",
        survey=survey,
        title=_text(survey.definition.title),
        intro=_text(survey.definition.intro) if survey.definition.intro else "",
        course_title=pick_text(course.texts, course.languages, get_locale())["title"],
        text=_text,
        answers=answers,
        errors=errors or {},
        messages=error_messages(),
        likert=[(value, LIKERT_LABELS[value]) for value in LIKERT],
        limits=LIMITS,
        wave_label=wave_label(survey.wave),
        entry_for=entry_for,
        sources=[(s.value, SOURCE_LABELS[s]) for s in (ResponseSource.PHONE, ResponseSource.PAPER)],
        chosen_source=(form.get("source") if form is not None else None),
    ), status


@bp.route("/surveys/<int:enrolment_id>/<wave>", methods=["GET", "POST"])
@signed_in
def answer(enrolment_id: int, wave: str) -> ResponseReturnValue:
    """The learner's own survey: a named one saves as a draft until submitted; an
    anonymous one is answered in one go. Another person's enrolment answers 404."""
    enrolment = _enrolment(enrolment_id)
    if enrolment.user_id != current_user.id:
        abort(404)
    survey = _open(enrolment, wave)
    if request.method == "GET":
        return _render(survey)
    return _save(survey, submit=request.form.get("action") != "save")


def _save(
    survey: services.Survey,
    *,
    submit: bool,
    source: ResponseSource = ResponseSource.ONLINE,
    entry_for: User | None = None,
) -> ResponseReturnValue:
    """Save the posted answers; the form again with a message per question (422) when
    they cannot be, nothing saved."""
    try:
        errors = services.answer(survey, request.form, submit=submit, now=clock.now(),
                                 source=source, by=current_user)  # fmt: skip
    except Conflict:
        flash(_("This survey was already answered."), "info")
        return redirect(url_for("main.index") if entry_for is None
                        else url_for("surveys.due"))  # fmt: skip
    except DomainError:
        db.session.rollback()
        flash(_("An anonymous survey is answered in one go: it keeps no draft."), "error")
        return _render(survey, form=request.form, entry_for=entry_for, status=422)
    if errors and submit:
        db.session.rollback()
        return _render(survey, errors=errors, form=request.form, entry_for=entry_for,
                       status=422)  # fmt: skip
    db.session.commit()
    if entry_for is not None:
        flash(_("The answers of %(name)s were saved.", name=entry_for.full_name), "success")
        return redirect(url_for("surveys.due"))
    if submit:
        flash(_("Thank you: your answers were saved."), "success")
        return redirect(url_for("main.index"))
    flash(_("Your answers so far are saved; you can finish later."), "success")
    return redirect(url_for("surveys.answer", enrolment_id=survey.enrolment.id, wave=survey.wave))


# --- Staff: who is due, answers taken by telephone or on paper, observed application --------


def _followed(enrolment_id: int) -> tuple[Enrolment, User]:
    """An enrolment of someone the viewer follows up (404 otherwise)."""
    enrolment = _enrolment(enrolment_id)
    person = db.session.get(User, enrolment.user_id)
    if person is None or not permissions.can_follow_up(current_user, person):
        abort(404)
    return enrolment, person


@bp.route("/surveys/due")
@roles_required(*STAFF)
def due() -> ResponseReturnValue:
    """The follow-up surveys open now for the officers the viewer follows up (mentors:
    their units' members; coordinators: their countries'), oldest first (three queries)."""
    today = clock.now().date()
    invitations = services.due(permissions.survey_people(current_user), today)
    invitations = [i for i in invitations if i.user_id != current_user.id]
    user_ids = sorted({i.user_id for i in invitations})
    course_ids = sorted({i.course_id for i in invitations})
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    courses = {
        c.id: c for c in db.session.scalars(sa.select(Course).where(Course.id.in_(course_ids)))
    }
    locale = get_locale()
    return render_template(
        "evaluation/due.html",
        rows=[(i, people[i.user_id],
               pick_text(courses[i.course_id].texts, courses[i.course_id].languages,
                         locale)["title"]) for i in invitations],
        wave_label=wave_label,
        today=today,
    )  # fmt: skip


@bp.route("/surveys/<int:enrolment_id>/<wave>/entry", methods=["GET", "POST"])
@roles_required(*STAFF)
def entry(enrolment_id: int, wave: str) -> ResponseReturnValue:
    """Answers taken by telephone or on paper, typed in by a coordinator or mentor of the
    officer, and marked as such."""
    enrolment, person = _followed(enrolment_id)
    survey = _open(enrolment, wave)
    if request.method == "GET":
        return _render(survey, entry_for=person)
    raw = request.form.get("source", "")
    if raw not in (ResponseSource.PHONE.value, ResponseSource.PAPER.value):
        flash(_("Say how the answers were taken: by telephone or on paper."), "error")
        return _render(survey, form=request.form, entry_for=person, status=422)
    return _save(survey, submit=True, source=ResponseSource(raw), entry_for=person)


@bp.route("/surveys/<int:enrolment_id>/<wave>/confirm", methods=["GET", "POST"])
@roles_required(*STAFF)
def confirm(enrolment_id: int, wave: str) -> ResponseReturnValue:
    """A mentor's or coordinator's confirmation that they saw the officer apply (or not)
    what the course taught, for one follow-up wave."""
    enrolment, person = _followed(enrolment_id)
    survey = _open(enrolment, wave)
    if wave == services.FEEDBACK:
        abort(404)
    existing = db.session.scalar(
        sa.select(ApplicationConfirmation).where(
            ApplicationConfirmation.enrolment_id == enrolment.id,
            ApplicationConfirmation.wave == wave,
            ApplicationConfirmation.confirmed_by_id == current_user.id,
        )
    )
    problems: dict[str, str] = {}
    if request.method == "POST":
        observed = request.form.get("observed", "")
        note = request.form.get("note", "").strip()
        if observed not in ("yes", "no"):
            problems["observed"] = _("Say whether you saw the officer apply the skills.")
        if len(note) > 300:
            problems["note"] = _("Keep the note to 300 characters.")
        if not problems:
            row = existing or ApplicationConfirmation(
                enrolment_id=enrolment.id, wave=wave, confirmed_by_id=current_user.id
            )
            row.observed, row.note, row.created_at = observed == "yes", note or None, clock.now()
            db.session.add(row)
            db.session.flush()
            audit.record("survey.confirm", actor=current_user, now=clock.now(),
                         object_type="enrolment", object_id=str(enrolment.id), wave=wave,
                         observed=row.observed)  # fmt: skip
            db.session.commit()
            flash(_("Your confirmation was saved."), "success")
            return redirect(url_for("surveys.due"))
    return render_template(
        "evaluation/confirm.html", survey=survey, person=person, existing=existing,
        problems=problems, wave_label=wave_label(wave), form=request.form,
    ), (422 if problems else 200)  # fmt: skip


# --- Results ---------------------------------------------------------------------------------


def _result_sheets(result: services.Results) -> list[Sheet]:
    rows: list[list[Any]] = []
    comments: list[list[Any]] = []
    for item in result.questions if result.shown else ():
        question = item.question
        label = _text(question.text)
        if question.kind == "likert":
            for point, count in item.counts.items():
                rows.append([label, f"{point} · {LIKERT_LABELS[point]}", count,
                             _share(count, item.answered)])  # fmt: skip
            rows.append([label, _("Mean (1–5)"), item.mean, None])
        elif question.kind in ("single", "multiple"):
            names = {o.id: _text(o.text) for o in question.options}
            for option, count in item.counts.items():
                rows.append([label, names[option], count, _share(count, item.answered)])
        else:
            comments += [[label, text] for text in item.texts]
    return [
        Sheet(_("Answers"), [_("Question"), _("Answer"), _("Responses"), _("Share (%)")], rows,
              key="answers"),
        Sheet(_("Comments"), [_("Question"), _("Comment")], comments, key="comments"),
    ]  # fmt: skip


def _share(count: int, total: int) -> float | None:
    return round(100.0 * count / total, 1) if total else None


@bp.route("/surveys/results")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def results() -> ResponseReturnValue:
    """A course's survey results for the viewer's countries (``?course=&wave=&cohort=``,
    ``&format=csv&table=answers|comments|xlsx``): response rate, distributions, means and
    open comments; nothing but the count when fewer than five responded."""
    locale = get_locale()
    courses = db.session.scalars(
        sa.select(Course)
        .where(Course.id.in_(sa.select(CourseSurvey.course_id)))
        .order_by(Course.slug)
    ).all()
    if not courses:
        return render_template("evaluation/results.html", courses=[], result=None)
    raw_course = request.args.get("course", "")
    course = courses[0]
    if raw_course:
        if not (raw_course.isascii() and raw_course.isdigit()):
            abort(400)
        course = next((c for c in courses if c.id == int(raw_course)), None) or abort(404)
    follow_up = db.session.scalar(
        sa.select(CourseSurvey).where(CourseSurvey.course_id == course.id,
                                      CourseSurvey.kind == SurveyKind.FOLLOW_UP)
    )  # fmt: skip
    waves = [services.FEEDBACK] + ([str(m) for m in follow_up.months] if follow_up else [])
    wave = request.args.get("wave", services.FEEDBACK)
    if wave not in waves:
        abort(404)
    cohort_id = None
    raw_cohort = request.args.get("cohort", "")
    if raw_cohort:
        if not (raw_cohort.isascii() and raw_cohort.isdigit() and len(raw_cohort) < 10):
            abort(400)
        cohort = db.session.scalar(
            sa.select(Cohort).where(Cohort.id == int(raw_cohort), Cohort.course_id == course.id,
                                    permissions.visible_cohorts(current_user))
        )  # fmt: skip
        if cohort is None:
            abort(404)
        cohort_id = cohort.id
    countries = permissions.coordinated_countries(current_user)
    result = services.results(course.id, wave, countries=countries, cohort_id=cohort_id,
                              today=clock.now().date())  # fmt: skip
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        audit.record("surveys.results_export", actor=current_user, now=clock.now(),
                     object_type="course", object_id=str(course.id), wave=wave,
                     format=fmt)  # fmt: skip
        db.session.commit()
        return download(f"survey-{course.slug}-{wave}", _result_sheets(result), fmt,
                        request.args.get("table"))  # fmt: skip
    if fmt is not None:
        abort(404)
    cohorts = db.session.scalars(
        sa.select(Cohort).where(Cohort.course_id == course.id,
                                permissions.visible_cohorts(current_user))
        .order_by(Cohort.starts_on.desc())
    ).all()  # fmt: skip
    return render_template(
        "evaluation/results.html",
        courses=[(c.id, pick_text(c.texts, c.languages, locale)["title"]) for c in courses],
        course=course,
        waves=[(w, wave_label(w)) for w in waves],
        wave=wave,
        cohorts=cohorts,
        cohort_id=cohort_id,
        result=result,
        text=_text,
        likert=LIKERT_LABELS,
        bars={item.question.id: charts.stacked(list(item.counts.values()))
              for item in result.questions if item.question.kind == "likert"},
        small_group=services.SMALL_GROUP,
        countries=countries,
        sources=SOURCE_LABELS,
        share=_share,
    )  # fmt: skip
