"""API of mentoring: coaching sessions and action points, read and created within the
caller's scope (mentors: their units; coordinators: their countries' units, read only).
Every read is audited, as on the pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from lms import audit, clock, permissions
from lms.accounts.models import Role, Unit
from lms.api import schemas
from lms.extensions import db
from lms.mentoring import services
from lms.mentoring.models import (
    ActionPoint,
    ActionStatus,
    MentoringSession,
    SessionFormat,
    SessionStatus,
)
from lms.pagination import paginate
from lms.permissions import authorize, roles_required

blp = Blueprint(
    "api_mentoring",
    __name__,
    url_prefix="/api/v1/mentoring",
    description="Coaching sessions with dedicated units and their action points.",
)
STAFF = (Role.MENTOR, Role.COORDINATOR, Role.ADMIN)


def _action_out(action: ActionPoint) -> dict[str, Any]:
    return {
        "id": action.id, "session_id": action.session_id, "unit_id": action.unit_id,
        "text": action.text, "owner_id": action.owner_id, "due_on": action.due_on,
        "status": action.status.value, "overdue": action.is_overdue(clock.now().date()),
        "closed_on": action.closed_on,
    }  # fmt: skip


def _session_out(session: MentoringSession) -> dict[str, Any]:
    return {
        "id": session.id, "unit_id": session.unit_id, "status": session.status.value,
        "version": session.version, "held_on": session.held_on,
        "duration_minutes": session.duration_minutes,
        "format": session.format.value if session.format else None,
        "location": session.location, "mentor_ids": [m.id for m in session.mentors],
        "attendee_ids": sorted(a.user_id for a in session.attendees),
        "others": session.others or [], "topics": session.topics,
        "case_refs": session.case_refs, "objectives": session.objectives,
        "observations": session.observations, "challenges": session.challenges,
        "actions": [_action_out(a) for a in session.actions],
    }  # fmt: skip


def _page(page: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "page": page.number, "per_page": page.per_page,
            "total": page.total, "pages": page.pages}  # fmt: skip


def _sessions_query() -> sa.Select[Any]:
    return (
        sa.select(MentoringSession)
        .where(permissions.visible_sessions(current_user))
        .options(
            selectinload(MentoringSession.mentors),
            selectinload(MentoringSession.attendees),
            selectinload(MentoringSession.actions),
        )
    )


@blp.route("/sessions")
@blp.arguments(schemas.SessionArgsSchema, location="query")
@blp.response(200, schemas.SessionPageSchema)
@roles_required(*STAFF)
def sessions(args: dict[str, Any]) -> dict[str, Any]:
    """Sessions the caller may see (submitted sessions of their units, and their own
    drafts), newest first; ``unit`` narrows to one unit."""
    query = _sessions_query().order_by(MentoringSession.held_on.desc(), MentoringSession.id.desc())
    if args.get("unit"):
        query = query.where(MentoringSession.unit_id == args["unit"])
    page = paginate(query, args["page"], args["per_page"])
    body = _page(page, [_session_out(s) for s in page.items])
    audit.record("mentoring.api_sessions", actor=current_user, object_type="mentoring_session",
                 now=clock.now(), count=len(page.items))  # fmt: skip
    db.session.commit()
    return body


@blp.route("/sessions/<int:session_id>")
@blp.response(200, schemas.SessionOutSchema)
@roles_required(*STAFF)
def session(session_id: int) -> dict[str, Any]:
    """One session with its action points."""
    found = db.session.scalar(_sessions_query().where(MentoringSession.id == session_id))
    if found is None:
        abort(404)
    body = _session_out(found)
    audit.record("mentoring.session_view", actor=current_user, obj=found, now=clock.now())
    db.session.commit()
    return body


@blp.route("/sessions", methods=["POST"])
@roles_required(Role.MENTOR)  # before the body is read: strangers learn nothing from errors
@blp.arguments(schemas.SessionInSchema)
@blp.response(201, schemas.SessionOutSchema)
def create_session(body: dict[str, Any]) -> dict[str, Any]:
    """Log a submitted session with a unit the caller mentors. Text that looks like
    personal data is refused (422, ``personal_data``, with the spans found per field)
    unless ``pii_override`` says why it must stay."""
    unit = db.session.get(Unit, body["unit_id"])
    if unit is None or not permissions.can_view_unit_mentoring(current_user, unit):
        abort(404)
    authorize(permissions.can_log_session(current_user, unit))
    data = services.SessionInput(
        held_on=body["held_on"], duration_minutes=body["duration_minutes"],
        format=SessionFormat(body["format"]), location=body["location"],
        mentor_ids=body["mentor_ids"] or [current_user.id],
        attendee_ids=body["attendee_ids"], others=body["others"], topics=body["topics"],
        case_refs=body["case_refs"], objectives=body["objectives"],
        observations=body["observations"], challenges=body["challenges"],
        actions=[services.ActionInput(a["text"], a["owner_id"], a["due_on"])
                 for a in body["actions"]],
    )  # fmt: skip
    try:
        saved = services.save_session(
            None, data, unit=unit, by=current_user, now=clock.now(), submit=True,
            override=body["pii_override"],
        )  # fmt: skip
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return _session_out(saved)


@blp.route("/actions")
@blp.arguments(schemas.ActionArgsSchema, location="query")
@blp.response(200, schemas.ActionPageSchema)
@roles_required(*STAFF)
def actions(args: dict[str, Any]) -> dict[str, Any]:
    """Action points of the units the caller may see: open (default), overdue, done,
    dropped or all; oldest due first."""
    today = clock.now().date()
    query = (
        sa.select(ActionPoint)
        .join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
        .join(Unit, Unit.id == ActionPoint.unit_id)
        .where(MentoringSession.status == SessionStatus.SUBMITTED,
               permissions.mentored_units(current_user))
        .order_by(ActionPoint.due_on, ActionPoint.id)
    )  # fmt: skip
    shown = args["status"]
    if shown in ("open", "overdue"):
        query = query.where(ActionPoint.status == ActionStatus.OPEN)
    if shown == "overdue":
        query = query.where(ActionPoint.due_on < today)
    if shown in ("done", "dropped"):
        query = query.where(ActionPoint.status == ActionStatus(shown))
    if args.get("unit"):
        query = query.where(ActionPoint.unit_id == args["unit"])
    page = paginate(query, args["page"], args["per_page"])
    body = _page(page, [_action_out(a) for a in page.items])
    audit.record("mentoring.api_actions", actor=current_user, object_type="action_point",
                 now=clock.now(), status=shown)  # fmt: skip
    db.session.commit()
    return body


@blp.route("/actions/<int:action_id>/updates", methods=["POST"])
@roles_required(Role.MENTOR)
@blp.arguments(schemas.ActionUpdateInSchema)
@blp.response(201, schemas.ActionOutSchema)
def update_action(body: dict[str, Any], action_id: int) -> dict[str, Any]:
    """Record a follow-up of an action point of a unit the caller mentors: a note and the
    status it leaves (open, done, dropped)."""
    found = db.session.scalar(
        sa.select(ActionPoint)
        .join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
        .where(ActionPoint.id == action_id, MentoringSession.status == SessionStatus.SUBMITTED)
    )
    unit = db.session.get(Unit, found.unit_id) if found else None
    if found is None or unit is None or not permissions.can_view_unit_mentoring(current_user, unit):
        abort(404)
    authorize(permissions.can_log_session(current_user, unit))
    try:
        services.update_action(found, ActionStatus(body["status"]), body["note"],
                               by=current_user, now=clock.now())  # fmt: skip
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return _action_out(found)
