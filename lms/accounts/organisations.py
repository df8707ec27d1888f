"""Organisation rules: countries (seeded), agencies and their units.

Services never commit and never decide access; the caller does both.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext

from lms import audit
from lms.accounts.models import Agency, AgencyType, Country, Unit, User
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db


def get_country(code: str) -> Country | None:
    return db.session.get(Country, code.upper())


def country_name(code: str | None, locale: Locale | str | None) -> str:
    """The country's name in the reader's language (CLDR), or the code itself."""
    if not code:
        return ""
    loc = Locale.parse(locale or "en") if not isinstance(locale, Locale) else locale
    return loc.territories.get(code) or Locale("en").territories.get(code) or code


def clean_text(value: str | None) -> str | None:
    """Text without surrounding spaces, or None when nothing is left."""
    value = (value or "").strip()
    return value or None


def _name_taken(query: sa.Select[tuple[int, str]], name: str, exclude_id: int | None) -> bool:
    """Is ``name`` among the names ``query`` returns, ignoring case in any script?

    Compared in Python: SQLite's lower() folds only ASCII letters, and an agency or a
    unit has few siblings.
    """
    folded = name.casefold()
    return any(
        other.casefold() == folded and row_id != exclude_id
        for row_id, other in db.session.execute(query).all()
    )


def _check_agency_name(country_code: str, name: str, exclude_id: int | None = None) -> None:
    siblings = sa.select(Agency.id, Agency.name).where(Agency.country_code == country_code)
    if _name_taken(siblings, name, exclude_id):
        raise Conflict(gettext("This country already has an agency of that name."), field="name")


def create_agency(
    *,
    country_code: str,
    name: str,
    type: AgencyType | str,
    name_latin: str | None = None,
    actor: User | None,
    now: datetime,
) -> Agency:
    """Create an agency in a country.

    :raises Invalid: unknown country or type, or an empty name.
    :raises Conflict: the country has an agency of that name.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid(gettext("The name is required."), field="name")
    country = get_country(country_code or "")
    if country is None:
        raise Invalid(gettext("Unknown country code %(code)s.", code=country_code), field="country")
    try:
        agency_type = AgencyType(type)
    except ValueError:
        raise Invalid(gettext("Choose one of the listed values."), field="type") from None
    _check_agency_name(country.code, name)
    agency = Agency(
        country_code=country.code,
        name=name,
        name_latin=clean_text(name_latin),
        type=agency_type,
        created_at=now,
    )
    db.session.add(agency)
    db.session.flush()
    audit.record("agency.create", actor=actor, obj=agency, now=now, name=name)
    return agency


def update_agency(
    agency: Agency,
    *,
    name: str,
    type: AgencyType | str,
    name_latin: str | None,
    is_active: bool,
    actor: User | None,
    now: datetime,
) -> None:
    name = (name or "").strip()
    if not name:
        raise Invalid(gettext("The name is required."), field="name")
    try:
        agency_type = AgencyType(type)
    except ValueError:
        raise Invalid(gettext("Choose one of the listed values."), field="type") from None
    _check_agency_name(agency.country_code, name, exclude_id=agency.id)
    before = (agency.name, agency.name_latin, agency.type, agency.is_active)
    agency.name, agency.name_latin, agency.type, agency.is_active = (
        name,
        clean_text(name_latin),
        agency_type,
        is_active,
    )
    if before != (agency.name, agency.name_latin, agency.type, agency.is_active):
        audit.record("agency.update", actor=actor, obj=agency, now=now)


def _check_unit_name(agency_id: int, name: str, exclude_id: int | None = None) -> None:
    siblings = sa.select(Unit.id, Unit.name).where(Unit.agency_id == agency_id)
    if _name_taken(siblings, name, exclude_id):
        raise Conflict(gettext("This agency already has a unit of that name."), field="name")


def create_unit(
    agency: Agency,
    *,
    name: str,
    name_latin: str | None = None,
    is_specialised: bool = False,
    actor: User | None,
    now: datetime,
) -> Unit:
    """Create a unit inside an agency.

    :raises Invalid: an empty name.  :raises Conflict: the agency has a unit of that name.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid(gettext("The name is required."), field="name")
    _check_unit_name(agency.id, name)
    unit = Unit(
        agency=agency,
        name=name,
        name_latin=clean_text(name_latin),
        is_specialised=is_specialised,
        created_at=now,
    )
    db.session.add(unit)
    db.session.flush()
    audit.record(
        "unit.create",
        actor=actor,
        obj=unit,
        country_code=agency.country_code,
        now=now,
        agency_id=agency.id,
        name=name,
    )
    return unit


def update_unit(
    unit: Unit,
    *,
    name: str,
    name_latin: str | None,
    is_specialised: bool,
    is_active: bool,
    actor: User | None,
    now: datetime,
) -> None:
    name = (name or "").strip()
    if not name:
        raise Invalid(gettext("The name is required."), field="name")
    _check_unit_name(unit.agency_id, name, exclude_id=unit.id)
    before = (unit.name, unit.name_latin, unit.is_specialised, unit.is_active)
    unit.name, unit.name_latin, unit.is_specialised, unit.is_active = (
        name,
        clean_text(name_latin),
        is_specialised,
        is_active,
    )
    if before != (unit.name, unit.name_latin, unit.is_specialised, unit.is_active):
        audit.record(
            "unit.update", actor=actor, obj=unit, country_code=unit.agency.country_code, now=now
        )


def get_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(gettext("This agency does not exist."))
    return agency
