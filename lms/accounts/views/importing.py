"""Bulk onboarding from a CSV file: upload, preview (a dry run), confirm, print slips."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import update

from lms import clock, permissions
from lms.accounts import csvfile, importing
from lms.accounts.forms import ConfirmForm, ImportForm
from lms.accounts.models import ImportBatch, Role, User
from lms.accounts.views import bp
from lms.accounts.views.auth import settings as security_settings
from lms.db import writes
from lms.extensions import db
from lms.permissions import authorize, roles_required

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _run(batch: ImportBatch, *, dry_run: bool) -> importing.ImportReport:
    table = csvfile.read_table(batch.content or b"")
    return importing.import_users(
        table,
        actor=current_user,
        allowed_countries=permissions.coordinated_countries(current_user),
        may_grant_roles=permissions.can_manage_grants(current_user),
        update=batch.update_existing,
        dry_run=dry_run,
        settings=security_settings(),
        now=clock.now(),
    )


def _load_batch(batch_id: int) -> ImportBatch:
    """Only the person who uploaded a batch sees it."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.created_by_id != current_user.id:
        abort(404)
    return batch


@bp.route("/people/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_people() -> ResponseReturnValue:
    authorize(permissions.can_import_users(current_user))
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(csvfile.MAX_BYTES + 1)
        try:
            csvfile.read_table(data)
        except csvfile.FileRefused as refused:
            where = _("line %(n)d: ", n=refused.line) if refused.line else ""
            form.file.errors.append(where + refused.message)
        else:
            batch = ImportBatch(
                created_by_id=current_user.id,
                created_at=clock.now(),
                filename=(form.file.data.filename or "upload.csv")[:200],
                content=data,
                update_existing=form.update_existing.data,
            )
            db.session.add(batch)
            db.session.commit()
            return redirect(url_for("accounts.import_preview", batch_id=batch.id))
    status = 422 if form.errors else 200
    return render_template("accounts/import.html", form=form), status


@bp.route("/people/import/<int:batch_id>")
@roles_required(*MANAGERS)
@writes
def import_preview(batch_id: int) -> ResponseReturnValue:
    """What the import would do, computed now (a dry run writes nothing)."""
    batch = _load_batch(batch_id)
    if batch.status != "pending":
        return redirect(url_for("accounts.people"))
    report = _run(batch, dry_run=True)
    return render_template(
        "accounts/import_preview.html", batch=batch, report=report, confirm_form=ConfirmForm()
    )


@bp.route("/people/import/<int:batch_id>/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def import_confirm(batch_id: int) -> ResponseReturnValue:
    batch = _load_batch(batch_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.import_preview", batch_id=batch.id))
    # Claim the batch: of two clicks (or two tabs), only one imports.
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "pending")
        .values(status="importing")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("accounts.people"))
    report = _run(batch, dry_run=False)
    batch.status, batch.imported_at, batch.content = "imported", clock.now(), None
    batch.summary = report.summary()
    people = {
        u.id: u
        for u in db.session.scalars(
            db.select(User).where(User.id.in_([user_id for user_id, _ in report.codes]))
        )
    }
    db.session.commit()
    flash(
        _(
            "%(created)d people were added and %(updated)d updated; %(errors)d rows were refused.",
            created=report.count("create"),
            updated=report.count("update"),
            errors=report.count("error"),
        ),
        "success" if not report.errors else "warning",
    )
    return render_template(
        "accounts/import_done.html",
        batch=batch,
        report=report,
        slips=[(people[user_id], code) for user_id, code in report.codes],
        expires=clock.now() + security_settings().activation_lifetime,
        activate_url=url_for("accounts.activate", _external=True),
    )
