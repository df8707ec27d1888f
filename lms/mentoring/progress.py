"""What mentoring measures over time: unit capacity scorecards, unit results per quarter,
the training of the unit's members, and the mentor's monthly report. Each function is a
fixed number of queries whatever the number of sessions, members or units."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from lms import audit
from lms.accounts.models import Sex, Unit, User
from lms.assessments import attempts
from lms.assessments.attempts import POST, PRE
from lms.courses.models import Course
from lms.enrolments.models import Enrolment, EnrolmentStatus
from lms.errors import Invalid
from lms.extensions import db
from lms.mentoring import pii, taxonomy
from lms.mentoring.models import (
    RESULT_FIELDS,
    ActionPoint,
    ActionStatus,
    AssessmentKind,
    MentoringSession,
    SessionAttendee,
    SessionStatus,
    UnitAssessment,
    UnitResult,
    session_mentor,
)

MAX_RESULT = 100_000


# --- Capacity scorecards -------------------------------------------------------------------


def add_assessment(
    unit: Unit, *, assessed_on: date, levels: dict[str, int], notes: str, by: User,
    now: datetime,
) -> UnitAssessment:  # fmt: skip
    """Record a scorecard; the unit's first is its baseline.

    :raises Invalid: a date in the future, an unknown competency or level, nothing scored,
        or notes that look like personal data.
    """
    if assessed_on > now.date():
        raise Invalid(gettext("The date cannot be in the future."), field="assessed_on")
    levels = {key: level for key, level in levels.items() if level}
    if not levels:
        raise Invalid(gettext("Score at least one competency."), field="levels")
    for key, level in levels.items():
        if key not in taxonomy.COMPETENCY_KEYS or level not in taxonomy.LEVELS:
            raise Invalid(gettext("A level is from 1 to 4."), field="levels")
    if pii.find(notes):
        raise Invalid(
            gettext("The notes look like they hold personal data: remove it."), field="notes"
        )
    earlier = db.session.scalar(
        sa.select(sa.func.count()).select_from(UnitAssessment)
        .where(UnitAssessment.unit_id == unit.id)
    )  # fmt: skip
    assessment = UnitAssessment(
        unit_id=unit.id, assessed_on=assessed_on,
        kind=AssessmentKind.PERIODIC if earlier else AssessmentKind.BASELINE,
        levels=levels, notes=notes.strip() or None, assessed_by_id=by.id, created_at=now,
    )  # fmt: skip
    db.session.add(assessment)
    db.session.flush()
    audit.record("mentoring.assessment", actor=by, obj=assessment, now=now, unit=unit.id)
    return assessment


def assessments(unit_id: int) -> list[UnitAssessment]:
    """The unit's scorecards, oldest first."""
    return list(
        db.session.scalars(
            sa.select(UnitAssessment)
            .where(UnitAssessment.unit_id == unit_id)
            .options(selectinload(UnitAssessment.assessed_by))
            .order_by(UnitAssessment.assessed_on, UnitAssessment.id)
        )
    )


def trend(scorecards: list[UnitAssessment]) -> dict[str, list[tuple[date, int]]]:
    """Each competency's levels over time: [(day, level)]."""
    series: dict[str, list[tuple[date, int]]] = {c.key: [] for c in taxonomy.COMPETENCIES}
    for card in scorecards:
        for key, level in card.levels.items():
            if key in series:
                series[key].append((card.assessed_on, level))
    return series


# --- Unit results --------------------------------------------------------------------------


def quarter(year: int, number: int) -> tuple[date, date]:
    if not 1 <= number <= 4 or not 2000 <= year <= 2100:
        raise Invalid(gettext("Choose a quarter."), field="quarter")
    start = date(year, 3 * number - 2, 1)
    end = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def save_result(
    unit: Unit, *, year: int, number: int, totals: dict[str, int], by: User, now: datetime
) -> UnitResult:
    """Record (or correct) the unit's totals for a quarter that has begun."""
    start, end = quarter(year, number)
    if start > now.date():
        raise Invalid(gettext("That quarter has not begun."), field="quarter")
    for name in RESULT_FIELDS:
        value = totals.get(name)
        if value is None or not 0 <= value <= MAX_RESULT:
            raise Invalid(gettext("A total from 0 to %(n)d.", n=MAX_RESULT), field=name)
    if totals["victims_referred"] > totals["victims_identified"]:
        raise Invalid(gettext("More victims referred than identified."), field="victims_referred")
    result = db.session.scalar(
        sa.select(UnitResult).where(UnitResult.unit_id == unit.id, UnitResult.period_start == start)
    )
    before = {name: getattr(result, name) for name in RESULT_FIELDS} if result else None
    if result is None:
        result = UnitResult(unit_id=unit.id, period_start=start, period_end=end)
        db.session.add(result)
    for name in RESULT_FIELDS:
        setattr(result, name, totals[name])
    result.reported_by_id, result.updated_at = by.id, now
    db.session.flush()
    audit.record("mentoring.unit_result", actor=by, obj=result, now=now, before=before,
                 after={name: totals[name] for name in RESULT_FIELDS})  # fmt: skip
    return result


def results(unit_id: int) -> list[UnitResult]:
    return list(
        db.session.scalars(
            sa.select(UnitResult)
            .where(UnitResult.unit_id == unit_id)
            .order_by(UnitResult.period_start.desc())
        )
    )


# --- The members' training ------------------------------------------------------------------


@dataclass(frozen=True)
class MemberCourse:
    user_id: int
    name: str
    course_texts: dict[str, Any]
    course_languages: list[str]
    pre: float | None
    post: float | None
    completed_on: date | None

    @property
    def gain(self) -> float | None:
        if self.pre is None or self.post is None:
            return None
        return round(self.post - self.pre, 1)


def member_progress(unit_id: int) -> list[MemberCourse]:
    """Every course of the unit's current members, with their first pre- and post-test
    scores (one query; the pairing of lms.reports)."""
    ranked = attempts.first_scored((PRE, POST))
    pre, post = ranked.alias("pre"), ranked.alias("post")
    rows = db.session.execute(
        sa.select(User.id, User.full_name, Course.texts, Course.languages, pre.c.score,
                  post.c.score, Enrolment.completed_at)
        .join(Enrolment, Enrolment.user_id == User.id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(pre, sa.and_(pre.c.enrolment_id == Enrolment.id, pre.c.test_key == PRE,
                                pre.c.rank == 1))
        .outerjoin(post, sa.and_(post.c.enrolment_id == Enrolment.id, post.c.test_key == POST,
                                 post.c.rank == 1))
        .where(User.unit_id == unit_id, User.is_active,
               Enrolment.status != EnrolmentStatus.WITHDRAWN)
        .order_by(User.full_name, User.id, Course.slug)
    )  # fmt: skip
    return [
        MemberCourse(row[0], row[1], row[2], row[3], row[4], row[5],
                     row[6].date() if row[6] else None)
        for row in rows
    ]  # fmt: skip


# --- The mentor's monthly report ----------------------------------------------------------


@dataclass
class UnitMonth:
    unit_id: int
    name: str
    sessions: int = 0
    minutes: int = 0
    attendees: Counter[str] = field(default_factory=Counter)


@dataclass
class MonthlyReport:
    mentor: User
    first: date
    last: date
    units: list[UnitMonth]
    sessions: list[MentoringSession]
    attendees: Counter[str]
    topics: Counter[str]
    actions_opened: int
    actions_closed: dict[str, int]
    scorecard_changes: list[tuple[str, str, int | None, int, date]]

    @property
    def total_sessions(self) -> int:
        return len(self.sessions)

    @property
    def hours(self) -> float:
        return round(sum(s.duration_minutes or 0 for s in self.sessions) / 60, 1)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Invalid(gettext("Choose a month."), field="month")
    first = date(year, month, 1)
    following = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def monthly_report(
    mentor: User, year: int, month: int, *, units_scope: sa.ColumnElement[bool]
) -> MonthlyReport:
    """The mentor's month from the logs: submitted sessions of the units in scope that
    named them, hours, attendees by sex (members and others), topics, actions opened in
    those sessions and actions of those units closed in the month, and scorecard changes of
    those units in the month (a fixed number of queries)."""
    first, last = month_bounds(year, month)
    sessions = list(
        db.session.scalars(
            sa.select(MentoringSession)
            .join(Unit, Unit.id == MentoringSession.unit_id)
            .where(
                MentoringSession.status == SessionStatus.SUBMITTED,
                MentoringSession.held_on.between(first, last),
                MentoringSession.id.in_(
                    sa.select(session_mentor.c.session_id).where(
                        session_mentor.c.user_id == mentor.id
                    )
                ),
                units_scope,
            )
            .options(selectinload(MentoringSession.unit))
            .order_by(MentoringSession.held_on, MentoringSession.id)
        )
    )
    ids = [s.id for s in sessions]
    unit_ids = sorted({s.unit_id for s in sessions})
    by_session: dict[int, Counter[str]] = defaultdict(Counter)
    for session_id, sex, count in db.session.execute(
        sa.select(SessionAttendee.session_id, User.sex, sa.func.count())
        .join(User, User.id == SessionAttendee.user_id)
        .where(SessionAttendee.session_id.in_(ids))
        .group_by(SessionAttendee.session_id, User.sex)
    ):
        by_session[session_id][Sex(sex).value] += count
    units: dict[int, UnitMonth] = {}
    attendees: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for session in sessions:
        row = units.setdefault(session.unit_id, UnitMonth(session.unit_id, session.unit.name))
        row.sessions += 1
        row.minutes += session.duration_minutes or 0
        counted = Counter(by_session[session.id])
        for other in session.others or []:
            counted[other.get("sex", Sex.UNDISCLOSED.value)] += int(other.get("count", 0))
        row.attendees.update(counted)
        attendees.update(counted)
        topics.update(session.topics)
    opened = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ActionPoint)
            .where(ActionPoint.session_id.in_(ids))
        )
        or 0
    )
    closed = dict(
        db.session.execute(
            sa.select(ActionPoint.status, sa.func.count())
            .where(
                ActionPoint.unit_id.in_(unit_ids),
                ActionPoint.status != ActionStatus.OPEN,
                ActionPoint.closed_on.between(first, last),
            )
            .group_by(ActionPoint.status)
        ).all()
    )
    cards = list(
        db.session.scalars(
            sa.select(UnitAssessment)
            .where(UnitAssessment.unit_id.in_(unit_ids), UnitAssessment.assessed_on <= last)
            .order_by(UnitAssessment.unit_id, UnitAssessment.assessed_on, UnitAssessment.id)
        )
    )
    names = {u.unit_id: u.name for u in units.values()}
    changes: list[tuple[str, str, int | None, int, date]] = []
    previous: dict[tuple[int, str], int] = {}
    for card in cards:
        for key, level in sorted(card.levels.items()):
            before = previous.get((card.unit_id, key))
            if card.assessed_on >= first and before != level:
                changes.append((names[card.unit_id], key, before, level, card.assessed_on))
            previous[(card.unit_id, key)] = level
    return MonthlyReport(
        mentor=mentor, first=first, last=last, units=list(units.values()), sessions=sessions,
        attendees=attendees, topics=topics, actions_opened=opened,
        actions_closed={ActionStatus(k).value: v for k, v in closed.items()},
        scorecard_changes=changes,
    )  # fmt: skip
