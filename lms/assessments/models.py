"""Question banks: banks → categories → questions, each question a series of versions.

A question keeps a stable key (its ``[id:…]`` in GIFT, else a key made from its name);
editing or re-importing different content adds a version and never rewrites one, so an
attempt can pin the exact version it was scored on.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db


class QuestionBank(db.Model):
    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: Where it comes from: "content" (the assessments folder, kept in step by
    #: `lms content sync`) or "upload" (the command line or the web page).
    origin: Mapped[str] = mapped_column(sa.String(20), default="upload")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    categories: Mapped[list[QuestionCategory]] = relationship(
        back_populates="bank", order_by="QuestionCategory.position"
    )


class QuestionCategory(db.Model):
    """A ``$CATEGORY:`` path inside a bank."""

    __tablename__ = "question_category"
    __table_args__ = (sa.UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question_bank.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(500))
    #: Order of first appearance in the bank's file.
    position: Mapped[int] = mapped_column(default=0)

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")


class Question(db.Model):
    """A question's identity in its bank; its content lives in versions."""

    __tablename__ = "question"
    __table_args__ = (sa.UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question_bank.id", ondelete="CASCADE"), index=True
    )
    #: The GIFT ``[id:…]`` when given (``id:…``), else made from the name (``name:…``).
    key: Mapped[str] = mapped_column(sa.String(300))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_category.id", ondelete="SET NULL")
    )
    #: Order in the bank's file (export keeps it).
    position: Mapped[int] = mapped_column(default=0)
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the question left its bank's file; kept for the attempts that used it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bank: Mapped[QuestionBank] = relationship()
    category: Mapped[QuestionCategory | None] = relationship()
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.version"
    )


class QuestionVersion(db.Model):
    """One version of a question's content; never changed once written."""

    __tablename__ = "question_version"
    __table_args__ = (sa.UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column()
    qtype: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(255))
    #: The question as read (the fields of ParsedQuestion), to write it back exactly.
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: sha256 of the canonical content: an import with the same hash adds no version.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    #: The question text as safe HTML for display (sanitised once, here).
    text_html: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="versions")


class BankUpload(db.Model):
    """An uploaded bank file kept between its preview and its confirmation."""

    __tablename__ = "bank_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(200))
    format: Mapped[str] = mapped_column(sa.String(10))
    bank_name: Mapped[str] = mapped_column(sa.String(200))
    #: The bytes until imported; None afterwards.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")


class AttemptStatus(enum.StrEnum):
    #: Being answered; answers autosave.
    OPEN = "open"
    #: Submitted; an essay waits for the trainer's mark before the result counts.
    MARKING = "marking"
    #: Submitted and scored.
    SCORED = "scored"


class AttemptSource(enum.StrEnum):
    ONLINE = "online"
    #: Answered on paper in a classroom; a trainer entered the answers.
    CLASSROOM = "classroom"


class Attempt(db.Model):
    """One sitting of a test by one learner, pinned to the question versions it showed.

    Submitting is a conditional update of ``submitted_at`` (``WHERE submitted_at IS NULL``),
    so a double click or concurrent submits score once. At most one attempt per enrolment
    and test is open at a time, and attempt numbers are unique per enrolment and test.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "test_key", "number"),
        sa.Index(
            "ux_attempt_open",
            "enrolment_id",
            "test_key",
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    #: The learner (also on the enrolment; kept here for scoped queries and reports).
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    #: Which of the course's tests: "pre", "post" or "check:<module folder>".
    test_key: Mapped[str] = mapped_column(sa.String(130))
    number: Mapped[int] = mapped_column(default=1)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id"))
    #: The bank category the items came from (form A or B of a counterbalanced pair).
    form: Mapped[str | None] = mapped_column(sa.String(500))
    #: The language of the bank version shown.
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    source: Mapped[AttemptSource] = mapped_column(
        value_enum(AttemptSource, 20), default=AttemptSource.ONLINE
    )
    #: For classroom attempts: the trainer who entered the answers.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[AttemptStatus] = mapped_column(
        value_enum(AttemptStatus, 20), default=AttemptStatus.OPEN
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The time limit, enforced by the server: after it the attempt is submitted as saved.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Sum of the items' fractions (each item is worth one point).
    points: Mapped[float | None] = mapped_column(sa.Float)
    max_points: Mapped[int] = mapped_column(default=0)
    #: Per cent, 0–100, once scored.
    score: Mapped[float | None] = mapped_column(sa.Float)
    passed: Mapped[bool | None] = mapped_column()
    pass_mark: Mapped[float] = mapped_column(sa.Float, default=70.0)

    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )


class AttemptItem(db.Model):
    """One question of an attempt: the exact version shown, the order of its options, the
    response saved, and its score (a fraction of one point)."""

    __tablename__ = "attempt_item"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_version.id"))
    #: The order the options were shown in (lms.assessments.qtypes.Presentation).
    presentation: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    response: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 0..1 once scored; None while unscored or waiting for a mark.
    fraction: Mapped[float | None] = mapped_column(sa.Float)
    needs_marking: Mapped[bool] = mapped_column(default=False)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mark_note: Mapped[str | None] = mapped_column(sa.Text)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version = relationship("QuestionVersion")
