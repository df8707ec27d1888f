"""The learners' data rights: a person downloads everything held about them (staff of
their country may too), erasure removes the identity but keeps the figures and the
certificate verifiable, and the retention clean-up deletes what is past its time."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role, User, UserSession
from lms.audit import AuditEvent
from lms.certificates import services as certificates
from lms.certificates.models import CertificatePdf
from lms.evaluation import services as evaluation
from lms.evaluation.models import SurveyResponse
from lms.extensions import db
from lms.reports import indicators
from tests.certificates.test_certificates import _complete
from tests.evaluation.conftest import attach
from tests.factories import DEFAULT_PASSWORD, make_user, sign_in

FEEDBACK = {"relevance": "5", "new-knowledge": "4", "quality": "4", "length": "right",
            "intent": "yes-now", "improve": "My colleague Asel should attend."}  # fmt: skip


def _person(app, tmp_path, username="rights.learner"):
    enrolment = _complete(username, email=f"{username}@example.org")
    certificate = certificates.issue(enrolment, now=clock.now())
    attach(tmp_path)
    survey = evaluation.open_survey(enrolment, "feedback", today=clock.now().date())
    assert evaluation.answer(survey, FEEDBACK, submit=True, now=clock.now()) == {}
    db.session.commit()
    return db.session.get(User, enrolment.user_id), certificate


def test_a_person_downloads_everything_held_about_them(app, frozen_clock, tmp_path):
    person, certificate = _person(app, tmp_path)
    client = app.test_client()
    sign_in(client, person)
    assert "Download my data (JSON)" in client.get("/account").get_data(as_text=True)
    response = client.get("/account/data.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["person"]["username"] == "rights.learner"
    assert data["person"]["email"] == "rights.learner@example.org"
    assert [e["status"] for e in data["enrolments"]] == ["completed"]
    assert {a["test"] for a in data["attempts"]} == {"pre", "post"}
    assert data["certificates"][0]["serial"] == certificate.serial
    assert data["survey_responses"][0]["answers"]["intent"] == "yes-now"
    assert data["sessions"] and data["actions_recorded"] is not None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "privacy.export"))
    kg = app.test_client()
    sign_in(kg, make_user("rights.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    assert kg.get(f"/people/{person.id}/data.json").status_code == 200
    tj = app.test_client()
    sign_in(tj, make_user("rights.tj", roles=[Role.COORDINATOR], coordinator_country="TJ"))
    assert tj.get(f"/people/{person.id}/data.json").status_code == 404
    other = app.test_client()
    sign_in(other, make_user("rights.other"))
    assert other.get(f"/people/{person.id}/data.json").status_code == 403
    assert json.loads(other.get("/account/data.json").data)["person"]["username"] == "rights.other"


def test_erasure_removes_the_identity_and_keeps_the_figures(app, runner, frozen_clock, tmp_path):
    person, certificate = _person(app, tmp_path)
    year = clock.now().year
    before = indicators.report(date(year, 1, 1), date(year, 12, 31), countries=None)
    short = runner.invoke(args=["lms", "privacy", "erase", "rights.learner", "--reason", "asked"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    reason = "The officer's written request of 2026-11-20"
    result = runner.invoke(
        args=["lms", "privacy", "erase", "rights.learner", "--reason", reason, "--json"]
    )
    assert result.exit_code == 0, result.output
    removed = json.loads(result.stdout)["removed"]
    assert removed["certificate_pdf"] == 1 and removed["survey_texts"] == 1
    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.username == f"erased-{person.id}" and erased.email is None
    assert erased.password_hash is None and not erased.is_active
    assert erased.full_name == f"Erased person {person.id}"
    assert erased.sex == person.sex and erased.country_code == "KG"  # the figures' facts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificatePdf)) == 0
    response = db.session.scalar(sa.select(SurveyResponse))
    assert "improve" not in response.answers and response.answers["relevance"] == 5
    after = indicators.report(date(year, 1, 1), date(year, 12, 31), countries=None)
    assert (after.trained, after.certified, after.tested) == (
        before.trained, before.certified, before.tested)  # fmt: skip
    # The certificate still verifies, with the holder withheld.
    page = app.test_client().get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Withheld: the holder's personal data was erased" in page
    body = app.test_client().get(f"/verify/{certificate.serial}.json").get_json()
    assert body["status"] == "valid" and body["holder"] is None and body["holder_withheld"]
    # The old username signs nobody in; the erasure is audited with its reason.
    refused = app.test_client().post("/login", data={"username": "rights.learner",
                                                     "password": DEFAULT_PASSWORD})  # fmt: skip
    assert refused.status_code == 422  # the sign-in form again, with its message
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
    assert event.details["reason"] == "The officer's written request of 2026-11-20"
    assert "rights.learner" not in json.dumps(event.details)


def test_the_clean_up_deletes_what_is_past_its_retention(app, runner, frozen_clock):
    person = make_user("retention.person")
    client = app.test_client()
    sign_in(client, person)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) >= 1
    frozen_clock.advance(timedelta(days=91))
    result = runner.invoke(args=["lms", "privacy", "cleanup", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"]["sessions"] >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    app.config["RETENTION_DAYS"] = {"everything": 1}
    try:
        refused = runner.invoke(args=["lms", "privacy", "cleanup"])
    finally:
        app.config["RETENTION_DAYS"] = {"sessions": 90}
    assert refused.exit_code == 1 and "unknown record kinds: everything" in refused.output


def test_every_column_that_points_at_a_person_is_declared(app):
    """Like Moodle's privacy providers: a new table holding a person's id fails here until
    lms.privacy.services.PERSON_COLUMNS says whether it is exported, a credential erased,
    or a record of staff work."""
    from lms.privacy.services import PERSON_COLUMNS

    found = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "user"
    }
    assert found == set(PERSON_COLUMNS), (found - set(PERSON_COLUMNS), set(PERSON_COLUMNS) - found)


def test_an_export_holds_nobody_elses_data(app, frozen_clock, tmp_path):
    person, _certificate = _person(app, tmp_path)
    other = make_user("rights.neighbour", email="neighbour@example.org",
                      full_name="Neighbour Person", country_code="KG")  # fmt: skip
    client = app.test_client()
    sign_in(client, other)
    sign_in(app.test_client(), person)
    text = client.get("/account/data.json").get_data(as_text=True)
    assert "rights.learner" not in text and person.full_name not in text
    assert "neighbour@example.org" in text
