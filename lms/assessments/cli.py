"""``flask lms questions …``: import, export and list question banks."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lms import clock
from lms.assessments import services
from lms.assessments.models import Question, QuestionBank
from lms.assessments.questions import FormatError
from lms.clitools import Refused, emit, json_option, transactional
from lms.extensions import db

questions = AppGroup("questions", help="Question banks (GIFT and Aiken).")


@questions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(services.FORMATS), default="gift", show_default=True
)
@click.option("--bank", default=None, help="The bank's name (default: the file's name).")
@json_option
@transactional
def import_questions(path: Path, fmt: str, bank: str | None, as_json: bool) -> None:
    """Import a bank file; a file that does not read is refused whole (exit 1)."""
    try:
        parsed = services.read_bank_file(path.read_bytes(), fmt, source=str(path))
    except FormatError as error:
        raise Refused(
            [f"{path}:{p.line}: {p.message}" for p in error.problems],
            as_json=as_json,
            lines=[{"line": p.line, "message": p.message} for p in error.problems],
        ) from None
    report = services.import_bank(parsed, bank_name=bank or path.stem, now=clock.now())
    emit(
        report.summary(),
        as_json=as_json,
        text=(
            f"bank {report.bank}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        ),
    )


@questions.command("export")
@click.option("--bank", "bank_name", required=True)
@click.option("--format", "fmt", type=click.Choice(["gift"]), default="gift", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@transactional
def export_questions(bank_name: str, fmt: str, output: Path | None) -> None:
    """Write a bank as GIFT (the same bank always gives the same bytes)."""
    text = services.export_gift(services.get_bank(bank_name))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@questions.command("list")
@json_option
@transactional
def list_banks(as_json: bool) -> None:
    """The banks with their numbers of live questions."""
    rows = db.session.execute(
        sa.select(QuestionBank.name, QuestionBank.origin, sa.func.count(Question.id))
        .outerjoin(
            Question, sa.and_(Question.bank_id == QuestionBank.id, Question.retired_at.is_(None))
        )
        .group_by(QuestionBank.id)
        .order_by(QuestionBank.name)
    ).all()
    banks = [{"bank": name, "origin": origin, "questions": count} for name, origin, count in rows]
    emit(
        {"banks": banks},
        as_json=as_json,
        text="\n".join(f"{b['bank']}\t{b['origin']}\t{b['questions']}" for b in banks)
        or "no banks",
    )
