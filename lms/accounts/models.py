"""Organisations (countries → agencies → units), people, their unit history and role grants."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow, value_enum
from lms.extensions import db


def _enum(cls: type[enum.Enum], length: int = 30) -> sa.Enum:
    return value_enum(cls, length)


class Role(enum.StrEnum):
    """What a person may do. Coordinator grants carry a country scope (or none: all)."""

    LEARNER = "learner"
    TRAINER = "trainer"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


#: Role names as people read them, in their language.
ROLE_LABELS = {
    Role.LEARNER: _l("Learner"),
    Role.TRAINER: _l("Trainer"),
    Role.MENTOR: _l("Mentor"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}


class AgencyType(enum.StrEnum):
    POLICE = "police"
    PROSECUTION = "prosecution"
    JUDICIARY = "judiciary"
    BORDER = "border"
    LABOUR_INSPECTION = "labour_inspection"
    FINANCIAL_INTELLIGENCE = "financial_intelligence"
    OTHER = "other"


AGENCY_TYPE_LABELS = {
    AgencyType.POLICE: _l("Police and investigation"),
    AgencyType.PROSECUTION: _l("Prosecution"),
    AgencyType.JUDICIARY: _l("Judiciary"),
    AgencyType.BORDER: _l("Border and migration"),
    AgencyType.LABOUR_INSPECTION: _l("Labour inspection"),
    AgencyType.FINANCIAL_INTELLIGENCE: _l("Financial intelligence"),
    AgencyType.OTHER: _l("Other"),
}


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


SEX_LABELS = {
    Sex.FEMALE: _l("Female"),
    Sex.MALE: _l("Male"),
    Sex.OTHER: _l("Other"),
    Sex.UNDISCLOSED: _l("Not disclosed"),
}


class Country(db.Model):
    """An ISO 3166-1 country. Names come from CLDR in the reader's language."""

    __tablename__ = "country"

    #: ISO 3166-1 alpha-2 code, upper case.
    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    #: One of the programme's beneficiary countries (shown first, reported on).
    is_beneficiary: Mapped[bool] = mapped_column(default=False)


class Agency(db.Model):
    """A national institution: a ministry's police, a prosecution service, a court system."""

    __tablename__ = "agency"
    __table_args__ = (sa.UniqueConstraint("country_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.ForeignKey("country.code"), index=True)
    #: Name as the agency writes it (native script).
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Latin-script or English name, for reports read by the donor.
    name_latin: Mapped[str | None] = mapped_column(sa.String(200))
    type: Mapped[AgencyType] = mapped_column(_enum(AgencyType))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    country: Mapped[Country] = relationship()
    units: Mapped[list[Unit]] = relationship(
        back_populates="agency", order_by="Unit.name", cascade="all, delete-orphan"
    )


class Unit(db.Model):
    """A team inside an agency, such as a dedicated anti-trafficking unit."""

    __tablename__ = "unit"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_latin: Mapped[str | None] = mapped_column(sa.String(200))
    #: A unit dedicated to TIP/SOM cases (the programme mentors these).
    is_specialised: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="units")


class User(db.Model):
    """A person who signs in: an officer, a trainer, a mentor, a coordinator or an admin."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; many officers have no e-mail, so this, not the e-mail, identifies them.
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: Full name as written in the person's own script.
    full_name: Mapped[str] = mapped_column(sa.String(200))
    #: The same name in Latin letters (passport spelling where known).
    full_name_latin: Mapped[str | None] = mapped_column(sa.String(200))
    given_name: Mapped[str | None] = mapped_column(sa.String(100))
    family_name: Mapped[str | None] = mapped_column(sa.String(100))
    patronymic: Mapped[str | None] = mapped_column(sa.String(100))
    #: Script- and spelling-independent tokens of every name given (see accounts/names.py),
    #: space-separated with a space at each end, for finding the same person twice.
    name_key: Mapped[str] = mapped_column(sa.String(400), default="")
    sex: Mapped[Sex] = mapped_column(_enum(Sex), default=Sex.UNDISCLOSED)
    #: Position or rank as the person states it.
    position: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: The country the person serves in; scopes what coordinators see.
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("country.code"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    #: Current unit; the history is in UnitAssignment.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: argon2id hash in PHC string format; None until an account is activated.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: Preferred language (any code); the interface falls back where it has no translation.
    locale: Mapped[str | None] = mapped_column(sa.String(20))
    #: The person agreed to show their pre- and post-test scores as evidence in the signed
    #: credential of each certificate issued from now on (off unless they choose it).
    share_scores: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sha256 of a one-time activation code (printed on a slip); None when none is pending.
    activation_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sha256 of an e-mailed password-reset token; None when none is pending.
    reset_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP seed, encrypted with a key derived from the app's secret (lms.crypto).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    #: When two-factor sign-in was confirmed; None while it is not set up.
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: Set when this record was merged into another person's; the record stays for history.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    country: Mapped[Country | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    merged_into: Mapped[User | None] = relationship(remote_side=[id])
    #: Where the person served, oldest first; the current one has no end.
    assignments: Mapped[list[UnitAssignment]] = relationship(
        foreign_keys="UnitAssignment.user_id",
        order_by="(UnitAssignment.started_at, UnitAssignment.id)",
        cascade="all, delete-orphan",
    )
    #: Every grant ever made, revoked ones included (write through this).
    grant_history: Mapped[list[RoleGrant]] = relationship(
        foreign_keys="RoleGrant.user_id",
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="RoleGrant.id",
    )
    #: The grants in force (read-only; expire it after changing grants).
    grants: Mapped[list[RoleGrant]] = relationship(
        primaryjoin="and_(RoleGrant.user_id == User.id, RoleGrant.revoked_at.is_(None))",
        viewonly=True,
        lazy="selectin",
        order_by="RoleGrant.id",
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> frozenset[Role]:
        """Roles of the grants in force."""
        return frozenset(grant.role for grant in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def coordinated_countries(self) -> frozenset[str] | None:
        """Countries this user coordinates: None means all, an empty set means none."""
        codes: set[str] = set()
        for grant in self.grants:
            if grant.role is Role.COORDINATOR:
                if grant.country_code is None:
                    return None
                codes.add(grant.country_code)
        return frozenset(codes)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleGrant(db.Model):
    """One role held by one user, with its scope and dates. Revoking keeps the record."""

    __tablename__ = "role_grant"
    __table_args__ = (
        sa.CheckConstraint(
            "country_code IS NULL OR role = 'coordinator'", name="country_only_for_coordinators"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, 20))
    #: For coordinators: the country they coordinate; None means every country.
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("country.code"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="grant_history")


class UnitAssignment(db.Model):
    """A period a person served in a unit (or agency): training follows the person."""

    __tablename__ = "unit_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    position: Mapped[str | None] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while the assignment is current.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship()
    unit: Mapped[Unit | None] = relationship()


class UserSession(db.Model):
    """A signed-in session, kept on the server so that signing out really ends it.

    The browser's cookie holds a random token; only its sha256 is stored here.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The absolute end of the session, whatever the activity.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it ended: logout, password_change, deactivated, admin, user.
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(30))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed sign-ins counted per username and per client address, shared by all workers."""

    __tablename__ = "login_throttle"

    #: "user:<username>" or "ip:<address>".
    key: Mapped[str] = mapped_column(sa.String(150), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator once (ten per enrolment)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportBatch(db.Model):
    """An uploaded user file, kept between its preview and its confirmation.

    The file lives in the database (not on one app host), and is dropped once imported.
    """

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: The uploaded bytes until the batch is imported or discarded; None afterwards.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    update_existing: Mapped[bool] = mapped_column(default=False)
    #: pending (previewed), imported.
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The import's report (counts, per-line outcomes; never a code or a password).
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class ApiToken(db.Model):
    """A personal access token for the JSON API; only its sha256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: What the person called it ("monitoring spreadsheet").
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, shown so that people can tell theirs apart.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
