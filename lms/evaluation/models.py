"""Evaluation records: the surveys a course uses, named responses, anonymous responses,
and the marks that say a survey was answered.

An **anonymous** response (:class:`AnonymousResponse`) has no column that could lead back
to a person: no user, no enrolment, a random key instead of a counter (so the order of
insertion is not kept), and the day instead of the time. What the enrolment records is
only *that* it was answered, and on which day (:class:`SurveyInvitation`)."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import AgencyType, Sex
from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db


class SurveyKind(enum.StrEnum):
    """Which of a course's surveys: the end-of-course feedback or the follow-up."""

    FEEDBACK = "feedback"
    FOLLOW_UP = "follow_up"


class Offered(enum.StrEnum):
    """When the feedback is offered: before the certificate is shown, or after it."""

    BEFORE_CERTIFICATE = "before_certificate"
    AFTER_CERTIFICATE = "after_certificate"


class ResponseSource(enum.StrEnum):
    ONLINE = "online"
    PHONE = "phone"
    PAPER = "paper"


SOURCE_LABELS = {
    ResponseSource.ONLINE: _l("Online"),
    ResponseSource.PHONE: _l("By telephone"),
    ResponseSource.PAPER: _l("On paper"),
}


class SurveyVersion(db.Model):
    """A survey definition as it was synced (lms.evaluation.definitions); a changed
    definition is a new version, and responses keep the one they answered."""

    __tablename__ = "survey_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The survey's name in the content (e.g. "feedback", from _surveys/feedback.yaml).
    key: Mapped[str] = mapped_column(sa.String(80))
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseSurvey(db.Model):
    """A survey a course uses (from its surveys.yaml)."""

    __tablename__ = "course_survey"
    __table_args__ = (sa.UniqueConstraint("course_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    kind: Mapped[SurveyKind] = mapped_column(value_enum(SurveyKind, 20))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_version.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    #: Feedback only: offered before or after the certificate.
    offered: Mapped[Offered] = mapped_column(
        value_enum(Offered, 20), default=Offered.AFTER_CERTIFICATE
    )
    #: Follow-up only: months after completion at which it is due, e.g. [3, 6].
    months: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    version: Mapped[SurveyVersion] = relationship()


class SurveyResponse(db.Model):
    """A named response: a draft until submitted, then fixed."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "wave"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_version.id"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: "feedback", or the follow-up's month: "3", "6".
    wave: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    source: Mapped[ResponseSource] = mapped_column(
        value_enum(ResponseSource, 10), default=ResponseSource.ONLINE
    )
    #: Who typed it in (a coordinator or mentor, for answers taken by phone or on paper).
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[SurveyVersion] = relationship()


def _random_key() -> str:
    return secrets.token_hex(16)


class AnonymousResponse(db.Model):
    """A response to an anonymous survey: the answers and the groups they are reported
    by, nothing that identifies who gave them."""

    __tablename__ = "anonymous_response"

    #: Random, so that the order responses arrived in cannot be matched to anything.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=_random_key)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_version.id"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort.id", ondelete="SET NULL"))
    wave: Mapped[str] = mapped_column(sa.String(20))
    #: The day only, never the time.
    answered_on: Mapped[date]
    sex: Mapped[Sex] = mapped_column(value_enum(Sex, 20))
    country_code: Mapped[str | None] = mapped_column(sa.String(2))
    agency_type: Mapped[AgencyType | None] = mapped_column(value_enum(AgencyType, 30))
    source: Mapped[ResponseSource] = mapped_column(
        value_enum(ResponseSource, 10), default=ResponseSource.ONLINE
    )
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class SurveyInvitation(db.Model):
    """An enrolment's part in one wave of a survey: when it was answered (the day) and
    when the learner was last reminded. For an anonymous survey this is the only trace."""

    __tablename__ = "survey_invitation"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "wave"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    wave: Mapped[str] = mapped_column(sa.String(20))
    answered_on: Mapped[date | None]
    reminded_on: Mapped[date | None]


class ApplicationConfirmation(db.Model):
    """A mentor's or coordinator's word on whether an officer applies what the course
    taught, for one follow-up wave (Kirkpatrick level 3, observed)."""

    __tablename__ = "application_confirmation"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "wave", "confirmed_by_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    wave: Mapped[str] = mapped_column(sa.String(20))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    observed: Mapped[bool]
    #: A line on what was seen (no case details).
    note: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
