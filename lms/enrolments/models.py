"""Enrolments and lesson progress. The enrolment owns the gate state of the learner's path."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


def _enum(kind: type[enum.Enum], length: int = 20) -> sa.Enum:
    return value_enum(kind, length)


class CohortMode(enum.StrEnum):
    ONLINE = "online"
    FACE_TO_FACE = "face-to-face"
    BLENDED = "blended"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    #: Absent with a reason the trainer accepted; it still does not count as present.
    EXCUSED = "excused"


class Cohort(db.Model):
    """A training event for a course: a group of learners taught together."""

    __tablename__ = "cohort"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="cohort_dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Where the event takes place (it counts in reports beside each officer's own country).
    country_code: Mapped[str] = mapped_column(sa.ForeignKey("country.code"), index=True)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    mode: Mapped[CohortMode] = mapped_column(_enum(CohortMode), default=CohortMode.ONLINE)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    #: Days of the week with classes (0 Monday … 6 Sunday): attendance is taken on them.
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: list(range(7)))
    #: Open to officers of other countries, whose coordinators may then enrol them.
    regional: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    course = relationship("Course")
    trainers: Mapped[list[CohortTrainer]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )

    @property
    def in_person(self) -> bool:
        """Face-to-face or blended: it has class days on which attendance is taken."""
        return self.mode is not CohortMode.ONLINE

    @property
    def lessons_in_class(self) -> bool:
        """Face-to-face: the lessons are taught in the classroom, so attending enough class
        days stands for reading them online (a blended cohort reads them online)."""
        return self.mode is CohortMode.FACE_TO_FACE

    @property
    def attendance_counts(self) -> bool:
        """Do the attendance marks open a gate (the course's, or the lessons taught in
        class)?"""
        return self.in_person and (self.course.requires_attendance or self.lessons_in_class)

    def days(self) -> list[date]:
        """The class days of an event held in person, first to last (none when online)."""
        if not self.in_person:
            return []
        weekdays = set(self.weekdays or range(7))
        every = range(self.starts_on.toordinal(), self.ends_on.toordinal() + 1)
        return [d for d in map(date.fromordinal, every) if d.weekday() in weekdays]


class CohortTrainer(db.Model):
    """A trainer of a cohort: trainers see and act only on their cohorts."""

    __tablename__ = "cohort_trainer"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="trainers")
    user = relationship("User")


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
    #: The training event the learner takes the course with (None: on their own).
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(
        _enum(EnrolmentStatus), default=EnrolmentStatus.ACTIVE
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Gate: the pre-test was taken (set by the assessments domain through enrolment services).
    pre_test_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Gate: every lesson of the course is complete.
    lessons_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Counterbalanced forms: 0 takes form A as pre-test and B as post-test, 1 the reverse
    #: (assigned when the first test starts, alternating within the cohort).
    form_order: Mapped[int | None] = mapped_column()
    #: Gate: attended enough days of the cohort (courses that require attendance).
    attendance_met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Gate: the post-test was passed.
    post_test_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Recorded once; a re-sync or a retake never rewrites it.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The lesson the learner last opened ("resume where I left off").
    last_lesson_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lesson.id", ondelete="SET NULL")
    )

    course = relationship("Course")
    user = relationship("User")
    cohort: Mapped[Cohort | None] = relationship()


class Attendance(db.Model):
    """Whether a learner of a cohort was there on one day, as the trainer recorded it."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )


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
