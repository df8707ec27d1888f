"""Importing people from a CSV table (see csvfile.py): row by row, each row whole or not at all.

A row that breaks a rule is reported with its line and skipped; the others are imported.
A dry run does everything inside a savepoint that is rolled back, so it reports exactly
what the import would do. The caller owns the transaction (and commits the real run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from lms import audit
from lms.accounts import organisations, security, services
from lms.accounts.csvfile import Table
from lms.accounts.models import Agency, AgencyType, Country, Role, Sex, Unit, User
from lms.errors import DomainError, Invalid
from lms.extensions import db

#: Spellings of the sex column that coordinators' sheets use, in the programme's languages.
SEX_VALUES = {
    **dict.fromkeys(
        [
            "female",
            "f",
            "woman",
            "w",
            "ж",
            "жен",
            "женский",
            "ayol",
            "әйел",
            "زن",
            "خاتون",
            "انثى",
            "أنثى",
        ],
        Sex.FEMALE,
    ),
    **dict.fromkeys(
        ["male", "m", "man", "м", "муж", "мужской", "erkak", "ер", "مرد", "ذكر"], Sex.MALE
    ),
    **dict.fromkeys(["other", "другое"], Sex.OTHER),
    **dict.fromkeys(["undisclosed", "not disclosed", "unknown", "-", "не указан"], Sex.UNDISCLOSED),
}


@dataclass
class RowOutcome:
    line: int
    username: str
    #: create, update, exists (skipped: the username is taken) or error.
    action: str
    messages: list[str] = field(default_factory=list)
    full_name: str = ""
    country: str | None = None
    user_id: int | None = None
    #: Usernames of people who may be the same person.
    duplicates: list[str] = field(default_factory=list)
    #: The person gets an activation code (no usable password in the file).
    activation: bool = False


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    created_agencies: list[str] = field(default_factory=list)
    created_units: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    enrolment_columns: list[str] = field(default_factory=list)
    #: (user id, activation code) of the people who need one; empty in a dry run.
    codes: list[tuple[int, str]] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.action == "error"]

    def summary(self) -> dict[str, Any]:
        """The report as plain data (for --json and the audit trail), without any code."""
        return {
            "dry_run": self.dry_run,
            "created": self.count("create"),
            "updated": self.count("update"),
            "existing": self.count("exists"),
            "errors": self.count("error"),
            "activation_codes": sum(1 for r in self.rows if r.activation and r.action != "error"),
            "created_agencies": self.created_agencies,
            "created_units": self.created_units,
            "ignored_columns": self.ignored_columns,
            "enrolment_columns": self.enrolment_columns,
            "rows": [
                {
                    "line": r.line,
                    "username": r.username,
                    "action": r.action,
                    "messages": r.messages,
                    "duplicates": r.duplicates,
                }
                for r in self.rows
            ],
        }


@dataclass
class _Context:
    """What the rows share: the actor's scope and what was loaded or created once."""

    actor: User | None
    allowed_countries: frozenset[str] | None
    may_grant_roles: bool
    update: bool
    settings: security.Settings
    now: datetime
    countries: set[str]
    existing: dict[str, User]
    agencies: dict[tuple[str, str], Agency]
    units: dict[tuple[int, str], Unit]
    report: ImportReport


def _load(table: Table, ctx_args: dict[str, Any], report: ImportReport) -> _Context:
    usernames = {services.normalise_username(v.get("username", "")) for _, v in table.rows}
    existing = {
        u.username: u
        for u in db.session.scalars(sa.select(User).where(User.username.in_(usernames)))
    }
    countries = set(db.session.scalars(sa.select(Country.code)))
    # Sheets name an agency or unit in its own script or in Latin letters: both match.
    agencies: dict[tuple[str, str], Agency] = {}
    for agency in db.session.scalars(sa.select(Agency)):
        for name in filter(None, (agency.name_latin, agency.name)):
            agencies[(agency.country_code, name.casefold())] = agency
    units: dict[tuple[int, str], Unit] = {}
    for unit in db.session.scalars(sa.select(Unit)):
        for name in filter(None, (unit.name_latin, unit.name)):
            units[(unit.agency_id, name.casefold())] = unit
    return _Context(
        countries=countries,
        existing=existing,
        agencies=agencies,
        units=units,
        report=report,
        **ctx_args,
    )


def _sex(value: str | None) -> Sex:
    if not value:
        return Sex.UNDISCLOSED
    try:
        return SEX_VALUES[value.strip().casefold()]
    except KeyError:
        raise Invalid(
            gettext("invalid sex value %(v)r: use female, male, other or undisclosed", v=value)
        ) from None


def _role(value: str | None, ctx: _Context) -> Role:
    if not value:
        return Role.LEARNER
    try:
        role = Role(value.strip().lower())
    except ValueError:
        raise Invalid(
            gettext(
                "unknown role %(v)r: use %(roles)s", v=value, roles=", ".join(r.value for r in Role)
            )
        ) from None
    if role is not Role.LEARNER and not ctx.may_grant_roles:
        raise Invalid(gettext("you may only add learners; ask an administrator for other roles"))
    return role


def _country(value: str | None, ctx: _Context) -> str | None:
    if not value:
        if ctx.allowed_countries is not None:
            raise Invalid(gettext("the country is required"))
        return None
    code = value.strip().upper()
    if code not in ctx.countries:
        raise Invalid(gettext("unknown country code %(v)r (use ISO codes such as KG, UZ)", v=value))
    if ctx.allowed_countries is not None and code not in ctx.allowed_countries:
        raise Invalid(gettext("you cannot add people in %(code)s", code=code))
    return code


def _placement(
    values: dict[str, str], country: str | None, ctx: _Context
) -> tuple[int | None, int | None]:
    """Find (or create) the row's agency and unit within its country."""
    agency_name, unit_name = values.get("agency"), values.get("unit")
    if not agency_name:
        if unit_name:
            raise Invalid(gettext("a unit needs its agency (the institution column)"))
        return None, None
    if country is None:
        raise Invalid(gettext("an agency needs the country it is in"))
    agency = ctx.agencies.get((country, agency_name.casefold()))
    if agency is None:
        agency = organisations.create_agency(
            country_code=country,
            name=agency_name,
            type=AgencyType.OTHER,
            actor=ctx.actor,
            now=ctx.now,
        )
        ctx.agencies[(country, agency_name.casefold())] = agency
        ctx.report.created_agencies.append(f"{country}: {agency.name}")
    if not unit_name:
        return agency.id, None
    unit = ctx.units.get((agency.id, unit_name.casefold()))
    if unit is None:
        unit = organisations.create_unit(agency, name=unit_name, actor=ctx.actor, now=ctx.now)
        ctx.units[(agency.id, unit_name.casefold())] = unit
        ctx.report.created_units.append(f"{country}: {agency.name} — {unit.name}")
    return agency.id, unit.id


def _names(values: dict[str, str]) -> dict[str, str | None]:
    given, family = values.get("given_name"), values.get("family_name")
    full = values.get("full_name") or " ".join(p for p in (given, family) if p)
    latin = values.get("full_name_latin") or " ".join(
        p for p in (values.get("given_name_latin"), values.get("family_name_latin")) if p
    )
    return {
        "full_name": full,
        "full_name_latin": latin or None,
        "given_name": given,
        "family_name": family,
        "patronymic": values.get("patronymic"),
    }


def _row(line: int, values: dict[str, str], ctx: _Context) -> RowOutcome:
    username = services.normalise_username(values.get("username", ""))
    outcome = RowOutcome(line=line, username=username, action="error")
    if "__extra__" in values:
        outcome.messages.append(gettext("the row has more cells than the header has columns"))
        return outcome
    if not username:
        outcome.messages.append(gettext("the username is empty"))
        return outcome
    names = _names(values)
    outcome.full_name = names["full_name"] or ""
    existing = ctx.existing.get(username)
    if existing is not None and not ctx.update:
        outcome.action = "exists"
        outcome.user_id = existing.id
        outcome.messages.append(gettext("the username exists already; nothing was changed"))
        return outcome
    savepoint = db.session.begin_nested()
    # What this row adds to the shared caches is taken back if the row is refused.
    agencies_before, units_before = set(ctx.agencies), set(ctx.units)
    created_before = (len(ctx.report.created_agencies), len(ctx.report.created_units))
    try:
        sex = _sex(values.get("sex"))
        role = _role(values.get("role"), ctx)
        country = _country(values.get("country"), ctx)
        outcome.country = country
        agency_id, unit_id = _placement(values, country, ctx)
        profile = {
            **names,
            "sex": sex,
            "position": values.get("position"),
            "email": values.get("email"),
            "locale": values.get("locale"),
        }
        if existing is not None:
            outcome.action = "update"
            outcome.user_id = existing.id
            if not (
                ctx.allowed_countries is None or existing.country_code in ctx.allowed_countries
            ):
                raise Invalid(gettext("you cannot change people of another country"))
            services.update_user(existing, profile, actor=ctx.actor, now=ctx.now)
            if agency_id is not None and (agency_id, unit_id) != (
                existing.agency_id,
                existing.unit_id,
            ):
                services.transfer_user(
                    existing, agency_id=agency_id, unit_id=unit_id, actor=ctx.actor, now=ctx.now
                )
            if values.get("password"):
                outcome.messages.append(gettext("passwords of existing accounts are not changed"))
        else:
            password = values.get("password")
            if password:
                try:
                    security.check_password_rules(
                        password,
                        username=username,
                        names=tuple(n for n in (names["full_name"], names["full_name_latin"]) if n),
                    )
                except Invalid as error:
                    outcome.messages.append(
                        gettext(
                            "the password was not accepted (%(why)s); "
                            "an activation code is issued instead",
                            why=error.message,
                        )
                    )
                    password = None
            duplicates = services.possible_duplicates(
                names["full_name"],
                names["full_name_latin"],
                names["given_name"],
                names["family_name"],
                names["patronymic"],
                sex=sex,
            )
            user = services.create_user(
                username=username,
                password=password,
                roles=[role],
                coordinator_country=country,
                country_code=country,
                agency_id=agency_id,
                unit_id=unit_id,
                actor=ctx.actor,
                now=ctx.now,
                **profile,  # type: ignore[arg-type]
            )
            if values.get("suspended", "").strip() in {"1", "yes", "true"}:
                user.is_active = False
            outcome.action = "create"
            outcome.user_id = user.id
            outcome.activation = password is None and user.is_active
            outcome.duplicates = [d.username for d in duplicates]
            if duplicates:
                outcome.messages.append(
                    gettext(
                        "possibly the same person as: %(who)s", who=", ".join(outcome.duplicates)
                    )
                )
            ctx.existing[username] = user
        savepoint.commit()
    except DomainError as error:
        savepoint.rollback()
        for key in set(ctx.agencies) - agencies_before:
            del ctx.agencies[key]
        for key in set(ctx.units) - units_before:
            del ctx.units[key]
        del ctx.report.created_agencies[created_before[0] :]
        del ctx.report.created_units[created_before[1] :]
        outcome.action = "error"
        outcome.messages.append(error.message)
    return outcome


def import_users(
    table: Table,
    *,
    actor: User | None,
    allowed_countries: frozenset[str] | None,
    may_grant_roles: bool,
    update: bool = False,
    dry_run: bool = False,
    settings: security.Settings,
    now: datetime,
) -> ImportReport:
    """Import the rows of ``table``; see the module docstring for the rules.

    ``allowed_countries`` is the actor's scope (None: every country); people outside it
    are refused row by row. Activation codes are issued (and returned once, in
    ``report.codes``) for new accounts without a usable password, except in a dry run.
    """
    report = ImportReport(
        dry_run=dry_run,
        ignored_columns=table.ignored_columns,
        enrolment_columns=table.enrolment_columns,
    )
    outer = db.session.begin_nested() if dry_run else None
    ctx = _load(
        table,
        {
            "actor": actor,
            "allowed_countries": allowed_countries,
            "may_grant_roles": may_grant_roles,
            "update": update,
            "settings": settings,
            "now": now,
        },
        report,
    )
    seen: dict[str, int] = {}
    for line, values in table.rows:
        username = services.normalise_username(values.get("username", ""))
        if username and username in seen:
            report.rows.append(
                RowOutcome(
                    line=line,
                    username=username,
                    action="error",
                    messages=[gettext("the username repeats line %(n)d", n=seen[username])],
                )
            )
            continue
        seen[username] = line
        report.rows.append(_row(line, values, ctx))
    if outer is not None:
        outer.rollback()
        return report
    for row in report.rows:
        if row.activation and row.user_id is not None:
            user = ctx.existing[row.username]
            code = security.issue_activation_code(user, settings=settings, actor=actor, now=now)
            report.codes.append((user.id, code))
    audit.record(
        "users.import",
        actor=actor,
        now=now,
        created=report.count("create"),
        updated=report.count("update"),
        errors=report.count("error"),
    )
    return report
