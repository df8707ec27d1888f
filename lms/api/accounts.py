"""API of the accounts domain: the caller, their tokens, organisations and people (scoped)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload, selectinload

from lms import clock, permissions
from lms.accounts import tokens
from lms.accounts.models import Agency, ApiToken, Country, Role, RoleGrant, User
from lms.accounts.names import name_tokens
from lms.api import schemas
from lms.extensions import db
from lms.pagination import paginate
from lms.permissions import authorize, roles_required, signed_in

blp = Blueprint(
    "api_accounts",
    __name__,
    url_prefix="/api/v1",
    description="The caller, organisations and people, within the caller's scope.",
)

MANAGERS = (Role.COORDINATOR, Role.ADMIN)
ENGLISH = Locale("en")


def _page(query: sa.Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    page = paginate(query, args["page"], args["per_page"])
    return {
        "items": page.items,
        "page": page.number,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


def _user_out(user: User) -> dict[str, Any]:
    data = {column: getattr(user, column) for column in (
        "id", "username", "full_name", "full_name_latin", "sex", "position", "country_code",
        "is_active", "created_at",
    )}  # fmt: skip
    data["agency"] = {"id": user.agency.id, "name": user.agency.name} if user.agency else None
    data["unit"] = {"id": user.unit.id, "name": user.unit.name} if user.unit else None
    data["roles"] = sorted(user.roles)
    return data


@blp.route("/me")
@blp.response(200, schemas.UserSchema)
@signed_in
def me() -> dict[str, Any]:
    """The person the token belongs to."""
    return _user_out(current_user)


@blp.route("/tokens")
@blp.response(200, schemas.TokenSchema(many=True))
@signed_in
def list_tokens() -> list[ApiToken]:
    """The caller's live tokens (never their secrets)."""
    return tokens.tokens_of(current_user)


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@signed_in
def revoke_token(token_id: int) -> None:
    """Revoke one of the caller's tokens (the one in use included)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id or token.revoked_at is not None:
        abort(404)
    tokens.revoke_token(token, actor=current_user, now=clock.now())
    db.session.commit()


@blp.route("/countries")
@blp.arguments(schemas.CountryArgsSchema, location="query")
@blp.response(200, schemas.CountryPageSchema)
@roles_required(*MANAGERS)
def countries(args: dict[str, Any]) -> dict[str, Any]:
    """Countries the caller oversees (coordinators: those of their grants)."""
    query = sa.select(Country).order_by(Country.code)
    allowed = permissions.visible_countries(current_user)
    if allowed is not None:
        query = query.where(Country.code.in_(sorted(allowed)))
    if "beneficiary" in args:
        query = query.where(Country.is_beneficiary == args["beneficiary"])
    result = _page(query, args)
    result["items"] = [
        {
            "code": c.code,
            "name": ENGLISH.territories.get(c.code, c.code),
            "is_beneficiary": c.is_beneficiary,
        }
        for c in result["items"]
    ]
    return result


@blp.route("/agencies")
@blp.arguments(schemas.AgencyArgsSchema, location="query")
@blp.response(200, schemas.AgencyPageSchema)
@roles_required(*MANAGERS)
def agencies(args: dict[str, Any]) -> dict[str, Any]:
    """Agencies with their units, in the caller's countries."""
    query = (
        sa.select(Agency)
        .where(permissions.visible_agencies(current_user))
        .options(selectinload(Agency.units))
        .order_by(Agency.country_code, Agency.name, Agency.id)
    )
    if "country" in args:
        query = query.where(Agency.country_code == args["country"].upper())
    if "type" in args:
        query = query.where(Agency.type == args["type"])
    return _page(query, args)


@blp.route("/agencies/<int:agency_id>")
@blp.response(200, schemas.AgencySchema)
@roles_required(*MANAGERS)
def agency(agency_id: int) -> Agency:
    found = db.session.get(Agency, agency_id)
    if found is None or not permissions.can_view_agency(current_user, found):
        abort(404)
    return found


@blp.route("/users")
@blp.arguments(schemas.UserArgsSchema, location="query")
@blp.response(200, schemas.UserPageSchema)
@roles_required(*MANAGERS)
def users(args: dict[str, Any]) -> dict[str, Any]:
    """People the caller may list (coordinators: those of their countries)."""
    authorize(permissions.can_list_users(current_user))
    query = (
        sa.select(User)
        .where(permissions.visible_users(current_user), User.merged_into_id.is_(None))
        .options(joinedload(User.agency), joinedload(User.unit))
        .order_by(User.id)
    )
    if "country" in args:
        query = query.where(User.country_code == args["country"].upper())
    if "role" in args:
        query = query.where(
            sa.exists().where(
                RoleGrant.user_id == User.id,
                RoleGrant.role == args["role"],
                RoleGrant.revoked_at.is_(None),
            )
        )
    if "active" in args:
        query = query.where(User.is_active == args["active"])
    if "q" in args:
        clauses = [User.username.contains(args["q"].lower(), autoescape=True)]
        clauses.append(User.full_name.contains(args["q"], autoescape=True))
        keys = name_tokens(args["q"])
        if keys:
            clauses.append(
                sa.and_(*(User.name_key.contains(f" {k} ", autoescape=True) for k in keys))
            )
        query = query.where(sa.or_(*clauses))
    result = _page(query, args)
    result["items"] = [_user_out(u) for u in result["items"]]
    return result


@blp.route("/users/<int:user_id>")
@blp.response(200, schemas.UserSchema)
@signed_in
def user(user_id: int) -> dict[str, Any]:
    """One person: themselves, or someone in the caller's scope (404 otherwise)."""
    found = db.session.get(User, user_id)
    if found is None or not permissions.can_view_user(current_user, found):
        abort(404)
    return _user_out(found)
