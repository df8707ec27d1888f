"""The mentoring pages: logging a session through the form (open actions first, the
personal-data guard, follow-ups), who sees what, the audit of every view, and fixed
numbers of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.audit import AuditEvent
from lms.extensions import db
from lms.mentoring import services
from lms.mentoring.models import ActionPoint, ActionStatus, MentoringSession, SessionStatus
from tests.factories import make_user, sign_in


def _form(world, **changes):
    data = {
        "held_on": (world.today - timedelta(days=1)).isoformat(),
        "duration_minutes": "120",
        "format": "on_the_job",
        "location": "Bishkek",
        "mentor_ids": [str(world.mentor.id)],
        "attendee_ids": [str(m.id) for m in world.members[:2]],
        "others-0-count": "1", "others-0-sex": "female", "others-0-agency_type": "prosecution",
        "topics": ["financial-investigation"],
        "case_refs": "KG-2026-014",
        "observations": "Transfers were mapped with the financial intelligence unit.",
        "actions-0-text": "Agree a contact point at the FIU",
        "actions-0-owner_id": str(world.members[0].id),
        "actions-0-due_on": (world.today + timedelta(days=20)).isoformat(),
        "actions-1-text": "Add a money question to the case-opening form",
        "actions-1-owner_id": str(world.members[1].id),
        "actions-1-due_on": (world.today + timedelta(days=40)).isoformat(),
        "attest": "y",
        "submit": "Submit session",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_mentor_logs_a_session_with_two_action_points(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    page = client.get(f"/mentoring/units/{world.unit.id}/sessions/new")
    assert page.status_code == 200
    assert "Never write a victim" in page.get_data(as_text=True)
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new", data=_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    session = db.session.scalar(sa.select(MentoringSession))
    assert session.status is SessionStatus.SUBMITTED and session.case_refs == ["KG-2026-014"]
    assert len(session.actions) == 2 and session.others_total == 1
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Agree a contact point at the FIU" in shown and "Member 1" in shown


def test_submitting_needs_the_attestation_and_keeps_what_was_typed(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new",
                           data=_form(world, attest=""))  # fmt: skip
    assert response.status_code == 422
    assert "identifies no victim" in response.get_data(as_text=True)
    assert "Agree a contact point at the FIU" in response.get_data(as_text=True)


def test_the_guard_stops_a_passport_number_and_marks_it(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    typed = "The girl's passport AB1234567 was kept by the employer."
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new",
                           data=_form(world, observations=typed))  # fmt: skip
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r"<mark[^>]*>AB1234567</mark>", text)
    assert "a passport or document number" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 0
    # Removing it saves the session.
    clean = "The employer kept the workers' passports."
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new",
                           data=_form(world, observations=clean))  # fmt: skip
    assert response.status_code == 302


def test_bad_input_gets_messages_next_to_the_fields(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    cases = {
        "held_on": ((world.today + timedelta(days=3)).isoformat(), "cannot be in the future"),
        "duration_minutes": ("-20", "between 1 and"),
        "actions-0-owner_id": (str(world.outsider.id), "must be a member of the unit"),
        "attendee_ids": ([str(world.outsider.id)], None),  # not a choice: refused by the form
        "held_on ": ("31.02.2026", None),
    }
    for name, (value, message) in cases.items():
        response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new",
                               data=_form(world, **{name.strip(): value}))  # fmt: skip
        assert response.status_code == 422, name
        if message:
            assert message in response.get_data(as_text=True), name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 0


def test_the_next_session_shows_open_actions_first_and_closes_one(app, world):
    first = world.log()
    client = app.test_client()
    sign_in(client, world.mentor)
    page = client.get(f"/mentoring/units/{world.unit.id}/sessions/new").get_data(as_text=True)
    assert page.index("Open action points of the unit") < page.index("The session")
    action = first.actions[0]
    data = _form(world, **{f"follow-{action.id}-status": "done",
                           f"follow-{action.id}-note": "Contact point named."})  # fmt: skip
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert action.status is ActionStatus.DONE
    assert action.updates[0].note == "Contact point named."


def test_a_draft_is_saved_and_seen_only_by_its_mentors(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    draft = _form(world, submit="", save_draft="Save draft", attest="")
    response = client.post(f"/mentoring/units/{world.unit.id}/sessions/new", data=draft)
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    draft = db.session.scalar(sa.select(MentoringSession))
    assert draft.status is SessionStatus.DRAFT
    coordinator = app.test_client()
    sign_in(coordinator, make_user("kg.coord", roles=[Role.COORDINATOR], coordinator_country="KG"))
    assert coordinator.get(f"/mentoring/sessions/{draft.id}").status_code == 404
    assert client.get(f"/mentoring/sessions/{draft.id}").status_code == 200


def test_scope_other_units_countries_and_roles_are_refused(app, world):
    session = world.log()
    action = session.actions[0]
    urls = [f"/mentoring/units/{world.unit.id}", f"/mentoring/sessions/{session.id}",
            f"/mentoring/actions/{action.id}"]  # fmt: skip
    kg = make_user("kg.coordinator", roles=[Role.COORDINATOR], coordinator_country="KG")
    tj = make_user("tj.coordinator", roles=[Role.COORDINATOR], coordinator_country="TJ")
    other_mentor = make_user("other.mentor", roles=[Role.MENTOR], country_code="KG")
    services.assign_mentor(other_mentor, world.other_unit, starts_on=world.today, ends_on=None,
                           by=None, now=clock.now())  # fmt: skip
    expected = {kg: 200, tj: 404, other_mentor: 404, world.members[0]: 403}
    for person, status in expected.items():
        client = app.test_client()
        sign_in(client, person)
        for url in urls:
            assert client.get(url).status_code == status, (person.username, url)
    # The other mentor's list and tracker do not show this unit's records.
    client = app.test_client()
    sign_in(client, other_mentor)
    assert "Share" not in client.get("/mentoring/actions").get_data(as_text=True)
    assert world.unit.name not in client.get("/mentoring/").get_data(as_text=True)
    # A coordinator sees but does not log sessions or update actions.
    client = app.test_client()
    sign_in(client, kg)
    assert client.get(f"/mentoring/units/{world.unit.id}/sessions/new").status_code == 403
    assert client.post(f"/mentoring/actions/{action.id}",
                       data={"status": "done", "note": "x"}).status_code == 403  # fmt: skip


def test_every_view_of_mentoring_records_is_audited(app, world):
    session = world.log()
    client = app.test_client()
    sign_in(client, make_user("kg.audit", roles=[Role.COORDINATOR], coordinator_country="KG"))
    client.get(f"/mentoring/units/{world.unit.id}")
    client.get(f"/mentoring/sessions/{session.id}")
    client.get("/mentoring/actions")
    client.get(f"/mentoring/actions/{session.actions[0].id}")
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("mentoring.%_view"))
    ).all()
    assert sorted(actions) == ["mentoring.action_view", "mentoring.actions_view",
                               "mentoring.session_view", "mentoring.unit_view"]  # fmt: skip


def test_an_action_is_followed_up_on_its_page(app, world):
    action = world.log().actions[0]
    client = app.test_client()
    sign_in(client, world.mentor)
    response = client.post(f"/mentoring/actions/{action.id}",
                           data={"status": "done", "note": "Named on Monday."})  # fmt: skip
    assert response.status_code == 302
    refused = client.post(f"/mentoring/actions/{action.id}",
                          data={"status": "done", "note": "call +92 300 1234567"})  # fmt: skip
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(ActionPoint, action.id).status is ActionStatus.DONE


def test_unit_and_session_pages_take_the_same_queries_whatever_the_size(app, world, count_queries):
    client = app.test_client()
    sign_in(client, world.mentor)
    first = world.log()
    world.log(attendee_ids=[m.id for m in world.members])
    make_user("unit.extra", country_code="KG", unit_id=world.unit.id)

    def measure() -> tuple[int, int, int]:
        db.session.expire_all()
        counts = []
        for url in (f"/mentoring/units/{world.unit.id}", f"/mentoring/sessions/{first.id}",
                    "/mentoring/", "/mentoring/actions"):  # fmt: skip
            with count_queries() as log:
                assert client.get(url).status_code == 200
            counts.append(log.count)
        return tuple(counts)

    small = measure()
    for n in range(6):
        make_user(f"unit.extra{n}", country_code="KG", unit_id=world.unit.id)
    for _n in range(5):
        world.log(attendee_ids=[m.id for m in world.members])
    assert measure() == small


def test_the_form_autosaves_a_draft_and_never_saves_personal_data(app, world):
    client = app.test_client()
    sign_in(client, world.mentor)
    url = f"/mentoring/units/{world.unit.id}/sessions/autosave"
    data = _form(world, submit="", attest="", session_id="")
    first = client.post(url, data=data)
    assert first.status_code == 200, first.get_data(as_text=True)
    draft_id = first.json["session_id"]
    assert first.json["edit_url"] == f"/mentoring/sessions/{draft_id}/edit"
    again = client.post(url, data={**data, "session_id": str(draft_id), "location": "Osh"})
    assert again.json["session_id"] == draft_id
    draft = db.session.get(MentoringSession, draft_id)
    assert draft.status is SessionStatus.DRAFT and draft.location == "Osh"
    flagged = client.post(url, data={**data, "session_id": str(draft_id),
                                     "observations": "Mail her at a@b.org"})  # fmt: skip
    assert flagged.status_code == 422 and flagged.json["error"]["code"] == "personal_data"
    db.session.expire_all()
    assert "a@b.org" not in (db.session.get(MentoringSession, draft_id).observations or "")
    # A submitted session is not autosaved; another mentor's unit is out of reach.
    submitted = world.log()
    assert submitted.status is SessionStatus.SUBMITTED
    db.session.commit()
    answer = client.post(url, data={**data, "session_id": str(submitted.id)})
    assert answer.status_code == 409, (submitted.id, draft_id, answer.json)
    other = make_user("auto.other", roles=[Role.MENTOR], country_code="KG")
    services.assign_mentor(other, world.other_unit, starts_on=world.today, ends_on=None,
                           by=None, now=clock.now())  # fmt: skip
    stranger = app.test_client()
    sign_in(stranger, other)
    assert stranger.post(url, data=data).status_code == 404


def test_an_edited_session_shows_its_earlier_version(app, world):
    session = world.log()
    services.save_session(session, world.data(observations="Corrected text."), unit=world.unit,
                          by=world.mentor, now=clock.now(), submit=True)  # fmt: skip
    db.session.commit()
    client = app.test_client()
    sign_in(client, world.mentor)
    page = client.get(f"/mentoring/sessions/{session.id}").get_data(as_text=True)
    assert "Corrected text." in page and f"/mentoring/sessions/{session.id}/versions/1" in page
    old = client.get(f"/mentoring/sessions/{session.id}/versions/1").get_data(as_text=True)
    assert "two</strong> case files" in old and "Member 0" in old
    assert client.get(f"/mentoring/sessions/{session.id}/versions/2").status_code == 404
