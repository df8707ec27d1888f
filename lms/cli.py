"""The ``flask --app wsgi lms …`` command group: every domain's commands, registered here."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms import clock
from lms.accounts import demo as accounts_demo
from lms.accounts.cli import tokens_group, users
from lms.clitools import Refused, emit, json_option, transactional
from lms.demo import DemoWorld

#: Domain command groups, in the order they appear in ``flask lms --help``.
DOMAIN_GROUPS: list[click.Group] = [users, tokens_group]

#: Demo seeders in dependency order (accounts ← courses ← enrolments ← …).
DEMO_SEEDERS: list[Callable[[DemoWorld], None]] = [accounts_demo.seed]

lms_group = AppGroup("lms", help="PROTECT LMS administration commands.")


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


def init_app(app: Flask) -> None:
    for group in DOMAIN_GROUPS:
        lms_group.add_command(group)
    app.cli.add_command(lms_group)
