"""The donor's indicators: persons counted once, breakdowns that add up, the period and
the countries in scope respected, mentoring and unit results summed; a fixed number of
queries whatever the data size."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms import clock
from lms.accounts.models import Sex
from lms.certificates import services as certificates
from lms.enrolments import services as enrolments
from lms.extensions import db
from lms.mentoring import progress
from lms.reports import indicators
from tests.certificates.test_certificates import _complete
from tests.factories import make_agency, make_course, make_user
from tests.mentoring.conftest import UnitWorld


def _year():
    today = clock.now().date()
    return date(today.year, 1, 1), date(today.year, 12, 31)


def test_persons_are_counted_once_and_groups_add_up(app, frozen_clock):
    kg_woman = _complete("ind.kg.f", sex=Sex.FEMALE)
    _complete("ind.kg.m", sex=Sex.MALE, country_code="KG")
    _complete("ind.tj.m", sex=Sex.MALE, country_code="TJ")
    # The Kyrgyz woman completes a second course: one person, two participations.
    other = make_course("ind-second", lessons=1)
    enrolment = enrolments.enrol(db.session.get(type(kg_woman.user), kg_woman.user_id), other,
                                 now=clock.now())  # fmt: skip
    for lesson, _m in enrolments.live_lessons([other.id]):
        enrolments.complete_lesson(enrolment, lesson, other, now=clock.now())
    assert enrolment.completed_at is not None
    certificates.issue(kg_woman, now=clock.now())
    start, end = _year()
    everyone = indicators.report(start, end, countries=None)
    assert everyone.trained.total == 3 and everyone.participations == 4
    assert everyone.trained.by_sex == {"female": 1, "male": 2}
    assert everyone.trained.by_country == {"KG": 2, "TJ": 1}
    assert sum(everyone.trained.by_agency.values()) == 3
    assert everyone.certified.total == 1
    # Pre-test 0 %, post-test 66.67 % for the three: tested, improved, gained ≥ 20 points.
    assert (everyone.tested.total, everyone.improved.total, everyone.gained.total) == (3, 3, 3)
    assert everyone.share(everyone.improved) == 100.0
    kyrgyz = indicators.report(start, end, countries=frozenset({"KG"}))
    assert kyrgyz.trained.total == 2 and kyrgyz.participations == 3
    assert kyrgyz.trained.by_country == {"KG": 2}
    assert indicators.report(start, end, countries=frozenset()).trained.total == 0
    # Another period: nothing.
    last_year = indicators.report(start - timedelta(days=365), start - timedelta(days=1),
                                  countries=None)  # fmt: skip
    assert last_year.trained.total == 0 and last_year.share(last_year.improved) is None
    with pytest.raises(ValueError, match="ends before"):
        indicators.report(end, start, countries=None)


@pytest.fixture
def world(app, frozen_clock) -> UnitWorld:
    return UnitWorld()


def test_mentoring_and_unit_results_are_summed_for_the_countries_in_scope(world):
    world.log()
    world.log(held_on=world.today - timedelta(days=2), duration_minutes=30)
    totals = dict.fromkeys(progress.RESULT_FIELDS, 2) | {"victims_referred": 1}
    progress.save_result(world.unit, year=world.today.year, number=1, totals=totals,
                         by=world.mentor, now=clock.now())  # fmt: skip
    start, end = _year()
    kg = indicators.report(start, end, countries=frozenset({"KG"}))
    assert (kg.mentoring.sessions, kg.mentoring.hours, kg.mentoring.units) == (2, 2.0, 1)
    # Three members and two women of the prosecution at each of the two sessions.
    assert sum(kg.mentoring.attendances.values()) == 2 * (3 + 2)
    assert kg.unit_results["investigations_opened"] == 2
    tj = indicators.report(start, end, countries=frozenset({"TJ"}))
    assert tj.mentoring.sessions == 0 and tj.unit_results["prosecutions"] == 0


def test_the_report_takes_the_same_queries_whatever_the_size(app, frozen_clock, count_queries):
    from bench.generate import generate

    start, end = _year()
    generate(20, seed=7, now=clock.now())
    with count_queries() as small:
        indicators.report(start, end, countries=frozenset({"KG", "TJ"}))
    generate(120, seed=8, now=clock.now())
    with count_queries() as large:
        big = indicators.report(start, end, countries=frozenset({"KG", "TJ"}))
    assert small.count == large.count
    assert big.trained.total > 0


def test_an_agency_less_person_is_counted_under_none(app, frozen_clock):
    make_agency("KG")
    _complete("ind.no.agency", sex=Sex.OTHER)
    start, end = _year()
    assert indicators.report(start, end, countries=None).trained.by_agency == {"none": 1}


def test_the_indicator_page_and_its_exports_are_scoped_and_audited(app, frozen_clock):
    import csv
    import io

    import openpyxl
    import sqlalchemy as sa

    from lms.accounts.models import Role
    from lms.audit import AuditEvent
    from tests.factories import sign_in

    _complete("page.kg.f", sex=Sex.FEMALE)
    _complete("page.tj.m", sex=Sex.MALE, country_code="TJ")
    kg = app.test_client()
    sign_in(kg, make_user("ind.coord.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = kg.get("/reports/indicators").get_data(as_text=True)
    assert "1 official (1 female / 0 male) completed at least one course" in page
    rows = list(
        csv.reader(
            io.StringIO(
                kg.get("/reports/indicators?format=csv&table=persons").data.decode("utf-8-sig")
            )
        )
    )
    assert rows[1][:2] == ["Officials trained (completed a course)", "1"]
    book = openpyxl.load_workbook(io.BytesIO(kg.get("/reports/indicators?format=xlsx").data))
    assert book.sheetnames == ["Persons", "By country", "By agency type", "Mentoring"]
    assert [cell.value for cell in book["By country"][1]][1:] == ["Kyrgyzstan"]
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "reports.indicators_export")
    ) == 2  # fmt: skip
    admin = app.test_client()
    sign_in(admin, make_user("ind.admin", roles=[Role.ADMIN]))
    assert "2 officials (1 female / 1 male)" in admin.get("/reports/indicators").get_data(
        as_text=True)  # fmt: skip
    refused = kg.get("/reports/indicators?start=2026-05-01&end=2026-01-01")
    assert refused.status_code == 422 and "first before the second" in refused.get_data(
        as_text=True)  # fmt: skip
    assert kg.get("/reports/indicators?start=nonsense&end=").status_code == 422
    learner = app.test_client()
    sign_in(learner, make_user("ind.learner"))
    assert learner.get("/reports/indicators").status_code == 403
