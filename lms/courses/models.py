"""Courses, modules and lessons as loaded from the content folders.

Texts are kept per language (``{"en": {...}, "ru": {...}}``); a lesson's content lives in
immutable versions, so an edit never rewrites what a learner read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: Where its files are (for messages and `lms content list`).
    folder: Mapped[str] = mapped_column(sa.String(500))
    #: language → {"title", "summary"}; the first language of ``languages`` is the original.
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    languages: Mapped[list[str]] = mapped_column(sa.JSON)
    version: Mapped[str] = mapped_column(sa.String(40))
    audience: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    estimated_hours: Mapped[float] = mapped_column(default=1.0)
    pass_mark: Mapped[int] = mapped_column(default=70)
    #: [{"id", "text"}] learning objectives, referred to by lessons and question tags.
    objectives: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    #: The assessments (question banks for now) used as pre- and post-test; None: no test.
    pre_test: Mapped[str | None] = mapped_column(sa.String(200))
    post_test: Mapped[str | None] = mapped_column(sa.String(200))
    #: Test definitions by kind ("pre", "post", "check:<module>"): bank, forms, items,
    #: time limit, attempts, pass mark, what is revealed (see docs/content-format.md).
    tests: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    self_enrolment: Mapped[bool] = mapped_column(default=True)
    requires_attendance: Mapped[bool] = mapped_column(default=False)
    #: Share of a cohort's days (per cent) a learner must attend when attendance is required.
    min_attendance: Mapped[int] = mapped_column(default=100, server_default="100")
    #: Years a certificate of the course stays valid; None: it does not expire.
    certificate_valid_years: Mapped[int | None] = mapped_column()
    #: sha256 of the course as read: a sync with the same hash writes nothing.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position"
    )


class Module(db.Model):
    __tablename__ = "course_module"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    #: The module's folder name.
    key: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position"
    )


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (sa.UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_module.id", ondelete="CASCADE"), index=True
    )
    #: The lesson's file name without .md.
    key: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    objectives: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    current_version: Mapped[int] = mapped_column(default=1)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="lessons")


class LessonVersion(db.Model):
    """One version of a lesson in all its languages; never changed once written."""

    __tablename__ = "lesson_version"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lesson.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column()
    #: language → {"title", "html" (sanitised at sync), "file"}.
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
