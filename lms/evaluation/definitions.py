"""Survey definitions and answers (pure: no Flask, no database).

A survey is content: a YAML mapping with a title, an optional introduction and its
questions, every text given per language (``en`` always). Question kinds:

- ``likert``: agreement from 1 (strongly disagree) to 5 (strongly agree);
- ``single``: one of the question's options;
- ``multiple``: any of them;
- ``short_text`` (200 characters) and ``long_text`` (4 000 characters).

A ``single`` question may say ``indicator: application`` with ``applied: [option ids]``:
its answers give the donor's "reporting application of skills" figure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("likert", "single", "multiple", "short_text", "long_text")
LIKERT = (1, 2, 3, 4, 5)
LIMITS = {"short_text": 200, "long_text": 4000}
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
INDICATORS = ("application",)


@dataclass(frozen=True)
class Option:
    id: str
    #: language → text.
    text: dict[str, str]


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: dict[str, str]
    required: bool = False
    #: language → a line under the question (e.g. "no names or case numbers").
    hint: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    indicator: str | None = None
    #: For an indicator question: the options that count as applying the skills.
    applied: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    key: str
    title: dict[str, str]
    intro: dict[str, str]
    questions: tuple[Question, ...]

    @property
    def languages(self) -> list[str]:
        """Languages every text of the survey is given in (``en`` first)."""
        sets = [set(self.title)]
        for question in self.questions:
            sets.append(set(question.text))
            sets += [set(option.text) for option in question.options]
        common = set.intersection(*sets) if sets else {"en"}
        return ["en", *sorted(common - {"en"})]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def content_hash(self) -> str:
        data = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.id == key), None)

    @property
    def application(self) -> Question | None:
        """The question whose answers tell whether the skills are applied, if any."""
        return next((q for q in self.questions if q.indicator == "application"), None)


def from_dict(data: Mapping[str, Any]) -> Definition:
    """A definition stored with :meth:`Definition.as_dict` (trusted: it was checked)."""
    return Definition(
        key=data["key"],
        title=dict(data["title"]),
        intro=dict(data.get("intro") or {}),
        questions=tuple(
            Question(
                id=q["id"], kind=q["kind"], text=dict(q["text"]), required=q["required"],
                hint=dict(q.get("hint") or {}),
                options=tuple(Option(o["id"], dict(o["text"])) for o in q.get("options") or ()),
                indicator=q.get("indicator"), applied=tuple(q.get("applied") or ()),
            )
            for q in data["questions"]
        ),
    )  # fmt: skip


def _texts(value: Any, where: str, problems: list[str], *, required: bool = True) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: give the text per language, e.g. en: …")
        return {}
    texts: dict[str, str] = {}
    for language, text in value.items():
        if not isinstance(language, str) or not LANGUAGE.match(language):
            problems.append(f"{where}: {language!r} is not a language code")
        elif not isinstance(text, str):
            problems.append(f"{where}: the {language} text is not text (put words like "
                            "Yes and No in quotes)")  # fmt: skip
        elif not text.strip():
            problems.append(f"{where}: the {language} text is empty")
        else:
            texts[language] = text.strip()
    if texts and "en" not in texts:
        problems.append(f"{where}: the English text (en) is missing")
    return texts


def parse(key: str, data: Any) -> tuple[Definition | None, list[str]]:
    """Check a survey's YAML data; the definition, or None and the problems found (each
    naming the question it is about)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return None, ["the survey must be a mapping with title and questions"]
    unknown = set(data) - {"title", "intro", "questions"}
    problems += [f"unknown key {name!r}" for name in sorted(unknown, key=str)]
    title = _texts(data.get("title"), "title", problems)
    intro = _texts(data.get("intro"), "intro", problems, required=False)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append("questions: list at least one question")
        raw_questions = []
    questions: list[Question] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_questions, 1):
        where = f"question {number}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a question is a mapping with id, kind and text")
            continue
        qid = str(raw.get("id") or "")
        if not ID.match(qid):
            problems.append(f"{where}: the id {qid!r} must be lower-case letters, digits and -")
        elif qid in seen:
            problems.append(f"{where}: the id {qid!r} is used twice")
        seen.add(qid)
        where = f"question {qid or number}"
        unknown = set(raw) - {"id", "kind", "text", "required", "hint", "options", "indicator",
                              "applied"}  # fmt: skip
        problems += [f"{where}: unknown key {name!r}" for name in sorted(unknown, key=str)]
        kind = raw.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
            continue
        required = raw.get("required", False)
        if not isinstance(required, bool):
            problems.append(f"{where}: required is true or false")
            required = False
        options: list[Option] = []
        if kind in ("single", "multiple"):
            raw_options = raw.get("options")
            if not isinstance(raw_options, list) or len(raw_options) < 2:
                problems.append(f"{where}: list at least two options")
                raw_options = []
            option_ids: set[str] = set()
            for raw_option in raw_options:
                oid = str(raw_option.get("id") or "") if isinstance(raw_option, dict) else ""
                if not ID.match(oid) or oid in option_ids:
                    problems.append(f"{where}: option ids are unique lower-case words ({oid!r})")
                    continue
                option_ids.add(oid)
                options.append(Option(oid, _texts(raw_option.get("text"),
                                                  f"{where}, option {oid}", problems)))  # fmt: skip
        elif raw.get("options"):
            problems.append(f"{where}: only single and multiple choice questions have options")
        indicator = raw.get("indicator")
        applied: tuple[str, ...] = ()
        if indicator is not None:
            if indicator not in INDICATORS or kind != "single":
                problems.append(f"{where}: indicator: application is for a single-choice question")
                indicator = None
            else:
                applied = tuple(str(a) for a in raw.get("applied") or ())
                if not applied or not set(applied) <= {o.id for o in options}:
                    problems.append(f"{where}: applied lists the options that count as applying")
        questions.append(
            Question(qid, kind, _texts(raw.get("text"), where, problems), required,
                     _texts(raw.get("hint"), f"{where}, hint", problems, required=False),
                     tuple(options), indicator, applied)
        )  # fmt: skip
    if sum(1 for q in questions if q.indicator) > 1:
        problems.append("only one question may carry the application indicator")
    if problems:
        return None, problems
    return Definition(key, title, intro, tuple(questions)), []


# --- Answers -----------------------------------------------------------------------------


def read_answers(
    definition: Definition, form: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers a form gives (``form[question id]``: a string, or a list for multiple
    choice) and the problems per question id: ``required`` (only when ``complete``: a draft
    may leave questions open), ``range``, ``unknown_option``, ``too_long``."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in definition.questions:
        raw = form.get(question.id)
        if question.kind == "multiple":
            values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
            values = [str(v) for v in values if str(v)]
            known = {o.id for o in question.options}
            if any(v not in known for v in values):
                errors[question.id] = "unknown_option"
            elif values:
                answers[question.id] = sorted(
                    set(values), key=[o.id for o in question.options].index
                )
        else:
            text = "" if raw is None else str(raw[0] if isinstance(raw, (list, tuple)) and raw
                                              else raw).strip()  # fmt: skip
            if isinstance(raw, (list, tuple)) and not raw:
                text = ""
            if text:
                if question.kind == "likert":
                    if text.isascii() and text.isdigit() and int(text) in LIKERT:
                        answers[question.id] = int(text)
                    else:
                        errors[question.id] = "range"
                elif question.kind == "single":
                    if text in {o.id for o in question.options}:
                        answers[question.id] = text
                    else:
                        errors[question.id] = "unknown_option"
                elif len(text) > LIMITS[question.kind]:
                    errors[question.id] = "too_long"
                else:
                    answers[question.id] = text
        if complete and question.required and question.id not in answers:
            errors.setdefault(question.id, "required")
    return answers, errors


def applied(definition: Definition, answers: Mapping[str, Any]) -> bool | None:
    """Whether ``answers`` report applying the skills (None: the survey does not ask, or
    the question was left open)."""
    question = definition.application
    if question is None or question.id not in answers:
        return None
    return answers[question.id] in question.applied
