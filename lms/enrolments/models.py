"""Enrolments and lesson progress. The enrolment owns the gate state of the learner's path."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Enrolment(db.Model):
    """One person taking one course once; re-taking after completion is a new enrolment."""

    __tablename__ = "enrolment"
    __table_args__ = (
        # At most one enrolment in progress per person and course.
        sa.Index(
            "ux_enrolment_active",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(
        sa.Enum(
            EnrolmentStatus,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=EnrolmentStatus.ACTIVE,
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Gate: the pre-test was taken (set by the assessments domain through enrolment services).
    pre_test_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Gate: every lesson of the course is complete.
    lessons_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Gate: the post-test was passed.
    post_test_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Recorded once; a re-sync or a retake never rewrites it.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The lesson the learner last opened ("resume where I left off").
    last_lesson_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lesson.id", ondelete="SET NULL")
    )

    course = relationship("Course")


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id", ondelete="CASCADE"))
    #: The lesson version the learner completed (content edits add versions).
    version: Mapped[int] = mapped_column(default=1)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
