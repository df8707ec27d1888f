"""The ``flask --app wsgi lms …`` command group: every domain's commands, registered here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from lms import audit, backup, clock
from lms.accounts import demo as accounts_demo
from lms.accounts.cli import tokens_group, users
from lms.assessments import demo as assessments_demo
from lms.assessments import services as assessments
from lms.assessments.cli import questions
from lms.certificates import demo as certificates_demo
from lms.certificates.cli import certificates
from lms.clitools import Refused, emit, json_option, transactional
from lms.config import content_folders
from lms.courses import demo as courses_demo
from lms.courses import services as courses
from lms.demo import DemoWorld
from lms.enrolments import demo as enrolments_demo
from lms.errors import DomainError
from lms.evaluation import demo as evaluation_demo
from lms.evaluation import services as evaluation
from lms.evaluation.cli import surveys
from lms.extensions import db
from lms.mentoring import demo as mentoring_demo
from lms.mentoring.cli import mentoring
from lms.privacy.cli import privacy
from lms.reports import demo as reports_demo

#: Domain command groups, in the order they appear in ``flask lms --help``.
DOMAIN_GROUPS: list[click.Group] = [
    users, tokens_group, questions, certificates, mentoring, surveys, privacy
]  # fmt: skip


#: Demo seeders in dependency order (accounts ← courses ← enrolments ← …).
def _known_tests(bank_folders: list[Path]) -> dict[str, dict[str, int]]:
    """The banks a course's tests may draw from, with their categories and sizes."""
    return assessments.bank_catalogue(bank_folders)


def _seed_courses(world: DemoWorld) -> None:
    banks = content_folders(current_app.config["ASSESSMENTS_DIR"])
    courses_demo.seed(world, known_tests=_known_tests(banks))
    evaluation.sync(content_folders(current_app.config["COURSES_DIR"]), now=world.now)


DEMO_SEEDERS: list[Callable[[DemoWorld], None]] = [
    accounts_demo.seed,
    assessments_demo.seed,
    _seed_courses,
    enrolments_demo.seed,
    assessments_demo.seed_pre_tests,
    enrolments_demo.seed_progress,
    assessments_demo.seed_post_tests,
    assessments_demo.seed_classroom_cohort,
    certificates_demo.seed,
    mentoring_demo.seed,
    evaluation_demo.seed,
    reports_demo.seed,
]

lms_group = AppGroup("lms", help="PROTECT LMS administration commands.")


def _key_fingerprints() -> dict[str, Any]:
    """Fingerprints (never the keys) of what the data needs: the secret key (two-factor
    secrets), the mentoring keys (sealed texts), the certificate keys (credentials)."""
    from lms.certificates import services as certificate_services
    from lms.mentoring import sealed

    ring = certificate_services.key_ring()
    return {
        "secret_key": backup.fingerprint(
            current_app.config.get("ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
        ),
        "mentoring": [backup.fingerprint(key) for key in sealed.configured_keys()],
        "signing": sorted(ring.public),
    }


def _passphrase(path: str | None) -> bytes | None:
    if path:
        try:
            return Path(path).read_bytes().strip() or None
        except OSError as error:
            raise Refused(f"{path}: cannot be read ({error.strerror})") from None
    value = os.environ.get("LMS_BACKUP_PASSPHRASE", "")
    return value.encode() if value else None


@lms_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passphrase-file", help="encrypt with the passphrase in this file "
              "(or set LMS_BACKUP_PASSPHRASE)")  # fmt: skip
@json_option
def backup_command(path: Path, passphrase_file: str | None, as_json: bool) -> None:
    """Write the whole database to PATH with a manifest of every table (SQLite: online
    backup; PostgreSQL: pg_dump). The keys are not in it: back them up apart."""
    secret = _passphrase(passphrase_file)
    try:
        manifest = backup.create(db.engine, path, passphrase=secret, keys=_key_fingerprints())
    except backup.BackupError as error:
        raise Refused(str(error), as_json=as_json) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    emit({"path": str(path), "encrypted": secret is not None, "tables": len(manifest["tables"]),
          "rows": rows, "revision": manifest["revision"]}, as_json=as_json,
         text=f"{path}: {len(manifest['tables'])} tables, {rows} rows"
              + (", encrypted" if secret else ""))  # fmt: skip


@lms_group.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passphrase-file", help="the passphrase of an encrypted backup "
              "(or set LMS_BACKUP_PASSPHRASE)")  # fmt: skip
@json_option
def restore_command(path: Path, passphrase_file: str | None, as_json: bool) -> None:
    """Restore PATH into the configured database, which must be empty and of the same kind,
    then check every table against the backup's manifest. Warns when the configured keys
    are not the ones the data was written with."""
    try:
        manifest = backup.restore(db.engine, path, passphrase=_passphrase(passphrase_file))
    except backup.BackupError as error:
        raise Refused(str(error), as_json=as_json) from None
    needed, present = manifest.get("keys") or {}, _key_fingerprints()
    warnings = []
    if needed.get("secret_key") and needed["secret_key"] != present["secret_key"]:
        warnings.append("LMS_ENCRYPTION_KEY (or LMS_SECRET_KEY) differs from the backup's: "
                        "two-factor secrets will not open; people must set up their "
                        "authenticator again")  # fmt: skip
    if needed.get("mentoring") and needed["mentoring"][0] not in present["mentoring"]:
        warnings.append("LMS_MENTORING_KEY does not hold the key mentoring texts were sealed "
                        "with: set it before anyone opens a mentoring page")  # fmt: skip
    missing = sorted(set(needed.get("signing") or []) - set(present["signing"]))
    if missing:
        warnings.append("certificate keys missing (credentials signed with them will not "
                        "verify): " + ", ".join(missing))  # fmt: skip
    rows = sum(t["rows"] for t in manifest["tables"].values())
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    emit({"restored": str(path), "tables": len(manifest["tables"]), "rows": rows,
          "verified": True, "revision": manifest["revision"], "warnings": warnings},
         as_json=as_json,
         text=f"restored {rows} rows in {len(manifest['tables'])} tables; every table "
              "matches the backup")  # fmt: skip


@lms_group.command("demo")
@json_option
@transactional
def demo(as_json: bool) -> None:
    """Build the demo world (idempotent) and print the demo logins."""
    if current_app.config["ENV"] == "production":
        raise Refused(
            "the demo world is for development only (LMS_ENV=production)", as_json=as_json
        )
    world = DemoWorld(now=clock.now())
    for seeder in DEMO_SEEDERS:
        seeder(world)
    lines = ["Demo logins:"] + [
        f"  {role:<12} {login['username']:<20} {login['password']}"
        for role, login in world.logins.items()
    ]
    emit(
        {
            "logins": world.logins,
            "created": dict(world.created),
            "existing": dict(world.existing),
        },
        as_json=as_json,
        text="\n".join(lines),
    )


content = AppGroup("content", help="The content folders: courses/ and assessments/.")


def _content_folders() -> tuple[list[Path], list[Path]]:
    return (
        content_folders(current_app.config["COURSES_DIR"]),
        content_folders(current_app.config["ASSESSMENTS_DIR"]),
    )


@content.command("check")
@json_option
def check_content(as_json: bool) -> None:
    """Validate courses and question banks; each problem as FILE:LINE: message (exit 1)."""
    course_folders, bank_folders = _content_folders()
    problems = [
        str(p) for p in courses.check(course_folders, known_tests=_known_tests(bank_folders))
    ]
    problems += assessments.check_content(bank_folders)
    problems += [str(p) for p in evaluation.check(course_folders)]
    if problems:
        raise Refused(problems, as_json=as_json)
    emit({"ok": True, "problems": []}, as_json=as_json, text="content is valid")


@content.command("sync")
@json_option
@transactional
def sync_content(as_json: bool) -> None:
    """Load courses and question banks; nothing changed writes nothing; a refused sync
    writes nothing at all."""
    course_folders, bank_folders = _content_folders()
    now = clock.now()
    banks = assessments.sync_content(bank_folders, now=now)
    course_totals = courses.sync(course_folders, known_tests=_known_tests(bank_folders), now=now)
    try:
        survey_totals = evaluation.sync(course_folders, now=now)
    except DomainError as error:
        raise Refused(error.message.split("; "), as_json=as_json) from None
    totals = {key: banks[key] + course_totals[key] for key in ("created", "updated", "unchanged")}
    totals.update(courses=course_totals, questions=banks, surveys=survey_totals)
    changed = sum(
        (totals["created"], totals["updated"], banks["retired"], course_totals["retired"],
         survey_totals["created"], survey_totals["updated"], survey_totals["retired"])
    )  # fmt: skip
    emit(
        totals,
        as_json=as_json,
        text=(
            f"courses: {course_totals['created']} created, {course_totals['updated']} updated, "
            f"{course_totals['unchanged']} unchanged; questions: {banks['created']} created, "
            f"{banks['updated']} updated, {banks['unchanged']} unchanged; surveys: "
            f"{survey_totals['created']} created, {survey_totals['updated']} updated, "
            f"{survey_totals['unchanged']} unchanged"
            + ("" if changed else " — nothing changed, nothing written")
        ),
    )


@content.command("list")
@json_option
def list_content(as_json: bool) -> None:
    """Courses → modules → lessons with their source files."""
    listed = courses.listing(_content_folders()[0])
    emit(
        {"courses": listed},
        as_json=as_json,
        text="\n".join(
            f"{c['slug']}: {len(c['modules'])} modules, "
            f"{sum(len(m['lessons']) for m in c['modules'])} lessons"
            for c in listed
        )
        or "no courses",
    )


audit_group = AppGroup("audit", help="The audit trail's hash chain.")


@audit_group.command("seal")
@json_option
@transactional
def audit_seal(as_json: bool) -> None:
    """Chain the events recorded since the last run (schedule it every few minutes)."""
    sealed = audit.seal(now=clock.now())
    emit({"sealed": sealed}, as_json=as_json, text=f"sealed {sealed} audit events")


@audit_group.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Recompute the chain: exit 1 naming every event changed, removed or added after it
    was sealed (schedule it daily, and alert on failure)."""
    problems = [f"audit event {p.event_id}: {p.what}" for p in audit.verify()]
    if problems:
        raise Refused(problems, as_json=as_json)
    sealed = db.session.scalar(sa.select(sa.func.count()).select_from(audit.AuditSeal))
    emit({"ok": True, "sealed": sealed}, as_json=as_json,
         text=f"the audit trail holds: {sealed} sealed events verified")  # fmt: skip


def init_app(app: Flask) -> None:
    for group in [*DOMAIN_GROUPS, content, jobs, audit_group]:
        lms_group.add_command(group)
    app.cli.add_command(lms_group)


jobs = AppGroup("jobs", help="Background jobs (RQ on Redis).")


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
def jobs_worker(burst: bool) -> None:
    """Run the jobs queued on Redis (LMS_REDIS_URL), inside this app."""
    from flask import current_app
    from redis import Redis
    from rq import Queue, Worker

    from lms.jobs import QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise Refused("LMS_REDIS_URL is not set: jobs run at once, without a worker")
    connection = Redis.from_url(url)
    Worker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst)
