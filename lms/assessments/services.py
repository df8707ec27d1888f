"""Question-bank rules: importing files into versioned banks, exporting them back.

Services never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from lms import audit
from lms.assessments import aiken, gift
from lms.assessments.models import Question, QuestionBank, QuestionCategory, QuestionVersion
from lms.assessments.questions import (
    Answer,
    FormatError,
    MatchPair,
    ParsedBank,
    ParsedQuestion,
    Problem,
    QuestionType,
    TextFormat,
)
from lms.errors import Invalid, NotFound
from lms.extensions import db
from lms.markdown import render_markdown, render_plain, sanitise_html

FORMATS = ("gift", "aiken")
MAX_BYTES = 5 * 1024 * 1024


def read_bank_file(data: bytes, fmt: str, *, source: str = "") -> ParsedBank:
    """Parse a bank file; a file that does not read is refused whole.

    :raises FormatError: every problem, with its line.
    :raises Invalid: an unknown format or a file too large.
    """
    if fmt not in FORMATS:
        raise Invalid(gettext("Unknown format %(f)s: use gift or aiken.", f=fmt), field="format")
    if len(data) > MAX_BYTES:
        raise Invalid(gettext("The file is larger than 5 MB."), field="file")
    bank = (
        gift.read_gift(data, source=source)
        if fmt == "gift"
        else aiken.read_aiken(data, source=source)
    )
    problems = []
    seen: dict[str, int] = {}
    for question in bank.questions:
        if question.idnumber:
            if question.idnumber in seen:
                problems.append(
                    Problem(
                        question.line,
                        f"the id {question.idnumber!r} is used by the question at line "
                        f"{seen[question.idnumber]} too: ids are unique within a bank",
                    )
                )
            seen.setdefault(question.idnumber, question.line)
    if problems:
        raise FormatError(problems, source)
    return bank


# --- Questions as stored content -------------------------------------------------------------


def to_content(question: ParsedQuestion) -> dict[str, Any]:
    """The question as JSON-ready data (everything but its line and category)."""
    data = asdict(question)
    data.pop("line")
    data.pop("category")
    return json.loads(json.dumps(data, default=str))


def from_content(content: dict[str, Any], *, category: str | None) -> ParsedQuestion:
    data = dict(content)
    data["qtype"] = QuestionType(data["qtype"])
    for key in ("text_format", "general_feedback_format"):
        data[key] = TextFormat(data[key])
    data["answers"] = tuple(
        Answer(
            **{
                **a,
                "text_format": TextFormat(a["text_format"]),
                "feedback_format": TextFormat(a["feedback_format"]),
            }
        )
        for a in data["answers"]
    )
    data["pairs"] = tuple(
        MatchPair(**{**p, "left_format": TextFormat(p["left_format"])}) for p in data["pairs"]
    )
    data["tags"] = tuple(data["tags"])
    return ParsedQuestion(**data, category=category)


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def text_html(question: ParsedQuestion) -> str:
    """The question text as safe HTML, by its format."""
    if question.text_format is TextFormat.HTML:
        return sanitise_html(question.text)
    if question.text_format is TextFormat.MARKDOWN:
        return render_markdown(question.text)
    if question.text_format is TextFormat.PLAIN:
        return render_plain(question.text)
    # Moodle's auto-format: text with line breaks, in which some HTML is allowed.
    return sanitise_html(question.text.replace("\n", "<br>"))


def _keys(bank: ParsedBank) -> list[str]:
    """A stable key per question: its id, else its name (numbered when names repeat)."""
    keys, counts = [], {}
    for question in bank.questions:
        if question.idnumber:
            keys.append(f"id:{question.idnumber}")
            continue
        base = f"name:{question.name}"[:290]
        counts[base] = counts.get(base, 0) + 1
        keys.append(base if counts[base] == 1 else f"{base}#{counts[base]}")
    return keys


# --- Import and export ----------------------------------------------------------------------


@dataclass
class BankImport:
    bank: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    #: (line, key, action) per question of the file, action one of created/updated/unchanged.
    questions: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
        }


def import_bank(
    parsed: ParsedBank,
    *,
    bank_name: str,
    origin: str = "upload",
    actor: Any = None,
    now: datetime,
    retire_missing: bool = False,
) -> BankImport:
    """Put the questions of ``parsed`` into the bank ``bank_name`` (created if missing).

    A question whose key is new is created; one whose content changed gets a new version;
    one that is the same is left alone (a re-import of the same file writes nothing). With
    ``retire_missing`` (content sync), questions no longer in the file are retired.
    """
    bank_name = bank_name.strip()
    if not bank_name or len(bank_name) > 200:
        raise Invalid(gettext("A bank needs a name of up to 200 characters."), field="bank")
    report = BankImport(bank=bank_name)
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == bank_name))
    if bank is None:
        bank = QuestionBank(
            name=bank_name,
            origin=origin,
            created_at=now,
            updated_at=now,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(bank)
        db.session.flush()
    categories = {
        c.path: c
        for c in db.session.scalars(
            sa.select(QuestionCategory).where(QuestionCategory.bank_id == bank.id)
        )
    }
    for position, path in enumerate(parsed.categories):
        if path not in categories:
            categories[path] = QuestionCategory(bank_id=bank.id, path=path, position=position)
            db.session.add(categories[path])
        elif categories[path].position != position:
            categories[path].position = position
    db.session.flush()
    existing = {
        question.key: (question, version)
        for question, version in db.session.execute(
            sa.select(Question, QuestionVersion)
            .join(
                QuestionVersion,
                sa.and_(
                    QuestionVersion.question_id == Question.id,
                    QuestionVersion.version == Question.current_version,
                ),
            )
            .where(Question.bank_id == bank.id)
        ).all()
    }
    keys = _keys(parsed)
    for position, (key, question) in enumerate(zip(keys, parsed.questions, strict=True)):
        normalised = gift.normalise_question(question)
        content = to_content(normalised)
        digest = content_hash(content)
        category = categories[question.category] if question.category is not None else None
        found = existing.get(key)
        if found is None:
            stored = Question(
                bank_id=bank.id,
                key=key,
                category=category,
                position=position,
                current_version=1,
                created_at=now,
            )
            db.session.add(stored)
            db.session.flush()
            _add_version(stored, 1, normalised, content, digest, actor, now)
            report.created += 1
            action = "created"
        else:
            stored, version = found
            stored.position, stored.category, stored.retired_at = position, category, None
            if version.content_hash == digest:
                report.unchanged += 1
                action = "unchanged"
            else:
                stored.current_version = version.version + 1
                _add_version(
                    stored, stored.current_version, normalised, content, digest, actor, now
                )
                report.updated += 1
                action = "updated"
        report.questions.append((question.line, key, action))
    if retire_missing:
        gone = [q for k, (q, _v) in existing.items() if k not in set(keys) and q.retired_at is None]
        for question in gone:
            question.retired_at = now
        report.retired = len(gone)
    if report.created or report.updated or report.retired:
        bank.updated_at = now
        audit.record(
            "bank.import",
            actor=actor,
            object_type="question_bank",
            object_id=bank.id,
            now=now,
            **report.summary(),
        )
    db.session.flush()
    return report


def _add_version(
    question: Question,
    number: int,
    parsed: ParsedQuestion,
    content: dict[str, Any],
    digest: str,
    actor: Any,
    now: datetime,
) -> None:
    db.session.add(
        QuestionVersion(
            question_id=question.id,
            version=number,
            qtype=parsed.qtype.value,
            name=parsed.name[:255],
            content=content,
            content_hash=digest,
            text_html=text_html(parsed),
            tags=list(parsed.tags),
            created_at=now,
            created_by_id=getattr(actor, "id", None),
        )
    )


def get_bank(name: str) -> QuestionBank:
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == name))
    if bank is None:
        raise NotFound(gettext("There is no bank named %(name)s.", name=name))
    return bank


def current_questions(bank: QuestionBank) -> list[tuple[Question, QuestionVersion]]:
    """The bank's live questions with their current versions, in file order (one query)."""
    return list(
        db.session.execute(
            sa.select(Question, QuestionVersion)
            .join(
                QuestionVersion,
                sa.and_(
                    QuestionVersion.question_id == Question.id,
                    QuestionVersion.version == Question.current_version,
                ),
            )
            .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
            .options(sa.orm.joinedload(Question.category))
            .order_by(Question.position, Question.id)
        ).all()
    )


def export_gift(bank: QuestionBank) -> str:
    """The bank as GIFT text: the same bank always gives the same bytes, and the text
    imports back to the same questions."""
    questions = [
        from_content(
            version.content, category=question.category.path if question.category else None
        )
        for question, version in current_questions(bank)
    ]
    categories = tuple(c.path for c in sorted(bank.categories, key=lambda c: c.position))
    return gift.write_gift(ParsedBank(tuple(questions), categories))


def bank_files(folders: list[Path]) -> list[tuple[str, Path]]:
    """The bank files of the content folders: (bank name, path), bank named by its file."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.gift")):
            found.append((path.relative_to(folder).with_suffix("").as_posix(), path))
    return found


def bank_catalogue(folders: list[Path]) -> dict[str, dict[str, int]]:
    """Each readable bank of the content folders: its categories with their numbers of
    questions to answer (descriptions left out), for checking test definitions."""
    catalogue: dict[str, dict[str, int]] = {}
    for name, path in bank_files(folders):
        if name in catalogue:
            continue
        try:
            parsed = read_bank_file(path.read_bytes(), "gift", source=str(path))
        except (FormatError, Invalid):
            catalogue[name] = {}
            continue
        counts: dict[str, int] = dict.fromkeys(parsed.categories, 0)
        for question in parsed.questions:
            if question.qtype is not QuestionType.DESCRIPTION:
                key = question.category or ""
                counts[key] = counts.get(key, 0) + 1
        catalogue[name] = counts
    return catalogue


def check_content(folders: list[Path]) -> list[str]:
    """Problems of the bank files in ``folders``, as ``FILE:LINE: message`` lines."""
    problems = []
    names: dict[str, Path] = {}
    for name, path in bank_files(folders):
        if name in names:
            problems.append(f"{path}:1: the bank {name!r} is also defined by {names[name]}")
            continue
        names[name] = path
        try:
            read_bank_file(path.read_bytes(), "gift", source=str(path))
        except FormatError as error:
            problems.extend(f"{path}:{p.line}: {p.message}" for p in error.problems)
        except Invalid as error:
            problems.append(f"{path}:1: {error.message}")
    return problems


def sync_content(folders: list[Path], *, now: datetime) -> dict[str, int]:
    """Load the content banks idempotently: nothing changed writes nothing.

    :raises Invalid: a file does not read (run ``lms content check`` for every problem).
    """
    totals = {"created": 0, "updated": 0, "unchanged": 0, "retired": 0, "banks": 0}
    for name, path in bank_files(folders):
        try:
            parsed = read_bank_file(path.read_bytes(), "gift", source=str(path))
        except FormatError as error:
            first = error.problems[0]
            raise Invalid(f"{path}:{first.line}: {first.message}") from None
        report = import_bank(parsed, bank_name=name, origin="content", now=now, retire_missing=True)
        totals["banks"] += 1
        for key in ("created", "updated", "unchanged", "retired"):
            totals[key] += getattr(report, key)
    return totals
