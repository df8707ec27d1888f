"""API of the evaluation surveys: a course's results, aggregated and scoped like the page
(coordinators: the officers of their countries; admins: all). Under five respondents only
the counts are given, never the answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from lms import audit, clock, permissions
from lms.accounts.models import Role
from lms.api import schemas
from lms.enrolments.models import Cohort
from lms.evaluation import services
from lms.evaluation.models import CourseSurvey, SurveyKind
from lms.extensions import db
from lms.permissions import roles_required

blp = Blueprint(
    "api_surveys",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Results of the end-of-course feedback and follow-up surveys.",
)


@blp.route("/results")
@roles_required(Role.COORDINATOR, Role.ADMIN)  # before the arguments: strangers learn nothing
@blp.arguments(schemas.SurveyResultsArgsSchema, location="query")
@blp.response(200, schemas.SurveyResultsSchema)
def results(args: dict[str, Any]) -> dict[str, Any]:
    """A course's survey results for one wave ("feedback", or the follow-up's months):
    how many were asked and answered and, from five respondents, each question's counts
    (Likert points 1–5 or option ids), mean and open answers. A course without such a
    survey, or a cohort the caller may not see, is 404. Each call is audited."""
    course_id, wave = args["course"], args.get("wave", services.FEEDBACK)
    kind = SurveyKind.FEEDBACK if wave == services.FEEDBACK else SurveyKind.FOLLOW_UP
    course_survey = db.session.scalar(
        sa.select(CourseSurvey).where(CourseSurvey.course_id == course_id,
                                      CourseSurvey.kind == kind)
    )  # fmt: skip
    if course_survey is None:
        abort(404)
    if kind is SurveyKind.FOLLOW_UP and int(wave) not in course_survey.months:
        abort(404)
    cohort_id = args.get("cohort")
    if cohort_id is not None and db.session.scalar(
        sa.select(Cohort.id).where(Cohort.id == cohort_id, Cohort.course_id == course_id,
                                   permissions.visible_cohorts(current_user))
    ) is None:  # fmt: skip
        abort(404)
    result = services.results(course_id, wave, countries=permissions.coordinated_countries(
        current_user), cohort_id=cohort_id, today=clock.now().date())  # fmt: skip
    audit.record("surveys.results_api", actor=current_user, now=clock.now(),
                 object_type="course", object_id=str(course_id), wave=wave)  # fmt: skip
    db.session.commit()
    return {
        "course_id": course_id,
        "wave": wave,
        "anonymous": result.anonymous,
        "asked": result.invited,
        "responses": result.responses,
        "response_rate": result.rate,
        "shown": result.shown,
        "questions": [
            {"id": item.question.id, "kind": item.question.kind, "answered": item.answered,
             "counts": {str(k): v for k, v in item.counts.items()}, "mean": item.mean,
             "texts": item.texts}
            for item in result.questions
        ] if result.shown else [],
    }  # fmt: skip
