"""The coordinators' dashboard figures: the funnel, knowledge gain, mentoring and
certificates, each restricted by the filters and the viewer's countries in SQL, in a
fixed number of queries whatever the data size."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms import clock
from lms.accounts.models import AgencyType, Role, Sex
from lms.certificates import services as certificates
from lms.enrolments import services as enrolments
from lms.enrolments.models import EnrolmentStatus
from lms.extensions import db
from lms.reports import dashboard
from lms.reports.dashboard import Filters
from tests.certificates.test_certificates import _complete
from tests.factories import make_agency, make_course, make_user
from tests.mentoring.conftest import UnitWorld


def _year(**filters) -> Filters:
    today = clock.now().date()
    return Filters(date(today.year, 1, 1), date(today.year, 12, 31), **filters)


def test_the_funnel_counts_each_stage_per_course_and_cohort(app, frozen_clock):
    done = _complete("dash.kg.f", sex=Sex.FEMALE)
    certificates.issue(done, now=clock.now())
    _complete("dash.kg.m", sex=Sex.MALE)
    course = done.course
    started = enrolments.enrol(make_user("dash.kg.new", country_code="KG"), course,
                               now=clock.now())  # fmt: skip
    quitter = enrolments.enrol(make_user("dash.kg.quit", country_code="KG"), course,
                               now=clock.now())  # fmt: skip
    quitter.status = EnrolmentStatus.WITHDRAWN
    _complete("dash.tj.m", sex=Sex.MALE, country_code="TJ")
    db.session.flush()

    everyone = dashboard.dashboard(_year())
    assert everyone.totals == {"enrolled": 5, "pre_test": 3, "lessons": 3, "post_test": 3,
                               "completed": 3, "certified": 1}  # fmt: skip
    assert everyone.withdrawn == 1
    assert [row.course_id for row in everyone.funnel] == [course.id]
    kg = dashboard.dashboard(_year(countries=frozenset({"KG"})))
    assert kg.totals["enrolled"] == 4 and kg.totals["completed"] == 2
    women = dashboard.dashboard(_year(countries=frozenset({"KG"}), sex=Sex.FEMALE))
    assert women.totals == {"enrolled": 1, "pre_test": 1, "lessons": 1, "post_test": 1,
                            "completed": 1, "certified": 1}  # fmt: skip
    other = make_course("dash-other", lessons=1)
    assert dashboard.dashboard(_year(course_id=other.id)).totals["enrolled"] == 0
    assert dashboard.dashboard(_year(cohort_id=started.id + 10_000)).funnel == []
    police = dashboard.dashboard(_year(agency_type=AgencyType.JUDICIARY))
    assert police.totals["enrolled"] == 0
    last_year = _year()
    previous = Filters(last_year.start - timedelta(days=365), last_year.start - timedelta(days=1))
    assert dashboard.dashboard(previous).funnel == []
    with pytest.raises(ValueError, match="ends before"):
        dashboard.dashboard(Filters(last_year.end, last_year.start))


def test_knowledge_gain_is_grouped_and_banded(app, frozen_clock):
    _complete("gain.kg.f", sex=Sex.FEMALE)
    _complete("gain.kg.m", sex=Sex.MALE)
    _complete("gain.tj.m", sex=Sex.MALE, country_code="TJ")
    gain = dashboard.dashboard(_year()).gain
    # Every pre-test 0 %; post-tests 66.7, 66.7 and 100 %.
    assert gain.overall.n == 3 and gain.overall.mean_pre == 0.0
    assert gain.overall.mean_post == 77.8 and gain.overall.mean_gain == 77.8
    assert gain.overall.improved == 3 and gain.overall.gained == 3
    assert {key: group.n for key, group in gain.by_sex.items()} == {"female": 1, "male": 2}
    assert {key: group.n for key, group in gain.by_country.items()} == {"KG": 2, "TJ": 1}
    assert gain.pre_bands == [3, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    # Two-thirds right on one form, all right on the other (counterbalanced forms).
    assert gain.post_bands == [0, 0, 0, 0, 0, 0, 2, 0, 0, 1]
    strict = dashboard.dashboard(_year(), threshold=80).gain
    assert strict.overall.gained == 1 and strict.overall.improved == 3
    tj = dashboard.dashboard(_year(countries=frozenset({"TJ"}))).gain
    assert tj.overall.n == 1 and set(tj.by_country) == {"TJ"}


@pytest.fixture
def world(app, frozen_clock) -> UnitWorld:
    return UnitWorld()


def test_mentoring_follows_the_period_countries_and_agency_type(world):
    world.log()
    world.log(held_on=world.today - timedelta(days=40), duration_minutes=30)
    figures = dashboard.dashboard(_year(countries=frozenset({"KG"}))).mentoring
    assert (figures.sessions, figures.hours, figures.units) == (2, 2.0, 1)
    assert sum(figures.attendances.values()) == 2 * (3 + 2)
    assert sum(count for _month, count in figures.per_month) == 2
    assert [month for month, _c in figures.per_month][:2] == [
        f"{world.today.year}-01", f"{world.today.year}-02"]  # fmt: skip
    assert len(figures.per_month) == 12
    assert dashboard.dashboard(_year(countries=frozenset({"TJ"}))).mentoring.sessions == 0
    other_type = next(kind for kind in AgencyType if kind != world.unit.agency.type)
    assert dashboard.dashboard(_year(agency_type=other_type)).mentoring.sessions == 0


def test_certificates_issued_revoked_and_verified(app, frozen_clock, client):
    first = certificates.issue(_complete("cert.dash.1"), now=clock.now())
    second = certificates.issue(_complete("cert.dash.2"), now=clock.now())
    certificates.issue(_complete("cert.dash.tj", country_code="TJ"), now=clock.now())
    admin = make_user("cert.dash.admin", roles=[Role.ADMIN])
    certificates.revoke(second, reason="Issued by mistake", by=admin, now=clock.now())
    db.session.commit()
    for _ in range(2):
        assert client.get(f"/verify/{first.serial}").status_code == 200
    assert client.get("/verify/0000000000000000").status_code in (200, 404)
    figures = dashboard.dashboard(_year(countries=frozenset({"KG"}))).certificates
    assert (figures.issued, figures.revoked) == (1, 1)
    assert (figures.verifications, figures.verified) == (2, 1)
    assert dashboard.dashboard(_year(countries=frozenset({"TJ"}))).certificates.verified == 0


def test_the_dashboard_takes_the_same_queries_whatever_the_size(app, frozen_clock, count_queries):
    from bench.generate import generate

    scope = _year(countries=frozenset({"KG", "TJ"}))
    generate(20, seed=7, now=clock.now())
    with count_queries() as small:
        dashboard.dashboard(scope)
    generate(120, seed=8, now=clock.now())
    with count_queries() as large:
        big = dashboard.dashboard(scope)
    assert small.count == large.count
    assert big.totals["enrolled"] > 0 and big.mentoring.sessions >= 0


def test_an_agency_less_person_is_grouped_under_none(app, frozen_clock):
    make_agency("KG")
    _complete("dash.no.agency", sex=Sex.OTHER)
    assert set(dashboard.dashboard(_year()).gain.by_agency) == {"none"}
