"""``flask lms privacy …``: a person's data export, erasure, and the retention clean-up."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from lms import audit, clock
from lms.accounts.models import User
from lms.clitools import Refused, emit, json_option, transactional
from lms.extensions import db
from lms.privacy import services

privacy = AppGroup("privacy", help="Learners' data rights and the retention of records.")


def _person(username: str, as_json: bool) -> User:
    person = db.session.scalar(sa.select(User).where(User.username == username))
    if person is None:
        raise Refused(f"no user {username!r}", as_json=as_json)
    return person


@privacy.command("export")
@click.argument("username")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write the JSON here (default: standard output)")  # fmt: skip
@transactional
def export_command(username: str, output: Path | None) -> None:
    """Everything held about USERNAME as one JSON document (audited)."""
    person = _person(username, False)
    data = services.export(person, now=clock.now())
    audit.record("privacy.export", now=clock.now(), obj=person, channel="cli")
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{output}: the data of {username}")
    else:
        click.echo(text)


@privacy.command("erase")
@click.argument("username")
@click.option("--reason", required=True, help="why (e.g. the person's request of 2026-11-02)")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@json_option
@transactional
def erase_command(username: str, reason: str, yes: bool, as_json: bool) -> None:
    """Erase USERNAME's identity; keep the anonymous facts the programme's figures need.
    Certificates stay verifiable with the holder withheld. Cannot be undone."""
    person = _person(username, as_json)
    if len(reason.strip()) < 10:
        raise Refused("give the reason in a few words (at least 10 characters)", as_json=as_json)
    if not yes and not as_json:
        click.confirm(f"Erase {person.full_name} ({username})? This cannot be undone", abort=True)
    person_id = person.id
    removed = services.erase(person, now=clock.now())
    audit.record(
        "privacy.erase", now=clock.now(), object_type="user", object_id=str(person_id),
        country_code=person.country_code, reason=reason.strip(), removed=removed,
    )  # fmt: skip
    summary = ", ".join(f"{kind} {count}" for kind, count in removed.items())
    emit({"erased": person_id, "removed": removed}, as_json=as_json,
         text=f"erased user {person_id}: {summary}")  # fmt: skip


@privacy.command("cleanup")
@json_option
@transactional
def cleanup_command(as_json: bool) -> None:
    """Delete records older than their retention (LMS_RETENTION_DAYS); schedule it daily."""
    try:
        deleted = services.cleanup(current_app.config["RETENTION_DAYS"], now=clock.now())
    except ValueError as error:
        raise Refused(f"LMS_RETENTION_DAYS: {error}", as_json=as_json) from None
    audit.record("privacy.cleanup", now=clock.now(), deleted=deleted)
    summary = ", ".join(f"{kind} {count}" for kind, count in deleted.items()) or "nothing"
    emit({"deleted": deleted}, as_json=as_json, text=f"deleted: {summary}")
