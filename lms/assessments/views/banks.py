"""Question-bank pages: browse banks, upload a file with a preview, export as GIFT."""

from __future__ import annotations

from pathlib import PurePath

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms import clock
from lms.accounts.models import Role
from lms.assessments import services
from lms.assessments.forms import BankUploadForm
from lms.assessments.models import BankUpload, Question, QuestionBank
from lms.assessments.questions import FormatError
from lms.assessments.views import bp
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.permissions import roles_required

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


@bp.route("/")
@roles_required(*MANAGERS)
def banks() -> ResponseReturnValue:
    """Every bank with its number of live questions (one query)."""
    rows = db.session.execute(
        sa.select(QuestionBank, sa.func.count(Question.id))
        .outerjoin(
            Question, sa.and_(Question.bank_id == QuestionBank.id, Question.retired_at.is_(None))
        )
        .group_by(QuestionBank.id)
        .order_by(QuestionBank.name)
    ).all()
    return render_template("assessments/banks.html", rows=rows)


@bp.route("/banks/<int:bank_id>")
@roles_required(*MANAGERS)
def bank(bank_id: int) -> ResponseReturnValue:
    found = db.session.get(QuestionBank, bank_id) or abort(404)
    questions = services.current_questions(found)
    return render_template("assessments/bank.html", bank=found, questions=questions)


@bp.route("/banks/<int:bank_id>/export.gift")
@roles_required(*MANAGERS)
def export(bank_id: int) -> ResponseReturnValue:
    found = db.session.get(QuestionBank, bank_id) or abort(404)
    filename = PurePath(found.name).name.replace('"', "") or "bank"
    return Response(
        services.export_gift(found),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{filename}.gift"'},
    )


@bp.route("/upload", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def upload() -> ResponseReturnValue:
    form = BankUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(services.MAX_BYTES + 1)
        filename = form.file.data.filename or "questions.txt"
        try:
            services.read_bank_file(data, form.format.data, source=filename)
        except FormatError as error:
            problems = [str(p) for p in error.problems]
            form.file.errors.append(_("The file was refused: nothing was imported."))
        except DomainError as error:
            form.file.errors.append(error.message)
        else:
            stem = PurePath(filename).stem
            pending = BankUpload(
                created_by_id=current_user.id,
                created_at=clock.now(),
                filename=filename[:200],
                format=form.format.data,
                bank_name=(form.bank.data or stem).strip()[:200] or "bank",
                content=data,
            )
            db.session.add(pending)
            db.session.commit()
            return redirect(url_for("assessments.preview", upload_id=pending.id))
    status = 422 if form.errors else 200
    return render_template("assessments/upload.html", form=form, problems=problems), status


def _load_upload(upload_id: int) -> BankUpload:
    pending = db.session.get(BankUpload, upload_id)
    if pending is None or pending.created_by_id != current_user.id:
        abort(404)
    return pending


@bp.route("/upload/<int:upload_id>")
@roles_required(*MANAGERS)
def preview(upload_id: int) -> ResponseReturnValue:
    pending = _load_upload(upload_id)
    if pending.status != "pending":
        return redirect(url_for("assessments.banks"))
    parsed = services.read_bank_file(
        pending.content or b"", pending.format, source=pending.filename
    )
    existing = db.session.scalar(
        sa.select(QuestionBank).where(QuestionBank.name == pending.bank_name)
    )
    questions = [(q, services.text_html(q)) for q in parsed.questions]
    return render_template(
        "assessments/preview.html",
        upload=pending,
        parsed=parsed,
        questions=questions,
        existing=existing,
        confirm_form=ConfirmForm(),
    )


@bp.route("/upload/<int:upload_id>/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def confirm(upload_id: int) -> ResponseReturnValue:
    pending = _load_upload(upload_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("assessments.preview", upload_id=pending.id))
    claimed = db.session.execute(
        sa.update(BankUpload)
        .where(BankUpload.id == pending.id, BankUpload.status == "pending")
        .values(status="importing")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("assessments.banks"))
    parsed = services.read_bank_file(
        pending.content or b"", pending.format, source=pending.filename
    )
    report = services.import_bank(
        parsed, bank_name=pending.bank_name, actor=current_user, now=clock.now()
    )
    pending.status, pending.content = "imported", None
    bank_id = db.session.scalar(
        sa.select(QuestionBank.id).where(QuestionBank.name == pending.bank_name)
    )
    db.session.commit()
    flash(
        _(
            "%(created)d questions added, %(updated)d updated with a new version, "
            "%(unchanged)d unchanged.",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        "success",
    )
    return redirect(url_for("assessments.bank", bank_id=bank_id))
