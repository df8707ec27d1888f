"""The cohorts API: scoped lists, participants' progress, all-or-nothing enrolment."""

from __future__ import annotations

import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.enrolments import cohorts, services
from lms.enrolments.models import Enrolment
from lms.extensions import db
from tests.api.test_api import bearer
from tests.factories import make_cohort, make_course, make_user


def _cohort(course, name, country="KG", **kw):
    return make_cohort(course, name=name, country=country, **kw)


def test_cohorts_are_listed_within_scope_with_progress(client, frozen_clock):
    course = make_course("api-cohort-course", lessons=2)
    trainer = make_user("api.trainer", roles=[Role.TRAINER])
    kg = _cohort(course, "Osh", trainers=(trainer,))
    _cohort(course, "Almaty", country="KZ")
    learner = make_user("api.learner1", country_code="KG")
    cohorts.enrol_people(kg, [learner], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(kg)
    lesson = services.live_lessons([course.id])[0][0]
    services.complete_lesson(enrolment, lesson, course, now=clock.now())
    listing = client.get("/api/v1/cohorts", headers=bearer(trainer)).get_json()
    assert [c["name"] for c in listing["items"]] == ["Osh"]
    assert listing["items"][0]["class_days"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    detail = client.get(f"/api/v1/cohorts/{kg.id}", headers=bearer(trainer)).get_json()
    (member,) = detail["members"]
    assert member["username"] == "api.learner1"
    assert (member["lessons_done"], member["lessons_total"], member["days_present"]) == (1, 2, 0)
    assert member["gates"]["lessons"] is False
    kz_coordinator = make_user(
        "api.kz", roles=[Role.COORDINATOR], coordinator_country="KZ", country_code="KZ"
    )
    names = client.get("/api/v1/cohorts", headers=bearer(kz_coordinator)).get_json()
    assert [c["name"] for c in names["items"]] == ["Almaty"]


def test_enrolment_is_all_or_nothing_and_scoped(client, frozen_clock):
    course = make_course("api-enrol-course")
    kg = _cohort(course, "Osh")
    coordinator = make_user("api.kg", roles=[Role.COORDINATOR], coordinator_country="KG")
    make_user("kg.one", country_code="KG")
    make_user("kg.two", country_code="KG")
    make_user("kz.one", country_code="KZ")
    url = f"/api/v1/cohorts/{kg.id}/enrolments"
    refused = client.post(
        url, json={"usernames": ["kg.one", "kz.one", "ghost"]}, headers=bearer(coordinator)
    )
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert set(error["details"]["usernames"]) == {"kz.one", "ghost"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0
    done = client.post(url, json={"usernames": ["KG.ONE", "kg.two"]}, headers=bearer(coordinator))
    assert done.status_code == 200
    assert done.get_json() == {
        "enrolled": ["kg.one", "kg.two"],
        "joined": [],
        "already": [],
        "elsewhere": [],
    }
    again = client.post(url, json={"usernames": ["kg.one"]}, headers=bearer(coordinator))
    assert again.get_json()["already"] == ["kg.one"]
    kz_coordinator = make_user(
        "api.kz2", roles=[Role.COORDINATOR], coordinator_country="KZ", country_code="KZ"
    )
    hidden = client.post(url, json={"usernames": ["kz.one"]}, headers=bearer(kz_coordinator))
    assert hidden.status_code == 404
    alone = client.post(
        "/api/v1/courses/api-enrol-course/enrolments",
        json={"usernames": ["kz.one"]},
        headers=bearer(kz_coordinator),
    )
    assert alone.status_code == 200 and alone.get_json()["enrolled"] == ["kz.one"]
    bad = client.post(url, json={"usernames": []}, headers=bearer(coordinator))
    assert bad.status_code == 422 and "usernames" in bad.get_json()["error"]["details"]["json"]


def test_attempt_summaries_are_scoped_and_hold_no_answers(client, frozen_clock):
    from lms.assessments import attempts
    from lms.assessments.services import import_bank, read_bank_file

    import_bank(read_bank_file(b"::Q::Is it?{T}\n", "gift"), bank_name="api/bank", now=clock.now())
    course = make_course("api-tests", pre_test="api/bank")
    course.tests = {
        "pre": {
            "bank": "api/bank",
            "forms": [],
            "items": None,
            "time_limit": None,
            "attempts": 1,
            "pass_mark": 70.0,
            "reveal": "score",
        }
    }
    kg = _cohort(course, "Osh")
    learner = make_user("api.taker", country_code="KG")
    cohorts.enrol_people(kg, [learner], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(kg)
    attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    attempts.save(attempt, {1: {"value": True}}, now=clock.now())
    attempts.submit(attempt, now=clock.now())
    mine = client.get("/api/v1/me/attempts", headers=bearer(learner)).get_json()
    assert [(a["test"], a["score"], a["status"]) for a in mine] == [("pre", 100.0, "scored")]
    assert "response" not in str(mine) and "items" not in mine[0]
    coordinator = make_user("api.kg3", roles=[Role.COORDINATOR], coordinator_country="KG")
    listed = client.get(f"/api/v1/cohorts/{kg.id}/attempts", headers=bearer(coordinator))
    assert [a["user_id"] for a in listed.get_json()] == [learner.id]
    other = make_user("api.other.learner", country_code="KG")
    assert client.get("/api/v1/me/attempts", headers=bearer(other)).get_json() == []
