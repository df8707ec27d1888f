"""A cohort's certificates in one ZIP file: each frozen PDF, each signed credential and a
manifest. Built by an RQ job when Redis is configured (a worker runs ``flask lms jobs
worker``), at once otherwise; the bundle row shows the progress to every app host."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from lms import clock, jobs
from lms.accounts import slips
from lms.accounts.models import User
from lms.certificates import serials
from lms.certificates.models import (
    BundleStatus,
    Certificate,
    CertificateBundle,
    CertificatePdf,
    CertificateStatus,
)
from lms.extensions import db
from lms.tables import csv_text

#: Certificates read (and progress saved) at a time.
PROGRESS_EVERY = 10


def _certificates(cohort_id: int) -> sa.Select[Any]:
    return sa.select(Certificate).where(
        Certificate.cohort_id == cohort_id,
        Certificate.status != CertificateStatus.SUPERSEDED,
    )


def slip_candidates(cohort_id: int) -> list[Any]:
    """Holders of the cohort's certificates who cannot sign in yet (active, no password):
    those a bundle may carry activation slips for (the caller keeps whom it may issue to)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.id.in_(_certificates(cohort_id).with_only_columns(Certificate.user_id)),
                User.password_hash.is_(None),
                User.is_active,
            )
            .order_by(User.id)
        )
    )


def request_bundle(
    cohort: Any, *, by: Any, now: datetime, slips_for: list[int] | None = None
) -> CertificateBundle:
    """A new bundle for the cohort, queued; with ``slips_for``, the ZIP also carries
    activation slips for those people. The caller commits, then calls :func:`start`."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(_certificates(cohort.id).subquery())
    )
    bundle = CertificateBundle(
        cohort_id=cohort.id,
        requested_by_id=getattr(by, "id", None),
        total=total or 0,
        slips_for=sorted(slips_for) if slips_for is not None else None,
        created_at=now,
    )
    db.session.add(bundle)
    db.session.flush()
    return bundle


def start(bundle: CertificateBundle) -> str:
    """Queue the build on Redis when configured ("queued"), else build it now ("done" or
    "failed"). Call after the bundle row is committed."""
    if jobs.enqueue(current_app.config.get("REDIS_URL"), run_job, bundle.id):
        return BundleStatus.QUEUED.value
    build(bundle.id)
    return bundle.status.value


def run_job(bundle_id: int) -> None:
    """The RQ job: build in the worker's app (``flask lms jobs worker`` runs it inside
    one), or in a new one."""
    if has_app_context():
        build(bundle_id)
        return
    from lms import create_app

    with create_app().app_context():
        build(bundle_id)


def build(bundle_id: int) -> None:
    """Build the ZIP once (a conditional update claims the bundle: a second worker finds
    it taken), saving progress as it goes; a failure is recorded on the bundle."""
    claimed = db.session.execute(
        sa.update(CertificateBundle)
        .where(CertificateBundle.id == bundle_id, CertificateBundle.status == BundleStatus.QUEUED)
        .values(status=BundleStatus.RUNNING)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    bundle = db.session.get(CertificateBundle, bundle_id)
    if bundle is None:  # pragma: no cover - deleted with its cohort meanwhile
        return
    try:
        bundle.content = _zip(bundle)
        bundle.status = BundleStatus.DONE
    except Exception as error:
        db.session.rollback()
        bundle = db.session.get(CertificateBundle, bundle_id)
        bundle.status, bundle.error = BundleStatus.FAILED, str(error)[:500]
        current_app.logger.exception("certificate bundle %s failed", bundle_id)
    bundle.finished_at = clock.now()
    db.session.commit()


def _zip(bundle: CertificateBundle) -> bytes:
    out = io.BytesIO()
    manifest: list[list[str]] = []
    ids = db.session.scalars(
        _certificates(bundle.cohort_id)
        .with_only_columns(Certificate.id)
        .order_by(Certificate.holder_name_latin, Certificate.holder_name, Certificate.id)
    ).all()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        # A chunk of PDFs at a time: memory stays bounded, and progress is committed
        # between chunks for the page to show.
        for start in range(0, len(ids), PROGRESS_EVERY):
            chunk = ids[start : start + PROGRESS_EVERY]
            rows = db.session.execute(
                sa.select(Certificate, CertificatePdf.content)
                .join(CertificatePdf, CertificatePdf.certificate_id == Certificate.id)
                .where(Certificate.id.in_(chunk))
            ).all()
            found = {certificate.id: (certificate, pdf) for certificate, pdf in rows}
            for certificate_id in chunk:
                if certificate_id not in found:
                    continue
                certificate, pdf = found[certificate_id]
                name = serials.grouped(certificate.serial)
                archive.writestr(f"certificates/{name}.pdf", pdf)
                if certificate.credential:
                    archive.writestr(f"credentials/{name}.jwt", certificate.credential)
                manifest.append(
                    [name, certificate.status.value, certificate.holder_name,
                     certificate.holder_name_latin or "", certificate.completed_on.isoformat(),
                     f"certificates/{name}.pdf"]
                )  # fmt: skip
            db.session.execute(
                sa.update(CertificateBundle)
                .where(CertificateBundle.id == bundle.id)
                .values(done=min(start + len(chunk), bundle.total))
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        header = ["serial", "status", "holder", "holder_latin", "completed_on", "file"]
        archive.writestr("manifest.csv", "\ufeff" + csv_text(header, manifest))
        if bundle.slips_for:
            # Issued last, committed with the finished file: a failed build issues none.
            requester = (
                db.session.get(User, bundle.requested_by_id) if bundle.requested_by_id else None
            )
            now = clock.now()
            issued = slips.issue_codes(bundle.slips_for, actor=requester, now=now)
            if issued:
                page = slips.standalone_page(
                    issued, now=now, locale=requester.locale if requester else None
                )
                archive.writestr("activation-slips.html", page)
            bundle.slips = len(issued)
    bundle.done = bundle.total
    return out.getvalue()
