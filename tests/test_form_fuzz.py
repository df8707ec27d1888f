"""Generated form input on every page that accepts a POST, as an administrator and as a
learner with an attempt open: a form error, a refusal or a redirect, never a server error
(checklist item 3 of issue 20; ASVS 16.5.3)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.extensions import db
from tests.factories import sign_in
from tests.test_permissions import _world

#: Field names the app's forms use, and some they do not.
FIELDS = [
    "csrf_token", "username", "password", "confirm", "current", "new", "code", "email",
    "full_name", "full_name_latin", "given_name", "family_name", "sex", "position", "locale",
    "country", "country_code", "agency", "agency_id", "unit", "unit_id", "role", "name",
    "type", "course", "course_id", "cohort_id", "mode", "starts_on", "ends_on", "trainers",
    "held_on", "duration_minutes", "format", "topics", "attendees", "mentors", "notes",
    "actions-0-text", "actions-0-owner", "actions-0-due_on", "override", "reason", "q1", "q2",
    "q3", "mark", "note", "answers", "wave", "rating", "comment", "year", "value", "target",
    "indicator", "status", "reason_text", "file", "share_scores", "purpose", "merge_into",
    "expires", "slug", "dry_run", "confirm_token", "batch", "submit", "next", "page",
]  # fmt: skip
NASTY = [
    "", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "2026-02-30", "31.12.2026",
    "<script>alert(1)</script>", "'; DROP TABLE user; --", "{{7*7}}", "../../etc/passwd",
    "\u202e\u0661\u0662", "Ёё ئې ۰۱۲", "a" * 5000, "true", "on", "KG", "XX", "admin",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
FORMS = st.dictionaries(st.sampled_from(FIELDS), st.one_of(VALUES, st.lists(VALUES, max_size=3)),
                        max_size=8)  # fmt: skip


@pytest.mark.parametrize("who", ["admin", "learner"])
def test_generated_forms_never_cause_a_server_error(app, frozen_clock, who):
    args, users = _world()
    user = users["admin"] if who == "admin" else db.session.get(
        type(users["admin"]), args["user_id"])  # fmt: skip
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    routes = []
    for rule in app.url_map.iter_rules():
        unsafe = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if rule.endpoint == "static" or rule.rule.startswith("/api/") or not unsafe:
            continue
        if rule.endpoint in ("accounts.logout", "accounts.end_other_sessions"):
            continue  # would end the very session the test drives
        url = rule.build({name: args[name] for name in rule.arguments})[1]
        routes.append((sorted(unsafe)[0], url))
    assert len(routes) > 40

    for method, url in routes:
        _fuzz(client, method, url)
    # Still signed in: every route above was reached as that person, not as a visitor.
    assert client.get("/account").status_code == 200


def _fuzz(client, method: str, url: str) -> None:
    @given(form=FORMS)
    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def post(form):
        response = client.open(url, method=method, data=form)
        assert response.status_code < 500, (url, form, response.status_code)

    post()
