"""The ``flask --app wsgi lms …`` command group: every domain's commands, registered here."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms import clock
from lms.accounts import demo as accounts_demo
from lms.accounts.cli import tokens_group, users
from lms.assessments import demo as assessments_demo
from lms.assessments import services as assessments
from lms.assessments.cli import questions
from lms.clitools import Refused, emit, json_option, transactional
from lms.demo import DemoWorld

#: Domain command groups, in the order they appear in ``flask lms --help``.
DOMAIN_GROUPS: list[click.Group] = [users, tokens_group, questions]

#: Demo seeders in dependency order (accounts ← courses ← enrolments ← …).
DEMO_SEEDERS: list[Callable[[DemoWorld], None]] = [accounts_demo.seed, assessments_demo.seed]

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


content = AppGroup("content", help="The content folders: courses/ and assessments/.")


@content.command("check")
@json_option
def check_content(as_json: bool) -> None:
    """Validate the content folders; each problem as FILE:LINE: message (exit 1)."""
    problems = assessments.check_content(
        assessments.content_folders(current_app.config["ASSESSMENTS_DIR"])
    )
    if problems:
        raise Refused(problems, as_json=as_json)
    emit({"ok": True, "problems": []}, as_json=as_json, text="content is valid")


@content.command("sync")
@json_option
@transactional
def sync_content(as_json: bool) -> None:
    """Load the content folders idempotently (nothing changed writes nothing)."""
    totals = assessments.sync_content(
        assessments.content_folders(current_app.config["ASSESSMENTS_DIR"]), now=clock.now()
    )
    emit(
        totals,
        as_json=as_json,
        text=(
            f"{totals['banks']} banks: {totals['created']} created, {totals['updated']} "
            f"updated, {totals['unchanged']} unchanged, {totals['retired']} retired"
        ),
    )


def init_app(app: Flask) -> None:
    for group in [*DOMAIN_GROUPS, content]:
        lms_group.add_command(group)
    app.cli.add_command(lms_group)
