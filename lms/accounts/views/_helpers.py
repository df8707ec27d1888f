"""Shared bits of the accounts pages: choices for selects (and field errors from services)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from wtforms import SelectChoice

from lms.accounts.models import Agency, Country, Unit
from lms.accounts.organisations import country_name
from lms.extensions import db
from lms.forms import attach_error

__all__ = ["attach_error", "country_choices", "placement_choices"]


def country_choices(
    allowed: frozenset[str] | None, *, blank: str | None = None
) -> list[SelectChoice]:
    """Countries ``allowed`` (None: all), beneficiaries first, in the reader's language."""
    locale = get_locale()
    query = sa.select(Country.code, Country.is_beneficiary)
    if allowed is not None:
        query = query.where(Country.code.in_(sorted(allowed)))
    rows = db.session.execute(query).all()
    named = [(not b, country_name(code, locale), code) for code, b in rows]
    choices = [SelectChoice(code, name) for _, name, code in sorted(named)]
    return ([SelectChoice("", blank)] if blank is not None else []) + choices


def placement_choices(
    scope: sa.ColumnElement[bool], *, blank: str
) -> tuple[list[SelectChoice], list[SelectChoice]]:
    """Agencies (grouped by country) and units (by agency) within ``scope`` (two queries)."""
    locale = get_locale()
    agencies = db.session.execute(
        sa.select(Agency.id, Agency.name, Agency.country_code)
        .where(scope, Agency.is_active)
        .order_by(Agency.country_code, Agency.name)
    ).all()
    units = db.session.execute(
        sa.select(Unit.id, Unit.name, Agency.name)
        .join(Agency)
        .where(scope, Unit.is_active, Agency.is_active)
        .order_by(Agency.name, Unit.name)
    ).all()
    agency_choices = [SelectChoice("", blank)] + [
        SelectChoice(str(a_id), name, optgroup=country_name(code, locale))
        for a_id, name, code in agencies
    ]
    unit_choices = [SelectChoice("", blank)] + [
        SelectChoice(str(u_id), name, optgroup=a_name) for u_id, name, a_name in units
    ]
    return agency_choices, unit_choices
