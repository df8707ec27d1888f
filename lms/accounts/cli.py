"""``flask lms users …``: thin callers of the accounts services."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lms import clock
from lms.accounts import services
from lms.accounts.models import Role
from lms.clitools import Refused, emit, json_option, transactional

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
