"""Certificate pages: the holder's PDF, the staff's record with revocation, a cohort's
issue, and the public verification that names the holder by initials unless the
verifier types the name printed on the certificate."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import audit, clock, permissions
from lms.accounts.models import Role
from lms.certificates import bundles, serials, services
from lms.certificates.models import (
    BundleStatus,
    Certificate,
    CertificateBundle,
    CertificateStatus,
)
from lms.db import writes
from lms.enrolments import cohorts
from lms.enrolments import services as enrolments
from lms.enrolments.models import Enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.permissions import public, roles_required, signed_in

bp = Blueprint("certificates", __name__, template_folder="templates")


def _visible(serial: str) -> Certificate:
    """A certificate the signed-in user may see (the holder, or staff over the holder);
    404 for anyone else and for unknown codes."""
    found = services.find(serial)
    if found is None or not permissions.can_view_certificate(current_user, found):
        abort(404)
    return found


@bp.route("/certificates/<serial>.pdf")
@signed_in
def pdf(serial: str) -> ResponseReturnValue:
    """The frozen PDF: its holder, and coordinators and admins over the holder."""
    found = _visible(serial)
    return Response(
        services.pdf_of(found),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{found.serial}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/certificates/<serial>.jwt")
@signed_in
def credential(serial: str) -> ResponseReturnValue:
    """The signed Open Badges credential (a JWT), for wallets and offline verification."""
    found = _visible(serial)
    if not found.credential:
        abort(404)
    return Response(
        found.credential,
        mimetype="application/jwt",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{found.serial}.jwt"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/.well-known/jwks.json")
@public
def jwks() -> ResponseReturnValue:
    """The public keys that verify credentials: the current one and the retired ones."""
    response = jsonify(services.key_ring().jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/certificates/<serial>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def record(serial: str) -> ResponseReturnValue:
    """A certificate's record for staff, with revocation (coordinators of the holder's
    country, admins)."""
    found = _visible(serial)
    if not permissions.can_revoke_certificate(current_user, found):
        abort(404)
    error = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            services.revoke(
                found, reason=request.form.get("reason", ""), by=current_user, now=clock.now()
            )
        except DomainError as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            flash(_("The certificate was revoked."), "success")
            return redirect(url_for("certificates.record", serial=found.serial))
    return render_template(
        "certificates/record.html",
        certificate=found,
        state=_status(found),
        grouped=serials.grouped(found.serial),
        error=error,
        form=ConfirmForm(),
    ), (422 if error else 200)


def _managed_cohort(cohort_id: int) -> Any:
    """A cohort the signed-in coordinator or admin manages (404 out of sight, 403 in sight
    but not theirs to manage)."""
    cohort = cohorts.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    if not permissions.can_manage_cohort(current_user, cohort):
        abort(403)
    return cohort


@bp.route("/cohorts/<int:cohort_id>/certificates", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def issue_for_cohort(cohort_id: int) -> ResponseReturnValue:
    """Issue the certificates of a cohort's completed participants that have none yet."""
    cohort = _managed_cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = services.issue_for_cohort(cohort, by=current_user, now=clock.now())
    except DomainError as problem:
        db.session.rollback()
        flash(problem.message, "warning")
    else:
        db.session.commit()
        flash(
            ngettext(
                "%(num)d certificate was issued.", "%(num)d certificates were issued.", issued
            ),
            "success",
        )
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@enrolments.register_course_panel
def certificate_panel(enrolment: Enrolment, course: Any) -> dict[str, Any] | None:
    """The learner's certificate of this course, on the course page (one query)."""
    if enrolment is None or enrolment.completed_at is None:
        return None
    found = db.session.scalar(
        sa.select(Certificate).where(Certificate.enrolment_id == enrolment.id)
    )
    if found is None:
        return None
    return {"template": "certificates/_panel.html", "certificate": found}


# --- Public verification ----------------------------------------------------------------------


def _status(found: Certificate) -> str:
    """valid, expired, revoked or superseded, as of today."""
    return found.state(clock.now().date())


def _audit_check(found: Certificate | None, typed: str, **details: Any) -> None:
    audit.record(
        "certificate.verify",
        object_type="certificate",
        object_id=found.id if found else None,
        now=clock.now(),
        country_code=found.country_code if found else None,
        code=typed[:40],
        found=found is not None,
        **details,
    )


def _holder(found: Certificate) -> str | None:
    """The holder as the public check names them: initials, or the full name where their
    country chose so; None when the holder's data was erased at their request."""
    if not found.holder_name:
        return None
    if _full_name_shown(found):
        return found.holder_name
    return services.initials(found.holder_name_latin or found.holder_name)


def _full_name_shown(found: Certificate) -> bool:
    return (found.country_code or "") in set(
        current_app.config.get("VERIFY_FULL_NAME_COUNTRIES") or ()
    )


@bp.route("/verify", methods=["GET"])
@public
def verify_form() -> ResponseReturnValue:
    """Type a certificate number (or scan the QR code, which opens the page directly)."""
    typed = request.args.get("code", "").strip()
    if typed:
        try:
            return redirect(url_for("certificates.verify", serial=serials.normalise(typed)))
        except serials.SerialError as error:
            message = {
                "length": _("A certificate number has 16 characters, in four groups of four."),
                "character": _("A certificate number has only digits and Latin letters."),
                "check": _("This number has a mistake: check each character again."),
            }[error.reason]
            return render_template("certificates/verify_form.html", typed=typed, error=message), 422
    return render_template("certificates/verify_form.html", typed="", error=None)


@bp.route("/verify/<serial>", methods=["GET", "POST"])
@public
@writes
def verify(serial: str) -> ResponseReturnValue:
    """The public verification page: status, course, completion date, issuer, and the
    holder's initials (the full name where the holder's country chose so). The verifier
    may type the name printed on the certificate and is told whether it matches. Unknown
    and malformed codes get the same answer."""
    found = services.find(serial)
    match = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if found is not None:
            match = services.name_matches(found, request.form.get("name", "")[:200])
        _audit_check(found, serial, name_check=True, match=match)
    else:
        _audit_check(found, serial)
    db.session.commit()
    if found is None:
        return render_template("certificates/verify.html", certificate=None, serial=serial), 404
    return render_template(
        "certificates/verify.html",
        certificate=found,
        serial=serial,
        grouped=serials.grouped(found.serial),
        holder=_holder(found),
        match=match,
        state=_status(found),
        form=ConfirmForm(),
    )


@bp.route("/verify/<serial>.json")
@public
@writes
def verify_json(serial: str) -> ResponseReturnValue:
    """The same facts as the page, as JSON (for a verifier's software)."""
    found = services.find(serial)
    _audit_check(found, serial, json=True)
    db.session.commit()
    if found is None:
        return jsonify(
            {"error": {"code": "not_found", "message": "No certificate has this number."}}
        ), 404
    body: dict[str, Any] = {
        "serial": serials.grouped(found.serial),
        "status": _status(found),
        "course": found.course_title,
        "completed_on": found.completed_on.isoformat(),
        "issued_at": found.issued_at.isoformat(),
        "issuers": found.issuers,
        "holder": _holder(found),
        "holder_withheld": not found.holder_name,
    }
    if found.expires_on is not None:
        body["expires_on"] = found.expires_on.isoformat()
    if found.status is CertificateStatus.REVOKED:
        body["revoked_on"] = found.revoked_at.date().isoformat() if found.revoked_at else None
        body["revoked_reason"] = found.revoke_reason
    return jsonify(body)


# --- A cohort's certificates as one ZIP ---------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/certificates/bundle", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def request_bundle(cohort_id: int) -> ResponseReturnValue:
    """Start building the cohort's certificates as one ZIP (a background job with Redis)."""
    cohort = _managed_cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    slips_for = None
    if request.args.get("slips") == "1":
        slips_for = [
            person.id
            for person in bundles.slip_candidates(cohort.id)
            if permissions.can_issue_activation(current_user, person)
        ]
    bundle = bundles.request_bundle(cohort, by=current_user, now=clock.now(), slips_for=slips_for)
    db.session.commit()
    bundles.start(bundle)
    return redirect(url_for("certificates.bundle", bundle_id=bundle.id))


def _bundle(bundle_id: int) -> CertificateBundle:
    found = db.session.get(CertificateBundle, bundle_id)
    if found is None:
        abort(404)
    cohort = cohorts.get_cohort(found.cohort_id)
    if cohort is None or not permissions.can_manage_cohort(current_user, cohort):
        abort(404)
    return found


@bp.route("/certificates/bundles/<int:bundle_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def bundle(bundle_id: int) -> ResponseReturnValue:
    """The bundle's progress (the page refreshes itself while it is being built)."""
    found = _bundle(bundle_id)
    return render_template(
        "certificates/bundle.html", bundle=found, cohort=cohorts.get_cohort(found.cohort_id)
    )


@bp.route("/certificates/bundles/<int:bundle_id>.zip")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def bundle_zip(bundle_id: int) -> ResponseReturnValue:
    found = _bundle(bundle_id)
    if found.status is not BundleStatus.DONE or found.content is None:
        abort(404)
    if found.slips and found.requested_by_id != current_user.id:
        # Activation codes are for the hands of whoever asked for them.
        abort(403)
    name = f"cohort-{found.cohort_id}-certificates.zip"
    return Response(
        found.content,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
