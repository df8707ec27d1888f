"""Report pages: a cohort's knowledge gain and a bank's item analysis, each exportable as
CSV and XLSX. Read-only; the viewer's scope is applied in SQL."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import audit, clock, permissions
from lms.accounts.models import AGENCY_TYPE_LABELS, SEX_LABELS, AgencyType, Role, Sex
from lms.accounts.organisations import country_name
from lms.assessments.models import QuestionBank
from lms.assessments.services import current_questions
from lms.enrolments import cohorts
from lms.enrolments.models import Cohort
from lms.extensions import db
from lms.i18n import parse_local_date, pick_text
from lms.mentoring.models import RESULT_LABELS
from lms.pagination import Page, page_number
from lms.permissions import roles_required
from lms.reports import charts, exports, indicators, knowledge
from lms.reports.exports import bank_sheets, cohort_sheets
from lms.tables import Sheet, download

bp = Blueprint("reports", __name__, template_folder="templates")

#: Learners listed per page (every one of them counts in the numbers above the list).
LEARNERS_PER_PAGE = 100


def _threshold() -> tuple[float, str | None]:
    """The gain (in points) a learner must reach to count as "gained at least…": from
    ``?threshold=``, else the configured default; a value that is not a number from 1 to
    100 is refused with a message and the default used."""
    default = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    raw = request.args.get("threshold")
    if raw is None or raw == "":
        return default, None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 1 <= value <= 100:
        return default, _("The threshold is a number of points from 1 to 100.")
    return value, None


def _download(name: str, sheets: list[Any], fmt: str) -> Response:
    return download(name, sheets, fmt, request.args.get("table"))


@bp.route("/cohorts/<int:cohort_id>/results")
@roles_required(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)
def cohort_results(cohort_id: int) -> ResponseReturnValue:
    """The cohort's knowledge gain: per learner, for everyone and by sex, country and
    agency type, per module and learning objective (``?format=csv|xlsx`` to download).
    Its trainers and coordinators; a coordinator at another country's regional event sees
    their own officers only. A fixed number of queries whatever the cohort's size."""
    cohort = _cohort(cohort_id)
    threshold, problem = _threshold()
    results = knowledge.cohort_results(
        cohort,
        permissions.participant_scope(current_user, cohort),
        threshold=threshold,
        country_label=lambda code: country_name(code, get_locale()) if code else "—",
        tag_labels=knowledge.tag_labels(cohort.course),
    )
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return _download(f"cohort-{cohort.id}-results", cohort_sheets(results), fmt)
    if fmt is not None:
        abort(404)
    groups = [results.overall, *results.groups]
    number = page_number(request.args.get("page"))
    learners = Page(
        items=results.learners[(number - 1) * LEARNERS_PER_PAGE : number * LEARNERS_PER_PAGE],
        number=number,
        per_page=LEARNERS_PER_PAGE,
        total=len(results.learners),
    )
    return render_template(
        "reports/cohort_results.html",
        learners=learners,
        cohort=cohort,
        title=pick_text(cohort.course.texts, cohort.course.languages, get_locale())["title"],
        results=results,
        problem=problem,
        small_group=knowledge.SMALL_GROUP,
        band_label=exports.band_label,
        dimension_label=exports.dimension_label,
        agency_label=lambda kind: str(AGENCY_TYPE_LABELS[kind]) if kind else "—",
        means_chart=charts.grouped_bars(
            [
                (row.label or _("Everyone"), (row.gain.mean_pre, row.gain.mean_post))
                for row in groups
                if row.gain.n
            ]
        ),
        gains_chart=charts.histogram(results.gains),
        tags_chart=charts.grouped_bars(
            [
                (row.tag.replace("module-", "M"), (row.gain.mean_pre, row.gain.mean_post))
                for row in results.tags
                if row.kind == "module"
            ]
        ),
    ), (422 if problem else 200)


def _cohort(cohort_id: int) -> Cohort:
    cohort = cohorts.get_cohort(cohort_id)
    if cohort is None or not permissions.can_view_cohort(current_user, cohort):
        abort(404)
    return cohort


@bp.route("/questions/banks/<int:bank_id>/analysis")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def bank_analysis(bank_id: int) -> ResponseReturnValue:
    """Item analysis of a bank and its translations over the scored attempts of the
    learners the viewer oversees (``?format=csv|xlsx`` to download)."""
    bank = db.session.get(QuestionBank, bank_id) or abort(404)
    analysis = knowledge.bank_analysis(
        bank, permissions.visible_users(current_user), names=_question_names(bank)
    )
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        name = bank.name.replace("/", "-").replace('"', "")
        return _download(f"{name}-analysis", bank_sheets(analysis), fmt)
    if fmt is not None:
        abort(404)
    return render_template(
        "reports/bank_analysis.html",
        bank=bank,
        analysis=analysis,
        version_rows=[
            (exports.version_label(v.form, v.language), v.analysis) for v in analysis.versions
        ],
        flag_label=exports.flag_label,
    )


def _question_names(bank: QuestionBank) -> dict[str, str]:
    """Each live question key of the bank with its current name (one query)."""
    return {question.key: version.name for question, version in current_questions(bank)}


# --- The donor's indicators ---------------------------------------------------------------


def _period() -> tuple[date, date, str | None]:
    """``?start=&end=`` (any of the programme's date forms), by default this year; a
    malformed or reversed period is refused with a message and the default used."""
    today = clock.now().date()
    default = (date(today.year, 1, 1), date(today.year, 12, 31))
    raw_start, raw_end = request.args.get("start", ""), request.args.get("end", "")
    if not raw_start and not raw_end:
        return *default, None
    start, end = parse_local_date(raw_start), parse_local_date(raw_end)
    if start is None or end is None or end < start or (end - start).days > 3660:
        return *default, _("Give the period as two dates, the first before the second, "
                           "at most ten years apart.")  # fmt: skip
    return start, end, None


def indicator_sheets(result: indicators.IndicatorReport, country_label: Any) -> list[Sheet]:
    """The indicator tables, for the page and its CSV and XLSX."""
    sexes = [s.value for s in Sex]
    rows = [
        (_("Officials trained (completed a course)"), result.trained),
        (_("Officials certified"), result.certified),
        (_("Officials with pre- and post-test"), result.tested),
        (_("Officials who improved their score"), result.improved),
        (_("Officials who gained at least %(n)s points", n=format_decimal(result.threshold)),
         result.gained),
    ]  # fmt: skip
    persons = Sheet(
        _("Persons"),
        [_("Indicator"), _("Total"), *[str(SEX_LABELS[Sex(s)]) for s in sexes]],
        [[label, part.total, *[part.by_sex.get(s, 0) for s in sexes]] for label, part in rows],
        key="persons",
    )
    countries = sorted({c for _label, part in rows for c in part.by_country})
    by_country = Sheet(
        _("By country"),
        [_("Indicator"), *[country_label(c) for c in countries]],
        [[label, *[part.by_country.get(c, 0) for c in countries]] for label, part in rows],
        key="countries",
    )
    agencies = [a.value for a in AgencyType] + [indicators.NO_AGENCY]
    agency_names = {a.value: str(label) for a, label in AGENCY_TYPE_LABELS.items()}
    agency_names[indicators.NO_AGENCY] = _("No agency")
    by_agency = Sheet(
        _("By agency type"),
        [_("Indicator"), *[agency_names[a] for a in agencies]],
        [[label, *[part.by_agency.get(a, 0) for a in agencies]] for label, part in rows],
        key="agencies",
    )
    figures = result.mentoring
    mentoring = Sheet(
        _("Mentoring"),
        [_("Measure"), _("Value")],
        [[_("Mentoring sessions held"), figures.sessions], [_("Hours"), figures.hours],
         [_("Units mentored"), figures.units],
         *[[_("Attendances: %(sex)s", sex=SEX_LABELS[Sex(s)]), figures.attendances.get(s, 0)]
           for s in sexes],
         *[[str(RESULT_LABELS[name]), value] for name, value in result.unit_results.items()]],
        key="mentoring",
    )  # fmt: skip
    return [persons, by_country, by_agency, mentoring]


@bp.route("/reports/indicators")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def indicator_report() -> ResponseReturnValue:
    """The donor's indicators for a period (``?start=&end=``, ``?format=csv|xlsx``): the
    people and units of the viewer's countries (admins and regional coordinators: all)."""
    start, end, problem = _period()
    countries = permissions.coordinated_countries(current_user)
    threshold = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    result = indicators.report(start, end, countries=countries, threshold=threshold)
    locale = get_locale()
    sheets = indicator_sheets(result, lambda code: country_name(code, locale))
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx") and problem is None:
        audit.record("reports.indicators_export", actor=current_user, now=clock.now(),
                     object_type="indicators", start=start.isoformat(), end=end.isoformat(),
                     format=fmt)  # fmt: skip
        db.session.commit()
        return _download(f"indicators-{start.isoformat()}-{end.isoformat()}", sheets, fmt)
    return render_template(
        "reports/indicators.html", result=result, sheets=sheets, problem=problem,
        countries=countries, start=start, end=end,
    ), (422 if problem else 200)  # fmt: skip
