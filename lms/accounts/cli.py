"""``flask lms users …``: thin callers of the accounts services."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from lms import clock
from lms.accounts import csvfile, importing, security, services, tokens
from lms.accounts import slips as slips_page
from lms.accounts.models import Role, User
from lms.clitools import Refused, emit, json_option, transactional
from lms.extensions import db

users = AppGroup("users", help="Manage user accounts.")


@users.command("create")
@click.option("--username", required=True, help="Login name (Latin letters, digits, . _ @ -).")
@click.option("--full-name", default=None, help="Full name; defaults to the username.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.LEARNER.value],
    show_default=True,
    help="Role to grant; repeat for several.",
)
@click.option(
    "--country",
    default=None,
    help="ISO code of the country the person serves in; also scopes a coordinator role.",
)
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
@transactional
def create_user(
    username: str,
    full_name: str | None,
    roles: tuple[str, ...],
    country: str | None,
    email: str | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create a user. Without --password-stdin the account has no password yet.

    A coordinator created with --country coordinates that country; without it, all.
    """
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Refused("no password on standard input", as_json=as_json)
    user = services.create_user(
        username=username,
        full_name=full_name or username,
        password=password,
        roles=[Role(r) for r in roles],
        country_code=country.upper() if country else None,
        coordinator_country=country.upper() if country else None,
        email=email,
        now=clock.now(),
    )
    emit(
        {
            "id": user.id,
            "username": user.username,
            "roles": sorted(r.value for r in user.roles),
            "country": user.country_code,
        },
        as_json=as_json,
        text=f"created user {user.username} (id {user.id}): {', '.join(sorted(user.roles))}",
    )


@users.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--update", is_flag=True, help="Update people whose username exists already.")
@click.option(
    "--slips",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the batch's activation slips to this HTML file (to print).",
)
@json_option
@transactional
def import_users(
    path: Path, dry_run: bool, update: bool, slips: Path | None, as_json: bool
) -> None:
    """Import people from a CSV file in Moodle's upload-user format (plus sex, agency,
    unit, position, role). Invalid rows are reported by line and skipped."""
    try:
        table = csvfile.read_table(path.read_bytes())
    except csvfile.FileRefused as refused:
        where = f"{path}:{refused.line}" if refused.line else str(path)
        raise Refused(f"{where}: {refused.message}", as_json=as_json) from None
    report = importing.import_users(
        table,
        actor=None,
        allowed_countries=None,
        may_grant_roles=True,
        update=update,
        dry_run=dry_run,
        settings=security.Settings.from_config(current_app.config),
        now=clock.now(),
    )
    for row in report.rows:
        for message in row.messages:
            level = "error" if row.action == "error" else "note"
            click.echo(f"{path}:{row.line}: {level}: {message}", err=True)
    if slips is not None and report.codes:
        slips.write_text(render_slips(report), encoding="utf-8")
    summary = report.summary()
    emit(
        summary,
        as_json=as_json,
        text=(
            f"{'would import' if dry_run else 'imported'}: {summary['created']} created, "
            f"{summary['updated']} updated, {summary['existing']} existing, "
            f"{summary['errors']} refused; {summary['activation_codes']} activation codes"
            + (f"; slips in {slips}" if slips is not None and report.codes else "")
        ),
    )
    if report.errors:
        # The valid rows stand; the exit code tells scripts that some rows were refused.
        db.session.commit()
        raise click.exceptions.Exit(1)


def render_slips(report: importing.ImportReport) -> str:
    """The printable activation slips of an import, as a standalone HTML page."""
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_([i for i, _ in report.codes]))
        )
    }
    return slips_page.standalone_page(
        [(people[user_id], code) for user_id, code in report.codes],
        now=clock.now(),
        locale=current_app.config["BABEL_DEFAULT_LOCALE"],
    )


tokens_group = AppGroup("tokens", help="Personal access tokens for the JSON API.")


@tokens_group.command("create")
@click.option("--username", required=True, help="Whose token it is.")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None, help="Lifetime.")
@json_option
@transactional
def create_token(username: str, name: str, expires_days: int | None, as_json: bool) -> None:
    """Create a token and print it (it is shown only this once)."""
    user = services.get_user_by_username(username)
    if user is None or not user.is_active:
        raise Refused(f"no active user {username!r}", as_json=as_json)
    now = clock.now()
    expires = now + timedelta(days=expires_days) if expires_days else None
    token, secret = tokens.create_token(user, name=name, now=now, expires_at=expires)
    emit(
        {"id": token.id, "username": user.username, "token": secret, "expires_at": expires},
        as_json=as_json,
        text=secret,
    )
