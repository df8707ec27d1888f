"""API of the reports: a cohort's knowledge gain and a bank's item analysis, scoped like
their pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import abort, current_app
from flask_babel import get_locale
from flask_login import current_user
from flask_smorest import Blueprint

from lms import permissions
from lms.accounts.models import Role
from lms.accounts.organisations import country_name
from lms.api import schemas
from lms.assessments.models import QuestionBank
from lms.enrolments import cohorts
from lms.extensions import db
from lms.permissions import roles_required
from lms.reports import knowledge

blp = Blueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1",
    description="Knowledge gain of cohorts and item analysis of question banks.",
)


def _group(row: knowledge.GroupRow) -> dict[str, Any]:
    return {
        "dimension": row.dimension,
        "key": row.key,
        "participants": row.participants,
        "gain": row.gain,
    }


@blp.route("/cohorts/<int:cohort_id>/results")
@blp.arguments(schemas.CohortResultsArgsSchema, location="query")
@blp.response(200, schemas.CohortResultsSchema)
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
def cohort_results(args: dict[str, Any], cohort_id: int) -> dict[str, Any]:
    """The cohort's knowledge gain on matched pre/post pairs: for everyone, by sex,
    country and agency type, per module and learning objective, and per learner. A
    coordinator at another country's regional event gets their own officers only."""
    cohort = cohorts.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    scope = permissions.participant_scope(current_user, cohort)
    default = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    results = knowledge.cohort_results(
        cohort,
        scope,
        threshold=args.get("threshold", default),
        country_label=lambda code: country_name(code, get_locale()) if code else "",
        tag_labels=knowledge.tag_labels(cohort.course),
    )
    return {
        "cohort_id": cohort.id,
        "threshold": results.threshold,
        "pass_mark": results.pass_mark,
        "overall": _group(results.overall),
        "groups": [_group(row) for row in results.groups],
        "tags": [
            {"tag": row.tag, "kind": row.kind, "label": row.label, **asdict(row.gain)}
            for row in results.tags
        ],
        "learners": [
            {
                "enrolment_id": scores.enrolment_id,
                "user_id": scores.user_id,
                "name": scores.name,
                "sex": scores.sex,
                "country": scores.country_code,
                "agency_type": scores.agency_type,
                "pre": scores.pre,
                "post": scores.post,
                "gain": gain.gain,
                "normalised_gain": gain.normalised_gain,
                "passed": scores.passed,
                "completed": scores.completed,
            }
            for scores, gain in results.learners
        ],
    }


def _test(analysis: Any, form: str | None = None, language: str | None = None) -> dict[str, Any]:
    return {
        **{k: v for k, v in asdict(analysis).items() if k != "items"},
        "form": form,
        "language": language,
        "items": [{**asdict(item), "key": str(item.key)} for item in analysis.items],
    }


@blp.route("/banks/<int:bank_id>/analysis")
@blp.response(200, schemas.BankAnalysisSchema)
@roles_required(Role.COORDINATOR, Role.ADMIN)
def bank_analysis(bank_id: int) -> dict[str, Any]:
    """Item analysis of a bank and its translations over the scored attempts of the
    learners the caller oversees: all together, per form and language, and the language
    versions compared (Mantel–Haenszel)."""
    bank = db.session.get(QuestionBank, bank_id) or abort(404)
    analysis = knowledge.bank_analysis(bank, permissions.visible_users(current_user), names={})
    return {
        "bank_id": bank.id,
        "banks": [b.name for b in analysis.banks],
        "overall": _test(analysis.overall),
        "versions": [_test(v.analysis, v.form, v.language) for v in analysis.versions],
        "translations": [
            {
                "language_a": a,
                "language_b": b,
                "items": [
                    {**{k: v for k, v in asdict(d).items() if k != "mh"}, "key": str(d.key)}
                    for d in difs
                ],
            }
            for a, b, difs in analysis.translations
        ],
    }
