"""API of the reports: a cohort's knowledge gain and a bank's item analysis, scoped like
their pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import abort, current_app
from flask_babel import get_locale
from flask_login import current_user
from flask_smorest import Blueprint

from lms import audit, clock, permissions
from lms.accounts.models import Role
from lms.accounts.organisations import country_name
from lms.api import schemas
from lms.assessments.models import QuestionBank
from lms.enrolments import cohorts
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import roles_required
from lms.reports import dashboard, filters, indicators, knowledge, suppression, targets

blp = Blueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1",
    description="Knowledge gain of cohorts, item analysis of question banks, the "
    "coordinators' dashboard and the donor's indicators.",
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


# --- Coordinators' dashboard and the donor's indicators -------------------------------------


def _audit_read(action: str, **details: Any) -> None:
    audit.record(action, actor=current_user, now=clock.now(), object_type="reports", **details)
    db.session.commit()


@blp.route("/reports/dashboard")
@blp.arguments(schemas.DashboardArgsSchema, location="query")
@blp.response(200, schemas.DashboardSchema)
@blp.alt_response(400, description="The period ends before it starts or spans over ten years.")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def dashboard_figures(args: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's figures for a period, country, agency type, sex, course and cohort,
    within the caller's countries (as on /reports/dashboard). A malformed filter is 400
    with a message per argument in ``details``; a country, course or cohort that is
    unknown or not the caller's is 404. Each call is audited."""
    try:
        resolved = filters.resolve(args, current_user, clock.now().date())
    except filters.OutOfScope:
        abort(404)
    if resolved.problems:
        raise DomainError(
            "Some filters are not valid.",
            details={name: str(message) for name, message in resolved.problems.items()},
        )
    threshold = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    result = dashboard.dashboard(resolved.filters, threshold=threshold)
    f = resolved.filters
    gain = result.gain

    def group(g: dashboard.GainGroup) -> dict[str, Any]:
        return {"n": g.n, "mean_pre": g.mean_pre, "mean_post": g.mean_post,
                "mean_gain": g.mean_gain, "improved": g.improved, "gained": g.gained}  # fmt: skip

    _audit_read("reports.dashboard_api", **resolved.args())
    return {
        "filters": {
            "start": f.start, "end": f.end,
            "countries": sorted(f.countries) if f.countries is not None else None,
            "agency_type": f.agency_type.value if f.agency_type else None,
            "sex": f.sex.value if f.sex else None,
            "course_id": f.course_id, "cohort_id": f.cohort_id,
        },
        "threshold": result.threshold,
        "totals": result.totals,
        "funnel": [asdict(row) for row in result.funnel],
        "gain": {
            "overall": group(gain.overall),
            "by_sex": {k: group(v) for k, v in gain.by_sex.items()},
            "by_country": {k: group(v) for k, v in gain.by_country.items()},
            "by_agency": {k: group(v) for k, v in gain.by_agency.items()},
            "pre_bands": gain.pre_bands, "post_bands": gain.post_bands,
        },
        "mentoring": asdict(result.mentoring),
        "certificates": asdict(result.certificates),
    }  # fmt: skip


def _breakdown(part: indicators.Breakdown, publish: bool) -> dict[str, Any]:
    if not publish:
        return asdict(part)
    out: dict[str, Any] = {"total": suppression.hide(part.total)}
    for name in ("by_sex", "by_country", "by_agency"):
        cells: dict[str, int] = getattr(part, name)
        keys = sorted(cells)
        _total, shown = suppression.suppress_row(part.total, [cells[k] for k in keys])
        out[name] = dict(zip(keys, shown, strict=True))
    return out


@blp.route("/reports/indicators")
@blp.arguments(schemas.IndicatorArgsSchema, location="query")
@blp.response(200, schemas.IndicatorReportSchema)
@blp.alt_response(400, description="The period ends before it starts or spans over ten years.")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def indicator_figures(args: dict[str, Any]) -> dict[str, Any]:
    """The donor's indicators for a period (default: this year) for the caller's
    countries: persons (not participations) by sex, country and agency type, mentoring,
    unit results and the targets that apply. ``publish=true`` hides groups of fewer
    than 5 persons as "<5" (with secondary suppression). Each call is audited."""
    start, end, problem = filters.period(args, clock.now().date())
    if problem:
        raise DomainError(problem, details={"start": problem})
    countries = permissions.coordinated_countries(current_user)
    threshold = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    result = indicators.report(start, end, countries=countries, threshold=threshold)
    publish = bool(args.get("publish"))
    goals = targets.applicable(targets.for_year(start.year), countries) if (
        start.year == end.year) else {}  # fmt: skip
    figures = targets.actuals(result)
    _audit_read("reports.indicators_api", start=start.isoformat(), end=end.isoformat(),
                publish=publish)  # fmt: skip
    return {
        "start": start, "end": end,
        "countries": sorted(countries) if countries is not None else None,
        "threshold": threshold, "published": publish,
        "participations": (suppression.hide(result.participations) if publish
                           else result.participations),
        **{name: _breakdown(getattr(result, name), publish)
           for name in ("trained", "certified", "tested", "improved", "gained")},
        "improved_percent": result.share(result.improved),
        "gained_percent": result.share(result.gained),
        "mentoring": asdict(result.mentoring),
        "unit_results": result.unit_results,
        "targets": [{"indicator": key.value, "target": goal, "actual": figures[key]}
                    for key, goal in goals.items()],
        "application": [
            {"wave": w.wave, "respondents": w.respondents.total, "applying": w.applying.total,
             "share": w.share}
            if w.respondents.total >= suppression.SMALL_GROUP else
            {"wave": w.wave, "respondents": suppression.HIDDEN, "applying": suppression.HIDDEN,
             "share": None}
            for w in result.application
        ],
    }  # fmt: skip
