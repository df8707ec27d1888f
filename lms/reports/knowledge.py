"""Knowledge gain of a cohort and the item analysis of a bank: SQL aggregates from
:mod:`lms.reports.queries`, then one pass through the pure statistics of
:mod:`lms.assessments.statistics`. Online attempts and answers entered from paper are
the same rows, so they give the same numbers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale

from lms.accounts.models import AGENCY_TYPE_LABELS, SEX_LABELS
from lms.assessments import statistics as stats
from lms.assessments.attempts import POST
from lms.assessments.models import QuestionBank
from lms.courses.models import Course, Module
from lms.enrolments.models import Cohort
from lms.extensions import db
from lms.i18n import pick_text
from lms.reports import queries
from lms.reports.queries import LearnerScores

#: Below this many matched pairs a group's numbers are shown with a warning.
SMALL_GROUP = 10


@dataclass(frozen=True)
class GroupRow:
    """The knowledge gain of one group of learners (everyone, women, police…)."""

    dimension: str
    key: str
    label: str
    #: Participants in the group, and those with both a pre- and a post-test score.
    participants: int
    gain: stats.GroupGain

    @property
    def small(self) -> bool:
        return self.gain.n < SMALL_GROUP


@dataclass(frozen=True)
class TagRow:
    """Mean score on the items of one module or learning objective, before and after."""

    tag: str
    label: str
    kind: str  # "module" or "objective"
    gain: stats.TagGain


@dataclass
class CohortResults:
    cohort: Cohort
    threshold: float
    pass_mark: float
    learners: list[tuple[LearnerScores, stats.LearnerGain]]
    overall: GroupRow
    groups: list[GroupRow]
    tags: list[TagRow]
    #: Raw gains of the matched pairs (for the histogram).
    gains: list[float] = field(default_factory=list)

    @property
    def with_pre(self) -> int:
        return sum(1 for s, _g in self.learners if s.pre is not None)

    @property
    def with_post(self) -> int:
        return sum(1 for s, _g in self.learners if s.post is not None)


def _pairs(rows: Iterable[LearnerScores]) -> list[tuple[float, float]]:
    return [(r.pre, r.post) for r in rows if r.pre is not None and r.post is not None]


def _group(
    dimension: str,
    key: str,
    label: str,
    members: list[LearnerScores],
    threshold: float,
    pass_mark: float,
) -> GroupRow:
    gain = stats.group_gain(_pairs(members), threshold=threshold, pass_mark=pass_mark)
    return GroupRow(dimension, key, label, len(members), gain)


def _disaggregate(
    rows: list[LearnerScores],
    dimension: str,
    key_of: Callable[[LearnerScores], Any],
    label_of: Callable[[Any], str],
    threshold: float,
    pass_mark: float,
) -> list[GroupRow]:
    members: dict[Any, list[LearnerScores]] = defaultdict(list)
    for row in rows:
        members[key_of(row)].append(row)
    return [
        _group(dimension, str(key or ""), label_of(key), group, threshold, pass_mark)
        for key, group in sorted(members.items(), key=lambda kv: str(kv[0] or "~"))
    ]


def cohort_results(
    cohort: Cohort,
    scope: sa.ColumnElement[bool],
    *,
    threshold: float,
    country_label: Callable[[str | None], str],
    tag_labels: Mapping[str, tuple[str, str]],
) -> CohortResults:
    """The cohort's knowledge gain for the participants ``scope`` shows: per learner, for
    everyone, by sex, country and agency type, and per module and learning objective.
    Two queries whatever the cohort's size.

    ``tag_labels`` names the item tags worth reporting: tag → (kind, label); other tags
    (difficulty…) are left out.
    """
    course: Course = cohort.course
    pass_mark = float((course.tests or {}).get(POST, {}).get("pass_mark") or course.pass_mark)
    rows = queries.cohort_scores(cohort.id, scope)
    learners = [(row, stats.learner_gain(row.pre, row.post)) for row in rows]
    overall = _group("all", "", "", rows, threshold, pass_mark)
    groups = [
        *_disaggregate(
            rows, "sex", lambda r: r.sex, lambda k: str(SEX_LABELS[k]), threshold, pass_mark
        ),
        *_disaggregate(
            rows, "country", lambda r: r.country_code, country_label, threshold, pass_mark
        ),
        *_disaggregate(
            rows,
            "agency",
            lambda r: r.agency_type,
            lambda k: str(AGENCY_TYPE_LABELS[k]) if k else "—",
            threshold,
            pass_mark,
        ),
    ]
    tags = [
        TagRow(
            row.tag,
            tag_labels[row.tag][1],
            tag_labels[row.tag][0],
            stats.TagGain(
                row.tag,
                row.n,
                row.mean_pre,
                row.mean_post,
                row.mean_post - row.mean_pre,
                (row.mean_post - row.mean_pre) / (100.0 - row.mean_pre)
                if row.mean_pre < 100.0
                else None,
            ),
        )
        for row in queries.cohort_tag_scores(cohort.id, scope, list(tag_labels))
    ]
    order = list(tag_labels)
    tags.sort(key=lambda r: order.index(r.tag))
    gains = [post - pre for pre, post in _pairs(rows)]
    return CohortResults(cohort, threshold, pass_mark, learners, overall, groups, tags, gains)


def tag_labels(course: Course) -> dict[str, tuple[str, str]]:
    """The item tags a course's results are reported by: ``module-N`` (its modules in
    order) and the ids of its learning objectives, with their titles in the reader's
    language (one query)."""
    locale = get_locale()
    modules = db.session.scalars(
        sa.select(Module)
        .where(Module.course_id == course.id, Module.retired_at.is_(None))
        .order_by(Module.position)
    ).all()
    labels: dict[str, tuple[str, str]] = {}
    for number, module in enumerate(modules, start=1):
        title = pick_text(module.texts, course.languages, locale)["title"]
        labels[f"module-{number}"] = ("module", title)
    translated = pick_text(course.texts, course.languages, locale).get("objectives") or {}
    for objective in course.objectives or []:
        labels[objective["id"]] = ("objective", translated.get(objective["id"], objective["text"]))
    return labels


# --- Item analysis of a bank ------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One version of a test for item analysis: a form in a language."""

    form: str | None
    language: str
    analysis: stats.TestAnalysis


@dataclass
class BankAnalysis:
    bank: QuestionBank
    banks: list[QuestionBank]
    overall: stats.TestAnalysis
    versions: list[Version]
    #: Per pair of languages compared: (language A, language B, items).
    translations: list[tuple[str, str, list[stats.ItemDif]]]
    #: Question key → its name in the bank, for the tables.
    names: dict[str, str]


_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")


def original_name(name: str) -> str:
    """The name of the original bank of a translation (``course/ru/bank`` →
    ``course/bank``, as :func:`lms.assessments.attempts.bank_for` looks them up)."""
    parts = name.split("/")
    if len(parts) >= 2 and _LANGUAGE.match(parts[-2]):
        return "/".join([*parts[:-2], parts[-1]])
    return name


def related_banks(bank: QuestionBank) -> list[QuestionBank]:
    """The original bank and its translations, original first (one query)."""
    original = original_name(bank.name)
    folder, _, file = original.rpartition("/")
    pattern = f"{folder}/%/{file}" if folder else f"%/{file}"
    found = db.session.scalars(
        sa.select(QuestionBank).where(
            sa.or_(QuestionBank.name == original, QuestionBank.name.like(pattern))
        )
    ).all()
    return sorted(
        (b for b in found if original_name(b.name) == original),
        key=lambda b: (b.name != original, b.name),
    )


def bank_analysis(
    bank: QuestionBank,
    scope: sa.ColumnElement[bool],
    *,
    names: Mapping[str, str],
    min_n: int = 10,
) -> BankAnalysis:
    """Item statistics of the bank (and its translations) over every scored attempt
    ``scope`` lets the viewer see: all together, per form and language, and the items
    that behave differently between language versions. One query, one pass."""
    banks = related_banks(bank)
    attempts: dict[int, dict[str, float]] = {}
    version_of: dict[int, tuple[str | None, str]] = {}
    ids = [b.id for b in banks]
    keys = queries.question_keys(ids)
    for item in queries.bank_item_scores(ids, scope):
        attempts.setdefault(item.attempt_id, {})[keys[item.question_id]] = item.fraction
        version_of[item.attempt_id] = (item.form, item.language)
    everyone = list(attempts.values())
    by_version: dict[tuple[str | None, str], list[dict[str, float]]] = defaultdict(list)
    by_language: dict[str, list[dict[str, float]]] = defaultdict(list)
    for attempt_id, fractions in attempts.items():
        form, language = version_of[attempt_id]
        by_version[(form, language)].append(fractions)
        by_language[language].append(fractions)
    versions = [
        Version(form, language, stats.item_analysis(group))
        for (form, language), group in sorted(
            by_version.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
        )
    ]
    languages = sorted(by_language)
    translations = [
        (a, b, stats.translation_dif(by_language[a], by_language[b], min_n=min_n))
        for i, a in enumerate(languages)
        for b in languages[i + 1 :]
    ]
    return BankAnalysis(
        bank, banks, stats.item_analysis(everyone), versions, translations, dict(names)
    )
