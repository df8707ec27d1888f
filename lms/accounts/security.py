"""Sign-in security: server-side sessions, throttling, two-factor codes, activation and resets.

Services never commit and never read the request: callers pass the time, the client's
address and the settings. Every decision that matters is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import pyotp
import sqlalchemy as sa
from flask_babel import gettext
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from lms import audit, crypto
from lms.accounts import passwords
from lms.accounts.models import LoginThrottle, RecoveryCode, Role, User, UserSession
from lms.errors import Conflict, Invalid
from lms.extensions import db

#: Roles whose holders must sign in with a second factor.
ROLES_REQUIRING_2FA = frozenset({Role.TRAINER, Role.MENTOR, Role.COORDINATOR, Role.ADMIN})
RECOVERY_CODES = 10
TOTP_PURPOSE = "totp-seed"


@dataclass(frozen=True)
class Settings:
    """The security settings that services need, read from the app config by the caller."""

    secret_key: str
    hash_params: Mapping[str, int]
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=5)
    max_failures: int = 5
    max_failures_per_ip: int = 50
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    require_2fa_for_all: bool = False
    activation_lifetime: timedelta = timedelta(days=30)
    reset_lifetime: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            secret_key=config.get("ENCRYPTION_KEY") or config["SECRET_KEY"],
            hash_params=config["PASSWORD_HASH"],
            idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
            max_failures=config["LOGIN_MAX_FAILURES"],
            max_failures_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
            failure_window=timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
            lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
            require_2fa_for_all=config["REQUIRE_2FA_FOR_ALL"],
            activation_lifetime=timedelta(days=config["ACTIVATION_CODE_DAYS"]),
        )


# --- Passwords -----------------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


#: zxcvbn's score a password must reach (3: "safely unguessable", resists offline guessing
#: against a slow hash); its English dictionaries only make other languages score higher.
MIN_STRENGTH = 3


def check_password_rules(
    password: str, *, username: str | None = None, names: tuple[str, ...] = ()
) -> None:
    """ASVS 6.2: length over composition, no common or easily guessed passwords.

    Guessability is estimated with zxcvbn (dictionaries, keyboard walks, repeats, dates),
    counting the username and the person's names as known words.

    :raises Invalid: with the reason, on the ``password`` field.
    """
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
    folded = password.casefold()
    if folded in _common_passwords() or len(set(folded)) <= 2:
        raise Invalid(gettext("This password is too common: choose another."), field="password")
    if username and username.casefold() in folded:
        raise Invalid(gettext("The password must not contain the username."), field="password")
    known = [word for word in (username, *names) if word]
    # zxcvbn reads at most 72 characters; a longer phrase is judged by its beginning.
    if zxcvbn(password[:72], user_inputs=known)["score"] < MIN_STRENGTH:
        raise Invalid(
            gettext("This password is too easy to guess. Use a longer phrase of unrelated words."),
            field="password",
        )


def set_password(user: User, password: str, *, settings: Settings, now: datetime) -> None:
    """Set a new password; every other session of the user ends."""
    check_password_rules(
        password,
        username=user.username,
        names=tuple(n for n in (user.full_name, user.full_name_latin) if n),
    )
    user.password_hash = passwords.hash_password(password, settings.hash_params)
    user.password_changed_at = now
    user.activation_code_hash = user.activation_expires_at = None
    user.reset_token_hash = user.reset_expires_at = None


# --- Server-side sessions ------------------------------------------------------------------


def start_session(
    user: User, *, settings: Settings, now: datetime, ip: str | None, user_agent: str | None
) -> str:
    """Open a session for ``user``; return the raw token for the cookie (never stored)."""
    token = crypto.new_token()
    db.session.add(
        UserSession(
            token_hash=crypto.token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.absolute,
            ip=ip,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    db.session.flush()
    audit.record("auth.login", actor=user, obj=user, now=now, ip=ip)
    return token


def resolve_session(token: str, *, settings: Settings, now: datetime) -> UserSession | None:
    """The live session for a cookie token, or None (unknown, ended, idle or expired).

    The session's last activity is refreshed at most every ``settings.touch_every``.
    """
    found = db.session.scalar(
        sa.select(UserSession)
        .where(UserSession.token_hash == crypto.token_hash(token))
        .options(sa.orm.joinedload(UserSession.user))
    )
    if found is None or found.revoked_at is not None:
        return None
    if now >= found.expires_at or now - found.last_seen_at >= settings.idle:
        found.revoked_at = now
        found.revoked_reason = "expired"
        return None
    if not found.user.is_active:
        return None
    if now - found.last_seen_at >= settings.touch_every:
        found.last_seen_at = now
    return found


def end_session(record: UserSession, *, reason: str, now: datetime) -> None:
    if record.revoked_at is None:
        record.revoked_at = now
        record.revoked_reason = reason


def end_sessions(user: User, *, reason: str, now: datetime, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` (except ``keep``); return how many ended."""
    query = sa.update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(
        query.values(revoked_at=now, revoked_reason=reason).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount


def live_sessions(user: User, *, now: datetime) -> list[UserSession]:
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
            .order_by(UserSession.last_seen_at.desc())
        )
    )


# --- Throttling ----------------------------------------------------------------------------


def _throttle_keys(username: str, ip: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()[:140]}"]
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def locked_until(username: str, ip: str | None, *, now: datetime) -> datetime | None:
    """When sign-in for this username or address opens again, or None if it is open."""
    rows = db.session.scalars(
        sa.select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(_throttle_keys(username, ip))
        )
    ).all()
    ends = [until for until in rows if until is not None and until > now]
    return max(ends) if ends else None


def record_failure(username: str, ip: str | None, *, settings: Settings, now: datetime) -> bool:
    """Count a failed sign-in for the username and the address; True when this locks one.

    Counted in the database, so the limit holds across workers, hosts and restarts.
    """
    locked = False
    for key in _throttle_keys(username, ip):
        limit = settings.max_failures if key.startswith("user:") else settings.max_failures_per_ip
        row = _throttle_row(key, now)
        if now - row.window_started_at >= settings.failure_window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + settings.lockout
            row.failures, row.window_started_at = 0, now
            locked = True
            audit.record("auth.lockout", now=now, ip=ip, object_type="throttle", object_id=key)
    db.session.flush()
    return locked


def _throttle_row(key: str, now: datetime) -> LoginThrottle:
    """The throttle row for ``key``, created if missing and locked for this transaction.

    Two workers failing at once for a new key both insert; ON CONFLICT keeps it to one.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)


def clear_failures(username: str) -> None:
    """A successful sign-in clears the username's count (not the address's)."""
    db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.key.in_(_throttle_keys(username, None)))
    )


# --- Two-factor (TOTP) ---------------------------------------------------------------------


def requires_2fa(user: User, *, settings: Settings) -> bool:
    return settings.require_2fa_for_all or user.has_role(*ROLES_REQUIRING_2FA)


def has_2fa(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str, *, issuer: str = "PROTECT LMS") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now, the one before or after) whose code is ``code``."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if crypto.same(totp.generate_otp(step), code):
            return step
    return None


def enable_2fa(
    user: User, secret: str, code: str, *, settings: Settings, now: datetime
) -> list[str]:
    """Confirm enrolment with a first code; store the seed and return ten recovery codes.

    :raises Invalid: the code does not match the secret shown.
    """
    step = _matching_step(secret, code, now)
    if step is None:
        raise Invalid(
            gettext("That code does not match. Check the time on your phone and try again."),
            field="code",
        )
    user.totp_secret = crypto.encrypt(secret, secret_key=settings.secret_key, purpose=TOTP_PURPOSE)
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_recovery_codes(user, now)
    audit.record("auth.2fa_enable", actor=user, obj=user, now=now)
    return codes


def verify_second_factor(user: User, code: str, *, settings: Settings, now: datetime) -> bool:
    """Accept a TOTP code once (the step is remembered) or an unused recovery code."""
    if not has_2fa(user):
        return False
    secret = crypto.decrypt(
        user.totp_secret or "", secret_key=settings.secret_key, purpose=TOTP_PURPOSE
    )
    step = _matching_step(secret, code, now) if secret else None
    if step is not None:
        # Atomic: of two requests with the same code, only one moves the step forward.
        moved = db.session.execute(
            sa.update(User)
            .where(
                User.id == user.id,
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved:
            user.totp_last_step = step
            return True
        audit.record("auth.2fa_replay", actor=user, obj=user, now=now)
        return False
    return _use_recovery_code(user, code, now)


def _new_recovery_codes(user: User, now: datetime) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [crypto.new_code(10, 5) for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(
            user_id=user.id, code_hash=crypto.token_hash(crypto.normalise_code(c)), created_at=now
        )
        for c in codes
    )
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    normalised = crypto.normalise_code(code)
    if len(normalised) != 10:
        return False
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == crypto.token_hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used:
        audit.record("auth.recovery_code_used", actor=user, obj=user, now=now)
    return bool(used)


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def reset_2fa(user: User, *, actor: User | None, now: datetime) -> None:
    """Remove the authenticator and recovery codes (a lost phone); sessions end."""
    if not has_2fa(user):
        raise Conflict(gettext("Two-factor sign-in is not set up for this person."))
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user, reason="2fa_reset", now=now)
    audit.record("auth.2fa_reset", actor=actor, obj=user, now=now)


# --- Activation codes and password resets --------------------------------------------------


def issue_activation_code(
    user: User, *, settings: Settings, actor: User | None, now: datetime
) -> str:
    """A one-time code for an officer without e-mail to choose a password (printed on a slip).

    A new code replaces any earlier one; only its hash is stored.
    """
    if not user.is_active:
        raise Conflict(gettext("This account is deactivated."))
    code = crypto.new_code()
    user.activation_code_hash = crypto.token_hash(crypto.normalise_code(code))
    user.activation_expires_at = now + settings.activation_lifetime
    audit.record("auth.activation_issue", actor=actor, obj=user, now=now)
    return code


def activate(
    username: str, code: str, password: str, *, settings: Settings, now: datetime
) -> User | None:
    """Set the password of the account whose activation code this is; None if it is not.

    :raises Invalid: the password breaks a rule (the code stays valid).
    """
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    expected = user.activation_code_hash if user else None
    given = crypto.token_hash(crypto.normalise_code(code))
    if (
        user is None
        or expected is None
        or not crypto.same(expected, given)
        or user.activation_expires_at is None
        or now >= user.activation_expires_at
        or not user.is_active
    ):
        return None
    set_password(user, password, settings=settings, now=now)
    end_sessions(user, reason="password_change", now=now)
    audit.record("auth.activate", actor=user, obj=user, now=now)
    return user


#: Reset links one account may be sent per hour (more would let anyone flood its inbox).
RESETS_PER_HOUR = 3


def may_send_reset(user: User, *, now: datetime) -> bool:
    """Whether another reset link may go to ``user`` now (fewer than
    :data:`RESETS_PER_HOUR` in the last hour, counted in the audit trail)."""
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(audit.AuditEvent)
        .where(
            audit.AuditEvent.action == "auth.reset_issue",
            audit.AuditEvent.object_type == "user",
            audit.AuditEvent.object_id == str(user.id),
            audit.AuditEvent.at >= now - timedelta(hours=1),
        )
    )
    return (sent or 0) < RESETS_PER_HOUR


def issue_reset_token(user: User, *, settings: Settings, now: datetime) -> str:
    token = crypto.new_token()
    user.reset_token_hash = crypto.token_hash(token)
    user.reset_expires_at = now + settings.reset_lifetime
    audit.record("auth.reset_issue", actor=None, obj=user, now=now)
    return token


def user_for_reset_token(token: str, *, now: datetime) -> User | None:
    user = db.session.scalar(
        sa.select(User).where(User.reset_token_hash == crypto.token_hash(token))
    )
    if user is None or user.reset_expires_at is None or now >= user.reset_expires_at:
        return None
    return user if user.is_active else None


def change_password(
    user: User,
    current: str,
    new: str,
    *,
    settings: Settings,
    now: datetime,
    keep: UserSession | None,
) -> None:
    """Change one's own password; every other session ends (ASVS 6.2.3, 7.4.3).

    :raises Invalid: the current password is wrong, or the new one breaks a rule.
    """
    if not passwords.verify_password(user.password_hash, current, settings.hash_params):
        raise Invalid(gettext("The current password is not correct."), field="current_password")
    set_password(user, new, settings=settings, now=now)
    end_sessions(user, reason="password_change", now=now, keep=keep)
    audit.record("auth.password_change", actor=user, obj=user, now=now)
