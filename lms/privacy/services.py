"""The learners' data rights and the retention of records.

- **Export**: everything the system holds about one person, as one JSON document (a
  fixed number of queries).
- **Erasure**: the person's identity goes. Names, username, e-mail, password, second
  factor, sessions, tokens, frozen certificate PDFs and their own free-text answers are
  removed. The facts the programme's figures are made of (sex, country, agency type, test
  scores, completions, attendance) stay with an anonymous record, so totals do not change.
  Certificates stay verifiable, naming the holder as withheld.
- **Retention**: records of each kind older than their configured number of days are
  deleted by a scheduled clean-up.

Every export and erasure is audited by the caller (views and CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import (
    Agency,
    ApiToken,
    ImportBatch,
    LoginThrottle,
    RecoveryCode,
    RoleGrant,
    Unit,
    User,
    UserSession,
)
from lms.assessments.models import Attempt
from lms.audit import AuditEvent, AuditSeal
from lms.certificates.models import Certificate, CertificateBundle, CertificatePdf
from lms.courses.models import Course
from lms.enrolments.models import Cohort, Enrolment, LessonProgress
from lms.evaluation.definitions import from_dict
from lms.evaluation.models import SurveyResponse, SurveyVersion
from lms.extensions import db
from lms.mentoring.models import ActionPoint, MentoringSession, SessionAttendee

FORMAT = "protect-lms-personal-data/1"

#: Every column that points at a person, and what the data rights do with it (a test
#: fails on a column missing here: a new table must say how it is exported and erased).
#: "export": the person's own record, in :func:`export` (erasure keeps it anonymous or
#: removes it, as :func:`erase` says); "credential": a secret of theirs, never exported,
#: deleted on erasure; "staff": who did something to others' records (kept for
#: accountability; the person's name goes with the erasure of their user row);
#: "identity": the user row's own link.
PERSON_COLUMNS: dict[tuple[str, str], str] = {
    ("user", "merged_into_id"): "identity",
    ("role_grant", "user_id"): "export",
    ("enrolment", "user_id"): "export",
    ("attempt", "user_id"): "export",
    ("certificate", "user_id"): "export",
    ("mentoring_attendee", "user_id"): "export",
    ("action_point", "owner_id"): "export",
    ("survey_response", "user_id"): "export",
    ("user_session", "user_id"): "export",
    ("audit_event", "actor_id"): "export",
    ("api_token", "user_id"): "credential",
    ("recovery_code", "user_id"): "credential",
    ("unit_assignment", "user_id"): "staff",
    ("cohort_trainer", "user_id"): "staff",
    ("mentor_assignment", "mentor_id"): "staff",
    ("mentoring_session_mentor", "user_id"): "staff",
    ("attempt", "entered_by_id"): "staff",
    ("attempt_item", "marked_by_id"): "staff",
    ("survey_response", "entered_by_id"): "staff",
    ("attendance", "recorded_by_id"): "staff",
    ("certificate", "issued_by_id"): "staff",
    ("certificate", "revoked_by_id"): "staff",
    ("certificate_bundle", "requested_by_id"): "staff",
    ("role_grant", "granted_by_id"): "staff",
    ("role_grant", "revoked_by_id"): "staff",
    ("mentor_assignment", "assigned_by_id"): "staff",
    ("mentoring_session", "created_by_id"): "staff",
    ("mentoring_session_revision", "edited_by_id"): "staff",
    ("action_update", "author_id"): "staff",
    ("application_confirmation", "confirmed_by_id"): "staff",
    ("unit_assessment", "assessed_by_id"): "staff",
    ("unit_result", "reported_by_id"): "staff",
    ("indicator_target", "updated_by_id"): "staff",
    ("bank_upload", "created_by_id"): "staff",
    ("question_bank", "created_by_id"): "staff",
    ("question_version", "created_by_id"): "staff",
    ("cohort", "created_by_id"): "staff",
    ("import_batch", "created_by_id"): "staff",
}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export(person: User, *, now: datetime) -> dict[str, Any]:
    """Everything held about ``person`` (ten queries, whatever they did)."""
    agency = db.session.get(Agency, person.agency_id) if person.agency_id else None
    unit = db.session.get(Unit, person.unit_id) if person.unit_id else None
    enrolments = db.session.execute(
        sa.select(Enrolment, Course.slug, Cohort.name)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.user_id == person.id)
        .order_by(Enrolment.id)
    ).all()
    lessons = dict(
        db.session.execute(
            sa.select(LessonProgress.enrolment_id, sa.func.count())
            .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
            .where(Enrolment.user_id == person.id)
            .group_by(LessonProgress.enrolment_id)
        ).all()
    )
    attempts = db.session.scalars(
        sa.select(Attempt).where(Attempt.user_id == person.id).order_by(Attempt.id)
    ).all()
    certificates = db.session.scalars(
        sa.select(Certificate).where(Certificate.user_id == person.id).order_by(Certificate.id)
    ).all()
    attended = db.session.execute(
        sa.select(MentoringSession.held_on, Unit.name, MentoringSession.topics)
        .join(SessionAttendee, SessionAttendee.session_id == MentoringSession.id)
        .join(Unit, Unit.id == MentoringSession.unit_id)
        .where(SessionAttendee.user_id == person.id)
        .order_by(MentoringSession.held_on)
    ).all()
    actions = db.session.scalars(
        sa.select(ActionPoint).where(ActionPoint.owner_id == person.id).order_by(ActionPoint.id)
    ).all()
    surveys = db.session.execute(
        sa.select(SurveyResponse, SurveyVersion.definition)
        .join(SurveyVersion, SurveyVersion.id == SurveyResponse.version_id)
        .where(SurveyResponse.user_id == person.id)
        .order_by(SurveyResponse.id)
    ).all()
    sessions = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == person.id).order_by(UserSession.id)
    ).all()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_id == person.id).order_by(AuditEvent.id)
    ).all()
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(timespec="seconds"),
        "person": {
            "username": person.username, "full_name": person.full_name,
            "full_name_latin": person.full_name_latin, "sex": person.sex.value,
            "position": person.position, "email": person.email,
            "country": person.country_code, "agency": agency.name if agency else None,
            "unit": unit.name if unit else None, "language": person.locale,
            "share_scores_in_credentials": person.share_scores,
            "created_at": _iso(person.created_at),
            "second_factor": person.totp_enabled_at is not None,
            "roles": [{"role": g.role.value, "since": _iso(g.granted_at)} for g in person.grants],
        },
        "enrolments": [
            {"course": slug, "cohort": cohort, "status": e.status.value,
             "enrolled_at": _iso(e.enrolled_at), "pre_test_done_at": _iso(e.pre_test_done_at),
             "lessons_read": lessons.get(e.id, 0), "lessons_done_at": _iso(e.lessons_done_at),
             "post_test_passed_at": _iso(e.post_test_passed_at),
             "completed_at": _iso(e.completed_at)}
            for e, slug, cohort in enrolments
        ],
        "attempts": [
            {"test": a.test_key, "number": a.number, "language": a.language,
             "source": a.source.value, "status": a.status.value,
             "started_at": _iso(a.started_at), "submitted_at": _iso(a.submitted_at),
             "score": a.score, "passed": a.passed}
            for a in attempts
        ],
        "certificates": [
            {"serial": c.serial, "course": c.course_title, "completed_on": _iso(c.completed_on),
             "issued_at": _iso(c.issued_at), "status": c.status.value,
             "pre_score": c.pre_score, "post_score": c.post_score}
            for c in certificates
        ],
        "mentoring_sessions_attended": [
            {"held_on": _iso(held_on), "unit": unit_name, "topics": topics}
            for held_on, unit_name, topics in attended
        ],
        "action_points_owned": [
            {"text": a.text, "due_on": _iso(a.due_on), "status": a.status.value}
            for a in actions
        ],
        "survey_responses": [
            {"survey": from_dict(definition).key, "wave": r.wave, "answers": r.answers,
             "source": r.source.value, "submitted_at": _iso(r.submitted_at)}
            for r, definition in surveys
        ],
        "sessions": [
            {"started_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
             "address": s.ip, "ended": s.revoked_at is not None}
            for s in sessions
        ],
        "actions_recorded": [
            {"action": e.action, "at": _iso(e.at), "address": e.ip} for e in events
        ],
    }  # fmt: skip


def erase(person: User, *, now: datetime) -> dict[str, int]:
    """Remove ``person``'s identity and what only identifies them; keep the facts the
    figures are made of, under an anonymous record. Returns what was removed."""
    removed: dict[str, int] = {}

    def delete(model: Any, *where: Any) -> None:
        count = db.session.execute(sa.delete(model).where(*where)).rowcount or 0
        removed[model.__tablename__] = count

    certificate_ids = sa.select(Certificate.id).where(Certificate.user_id == person.id)
    delete(CertificatePdf, CertificatePdf.certificate_id.in_(certificate_ids))
    db.session.execute(
        sa.update(Certificate).where(Certificate.user_id == person.id)
        .values(holder_name="", holder_name_latin=None)
    )  # fmt: skip
    delete(UserSession, UserSession.user_id == person.id)
    delete(ApiToken, ApiToken.user_id == person.id)
    delete(RecoveryCode, RecoveryCode.user_id == person.id)
    delete(LoginThrottle, LoginThrottle.key == f"user:{person.username.strip().lower()[:140]}")
    # Their own words in named surveys go; their scale and choice answers stay.
    responses = db.session.execute(
        sa.select(SurveyResponse, SurveyVersion.definition)
        .join(SurveyVersion, SurveyVersion.id == SurveyResponse.version_id)
        .where(SurveyResponse.user_id == person.id)
    ).all()
    texts = 0
    for response, definition in responses:
        kinds = {q.id: q.kind for q in from_dict(definition).questions}
        kept = {k: v for k, v in (response.answers or {}).items()
                if kinds.get(k) not in ("short_text", "long_text")}  # fmt: skip
        texts += len(response.answers or {}) - len(kept)
        response.answers = kept
    removed["survey_texts"] = texts
    anonymous = f"erased-{person.id}"
    person.username = anonymous
    person.full_name = f"Erased person {person.id}"
    for column in ("full_name_latin", "given_name", "family_name", "patronymic", "position",
                   "email", "password_hash", "locale", "activation_code_hash",
                   "activation_expires_at", "reset_token_hash", "reset_expires_at",
                   "totp_secret", "totp_enabled_at", "totp_last_step"):  # fmt: skip
        setattr(person, column, None)
    person.name_key = anonymous
    person.share_scores = False
    person.is_active = False
    db.session.execute(
        sa.update(RoleGrant).where(RoleGrant.user_id == person.id, RoleGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )  # fmt: skip
    db.session.flush()
    return removed


#: Record kinds the clean-up knows, with the column that dates them.
RETENTION = {
    "sessions": (UserSession, UserSession.last_seen_at),
    "login_throttles": (LoginThrottle, LoginThrottle.window_started_at),
    "import_batches": (ImportBatch, ImportBatch.created_at),
    "certificate_bundles": (CertificateBundle, CertificateBundle.created_at),
    "audit_events": (AuditEvent, AuditEvent.at),
}


def cleanup(days: Mapping[str, int | None], *, now: datetime) -> dict[str, int]:
    """Delete the records of each kind older than its number of ``days`` (None or 0:
    kept for ever). Returns how many of each were deleted."""
    unknown = set(days) - set(RETENTION)
    if unknown:
        raise ValueError(f"unknown record kinds: {', '.join(sorted(unknown))}")
    deleted: dict[str, int] = {}
    for kind, (model, column) in RETENTION.items():
        limit = days.get(kind)
        if not limit:
            continue
        cutoff = now - timedelta(days=int(limit))
        deleted[kind] = db.session.execute(sa.delete(model).where(column < cutoff)).rowcount or 0
        if model is AuditEvent:  # their links go with them (the chain starts after them)
            db.session.execute(sa.delete(AuditSeal).where(AuditSeal.event_at < cutoff))
    db.session.flush()
    return deleted
