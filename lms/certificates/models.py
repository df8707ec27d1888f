"""Certificates: one per completed enrolment, its facts frozen at issue, its PDF stored
in the database (shared by every app host, never a local disk)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    #: A later certificate for the same course replaced it (after a retake).
    SUPERSEDED = "superseded"


class Certificate(db.Model):
    """A certificate of completion. Everything printed on it is recorded here when it is
    issued, so later changes (a corrected name, a new course version, a new template)
    never alter it; the serial is the public handle."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Compact serial (16 characters of Crockford base 32, the last a check character).
    serial: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: One certificate per completion: the unique enrolment is what makes concurrent
    #: issues of the same completion give one certificate.
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id", ondelete="RESTRICT"), unique=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="RESTRICT"))
    course_version: Mapped[str] = mapped_column(sa.String(40))
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    #: The holder's country when issued (scopes revocation and the verify page's naming).
    country_code: Mapped[str | None] = mapped_column(sa.String(2), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    holder_name_latin: Mapped[str | None] = mapped_column(sa.String(200))
    course_title: Mapped[str] = mapped_column(sa.String(300))
    #: Language of the certificate (its template's).
    language: Mapped[str] = mapped_column(sa.String(20))
    template: Mapped[str] = mapped_column(sa.String(100))
    completed_on: Mapped[date] = mapped_column(sa.Date)
    #: The last day it is valid (the course's validity from completion); None: no end.
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Per cent; None when the course has no such test.
    pre_score: Mapped[float | None] = mapped_column(sa.Float)
    post_score: Mapped[float | None] = mapped_column(sa.Float)
    hours: Mapped[float | None] = mapped_column(sa.Float)
    #: The issuing organisations as printed (UNODC and the national training institution).
    issuers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[CertificateStatus] = mapped_column(
        value_enum(CertificateStatus, 20), default=CertificateStatus.VALID
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The certificate that replaced this one after a retake.
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificate.id", ondelete="SET NULL")
    )
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The Open Badges 3.0 credential, a JWT signed with Ed25519 (lms.certificates.credentials).
    credential: Mapped[str | None] = mapped_column(sa.Text)

    pdf: Mapped[CertificatePdf | None] = relationship(
        back_populates="certificate", uselist=False, lazy="raise_on_sql"
    )

    def state(self, today: date) -> str:
        """What the verification page says: "valid", "expired", "revoked", "superseded"."""
        if self.status is CertificateStatus.VALID and self.expires_on and today > self.expires_on:
            return "expired"
        return self.status.value

    @property
    def gain(self) -> float | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return round(self.post_score - self.pre_score, 1)


class CertificatePdf(db.Model):
    """The rendered PDF, frozen at issue (a table of its own, so lists never load it)."""

    __tablename__ = "certificate_pdf"

    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="pdf")


class BundleStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CertificateBundle(db.Model):
    """A cohort's certificates as one ZIP file, built by a background job (or at once
    without Redis); ``done`` of ``total`` is its progress."""

    __tablename__ = "certificate_bundle"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    status: Mapped[BundleStatus] = mapped_column(
        value_enum(BundleStatus, 20), default=BundleStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    #: Holders to print activation slips for (chosen when requested, by who may issue
    #: them); a fresh code each is issued when the ZIP is built.
    slips_for: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: Slips the ZIP holds: such a file is for its requester's hands only.
    slips: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The ZIP file once built (in the database: every app host can serve it).
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
