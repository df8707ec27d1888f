"""Aggregate SQL for the reports: each function is one query whatever the data size, and
takes the viewer's scope as an SQL condition (lms.permissions), never filtering in Python.

Pairing convention: a learner's pre-test score is their first scored pre-test attempt and
their post-test score their first scored post-test attempt. Later post-test attempts (a
retake after failing) count for passing the course, not for knowledge gain: a retake
meets the same items again, so it measures memory of the paper as much as learning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import Agency, AgencyType, Sex, User
from lms.assessments import attempts
from lms.assessments.attempts import POST, PRE
from lms.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptSource,
    AttemptStatus,
    Question,
    QuestionVersion,
)
from lms.enrolments.models import Enrolment, EnrolmentStatus
from lms.extensions import db


@dataclass(frozen=True)
class LearnerScores:
    """One participant with their matched scores and the facts reports disaggregate by."""

    enrolment_id: int
    user_id: int
    name: str
    sex: Sex
    country_code: str | None
    agency_type: AgencyType | None
    pre: float | None
    post: float | None
    #: Passed the post-test on any attempt (the course's gate).
    passed: bool
    completed: bool
    pre_source: AttemptSource | None
    post_source: AttemptSource | None


def cohort_scores(cohort_id: int, scope: sa.ColumnElement[bool]) -> list[LearnerScores]:
    """Every participant of the cohort (not withdrawn) that ``scope`` lets the viewer see,
    with their pre and post scores (one query)."""
    ranked = attempts.first_scored((PRE, POST))
    pre = ranked.alias("pre")
    post = ranked.alias("post")
    rows = db.session.execute(
        sa.select(
            Enrolment.id,
            User.id,
            User.full_name,
            User.sex,
            User.country_code,
            Agency.type,
            pre.c.score,
            post.c.score,
            Enrolment.post_test_passed_at.is_not(None),
            Enrolment.completed_at.is_not(None),
            pre.c.source,
            post.c.source,
        )
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .outerjoin(
            pre,
            sa.and_(pre.c.enrolment_id == Enrolment.id, pre.c.test_key == PRE, pre.c.rank == 1),
        )
        .outerjoin(
            post,
            sa.and_(post.c.enrolment_id == Enrolment.id, post.c.test_key == POST, post.c.rank == 1),
        )
        .where(
            Enrolment.cohort_id == cohort_id,
            Enrolment.status != EnrolmentStatus.WITHDRAWN,
            scope,
        )
        .order_by(User.full_name_latin, User.full_name, User.id)
    )
    return [
        LearnerScores(
            enrolment_id=row[0],
            user_id=row[1],
            name=row[2],
            sex=row[3],
            country_code=row[4],
            agency_type=row[5],
            pre=row[6],
            post=row[7],
            passed=bool(row[8]),
            completed=bool(row[9]),
            pre_source=row[10],
            post_source=row[11],
        )
        for row in rows
    ]


def _tags_of(column: sa.ColumnElement[Any]) -> Any:
    """The elements of a JSON array column as rows (``.c.value``), for a join: SQLite's
    ``json_each`` or PostgreSQL's ``json_array_elements_text``."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.json_array_elements_text(column).table_valued("value", name="tag")
    return sa.func.json_each(column).table_valued("value", name="tag")


@dataclass(frozen=True)
class TagScores:
    """One item tag (a module, a learning objective) over the learners who met its items
    in both tests: how many, and their mean tag score (per cent) before and after."""

    tag: str
    n: int
    mean_pre: float
    mean_post: float


def cohort_tag_scores(
    cohort_id: int, scope: sa.ColumnElement[bool], tags: list[str]
) -> list[TagScores]:
    """Per tag of ``tags``: each visible participant's score on the tag's items (the mean
    fraction of those their first scored pre- and post-test gave them), averaged over the
    learners who had some in both. One query: the database reads the tags of each item's
    question version and does the arithmetic."""
    if not tags:
        return []
    ranked = attempts.first_scored((PRE, POST))
    chosen = (
        sa.select(ranked.c.id, ranked.c.enrolment_id, ranked.c.test_key)
        .join(Enrolment, Enrolment.id == ranked.c.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .where(
            ranked.c.rank == 1,
            Enrolment.cohort_id == cohort_id,
            Enrolment.status != EnrolmentStatus.WITHDRAWN,
            scope,
        )
        .subquery("chosen")
    )
    # The tags of each question version, unnested once per version (not once per item).
    tag = _tags_of(QuestionVersion.tags)
    version_tags = (
        sa.select(QuestionVersion.id.label("version_id"), tag.c.value.label("tag"))
        .select_from(QuestionVersion)
        .join(tag, sa.true())
        .where(tag.c.value.in_(tags))
        .subquery("version_tags")
    )
    fraction = sa.func.coalesce(AttemptItem.fraction, 0.0)
    # Each learner's score on each tag, before and after, side by side (no self-join).
    per = (
        sa.select(
            version_tags.c.tag,
            sa.func.avg(sa.case((chosen.c.test_key == PRE, fraction))).label("pre"),
            sa.func.avg(sa.case((chosen.c.test_key == POST, fraction))).label("post"),
        )
        .select_from(AttemptItem)
        .join(chosen, chosen.c.id == AttemptItem.attempt_id)
        .join(version_tags, version_tags.c.version_id == AttemptItem.question_version_id)
        .group_by(chosen.c.enrolment_id, version_tags.c.tag)
        .subquery("per_tag")
    )
    rows = db.session.execute(
        sa.select(per.c.tag, sa.func.count(), sa.func.avg(per.c.pre), sa.func.avg(per.c.post))
        .where(per.c.pre.is_not(None), per.c.post.is_not(None))
        .group_by(per.c.tag)
    )
    return [
        TagScores(tag, n, 100.0 * float(before), 100.0 * float(after))
        for tag, n, before, after in rows
    ]


@dataclass(frozen=True)
class ItemScore:
    """One item of one scored attempt: which attempt (its form and language), which
    question, the fraction scored."""

    attempt_id: int
    form: str | None
    language: str
    question_id: int
    fraction: float


def bank_item_scores(bank_ids: list[int], scope: sa.ColumnElement[bool]) -> Iterator[ItemScore]:
    """Every item of every scored attempt drawn from these banks (the original and its
    translations), online or entered from paper, by learners ``scope`` lets the viewer see
    (one query, streamed as plain rows)."""
    rows = db.session.execute(
        sa.select(
            Attempt.id,
            Attempt.form,
            Attempt.language,
            AttemptItem.question_id,
            AttemptItem.fraction,
        )
        .join(User, User.id == Attempt.user_id)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .where(
            Attempt.bank_id.in_(bank_ids),
            Attempt.status == AttemptStatus.SCORED,
            scope,
        )
        .execution_options(yield_per=5000)
    )
    for attempt_id, form, language, question_id, fraction in rows:
        yield ItemScore(attempt_id, form, language, question_id, fraction or 0.0)


def question_keys(bank_ids: list[int]) -> dict[int, str]:
    """Question id → key, for the banks (one query). Translations share their original's
    keys, so an item is the same item in every language."""
    return dict(
        db.session.execute(
            sa.select(Question.id, Question.key).where(Question.bank_id.in_(bank_ids))
        ).all()
    )
