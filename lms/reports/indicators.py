"""The donor's indicators for a reporting period, as SQL aggregates (a fixed number of
queries whatever the data size), scoped to the viewer's countries.

Persons, not participations: an official who completed two courses counts once among
those trained (and twice among the participations); two records of one person merged
count once, because a merge moves every record to the kept one. Each person counts under
their own sex, country and agency type, so the groups of a breakdown add up to its total.

- **trained**: completed at least one course in the period;
- **certified**: received a certificate in the period (revoked ones do not count);
- **tested**: completed a course in the period with a matched pre- and post-test (the
  first scored attempt of each, lms.assessments.attempts.first_scored);
- **improved** / **gained**: of those, scored higher after than before / by at least the
  threshold (points) in at least one such course;
- mentoring: sessions held in the period with units of the countries in scope, their
  hours, the units mentored, and attendances by sex (members and others);
- unit results: the totals the units reported for the quarters that begin in the period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import Agency, Sex, User
from lms.assessments import attempts
from lms.assessments.attempts import POST, PRE
from lms.certificates.models import Certificate, CertificateStatus
from lms.enrolments.models import Enrolment
from lms.evaluation import definitions
from lms.evaluation.models import AnonymousResponse, SurveyResponse, SurveyVersion
from lms.extensions import db
from lms.mentoring.models import RESULT_FIELDS, UnitResult
from lms.reports.dashboard import NO_AGENCY, Filters, Mentoring, in_scope, mentoring, moments, units


@dataclass(frozen=True)
class Breakdown:
    """Unique persons: the total and the counts by sex, country and agency type."""

    total: int = 0
    by_sex: dict[str, int] = field(default_factory=dict)
    by_country: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorReport:
    start: date
    end: date
    threshold: float
    trained: Breakdown
    #: Completed enrolments in the period (a person may have several).
    participations: int
    certified: Breakdown
    tested: Breakdown
    improved: Breakdown
    gained: Breakdown
    mentoring: Mentoring
    unit_results: dict[str, int]
    #: Follow-up waves answered in the period (reported application of skills).
    application: list[Application] = field(default_factory=list)

    def share(self, part: Breakdown) -> float | None:
        """``part`` as a percentage of those tested (None when nobody was)."""
        return round(100.0 * part.total / self.tested.total, 1) if self.tested.total else None


def _breakdown(people: sa.Select[Any], countries: frozenset[str] | None) -> Breakdown:
    """Count the distinct persons ``people`` selects (a select of user ids), grouped by
    sex, country and agency type in one query; the marginals are sums of the groups."""
    rows = db.session.execute(
        sa.select(User.sex, User.country_code, Agency.type, sa.func.count(User.id))
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.id.in_(people), in_scope(countries, User.country_code))
        .group_by(User.sex, User.country_code, Agency.type)
    ).all()
    by_sex: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    for sex, country, agency, count in rows:
        by_sex[Sex(sex).value] += count
        by_country[country or NO_AGENCY] += count
        by_agency[getattr(agency, "value", agency) or NO_AGENCY] += count
    return Breakdown(sum(by_sex.values()), dict(by_sex), dict(by_country), dict(by_agency))


def report(
    start: date, end: date, *, countries: frozenset[str] | None, threshold: float = 20.0
) -> IndicatorReport:
    """The indicators of ``start``–``end`` (inclusive) for the people and units of
    ``countries`` (None: every country)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    since, until = moments(start, end)
    completed = sa.select(Enrolment.id, Enrolment.user_id).where(
        Enrolment.completed_at >= since, Enrolment.completed_at < until
    )
    completions = completed.subquery()
    trained = _breakdown(sa.select(completions.c.user_id), countries)
    participations = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(completions)
        .join(User, User.id == completions.c.user_id)
        .where(in_scope(countries, User.country_code))
    )
    certified = _breakdown(
        sa.select(Certificate.user_id).where(
            Certificate.issued_at >= since,
            Certificate.issued_at < until,
            Certificate.status != CertificateStatus.REVOKED,
        ),
        countries,
    )
    ranked = attempts.first_scored((PRE, POST))
    pre, post = ranked.alias("pre"), ranked.alias("post")
    pairs = (
        sa.select(completions.c.user_id, pre.c.score.label("pre"), post.c.score.label("post"))
        .join(pre, sa.and_(pre.c.enrolment_id == completions.c.id, pre.c.test_key == PRE,
                           pre.c.rank == 1))
        .join(post, sa.and_(post.c.enrolment_id == completions.c.id, post.c.test_key == POST,
                            post.c.rank == 1))
        .subquery()
    )  # fmt: skip
    tested = _breakdown(sa.select(pairs.c.user_id), countries)
    improved = _breakdown(sa.select(pairs.c.user_id).where(pairs.c.post > pairs.c.pre), countries)
    gained = _breakdown(
        sa.select(pairs.c.user_id).where(pairs.c.post - pairs.c.pre >= threshold), countries
    )
    return IndicatorReport(
        start=start, end=end, threshold=threshold, trained=trained,
        participations=participations or 0, certified=certified, tested=tested,
        improved=improved, gained=gained, mentoring=mentoring(Filters(start, end, countries)),
        unit_results=_unit_results(start, end, countries),
        application=application(start, end, countries=countries),
    )  # fmt: skip


def _unit_results(start: date, end: date, countries: frozenset[str] | None) -> dict[str, int]:
    sums = db.session.execute(
        sa.select(*[sa.func.coalesce(sa.func.sum(getattr(UnitResult, name)), 0)
                    for name in RESULT_FIELDS])
        .where(UnitResult.period_start.between(start, end),
               UnitResult.unit_id.in_(units(Filters(start, end, countries))))
    ).one()  # fmt: skip
    return {name: int(value) for name, value in zip(RESULT_FIELDS, sums, strict=True)}


# --- Application of skills (Kirkpatrick level 3, reported) ---------------------------------


@dataclass(frozen=True)
class Application:
    """Follow-up responses of one wave in the period: how many answered, and how many of
    them report applying the skills, in total and by sex, country and agency type.
    Responses, not persons: an anonymous response cannot be matched to a person."""

    wave: str
    respondents: Breakdown
    applying: Breakdown

    @property
    def share(self) -> float | None:
        total = self.respondents.total
        return round(100.0 * self.applying.total / total, 1) if total else None


def application(start: date, end: date, *, countries: frozenset[str] | None) -> list[Application]:
    """The follow-up waves answered in ``start``–``end`` by officers of ``countries``
    (three queries: the survey versions, named and anonymous responses)."""
    since, until = moments(start, end)
    named = db.session.execute(
        sa.select(SurveyResponse.wave, SurveyResponse.version_id, SurveyResponse.answers,
                  User.sex, User.country_code, Agency.type)
        .join(User, User.id == SurveyResponse.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(SurveyResponse.wave != "feedback", SurveyResponse.submitted_at >= since,
               SurveyResponse.submitted_at < until, in_scope(countries, User.country_code))
    ).all()  # fmt: skip
    anonymous = db.session.execute(
        sa.select(AnonymousResponse.wave, AnonymousResponse.version_id, AnonymousResponse.answers,
                  AnonymousResponse.sex, AnonymousResponse.country_code,
                  AnonymousResponse.agency_type)
        .where(AnonymousResponse.wave != "feedback",
               AnonymousResponse.answered_on.between(start, end),
               in_scope(countries, AnonymousResponse.country_code))
    ).all()  # fmt: skip
    rows = [*named, *anonymous]
    version_ids = sorted({row[1] for row in rows})
    versions = {
        v.id: definitions.from_dict(v.definition)
        for v in db.session.scalars(
            sa.select(SurveyVersion).where(SurveyVersion.id.in_(version_ids))
        )
    }
    counts: dict[str, dict[str, Counter[str]]] = {}
    for wave, version_id, answers, sex, country, agency in rows:
        applied = definitions.applied(versions[version_id], answers or {})
        if applied is None:
            continue
        groups = counts.setdefault(wave, {"respondents": Counter(), "applying": Counter()})
        keys = [f"sex:{Sex(sex).value}", f"country:{country or NO_AGENCY}",
                f"agency:{getattr(agency, 'value', agency) or NO_AGENCY}", "total"]  # fmt: skip
        for name in ("respondents", "applying") if applied else ("respondents",):
            groups[name].update(keys)

    def breakdown(counter: Counter[str]) -> Breakdown:
        def part(prefix: str) -> dict[str, int]:
            return {k.split(":", 1)[1]: v for k, v in counter.items() if k.startswith(prefix)}

        return Breakdown(counter["total"], part("sex:"), part("country:"), part("agency:"))

    return [
        Application(wave, breakdown(groups["respondents"]), breakdown(groups["applying"]))
        for wave, groups in sorted(counts.items(), key=lambda item: int(item[0]))
    ]
