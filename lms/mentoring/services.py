"""Mentoring services: mentor assignments, session logs with attendees, topics and action
points, follow-up of the actions, edit history, and the personal-data guard on every save.

Callers decide who may act (lms.permissions) and commit; these functions check the rules
of the records themselves and raise :class:`~lms.errors.Invalid` with the field at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from lms import audit
from lms.accounts.models import AgencyType, Sex, Unit, User
from lms.accounts.services import register_merge_handler
from lms.errors import Invalid
from lms.extensions import db
from lms.mentoring import pii, taxonomy
from lms.mentoring.models import (
    ActionPoint,
    ActionStatus,
    ActionUpdate,
    MentorAssignment,
    MentoringSession,
    SessionAttendee,
    SessionFormat,
    SessionRevision,
    SessionStatus,
    UnitAssessment,
    UnitResult,
    session_mentor,
)

#: A pseudonymous case code: letters, digits and dashes, e.g. "KG-2026-014".
CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,23}$")
MAX_MINUTES = 12 * 60
MAX_OTHERS = 500
#: The shortest reason accepted for saving a text the guard flagged.
MIN_OVERRIDE_REASON = 15
EARLIEST = date(2015, 1, 1)


# --- Assignments ---------------------------------------------------------------------------


def assign_mentor(
    mentor: User, unit: Unit, *, starts_on: date, ends_on: date | None, by: User | None,
    now: datetime,
) -> MentorAssignment:  # fmt: skip
    """Assign a mentor to a unit for a period."""
    from lms.accounts.models import Role

    if not mentor.has_role(Role.MENTOR) or not mentor.is_active:
        raise Invalid(gettext("This person is not an active mentor."), field="mentor")
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(gettext("The end comes before the start."), field="ends_on")
    overlapping = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MentorAssignment)
        .where(
            MentorAssignment.mentor_id == mentor.id,
            MentorAssignment.unit_id == unit.id,
            sa.or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= starts_on),
            *([MentorAssignment.starts_on <= ends_on] if ends_on else []),
        )
    )
    if overlapping:
        raise Invalid(
            gettext("This mentor is already assigned to the unit for these dates."), field="mentor"
        )
    assignment = MentorAssignment(
        mentor_id=mentor.id, unit_id=unit.id, starts_on=starts_on, ends_on=ends_on,
        assigned_by_id=getattr(by, "id", None), created_at=now,
    )  # fmt: skip
    db.session.add(assignment)
    db.session.flush()
    audit.record("mentoring.assign", actor=by, obj=assignment, now=now,
                 mentor=mentor.id, unit=unit.id)  # fmt: skip
    return assignment


def end_assignment(
    assignment: MentorAssignment, *, on: date, by: User | None, now: datetime
) -> None:
    if on < assignment.starts_on:
        raise Invalid(gettext("The end comes before the start."), field="ends_on")
    assignment.ends_on = on
    audit.record("mentoring.unassign", actor=by, obj=assignment, now=now)


def assigned_mentors(unit_id: int, on: date) -> list[User]:
    """Mentors assigned to the unit on that day."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(MentorAssignment, MentorAssignment.mentor_id == User.id)
            .where(MentorAssignment.unit_id == unit_id, *_current(on))
            .order_by(User.full_name)
            .distinct()
        )
    )


def _current(on: date) -> list[sa.ColumnElement[bool]]:
    return [
        MentorAssignment.starts_on <= on,
        sa.or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= on),
    ]


def unit_members(unit_id: int) -> list[User]:
    """The unit's current members (active accounts), by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.unit_id == unit_id, User.is_active)
            .options(selectinload(User.agency))
            .order_by(User.full_name, User.id)
        )
    )


# --- Sessions ------------------------------------------------------------------------------


@dataclass
class ActionInput:
    """A new action point, or a change to one of the session's (``id``)."""

    text: str
    owner_id: int | None
    due_on: date | None
    id: int | None = None


@dataclass
class FollowUp:
    """What became of an open action of the unit, recorded in this session."""

    action_id: int
    status: ActionStatus
    note: str = ""


@dataclass
class SessionInput:
    held_on: date | None = None
    duration_minutes: int | None = None
    format: SessionFormat | None = None
    location: str = ""
    mentor_ids: list[int] = field(default_factory=list)
    attendee_ids: list[int] = field(default_factory=list)
    #: [{"sex": …, "agency_type": …, "count": n}]
    others: list[dict[str, Any]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    case_refs: list[str] = field(default_factory=list)
    objectives: str = ""
    observations: str = ""
    challenges: str = ""
    actions: list[ActionInput] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


class PersonalDataFound(Invalid):
    """The guard found what looks like personal data; ``findings`` per field name."""

    code = "personal_data"

    def __init__(self, findings: dict[str, list[pii.Finding]], texts: dict[str, str]) -> None:
        super().__init__(
            gettext(
                "Some text looks like personal data (marked below). Mentoring records must "
                "never identify a victim: remove it, or record why it must stay."
            ),
            details={
                name: [{"kind": f.kind, "start": f.start, "end": f.end} for f in items]
                for name, items in findings.items()
            },
        )
        self.findings = findings
        self.texts = texts


def guarded_texts(data: SessionInput) -> dict[str, str]:
    """Every free text of the input, named as the form names its fields."""
    texts = {
        "location": data.location,
        "objectives": data.objectives,
        "observations": data.observations,
        "challenges": data.challenges,
        "case_refs": ", ".join(data.case_refs),
    }
    for index, action in enumerate(data.actions):
        texts[f"actions-{index}-text"] = action.text
    for follow_up in data.follow_ups:
        texts[f"follow-{follow_up.action_id}-note"] = follow_up.note
    return {name: value for name, value in texts.items() if value}


def check_personal_data(data: SessionInput, *, override: str | None) -> dict[str, int]:
    """Raise :class:`PersonalDataFound` unless the texts are clean or a reason of at least
    MIN_OVERRIDE_REASON characters is given; returns the kinds found (for the audit trail,
    which never holds the values)."""
    texts = guarded_texts(data)
    findings = pii.find_in(texts)
    if not findings:
        return {}
    if len((override or "").strip()) < MIN_OVERRIDE_REASON:
        raise PersonalDataFound(findings, texts)
    kinds: dict[str, int] = {}
    for items in findings.values():
        for finding in items:
            kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return kinds


def _validate(
    data: SessionInput, *, unit: Unit, session: MentoringSession | None, submit: bool, today: date
) -> None:
    def required(value: Any, name: str, message: str) -> None:
        if submit and (value is None or value == "" or value == []):
            raise Invalid(message, field=name)

    required(data.held_on, "held_on", gettext("Give the date of the session."))
    if data.held_on is not None and data.held_on > today:
        raise Invalid(gettext("The session date cannot be in the future."), field="held_on")
    if data.held_on is not None and data.held_on < EARLIEST:
        raise Invalid(gettext("The session date is too far in the past."), field="held_on")
    required(data.duration_minutes, "duration_minutes", gettext("Give how long it lasted."))
    if data.duration_minutes is not None and not 0 < data.duration_minutes <= MAX_MINUTES:
        raise Invalid(
            gettext("The duration must be between 1 and %(n)d minutes.", n=MAX_MINUTES),
            field="duration_minutes",
        )
    required(data.format, "format", gettext("Choose the format of the session."))
    required(data.topics, "topics", gettext("Choose at least one topic."))
    unknown = [t for t in data.topics if t not in taxonomy.TOPIC_KEYS]
    if unknown:
        raise Invalid(gettext("Unknown topic."), field="topics")
    required(data.mentor_ids, "mentor_ids", gettext("Name at least one mentor."))
    on = data.held_on or today
    assigned = {m.id for m in assigned_mentors(unit.id, on)}
    earlier_mentors = {m.id for m in session.mentors} if session else set()
    if any(m not in assigned and m not in earlier_mentors for m in data.mentor_ids):
        raise Invalid(
            gettext("Every mentor named must be assigned to this unit on the session date."),
            field="mentor_ids",
        )
    members = {m.id for m in unit_members(unit.id)}
    earlier_attendees = {a.user_id for a in session.attendees} if session else set()
    if any(a not in members and a not in earlier_attendees for a in data.attendee_ids):
        raise Invalid(
            gettext("Attendees are picked from the unit's members; count others below."),
            field="attendee_ids",
        )
    for row in data.others:
        count = row.get("count")
        if not isinstance(count, int) or not 0 <= count <= MAX_OTHERS:
            raise Invalid(
                gettext("Other participants: a count between 0 and %(n)d.", n=MAX_OTHERS),
                field="others",
            )
        if row.get("sex") not in {s.value for s in Sex} or row.get("agency_type") not in {
            a.value for a in AgencyType
        }:
            raise Invalid(
                gettext("Other participants: choose a sex and an agency."), field="others"
            )
    if submit and not data.attendee_ids and not any(r.get("count") for r in data.others):
        raise Invalid(gettext("Record who attended."), field="attendee_ids")
    for ref in data.case_refs:
        if not CASE_REF.match(ref):
            raise Invalid(
                gettext(
                    "Case references are codes such as KG-2026-014 (letters, digits and "
                    "dashes), never names."
                ),
                field="case_refs",
            )
    existing_owners = {a.owner_id for a in session.actions} if session else set()
    for index, action in enumerate(data.actions):
        name = f"actions-{index}"
        if not action.text.strip():
            raise Invalid(gettext("Say what is to be done."), field=f"{name}-text")
        if len(action.text) > 1000:
            raise Invalid(gettext("At most 1000 characters."), field=f"{name}-text")
        if action.owner_id is None:
            raise Invalid(gettext("Choose who owns this action."), field=f"{name}-owner_id")
        if action.owner_id not in members and action.owner_id not in existing_owners:
            raise Invalid(
                gettext("The owner of an action must be a member of the unit."),
                field=f"{name}-owner_id",
            )
        if action.due_on is None:
            raise Invalid(gettext("Give a due date."), field=f"{name}-due_on")
        if data.held_on is not None and action.due_on < data.held_on:
            raise Invalid(
                gettext("The due date cannot come before the session."), field=f"{name}-due_on"
            )
    if data.follow_ups:
        open_ids = set(
            db.session.scalars(
                sa.select(ActionPoint.id).where(
                    ActionPoint.unit_id == unit.id,
                    ActionPoint.status == ActionStatus.OPEN,
                    ActionPoint.session_id != (session.id if session else -1),
                )
            )
        )
        for follow_up in data.follow_ups:
            if follow_up.action_id not in open_ids:
                raise Invalid(gettext("That action is no longer open."), field="follow_ups")
            if len(follow_up.note) > 2000:
                raise Invalid(
                    gettext("At most 2000 characters."), field=f"follow-{follow_up.action_id}-note"
                )


def save_session(
    session: MentoringSession | None,
    data: SessionInput,
    *,
    unit: Unit,
    by: User,
    now: datetime,
    submit: bool,
    override: str | None = None,
) -> MentoringSession:
    """Create or change a session: a draft (``submit`` False) needs no complete record; a
    submission needs one, applies the follow-ups and opens its action points. Changing a
    submitted session keeps what it said before as a revision.

    :raises Invalid: a rule is broken (the field is named).
    :raises PersonalDataFound: a text looks like personal data and no reason was given.
    """
    today = now.date()
    _validate(
        data, unit=unit, session=session, submit=submit or _is_submitted(session), today=today
    )
    flagged = check_personal_data(data, override=override)
    creating = session is None
    if session is None:
        session = MentoringSession(unit_id=unit.id, created_by_id=by.id, created_at=now)
        db.session.add(session)
    elif session.status is SessionStatus.SUBMITTED:
        db.session.add(
            SessionRevision(
                session_id=session.id, version=session.version,
                content=json.dumps(snapshot(session), ensure_ascii=False),
                edited_by_id=by.id, edited_at=now,
            )
        )  # fmt: skip
        session.version += 1
    session.held_on = data.held_on
    session.duration_minutes = data.duration_minutes
    session.format = data.format
    session.location = data.location.strip() or None
    session.topics = [t for t in taxonomy.TOPIC_KEYS_ORDER if t in set(data.topics)]
    session.others = [row for row in data.others if row.get("count")]
    session.case_refs = sorted({ref.upper() for ref in data.case_refs})
    session.objectives = data.objectives.strip() or None
    session.observations = data.observations.strip() or None
    session.challenges = data.challenges.strip() or None
    session.pii_override = (override or "").strip() if flagged else None
    session.updated_at = now
    mentors = db.session.scalars(sa.select(User).where(User.id.in_(data.mentor_ids))).all()
    session.mentors = list(mentors)
    wanted = set(data.attendee_ids)
    session.attendees = [a for a in session.attendees if a.user_id in wanted] + [
        SessionAttendee(user_id=user_id)
        for user_id in sorted(wanted - {a.user_id for a in session.attendees})
    ]
    _save_actions(session, data.actions, unit=unit, now=now)
    db.session.flush()
    if flagged:
        audit.record("mentoring.pii_override", actor=by, obj=session, now=now, kinds=flagged)
    if data.follow_ups and session.status is SessionStatus.DRAFT and not submit:
        session.pending_follow_ups = json.dumps(
            [{"action_id": f.action_id, "status": f.status.value, "note": f.note}
             for f in data.follow_ups]
        )  # fmt: skip
    if submit and session.status is SessionStatus.DRAFT:
        session.status = SessionStatus.SUBMITTED
        session.submitted_at = now
        for follow_up in data.follow_ups:
            action = db.session.get(ActionPoint, follow_up.action_id)
            if action is not None:
                update_action(action, follow_up.status, follow_up.note, by=by, now=now,
                              session=session)  # fmt: skip
        session.pending_follow_ups = None
        audit.record("mentoring.session_submit", actor=by, obj=session, now=now, unit=unit.id)
    elif creating:
        audit.record("mentoring.session_draft", actor=by, obj=session, now=now, unit=unit.id)
    else:
        audit.record("mentoring.session_edit", actor=by, obj=session, now=now,
                     version=session.version)  # fmt: skip
    return session


def _is_submitted(session: MentoringSession | None) -> bool:
    return session is not None and session.status is SessionStatus.SUBMITTED


def _save_actions(
    session: MentoringSession, actions: Sequence[ActionInput], *, unit: Unit, now: datetime
) -> None:
    existing = {a.id: a for a in session.actions}
    for item in actions:
        action = existing.get(item.id) if item.id is not None else None
        if action is None:
            action = ActionPoint(unit_id=unit.id, status=ActionStatus.OPEN, created_at=now)
            session.actions.append(action)
        action.text = item.text.strip()
        action.owner_id = item.owner_id
        action.due_on = item.due_on


def pending_follow_ups(session: MentoringSession | None) -> dict[int, FollowUp]:
    """Follow-ups written in a draft, applied when it is submitted."""
    if session is None or not session.pending_follow_ups:
        return {}
    items = json.loads(session.pending_follow_ups)
    return {
        item["action_id"]: FollowUp(item["action_id"], ActionStatus(item["status"]), item["note"])
        for item in items
    }


def snapshot(session: MentoringSession) -> dict[str, Any]:
    """What a session says, as plain data (kept sealed in its revisions)."""
    return {
        "version": session.version,
        "held_on": session.held_on.isoformat() if session.held_on else None,
        "duration_minutes": session.duration_minutes,
        "format": session.format.value if session.format else None,
        "location": session.location,
        "mentors": [m.id for m in session.mentors],
        "attendees": sorted(a.user_id for a in session.attendees),
        "others": session.others,
        "topics": session.topics,
        "case_refs": session.case_refs,
        "objectives": session.objectives,
        "observations": session.observations,
        "challenges": session.challenges,
        "actions": [
            {"id": a.id, "text": a.text, "owner": a.owner_id,
             "due_on": a.due_on.isoformat() if a.due_on else None}
            for a in session.actions
        ],
    }  # fmt: skip


def revisions(session_id: int) -> list[SessionRevision]:
    return list(
        db.session.scalars(
            sa.select(SessionRevision)
            .where(SessionRevision.session_id == session_id)
            .options(selectinload(SessionRevision.edited_by))
            .order_by(SessionRevision.version.desc())
        )
    )


def delete_draft(session: MentoringSession, *, by: User, now: datetime) -> None:
    if session.status is not SessionStatus.DRAFT:
        raise Invalid(gettext("A submitted session is kept; edit it instead."))
    audit.record("mentoring.draft_delete", actor=by, obj=session, now=now)
    db.session.delete(session)


# --- Action points -------------------------------------------------------------------------


def update_action(
    action: ActionPoint, status: ActionStatus, note: str, *, by: User | None, now: datetime,
    session: MentoringSession | None = None,
) -> ActionUpdate:  # fmt: skip
    """Record a follow-up: a note and the status it leaves the action in."""
    note = note.strip()
    if status is action.status and not note:
        raise Invalid(gettext("Write a note or change the status."), field="note")
    if len(note) > 2000:
        raise Invalid(gettext("At most 2000 characters."), field="note")
    findings = pii.find(note)
    if findings:
        raise PersonalDataFound({"note": findings}, {"note": note})
    update = ActionUpdate(
        action_id=action.id, session_id=session.id if session else None, status=status,
        note=note or None, author_id=getattr(by, "id", None), created_at=now,
    )  # fmt: skip
    action.updates.append(update)
    if status is not action.status:
        action.status = status
        closed = status is not ActionStatus.OPEN
        action.closed_on = now.date() if closed else None
        action.closed_in_id = session.id if closed and session else None
    audit.record("mentoring.action_update", actor=by, obj=action, now=now, status=status.value)
    return update


def open_actions(unit_id: int, *, exclude_session: int | None = None) -> list[ActionPoint]:
    """The unit's open actions from submitted sessions, the oldest due first."""
    return list(
        db.session.scalars(
            sa.select(ActionPoint)
            .join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
            .where(
                ActionPoint.unit_id == unit_id,
                ActionPoint.status == ActionStatus.OPEN,
                MentoringSession.status == SessionStatus.SUBMITTED,
                *([ActionPoint.session_id != exclude_session] if exclude_session else []),
            )
            .options(selectinload(ActionPoint.owner), selectinload(ActionPoint.updates))
            .order_by(ActionPoint.due_on, ActionPoint.id)
        )
    )


# --- Merging two records of one person ------------------------------------------------------


@register_merge_handler
def merge_mentoring(source: Any, target: Any) -> dict[str, int]:
    """Move ``source``'s mentoring records to ``target``: attendance and mentoring of
    sessions (once per session), action points owned, follow-ups, assignments, and the
    records they wrote."""
    moved: dict[str, int] = {}
    for table, column in ((SessionAttendee.__table__, "user_id"), (session_mentor, "user_id")):
        already = sa.select(table.c.session_id).where(table.c[column] == target.id)
        db.session.execute(
            sa.delete(table).where(table.c[column] == source.id, table.c.session_id.in_(already))
        )
        moved[table.name] = db.session.execute(
            sa.update(table).where(table.c[column] == source.id).values({column: target.id})
        ).rowcount
    for model, column in (
        (ActionPoint, "owner_id"), (ActionUpdate, "author_id"), (MentorAssignment, "mentor_id"),
        (MentoringSession, "created_by_id"), (SessionRevision, "edited_by_id"),
        (UnitAssessment, "assessed_by_id"), (UnitResult, "reported_by_id"),
    ):  # fmt: skip
        attribute = getattr(model, column)
        moved[f"{model.__tablename__}.{column}"] = db.session.execute(
            sa.update(model).where(attribute == source.id).values({column: target.id})
            .execution_options(synchronize_session=False)
        ).rowcount  # fmt: skip
    return {key: count for key, count in moved.items() if count}
