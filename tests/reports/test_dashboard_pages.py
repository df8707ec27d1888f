"""The dashboard, indicator and target pages: scoped to the viewer's countries in every
figure and file, bad filters answered 400 or 404, exports audited, targets beside the
actuals, small groups hidden in files for publication, a fixed number of queries."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role, Sex
from lms.audit import AuditEvent
from lms.extensions import db
from lms.reports import targets
from lms.reports.targets import Indicator, IndicatorTarget
from tests.certificates.test_certificates import _complete
from tests.factories import make_cohort, make_user, sign_in


def _client(app, username, **person):
    client = app.test_client()
    sign_in(client, make_user(username, **person))
    return client


@pytest.fixture
def people(app, frozen_clock):
    """Two Kyrgyz officials and one Tajik completed the course; coordinators of each."""
    kg = [_complete("dp.kg.f", sex=Sex.FEMALE), _complete("dp.kg.m", sex=Sex.MALE)]
    tj = _complete("dp.tj.m", sex=Sex.MALE, country_code="TJ")
    db.session.commit()
    return kg, tj


def _coordinator(app, country="KG"):
    return _client(app, f"dp.coord.{country.lower()}", roles=[Role.COORDINATOR],
                   coordinator_country=country)  # fmt: skip


def _figure(page: str, name: str) -> str:
    marker = f'data-figure="{name}">'
    return page.split(marker, 1)[1].split("<", 1)[0]


def test_a_coordinator_sees_their_countries_in_the_page_and_files(app, people):
    kg = _coordinator(app)
    page = kg.get("/reports/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert _figure(text, "enrolled") == "2" and _figure(text, "completed") == "2"
    assert "Tajikistan" not in text
    admin = _client(app, "dp.admin", roles=[Role.ADMIN])
    assert _figure(admin.get("/reports/dashboard").get_data(as_text=True), "enrolled") == "3"
    book = openpyxl.load_workbook(io.BytesIO(kg.get("/reports/dashboard?format=xlsx").data))
    assert book.sheetnames[:3] == ["Funnel", "By course and cohort", "Knowledge gain"]
    assert [c.value for c in book["Funnel"][2]][:2] == ["Enrolled", 2]
    groups = [row[0] for row in book["Knowledge gain"].iter_rows(values_only=True)]
    assert "Kyrgyzstan" in groups and "Tajikistan" not in groups
    funnel_csv = kg.get("/reports/dashboard?format=csv&table=funnel").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(funnel_csv)))
    assert rows[1][:2] == ["Enrolled", "2"]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "reports.dashboard_export")
    ).all()
    assert len(events) == 2 and all(e.actor_id is not None for e in events)
    women = kg.get("/reports/dashboard?sex=female").get_data(as_text=True)
    assert _figure(women, "enrolled") == "1"


def test_bad_filters_are_refused_with_a_message(app, people):
    kg = _coordinator(app)
    for query, message in [
        ("start=nonsense&end=", "first before the second"),
        ("start=2026-05-01&end=2026-01-01", "first before the second"),
        ("start=2000-01-01&end=2026-01-01", "at most ten years apart"),
        ("country=ZZ", "Choose a country"),
        ("agency=navy", "Choose an agency type"),
        ("sex=x", "Choose a sex"),
        ("course=abc", "Choose a course"),
        ("cohort=1e3", "Choose a cohort"),
        ("course=99999999999", "Choose a course"),
    ]:
        answer = kg.get(f"/reports/dashboard?{query}")
        assert answer.status_code == 400, query
        assert message in answer.get_data(as_text=True), query
    assert kg.get("/reports/dashboard?country=ZZ&format=xlsx").status_code == 400
    assert kg.get("/reports/dashboard?format=pdf").status_code == 404
    assert kg.get("/reports/indicators?format=pdf").status_code == 404


def test_other_countries_ids_are_not_found(app, people):
    _kg, tj = people
    tajik_cohort = make_cohort(tj.course, name="Dushanbe", country="TJ")
    db.session.commit()
    kg = _coordinator(app)
    assert kg.get("/reports/dashboard?country=TJ").status_code == 404
    assert kg.get(f"/reports/dashboard?cohort={tajik_cohort.id}").status_code == 404
    assert kg.get("/reports/dashboard?course=424242").status_code == 404
    assert kg.get("/reports/dashboard?country=KG").status_code == 200
    tajik = _coordinator(app, "TJ")
    page = tajik.get(f"/reports/dashboard?cohort={tajik_cohort.id}")
    assert page.status_code == 200 and "Dushanbe" in page.get_data(as_text=True)
    learner = _client(app, "dp.learner")
    assert learner.get("/reports/dashboard").status_code == 403
    assert learner.get("/reports/targets").status_code == 403


def test_the_page_takes_the_same_queries_whatever_the_size(app, frozen_clock, count_queries):
    from bench.generate import generate

    admin = _client(app, "dp.size.admin", roles=[Role.ADMIN])
    generate(15, seed=3, now=clock.now())
    db.session.commit()
    admin.get("/reports/dashboard")
    with count_queries() as small:
        assert admin.get("/reports/dashboard").status_code == 200
    generate(90, seed=4, now=clock.now())
    db.session.commit()
    with count_queries() as large:
        assert admin.get("/reports/dashboard").status_code == 200
    assert small.count == large.count


def test_targets_are_set_by_admins_and_shown_beside_the_actuals(app, people):
    year = clock.now().year
    admin = _client(app, "dp.t.admin", roles=[Role.ADMIN])
    form = {"year": str(year), "programme-trained": "600", "KG-trained": "80",
            "TJ-trained": "40", "KG-improved_percent": "75"}  # fmt: skip
    saved = admin.post("/reports/targets", data=form)
    assert saved.status_code == 302
    assert targets.for_year(year)[("KG", "trained")] == 80.0
    kg = _coordinator(app)
    assert kg.post("/reports/targets", data=form).status_code == 403
    book = openpyxl.load_workbook(io.BytesIO(kg.get("/reports/indicators?format=xlsx").data))
    rows = list(book["Targets"].iter_rows(values_only=True))
    assert rows[1][:4] == ("Officials trained", 80, 2, 2.5)
    assert rows[2][:3] == ("Tested officials who improved their score (%)", 75, 100)
    everyone = openpyxl.load_workbook(io.BytesIO(admin.get("/reports/indicators?format=xlsx").data))
    assert list(everyone["Targets"].iter_rows(values_only=True))[1][:3] == (
        "Officials trained", 600, 3)  # fmt: skip
    # Bad values: a message per cell, nothing saved, the good values kept in the form.
    bad = admin.post("/reports/targets", data={**form, "KG-trained": "lots",
                                               "programme-improved_percent": "140"})  # fmt: skip
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "A whole number of 0 or more." in text and "A percentage from 0 to 100." in text
    assert 'value="lots"' in text
    assert targets.for_year(year)[("KG", "trained")] == 80.0
    # An empty cell removes the target; the change is audited with before and after.
    assert admin.post("/reports/targets", data={**form, "TJ-trained": ""}).status_code == 302
    assert ("TJ", "trained") not in targets.for_year(year)
    change = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "reports.targets_update")
        .order_by(AuditEvent.id.desc())
    ).first()  # fmt: skip
    assert change.details["changes"] == {"TJ:trained": [40.0, None]}
    assert admin.get("/reports/targets?year=nineteen").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorTarget)) == 3


def test_applicable_targets_sum_countries_and_keep_percentages_whole():
    saved = {("", "trained"): 600.0, ("KG", "trained"): 80.0, ("TJ", "trained"): 40.0,
             ("KG", "improved_percent"): 75.0, ("TJ", "improved_percent"): 60.0}  # fmt: skip
    assert targets.applicable(saved, None)[Indicator.TRAINED] == 600.0
    both = targets.applicable(saved, frozenset({"KG", "TJ"}))
    assert both == {Indicator.TRAINED: 120.0}
    assert targets.applicable(saved, frozenset({"KG"})) == {
        Indicator.TRAINED: 80.0, Indicator.IMPROVED_PERCENT: 75.0}  # fmt: skip
    assert targets.applicable({("KG", "trained"): 5.0}, None) == {Indicator.TRAINED: 5.0}


def test_files_for_publication_hide_small_groups(app, people):
    admin = _client(app, "dp.pub.admin", roles=[Role.ADMIN])
    exact = openpyxl.load_workbook(io.BytesIO(admin.get("/reports/indicators?format=xlsx").data))
    assert list(exact["Persons"].iter_rows(values_only=True))[1][:4] == (
        "Officials trained (completed a course)", 3, 1, 2)  # fmt: skip
    published = openpyxl.load_workbook(
        io.BytesIO(admin.get("/reports/indicators?format=xlsx&publish=1").data)
    )
    assert list(published["Persons"].iter_rows(values_only=True))[1][:4] == (
        "Officials trained (completed a course)", "<5", "<5", "<5")  # fmt: skip
    by_country = list(published["By country"].iter_rows(values_only=True))
    assert all(cell in ("<5", 0) for row in by_country[1:] for cell in row[1:])
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "reports.indicators_export")
        .order_by(AuditEvent.id.desc())
    ).first()  # fmt: skip
    assert event.details["publish"] is True
