"""Who may do what: the only place that decides access.

Every view declares its audience with one of the decorators below (:func:`public`,
:func:`signed_in`, :func:`roles_required`); ``create_app`` refuses to start when a route
has no declaration, so no page is ever reachable by accident. Object-level checks
(``can_*(user, obj)``) and scoped query filters live here too: lists, counts and exports
apply the filters in SQL, so nothing is ever filtered in Python after loading.

Scopes: an admin sees everything; a coordinator sees the people and organisations of the
countries of their grants (a grant without a country covers all); everyone else sees
themselves. An object outside the viewer's scope is answered with 404, not 403, so its
existence is not revealed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort
from flask_login import current_user

from lms import clock
from lms.accounts.models import Agency, Role, RoleGrant, Unit, User
from lms.certificates.models import Certificate
from lms.enrolments.models import Cohort, CohortTrainer
from lms.extensions import login_manager
from lms.mentoring.models import MentorAssignment, MentoringSession, SessionStatus, session_mentor

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute set on a view function by the access decorators; read by route checks and tests.
ACCESS_ATTR = "lms_access"
PUBLIC = "public"
SIGNED_IN = "signed-in"


def public(view: F) -> F:
    """Anyone, signed in or not, may use this route."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def signed_in(view: F) -> F:
    """Any signed-in user may use this route; others are sent to sign in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, SIGNED_IN)
    return wrapper  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only signed-in users holding one of ``roles`` may use this route; others get 403."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(roles))
        return wrapper  # type: ignore[return-value]

    return decorator


def access_of(view: Callable[..., Any]) -> str | frozenset[Role] | None:
    """The declared audience of a view function, or None when it declares none."""
    return getattr(view, ACCESS_ATTR, None)


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints whose view declares no audience (Flask's own static route excepted)."""
    return sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if access_of(view) is None and endpoint != "static" and not endpoint.endswith(".static")
    )


def may_access(user: User | Any, view: Callable[..., Any]) -> bool:
    """Would ``user`` (a User or the anonymous user) pass the view's declaration?"""
    access = access_of(view)
    if access == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if access == SIGNED_IN:
        return True
    if isinstance(access, frozenset):
        return user.has_role(*access)
    return False


def authorize(allowed: bool) -> None:
    """Stop the request with 403 unless ``allowed`` (the result of a ``can_*`` policy)."""
    if not allowed:
        abort(403)


# --- Who someone is -----------------------------------------------------------------------


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.ADMIN)


def coordinated_countries(user: Any) -> frozenset[str] | None:
    """Countries ``user`` may oversee: None means all; an empty set means none."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.has_role(Role.ADMIN):
        return None
    return user.coordinated_countries


def _covers(countries: frozenset[str] | None, code: str | None) -> bool:
    return countries is None or (code is not None and code in countries)


# --- Scoped query filters (applied in SQL) -------------------------------------------------


def visible_users(user: Any) -> sa.ColumnElement[bool]:
    """The people ``user`` may list: theirs to oversee, or just themselves."""
    countries = coordinated_countries(user)
    if countries is None:
        return sa.true()
    own = User.id == user.id if getattr(user, "is_authenticated", False) else sa.false()
    if not countries:
        return own
    return sa.or_(User.country_code.in_(sorted(countries)), own)


def visible_agencies(user: Any) -> sa.ColumnElement[bool]:
    countries = coordinated_countries(user)
    if countries is None:
        return sa.true()
    return Agency.country_code.in_(sorted(countries)) if countries else sa.false()


def visible_countries(user: Any) -> frozenset[str] | None:
    """Country codes whose organisations ``user`` may see (None: all)."""
    return coordinated_countries(user)


# --- Single-object rules -------------------------------------------------------------------


def can_manage_organisations(user: Any) -> bool:
    """Create and edit agencies and units: administrators only."""
    return is_admin(user)


def can_view_organisations(user: Any) -> bool:
    countries = coordinated_countries(user)
    return countries is None or bool(countries)


def can_view_country(user: Any, code: str) -> bool:
    return _covers(coordinated_countries(user), code) and can_view_organisations(user)


def can_view_agency(user: Any, agency: Agency) -> bool:
    return can_view_country(user, agency.country_code)


def can_view_unit(user: Any, unit: Unit) -> bool:
    return can_view_agency(user, unit.agency)


def can_list_users(user: Any) -> bool:
    countries = coordinated_countries(user)
    return countries is None or bool(countries)


def can_view_user(viewer: Any, person: User) -> bool:
    """Admins, coordinators of the person's country, and the person."""
    if not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.id == person.id:
        return True
    countries = coordinated_countries(viewer)
    return countries is None or (bool(countries) and _covers(countries, person.country_code))


def can_edit_user(editor: Any, person: User) -> bool:
    """Admins edit everyone; coordinators edit the learners of their countries."""
    if is_admin(editor):
        return True
    countries = coordinated_countries(editor)
    if not countries and countries is not None:
        return False
    return (
        _covers(countries, person.country_code)
        and person.roles <= {Role.LEARNER}
        and person.id != editor.id
    )


def can_create_users(user: Any) -> bool:
    return can_list_users(user)


def can_place_in_country(user: Any, code: str | None) -> bool:
    """May ``user`` put a person in country ``code`` (None: no country)?"""
    countries = coordinated_countries(user)
    if countries is None:
        return True
    return code is not None and code in countries


def can_manage_grants(user: Any) -> bool:
    """Granting and revoking roles: administrators only (coordinators create learners)."""
    return is_admin(user)


def can_revoke_grant(user: Any, grant: RoleGrant) -> bool:
    return can_manage_grants(user)


def can_merge_users(user: Any) -> bool:
    return is_admin(user)


def can_view_audit(user: Any) -> bool:
    return is_admin(user)


def can_issue_activation(actor: Any, person: User) -> bool:
    """Activation codes: whoever may edit the person (coordinators: their learners)."""
    return can_edit_user(actor, person)


def can_reset_security(actor: Any, person: User) -> bool:
    """Reset a lost authenticator or sign a person out everywhere: admins, and coordinators
    for anyone of their countries except administrators (never themselves)."""
    if not getattr(actor, "is_authenticated", False) or actor.id == person.id:
        return False
    if is_admin(actor):
        return True
    countries = coordinated_countries(actor)
    if not countries:
        return False
    return _covers(countries, person.country_code) and not person.has_role(Role.ADMIN)


def can_import_users(user: Any) -> bool:
    """Bulk import: coordinators (learners of their countries) and admins."""
    return can_create_users(user)


def can_manage_banks(user: Any) -> bool:
    """Question banks are shared course content: coordinators and admins manage them."""
    return getattr(user, "is_authenticated", False) and user.has_role(Role.COORDINATOR, Role.ADMIN)


# --- Cohorts (training events) -------------------------------------------------------------


def _coordinates(user: Any, code: str | None) -> bool:
    """An admin, or a coordinator whose grants cover country ``code``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.COORDINATOR) and _covers(user.coordinated_countries, code)


def _trains(user: Any, cohort: Cohort) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role(Role.TRAINER)
        and any(t.user_id == user.id for t in cohort.trainers)
    )


def visible_cohorts(user: Any) -> sa.ColumnElement[bool]:
    """Cohorts ``user`` may see: admins all; coordinators those held in their countries and
    regional events open to every country; trainers the cohorts they train."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    if user.has_role(Role.ADMIN):
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = []
    if user.has_role(Role.COORDINATOR):
        countries = user.coordinated_countries
        if countries is None:
            return sa.true()
        clauses += [Cohort.country_code.in_(sorted(countries)), Cohort.regional.is_(True)]
    if user.has_role(Role.TRAINER):
        clauses.append(
            Cohort.id.in_(
                sa.select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
            )
        )
    return sa.or_(*clauses) if clauses else sa.false()


def can_create_cohorts(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(Role.COORDINATOR, Role.ADMIN)


def can_manage_cohort(user: Any, cohort: Cohort) -> bool:
    """Edit the event and its trainers: coordinators of the event's country, and admins."""
    return _coordinates(user, cohort.country_code)


def can_view_cohort(user: Any, cohort: Cohort) -> bool:
    if can_manage_cohort(user, cohort) or _trains(user, cohort):
        return True
    return (
        cohort.regional
        and getattr(user, "is_authenticated", False)
        and (user.has_role(Role.COORDINATOR))
    )


def can_take_attendance(user: Any, cohort: Cohort) -> bool:
    """Trainers of the cohort, and those who manage it."""
    return cohort.in_person and (_trains(user, cohort) or can_manage_cohort(user, cohort))


def can_enrol_into(user: Any, cohort: Cohort) -> bool:
    """Enrol people into the cohort: coordinators who can see it (a regional event takes
    officers of every country, each enrolled by a coordinator of their own country)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role(Role.COORDINATOR, Role.ADMIN)
        and can_view_cohort(user, cohort)
    )


def can_enrol_person(actor: Any, person: User) -> bool:
    """Enrol ``person`` in a course: coordinators of the person's country, and admins."""
    return _coordinates(actor, person.country_code)


def sees_every_participant(user: Any, cohort: Cohort) -> bool:
    """Trainers and managers of a cohort see all its participants; a coordinator who sees a
    regional event from another country sees only the participants of their countries."""
    return can_manage_cohort(user, cohort) or _trains(user, cohort)


def participant_scope(user: Any, cohort: Cohort) -> sa.ColumnElement[bool]:
    """The SQL condition on participants (joined with their users) that ``user`` may see in
    ``cohort``: all of them, or at another country's regional event their own officers."""
    return sa.true() if sees_every_participant(user, cohort) else visible_users(user)


def can_mark(user: Any, cohort: Cohort) -> bool:
    """Mark written answers and enter classroom tests: the cohort's trainers and managers."""
    return _trains(user, cohort) or can_manage_cohort(user, cohort)


# --- Certificates --------------------------------------------------------------------------------


def can_view_certificate(user: Any, certificate: Certificate) -> bool:
    """Its holder, coordinators of the holder's country (when issued), and admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    return certificate.user_id == user.id or can_revoke_certificate(user, certificate)


def can_revoke_certificate(user: Any, certificate: Certificate) -> bool:
    """Coordinators of the holder's country (when issued), and admins."""
    return _coordinates(user, certificate.country_code)


# --- Mentoring -------------------------------------------------------------------------------
# Mentors see and log for the units they are assigned to (on the day); coordinators see the
# units of their countries; admins see all. Learners and trainers never see mentoring.


def _today() -> date:
    return clock.now().date()


def _assigned_unit_ids(user: Any, on: date) -> sa.Select[tuple[int]]:
    return sa.select(MentorAssignment.unit_id).where(
        MentorAssignment.mentor_id == user.id,
        MentorAssignment.starts_on <= on,
        sa.or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= on),
    )


def _mentors(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(Role.MENTOR)


def mentored_units(user: Any) -> sa.ColumnElement[bool]:
    """The units whose mentoring ``user`` may see (a condition on Unit)."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    if user.has_role(Role.ADMIN):
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = []
    if user.has_role(Role.COORDINATOR):
        countries = user.coordinated_countries
        if countries is None:
            return sa.true()
        clauses.append(
            Unit.agency_id.in_(
                sa.select(Agency.id).where(Agency.country_code.in_(sorted(countries)))
            )
        )
    if user.has_role(Role.MENTOR):
        clauses.append(Unit.id.in_(_assigned_unit_ids(user, _today())))
    return sa.or_(*clauses) if clauses else sa.false()


def can_use_mentoring(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(
        Role.MENTOR, Role.COORDINATOR, Role.ADMIN
    )


def _assigned(user: Any, unit_id: int) -> bool:
    if not _mentors(user):
        return False
    from lms.extensions import db

    return bool(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                _assigned_unit_ids(user, _today())
                .where(MentorAssignment.unit_id == unit_id)
                .subquery()
            )
        )
    )


def can_view_unit_mentoring(user: Any, unit: Unit) -> bool:
    return _coordinates(user, unit.agency.country_code) or _assigned(user, unit.id)


def can_log_session(user: Any, unit: Unit) -> bool:
    """Log coaching sessions and follow up actions: the unit's assigned mentors."""
    return _assigned(user, unit.id)


def can_assign_mentors(user: Any, unit: Unit) -> bool:
    return _coordinates(user, unit.agency.country_code)


def _writes_session(user: Any, session: MentoringSession) -> bool:
    return getattr(user, "is_authenticated", False) and (
        session.created_by_id == user.id or any(m.id == user.id for m in session.mentors)
    )


def visible_sessions(user: Any) -> sa.ColumnElement[bool]:
    """Sessions ``user`` may see (a condition on MentoringSession): submitted sessions of
    the units they see, and drafts they write."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    own_drafts = sa.or_(
        MentoringSession.created_by_id == user.id,
        MentoringSession.id.in_(
            sa.select(session_mentor.c.session_id).where(session_mentor.c.user_id == user.id)
        ),
    )
    return sa.and_(
        MentoringSession.unit_id.in_(sa.select(Unit.id).where(mentored_units(user))),
        sa.or_(MentoringSession.status == SessionStatus.SUBMITTED, own_drafts),
    )


def can_view_session(user: Any, session: MentoringSession) -> bool:
    if not can_view_unit_mentoring(user, session.unit):
        return False
    return session.status is SessionStatus.SUBMITTED or _writes_session(user, session)


def can_edit_session(user: Any, session: MentoringSession) -> bool:
    """Its mentors (or whoever started it) while assigned to the unit."""
    return _writes_session(user, session) and can_log_session(user, session.unit)


# --- Evaluation ------------------------------------------------------------------------------


def survey_people(user: Any) -> sa.ColumnElement[bool]:
    """The people whose surveys ``user`` follows up (a condition on User): coordinators
    their countries' officers, mentors the members of the units they are assigned to
    today, admins everyone."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    if user.has_role(Role.ADMIN):
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = []
    if user.has_role(Role.COORDINATOR):
        countries = user.coordinated_countries
        if countries is None:
            return sa.true()
        clauses.append(User.country_code.in_(sorted(countries)))
    if user.has_role(Role.MENTOR):
        clauses.append(User.unit_id.in_(_assigned_unit_ids(user, _today())))
    return sa.or_(*clauses) if clauses else sa.false()


def can_follow_up(user: Any, person: User) -> bool:
    """May ``user`` enter ``person``'s survey answers (taken by telephone or on paper) and
    confirm what they observed of the officer's work?"""
    if not getattr(user, "is_authenticated", False) or person.id == user.id:
        return False
    if user.has_role(Role.ADMIN) or _coordinates(user, person.country_code):
        return True
    return _mentors(user) and person.unit_id is not None and _assigned(user, person.unit_id)


def can_view_survey_results(user: Any) -> bool:
    """Survey results (with open comments) are for coordinators, of their countries."""
    return getattr(user, "is_authenticated", False) and user.has_role(Role.COORDINATOR, Role.ADMIN)
