"""Home page and health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from lms.accounts.models import ROLE_LABELS
from lms.main.health import check_database, check_redis
from lms.permissions import public

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@public
def index() -> ResponseReturnValue:
    """The landing page for visitors; the dashboard for signed-in users."""
    if current_user.is_authenticated:
        courses = _my_courses()
        return render_template(
            "main/dashboard.html",
            role_labels=ROLE_LABELS,
            courses=courses,
            cohorts=_my_cohorts(),
            certificates=_my_certificates(courses),
            surveys=(surveys := _my_surveys()),
            feedback_first={
                row["invitation"].enrolment_id: row["invitation"]
                for row in surveys
                if row["invitation"].before_certificate
            },
        )
    return render_template("main/landing.html")


def _my_surveys() -> list[dict[str, object]]:
    """The surveys the signed-in person is asked to answer now (two queries)."""
    from lms import clock
    from lms.courses.models import Course
    from lms.evaluation import services as evaluation
    from lms.extensions import db
    from lms.i18n import pick_text

    invitations = evaluation.invitations_for(current_user, clock.now().date())
    if not invitations:
        return []
    ids = sorted({i.course_id for i in invitations})
    courses = {c.id: c for c in db.session.scalars(db.select(Course).where(Course.id.in_(ids)))}
    locale = get_locale()
    return [
        {
            "invitation": i,
            "label": evaluation.wave_label(i.wave),
            "course": pick_text(courses[i.course_id].texts, courses[i.course_id].languages,
                                locale)["title"],
        }
        for i in invitations
    ]  # fmt: skip


def _my_courses() -> list[dict[str, object]]:
    """The signed-in person's courses with progress and the next step (four queries)."""
    from lms.courses.models import Course
    from lms.enrolments import services as learning
    from lms.extensions import db
    from lms.i18n import pick_text

    mine = learning.active_enrolments(current_user)
    if not mine:
        return []
    courses = {c.id: c for c in db.session.scalars(db.select(Course).where(Course.id.in_(mine)))}
    lessons: dict[int, list[int]] = {}
    for lesson, module in learning.live_lessons(list(courses)):
        lessons.setdefault(module.course_id, []).append(lesson.id)
    done = learning.completed_lessons([e.id for e in mine.values()])
    rows = []
    for course_id, enrolment in mine.items():
        course = courses[course_id]
        ids = lessons.get(course_id, [])
        finished = done.get(enrolment.id, set())
        rows.append(
            {
                "course": course,
                "title": pick_text(course.texts, course.languages, get_locale())["title"],
                "enrolment": enrolment,
                "done": len([i for i in ids if i in finished]),
                "total": len(ids),
                "next": next((i for i in ids if i not in finished), None),
                "unlocked": learning.lessons_unlocked(enrolment, course),
            }
        )
    rows.sort(key=lambda row: (row["enrolment"].completed_at is not None, row["title"]))
    return rows


def _my_certificates(courses: list[dict[str, Any]]) -> dict[int, object]:
    """The certificates of the completed courses, by enrolment (one query, none when no
    course is completed)."""
    from lms.certificates.models import Certificate
    from lms.extensions import db

    completed = [row["enrolment"].id for row in courses if row["enrolment"].completed_at]
    if not completed:
        return {}
    found = db.session.scalars(
        db.select(Certificate).where(Certificate.enrolment_id.in_(completed))
    )
    return {c.enrolment_id: c for c in found}


def _my_cohorts() -> list[dict[str, object]]:
    """The cohorts the signed-in trainer teaches that are on or ended within two weeks, with
    whether today is one of their class days (one query)."""
    from datetime import timedelta

    import sqlalchemy as sa

    from lms import clock
    from lms.accounts.models import Role
    from lms.enrolments.models import Cohort, CohortTrainer
    from lms.extensions import db

    if not current_user.has_role(Role.TRAINER):
        return []
    today = clock.now().date()
    found = db.session.scalars(
        sa.select(Cohort)
        .join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id)
        .where(CohortTrainer.user_id == current_user.id, Cohort.ends_on >= today - timedelta(14))
        .order_by(Cohort.starts_on)
        .limit(20)
    ).all()
    return [{"cohort": c, "class_today": today in c.days()} for c in found]


@bp.route("/language", methods=["POST"])
@public
def set_language() -> ResponseReturnValue:
    """Remember the chosen interface language (a cookie; the profile too when signed in)."""
    from flask import abort, redirect, request, url_for

    from lms.extensions import db
    from lms.urls import safe_next

    code = request.form.get("code", "")
    offered = {language.code for language in current_app.extensions["lms.languages"]}
    if code not in offered:
        abort(400)
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.index"))
    response.set_cookie(
        "lang",
        code,
        max_age=365 * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Report whether the database (and Redis, when configured) answer.

    Without the database nothing works: 503, and a load balancer takes this host out.
    Without Redis the app still serves (limits count in memory, jobs run at once): 200
    with ``"status": "degraded"``, for monitoring to alert on, not to stop traffic.
    """
    database = check_database()
    checks = [database]
    if current_app.config["REDIS_URL"]:
        checks.append(check_redis(current_app.config["REDIS_URL"]))
    if not database.ok:
        status = "unavailable"
    elif all(c.ok for c in checks):
        status = "ok"
    else:
        status = "degraded"
    body = {"status": status, "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    return jsonify(body), 503 if status == "unavailable" else 200
