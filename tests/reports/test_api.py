"""The reports' API endpoints give the page's numbers."""

from __future__ import annotations

import pytest

from tests.api.test_api import bearer
from tests.reports.test_analysis import _world as analysis_world
from tests.reports.test_results import _world as results_world


def test_the_cohort_results_endpoint_gives_the_worked_example(app, client, frozen_clock):
    _course, cohort, trainer = results_world()
    response = client.get(f"/api/v1/cohorts/{cohort.id}/results", headers=bearer(trainer))
    assert response.status_code == 200
    body = response.get_json()
    overall = body["overall"]["gain"]
    assert (overall["n"], overall["mean_pre"], overall["mean_post"]) == (4, 45.0, 62.5)
    assert overall["sd_gain"] == pytest.approx(15.0) and overall["df"] == 3
    assert overall["ci_low"] == pytest.approx(-6.368, abs=1e-3)
    assert overall["small_sample"] is True
    female = next(g for g in body["groups"] if g["dimension"] == "sex" and g["key"] == "female")
    assert female["gain"]["mean_gain"] == 20.0
    assert len(body["learners"]) == 5
    bad = client.get(f"/api/v1/cohorts/{cohort.id}/results?threshold=0", headers=bearer(trainer))
    assert bad.status_code == 422 and "threshold" in str(bad.get_json()["error"])


def test_the_bank_analysis_endpoint(app, client, frozen_clock):
    from lms.accounts.models import Role
    from tests.factories import make_user

    bank = analysis_world()
    admin = make_user("api.an.admin", roles=[Role.ADMIN])
    body = client.get(f"/api/v1/banks/{bank.id}/analysis", headers=bearer(admin)).get_json()
    assert body["overall"]["n"] == 4 and body["versions"][0]["form"] == "t/form-a"
    facility = {i["key"]: i["facility"] for i in body["versions"][0]["items"]}
    assert facility == {"id:a1": 75.0, "id:a2": 50.0, "id:a3": 25.0}
    assert body["overall"]["alpha"] == pytest.approx(0.75)


def test_the_dashboard_and_indicator_endpoints_are_scoped_checked_and_audited(
    app, client, frozen_clock
):
    import sqlalchemy as sa

    from lms.accounts.models import Role, Sex
    from lms.audit import AuditEvent
    from lms.extensions import db
    from tests.certificates.test_certificates import _complete
    from tests.factories import make_user

    _complete("api.d.kg.f", sex=Sex.FEMALE)
    _complete("api.d.kg.m", sex=Sex.MALE)
    _complete("api.d.tj.m", sex=Sex.MALE, country_code="TJ")
    kg = bearer(make_user("api.d.coord", roles=[Role.COORDINATOR], coordinator_country="KG"))
    admin = bearer(make_user("api.d.admin", roles=[Role.ADMIN]))
    body = client.get("/api/v1/reports/dashboard", headers=kg).get_json()
    assert body["totals"]["enrolled"] == 2 and body["filters"]["countries"] == ["KG"]
    assert set(body["gain"]["by_country"]) == {"KG"}
    assert body["gain"]["overall"]["n"] == 2
    everyone = client.get("/api/v1/reports/dashboard?sex=male", headers=admin).get_json()
    assert everyone["totals"]["enrolled"] == 2 and everyone["filters"]["countries"] is None
    assert client.get("/api/v1/reports/dashboard?country=TJ", headers=kg).status_code == 404
    bad = client.get("/api/v1/reports/dashboard?sex=x&start=soon", headers=kg)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["query"]) == {"sex", "start"}
    backwards = client.get("/api/v1/reports/dashboard?start=2026-05-01&end=2026-01-01",
                           headers=kg)  # fmt: skip
    assert backwards.status_code == 400
    assert set(backwards.get_json()["error"]["details"]) == {"start"}

    figures = client.get("/api/v1/reports/indicators", headers=kg).get_json()
    assert figures["trained"]["total"] == 2 and figures["trained"]["by_country"] == {"KG": 2}
    assert figures["improved_percent"] == 100.0
    published = client.get("/api/v1/reports/indicators?publish=true", headers=admin).get_json()
    assert published["trained"]["total"] == "<5" and published["published"] is True
    assert published["trained"]["by_sex"] == {"female": "<5", "male": "<5"}
    reversed_period = client.get(
        "/api/v1/reports/indicators?start=2026-05-01&end=2026-01-01", headers=kg
    )
    assert reversed_period.status_code == 400
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.action.in_(["reports.dashboard_api", "reports.indicators_api"]))
    ) == 4  # fmt: skip
