"""Mentoring records. Free texts are sealed at rest (:class:`SealedText`); none of the
tables has a place for a victim: attendees are unit members, case references are
pseudonymous codes, and results are totals."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Unit, User
from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db
from lms.mentoring.sealed import SealedText


class SessionFormat(enum.StrEnum):
    ON_THE_JOB = "on_the_job"
    CASE_REVIEW = "case_review"
    WORKSHOP = "workshop"
    REMOTE = "remote"
    OTHER = "other"


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class MentorAssignment(db.Model):
    """A mentor assigned to a unit for a period (``ends_on`` None: until further notice)."""

    __tablename__ = "mentor_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    unit: Mapped[Unit] = relationship()


session_mentor = sa.Table(
    "mentoring_session_mentor",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("mentoring_session.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class MentoringSession(db.Model):
    """One coaching session with a unit. A draft is seen by its mentors only; a submitted
    session is kept, and every later edit leaves a :class:`SessionRevision`."""

    __tablename__ = "mentoring_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        value_enum(SessionStatus, 20), default=SessionStatus.DRAFT
    )
    held_on: Mapped[date | None]
    duration_minutes: Mapped[int | None]
    format: Mapped[SessionFormat | None] = mapped_column(value_enum(SessionFormat, 20))
    location: Mapped[str | None] = mapped_column(sa.String(200))
    #: Topic keys of lms.mentoring.taxonomy.TOPICS.
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: People present who are not members of the unit: [{"sex", "agency_type", "count"}].
    others: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: Pseudonymous case codes (never names), e.g. "KG-2026-014".
    case_refs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    objectives: Mapped[str | None] = mapped_column(SealedText)
    #: Markdown, sanitised when shown.
    observations: Mapped[str | None] = mapped_column(SealedText)
    challenges: Mapped[str | None] = mapped_column(SealedText)
    #: Why a text was saved although the guard found something that looked like personal
    #: data (the findings' kinds are in the audit trail, never their values).
    pii_override: Mapped[str | None] = mapped_column(SealedText)
    #: Follow-ups of earlier actions written in a draft (sealed JSON), applied on submission.
    pending_follow_ups: Mapped[str | None] = mapped_column(SealedText)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    mentors: Mapped[list[User]] = relationship(secondary=session_mentor, order_by="User.full_name")
    attendees: Mapped[list[SessionAttendee]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )
    actions: Mapped[list[ActionPoint]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        foreign_keys="ActionPoint.session_id",
        order_by="ActionPoint.id",
    )

    @property
    def others_total(self) -> int:
        return sum(int(row.get("count", 0)) for row in self.others or [])


class SessionAttendee(db.Model):
    """A member of the unit who attended; sex and agency are read from the person."""

    __tablename__ = "mentoring_attendee"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentoring_session.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True, index=True
    )

    session: Mapped[MentoringSession] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class ActionPoint(db.Model):
    """What the unit agreed to do: an owner among its members, a due date, a status."""

    __tablename__ = "action_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentoring_session.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(SealedText)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(
        value_enum(ActionStatus, 20), default=ActionStatus.OPEN
    )
    closed_on: Mapped[date | None]
    #: The session in which it was closed (done or dropped), if it was closed in one.
    closed_in_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mentoring_session.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[MentoringSession] = relationship(
        back_populates="actions", foreign_keys=[session_id]
    )
    owner: Mapped[User | None] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionUpdate.id"
    )

    def is_overdue(self, today: date) -> bool:
        return self.status is ActionStatus.OPEN and self.due_on is not None and self.due_on < today


class ActionUpdate(db.Model):
    """A follow-up note on an action point, with the status it set."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_point.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mentoring_session.id", ondelete="SET NULL")
    )
    status: Mapped[ActionStatus] = mapped_column(value_enum(ActionStatus, 20))
    note: Mapped[str | None] = mapped_column(SealedText)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[ActionPoint] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()


class SessionRevision(db.Model):
    """What a submitted session said before an edit (sealed JSON), kept for the record."""

    __tablename__ = "mentoring_session_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentoring_session.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    content: Mapped[str] = mapped_column(SealedText)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    edited_by: Mapped[User | None] = relationship()


class AssessmentKind(enum.StrEnum):
    BASELINE = "baseline"
    PERIODIC = "periodic"


class UnitAssessment(db.Model):
    """A capacity scorecard of a unit on a day: a level from 1 to 4 for each competency of
    lms.mentoring.taxonomy.COMPETENCIES (a baseline first, then periodic ones)."""

    __tablename__ = "unit_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    assessed_on: Mapped[date]
    kind: Mapped[AssessmentKind] = mapped_column(value_enum(AssessmentKind, 20))
    #: {competency key: level 1–4}; a competency not assessed is absent.
    levels: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(SealedText)
    assessed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessed_by: Mapped[User | None] = relationship()


#: What a unit reports for a period: totals only, never a case.
RESULT_FIELDS = (
    "investigations_opened",
    "financial_investigations",
    "prosecutions",
    "victims_identified",
    "victims_referred",
)


#: What each total is called on pages and in exports.
RESULT_LABELS = {
    "investigations_opened": _l("Investigations opened (trafficking or smuggling)"),
    "financial_investigations": _l("Parallel financial investigations opened"),
    "prosecutions": _l("Cases sent for prosecution"),
    "victims_identified": _l("Victims identified"),
    "victims_referred": _l("Victims referred to assistance"),
}


class UnitResult(db.Model):
    """A unit's totals for one quarter (they feed the programme's outcome indicators)."""

    __tablename__ = "unit_result"
    __table_args__ = (sa.UniqueConstraint("unit_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    #: First and last day of the quarter.
    period_start: Mapped[date]
    period_end: Mapped[date]
    investigations_opened: Mapped[int] = mapped_column(default=0)
    #: Parallel financial investigations opened.
    financial_investigations: Mapped[int] = mapped_column(default=0)
    prosecutions: Mapped[int] = mapped_column(default=0)
    victims_identified: Mapped[int] = mapped_column(default=0)
    victims_referred: Mapped[int] = mapped_column(default=0)
    reported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
