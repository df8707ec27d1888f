"""Mentoring pages: the units a mentor coaches (or a coordinator oversees), a unit with its
members, open actions and sessions, the session log form with its personal-data guard,
sessions with their history, the action tracker, and mentor assignments.

Every page that shows mentoring records is audited; a unit, session or action outside the
viewer's scope is answered with 404.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from lms import audit, clock, permissions
from lms.accounts.models import (
    AGENCY_TYPE_LABELS,
    SEX_LABELS,
    Agency,
    Role,
    RoleGrant,
    Sex,
    Unit,
    User,
)
from lms.courses.models import Course, Module
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, attach_error, form_status
from lms.i18n import pick_text
from lms.markdown import BlockError, render_markdown, render_plain
from lms.mentoring import pii, progress, services, taxonomy
from lms.mentoring.forms import (
    ACTION_STATUS_LABELS,
    FORMAT_LABELS,
    KIND_LABELS,
    ActionUpdateForm,
    AssessmentForm,
    AssignmentForm,
    MonthForm,
    ResultForm,
    SessionForm,
    agency_choices,
    sex_choices,
)
from lms.mentoring.models import (
    RESULT_FIELDS,
    ActionPoint,
    ActionStatus,
    MentorAssignment,
    MentoringSession,
    SessionFormat,
    SessionRevision,
    SessionStatus,
)
from lms.pagination import page_number, paginate
from lms.permissions import authorize, roles_required
from lms.tables import Sheet, download
from lms.urls import MAX_ID

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring", template_folder="templates")

STAFF = (Role.MENTOR, Role.COORDINATOR, Role.ADMIN)
MANAGERS = (Role.COORDINATOR, Role.ADMIN)
SESSIONS_PER_PAGE = 25
ACTIONS_PER_PAGE = 50


@bp.app_template_filter("observations")
def observations_filter(text: str | None) -> Markup:
    """A mentor's Markdown, sanitised (plain text if it is not valid block Markdown)."""
    if not text:
        return Markup("")
    try:
        return Markup(render_markdown(text))  # noqa: S704 - sanitised by lms.markdown (nh3)
    except BlockError:
        return Markup(render_plain(text))  # noqa: S704 - every line escaped


def _today() -> date:
    return clock.now().date()


def _unit(unit_id: int) -> Unit:
    unit = db.session.scalar(
        sa.select(Unit).where(Unit.id == unit_id).options(selectinload(Unit.agency))
    )
    if unit is None or not permissions.can_view_unit_mentoring(current_user, unit):
        abort(404)
    return unit


def _session(session_id: int) -> MentoringSession:
    found = db.session.scalar(
        sa.select(MentoringSession)
        .where(MentoringSession.id == session_id)
        .options(
            selectinload(MentoringSession.unit).selectinload(Unit.agency),
            selectinload(MentoringSession.mentors),
        )
    )
    if found is None or not permissions.can_view_session(current_user, found):
        abort(404)
    return found


def _labels() -> dict[str, Any]:
    return {
        "format_labels": {f.value: label for f, label in FORMAT_LABELS.items()},
        "status_labels": {s.value: label for s, label in ACTION_STATUS_LABELS.items()},
        "topic_labels": {t.key: t.label for t in taxonomy.TOPICS},
        "sex_labels": {s.value: label for s, label in SEX_LABELS.items()},
        "agency_labels": {a.value: label for a, label in AGENCY_TYPE_LABELS.items()},
        "competency_labels": {c.key: c.label for c in taxonomy.COMPETENCIES},
    }


def _audited(html: str, action: str, **details: Any) -> str:
    """Record the view in the audit trail once the page is rendered (committing before
    would expire what the page reads)."""
    audit.record(action, actor=current_user, now=clock.now(), **details)
    db.session.commit()
    return html


# --- Units ---------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*STAFF)
def units() -> ResponseReturnValue:
    """The units the user mentors or oversees, with their sessions and open actions."""
    today = _today()
    submitted = (
        sa.select(
            MentoringSession.unit_id.label("unit_id"),
            sa.func.count().label("sessions"),
            sa.func.max(MentoringSession.held_on).label("last"),
        )
        .where(MentoringSession.status == SessionStatus.SUBMITTED)
        .group_by(MentoringSession.unit_id)
        .subquery()
    )
    actions = (
        sa.select(
            ActionPoint.unit_id.label("unit_id"),
            sa.func.count().label("open"),
            sa.func.count().filter(ActionPoint.due_on < today).label("overdue"),
        )
        .join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
        .where(
            ActionPoint.status == ActionStatus.OPEN,
            MentoringSession.status == SessionStatus.SUBMITTED,
        )
        .group_by(ActionPoint.unit_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Unit, Agency, submitted.c.sessions, submitted.c.last, actions.c.open,
            actions.c.overdue,
        )
        .join(Agency, Agency.id == Unit.agency_id)
        .outerjoin(submitted, submitted.c.unit_id == Unit.id)
        .outerjoin(actions, actions.c.unit_id == Unit.id)
        .where(permissions.mentored_units(current_user), Unit.is_active)
        .where(
            sa.or_(
                Unit.is_specialised,
                Unit.id.in_(sa.select(MentorAssignment.unit_id)),
                submitted.c.sessions.is_not(None),
            )
        )
        .order_by(Agency.country_code, Agency.name, Unit.name)
    ).all()  # fmt: skip
    return render_template("mentoring/units.html", rows=rows, today=today)


@bp.route("/units/<int:unit_id>")
@roles_required(*STAFF)
def unit(unit_id: int) -> ResponseReturnValue:
    """A unit: its mentors, members, open actions (overdue first) and sessions."""
    found = _unit(unit_id)
    today = _today()
    members = services.unit_members(found.id)
    open_actions = services.open_actions(found.id)
    assignments = db.session.scalars(
        sa.select(MentorAssignment)
        .where(MentorAssignment.unit_id == found.id)
        .options(selectinload(MentorAssignment.mentor))
        .order_by(MentorAssignment.starts_on.desc())
    ).all()
    query = (
        sa.select(MentoringSession)
        .where(MentoringSession.unit_id == found.id, permissions.visible_sessions(current_user))
        .options(selectinload(MentoringSession.mentors))
        .order_by(
            (MentoringSession.status == SessionStatus.DRAFT).desc(),
            MentoringSession.held_on.desc(),
            MentoringSession.id.desc(),
        )
    )
    page = paginate(query, page_number(request.args.get("page")), SESSIONS_PER_PAGE)
    counts = dict(
        db.session.execute(
            sa.select(ActionPoint.session_id, sa.func.count())
            .where(ActionPoint.session_id.in_([s.id for s in page.items]))
            .group_by(ActionPoint.session_id)
        ).all()
    )
    html = render_template(
        "mentoring/unit.html",
        unit=found,
        members=members,
        open_actions=open_actions,
        assignments=assignments,
        page=page,
        action_counts=counts,
        today=today,
        can_log=permissions.can_log_session(current_user, found),
        can_assign=permissions.can_assign_mentors(current_user, found),
        training=progress.member_progress(found.id),
        course_title=lambda row: pick_text(row.course_texts, row.course_languages,
                                           get_locale()).get("title", ""),
        **_labels(),
    )  # fmt: skip
    return _audited(html, "mentoring.unit_view", obj=found)


# --- The session form ----------------------------------------------------------------------


def _form(unit: Unit, session: MentoringSession | None) -> SessionForm:
    form = SessionForm(obj=None)
    on = (session.held_on if session and session.held_on else None) or _today()
    mentors = {m.id: m for m in services.assigned_mentors(unit.id, on)}
    if session:
        mentors.update({m.id: m for m in session.mentors})
    form.mentor_ids.choices = [SelectChoice(m.id, m.full_name) for m in mentors.values()]
    members = services.unit_members(unit.id)
    people = {m.id: m for m in members}
    if session:
        people.update({a.user_id: a.user for a in session.attendees})
        people.update({a.owner.id: a.owner for a in session.actions if a.owner})
    form.attendee_ids.choices = [SelectChoice(p.id, p.full_name) for p in people.values()]
    form.format.choices = [SelectChoice("", _("Choose…"))] + [
        (f.value, label) for f, label in FORMAT_LABELS.items()
    ]
    form.topics.choices = [SelectChoice(t.key, t.label) for t in taxonomy.TOPICS]
    owners = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(p.id, p.full_name) for p in people.values()
    ]
    if request.method == "GET":
        _fill(form, session)
    for row in form.others:
        row.form.sex.choices = sex_choices()
        row.form.agency_type.choices = agency_choices()
    for row in form.actions:
        row.form.owner_id.choices = owners
    return form


def _fill(form: SessionForm, session: MentoringSession | None) -> None:
    if session is None:
        form.held_on.data = _today()
        form.mentor_ids.data = [current_user.id]
        return
    form.held_on.data = session.held_on
    form.duration_minutes.data = session.duration_minutes
    form.format.data = session.format.value if session.format else ""
    form.location.data = session.location
    form.mentor_ids.data = [m.id for m in session.mentors]
    form.attendee_ids.data = [a.user_id for a in session.attendees]
    form.topics.data = list(session.topics)
    form.case_refs.data = ", ".join(session.case_refs)
    form.objectives.data = session.objectives
    form.observations.data = session.observations
    form.challenges.data = session.challenges
    while len(form.others.entries):
        form.others.pop_entry()
    for row in session.others or []:
        form.others.append_entry(row)
    while len(form.others.entries) < len(session.others or []) + 1:
        form.others.append_entry()
    while len(form.actions.entries):
        form.actions.pop_entry()
    for action in session.actions:
        form.actions.append_entry(
            {"id": action.id, "text": action.text, "owner_id": action.owner_id,
             "due_on": action.due_on}
        )  # fmt: skip
    for _n in range(2):
        form.actions.append_entry()


def _follow_ups(open_actions: list[ActionPoint]) -> list[services.FollowUp]:
    """The follow-ups typed next to the unit's open actions (``follow-<id>-status`` and
    ``-note``); an action left open without a note is not followed up."""
    items = []
    for action in open_actions:
        raw = request.form.get(f"follow-{action.id}-status", ActionStatus.OPEN.value)
        try:
            status = ActionStatus(raw)
        except ValueError:
            status = ActionStatus.OPEN
        note = request.form.get(f"follow-{action.id}-note", "").strip()
        if status is not ActionStatus.OPEN or note:
            items.append(services.FollowUp(action.id, status, note))
    return items


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _input(form: SessionForm, follow_ups: list[services.FollowUp]) -> services.SessionInput:
    others = []
    for row in form.others:
        if row.form.count.data:
            others.append({"sex": row.form.sex.data, "agency_type": row.form.agency_type.data,
                           "count": row.form.count.data})  # fmt: skip
    actions = []
    for row in form.actions:
        text = (row.form.text.data or "").strip()
        if not text and not row.form.owner_id.data and not row.form.due_on.data:
            continue
        actions.append(
            services.ActionInput(text=text, owner_id=row.form.owner_id.data,
                                 due_on=row.form.due_on.data,
                                 id=_int_or_none(row.form.id.data))
        )  # fmt: skip
    return services.SessionInput(
        held_on=form.held_on.data,
        duration_minutes=form.duration_minutes.data,
        format=SessionFormat(form.format.data) if form.format.data else None,
        location=form.location.data or "",
        mentor_ids=list(form.mentor_ids.data or []),
        attendee_ids=list(form.attendee_ids.data or []),
        others=others,
        topics=list(form.topics.data or []),
        case_refs=form.case_ref_list(),
        objectives=form.objectives.data or "",
        observations=form.observations.data or "",
        challenges=form.challenges.data or "",
        actions=actions,
        follow_ups=follow_ups,
    )


def _attach(form: SessionForm, error: DomainError) -> None:
    """Put a service error next to its field, nested rows included (``actions-0-text``)."""
    name = error.field or ""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] in ("actions", "others") and parts[1].isdigit():
        rows = getattr(form, parts[0])
        index = int(parts[1])
        kept = list(rows.entries)
        data_rows = [e for e in kept if parts[0] != "actions" or (e.form.text.data or "").strip()
                     or e.form.owner_id.data or e.form.due_on.data]  # fmt: skip
        if index < len(data_rows):
            field = getattr(data_rows[index].form, parts[2], None)
            if field is not None:
                field.errors = [*field.errors, error.message]
                form.form_errors.append(error.message)
                return
    attach_error(form, error)


def _edit(unit: Unit, session: MentoringSession | None) -> ResponseReturnValue:
    form = _form(unit, session)
    exclude = session.id if session else None
    open_actions = services.open_actions(unit.id, exclude_session=exclude)
    findings: dict[str, list[pii.Finding]] = {}
    texts: dict[str, str] = {}
    pending = services.pending_follow_ups(session)
    if form.validate_on_submit():
        submit = bool(form.submit.data)
        if submit and not form.attest.data and session_is_new_or_draft(session):
            form.attest.errors = [_("Confirm that the record identifies no victim or witness.")]
        else:
            follow_ups = _follow_ups(open_actions)
            pending = {f.action_id: f for f in follow_ups}
            try:
                saved = services.save_session(
                    session, _input(form, follow_ups), unit=unit, by=current_user,
                    now=clock.now(), submit=submit, override=form.pii_override.data,
                )  # fmt: skip
            except services.PersonalDataFound as found:
                db.session.rollback()
                findings, texts = found.findings, found.texts
                form.form_errors.append(found.message)
            except DomainError as error:
                db.session.rollback()
                _attach(form, error)
            else:
                db.session.commit()
                if saved.status is SessionStatus.SUBMITTED:
                    flash(_("The session was saved."), "success")
                    return redirect(url_for("mentoring.session", session_id=saved.id))
                flash(_("Draft saved. Only its mentors can see it."), "success")
                return redirect(url_for("mentoring.edit_session", session_id=saved.id))
    return (
        render_template(
            "mentoring/session_form.html",
            form=form,
            unit=unit,
            session=session,
            open_actions=open_actions,
            pending=pending,
            findings=findings,
            marked={name: pii.highlight(texts[name], items) for name, items in findings.items()},
            field_labels=_field_labels(form),
            kind_labels=KIND_LABELS,
            today=_today(),
            **_labels(),
        ),
        form_status(form) if not findings else 422,
    )


def session_is_new_or_draft(session: MentoringSession | None) -> bool:
    return session is None or session.status is SessionStatus.DRAFT


def _field_labels(form: SessionForm) -> dict[str, str]:
    labels = {
        "location": form.location.label.text,
        "objectives": form.objectives.label.text,
        "observations": form.observations.label.text,
        "challenges": form.challenges.label.text,
        "case_refs": form.case_refs.label.text,
    }
    return labels


@bp.route("/units/<int:unit_id>/sessions/new", methods=["GET", "POST"])
@roles_required(Role.MENTOR)
def new_session(unit_id: int) -> ResponseReturnValue:
    """Log a session with the unit: the unit's open actions come first, to follow up."""
    found = _unit(unit_id)
    authorize(permissions.can_log_session(current_user, found))
    return _edit(found, None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MENTOR)
def edit_session(session_id: int) -> ResponseReturnValue:
    """Continue a draft, or correct a submitted session (its earlier text is kept)."""
    found = _session(session_id)
    authorize(permissions.can_edit_session(current_user, found))
    return _edit(found.unit, found)


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@roles_required(Role.MENTOR)
def delete_session(session_id: int) -> ResponseReturnValue:
    """Throw a draft away (submitted sessions are kept)."""
    found = _session(session_id)
    authorize(permissions.can_edit_session(current_user, found))
    unit_id = found.unit_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_draft(found, by=current_user, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("mentoring.session", session_id=session_id))
    db.session.commit()
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("mentoring.unit", unit_id=unit_id))


@bp.route("/sessions/<int:session_id>")
@roles_required(*STAFF)
def session(session_id: int) -> ResponseReturnValue:
    """A session as logged, with its action points and its edit history."""
    found = _session(session_id)
    actions = db.session.scalars(
        sa.select(ActionPoint)
        .where(ActionPoint.session_id == found.id)
        .options(selectinload(ActionPoint.owner))
        .order_by(ActionPoint.id)
    ).all()
    followed = db.session.scalars(
        sa.select(ActionPoint)
        .where(ActionPoint.closed_in_id == found.id)
        .options(selectinload(ActionPoint.owner))
        .order_by(ActionPoint.id)
    ).all()
    attendees = db.session.scalars(
        sa.select(User)
        .where(User.id.in_([a.user_id for a in found.attendees]))
        .options(selectinload(User.agency))
        .order_by(User.full_name)
    ).all()
    html = render_template(
        "mentoring/session.html",
        training=_related_training(found.topics),
        session=found,
        actions=actions,
        followed=followed,
        attendees=attendees,
        revisions=services.revisions(found.id),
        can_edit=permissions.can_edit_session(current_user, found),
        today=_today(),
        form=ConfirmForm(),
        **_labels(),
    )
    return _audited(html, "mentoring.session_view", obj=found)


def _related_training(topics: list[str]) -> list[dict[str, str]]:
    """The course modules that teach the session's topics (one query), for the page to
    link: coaching builds on training."""
    pairs = {pair for key in topics if (t := taxonomy.topic(key)) for pair in t.modules}
    if not pairs:
        return []
    rows = db.session.execute(
        sa.select(Course.slug, Course.texts, Course.languages, Module.key, Module.texts)
        .join(Module, Module.course_id == Course.id)
        .where(
            sa.tuple_(Course.slug, Module.key).in_(sorted(pairs)),
            Course.retired_at.is_(None),
            Module.retired_at.is_(None),
        )
        .order_by(Course.slug, Module.position)
    ).all()
    locale = get_locale()
    return [
        {"course": pick_text(course_texts, languages, locale).get("title", slug),
         "module": pick_text(module_texts, languages, locale).get("title", key),
         "slug": slug}
        for slug, course_texts, languages, key, module_texts in rows
    ]  # fmt: skip


@bp.route("/sessions/<int:session_id>/versions/<int:version>")
@roles_required(*STAFF)
def session_version(session_id: int, version: int) -> ResponseReturnValue:
    """What a submitted session said before an edit (its kept revision)."""
    found = _session(session_id)
    revision = db.session.scalar(
        sa.select(SessionRevision).where(
            SessionRevision.session_id == found.id, SessionRevision.version == version
        )
    )
    if revision is None:
        abort(404)
    content = json.loads(revision.content)
    people = {
        u.id: u.full_name
        for u in db.session.scalars(
            sa.select(User).where(
                User.id.in_(
                    [*content.get("mentors", []), *content.get("attendees", []),
                     *[a.get("owner") for a in content.get("actions", []) if a.get("owner")]]
                )
            )
        )
    }  # fmt: skip
    html = render_template(
        "mentoring/session_version.html", session=found, revision=revision, content=content,
        people=people, **_labels(),
    )  # fmt: skip
    return _audited(html, "mentoring.session_version_view", obj=found, version=version)


# --- Action points -------------------------------------------------------------------------

ACTION_FILTERS = ("open", "overdue", "done", "dropped", "all")


@bp.route("/actions")
@roles_required(*STAFF)
def actions() -> ResponseReturnValue:
    """Action points of every unit in view: open, overdue, done, dropped or all."""
    today = _today()
    shown = request.args.get("status", "open")
    if shown not in ACTION_FILTERS:
        shown = "open"
    query = (
        sa.select(ActionPoint)
        .join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
        .join(Unit, Unit.id == ActionPoint.unit_id)
        .where(
            MentoringSession.status == SessionStatus.SUBMITTED,
            permissions.mentored_units(current_user),
        )
        .options(
            selectinload(ActionPoint.owner),
            selectinload(ActionPoint.session).selectinload(MentoringSession.unit),
        )
        .order_by(ActionPoint.due_on, ActionPoint.id)
    )
    if shown == "open":
        query = query.where(ActionPoint.status == ActionStatus.OPEN)
    elif shown == "overdue":
        query = query.where(ActionPoint.status == ActionStatus.OPEN, ActionPoint.due_on < today)
    elif shown in ("done", "dropped"):
        query = query.where(ActionPoint.status == ActionStatus(shown))
    page = paginate(query, page_number(request.args.get("page")), ACTIONS_PER_PAGE)
    html = render_template(
        "mentoring/actions.html", page=page, shown=shown, filters=ACTION_FILTERS, today=today,
        **_labels(),
    )  # fmt: skip
    return _audited(html, "mentoring.actions_view", object_type="action_point", status=shown)


def _action(action_id: int) -> ActionPoint:
    found = db.session.scalar(
        sa.select(ActionPoint)
        .where(ActionPoint.id == action_id)
        .options(
            selectinload(ActionPoint.owner),
            selectinload(ActionPoint.updates),
            selectinload(ActionPoint.session).selectinload(MentoringSession.unit),
        )
    )
    if (
        found is None
        or found.session.status is not SessionStatus.SUBMITTED
        or not permissions.can_view_unit_mentoring(current_user, found.session.unit)
    ):
        abort(404)
    return found


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def action(action_id: int) -> ResponseReturnValue:
    """An action point with its follow-ups; the unit's mentors record new ones."""
    found = _action(action_id)
    can_update = permissions.can_log_session(current_user, found.session.unit)
    form = ActionUpdateForm()
    if request.method == "GET":
        form.status.data = found.status.value
    if request.method == "POST":
        authorize(can_update)
        if form.validate_on_submit():
            try:
                services.update_action(
                    found, ActionStatus(form.status.data), form.note.data or "",
                    by=current_user, now=clock.now(),
                )  # fmt: skip
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error, "note")
            else:
                db.session.commit()
                flash(_("The follow-up was recorded."), "success")
                return redirect(url_for("mentoring.action", action_id=found.id))
    html = render_template(
        "mentoring/action.html", action=found, form=form, can_update=can_update,
        today=_today(), **_labels(),
    )  # fmt: skip
    return _audited(html, "mentoring.action_view", obj=found), form_status(form)


# --- Assignments ---------------------------------------------------------------------------


@bp.route("/units/<int:unit_id>/mentors", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def assignments(unit_id: int) -> ResponseReturnValue:
    """Assign mentors to the unit for a period, or end an assignment."""
    found = _unit(unit_id)
    authorize(permissions.can_assign_mentors(current_user, found))
    form = AssignmentForm()
    mentors = db.session.scalars(
        sa.select(User)
        .where(User.is_active, permissions.visible_users(current_user))
        .where(
            User.id.in_(
                sa.select(RoleGrant.user_id).where(
                    RoleGrant.role == Role.MENTOR, RoleGrant.revoked_at.is_(None)
                )
            )
        )
        .order_by(User.full_name)
    ).all()
    form.mentor_id.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(m.id, m.full_name) for m in mentors
    ]
    if request.method == "GET":
        form.starts_on.data = _today()
    if form.validate_on_submit():
        mentor = db.session.get(User, form.mentor_id.data)
        if mentor is None or mentor not in mentors:
            form.mentor_id.errors = [_("Choose a mentor from the list.")]
        else:
            try:
                services.assign_mentor(
                    mentor, found, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                    by=current_user, now=clock.now(),
                )  # fmt: skip
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error, "mentor_id")
            else:
                db.session.commit()
                flash(_("The mentor was assigned."), "success")
                return redirect(url_for("mentoring.assignments", unit_id=found.id))
    rows = db.session.scalars(
        sa.select(MentorAssignment)
        .where(MentorAssignment.unit_id == found.id)
        .options(selectinload(MentorAssignment.mentor))
        .order_by(MentorAssignment.starts_on.desc())
    ).all()
    return (
        render_template(
            "mentoring/assignments.html", unit=found, form=form, rows=rows, today=_today(),
            confirm=ConfirmForm(),
        ),
        form_status(form),
    )  # fmt: skip


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def end_assignment(assignment_id: int) -> ResponseReturnValue:
    """End an assignment today (the mentor keeps no access to the unit from tomorrow)."""
    found = db.session.get(MentorAssignment, assignment_id)
    if found is None:
        abort(404)
    unit_found = _unit(found.unit_id)
    authorize(permissions.can_assign_mentors(current_user, unit_found))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.end_assignment(found, on=_today(), by=current_user, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The assignment ends today."), "success")
    return redirect(url_for("mentoring.assignments", unit_id=unit_found.id))


# --- Capacity, results, the members' training --------------------------------------------


@bp.route("/units/<int:unit_id>/capacity", methods=["GET", "POST"])
@roles_required(*STAFF)
def capacity(unit_id: int) -> ResponseReturnValue:
    """The unit's capacity scorecards over time (a trend per competency); its mentors add
    a scorecard: a level from 1 to 4 for each competency, each level described."""
    found = _unit(unit_id)
    can_assess = permissions.can_log_session(current_user, found)
    form = AssessmentForm()
    if request.method == "GET":
        form.assessed_on.data = _today()
    chosen: dict[str, int] = {}
    if request.method == "POST":
        authorize(can_assess)
        for competency in taxonomy.COMPETENCIES:
            raw = request.form.get(f"level-{competency.key}", "")
            chosen[competency.key] = int(raw) if raw.isdigit() else 0
        if form.validate_on_submit():
            try:
                progress.add_assessment(
                    found, assessed_on=form.assessed_on.data, levels=chosen,
                    notes=form.notes.data or "", by=current_user, now=clock.now(),
                )  # fmt: skip
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("The scorecard was saved."), "success")
                return redirect(url_for("mentoring.capacity", unit_id=found.id))
    cards = progress.assessments(found.id)
    html = render_template(
        "mentoring/capacity.html", unit=found, cards=cards, trend=progress.trend(cards),
        competencies=taxonomy.COMPETENCIES, levels=taxonomy.LEVELS, form=form, chosen=chosen,
        can_assess=can_assess,
    )  # fmt: skip
    return _audited(html, "mentoring.capacity_view", obj=found), form_status(form)


@bp.route("/units/<int:unit_id>/results", methods=["GET", "POST"])
@roles_required(*STAFF)
def results(unit_id: int) -> ResponseReturnValue:
    """The unit's totals per quarter (never case details); its mentors and coordinators
    record them."""
    found = _unit(unit_id)
    can_report = permissions.can_log_session(current_user, found) or (
        permissions.can_assign_mentors(current_user, found)
    )
    form = ResultForm()
    if request.method == "GET":
        form.year.data = _today().year
        form.quarter.data = (_today().month - 1) // 3 + 1
    if request.method == "POST":
        authorize(can_report)
        if form.validate_on_submit():
            totals = {name: getattr(form, name).data or 0 for name in RESULT_FIELDS}
            try:
                progress.save_result(
                    found, year=form.year.data, number=form.quarter.data, totals=totals,
                    by=current_user, now=clock.now(),
                )  # fmt: skip
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error, "quarter")
            else:
                db.session.commit()
                flash(_("The totals were saved."), "success")
                return redirect(url_for("mentoring.results", unit_id=found.id))
    html = render_template(
        "mentoring/results.html", unit=found, rows=progress.results(found.id), form=form,
        fields=RESULT_FIELDS, can_report=can_report,
    )  # fmt: skip
    return _audited(html, "mentoring.results_view", obj=found), form_status(form)


# --- The mentor's monthly report -----------------------------------------------------------


@bp.route("/reports/monthly")
@roles_required(*STAFF)
def monthly() -> ResponseReturnValue:
    """A mentor's month from the logs (``?mentor=&month=YYYY-MM``, ``&format=csv|xlsx``):
    mentors see their own; coordinators those of the mentors of their countries' units."""
    today = _today()
    form = MonthForm(request.args)
    overseer = current_user.has_role(Role.COORDINATOR, Role.ADMIN)
    mentors = db.session.scalars(
        sa.select(User)
        .where(
            User.id.in_(
                sa.select(MentorAssignment.mentor_id)
                .join(Unit, Unit.id == MentorAssignment.unit_id)
                .where(permissions.mentored_units(current_user))
            )
        )
        .order_by(User.full_name)
    ).all() if overseer else []  # fmt: skip
    choices = {m.id: m for m in mentors}
    if current_user.has_role(Role.MENTOR):
        choices.setdefault(current_user.id, current_user)
    form.mentor.choices = [SelectChoice(m.id, m.full_name) for m in choices.values()]
    wanted = form.mentor.data or (current_user.id if current_user.has_role(Role.MENTOR) else None)
    if wanted is None and choices:
        wanted = next(iter(choices))
    raw = (form.month.data or "").strip() or f"{today.year:04d}-{today.month:02d}"
    problem = None
    try:
        year, month = (int(part) for part in raw.split("-"))
        progress.month_bounds(year, month)
    except (ValueError, DomainError):
        problem = _("Write the month as year-month, for example 2026-10.")
        year, month = today.year, today.month
    report = None
    if wanted is not None:
        mentor = choices.get(wanted)
        if mentor is None:
            abort(404)
        form.mentor.data = mentor.id
        scope = sa.true() if mentor.id == current_user.id else permissions.mentored_units(
            current_user
        )  # fmt: skip
        report = progress.monthly_report(mentor, year, month, units_scope=scope)
        fmt = request.args.get("format")
        if fmt in ("csv", "xlsx"):
            name = f"mentoring-{mentor.username}-{year:04d}-{month:02d}"
            response = download(name, _monthly_sheets(report), fmt, request.args.get("table"))
            audit.record("mentoring.report_export", actor=current_user, obj=mentor,
                         now=clock.now(), month=f"{year:04d}-{month:02d}", format=fmt)  # fmt: skip
            db.session.commit()
            return response
    html = render_template(
        "mentoring/monthly.html", form=form, report=report, month=f"{year:04d}-{month:02d}",
        problem=problem, choose_mentor=overseer and bool(choices), **_labels(),
    )  # fmt: skip
    return _audited(html, "mentoring.report_view", object_type="user", object_id=wanted,
                    month=f"{year:04d}-{month:02d}"), (422 if problem else 200)  # fmt: skip


def _monthly_sheets(report: progress.MonthlyReport) -> list[Sheet]:
    labels = _labels()
    sexes = [s.value for s in Sex]
    units = Sheet(
        _("Units"),
        [_("Unit"), _("Sessions"), _("Hours"), *[str(labels["sex_labels"][s]) for s in sexes]],
        [[u.name, u.sessions, round(u.minutes / 60, 1), *[u.attendees.get(s, 0) for s in sexes]]
         for u in report.units],
        key="units",
    )  # fmt: skip
    sessions = Sheet(
        _("Sessions"),
        [_("Date"), _("Unit"), _("Format"), _("Minutes"), _("Topics")],
        [[s.held_on.isoformat() if s.held_on else "", s.unit.name,
          str(labels["format_labels"].get(s.format, "")), s.duration_minutes or 0,
          "; ".join(str(labels["topic_labels"][t]) for t in s.topics)]
         for s in report.sessions],
        key="sessions",
    )  # fmt: skip
    topics = Sheet(
        _("Topics"), [_("Topic"), _("Sessions")],
        [[str(labels["topic_labels"][key]), count] for key, count in report.topics.most_common()],
        key="topics",
    )  # fmt: skip
    summary = Sheet(
        _("Summary"), [_("Measure"), _("Value")],
        [[_("Sessions"), report.total_sessions], [_("Hours"), report.hours],
         [_("Actions opened"), report.actions_opened],
         [_("Actions done"), report.actions_closed.get("done", 0)],
         [_("Actions dropped"), report.actions_closed.get("dropped", 0)],
         *[[str(labels["sex_labels"][s]), report.attendees.get(s, 0)] for s in sexes]],
        key="summary",
    )  # fmt: skip
    return [summary, units, sessions, topics]


@bp.route("/units/<int:unit_id>/sessions/autosave", methods=["POST"])
@roles_required(Role.MENTOR)
def autosave(unit_id: int) -> ResponseReturnValue:
    """Save the form as a draft while the mentor types (JSON; the page's script calls it).
    A new session becomes a draft on its first save; a submitted one is never autosaved
    (its edits are kept as revisions when saved with the button). Nothing is saved while
    a text looks like personal data: the answer says what was found."""
    found = _unit(unit_id)
    authorize(permissions.can_log_session(current_user, found))
    session: MentoringSession | None = None
    raw_id = request.form.get("session_id", "")
    if raw_id:
        session = _session(int(raw_id)) if raw_id.isdigit() and int(raw_id) <= MAX_ID else None
        if session is None or session.unit_id != found.id:
            abort(404)
        authorize(permissions.can_edit_session(current_user, session))
        if session.status is not SessionStatus.DRAFT:
            return jsonify(error={"code": "conflict", "message": _("Submitted sessions are "
                                  "saved with the button.")}), 409  # fmt: skip
    form = _form(found, session)
    if not form.validate_on_submit():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors
                            if isinstance(e, str))  # fmt: skip
        return jsonify(error={"code": "invalid", "message": message or _("Not saved.")}), 422
    open_actions = services.open_actions(found.id, exclude_session=session.id if session else None)
    try:
        saved = services.save_session(
            session, _input(form, _follow_ups(open_actions)), unit=found, by=current_user,
            now=clock.now(), submit=False, override=form.pii_override.data,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        return jsonify(error={"code": error.code, "message": error.message,
                              "field": error.field, "details": error.details}), 422  # fmt: skip
    db.session.commit()
    return jsonify(
        session_id=saved.id,
        edit_url=url_for("mentoring.edit_session", session_id=saved.id),
        autosave_url=url_for("mentoring.autosave", unit_id=found.id),
        message=_("Draft saved at %(time)s.", time=format_time(clock.now(), "short")),
    )
