"""Account rules: creating people, granting roles, checking passwords.

Services never commit: the caller (view, CLI command, test) owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lms.accounts import passwords
from lms.accounts.models import Role, RoleGrant, User
from lms.errors import Conflict, Invalid
from lms.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")

#: Verified against when the username is unknown, so both paths cost one argon2 verify.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"  # noqa: S105


def _hash_params() -> Mapping[str, int]:
    return current_app.config["PASSWORD_HASH"]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def validate_password(password: str) -> None:
    """Raise :class:`Invalid` unless the password meets the length rules (ASVS 6.2.1, 6.2.9)."""
    if len(password) < passwords.MIN_LENGTH:
        raise Invalid(
            gettext("The password must be at least %(n)d characters long.", n=passwords.MIN_LENGTH),
            field="password",
        )
    if len(password) > passwords.MAX_LENGTH:
        raise Invalid(
            gettext("The password must be at most %(n)d characters long.", n=passwords.MAX_LENGTH),
            field="password",
        )


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def create_user(
    *,
    username: str,
    full_name: str,
    password: str | None,
    roles: Iterable[Role] = (Role.LEARNER,),
    email: str | None = None,
    locale: str | None = None,
    now: datetime,
) -> User:
    """Create a user with the given roles.

    :raises Invalid: the username or password breaks a rule.
    :raises Conflict: the username is taken.
    """
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise Invalid(
            gettext(
                "A username has 2 to 100 characters: Latin letters, digits and . _ @ - "
                "(starting with a letter or digit)."
            ),
            field="username",
        )
    if not full_name.strip():
        raise Invalid(gettext("The full name is required."), field="full_name")
    if get_user_by_username(username) is not None:
        raise Conflict(gettext("The username %(u)s is taken.", u=username), field="username")
    if password is not None:
        validate_password(password)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email,
        locale=locale,
        password_hash=passwords.hash_password(password, _hash_params()) if password else None,
        created_at=now,
    )
    user.grants = [RoleGrant(role=role, granted_at=now) for role in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """Return the active user whose password matches, or None.

    Unknown users cost the same work as known ones, so timing does not reveal usernames.
    A hash made with outdated parameters is replaced by one with the current parameters.
    """
    params = _hash_params()
    user = get_user_by_username(username)
    if user is None or user.password_hash is None:
        passwords.verify_password(_dummy_hash(params), password, params)
        return None
    if not passwords.verify_password(user.password_hash, password, params):
        return None
    if not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash, params):
        user.password_hash = passwords.hash_password(password, params)
    return user


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash(params: Mapping[str, int]) -> str:
    key = (params["time_cost"], params["memory_cost"], params["parallelism"])
    if key not in _dummy_hashes:
        _dummy_hashes[key] = passwords.hash_password(_DUMMY_PASSWORD, params)
    return _dummy_hashes[key]
