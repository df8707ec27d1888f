"""People and their role grants."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Role(enum.StrEnum):
    """What a person may do. Trainer, mentor and coordinator grants are scoped later."""

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


class User(db.Model):
    """A person who signs in: an officer, a trainer, a mentor, a coordinator or an admin."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; many officers have no e-mail, so this, not the e-mail, identifies them.
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: Full name as written in the person's own script.
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: argon2id hash in PHC string format; None until an account is activated.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: Preferred interface language (a code from LANGUAGES); None follows the browser.
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
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
        return frozenset(grant.role for grant in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleGrant(db.Model):
    """One role held by one user."""

    __tablename__ = "role_grant"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(
            Role,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
