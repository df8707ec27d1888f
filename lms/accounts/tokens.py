"""Personal access tokens for the JSON API: made by the person, shown once, stored hashed."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from lms import audit, crypto
from lms.accounts.models import ApiToken, User
from lms.errors import Conflict, Invalid
from lms.extensions import db

#: Tokens look like ``lms_<43 characters>`` so that secret scanners can recognise them.
PREFIX = "lms_"
MAX_TOKENS = 20
TOUCH_EVERY = timedelta(minutes=5)


def create_token(
    user: User, *, name: str, now: datetime, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return it and its secret (never stored, shown once).

    :raises Invalid: no name, or an expiry in the past.
    :raises Conflict: the person has too many tokens.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(gettext("Give the token a name of up to 100 characters."), field="name")
    if expires_at is not None and expires_at <= now:
        raise Invalid(gettext("The expiry date must be in the future."), field="expires_at")
    live = db.session.scalar(
        sa.select(sa.func.count()).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if live >= MAX_TOKENS:
        raise Conflict(gettext("You have %(n)d tokens: revoke one first.", n=MAX_TOKENS))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=crypto.token_hash(secret),
        prefix=secret[: len(PREFIX) + 4],
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", actor=user, obj=user, now=now, token_id=token.id)
    return token, secret


def resolve_token(secret: str, *, now: datetime) -> ApiToken | None:
    """The live token for a bearer secret, or None (unknown, revoked, expired, user off)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == crypto.token_hash(secret))
        .options(sa.orm.joinedload(ApiToken.user))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and now >= token.expires_at:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(token: ApiToken, *, actor: User | None, now: datetime) -> None:
    if token.revoked_at is not None:
        raise Conflict(gettext("This token has already been revoked."))
    token.revoked_at = now
    audit.record("token.revoke", actor=actor, obj=token.user, now=now, token_id=token.id)
