"""Cohort pages: the list, a cohort with its participants, enrolling people, attendance.

Coordinators create cohorts in their countries and enrol people of their countries (a
regional event takes officers of every country, each enrolled by their own coordinator);
trainers see the cohorts they train and take attendance on class days; admins see all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from lms import clock, permissions
from lms.accounts.models import Agency, Country, Role, Unit, User
from lms.accounts.organisations import country_name
from lms.courses.models import Course
from lms.enrolments import cohorts as service
from lms.enrolments import services
from lms.enrolments.forms import MODE_LABELS, CohortForm, EnrolPeopleForm
from lms.enrolments.models import AttendanceStatus, Cohort, CohortMode, Enrolment
from lms.enrolments.views import cohorts_bp as bp
from lms.enrolments.views.learning import localised
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, attach_error, form_status, save_form
from lms.i18n import format_local_date, parse_local_date
from lms.pagination import page_number, paginate
from lms.permissions import authorize, roles_required

STAFF = (Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _load(cohort_id: int) -> Cohort:
    cohort = service.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    return cohort


@bp.route("/")
@roles_required(*STAFF)
def cohorts() -> ResponseReturnValue:
    """Cohorts the user may see, newest first, with their numbers of participants."""
    query = (
        sa.select(Cohort)
        .where(permissions.visible_cohorts(current_user))
        .options(selectinload(Cohort.course))
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    )
    page = paginate(query, page_number(request.args.get("page")))
    ids = [c.id for c in page.items]
    counts = dict(
        db.session.execute(
            sa.select(Enrolment.cohort_id, sa.func.count())
            .where(Enrolment.cohort_id.in_(ids), Enrolment.status != "withdrawn")
            .group_by(Enrolment.cohort_id)
        ).all()
    )
    locale = get_locale()
    return render_template(
        "enrolments/cohorts.html",
        page=page,
        counts=counts,
        titles={c.id: localised(c.course.texts, c.course.languages)["title"] for c in page.items},
        countries={c.country_code: country_name(c.country_code, locale) for c in page.items},
        modes=MODE_LABELS,
        can_create=permissions.can_create_cohorts(current_user),
    )


def _form_choices(form: CohortForm, cohort: Cohort | None) -> None:
    """Courses on offer, countries the user coordinates, trainers they may pick (3 queries)."""
    locale = get_locale()
    courses = db.session.scalars(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
    ).all()
    form.course.choices = [
        SelectChoice(c.slug, localised(c.texts, c.languages)["title"]) for c in courses
    ]
    allowed = permissions.coordinated_countries(current_user)
    query = sa.select(Country.code, Country.is_beneficiary)
    if allowed is not None:
        query = query.where(Country.code.in_(sorted(allowed)))
    named = sorted(
        (not beneficiary, country_name(code, locale), code)
        for code, beneficiary in db.session.execute(query)
    )
    form.country.choices = [SelectChoice(code, name) for _b, name, code in named]
    days = get_day_names("wide", locale=locale)
    form.weekdays.choices = [SelectChoice(n, days[n]) for n in range(7)]
    people = service.trainer_choices(permissions.visible_users(current_user))
    if cohort is not None:  # keep trainers already chosen, even from elsewhere
        chosen = {t.user_id for t in cohort.trainers} - {p.id for p in people}
        if chosen:
            people += db.session.scalars(sa.select(User).where(User.id.in_(chosen))).all()
    form.trainers.choices = [
        SelectChoice(p.id, p.full_name + (f" ({p.full_name_latin})" if p.full_name_latin else ""))
        for p in people
    ]
    form.trainer_people = {p.id: p for p in people}  # type: ignore[attr-defined]
    form.course_rows = {c.slug: c for c in courses}  # type: ignore[attr-defined]


def _details(form: CohortForm) -> service.CohortDetails:
    return service.CohortDetails(
        course=form.course_rows[form.course.data],  # type: ignore[attr-defined]
        name=form.name.data or "",
        country_code=form.country.data,
        mode=CohortMode(form.mode.data),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        location=form.location.data,
        weekdays=tuple(form.weekdays.data or ()),
        regional=bool(form.regional.data),
        trainers=tuple(
            form.trainer_people[i]  # type: ignore[attr-defined]
            for i in form.trainers.data or ()
        ),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_cohort() -> ResponseReturnValue:
    authorize(permissions.can_create_cohorts(current_user))
    form = CohortForm()
    _form_choices(form, None)
    if request.method == "GET":
        form.weekdays.data = list(range(5))
        if request.args.get("course") in form.course_rows:  # type: ignore[attr-defined]
            form.course.data = request.args["course"]
        if current_user.country_code and any(
            c.value == current_user.country_code for c in form.country.choices
        ):
            form.country.data = current_user.country_code
    if form.validate_on_submit():
        ok, cohort = save_form(
            form,
            lambda: service.create_cohort(_details(form), by=current_user, now=clock.now()),
            saved=_("The cohort was created. Now enrol its participants."),
        )
        if ok and cohort is not None:
            return redirect(url_for("cohorts.enrol", cohort_id=cohort.id))
    return render_template("enrolments/cohort_form.html", form=form, cohort=None), form_status(form)


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_cohort(cohort_id: int) -> ResponseReturnValue:
    cohort = _load(cohort_id)
    authorize(permissions.can_manage_cohort(current_user, cohort))
    form = CohortForm(obj=cohort)
    _form_choices(form, cohort)
    if request.method == "GET":
        form.course.data = cohort.course.slug
        form.country.data = cohort.country_code
        form.mode.data = cohort.mode.value
        form.weekdays.data = list(cohort.weekdays)
        form.trainers.data = [t.user_id for t in cohort.trainers]
    if form.validate_on_submit():
        ok, _saved = save_form(
            form,
            lambda: service.update_cohort(cohort, _details(form), by=current_user, now=clock.now()),
            saved=_("The changes were saved."),
        )
        if ok:
            return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    return render_template("enrolments/cohort_form.html", form=form, cohort=cohort), form_status(
        form
    )


@bp.route("/<int:cohort_id>")
@roles_required(*STAFF)
def cohort(cohort_id: int) -> ResponseReturnValue:
    """A cohort with its participants' progress (a fixed number of queries)."""
    found = _load(cohort_id)
    everyone = permissions.sees_every_participant(current_user, found)
    people = service.participants(
        found, None if everyone else permissions.visible_users(current_user)
    )
    ids = [e.id for e in people]
    total = services.lesson_counts([found.course_id]).get(found.course_id, 0)
    locale = get_locale()
    return render_template(
        "enrolments/cohort.html",
        cohort=found,
        title=localised(found.course.texts, found.course.languages)["title"],
        country=country_name(found.country_code, locale),
        mode=MODE_LABELS[found.mode],
        trainers=_trainer_people(found),
        people=people,
        everyone=everyone,
        done=services.lesson_progress_counts(ids),
        total=total,
        present=service.days_present(found) if found.in_person else {},
        class_days=len(found.days()),
        needed=service.days_needed(found) if found.attendance_counts else None,
        gates={e.id: services.gates(e, found.course) for e in people},
        can_manage=permissions.can_manage_cohort(current_user, found),
        can_enrol=permissions.can_enrol_into(current_user, found),
        can_attend=permissions.can_take_attendance(current_user, found),
        can_mark=permissions.can_mark(current_user, found),
        can_withdraw={
            e.id: permissions.can_manage_cohort(current_user, found)
            or permissions.can_enrol_person(current_user, e.user)
            for e in people
        },
        confirm_form=ConfirmForm(),
    )


def _trainer_people(cohort: Cohort) -> list[User]:
    ids = [t.user_id for t in cohort.trainers]
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.full_name))
    )


def _unit_choices() -> list[SelectChoice]:
    """Units whose people the user may enrol, grouped by agency (one query)."""
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Agency.name)
        .join(Agency)
        .where(permissions.visible_agencies(current_user), Unit.is_active, Agency.is_active)
        .order_by(Agency.name, Unit.name)
    ).all()
    return [SelectChoice("", _("(none)"))] + [
        SelectChoice(str(unit_id), name, optgroup=agency) for unit_id, name, agency in rows
    ]


def _people_to_enrol(form: EnrolPeopleForm) -> list[User] | None:
    """The people named on the form, or None with errors on the form (two queries)."""
    named = form.username_list()
    scope = permissions.visible_users(current_user)
    found: dict[str, User] = {}
    if named:
        found = {
            u.username.casefold(): u
            for u in db.session.scalars(
                sa.select(User).where(
                    sa.func.lower(User.username).in_(sorted({n.casefold() for _l, n in named}))
                )
            )
        }
    errors: list[str] = []
    people: list[User] = []
    for line, name in named:
        person = found.get(name.casefold())
        if person is None or not permissions.can_enrol_person(current_user, person):
            errors.append(
                _("Line %(line)d: you cannot enrol anyone named “%(name)s”.", line=line, name=name)
            )
        elif not person.is_active:
            errors.append(
                _("Line %(line)d: %(name)s's account is not active.", line=line, name=name)
            )
        else:
            people.append(person)
    if form.unit.data:
        members = db.session.scalars(
            sa.select(User).where(
                User.unit_id == form.unit.data, User.is_active, scope, User.merged_into_id.is_(None)
            )
        ).all()
        people += [p for p in members if permissions.can_enrol_person(current_user, p)]
        if not members:
            errors.append(_("No one you may enrol works in this unit."))
    if errors:
        form.usernames.errors = list(form.usernames.errors) + errors
        return None
    return people


@bp.route("/<int:cohort_id>/enrol", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def enrol(cohort_id: int) -> ResponseReturnValue:
    found = _load(cohort_id)
    authorize(permissions.can_enrol_into(current_user, found))
    form = EnrolPeopleForm()
    form.unit.choices = _unit_choices()
    if form.validate_on_submit():
        people = _people_to_enrol(form)
        if people is not None:
            try:
                result = service.enrol_people(found, people, by=current_user, now=clock.now())
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error, "usernames")
            else:
                db.session.commit()
                _flash_enrolment(result)
                return redirect(url_for("cohorts.cohort", cohort_id=found.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "enrolments/cohort_enrol.html",
        form=form,
        cohort=found,
        title=localised(found.course.texts, found.course.languages)["title"],
    ), status


def _flash_enrolment(result: service.CohortEnrolment) -> None:
    if result.enrolled:
        flash(_("Enrolled: %(n)d.", n=len(result.enrolled)), "success")
    if result.joined:
        flash(
            _(
                "Already taking the course on their own, now in this cohort: %(names)s.",
                names=", ".join(u.username for u in result.joined),
            ),
            "info",
        )
    if result.already:
        flash(
            _(
                "Already in this cohort: %(names)s.",
                names=", ".join(u.username for u in result.already),
            ),
            "info",
        )
    if result.elsewhere:
        flash(
            _(
                "Taking this course with another cohort, so not moved: %(names)s.",
                names=", ".join(u.username for u in result.elsewhere),
            ),
            "warning",
        )


@bp.route("/<int:cohort_id>/participants/<int:enrolment_id>/withdraw", methods=["POST"])
@roles_required(*MANAGERS)
def withdraw(cohort_id: int, enrolment_id: int) -> ResponseReturnValue:
    found = _load(cohort_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != found.id:
        abort(404)
    if not permissions.can_view_user(current_user, enrolment.user):
        abort(404)
    authorize(
        permissions.can_manage_cohort(current_user, found)
        or permissions.can_enrol_person(current_user, enrolment.user)
    )
    if ConfirmForm().validate_on_submit():
        try:
            service.withdraw(enrolment, by=current_user, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(
                _("%(name)s was withdrawn from the course.", name=enrolment.user.full_name),
                "success",
            )
    return redirect(url_for("cohorts.cohort", cohort_id=found.id))


def _pick_day(cohort: Cohort, raw: str | None, today: date) -> date | None:
    days = cohort.days()
    if not days:
        return None
    wanted = parse_local_date(raw) if raw else None
    if wanted in days:
        return wanted
    past = [d for d in days if d <= today]
    return past[-1] if past else days[0]


@bp.route("/<int:cohort_id>/attendance", methods=["GET", "POST"])
@roles_required(*STAFF)
def attendance(cohort_id: int) -> ResponseReturnValue:
    """The attendance sheet of one class day, made for a tablet in a classroom."""
    found = _load(cohort_id)
    authorize(permissions.can_take_attendance(current_user, found))
    now = clock.now()
    day = _pick_day(found, request.values.get("day"), now.date())
    if day is None:
        abort(404)
    people = service.participants(found)
    form = ConfirmForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        marks = _marks_from(request.form, people)
        try:
            changed = service.record_attendance(found, day, marks, by=current_user, now=now)
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Attendance of %(day)s saved (%(num)d change).",
                    "Attendance of %(day)s saved (%(num)d changes).",
                    changed,
                    day=_day_label(day),
                ),
                "success",
            )
            return redirect(url_for("cohorts.attendance", cohort_id=found.id, day=day.isoformat()))
    elif request.method == "POST":
        error = _("The form had expired. Please try again.")
    days = found.days()
    position = days.index(day)
    marks = service.sheet(found, day)
    return render_template(
        "enrolments/attendance.html",
        cohort=found,
        title=localised(found.course.texts, found.course.languages)["title"],
        day=day,
        day_label=_day_label(day),
        days=days,
        marked=service.days_marked(found),
        previous=days[position - 1] if position > 0 else None,
        following=days[position + 1] if position + 1 < len(days) else None,
        future=day > now.date(),
        people=people,
        marks=marks,
        counts={s: sum(1 for m in marks.values() if m is s) for s in AttendanceStatus},
        statuses=list(AttendanceStatus),
        error=error,
        form=form,
    ), (422 if error else 200)


def _day_label(day: date) -> str:
    return format_local_date(day, get_locale() or "en")


def _marks_from(data: Any, people: list[Enrolment]) -> dict[int, AttendanceStatus]:
    """Marks posted as ``mark-<enrolment id>``; the "everyone present" button marks all."""
    everyone = data.get("all") == "present"
    marks: dict[int, AttendanceStatus] = {}
    for enrolment in people:
        raw = data.get(f"mark-{enrolment.id}")
        if everyone:
            marks[enrolment.id] = AttendanceStatus.PRESENT
        elif raw in {s.value for s in AttendanceStatus}:
            marks[enrolment.id] = AttendanceStatus(raw)
    return marks
