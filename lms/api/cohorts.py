"""API of cohorts: list and read them with their participants' progress; coordinators
enrol people into a cohort (or a course) by username."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from lms import clock, permissions
from lms.accounts.models import Role, User
from lms.api import schemas
from lms.api.learning import attempt_summary
from lms.assessments.models import Attempt
from lms.courses.models import Course
from lms.enrolments import cohorts as service
from lms.enrolments import services as learning
from lms.enrolments.models import Cohort, Enrolment, EnrolmentStatus
from lms.errors import Invalid
from lms.extensions import db
from lms.pagination import paginate
from lms.permissions import authorize, roles_required

blp = Blueprint(
    "api_cohorts",
    __name__,
    url_prefix="/api/v1",
    description="Cohorts (training events), their participants and enrolments.",
)
STAFF = (Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _cohort_out(cohort: Cohort, count: int) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "name": cohort.name,
        "course": cohort.course.slug,
        "country": cohort.country_code,
        "location": cohort.location,
        "mode": cohort.mode.value,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "class_days": [d.isoformat() for d in cohort.days()],
        "regional": cohort.regional,
        "trainers": [t.user_id for t in cohort.trainers],
        "participants": count,
    }


def _load(cohort_id: int) -> Cohort:
    cohort = service.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    return cohort


@blp.route("/cohorts")
@blp.arguments(schemas.PageArgsSchema, location="query")
@blp.response(200, schemas.CohortPageSchema)
@roles_required(*STAFF)
def cohorts(args: dict[str, Any]) -> dict[str, Any]:
    """Cohorts the caller may see: trainers theirs, coordinators their countries' and
    regional events, admins all; newest first."""
    page = paginate(
        sa.select(Cohort)
        .where(permissions.visible_cohorts(current_user))
        .options(selectinload(Cohort.course), selectinload(Cohort.trainers))
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc()),
        args["page"],
        args["per_page"],
    )
    ids = [c.id for c in page.items]
    counts = dict(
        db.session.execute(
            sa.select(Enrolment.cohort_id, sa.func.count())
            .where(Enrolment.cohort_id.in_(ids), Enrolment.status != EnrolmentStatus.WITHDRAWN)
            .group_by(Enrolment.cohort_id)
        ).all()
    )
    return {
        "items": [_cohort_out(c, counts.get(c.id, 0)) for c in page.items],
        "page": page.number,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@blp.route("/cohorts/<int:cohort_id>")
@blp.response(200, schemas.CohortDetailSchema)
@roles_required(*STAFF)
def cohort(cohort_id: int) -> dict[str, Any]:
    """A cohort with each participant's progress, gates and days present (a coordinator
    looking at another country's regional event gets their own countries' participants)."""
    found = _load(cohort_id)
    everyone = permissions.sees_every_participant(current_user, found)
    people = service.participants(
        found, None if everyone else permissions.visible_users(current_user)
    )
    done = learning.lesson_progress_counts([e.id for e in people])
    total = learning.lesson_counts([found.course_id]).get(found.course_id, 0)
    present = service.days_present(found) if found.in_person else {}
    return {
        **_cohort_out(found, len(people)),
        "members": [
            {
                "enrolment_id": e.id,
                "user_id": e.user_id,
                "username": e.user.username,
                "country": e.user.country_code,
                "status": e.status.value,
                "enrolled_at": e.enrolled_at,
                "completed_at": e.completed_at,
                "lessons_done": done.get(e.id, 0),
                "lessons_total": total,
                "days_present": present.get(e.id, 0) if found.in_person else None,
                "gates": learning.gates(e, found.course),
            }
            for e in people
        ],
    }


def _people(usernames: list[str]) -> list[User]:
    """The people named, or Invalid listing each name the caller may not enrol (one query)."""
    wanted = {name.casefold(): name for name in usernames}
    found = {
        u.username.casefold(): u
        for u in db.session.scalars(
            sa.select(User).where(sa.func.lower(User.username).in_(sorted(wanted)))
        )
    }
    problems: dict[str, str] = {}
    for key, name in wanted.items():
        person = found.get(key)
        if person is None or not permissions.can_enrol_person(current_user, person):
            problems[name] = gettext("You cannot enrol anyone with this username.")
        elif not person.is_active:
            problems[name] = gettext("This account is not active.")
    if problems:
        raise Invalid(
            gettext("Nobody was enrolled: some usernames cannot be enrolled."),
            details={"usernames": problems},
        )
    return [found[key] for key in wanted]


@blp.route("/cohorts/<int:cohort_id>/enrolments", methods=["POST"])
@roles_required(*MANAGERS)  # before the body is read: strangers learn nothing from errors
@blp.arguments(schemas.EnrolPeopleSchema)
@blp.response(200, schemas.EnrolResultSchema)
def enrol_in_cohort(body: dict[str, Any], cohort_id: int) -> dict[str, Any]:
    """Enrol people of the caller's countries into the cohort's course with the cohort.
    All or nothing: if any username cannot be enrolled, nobody is."""
    found = _load(cohort_id)
    authorize(permissions.can_enrol_into(current_user, found))
    people = _people(body["usernames"])
    result = service.enrol_people(found, people, by=current_user, now=clock.now())
    db.session.commit()
    return result.summary()


@blp.route("/courses/<slug>/enrolments", methods=["POST"])
@roles_required(*MANAGERS)  # before the body is read: strangers learn nothing from errors
@blp.arguments(schemas.EnrolPeopleSchema)
@blp.response(200, schemas.EnrolResultSchema)
def enrol_in_course(body: dict[str, Any], slug: str) -> dict[str, Any]:
    """Enrol people of the caller's countries into a course, without a cohort."""
    course = db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.retired_at.is_(None))
    )
    if course is None:
        abort(404)
    people = _people(body["usernames"])
    result = service.enrol_people_in_course(course, people, by=current_user, now=clock.now())
    db.session.commit()
    return result.summary()


@blp.route("/cohorts/<int:cohort_id>/attempts")
@blp.response(200, schemas.AttemptSummarySchema(many=True))
@roles_required(*STAFF)
def cohort_attempts(cohort_id: int) -> list[dict[str, Any]]:
    """The test attempts of the cohort's participants (summaries: no answers), scoped like
    the participants: a coordinator at another country's regional event sees their own."""
    found = _load(cohort_id)
    query = (
        sa.select(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(User, User.id == Attempt.user_id)
        .where(Enrolment.cohort_id == found.id)
        .order_by(Attempt.user_id, Attempt.test_key, Attempt.number)
    )
    query = query.where(permissions.participant_scope(current_user, found))
    return [attempt_summary(a, found.course.slug) for a in db.session.scalars(query)]
