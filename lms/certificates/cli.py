"""``flask lms certificates …``: list, issue, export and revoke certificates."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lms import clock
from lms.accounts.models import User
from lms.certificates import credentials, serials, services
from lms.certificates.models import Certificate
from lms.clitools import Refused, emit, json_option, transactional
from lms.courses.models import Course
from lms.enrolments import cohorts
from lms.enrolments.models import Enrolment
from lms.errors import DomainError
from lms.extensions import db

certificates = AppGroup("certificates", help="Certificates of completion.")


@certificates.command("list")
@json_option
@transactional
def list_certificates(as_json: bool) -> None:
    """Every certificate, newest first: serial, status, holder, course, completion date."""
    rows = db.session.execute(
        sa.select(Certificate, User.username, Course.slug)
        .join(User, User.id == Certificate.user_id)
        .join(Course, Course.id == Certificate.course_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    listed = [
        {
            "serial": serials.grouped(c.serial),
            "status": c.status.value,
            "username": username,
            "course": slug,
            "completed_on": c.completed_on.isoformat(),
            "pre_score": c.pre_score,
            "post_score": c.post_score,
        }
        for c, username, slug in rows
    ]
    emit(
        {"certificates": listed},
        as_json=as_json,
        text="\n".join(
            f"{c['serial']}\t{c['status']}\t{c['username']}\t{c['course']}\t{c['completed_on']}"
            for c in listed
        )
        or "no certificates",
    )


@certificates.command("issue")
@click.option("--cohort", "cohort_id", type=int, help="Every completed participant of a cohort.")
@click.option("--user", "username", help="One learner (with --course).")
@click.option("--course", "slug", help="The course the learner completed.")
@json_option
@transactional
def issue(cohort_id: int | None, username: str | None, slug: str | None, as_json: bool) -> None:
    """Issue the certificates not issued yet: a cohort's, or one learner's for a course."""
    now = clock.now()
    if cohort_id is not None:
        cohort = cohorts.get_cohort(cohort_id)
        if cohort is None:
            raise Refused(f"no cohort {cohort_id}", as_json=as_json)
        count = services.issue_for_cohort(cohort, by=None, now=now)
        emit({"issued": count}, as_json=as_json, text=f"{count} certificates issued")
        return
    if not (username and slug):
        raise Refused("give --cohort ID, or --user USERNAME with --course SLUG", as_json=as_json)
    enrolment = db.session.scalar(
        sa.select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(User.username == username, Course.slug == slug)
        .order_by(Enrolment.completed_at.desc().nulls_last(), Enrolment.id.desc())
    )
    if enrolment is None:
        raise Refused(f"{username} is not enrolled in {slug}", as_json=as_json)
    try:
        found = services.issue(enrolment, now=now)
    except DomainError as error:
        raise Refused(f"{username}, {slug}: {error.message}", as_json=as_json) from None
    emit(
        {"serial": serials.grouped(found.serial), "status": found.status.value},
        as_json=as_json,
        text=serials.grouped(found.serial),
    )


def _find(serial: str, as_json: bool) -> Certificate:
    found = services.find(serial)
    if found is None:
        raise Refused(f"no certificate {serial!r}", as_json=as_json)
    return found


@certificates.command("export")
@click.argument("serial")
@click.option("--pdf", "path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@transactional
def export(serial: str, path: Path) -> None:
    """Write a certificate's frozen PDF to a file."""
    content = services.pdf_of(_find(serial, False))
    try:
        path.write_bytes(content)
    except OSError as error:
        raise Refused(f"{path}: {error.strerror}") from None
    click.echo(f"{path}: {len(content)} bytes")


@certificates.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, help="Shown on the public verification page.")
@json_option
@transactional
def revoke(serial: str, reason: str, as_json: bool) -> None:
    """Revoke a valid certificate (the verification page shows it at once)."""
    found = _find(serial, as_json)
    try:
        services.revoke(found, reason=reason, by=None, now=clock.now())
    except DomainError as error:
        raise Refused(
            f"{serials.grouped(found.serial)}: {error.message}", as_json=as_json
        ) from None
    emit(
        {"serial": serials.grouped(found.serial), "status": found.status.value},
        as_json=as_json,
        text=f"{serials.grouped(found.serial)} revoked",
    )


@certificates.command("verify")
@click.argument("credential")
@click.option(
    "--jwks", "jwks_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify with these public keys (a JWKS file) instead of this installation's.",
)  # fmt: skip
@json_option
@transactional
def verify(credential: str, jwks_path: Path | None, as_json: bool) -> None:
    """Check a signed credential (a .jwt file, or the token itself) offline: signature,
    claims and validity; then, where this installation knows the certificate, whether it
    was revoked or replaced."""
    token = credential
    try:
        if Path(credential).is_file():
            token = Path(credential).read_text(encoding="utf-8")
    except OSError:  # a token is longer than a file name may be
        pass
    if jwks_path is not None:
        try:
            ring = credentials.ring_from_jwks(json.loads(jwks_path.read_text(encoding="utf-8")))
        except (ValueError, OSError) as error:
            raise Refused(f"{jwks_path}: not a JWKS document ({error})", as_json=as_json) from None
    else:
        ring = services.key_ring()
    try:
        claims = credentials.verify(token, ring, now=clock.now())
    except credentials.CredentialError as error:
        raise Refused(f"not valid ({error.reason}): {error.message}", as_json=as_json) from None
    serial = str(claims["jti"]).rsplit(":", 1)[-1]
    known = services.find(serial)
    state = known.state(clock.now().date()) if known is not None else "unknown here"
    subject = claims["vc"]["credentialSubject"]
    emit(
        {
            "signature": "valid",
            "serial": serials.grouped(serial),
            "holder": subject.get("name"),
            "achievement": subject["achievement"]["name"],
            "issuer": claims["iss"],
            "status": state,
        },
        as_json=as_json,
        text=(
            f"signature valid: {serials.grouped(serial)}, {subject['achievement']['name']}, "
            f"{subject.get('name')}; status here: {state}"
        ),
    )
    if known is not None and state != "valid":
        raise Refused(f"{serials.grouped(serial)} is {state}", as_json=as_json)
