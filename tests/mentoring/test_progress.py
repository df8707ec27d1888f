"""Capacity scorecards, unit results per quarter, the members' training, and the mentor's
monthly report (its page, exports and who may see it)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.audit import AuditEvent
from lms.errors import Invalid
from lms.extensions import db
from lms.mentoring import progress, services
from lms.mentoring.models import ActionStatus, AssessmentKind, UnitResult
from tests.factories import make_user, sign_in

LEVELS = {"victim-identification": 1, "financial-investigation": 2}


def test_the_first_scorecard_is_the_baseline_and_the_trend_follows(world):
    first = progress.add_assessment(
        world.unit, assessed_on=world.today - timedelta(days=60), levels=LEVELS, notes="",
        by=world.mentor, now=clock.now(),
    )  # fmt: skip
    later = progress.add_assessment(
        world.unit, assessed_on=world.today, levels={**LEVELS, "victim-identification": 3},
        notes="Files reviewed.", by=world.mentor, now=clock.now(),
    )  # fmt: skip
    assert first.kind is AssessmentKind.BASELINE and later.kind is AssessmentKind.PERIODIC
    series = progress.trend(progress.assessments(world.unit.id))
    assert [level for _day, level in series["victim-identification"]] == [1, 3]
    assert series["case-file-quality"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"assessed_on": date(2099, 1, 1)}, "assessed_on"),
        ({"levels": {}}, "levels"),
        ({"levels": {"victim-identification": 5}}, "levels"),
        ({"levels": {"astrology": 2}}, "levels"),
        ({"notes": "Victim Anna Petrova confirmed."}, "notes"),
    ],
)
def test_bad_scorecards_are_refused(world, changes, field):
    values = {"assessed_on": world.today, "levels": LEVELS, "notes": ""} | changes
    with pytest.raises(Invalid) as refused:
        progress.add_assessment(world.unit, by=world.mentor, now=clock.now(), **values)
    assert refused.value.field == field


def test_results_are_totals_per_quarter_and_corrections_are_recorded(world):
    totals = {"investigations_opened": 4, "financial_investigations": 1, "prosecutions": 2,
              "victims_identified": 6, "victims_referred": 5}  # fmt: skip
    progress.save_result(world.unit, year=2025, number=4, totals=totals, by=world.mentor,
                         now=clock.now())  # fmt: skip
    progress.save_result(world.unit, year=2025, number=4, totals={**totals, "prosecutions": 3},
                         by=world.mentor, now=clock.now())  # fmt: skip
    (row,) = db.session.scalars(sa.select(UnitResult)).all()
    assert (row.period_start, row.period_end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert row.prosecutions == 3
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "mentoring.unit_result")
        .order_by(AuditEvent.id.desc())
    ).first()  # fmt: skip
    assert event.details["before"]["prosecutions"] == 2
    for changes, field in [({"victims_referred": 7}, "victims_referred"),
                           ({"prosecutions": -1}, "prosecutions")]:  # fmt: skip
        with pytest.raises(Invalid) as refused:
            progress.save_result(world.unit, year=2025, number=4, totals={**totals, **changes},
                                 by=world.mentor, now=clock.now())  # fmt: skip
        assert refused.value.field == field
    with pytest.raises(Invalid, match="not begun"):
        progress.save_result(world.unit, year=2099, number=1, totals=totals, by=world.mentor,
                             now=clock.now())  # fmt: skip


def test_the_results_page_refuses_bad_totals_with_a_message(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    response = client.post(f"/mentoring/units/{world.unit.id}/results", data={
        "year": "2025", "quarter": "4", "investigations_opened": "3",
        "victims_identified": "1", "victims_referred": "4"})  # fmt: skip
    assert response.status_code == 422
    assert "More victims referred than identified" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitResult)) == 0
    response = client.post(f"/mentoring/units/{world.unit.id}/results", data={
        "year": "2025", "quarter": "4", "investigations_opened": "3",
        "victims_identified": "4", "victims_referred": "4"})  # fmt: skip
    assert response.status_code == 302


def test_the_capacity_page_saves_a_scorecard_from_the_levels_chosen(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    response = client.post(f"/mentoring/units/{world.unit.id}/capacity", data={
        "assessed_on": world.today.isoformat(), "level-victim-identification": "2",
        "level-case-file-quality": "3", "notes": ""})  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "baseline" in page and "<svg" in page
    refused = client.post(f"/mentoring/units/{world.unit.id}/capacity",
                          data={"assessed_on": world.today.isoformat()})  # fmt: skip
    assert refused.status_code == 422 and "Score at least one competency" in refused.get_data(
        as_text=True)  # fmt: skip
    coordinator = app.test_client()
    sign_in(coordinator, make_user("kg.cap", roles=[Role.COORDINATOR], coordinator_country="KG"))
    assert coordinator.get(f"/mentoring/units/{world.unit.id}/capacity").status_code == 200
    assert coordinator.post(f"/mentoring/units/{world.unit.id}/capacity", data={
        "assessed_on": world.today.isoformat(), "level-victim-identification": "2"}
    ).status_code == 403  # fmt: skip


def test_the_unit_page_shows_the_members_training(app, world):
    from tests.certificates.test_certificates import _complete

    enrolment = _complete("unit.trained", full_name="Trained Member", latin=None)
    db.session.get(type(world.members[0]), enrolment.user_id).unit_id = world.unit.id
    db.session.commit()
    rows = progress.member_progress(world.unit.id)
    (row,) = [r for r in rows if r.name == "Trained Member"]
    assert (row.pre, round(row.post, 2), row.completed_on is not None) == (0.0, 66.67, True)
    client = app.test_client()
    sign_in(client, world.mentor)
    page = client.get(f"/mentoring/units/{world.unit.id}").get_data(as_text=True)
    assert "Trained Member" in page and "+66.7" in page


def test_the_monthly_report_counts_the_month_and_exports(app, world):
    first = world.log(held_on=world.today.replace(day=1))
    services.update_action(first.actions[0], ActionStatus.DONE, "ok", by=world.mentor,
                           now=clock.now())  # fmt: skip
    month = world.today.strftime("%Y-%m")
    report = progress.monthly_report(world.mentor, world.today.year, world.today.month,
                                     units_scope=sa.true())  # fmt: skip
    assert report.total_sessions == 1 and report.hours == 1.5
    assert report.attendees == {"male": 2, "female": 3}  # 3 members + 2 women of prosecution
    assert report.actions_opened == 2 and report.actions_closed == {"done": 1}
    client = app.test_client()
    sign_in(client, world.mentor)
    page = client.get(f"/mentoring/reports/monthly?month={month}")
    assert page.status_code == 200 and "Monthly mentoring report" in page.get_data(as_text=True)
    exported = client.get(f"/mentoring/reports/monthly?month={month}&format=csv&table=summary")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert ["Sessions", "1"] in rows and ["Actions done", "1"] in rows
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/mentoring/reports/monthly?month={month}&format=xlsx").data))  # fmt: skip
    assert book.sheetnames == ["Summary", "Units", "Sessions", "Topics"]
    assert client.get("/mentoring/reports/monthly?month=2026-13").status_code == 422
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "mentoring.report_export")
    ) == 2  # fmt: skip
    # The coordinator of the country sees it; another country's does not.
    kg = app.test_client()
    sign_in(kg, make_user("kg.month", roles=[Role.COORDINATOR], coordinator_country="KG"))
    shown = kg.get(f"/mentoring/reports/monthly?mentor={world.mentor.id}&month={month}")
    assert "Request phone records early" not in shown.get_data(as_text=True)
    assert "1.5" in shown.get_data(as_text=True)
    tj = app.test_client()
    sign_in(tj, make_user("tj.month", roles=[Role.COORDINATOR], coordinator_country="TJ"))
    assert tj.get(f"/mentoring/reports/monthly?mentor={world.mentor.id}").status_code == 404
    other = app.test_client()
    sign_in(other, make_user("other.m", roles=[Role.MENTOR], country_code="KG"))
    assert other.get(f"/mentoring/reports/monthly?mentor={world.mentor.id}").status_code == 404
