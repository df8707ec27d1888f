"""Every route declares who may use it, and the declaration holds for every role.

The matrix is generated from Flask's URL map: a new route is covered the moment it is
added (and the app refuses to start if it declares no audience at all).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint

from lms import clock, create_app
from lms.accounts import tokens
from lms.accounts.models import ImportBatch, Role
from lms.assessments import attempts
from lms.assessments.models import BankUpload, QuestionBank
from lms.assessments.services import import_bank, read_bank_file
from lms.certificates.models import (
    BundleStatus,
    Certificate,
    CertificateBundle,
    CertificatePdf,
)
from lms.certificates.serials import new_serial
from lms.enrolments.models import Cohort, CohortMode, CohortTrainer, Enrolment
from lms.extensions import db
from lms.mentoring import services as mentoring
from lms.mentoring.models import SessionFormat
from lms.permissions import PUBLIC, SIGNED_IN, access_of, may_access, roles_required
from tests.conftest import base_config
from tests.factories import make_agency, make_course, make_unit, make_user, sign_in

#: Audiences: anonymous, one user per role, and a coordinator of another country.
#: The objects requested belong to Kyrgyzstan (KG); the other coordinator has Kazakhstan.
AUDIENCES = ["anonymous", "learner", "trainer", "mentor", "coordinator", "coordinator_kz", "admin"]

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404


def _expect(default, **overrides):
    return {audience: overrides.get(audience, default) for audience in AUDIENCES}


EVERYONE = _expect(OK)
SIGNED_IN_ONLY = _expect(OK, anonymous=LOGIN)
MANAGERS = _expect(OK, anonymous=LOGIN, learner=FORBIDDEN, trainer=FORBIDDEN, mentor=FORBIDDEN)
MANAGERS_OF_KG = {**MANAGERS, "coordinator_kz": NOT_FOUND}
ADMINS = _expect(FORBIDDEN, anonymous=LOGIN, admin=OK)
STAFF = _expect(OK, anonymous=LOGIN, learner=FORBIDDEN, mentor=FORBIDDEN)
#: A KG cohort: its trainer, KG coordinators and admins.
STAFF_OF_KG_COHORT = {**STAFF, "coordinator_kz": NOT_FOUND}
#: A KG learner's record: themselves (not in this table), KG coordinators and admins.
PERSON_RECORD = _expect(NOT_FOUND, anonymous=LOGIN, coordinator=OK, admin=OK)

MENTORING = _expect(OK, anonymous=LOGIN, learner=FORBIDDEN, trainer=FORBIDDEN)
MENTORING_OF_KG = {**MENTORING, "coordinator_kz": NOT_FOUND}
MENTORS_ONLY = _expect(FORBIDDEN, anonymous=LOGIN, mentor=OK)

#: Every route, and what each audience must get. A route missing here fails the test.
EXPECTED: dict[str, dict[str, object]] = {
    "main.index": EVERYONE,
    "main.healthz": EVERYONE,
    # Posted without a language: a clear 400 for everyone (tests/test_i18n.py switches).
    "main.set_language": _expect(400),
    "accounts.login": EVERYONE,
    "accounts.logout": SIGNED_IN_ONLY,
    "accounts.login_code": EVERYONE,
    "accounts.setup_2fa": EVERYONE,
    "accounts.activate": EVERYONE,
    "accounts.forgot_password": EVERYONE,
    "accounts.reset_password": EVERYONE,
    "accounts.account": SIGNED_IN_ONLY,
    "accounts.create_token": SIGNED_IN_ONLY,
    "accounts.revoke_token": {
        **SIGNED_IN_ONLY,
        "admin": NOT_FOUND,
        "learner": NOT_FOUND,
        "trainer": NOT_FOUND,
        "mentor": NOT_FOUND,
        "coordinator": NOT_FOUND,
        "coordinator_kz": NOT_FOUND,
    },  # someone else's token
    "accounts.recovery_codes": SIGNED_IN_ONLY,
    "accounts.change_password": SIGNED_IN_ONLY,
    "accounts.certificate_scores": SIGNED_IN_ONLY,
    "accounts.end_other_sessions": SIGNED_IN_ONLY,
    "accounts.issue_activation": MANAGERS_OF_KG,
    "accounts.activation_slips": MANAGERS,
    "accounts.reset_person_2fa": MANAGERS_OF_KG,
    "accounts.sign_out_person": MANAGERS_OF_KG,
    "accounts.import_people": MANAGERS,
    # The learner's pages: every signed-in person; course pages 404 for a missing slug.
    "learning.catalogue": SIGNED_IN_ONLY,
    "learning.course": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "learning.enrol": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "learning.lesson": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "learning.complete": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "assessments.banks": MANAGERS,
    "assessments.bank": MANAGERS,
    "assessments.export": MANAGERS,
    "assessments.upload": MANAGERS,
    # An upload is seen by the one who made it (here the admin) and no one else.
    "assessments.preview": {**MANAGERS, "coordinator": NOT_FOUND, "coordinator_kz": NOT_FOUND},
    "assessments.confirm": {**MANAGERS, "coordinator": NOT_FOUND, "coordinator_kz": NOT_FOUND},
    # A batch is seen by the one who uploaded it (here the admin) and no one else.
    "accounts.import_preview": {**MANAGERS, "coordinator": NOT_FOUND, "coordinator_kz": NOT_FOUND},
    "accounts.import_confirm": {**MANAGERS, "coordinator": NOT_FOUND, "coordinator_kz": NOT_FOUND},
    "accounts.people": MANAGERS,
    "accounts.new_person": MANAGERS,
    "accounts.person": PERSON_RECORD,
    "accounts.edit_person": MANAGERS_OF_KG,
    "accounts.transfer_person": MANAGERS_OF_KG,
    "accounts.deactivate_person": MANAGERS_OF_KG,
    "accounts.activate_person": MANAGERS_OF_KG,
    "accounts.grant_role": ADMINS,
    "accounts.revoke_grant": ADMINS,
    "accounts.merge_person": ADMINS,
    "accounts.organisations": MANAGERS,
    "accounts.country": MANAGERS_OF_KG,
    "accounts.new_agency": ADMINS,
    "accounts.edit_agency": ADMINS,
    "accounts.new_unit": ADMINS,
    "accounts.edit_unit": ADMINS,
    "accounts.audit_log": ADMINS,
    # Cohorts: staff only; a KG cohort is seen by its trainer, KG coordinators and admins.
    "cohorts.cohorts": STAFF,
    "cohorts.new_cohort": MANAGERS,
    "cohorts.cohort": STAFF_OF_KG_COHORT,
    "reports.cohort_results": STAFF_OF_KG_COHORT,
    "reports.bank_analysis": MANAGERS,
    # A KG learner's certificate: its holder (not an audience here), KG staff over them.
    "certificates.pdf": PERSON_RECORD,
    "certificates.credential": PERSON_RECORD,
    "certificates.jwks": EVERYONE,
    "certificates.record": MANAGERS_OF_KG,
    "certificates.issue_for_cohort": MANAGERS_OF_KG,
    "certificates.request_bundle": MANAGERS_OF_KG,
    "certificates.bundle": MANAGERS_OF_KG,
    "certificates.bundle_zip": MANAGERS_OF_KG,
    "certificates.verify_form": EVERYONE,
    "certificates.verify": EVERYONE,
    "certificates.verify_json": EVERYONE,
    "cohorts.edit_cohort": MANAGERS_OF_KG,
    "cohorts.enrol": MANAGERS_OF_KG,
    "cohorts.withdraw": MANAGERS_OF_KG,
    "cohorts.attendance": STAFF_OF_KG_COHORT,
    # Tests: an attempt is its learner's only (kg.target's here): 404 for everyone else.
    "tests.start": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "tests.attempt": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "tests.save": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "tests.submit": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "tests.result": {**SIGNED_IN_ONLY, **dict.fromkeys(AUDIENCES[1:], NOT_FOUND)},
    "tests.marking": STAFF_OF_KG_COHORT,
    "tests.paper": STAFF_OF_KG_COHORT,
    "tests.entry": STAFF_OF_KG_COHORT,
    "tests.sheet": STAFF_OF_KG_COHORT,
    # Mentoring: the KG unit's assigned mentor, KG coordinators and admins; never learners
    # or trainers; another country's coordinator does not see the unit.
    # Every coordinator sees the indicators of their own countries (others count nothing).
    "reports.indicator_report": MANAGERS,
    "reports.dashboard_page": MANAGERS,
    "reports.targets_page": MANAGERS,
    "mentoring.units": MENTORING,
    "mentoring.actions": MENTORING,
    "mentoring.unit": MENTORING_OF_KG,
    "mentoring.session": MENTORING_OF_KG,
    # The session has one version only: no earlier one to show.
    "mentoring.session_version": {
        **MENTORING_OF_KG,
        "mentor": NOT_FOUND,
        "coordinator": NOT_FOUND,
        "admin": NOT_FOUND,
    },
    "mentoring.action": MENTORING_OF_KG,
    "mentoring.new_session": MENTORS_ONLY,
    "mentoring.edit_session": MENTORS_ONLY,
    "mentoring.delete_session": MENTORS_ONLY,
    # Posted without a form: 422 for the unit's mentor (nothing saved), others refused.
    "mentoring.autosave": MENTORS_ONLY,
    "mentoring.capacity": MENTORING_OF_KG,
    "mentoring.results": MENTORING_OF_KG,
    "mentoring.monthly": MENTORING,
    "mentoring.assignments": {**MANAGERS_OF_KG},
    "mentoring.end_assignment": {**MANAGERS_OF_KG},
    # Surveys: a learner answers their own (the KG learner's enrolment is nobody else's);
    # staff who follow the learner up reach the survey, which opens on completion (409).
    "surveys.answer": _expect(NOT_FOUND, anonymous=LOGIN),
    "surveys.due": MENTORING,
    "surveys.entry": MENTORING_OF_KG,
    "surveys.confirm": MENTORING_OF_KG,
    "surveys.results": MANAGERS,
    "privacy.my_data": SIGNED_IN_ONLY,
    "privacy.person_data": MANAGERS_OF_KG,
}


def _world():
    """Objects in Kyrgyzstan to request, and one user per audience."""
    agency = make_agency("KG", "МВД")
    unit = make_unit(agency, "Отдел")
    person = make_user("kg.target", country_code="KG", agency_id=agency.id, unit_id=unit.id)
    users = {}
    for audience in AUDIENCES[1:]:
        role = Role.COORDINATOR if audience.startswith("coordinator") else Role(audience)
        country = "KZ" if audience == "coordinator_kz" else "KG"
        users[audience] = make_user(
            f"matrix.{audience}".replace("_", "-"),
            roles=[role],
            country_code=country,
            coordinator_country=country,
        )
    course = make_course("matrix-course")
    cohort = Cohort(
        course_id=course.id,
        name="Osh, March",
        country_code="KG",
        mode=CohortMode.FACE_TO_FACE,
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 4),
        trainers=[CohortTrainer(user_id=users["trainer"].id)],
    )
    db.session.add(cohort)
    db.session.flush()
    enrolment = Enrolment(user_id=person.id, course_id=course.id, cohort_id=cohort.id)
    db.session.add(enrolment)
    token, _secret = tokens.create_token(person, name="someone else's", now=clock.now())
    batch = ImportBatch(
        created_by_id=users["admin"].id,
        filename="cohort.csv",
        content="username,firstname,lastname,country\nkg.new,Нурлан,Асанов,KG\n".encode(),
    )
    db.session.add(batch)
    bank_upload = BankUpload(
        created_by_id=users["admin"].id,
        filename="bank.gift",
        format="gift",
        bank_name="matrix bank",
        content=b"::Q1:: Two plus two is four {T}\n",
    )
    db.session.add(bank_upload)
    db.session.flush()
    bank = import_bank(
        read_bank_file(b"::Q1::Is it? {T}\n", "gift"), bank_name="existing", now=clock.now()
    )
    bank_id = db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.name == bank.bank))
    course.tests = {
        "pre": {
            "bank": "existing",
            "forms": [],
            "items": None,
            "time_limit": None,
            "attempts": 1,
            "pass_mark": 70.0,
            "reveal": "score",
        }
    }
    attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    # A certificate of the KG learner, as if issued on completing another course.
    done = Enrolment(user_id=person.id, course_id=make_course("matrix-done").id,
                     completed_at=clock.now())  # fmt: skip
    db.session.add(done)
    db.session.flush()
    certificate = Certificate(
        serial=new_serial(), enrolment_id=done.id, user_id=person.id, course_id=done.course_id,
        course_version="1", country_code="KG", holder_name="Нурлан Асанов",
        course_title="Done", language="en", template="completion-en",
        completed_on=clock.now().date(), issuers=["UNODC"], credential="not.a.jwt",
    )  # fmt: skip
    db.session.add(certificate)
    db.session.flush()
    db.session.add(CertificatePdf(certificate_id=certificate.id, content=b"%PDF-1.7", sha256="0"))
    bundle = CertificateBundle(cohort_id=cohort.id, status=BundleStatus.DONE, content=b"PK")
    db.session.add(bundle)
    db.session.flush()
    # The KG unit's mentoring: its mentor, a submitted session with one action point.
    today = clock.now().date()
    assignment = mentoring.assign_mentor(
        users["mentor"], unit, starts_on=today - timedelta(days=30), ends_on=None, by=None,
        now=clock.now(),
    )  # fmt: skip
    session = mentoring.save_session(
        None,
        mentoring.SessionInput(
            held_on=today, duration_minutes=60, format=SessionFormat.WORKSHOP,
            mentor_ids=[users["mentor"].id], attendee_ids=[person.id], topics=["definitions"],
            actions=[mentoring.ActionInput("Share the checklist", person.id, today)],
        ),
        unit=unit, by=users["mentor"], now=clock.now(), submit=True,
    )  # fmt: skip
    args = {
        "session_id": session.id,
        "action_id": session.actions[0].id,
        "assignment_id": assignment.id,
        "version": 1,
        "serial": certificate.serial,
        "bundle_id": bundle.id,
        "user_id": person.id,
        "grant_id": person.grants[0].id,
        "agency_id": agency.id,
        "unit_id": unit.id,
        "code": "KG",
        "token": "not-a-real-token",
        "batch_id": batch.id,
        "token_id": token.id,
        "bank_id": bank_id,
        "upload_id": bank_upload.id,
        "slug": "no-course-synced-here",
        "lesson_id": 1,
        "cohort_id": cohort.id,
        "enrolment_id": enrolment.id,
        "attempt_id": attempt.id,
        "key": "pre",
        "wave": "feedback",
    }
    return args, users


def _routes(app, *, api: bool = False):
    """The page routes (or, with ``api``, the JSON API's, which tests/api/ covers)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/") != api:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method


def test_every_route_declares_its_audience(app):
    for rule, _method in _routes(app):
        assert access_of(app.view_functions[rule.endpoint]) is not None, rule.rule


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert endpoints == set(EXPECTED), {
        "missing from EXPECTED": sorted(endpoints - set(EXPECTED)),
        "no longer routes": sorted(set(EXPECTED) - endpoints),
    }


def test_app_refuses_to_start_with_an_undeclared_route(database_url, monkeypatch):
    import lms

    bp = Blueprint("careless", __name__)
    bp.add_url_rule("/careless", "careless", lambda: "oops")
    original = lms.register_blueprints

    def register_with_careless(app):
        original(app)
        app.register_blueprint(bp)

    monkeypatch.setattr(lms, "register_blueprints", register_with_careless)
    with pytest.raises(RuntimeError, match=r"careless\.careless"):
        create_app(base_config(database_url))


def test_roles_required_needs_a_role():
    with pytest.raises(ValueError, match="at least one role"):
        roles_required()


def _outcome(response) -> object:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login?next="):
        return LOGIN
    if response.status_code in (400, 403, 404):
        return response.status_code
    # 409: allowed in, but the object's state refuses the request (a survey not open yet).
    assert response.status_code in (200, 302, 409, 422), response.status_code
    return OK


@pytest.mark.parametrize("audience", AUDIENCES)
def test_route_matrix(app, frozen_clock, audience):
    """Each route answers each audience as EXPECTED says (a fresh session per route)."""
    args, users = _world()
    user = users.get(audience)
    for rule, method in _routes(app):
        client = app.test_client()
        if user is not None:
            sign_in(client, user)
        url = rule.build({name: args[name] for name in rule.arguments})[1]
        got = _outcome(client.open(url, method=method))
        assert got == EXPECTED[rule.endpoint][audience], (audience, method, url, got)
        # The declaration agrees with the table: those it lets in are never sent away.
        if EXPECTED[rule.endpoint][audience] == OK:
            view = app.view_functions[rule.endpoint]
            assert may_access(user, view) if user else access_of(view) == PUBLIC


def test_a_person_sees_their_own_record_and_no_one_elses(app, client, login):
    me = make_user("me.myself", country_code="KG")
    other = make_user("someone.else", country_code="KG")
    login(me)
    assert client.get(f"/people/{me.id}").status_code == 200
    assert client.get(f"/people/{other.id}").status_code == 404
    assert client.get("/people/").status_code == 403


def test_role_restricted_views_refuse_other_roles(app_factory):
    """roles_required: anonymous → sign-in, wrong role → 403, right role → the page."""
    bp = Blueprint("restricted", __name__)

    @bp.route("/coordinators-only")
    @roles_required(Role.COORDINATOR, Role.ADMIN)
    def coordinators_only():
        return "report"

    app = app_factory()
    app.register_blueprint(bp)
    assert access_of(app.view_functions["restricted.coordinators_only"]) == frozenset(
        {Role.COORDINATOR, Role.ADMIN}
    )
    client = app.test_client()
    assert client.get("/coordinators-only").headers["Location"].startswith("/login?next=")
    for role, expected in [(Role.LEARNER, 403), (Role.MENTOR, 403), (Role.COORDINATOR, 200)]:
        person = make_user(f"restricted.{role.value}", roles=[role])
        sign_in(client, person)
        assert client.get("/coordinators-only").status_code == expected, role
        client.post("/logout")


def test_declarations_are_visible_to_templates_and_tests(app):
    assert access_of(app.view_functions["main.index"]) == PUBLIC
    assert access_of(app.view_functions["accounts.logout"]) == SIGNED_IN
