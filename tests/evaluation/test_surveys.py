"""Answering surveys: the learner's named feedback (draft, then sent once), anonymous
feedback that cannot be joined to anyone, follow-ups that open 3 and 6 months after
completion, and the staff who enter answers taken by telephone and confirm what they saw."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.audit import AuditEvent
from lms.evaluation import services
from lms.evaluation.models import (
    AnonymousResponse,
    ApplicationConfirmation,
    ResponseSource,
    SurveyInvitation,
    SurveyResponse,
)
from lms.extensions import db
from tests.evaluation.conftest import attach
from tests.factories import make_agency, make_unit, make_user, sign_in

FEEDBACK = {"relevance": "5", "new-knowledge": "4", "quality": "4", "length": "right",
            "intent": "yes-now", "most-useful": "The indicators"}  # fmt: skip
FOLLOW_UP = {"used": "sometimes", "skills": ["identify", "refer"], "confidence": "4"}


def _learner_client(app, enrolment):
    from lms.accounts.models import User

    client = app.test_client()
    sign_in(client, db.session.get(User, enrolment.user_id))
    return client


def test_named_feedback_is_drafted_then_sent_once(app, surveyed):
    client = _learner_client(app, surveyed)
    home = client.get("/").get_data(as_text=True)
    assert "Surveys for you" in home and "End-of-course feedback" in home
    url = f"/surveys/{surveyed.id}/feedback"
    page = client.get(url)
    assert page.status_code == 200 and "Your feedback on the course" in page.get_data(as_text=True)
    # Sent incomplete: a message per unanswered required question, nothing saved.
    refused = client.post(url, data={"relevance": "5", "length": "forever"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert text.count("Answer this question.") == 3 and "Choose from the options given." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    # A draft keeps what is there.
    assert client.post(url, data={"relevance": "5", "action": "save"}).status_code == 302
    draft = db.session.scalar(sa.select(SurveyResponse))
    assert draft.answers == {"relevance": 5} and draft.submitted_at is None
    assert 'value="5" checked' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=FEEDBACK).status_code == 302
    db.session.refresh(draft)
    assert draft.submitted_at is not None and draft.answers["intent"] == "yes-now"
    assert draft.source is ResponseSource.ONLINE and draft.entered_by_id is None
    # A second submission is refused; the survey leaves the dashboard.
    again = client.post(url, data=FEEDBACK, follow_redirects=True)
    assert "This survey was already answered." in again.get_data(as_text=True)
    assert "Surveys for you" not in client.get("/").get_data(as_text=True)


def test_surveys_are_refused_when_not_due_or_not_yours(app, surveyed, frozen_clock):
    from tests.certificates.test_certificates import _complete, _course

    client = _learner_client(app, surveyed)
    assert client.get(f"/surveys/{surveyed.id}/3").status_code == 409  # not open yet
    assert client.get(f"/surveys/{surveyed.id}/4").status_code == 404  # no such wave
    assert client.get(f"/surveys/{surveyed.id}/bogus").status_code == 404
    other = _learner_client(app, _complete("survey.other"))
    assert other.get(f"/surveys/{surveyed.id}/feedback").status_code == 404
    # A course not completed yet: the survey is refused with a message.
    from lms.enrolments import services as enrolments

    started = enrolments.enrol(db.session.get(type(surveyed.user), surveyed.user_id),
                               _course(slug="second"), now=clock.now())  # fmt: skip
    db.session.commit()
    refused = client.get(f"/surveys/{started.id}/feedback")
    assert refused.status_code == 409
    assert "This survey opens when the course is completed." in refused.get_data(as_text=True)


def test_anonymous_feedback_cannot_be_joined_to_anyone(app, frozen_clock, tmp_path):
    from tests.certificates.test_certificates import _complete

    enrolments = [_complete(f"anon.{n}") for n in range(3)]
    attach(tmp_path, anonymous=True)
    for number, enrolment in enumerate(enrolments):
        client = _learner_client(app, enrolment)
        page = client.get(f"/surveys/{enrolment.id}/feedback").get_data(as_text=True)
        assert "This survey is anonymous" in page and "Save and finish later" not in page
        if number == 0:
            draft = client.post(f"/surveys/{enrolment.id}/feedback",
                                data={**FEEDBACK, "action": "save"})  # fmt: skip
            assert draft.status_code == 422
        frozen_clock.advance(minutes=7)
        assert client.post(f"/surveys/{enrolment.id}/feedback", data=FEEDBACK).status_code == 302
    again = _learner_client(app, enrolments[0]).post(
        f"/surveys/{enrolments[0].id}/feedback", data=FEEDBACK)  # fmt: skip
    assert again.status_code == 302
    rows = db.session.scalars(sa.select(AnonymousResponse)).all()
    assert len(rows) == 3 and db.session.scalar(
        sa.select(sa.func.count()).select_from(SurveyResponse)) == 0  # fmt: skip
    # Nothing in the row points to a person or an enrolment, or orders the rows in time.
    columns = {c.name for c in AnonymousResponse.__table__.columns}
    assert columns == {"id", "version_id", "course_id", "cohort_id", "wave", "answered_on",
                       "sex", "country_code", "agency_type", "source", "answers"}  # fmt: skip
    foreign = {fk.column.table.name for fk in AnonymousResponse.__table__.foreign_keys}
    assert foreign == {"survey_version", "course", "cohort"}
    assert all(len(row.id) == 32 and int(row.id, 16) >= 0 for row in rows)
    assert {row.answered_on for row in rows} == {clock.now().date()}
    # The enrolment records only that (and on which day) it was answered.
    marks = db.session.scalars(sa.select(SurveyInvitation)).all()
    assert {(m.wave, m.answered_on) for m in marks} == {("feedback", clock.now().date())}
    # No audit event names a response.
    details = [str(e.details) + str(e.object_id) for e in db.session.scalars(sa.select(AuditEvent))]
    assert not any(row.id in text for row in rows for text in details)


def test_follow_ups_open_at_3_and_6_months_and_staff_enter_answers(app, surveyed, frozen_clock):
    agency = make_agency("KG", "МВД")
    unit = make_unit(agency, "ОПТЛ")
    learner = db.session.get(type(surveyed.user), surveyed.user_id)
    learner.unit_id = unit.id
    coordinator = make_user("survey.coord", roles=[Role.COORDINATOR], coordinator_country="KG")
    tajik = make_user("survey.coord.tj", roles=[Role.COORDINATOR], coordinator_country="TJ")
    db.session.commit()
    assert [i.wave for i in services.invitations_for(learner, clock.now().date())] == ["feedback"]
    frozen_clock.advance(days=95)
    waves = [i.wave for i in services.invitations_for(learner, clock.now().date())]
    assert waves == ["feedback", "3"]
    staff = app.test_client()
    sign_in(staff, coordinator)
    due = staff.get("/surveys/due").get_data(as_text=True)
    assert "Follow-up after 3 months" in due and learner.full_name in due
    entry = f"/surveys/{surveyed.id}/3/entry"
    assert "You are entering the answers of" in staff.get(entry).get_data(as_text=True)
    no_source = staff.post(entry, data=FOLLOW_UP)
    assert no_source.status_code == 422
    assert "by telephone or on paper" in no_source.get_data(as_text=True)
    assert staff.post(entry, data={**FOLLOW_UP, "source": "phone"}).status_code == 302
    response = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.wave == "3"))
    assert response.source is ResponseSource.PHONE and response.entered_by_id == coordinator.id
    assert response.user_id == learner.id and response.answers["used"] == "sometimes"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "survey.entered"))
    assert "Follow-up after 3 months" not in staff.get("/surveys/due").get_data(as_text=True)
    # The coordinator confirms what they saw; a bad form is refused with messages.
    confirm = f"/surveys/{surveyed.id}/3/confirm"
    bad = staff.post(confirm, data={"note": "x" * 301})
    assert bad.status_code == 422 and "Keep the note to 300 characters." in bad.get_data(
        as_text=True)  # fmt: skip
    assert staff.post(confirm, data={"observed": "yes", "note": "Uses the checklist"}
                      ).status_code == 302  # fmt: skip
    confirmation = db.session.scalar(sa.select(ApplicationConfirmation))
    assert confirmation.observed is True and confirmation.confirmed_by_id == coordinator.id
    # Another country's coordinator cannot reach the officer.
    other = app.test_client()
    sign_in(other, tajik)
    assert other.get(entry).status_code == 404 and other.get(confirm).status_code == 404
    assert learner.full_name not in other.get("/surveys/due").get_data(as_text=True)
    # At 6 months the next wave opens; the 3-month one has closed.
    frozen_clock.advance(days=95)
    assert [i.wave for i in services.invitations_for(learner, clock.now().date())] == [
        "feedback", "6"]  # fmt: skip
    assert _learner_client(app, surveyed).get(f"/surveys/{surveyed.id}/3").status_code == 409
    frozen_clock.advance(timedelta(days=100))
    assert [i.wave for i in services.invitations_for(learner, clock.now().date())] == ["feedback"]


def test_results_show_distributions_only_from_five_answers_and_stay_in_the_country(
    app, frozen_clock, tmp_path
):
    import io

    import openpyxl

    from tests.certificates.test_certificates import _complete

    enrolments = [_complete(f"res.kg.{n}") for n in range(5)]
    tajik = _complete("res.tj", country_code="TJ")
    attach(tmp_path)
    course_id = enrolments[0].course_id
    for number, enrolment in enumerate([*enrolments[:4], tajik]):
        survey = services.open_survey(enrolment, "feedback", today=clock.now().date())
        answers = {**FEEDBACK, "relevance": str(number % 5 + 1),
                   "improve": f"Comment {number}"}  # fmt: skip
        assert services.answer(survey, answers, submit=True, now=clock.now()) == {}
    db.session.commit()
    kg = app.test_client()
    sign_in(kg, make_user("res.coord", roles=[Role.COORDINATOR], coordinator_country="KG"))
    page = kg.get(f"/surveys/results?course={course_id}").get_data(as_text=True)
    # Four Kyrgyz answers: fewer than five, so only the count is shown.
    assert 'data-figure="responses">4<' in page and "Fewer than 5 people answered" in page
    assert "Comment 0" not in page
    survey = services.open_survey(enrolments[4], "feedback", today=clock.now().date())
    services.answer(survey, {**FEEDBACK, "improve": "Comment 4"}, submit=True, now=clock.now())
    db.session.commit()
    page = kg.get(f"/surveys/results?course={course_id}").get_data(as_text=True)
    assert 'data-figure="responses">5<' in page and "Comment 4" in page
    assert "Comment 3" in page and "Comment 4" in page and "mean 3 of 5" in page
    assert "100 %" in page  # five asked, five answered
    book = openpyxl.load_workbook(io.BytesIO(
        kg.get(f"/surveys/results?course={course_id}&format=xlsx").data))  # fmt: skip
    comments = [row[1] for row in book["Comments"].iter_rows(min_row=2, values_only=True)]
    # Five "most useful" answers and five comments; the Tajik officer's are not among them.
    assert sorted(c for c in comments if c.startswith("Comment")) == [
        f"Comment {n}" for n in range(5)]  # fmt: skip
    assert len(comments) == 10
    assert db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "surveys.results_export"))  # fmt: skip
    assert kg.get(f"/surveys/results?course={course_id}&wave=9").status_code == 404
    assert kg.get("/surveys/results?course=abc").status_code == 400
    assert kg.get("/surveys/results?course=99999").status_code == 404
    learner = _learner_client(app, enrolments[0])
    assert learner.get("/surveys/results").status_code == 403


def test_the_indicator_report_counts_reported_application_per_wave(app, frozen_clock, tmp_path):
    import io

    import openpyxl

    from lms.accounts.models import Sex
    from lms.reports import indicators
    from tests.certificates.test_certificates import _complete

    women = [_complete(f"app.f{n}", sex=Sex.FEMALE) for n in range(2)]
    men = [_complete(f"app.m{n}", sex=Sex.MALE) for n in range(5)]
    attach(tmp_path)
    frozen_clock.advance(days=100)
    for number, enrolment in enumerate([*women, *men]):
        survey = services.open_survey(enrolment, "3", today=clock.now().date())
        used = "often" if number % 3 else "no-occasion"
        assert services.answer(survey, {**FOLLOW_UP, "used": used}, submit=True,
                               now=clock.now()) == {}  # fmt: skip
    db.session.commit()
    today = clock.now().date()
    report = indicators.report(today.replace(month=1, day=1), today.replace(month=12, day=31),
                               countries=frozenset({"KG"}))  # fmt: skip
    (wave,) = report.application
    assert wave.wave == "3" and wave.respondents.total == 7 and wave.applying.total == 4
    assert wave.respondents.by_sex == {"female": 2, "male": 5} and wave.share == 57.1
    admin = app.test_client()
    sign_in(admin, make_user("app.admin", roles=[Role.ADMIN]))
    year = f"start={today.year}-01-01&end={today.year}-12-31"
    page = admin.get(f"/reports/indicators?{year}")
    assert "57.1 % of the 7 officials who answered the 3-month follow-up report applying" in (
        page.get_data(as_text=True))  # fmt: skip
    book = openpyxl.load_workbook(
        io.BytesIO(admin.get(f"/reports/indicators?{year}&format=xlsx").data)
    )
    row = next(book["Application of skills"].iter_rows(min_row=2, values_only=True))
    # Total 7 (4 applying); the two women are hidden, the five men shown.
    assert row[:4] == ("After 3 months", 7, 4, 57.1)
    assert row[4:8] == ("<5", "<5", 5, 3)
    groups = list(book["Application by group"].iter_rows(min_row=2, values_only=True))
    assert ("After 3 months", "Country", "Kyrgyzstan", 7, 4, 57.1) in groups
    from tests.api.test_api import bearer

    api = admin.get(f"/api/v1/reports/indicators?{year}",
                    headers=bearer(make_user("app.api", roles=[Role.ADMIN])))  # fmt: skip
    assert api.get_json()["application"] == [
        {"wave": "3", "respondents": 7, "applying": 4, "share": 57.1}]  # fmt: skip


def test_the_results_api_and_the_reminders(app, runner, frozen_clock, tmp_path, caplog):
    import json
    import logging

    from tests.api.test_api import bearer
    from tests.certificates.test_certificates import _complete

    enrolments = [_complete(f"api.s{n}", email=f"s{n}@example.org") for n in range(5)]
    attach(tmp_path)
    course_id = enrolments[0].course_id
    for enrolment in enrolments:
        survey = services.open_survey(enrolment, "feedback", today=clock.now().date())
        services.answer(survey, FEEDBACK, submit=True, now=clock.now())
    db.session.commit()
    kg = bearer(make_user("api.s.coord", roles=[Role.COORDINATOR], coordinator_country="KG"))
    tj = bearer(make_user("api.s.tj", roles=[Role.COORDINATOR], coordinator_country="TJ"))
    client = app.test_client()
    body = client.get(f"/api/v1/surveys/results?course={course_id}", headers=kg).get_json()
    assert (body["asked"], body["responses"], body["shown"]) == (5, 5, True)
    relevance = next(q for q in body["questions"] if q["id"] == "relevance")
    assert relevance["counts"]["5"] == 5 and relevance["mean"] == 5.0
    other = client.get(f"/api/v1/surveys/results?course={course_id}", headers=tj).get_json()
    assert other["responses"] == 0 and other["questions"] == [] and other["shown"] is False
    assert client.get(f"/api/v1/surveys/results?course={course_id}&wave=9",
                      headers=kg).status_code == 404  # fmt: skip
    assert client.get("/api/v1/surveys/results?course=424242", headers=kg).status_code == 404
    # Three months on, the follow-ups are due: one reminder each, once, where mail is set up.
    frozen_clock.advance(days=92)
    dry = json.loads(runner.invoke(args=["lms", "surveys", "remind", "--json"]).stdout)
    assert dry == {"due": 5, "sent": 0, "mail_configured": False, "dry_run": False}
    app.config["MAIL_SERVER"] = "mail.invalid"
    from lms import mail

    sent_to = []
    original = mail.send
    mail.send = lambda config, **message: sent_to.append(message["to"])
    try:
        result = json.loads(runner.invoke(args=["lms", "surveys", "remind", "--json"]).stdout)
        again = json.loads(runner.invoke(args=["lms", "surveys", "remind", "--json"]).stdout)
    finally:
        mail.send = original
        app.config["MAIL_SERVER"] = ""
    assert result["sent"] == 5 and sorted(sent_to) == [f"s{n}@example.org" for n in range(5)]
    assert again["due"] == 0 and again["sent"] == 0
    assert logging.getLogger("lms.mail") is not None


def test_feedback_offered_before_the_certificate_comes_first_but_can_be_skipped(
    app, frozen_clock, tmp_path
):
    from lms.certificates import services as certificates
    from tests.certificates.test_certificates import _complete

    enrolment = _complete("before.cert")
    certificate = certificates.issue(enrolment, now=clock.now())
    attach(tmp_path, offered="before_certificate")
    db.session.commit()
    client = _learner_client(app, enrolment)
    home = client.get("/").get_data(as_text=True)
    assert "Give your feedback, then get the certificate" in home
    assert f"/certificates/{certificate.serial}" in home  # never withheld: it can be skipped
    client.post(f"/surveys/{enrolment.id}/feedback", data=FEEDBACK)
    home = client.get("/").get_data(as_text=True)
    assert "Give your feedback, then get the certificate" not in home
    assert "Certificate (PDF)" in home


def test_the_staff_pages_take_the_same_queries_whatever_the_size(
    app, frozen_clock, tmp_path, count_queries
):
    from tests.certificates.test_certificates import _complete

    first = [_complete(f"size.a{n}") for n in range(2)]
    attach(tmp_path)
    admin_user = make_user("size.admin", roles=[Role.ADMIN])
    course_id = first[0].course_id
    pages = ("/surveys/due", f"/surveys/results?course={course_id}&wave=3")

    def measure():
        frozen_clock.advance(days=95)
        admin = app.test_client()
        sign_in(admin, admin_user)
        for page in pages:
            admin.get(page)
        with count_queries() as log:
            for page in pages:
                assert admin.get(page).status_code == 200
        listed = admin.get("/surveys/due").get_data(as_text=True)
        frozen_clock.advance(days=-95)
        return log.count, listed

    small, _page = measure()
    for n in range(6):
        _complete(f"size.b{n}")
    db.session.commit()
    large, page = measure()
    assert small == large
    assert page.count("Enter answers") == 8
