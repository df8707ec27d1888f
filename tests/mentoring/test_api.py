"""The mentoring API: a mentor logs a session and follows up an action with a token;
coordinators read within their countries; the personal-data guard answers in JSON."""

from __future__ import annotations

from datetime import timedelta

from lms import clock
from lms.accounts import tokens
from lms.accounts.models import Role
from tests.factories import make_user


def _headers(person) -> dict[str, str]:
    _token, secret = tokens.create_token(person, name="api", now=clock.now())
    return {"Authorization": f"Bearer {secret}"}


def _body(world, **changes):
    body = {
        "unit_id": world.unit.id,
        "held_on": (world.today - timedelta(days=2)).isoformat(),
        "duration_minutes": 60,
        "format": "remote",
        "attendee_ids": [world.members[0].id],
        "others": [{"sex": "male", "agency_type": "border", "count": 2}],
        "topics": ["international-cooperation"],
        "observations": "Drafted a request through the police channel.",
        "actions": [{"text": "Send the request", "owner_id": world.members[0].id,
                     "due_on": (world.today + timedelta(days=7)).isoformat()}],
    }  # fmt: skip
    body.update(changes)
    return body


def test_a_mentor_logs_and_follows_up_through_the_api(app, client, world):
    headers = _headers(world.mentor)
    created = client.post("/api/v1/mentoring/sessions", json=_body(world), headers=headers)
    assert created.status_code == 201, created.json
    session = created.json
    assert session["status"] == "submitted" and session["mentor_ids"] == [world.mentor.id]
    action_id = session["actions"][0]["id"]
    listed = client.get("/api/v1/mentoring/actions", headers=headers).json
    assert [a["id"] for a in listed["items"]] == [action_id]
    done = client.post(f"/api/v1/mentoring/actions/{action_id}/updates",
                       json={"status": "done", "note": "Sent."}, headers=headers)  # fmt: skip
    assert done.status_code == 201 and done.json["status"] == "done"
    got = client.get(f"/api/v1/mentoring/sessions/{session['id']}", headers=headers)
    assert got.json["actions"][0]["status"] == "done"


def test_bad_input_and_personal_data_get_json_errors(app, client, world):
    headers = _headers(world.mentor)
    future = _body(world, held_on=(world.today + timedelta(days=1)).isoformat())
    refused = client.post("/api/v1/mentoring/sessions", json=future, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid"
    outsider = _body(world, attendee_ids=[world.outsider.id])
    assert client.post("/api/v1/mentoring/sessions", json=outsider,
                       headers=headers).status_code == 422  # fmt: skip
    flagged = _body(world, observations="Her phone is +92 300 1234567.")
    refused = client.post("/api/v1/mentoring/sessions", json=flagged, headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "personal_data"
    assert refused.json["error"]["details"]["observations"][0]["kind"] == "phone"
    negative = _body(world, duration_minutes=-5)
    assert client.post("/api/v1/mentoring/sessions", json=negative,
                       headers=headers).status_code == 422  # fmt: skip


def test_scope_holds_in_the_api(app, client, world):
    session = world.log()
    kg = _headers(make_user("api.kg", roles=[Role.COORDINATOR], coordinator_country="KG"))
    tj = _headers(make_user("api.tj", roles=[Role.COORDINATOR], coordinator_country="TJ"))
    assert client.get(f"/api/v1/mentoring/sessions/{session.id}", headers=kg).status_code == 200
    assert client.get(f"/api/v1/mentoring/sessions/{session.id}", headers=tj).status_code == 404
    assert client.get("/api/v1/mentoring/sessions", headers=tj).json["total"] == 0
    assert client.get("/api/v1/mentoring/actions", headers=tj).json["total"] == 0
    other = make_user("api.other.mentor", roles=[Role.MENTOR], country_code="KG")
    theirs = _headers(other)
    assert client.post("/api/v1/mentoring/sessions", json=_body(world),
                       headers=theirs).status_code == 404  # fmt: skip
    learner = _headers(world.members[0])
    assert client.get("/api/v1/mentoring/sessions", headers=learner).status_code == 403
