"""People pages: the list, a person's record, creating, editing, transfers, roles, merges.

Admins manage everyone; coordinators manage the learners of their countries. A person
outside the viewer's scope answers 404, as if they did not exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from lms import audit, clock, permissions
from lms.accounts import security, services
from lms.accounts.forms import (
    ConfirmForm,
    EditUserForm,
    GrantForm,
    MergeForm,
    NewUserForm,
    TransferForm,
)
from lms.accounts.models import (
    AGENCY_TYPE_LABELS,
    ROLE_LABELS,
    SEX_LABELS,
    Agency,
    Role,
    RoleGrant,
    UnitAssignment,
    User,
)
from lms.accounts.names import name_tokens
from lms.accounts.organisations import country_name
from lms.accounts.views import bp
from lms.accounts.views._helpers import attach_error, country_choices, placement_choices
from lms.accounts.views.auth import settings as security_settings
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import form_status, save_form
from lms.pagination import page_number, paginate
from lms.permissions import authorize, roles_required, signed_in

MANAGERS = (Role.COORDINATOR, Role.ADMIN)
#: Columns the people list may be sorted by (``?sort=name``, ``?sort=-created``).
SORTS = {
    "name": User.full_name,
    "username": User.username,
    "country": User.country_code,
    "created": User.created_at,
}


def _load_person(user_id: int) -> User:
    """The person, or 404 when they do not exist or lie outside the viewer's scope."""
    person = db.session.get(User, user_id)
    if person is None or not permissions.can_view_user(current_user, person):
        abort(404)
    return person


def _labels() -> dict[str, object]:
    return {
        "role_labels": ROLE_LABELS,
        "sex_labels": SEX_LABELS,
        "agency_type_labels": AGENCY_TYPE_LABELS,
        "country_name": country_name,
    }


def _people_query(viewer: User) -> sa.Select[tuple[User]]:
    """The people the viewer may list, filtered by the query string."""
    query = (
        sa.select(User)
        .where(permissions.visible_users(viewer), User.merged_into_id.is_(None))
        .options(joinedload(User.agency), joinedload(User.unit))
    )
    text = (request.args.get("q") or "").strip()
    if text:
        like = f"%{text.lower()}%"
        clauses = [
            sa.func.lower(User.full_name).like(like),
            sa.func.lower(sa.func.coalesce(User.full_name_latin, "")).like(like),
            User.username.like(like),
        ]
        tokens = name_tokens(text)
        if tokens:
            clauses.append(
                sa.and_(*(User.name_key.contains(f" {t} ", autoescape=True) for t in tokens))
            )
        query = query.where(sa.or_(*clauses))
    country = (request.args.get("country") or "").upper()
    if country:
        query = query.where(User.country_code == country)
    role = request.args.get("role") or ""
    if role in {r.value for r in Role}:
        query = query.where(
            sa.exists().where(
                RoleGrant.user_id == User.id,
                RoleGrant.role == Role(role),
                RoleGrant.revoked_at.is_(None),
            )
        )
    status = request.args.get("status") or "active"
    if status == "active":
        query = query.where(User.is_active)
    elif status == "inactive":
        query = query.where(~User.is_active)
    sort = request.args.get("sort", "name")
    column = SORTS.get(sort.lstrip("-"), User.full_name)
    return query.order_by(column.desc() if sort.startswith("-") else column, User.id)


@bp.route("/people/")
@roles_required(*MANAGERS)
def people() -> ResponseReturnValue:
    authorize(permissions.can_list_users(current_user))
    page = paginate(_people_query(current_user), page_number(request.args.get("page")))
    return render_template(
        "accounts/people.html",
        page=page,
        countries=country_choices(
            permissions.coordinated_countries(current_user), blank=_("All countries")
        ),
        args=request.args,
        role_options=[(r.value, ROLE_LABELS[r]) for r in Role],
        **_labels(),
    )


def _new_user_form() -> NewUserForm:
    form = NewUserForm()
    allowed = permissions.coordinated_countries(current_user)
    form.country.choices = country_choices(allowed, blank="")
    agencies, units = placement_choices(permissions.visible_agencies(current_user), blank=_("None"))
    form.agency_id.choices, form.unit_id.choices = agencies, units
    if not permissions.can_manage_grants(current_user):
        form.role.choices = [SelectChoice(Role.LEARNER.value, ROLE_LABELS[Role.LEARNER])]
    return form


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_person() -> ResponseReturnValue:
    authorize(permissions.can_create_users(current_user))
    form = _new_user_form()
    duplicates: list[User] = []
    if form.validate_on_submit():
        names = (form.full_name.data, form.full_name_latin.data, form.given_name.data,
                 form.family_name.data, form.patronymic.data)  # fmt: skip
        duplicates = services.possible_duplicates(
            *names, sex=form.sex.data, scope=permissions.visible_users(current_user)
        )
        if not permissions.can_place_in_country(current_user, form.country.data or None):
            form.country.errors.append(_("You cannot add people in this country."))
        elif duplicates and not form.confirm_not_duplicate.data:
            form.confirm_not_duplicate.errors.append(
                _(
                    "Check the possible duplicates listed above, "
                    "then confirm this is a different person."
                )
            )
        else:
            try:
                person = services.create_user(
                    username=form.username.data,
                    full_name=form.full_name.data,
                    full_name_latin=form.full_name_latin.data,
                    given_name=form.given_name.data,
                    family_name=form.family_name.data,
                    patronymic=form.patronymic.data,
                    sex=form.sex.data,
                    position=form.position.data,
                    email=form.email.data,
                    locale=form.locale.data,
                    country_code=form.country.data,
                    agency_id=form.agency_id.data,
                    unit_id=form.unit_id.data,
                    password=None,
                    roles=[Role(form.role.data)],
                    coordinator_country=form.country.data,
                    actor=current_user,
                    now=clock.now(),
                )
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("The account of %(name)s was created.", name=person.full_name), "success")
                return redirect(url_for("accounts.person", user_id=person.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "accounts/person_new.html", form=form, duplicates=duplicates, **_labels()
    ), status


@bp.route("/people/<int:user_id>")
@signed_in
def person(user_id: int) -> ResponseReturnValue:
    """A person's record: the person themselves, admins and their country's coordinators."""
    person = _load_person(user_id)
    history = db.session.scalars(
        sa.select(UnitAssignment)
        .where(UnitAssignment.user_id == person.id)
        .options(joinedload(UnitAssignment.agency), joinedload(UnitAssignment.unit))
        .order_by(UnitAssignment.started_at.desc(), UnitAssignment.id.desc())
    ).all()
    grants = db.session.scalars(
        sa.select(RoleGrant)
        .where(RoleGrant.user_id == person.id)
        .order_by(RoleGrant.revoked_at.is_not(None), RoleGrant.id)
    ).all()
    can_edit = permissions.can_edit_user(current_user, person)
    duplicates: list[User] = []
    if can_edit:
        duplicates = services.possible_duplicates(
            person.full_name,
            person.full_name_latin,
            person.given_name,
            person.family_name,
            person.patronymic,
            sex=person.sex,
            exclude_id=person.id,
            scope=permissions.visible_users(current_user),
        )
    grant_form = None
    if permissions.can_manage_grants(current_user):
        grant_form = GrantForm()
        grant_form.country.choices = country_choices(None, blank="")
    transfer_form = None
    if can_edit:
        transfer_form = TransferForm(
            data={
                "agency_id": person.agency_id,
                "unit_id": person.unit_id,
                "position": person.position,
            }
        )
        scope = permissions.visible_agencies(current_user)
        transfer_form.agency_id.choices, transfer_form.unit_id.choices = placement_choices(
            scope, blank=_("None")
        )
    return render_template(
        "accounts/person.html",
        person=person,
        history=history,
        grants=grants,
        duplicates=duplicates,
        can_edit=can_edit,
        can_merge=permissions.can_merge_users(current_user),
        can_reset=permissions.can_reset_security(current_user, person),
        has_2fa=security.has_2fa(person),
        grant_form=grant_form,
        transfer_form=transfer_form,
        confirm_form=ConfirmForm(),
        merge_form=MergeForm() if permissions.can_merge_users(current_user) else None,
        **_labels(),
    )


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_person(user_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_edit_user(current_user, person))
    form = EditUserForm(obj=person)
    if request.method == "GET":
        form.sex.data = person.sex.value
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in services.PROFILE_FIELDS}
        ok, _result = save_form(
            form,
            lambda: services.update_user(person, changes, actor=current_user, now=clock.now()),
            saved=_("The changes were saved."),
        )
        if ok:
            return redirect(url_for("accounts.person", user_id=person.id))
    return render_template("accounts/person_edit.html", form=form, person=person), form_status(form)


@bp.route("/people/<int:user_id>/transfer", methods=["POST"])
@roles_required(*MANAGERS)
def transfer_person(user_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_edit_user(current_user, person))
    form = TransferForm()
    agency_id = form.agency_id.data
    if form.validate_on_submit():
        target = db.session.get(Agency, agency_id) if agency_id else None
        if target is not None and not permissions.can_place_in_country(
            current_user, target.country_code
        ):
            abort(404)
        try:
            moved = services.transfer_user(
                person,
                agency_id=agency_id,
                unit_id=form.unit_id.data,
                position=form.position.data,
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The transfer was recorded.") if moved else _("Nothing changed."), "success")
    else:
        flash(_("The transfer form was not valid."), "error")
    return redirect(url_for("accounts.person", user_id=person.id))


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_edit_user(current_user, person))
    if ConfirmForm().validate_on_submit():
        try:
            services.set_active(person, active, actor=current_user, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _("The account is active.") if active else _("The account was deactivated."),
                "success",
            )
    return redirect(url_for("accounts.person", user_id=person.id))


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
@roles_required(*MANAGERS)
def deactivate_person(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@bp.route("/people/<int:user_id>/activate", methods=["POST"])
@roles_required(*MANAGERS)
def activate_person(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


@bp.route("/people/<int:user_id>/grants", methods=["POST"])
@roles_required(Role.ADMIN)
def grant_role(user_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_manage_grants(current_user))
    form = GrantForm()
    form.country.choices = country_choices(None, blank="")
    if form.validate_on_submit():
        try:
            services.grant_role(
                person,
                Role(form.role.data),
                country_code=form.country.data or None,
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The role was granted."), "success")
    else:
        flash(_("Choose a role from the list."), "error")
    return redirect(url_for("accounts.person", user_id=person.id))


@bp.route("/people/<int:user_id>/grants/<int:grant_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke_grant(user_id: int, grant_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.user_id != person.id:
        abort(404)
    authorize(permissions.can_revoke_grant(current_user, grant))
    if ConfirmForm().validate_on_submit():
        try:
            services.revoke_grant(grant, actor=current_user, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The role was revoked."), "success")
    return redirect(url_for("accounts.person", user_id=person.id))


@bp.route("/people/<int:user_id>/merge", methods=["POST"])
@roles_required(Role.ADMIN)
def merge_person(user_id: int) -> ResponseReturnValue:
    """Merge the person on this page into another record (the one kept)."""
    person = _load_person(user_id)
    authorize(permissions.can_merge_users(current_user))
    form = MergeForm()
    if not form.validate_on_submit():
        flash(_("Give the number of the person to keep."), "error")
        return redirect(url_for("accounts.person", user_id=person.id))
    target = db.session.get(User, form.target_id.data)
    if target is None or not permissions.can_view_user(current_user, target):
        flash(_("There is no person with that number."), "error")
        return redirect(url_for("accounts.person", user_id=person.id))
    try:
        result = services.merge_users(person, target, actor=current_user, now=clock.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.person", user_id=person.id))
    db.session.commit()
    flash(
        _("%(merged)s was merged into %(kept)s.", merged=person.full_name, kept=target.full_name),
        "success",
    )
    return redirect(url_for("accounts.person", user_id=result.kept.id))


#: The most slips printed at once (a training group, a unit).
MAX_SLIPS = 200


def _render_slips(people: list[User]) -> ResponseReturnValue:
    """Issue a fresh activation code to each person and render the printable slips."""
    now = clock.now()
    config = security_settings()
    slips = [
        (
            person,
            security.issue_activation_code(person, settings=config, actor=current_user, now=now),
        )
        for person in people
    ]
    db.session.commit()
    return render_template(
        "accounts/slips.html",
        slips=slips,
        expires=now + config.activation_lifetime,
        activate_url=url_for("accounts.activate", _external=True),
    )


@bp.route("/people/<int:user_id>/activation", methods=["POST"])
@roles_required(*MANAGERS)
def issue_activation(user_id: int) -> ResponseReturnValue:
    """One activation slip; any earlier code of the person stops working."""
    person = _load_person(user_id)
    authorize(permissions.can_issue_activation(current_user, person))
    if not ConfirmForm().validate_on_submit() or not person.is_active:
        flash(_("Activation codes are only issued for active accounts."), "error")
        return redirect(url_for("accounts.person", user_id=person.id))
    return _render_slips([person])


@bp.route("/people/activation-slips", methods=["POST"])
@roles_required(*MANAGERS)
def activation_slips() -> ResponseReturnValue:
    """Slips for everyone in the current list filter who cannot sign in yet."""
    authorize(permissions.can_list_users(current_user))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.people"))
    people = [
        person
        for person in db.session.scalars(
            _people_query(current_user)
            .where(User.password_hash.is_(None), User.is_active)
            .limit(MAX_SLIPS + 1)
        ).unique()
        if permissions.can_issue_activation(current_user, person)
    ]
    if not people:
        flash(_("Everyone in this list can already sign in."), "info")
        return redirect(url_for("accounts.people", **request.args))
    if len(people) > MAX_SLIPS:
        flash(_("Narrow the list to at most %(n)d people to print slips.", n=MAX_SLIPS), "error")
        return redirect(url_for("accounts.people", **request.args))
    return _render_slips(people)


@bp.route("/people/<int:user_id>/reset-2fa", methods=["POST"])
@roles_required(*MANAGERS)
def reset_person_2fa(user_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_reset_security(current_user, person))
    if ConfirmForm().validate_on_submit():
        try:
            security.reset_2fa(person, actor=current_user, now=clock.now())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _("Two-factor sign-in was reset: they set it up again at their next sign-in."),
                "success",
            )
    return redirect(url_for("accounts.person", user_id=person.id))


@bp.route("/people/<int:user_id>/sign-out", methods=["POST"])
@roles_required(*MANAGERS)
def sign_out_person(user_id: int) -> ResponseReturnValue:
    person = _load_person(user_id)
    authorize(permissions.can_reset_security(current_user, person))
    if ConfirmForm().validate_on_submit():
        ended = security.end_sessions(person, reason="admin", now=clock.now())
        audit.record("auth.sessions_end", actor=current_user, obj=person, ended=ended)
        db.session.commit()
        flash(_("They were signed out everywhere."), "success")
    return redirect(url_for("accounts.person", user_id=person.id))
