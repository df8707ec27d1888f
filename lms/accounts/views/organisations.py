"""Organisation pages: countries, their agencies and units; the audit trail.

Administrators manage organisations; coordinators see those of their countries.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from lms import clock, permissions
from lms.accounts import organisations as orgs
from lms.accounts.forms import AgencyForm, UnitForm
from lms.accounts.models import AGENCY_TYPE_LABELS, Agency, Country, Role, Unit, User
from lms.accounts.views import bp
from lms.audit import AuditEvent
from lms.extensions import db
from lms.forms import form_status, save_form
from lms.pagination import page_number, paginate
from lms.permissions import authorize, roles_required

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _load_country(code: str) -> Country:
    country = db.session.get(Country, code.upper())
    if country is None or not permissions.can_view_country(current_user, country.code):
        abort(404)
    return country


def _load_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not permissions.can_view_agency(current_user, agency):
        abort(404)
    return agency


@bp.route("/organisations/")
@roles_required(*MANAGERS)
def organisations() -> ResponseReturnValue:
    """Countries with their numbers of agencies, units and people (three grouped queries)."""
    authorize(permissions.can_view_organisations(current_user))
    allowed = permissions.visible_countries(current_user)
    countries_q = sa.select(Country)
    if allowed is not None:
        countries_q = countries_q.where(Country.code.in_(sorted(allowed)))
    show_all = allowed is not None or request.args.get("all") == "1"
    if not show_all:
        countries_q = countries_q.where(
            sa.or_(Country.is_beneficiary, Country.code.in_(sa.select(Agency.country_code)))
        )
    countries = db.session.scalars(countries_q).all()
    agency_counts = dict(
        db.session.execute(
            sa.select(Agency.country_code, sa.func.count()).group_by(Agency.country_code)
        ).all()
    )
    unit_counts = dict(
        db.session.execute(
            sa.select(Agency.country_code, sa.func.count(Unit.id))
            .join(Unit)
            .group_by(Agency.country_code)
        ).all()
    )
    people_counts = dict(
        db.session.execute(
            sa.select(User.country_code, sa.func.count())
            .where(User.is_active, User.merged_into_id.is_(None))
            .group_by(User.country_code)
        ).all()
    )
    locale = get_locale()
    rows = sorted(
        ((not c.is_beneficiary, orgs.country_name(c.code, locale), c) for c in countries),
        key=lambda row: row[:2],
    )
    return render_template(
        "accounts/organisations.html",
        rows=[
            {
                "country": c,
                "name": name,
                "agencies": agency_counts.get(c.code, 0),
                "units": unit_counts.get(c.code, 0),
                "people": people_counts.get(c.code, 0),
            }
            for _, name, c in rows
        ],
        show_all=show_all,
    )


@bp.route("/organisations/<code>")
@roles_required(*MANAGERS)
def country(code: str) -> ResponseReturnValue:
    country = _load_country(code)
    agencies = db.session.scalars(
        sa.select(Agency)
        .where(Agency.country_code == country.code)
        .options(selectinload(Agency.units))
        .order_by(Agency.type, Agency.name)
    ).all()
    return render_template(
        "accounts/country.html",
        country=country,
        name=orgs.country_name(country.code, get_locale()),
        agencies=agencies,
        agency_type_labels=AGENCY_TYPE_LABELS,
        can_manage=permissions.can_manage_organisations(current_user),
    )


@bp.route("/organisations/<code>/agencies/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_agency(code: str) -> ResponseReturnValue:
    country = _load_country(code)
    authorize(permissions.can_manage_organisations(current_user))
    form = AgencyForm()
    if form.validate_on_submit():
        ok, _result = save_form(
            form,
            lambda: orgs.create_agency(
                country_code=country.code,
                name=form.name.data,
                name_latin=form.name_latin.data,
                type=form.type.data,
                actor=current_user,
                now=clock.now(),
            ),
            saved=_("The agency was added."),
        )
        if ok:
            return redirect(url_for("accounts.country", code=country.code))
    status = form_status(form)
    return render_template(
        "accounts/agency_form.html",
        form=form,
        country=country,
        name=orgs.country_name(country.code, get_locale()),
        agency=None,
    ), status


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_agency(agency_id: int) -> ResponseReturnValue:
    agency = _load_agency(agency_id)
    authorize(permissions.can_manage_organisations(current_user))
    form = AgencyForm(obj=agency)
    if request.method == "GET":
        form.type.data = agency.type.value
    if form.validate_on_submit():
        ok, _result = save_form(
            form,
            lambda: orgs.update_agency(
                agency,
                name=form.name.data,
                name_latin=form.name_latin.data,
                type=form.type.data,
                is_active=form.is_active.data,
                actor=current_user,
                now=clock.now(),
            ),
            saved=_("The changes were saved."),
        )
        if ok:
            return redirect(url_for("accounts.country", code=agency.country_code))
    status = form_status(form)
    return render_template(
        "accounts/agency_form.html",
        form=form,
        country=agency.country,
        name=orgs.country_name(agency.country_code, get_locale()),
        agency=agency,
    ), status


@bp.route("/agencies/<int:agency_id>/units/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_unit(agency_id: int) -> ResponseReturnValue:
    agency = _load_agency(agency_id)
    authorize(permissions.can_manage_organisations(current_user))
    form = UnitForm()
    if form.validate_on_submit():
        ok, _result = save_form(
            form,
            lambda: orgs.create_unit(
                agency,
                name=form.name.data,
                name_latin=form.name_latin.data,
                is_specialised=form.is_specialised.data,
                actor=current_user,
                now=clock.now(),
            ),
            saved=_("The unit was added."),
        )
        if ok:
            return redirect(url_for("accounts.country", code=agency.country_code))
    status = form_status(form)
    return render_template("accounts/unit_form.html", form=form, agency=agency, unit=None), status


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_unit(unit_id: int) -> ResponseReturnValue:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not permissions.can_view_unit(current_user, unit):
        abort(404)
    authorize(permissions.can_manage_organisations(current_user))
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        ok, _result = save_form(
            form,
            lambda: orgs.update_unit(
                unit,
                name=form.name.data,
                name_latin=form.name_latin.data,
                is_specialised=form.is_specialised.data,
                is_active=form.is_active.data,
                actor=current_user,
                now=clock.now(),
            ),
            saved=_("The changes were saved."),
        )
        if ok:
            return redirect(url_for("accounts.country", code=unit.agency.country_code))
    status = form_status(form)
    return render_template(
        "accounts/unit_form.html", form=form, agency=unit.agency, unit=unit
    ), status


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    """Search the audit trail by action, person (actor or object) and country."""
    authorize(permissions.can_view_audit(current_user))
    query = sa.select(AuditEvent)
    action = (request.args.get("action") or "").strip()
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    who = (request.args.get("user") or "").strip().lower()
    if who:
        person_ids = sa.select(User.id).where(User.username == who).scalar_subquery()
        query = query.where(
            sa.or_(
                AuditEvent.actor_id == person_ids,
                sa.and_(
                    AuditEvent.object_type == "user",
                    AuditEvent.object_id == sa.cast(person_ids, sa.String),
                ),
            )
        )
    country_code = (request.args.get("country") or "").strip().upper()
    if country_code:
        query = query.where(AuditEvent.country_code == country_code)
    page = paginate(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
        page_number(request.args.get("page")),
    )
    actor_ids = {e.actor_id for e in page.items if e.actor_id is not None}
    actors = (
        dict(
            db.session.execute(
                sa.select(User.id, User.username).where(User.id.in_(actor_ids))
            ).all()
        )
        if actor_ids
        else {}
    )
    return render_template("accounts/audit.html", page=page, actors=actors, args=request.args)
