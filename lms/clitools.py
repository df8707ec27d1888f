"""Shared plumbing for the ``flask lms`` commands (ARCHITECTURE.md §5).

Exit codes: 0 success, 1 input refused (each problem on stderr), 2 usage error (click).
With ``--json`` a command prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click
import sqlalchemy as sa

from lms.db import write_intent
from lms.errors import DomainError
from lms.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


class Refused(click.ClickException):
    """Input was refused: exit code 1, one line per problem on stderr, nothing saved."""

    exit_code = 1

    def __init__(
        self, problems: Iterable[str] | str, *, as_json: bool = False, **extra: Any
    ) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.as_json = as_json
        self.extra = extra
        super().__init__("; ".join(self.problems))

    def show(self, file: Any = None) -> None:
        for problem in self.problems:
            click.echo(f"error: {problem}", err=True)
        if self.as_json:
            click.echo(json.dumps({"ok": False, "errors": self.problems, **self.extra}))


def emit(data: dict[str, Any], *, as_json: bool, text: str | None = None) -> None:
    """Print the command's result: one JSON object, or human-readable text."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str))
    elif text is not None:
        click.echo(text)


def transactional(func: F) -> F:
    """Run the command as one write transaction: commit on success, roll back on any error.

    A :class:`DomainError` becomes a :class:`Refused` (exit 1) instead of a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json", False))
        with write_intent():
            try:
                result = func(*args, **kwargs)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                raise Refused(exc.message, as_json=as_json) from None
            except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
                db.session.rollback()
                raise Refused(
                    f"database error: {str(exc.orig).strip()} "
                    "(is the database reachable and migrated? run: flask --app wsgi db upgrade)",
                    as_json=as_json,
                ) from None
            except BaseException:
                db.session.rollback()
                raise
        return result

    return wrapper  # type: ignore[return-value]
