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
