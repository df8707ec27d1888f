"""Account rules: people, their units and role grants, duplicates and merges.

Services never commit: the caller (view, CLI command, test) owns the transaction. They
receive the actor for the audit trail, never decide access (lms.permissions does).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lms import audit
from lms.accounts import passwords
from lms.accounts.models import Agency, Role, RoleGrant, Sex, Unit, UnitAssignment, User
from lms.accounts.names import is_possible_duplicate, name_key, tokens_of
from lms.accounts.organisations import clean_text, get_country
from lms.accounts.security import (
    ROLES_REQUIRING_2FA,
    check_password_rules,
    end_sessions,
    has_2fa,
)
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")

#: Verified against when the username is unknown, so both paths cost one argon2 verify.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"  # noqa: S105

#: Profile fields that update_user may change (unit and country move through transfer_user).
PROFILE_FIELDS = (
    "full_name",
    "full_name_latin",
    "given_name",
    "family_name",
    "patronymic",
    "sex",
    "position",
    "email",
    "locale",
)


def _hash_params() -> Mapping[str, int]:
    return current_app.config["PASSWORD_HASH"]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def _validate_profile(values: dict[str, Any]) -> None:
    if "full_name" in values and not values["full_name"]:
        raise Invalid(gettext("The full name is required."), field="full_name")
    if values.get("email") and not EMAIL_RE.match(values["email"]):
        raise Invalid(gettext("This is not an e-mail address."), field="email")
    if values.get("locale") and not LOCALE_RE.match(values["locale"]):
        raise Invalid(gettext("Use a language code such as ru, uz or fa-AF."), field="locale")
    if "sex" in values and not isinstance(values["sex"], Sex):
        try:
            values["sex"] = Sex(values["sex"])
        except ValueError:
            raise Invalid(gettext("Choose one of the listed values."), field="sex") from None


def _placement(
    country_code: str | None, agency_id: int | None, unit_id: int | None
) -> tuple[str | None, Agency | None, Unit | None]:
    """Check that country, agency and unit agree; derive what is implied."""
    unit = agency = None
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise Invalid(gettext("This unit does not exist."), field="unit_id")
        if agency_id is not None and unit.agency_id != agency_id:
            raise Invalid(gettext("This unit belongs to another agency."), field="unit_id")
        agency_id = unit.agency_id
    if agency_id is not None:
        agency = db.session.get(Agency, agency_id)
        if agency is None:
            raise Invalid(gettext("This agency does not exist."), field="agency_id")
        if country_code is not None and agency.country_code != country_code:
            raise Invalid(gettext("This agency is in another country."), field="agency_id")
        country_code = agency.country_code
    if country_code is not None and get_country(country_code) is None:
        raise Invalid(gettext("Unknown country code %(code)s.", code=country_code), field="country")
    return country_code, agency, unit


def create_user(
    *,
    username: str,
    full_name: str,
    password: str | None,
    roles: Iterable[Role] = (Role.LEARNER,),
    coordinator_country: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    full_name_latin: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    patronymic: str | None = None,
    sex: Sex | str = Sex.UNDISCLOSED,
    position: str | None = None,
    country_code: str | None = None,
    agency_id: int | None = None,
    unit_id: int | None = None,
    actor: User | None = None,
    now: datetime,
) -> User:
    """Create a person with their placement and roles.

    A coordinator role is scoped to ``coordinator_country`` (None: every country).

    :raises Invalid: a value breaks a rule (the error names the field).
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
    values: dict[str, Any] = {
        "full_name": (full_name or "").strip(),
        "full_name_latin": clean_text(full_name_latin),
        "given_name": clean_text(given_name),
        "family_name": clean_text(family_name),
        "patronymic": clean_text(patronymic),
        "sex": sex,
        "position": clean_text(position),
        "email": clean_text(email),
        "locale": clean_text(locale),
    }
    _validate_profile(values)
    if get_user_by_username(username) is not None:
        raise Conflict(gettext("The username %(u)s is taken.", u=username), field="username")
    if password is not None:
        check_password_rules(password, username=username)
    country_code, agency, unit = _placement(clean_text(country_code), agency_id, unit_id)
    user = User(
        username=username,
        password_hash=passwords.hash_password(password, _hash_params()) if password else None,
        country_code=country_code,
        agency=agency,
        unit=unit,
        created_at=now,
        **values,
    )
    user.name_key = _name_key_of(user)
    db.session.add(user)
    if agency is not None or unit is not None:
        user.assignments = [
            UnitAssignment(agency=agency, unit=unit, position=user.position, started_at=now)
        ]
        db.session.add_all(user.assignments)
    for role in dict.fromkeys(roles):
        scope = coordinator_country if role is Role.COORDINATOR else None
        user.grant_history.append(RoleGrant(role=role, country_code=scope, granted_at=now))
    db.session.flush()
    db.session.expire(user, ["grants"])
    audit.record(
        "user.create", actor=actor, obj=user, now=now, roles=sorted(r.value for r in user.roles)
    )
    return user


def _name_key_of(user: User) -> str:
    return name_key(
        user.full_name, user.full_name_latin, user.given_name, user.family_name, user.patronymic
    )


def update_user(
    user: User, changes: Mapping[str, Any], *, actor: User | None, now: datetime
) -> list[str]:
    """Change profile fields; return the names of the fields that changed.

    :raises Invalid: a value breaks a rule, or a field is not a profile field.
    """
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise Invalid(
            gettext("These fields cannot be changed here: %(f)s", f=", ".join(sorted(unknown)))
        )
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "full_name":
            values[key] = (value or "").strip()
        elif isinstance(value, str) or value is None:
            values[key] = clean_text(value)
        else:
            values[key] = value
    _validate_profile(values)
    changed = [key for key, value in values.items() if getattr(user, key) != value]
    for key in changed:
        setattr(user, key, values[key])
    if changed:
        user.name_key = _name_key_of(user)
        audit.record("user.update", actor=actor, obj=user, now=now, fields=changed)
    return changed


def transfer_user(
    user: User,
    *,
    agency_id: int | None,
    unit_id: int | None,
    position: str | None = None,
    actor: User | None,
    now: datetime,
) -> UnitAssignment | None:
    """Move a person to another agency or unit; the previous assignment is kept as history.

    Returns the new assignment, or None when nothing changed.
    """
    country_code, agency, unit = _placement(None, agency_id, unit_id)
    position = clean_text(position) or user.position
    if (user.agency_id, user.unit_id, user.position) == (
        agency.id if agency else None,
        unit.id if unit else None,
        position,
    ):
        return None
    current = db.session.scalar(
        sa.select(UnitAssignment).where(
            UnitAssignment.user_id == user.id, UnitAssignment.ended_at.is_(None)
        )
    )
    if current is not None:
        current.ended_at = now
    before = {"agency_id": user.agency_id, "unit_id": user.unit_id, "country": user.country_code}
    user.agency, user.unit, user.position = agency, unit, position
    if country_code is not None:
        user.country_code = country_code
    assignment = UnitAssignment(
        user_id=user.id, agency=agency, unit=unit, position=position, started_at=now
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.expire(user, ["assignments"])
    audit.record(
        "user.transfer",
        actor=actor,
        obj=user,
        now=now,
        before=before,
        after={"agency_id": user.agency_id, "unit_id": user.unit_id, "country": user.country_code},
    )
    return assignment


def set_active(user: User, active: bool, *, actor: User | None, now: datetime) -> bool:
    """Activate or deactivate a person; return whether anything changed."""
    if actor is not None and actor.id == user.id and not active:
        raise Conflict(gettext("You cannot deactivate your own account."))
    if user.merged_into_id is not None and active:
        raise Conflict(gettext("A merged record cannot be reactivated."))
    if user.is_active == active:
        return False
    user.is_active = active
    if not active:
        end_sessions(user, reason="deactivated", now=now)
    audit.record("user.activate" if active else "user.deactivate", actor=actor, obj=user, now=now)
    return True


def grant_role(
    user: User, role: Role, *, country_code: str | None = None, actor: User | None, now: datetime
) -> RoleGrant:
    """Grant a role; coordinators are scoped to a country (None: all countries).

    :raises Invalid: a country was given for a role other than coordinator.
    :raises Conflict: the same grant is already in force.
    """
    country_code = clean_text(country_code)
    if country_code is not None:
        country_code = country_code.upper()
        if role is not Role.COORDINATOR:
            raise Invalid(gettext("Only coordinators are scoped to a country."), field="country")
        if get_country(country_code) is None:
            raise Invalid(
                gettext("Unknown country code %(code)s.", code=country_code), field="country"
            )
    for grant in user.grants:
        if grant.role is role and grant.country_code == country_code:
            raise Conflict(gettext("This person already holds that role."), field="role")
    grant = RoleGrant(
        user_id=user.id,
        role=role,
        country_code=country_code,
        granted_at=now,
        granted_by_id=getattr(actor, "id", None),
    )
    db.session.add(grant)
    db.session.flush()
    db.session.expire(user, ["grants"])
    audit.record(
        "grant.create",
        actor=actor,
        obj=user,
        now=now,
        role=role.value,
        scope=country_code,
        grant_id=grant.id,
    )
    if role in ROLES_REQUIRING_2FA and not has_2fa(user):
        # Their sessions were opened without the second factor this role needs: they sign
        # in again, and set one up before they use it (ASVS 6.3.3).
        end_sessions(user, reason="2fa_required", now=now)
    return grant


def revoke_grant(grant: RoleGrant, *, actor: User | None, now: datetime) -> None:
    """End a grant; the record stays, with who ended it and when."""
    if grant.revoked_at is not None:
        raise Conflict(gettext("This grant has already been revoked."))
    if actor is not None and grant.user_id == actor.id and grant.role is Role.ADMIN:
        raise Conflict(gettext("You cannot remove your own administrator role."))
    grant.revoked_at = now
    grant.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    db.session.expire(grant.user, ["grants"])
    audit.record(
        "grant.revoke",
        actor=actor,
        obj=grant.user,
        now=now,
        role=grant.role.value,
        scope=grant.country_code,
        grant_id=grant.id,
    )


def possible_duplicates(
    *names: str | None,
    sex: Sex | str | None = None,
    exclude_id: int | None = None,
    scope: sa.ColumnElement[bool] | None = None,
) -> list[User]:
    """People whose names may be the same as ``names`` (one query, whatever the data size).

    A woman and a man are never duplicates of each other (Nodira / Nodir share a key);
    ``undisclosed`` and ``other`` match anyone. ``scope`` is a visibility filter from
    lms.permissions; only people in it are returned.
    """
    tokens = tokens_of(name_key(*names))
    if not tokens:
        return []
    query = sa.select(User).where(
        sa.or_(*(User.name_key.contains(f" {token} ", autoescape=True) for token in tokens)),
        User.merged_into_id.is_(None),
    )
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    opposite = {Sex.FEMALE: Sex.MALE, Sex.MALE: Sex.FEMALE}.get(Sex(sex) if sex else Sex.OTHER)
    if opposite is not None:
        query = query.where(User.sex != opposite)
    if scope is not None:
        query = query.where(scope)
    candidates = db.session.scalars(query.order_by(User.full_name, User.id)).all()
    return [u for u in candidates if is_possible_duplicate(tokens, tokens_of(u.name_key))]


#: Functions that move a domain's rows from one person to another during a merge.
#: Each domain registers one (enrolments, attempts, certificates, attendance …).
MergeHandler = Callable[[User, User], Mapping[str, int]]
MERGE_HANDLERS: list[MergeHandler] = []


def register_merge_handler(handler: MergeHandler) -> MergeHandler:
    """Let a higher domain move its rows when two people are merged (decorator)."""
    if handler not in MERGE_HANDLERS:
        MERGE_HANDLERS.append(handler)
    return handler


@dataclass(frozen=True)
class MergeResult:
    kept: User
    merged: User
    moved: dict[str, int]


def merge_users(source: User, target: User, *, actor: User | None, now: datetime) -> MergeResult:
    """Merge ``source`` into ``target``: everything the person did moves to ``target``.

    Unit history and role grants move; every registered domain moves its rows; the
    source record stays, deactivated, pointing at ``target``.

    :raises Conflict: the two are the same person, or either is already merged.
    """
    if source.id == target.id:
        raise Conflict(gettext("A person cannot be merged into themselves."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise Conflict(gettext("One of these records has already been merged."))
    if actor is not None and source.id == actor.id:
        raise Conflict(gettext("You cannot merge away your own account."))
    moved: dict[str, int] = {}
    assignments = db.session.execute(
        sa.update(UnitAssignment)
        .where(UnitAssignment.user_id == source.id)
        .values(user_id=target.id)
    )
    moved["unit_assignments"] = assignments.rowcount
    held = {(g.role, g.country_code) for g in target.grants}
    moving = [g for g in source.grants if (g.role, g.country_code) not in held]
    for grant in source.grants:
        if grant not in moving:
            grant.revoked_at = now
            grant.revoked_by_id = getattr(actor, "id", None)
    for grant in moving:
        grant.user_id = target.id
    moved["role_grants"] = len(moving)
    for handler in MERGE_HANDLERS:
        for key, count in handler(source, target).items():
            moved[key] = moved.get(key, 0) + count
    source.is_active = False
    source.merged_into_id = target.id
    end_sessions(source, reason="merged", now=now)
    db.session.flush()
    db.session.expire(source, ["grants", "grant_history"])
    db.session.expire(target, ["grants", "grant_history"])
    audit.record("user.merge", actor=actor, obj=target, now=now, merged_id=source.id, moved=moved)
    return MergeResult(kept=target, merged=source, moved=moved)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("This person does not exist."))
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
