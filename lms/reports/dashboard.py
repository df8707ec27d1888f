"""The coordinators' dashboard figures, as SQL aggregates: a fixed number of queries
whatever the data size, every one restricted to the viewer's countries and the chosen
filters in SQL.

- **Funnel**: the participations (enrolments) begun in the period, per course and
  cohort, and how far each got: pre-test done, lessons done, post-test passed,
  completed, certified (a certificate that was not revoked); withdrawn ones apart.
- **Knowledge gain**: of those participations, the ones with a matched pre- and
  post-test (first scored attempt of each): counts and mean scores by sex, country and
  agency type, and the distribution of pre- and post-test scores in bands of ten points.
- **Mentoring**: sessions held in the period with units of the countries (and agency
  type) chosen, hours, units, attendances by sex, action points opened and closed, and
  sessions per month. Course, cohort and sex do not apply to mentoring.
- **Certificates**: issued in the period (not revoked), revoked in the period, and
  public verifications of them in the period (checks, and distinct certificates).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import Agency, AgencyType, Sex, Unit, User
from lms.assessments import attempts
from lms.assessments.attempts import POST, PRE
from lms.audit import AuditEvent
from lms.certificates.models import Certificate, CertificateStatus
from lms.enrolments.models import Enrolment, EnrolmentStatus
from lms.extensions import db
from lms.mentoring.models import (
    ActionPoint,
    ActionStatus,
    MentoringSession,
    SessionAttendee,
    SessionStatus,
)

#: The funnel's stages, in order.
STAGES = ("enrolled", "pre_test", "lessons", "post_test", "completed", "certified")
#: The key of people with no agency (or no country) in a breakdown.
NO_AGENCY = "none"
#: Score bands of the distribution: 0–9, 10–19, … 90–100.
BANDS = 10


@dataclass(frozen=True)
class Filters:
    """What the dashboard is restricted to. ``countries`` is already the viewer's scope
    intersected with the chosen country (None: every country)."""

    start: date
    end: date
    countries: frozenset[str] | None = None
    agency_type: AgencyType | None = None
    course_id: int | None = None
    cohort_id: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True)
class FunnelRow:
    course_id: int
    cohort_id: int | None
    #: Counts per stage (STAGES), and the withdrawn participations (counted as enrolled).
    stages: dict[str, int]
    withdrawn: int


@dataclass(frozen=True)
class GainGroup:
    """Matched pairs of one group: how many, mean scores, and how many improved or
    gained at least the threshold."""

    n: int = 0
    pre_sum: float = 0.0
    post_sum: float = 0.0
    improved: int = 0
    gained: int = 0

    @property
    def mean_pre(self) -> float | None:
        return round(self.pre_sum / self.n, 1) if self.n else None

    @property
    def mean_post(self) -> float | None:
        return round(self.post_sum / self.n, 1) if self.n else None

    @property
    def mean_gain(self) -> float | None:
        return round((self.post_sum - self.pre_sum) / self.n, 1) if self.n else None

    def __add__(self, other: GainGroup) -> GainGroup:
        return GainGroup(
            self.n + other.n,
            self.pre_sum + other.pre_sum,
            self.post_sum + other.post_sum,
            self.improved + other.improved,
            self.gained + other.gained,
        )


@dataclass(frozen=True)
class Gain:
    overall: GainGroup
    by_sex: dict[str, GainGroup]
    by_country: dict[str, GainGroup]
    by_agency: dict[str, GainGroup]
    #: Participations per score band (index 0: 0–9 … 9: 90–100), pre and post.
    pre_bands: list[int]
    post_bands: list[int]


@dataclass(frozen=True)
class Mentoring:
    sessions: int = 0
    hours: float = 0.0
    units: int = 0
    attendances: dict[str, int] = field(default_factory=dict)
    actions_opened: int = 0
    actions_closed: int = 0
    #: Sessions per month of the period: ("2026-03", count), every month listed.
    per_month: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Certificates:
    issued: int = 0
    revoked: int = 0
    verifications: int = 0
    verified: int = 0


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    threshold: float
    funnel: list[FunnelRow]
    gain: Gain
    mentoring: Mentoring
    certificates: Certificates

    @property
    def totals(self) -> dict[str, int]:
        """The funnel summed over every course and cohort."""
        sums: Counter[str] = Counter()
        for row in self.funnel:
            sums.update(row.stages)
        return {stage: sums.get(stage, 0) for stage in STAGES}

    @property
    def withdrawn(self) -> int:
        return sum(row.withdrawn for row in self.funnel)


def _people(filters: Filters) -> sa.ColumnElement[bool]:
    """The condition on User (and Agency, outer-joined) that the filters set."""
    clauses: list[sa.ColumnElement[bool]] = [in_scope(filters.countries, User.country_code)]
    if filters.sex is not None:
        clauses.append(User.sex == filters.sex)
    if filters.agency_type is not None:
        clauses.append(Agency.type == filters.agency_type)
    return sa.and_(*clauses)


def moments(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as UTC moments: from the start of ``start`` to the end of ``end``."""
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


def in_scope(countries: frozenset[str] | None, column: Any) -> sa.ColumnElement[bool]:
    """``column`` (a country code) within ``countries`` (None: any)."""
    return sa.true() if countries is None else column.in_(sorted(countries))


def _participations(filters: Filters) -> sa.ColumnElement[bool]:
    since, until = moments(filters.start, filters.end)
    clauses = [Enrolment.enrolled_at >= since, Enrolment.enrolled_at < until]
    if filters.course_id is not None:
        clauses.append(Enrolment.course_id == filters.course_id)
    if filters.cohort_id is not None:
        clauses.append(Enrolment.cohort_id == filters.cohort_id)
    return sa.and_(*clauses, _people(filters))


def dashboard(filters: Filters, *, threshold: float = 20.0) -> Dashboard:
    """Every figure of the dashboard for ``filters`` (11 queries)."""
    if filters.end < filters.start:
        raise ValueError("the period ends before it starts")
    return Dashboard(
        filters=filters,
        threshold=threshold,
        funnel=_funnel(filters),
        gain=_gain(filters, threshold),
        mentoring=mentoring(filters),
        certificates=_certificates(filters),
    )


def _funnel(filters: Filters) -> list[FunnelRow]:
    certified = (
        sa.select(Certificate.enrolment_id)
        .where(Certificate.status != CertificateStatus.REVOKED)
        .subquery()
    )
    reached = [
        Enrolment.pre_test_done_at,
        Enrolment.lessons_done_at,
        Enrolment.post_test_passed_at,
        Enrolment.completed_at,
        certified.c.enrolment_id,
    ]
    rows = db.session.execute(
        sa.select(
            Enrolment.course_id,
            Enrolment.cohort_id,
            sa.func.count(Enrolment.id),
            *[sa.func.count(column) for column in reached],
            sa.func.count(sa.case((Enrolment.status == EnrolmentStatus.WITHDRAWN, 1))),
        )
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .outerjoin(certified, certified.c.enrolment_id == Enrolment.id)
        .where(_participations(filters))
        .group_by(Enrolment.course_id, Enrolment.cohort_id)
        .order_by(Enrolment.course_id, Enrolment.cohort_id)
    ).all()
    return [
        FunnelRow(course, cohort, dict(zip(STAGES, counts[:-1], strict=True)), counts[-1])
        for course, cohort, *counts in rows
    ]


def _band(score: Any) -> sa.Case[Any]:
    """The band (0..9) of a score from 0 to 100, portable across SQLite and PostgreSQL."""
    return sa.case(
        *[(score < BANDS * (index + 1), index) for index in range(BANDS - 1)], else_=BANDS - 1
    )


def _pairs(filters: Filters) -> sa.Subquery:
    """Each participation of the filters with its first pre- and post-test scores."""
    ranked = attempts.first_scored((PRE, POST))
    pre, post = ranked.alias("pre"), ranked.alias("post")
    return (
        sa.select(
            User.sex.label("sex"),
            User.country_code.label("country"),
            Agency.type.label("agency"),
            pre.c.score.label("pre"),
            post.c.score.label("post"),
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .join(pre, sa.and_(pre.c.enrolment_id == Enrolment.id, pre.c.test_key == PRE,
                           pre.c.rank == 1))
        .join(post, sa.and_(post.c.enrolment_id == Enrolment.id, post.c.test_key == POST,
                            post.c.rank == 1))
        .where(_participations(filters))
        .subquery("pairs")
    )  # fmt: skip


def _gain(filters: Filters, threshold: float) -> Gain:
    pairs = _pairs(filters)
    rows = db.session.execute(
        sa.select(
            pairs.c.sex,
            pairs.c.country,
            pairs.c.agency,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(pairs.c.pre), 0),
            sa.func.coalesce(sa.func.sum(pairs.c.post), 0),
            sa.func.count(sa.case((pairs.c.post > pairs.c.pre, 1))),
            sa.func.count(sa.case((pairs.c.post - pairs.c.pre >= threshold, 1))),
        ).group_by(pairs.c.sex, pairs.c.country, pairs.c.agency)
    ).all()
    overall = GainGroup()
    by_sex: dict[str, GainGroup] = {}
    by_country: dict[str, GainGroup] = {}
    by_agency: dict[str, GainGroup] = {}
    for sex, country, agency, n, pre_sum, post_sum, improved, gained in rows:
        group = GainGroup(n, float(pre_sum), float(post_sum), improved, gained)
        overall = overall + group
        for table, key in (
            (by_sex, Sex(sex).value),
            (by_country, country or NO_AGENCY),
            (by_agency, getattr(agency, "value", agency) or NO_AGENCY),
        ):
            table[key] = table.get(key, GainGroup()) + group
    bands = sa.union_all(
        sa.select(sa.literal("pre").label("test"), _band(pairs.c.pre).label("band")),
        sa.select(sa.literal("post").label("test"), _band(pairs.c.post).label("band")),
    ).subquery("bands")
    pre_bands, post_bands = [0] * BANDS, [0] * BANDS
    for test, band, count in db.session.execute(
        sa.select(bands.c.test, bands.c.band, sa.func.count()).group_by(bands.c.test, bands.c.band)
    ):
        (pre_bands if test == "pre" else post_bands)[int(band)] = count
    return Gain(overall, by_sex, by_country, by_agency, pre_bands, post_bands)


def units(filters: Filters) -> sa.Select[Any]:
    """Ids of the units of the filters' countries and agency type."""
    clauses = [in_scope(filters.countries, Agency.country_code)]
    if filters.agency_type is not None:
        clauses.append(Agency.type == filters.agency_type)
    return sa.select(Unit.id).join(Agency, Agency.id == Unit.agency_id).where(*clauses)


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def mentoring(filters: Filters) -> Mentoring:
    """Mentoring of the units in ``filters`` over its period (5 queries). Course, cohort
    and sex filters do not apply: sessions belong to units, not to courses."""
    held = sa.and_(
        MentoringSession.status == SessionStatus.SUBMITTED,
        MentoringSession.held_on.between(filters.start, filters.end),
        MentoringSession.unit_id.in_(units(filters)),
    )
    minutes, unit_count = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(MentoringSession.duration_minutes), 0),
            sa.func.count(sa.distinct(MentoringSession.unit_id)),
        ).where(held)
    ).one()
    per_day = db.session.execute(
        sa.select(MentoringSession.held_on, sa.func.count())
        .where(held)
        .group_by(MentoringSession.held_on)
    ).all()
    months: Counter[str] = Counter()
    for day, count in per_day:
        months[f"{day.year:04d}-{day.month:02d}"] += count
    attendances: Counter[str] = Counter()
    for sex, count in db.session.execute(
        sa.select(User.sex, sa.func.count())
        .join(SessionAttendee, SessionAttendee.user_id == User.id)
        .join(MentoringSession, MentoringSession.id == SessionAttendee.session_id)
        .where(held)
        .group_by(User.sex)
    ):
        attendances[Sex(sex).value] += count
    for (others,) in db.session.execute(sa.select(MentoringSession.others).where(held)):
        for row in others or []:
            attendances[str(row.get("sex", Sex.UNDISCLOSED.value))] += int(row.get("count", 0))
    opened, closed = db.session.execute(
        sa.select(
            sa.func.count(sa.case((held, 1))),
            sa.func.count(
                sa.case(
                    (
                        sa.and_(
                            ActionPoint.status != ActionStatus.OPEN,
                            ActionPoint.closed_on.between(filters.start, filters.end),
                            ActionPoint.unit_id.in_(units(filters)),
                        ),
                        1,
                    )
                )
            ),
        ).join(MentoringSession, MentoringSession.id == ActionPoint.session_id)
    ).one()
    return Mentoring(
        sessions=sum(months.values()),
        hours=round(minutes / 60, 1),
        units=unit_count,
        attendances=dict(attendances),
        actions_opened=opened,
        actions_closed=closed,
        per_month=[(month, months.get(month, 0)) for month in _months(filters.start, filters.end)],
    )


def _certificates(filters: Filters) -> Certificates:
    since, until = moments(filters.start, filters.end)
    clauses = [_people(filters)]
    if filters.course_id is not None:
        clauses.append(Certificate.course_id == filters.course_id)
    if filters.cohort_id is not None:
        clauses.append(Certificate.cohort_id == filters.cohort_id)
    issued, revoked = db.session.execute(
        sa.select(
            sa.func.count(sa.case((sa.and_(
                Certificate.issued_at >= since, Certificate.issued_at < until,
                Certificate.status != CertificateStatus.REVOKED), 1))),
            sa.func.count(sa.case((sa.and_(
                Certificate.revoked_at >= since, Certificate.revoked_at < until), 1))),
        )
        .join(User, User.id == Certificate.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(*clauses)
    ).one()  # fmt: skip
    checks, verified = db.session.execute(
        sa.select(sa.func.count(AuditEvent.id), sa.func.count(sa.distinct(Certificate.id)))
        .select_from(AuditEvent)
        .join(Certificate, Certificate.id == sa.cast(AuditEvent.object_id, sa.Integer))
        .join(User, User.id == Certificate.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(
            AuditEvent.action == "certificate.verify",
            AuditEvent.object_type == "certificate",
            AuditEvent.at >= since,
            AuditEvent.at < until,
            *clauses,
        )
    ).one()
    return Certificates(issued=issued, revoked=revoked, verifications=checks, verified=verified)
