"""Issuing, rendering, revoking and verifying certificates.

Issuing is exactly once per completion: the certificate row is unique per enrolment, so
of concurrent issues (the completion signal, a coordinator's cohort issue, the CLI) one
inserts and the others find its row. The PDF is rendered in the same savepoint as the
row: a renderer error leaves neither. A retake after revocation is a new enrolment, so a
new certificate, which supersedes the older ones of that course.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from lms import audit, crypto
from lms.accounts.models import User
from lms.accounts.services import register_merge_handler
from lms.assessments.attempts import POST, PRE
from lms.assessments.models import Attempt, AttemptStatus
from lms.certificates import credentials, render, serials
from lms.certificates.models import Certificate, CertificatePdf, CertificateStatus
from lms.config import content_folders
from lms.courses.models import Course
from lms.enrolments.models import Enrolment
from lms.errors import Conflict, Invalid, NotAllowed
from lms.extensions import db
from lms.i18n import format_local_date, pick_text

#: Template used for a language, and the one used when none is made for it.
DEFAULT_TEMPLATE = "completion-en"


def templates() -> dict[str, render.Template]:
    """The certificate templates of the configured folders (read each time: they are few
    and small, and an edited template must take effect without a restart)."""
    folders = [Path(p) for p in content_folders(current_app.config["CERTIFICATES_DIR"])]
    return render.load_templates(folders)


def template_for(language: str | None) -> render.Template:
    """The template in ``language`` (``ru``, ``fa_AF`` or ``fa``…), else the default."""
    found = templates()
    by_language = {t.language: t for t in found.values()}
    code = language or ""
    for candidate in (code, code.split("_")[0]):
        if candidate in by_language:
            return by_language[candidate]
    return found[DEFAULT_TEMPLATE]


def verify_url(serial: str) -> str:
    return f"{current_app.config['SITE_URL'].rstrip('/')}/verify/{serial}"


@dataclass(frozen=True)
class Scores:
    pre: float | None
    post: float | None


def scores_of(enrolment: Enrolment) -> Scores:
    """The first scored pre-test and the best scored post-test of the enrolment (one
    query)."""
    rows = db.session.execute(
        sa.select(Attempt.test_key, Attempt.score, Attempt.number).where(
            Attempt.enrolment_id == enrolment.id,
            Attempt.status == AttemptStatus.SCORED,
            Attempt.test_key.in_((PRE, POST)),
        )
    ).all()
    pre = min(((n, s) for k, s, n in rows if k == PRE), default=(0, None))[1]
    post = max((s for k, s, _n in rows if k == POST), default=None)
    return Scores(pre, post)


def _number(value: float, locale: str) -> str:
    return format_decimal(value, format="#,##0.#", locale=locale)


def issue(enrolment: Enrolment, *, now: datetime, by: Any = None) -> Certificate:
    """The certificate of this completion: issued now (row and PDF together), or the one
    already issued.

    :raises NotAllowed: the enrolment is not completed.
    """
    existing = db.session.scalar(
        sa.select(Certificate).where(Certificate.enrolment_id == enrolment.id)
    )
    if existing is not None:
        return existing
    if enrolment.completed_at is None:
        raise NotAllowed(gettext("The course is not completed yet: there is no certificate."))
    course = db.session.get(Course, enrolment.course_id)
    holder = db.session.get(User, enrolment.user_id)
    if course is None or holder is None:
        raise Invalid(gettext("This enrolment has no course or no learner."))
    ring = key_ring()
    if ring.signing is None:
        raise Invalid(gettext("Certificates cannot be signed: no signing key is configured."))
    template = template_for(holder.locale or course.languages[0])
    language = template.language
    scores = scores_of(enrolment)
    serial = serials.new_serial()
    certificate = Certificate(
        serial=serial,
        enrolment_id=enrolment.id,
        user_id=holder.id,
        course_id=course.id,
        course_version=course.version,
        cohort_id=enrolment.cohort_id,
        country_code=holder.country_code,
        holder_name=holder.full_name,
        holder_name_latin=holder.full_name_latin,
        course_title=pick_text(course.texts, course.languages, language)["title"],
        language=language,
        template=template.name,
        completed_on=enrolment.completed_at.date(),
        expires_on=_expiry(enrolment.completed_at.date(), course.certificate_valid_years),
        issued_at=now,
        pre_score=scores.pre,
        post_score=scores.post,
        hours=course.estimated_hours,
        issuers=render.issuers_for(template, holder.country_code),
        issued_by_id=getattr(by, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()  # the unique enrolment decides a race here
            certificate.credential = credentials.sign(
                achievement(certificate, course, share_scores=holder.share_scores), ring
            )
            content = render.pdf(
                template, facts(certificate), {CREDENTIAL_FILE: certificate.credential}
            )
            db.session.add(
                CertificatePdf(
                    certificate_id=certificate.id,
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                    rendered_at=now,
                )
            )
            db.session.flush()
    except IntegrityError:
        raced = db.session.scalar(
            sa.select(Certificate).where(Certificate.enrolment_id == enrolment.id)
        )
        if raced is None:
            raise Conflict(gettext("The certificate could not be issued. Try again.")) from None
        return raced
    _supersede_older(certificate)
    audit.record(
        "certificate.issue",
        actor=by,
        object_type="certificate",
        object_id=certificate.id,
        now=now,
        country_code=holder.country_code,
        serial=serial,
        user_id=holder.id,
        course=course.slug,
    )
    return certificate


CREDENTIAL_FILE = "credential.jwt"


def key_ring() -> credentials.KeyRing:
    """The signing key (``SIGNING_KEY``, PEM; in development and tests one generated into
    the instance folder) and the retired public keys that still verify."""
    pem = current_app.config.get("SIGNING_KEY")
    if not pem and current_app.config["ENV"] in ("development", "testing"):
        path = Path(current_app.instance_path) / "signing-key.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(crypto.new_private_pem())
        pem = path.read_bytes()
    return credentials.key_ring(pem, current_app.config.get("SIGNING_KEYS_RETIRED") or [])


def achievement(
    certificate: Certificate, course: Course, *, share_scores: bool = False
) -> credentials.Achievement:
    """What the certificate's credential says (with the scores as evidence only where the
    holder agreed)."""
    site = current_app.config["SITE_URL"].rstrip("/")
    summary = pick_text(course.texts, course.languages, certificate.language).get("summary", "")
    return credentials.Achievement(
        serial=certificate.serial,
        verify_url=verify_url(certificate.serial),
        issuer_url=site,
        issuer_name="; ".join(certificate.issuers),
        holder_name=certificate.holder_name_latin or certificate.holder_name,
        course_url=f"{site}/courses/{course.slug}",
        course_title=certificate.course_title,
        course_summary=summary or certificate.course_title,
        criteria=(
            "Took the pre-test, completed every lesson and passed the post-test "
            f"(pass mark {course.pass_mark}%)."
        ),
        issued_at=certificate.issued_at,
        completed_on=certificate.completed_on,
        expires_on=certificate.expires_on,
        evidence=_evidence(certificate) if share_scores else [],
    )


def _evidence(certificate: Certificate) -> list[dict[str, Any]]:
    if certificate.pre_score is None and certificate.post_score is None:
        return []
    return [
        {
            "type": ["Evidence"],
            "name": "Pre-test and post-test scores",
            "description": (
                f"Pre-test {certificate.pre_score}%, post-test {certificate.post_score}% "
                "(first pre-test attempt, best post-test attempt)."
            ),
        }
    ]


def _expiry(completed: date, years: int | None) -> date | None:
    """The last valid day, ``years`` after completion (29 February gives 28 February)."""
    if not years:
        return None
    try:
        end = completed.replace(year=completed.year + years)
    except ValueError:
        end = completed.replace(year=completed.year + years, day=28)
    return end - timedelta(days=1)


def _supersede_older(certificate: Certificate) -> None:
    """Earlier certificates of the holder for the same course point to the new one; the
    valid ones become superseded (a revoked one stays revoked)."""
    older = db.session.scalars(
        sa.select(Certificate).where(
            Certificate.user_id == certificate.user_id,
            Certificate.course_id == certificate.course_id,
            Certificate.id != certificate.id,
            Certificate.superseded_by_id.is_(None),
        )
    ).all()
    for previous in older:
        previous.superseded_by_id = certificate.id
        if previous.status is CertificateStatus.VALID:
            previous.status = CertificateStatus.SUPERSEDED
    db.session.flush()


def facts(certificate: Certificate) -> render.Facts:
    """What the PDF prints, formatted in the certificate's language."""
    locale = certificate.language
    percent = {
        key: None if value is None else f"{_number(value, locale)}%"
        for key, value in (("pre", certificate.pre_score), ("post", certificate.post_score))
    }
    gain = certificate.gain
    name_lang = (
        "ur"
        if certificate.country_code == "PK"
        and any("\u0600" <= c <= "\u06ff" for c in certificate.holder_name)
        else None
    )
    return render.Facts(
        serial=serials.grouped(certificate.serial),
        holder_name=certificate.holder_name,
        holder_name_latin=certificate.holder_name_latin,
        course_title=certificate.course_title,
        completed_on=format_local_date(certificate.completed_on, locale, style="long"),
        pre_score=percent["pre"],
        post_score=percent["post"],
        gain=None if gain is None else ("+" if gain > 0 else "") + _number(gain, locale),
        hours=None if certificate.hours is None else _number(certificate.hours, locale),
        issuers=list(certificate.issuers),
        verify_url=verify_url(certificate.serial),
        valid_until=format_local_date(certificate.expires_on, locale, style="long")
        if certificate.expires_on
        else None,
        extra={"name_lang": name_lang} if name_lang else {},
    )


def pdf_of(certificate: Certificate) -> bytes:
    """The frozen PDF (one query)."""
    stored = db.session.get(CertificatePdf, certificate.id)
    if stored is None:
        raise Invalid(gettext("This certificate has no PDF."))
    return stored.content


def revoke(certificate: Certificate, *, reason: str, by: Any, now: datetime) -> None:
    """Revoke a valid certificate, with the reason shown on the verification page.

    :raises Invalid: no reason given.
    :raises Conflict: it is not valid (already revoked, or superseded).
    """
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(gettext("Give the reason for revoking."), field="reason")
    if certificate.status is not CertificateStatus.VALID:
        raise Conflict(gettext("Only a valid certificate can be revoked."))
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at, certificate.revoked_by_id = now, getattr(by, "id", None)
    certificate.revoke_reason = reason[:1000]
    db.session.flush()
    audit.record(
        "certificate.revoke",
        actor=by,
        object_type="certificate",
        object_id=certificate.id,
        now=now,
        country_code=certificate.country_code,
        serial=certificate.serial,
        reason=certificate.revoke_reason,
    )


def find(typed: str) -> Certificate | None:
    """The certificate of a typed serial; None for an unknown or malformed code alike."""
    try:
        serial = serials.normalise(typed)
    except serials.SerialError:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))


def initials(name: str) -> str:
    """ "Айгерим Садыкова" → "А. С." (the masked holder of the public page)."""
    return " ".join(f"{part[0]}." for part in name.split() if part)


_LETTER_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ё": "е"})


def _name_words(name: str) -> list[str]:
    """The words of a name, compared loosely only where spelling varies innocently: case,
    accents and marks, punctuation, spacing, Arabic/Persian letter forms, ё/е."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_LETTER_VARIANTS))
    kept = "".join(c for c in folded if not unicodedata.combining(c) and c not in "\u200c\u200d")
    words = "".join(c if c.isalnum() else " " for c in kept).split()
    return sorted(words)


def name_matches(certificate: Certificate, typed: str) -> bool:
    """Whether a verifier's typed name is the holder's, in the native or the Latin
    spelling printed on the certificate (the order of the names does not matter)."""
    wanted = _name_words(typed)
    if not wanted:
        return False
    return any(
        _name_words(name) == wanted
        for name in (certificate.holder_name, certificate.holder_name_latin)
        if name
    )


def issue_for_cohort(cohort: Any, *, by: Any, now: datetime) -> int:
    """Issue the certificates of the cohort's completed participants that have none yet;
    return how many were issued."""
    waiting = db.session.scalars(
        sa.select(Enrolment)
        .outerjoin(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.completed_at.is_not(None),
            Certificate.id.is_(None),
        )
        .order_by(Enrolment.id)
    ).all()
    for enrolment in waiting:
        issue(enrolment, now=now, by=by)
    return len(waiting)


def on_completed(enrolment: Enrolment) -> None:
    """Receiver of ``enrolment_completed``: issue the certificate at once where the
    configuration says so. A renderer failure leaves no certificate (its savepoint is
    rolled back), is logged, and does not undo the completion: a coordinator can issue
    it later."""
    if not current_app.config.get("CERTIFICATES_AUTO_ISSUE", True):
        return
    try:
        issue(enrolment, now=enrolment.completed_at or datetime.now().astimezone())
    except Exception:
        current_app.logger.exception("certificate not issued for enrolment %s", enrolment.id)


@register_merge_handler
def merge_certificates(source: Any, target: Any) -> dict[str, int]:
    """Give ``source``'s certificates to ``target`` (two records of one person merged):
    the holder signs in as ``target`` and finds them; what they print is frozen."""
    moved = db.session.execute(
        sa.update(Certificate).where(Certificate.user_id == source.id)
        .values(user_id=target.id).execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    return {"certificates": moved} if moved else {}
