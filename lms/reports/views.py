"""Report pages: a cohort's knowledge gain and a bank's item analysis, each exportable as
CSV and XLSX. Read-only; the viewer's scope is applied in SQL."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import permissions
from lms.accounts.models import AGENCY_TYPE_LABELS, Role
from lms.accounts.organisations import country_name
from lms.assessments.models import QuestionBank
from lms.assessments.services import current_questions
from lms.enrolments import cohorts
from lms.enrolments.models import Cohort
from lms.extensions import db
from lms.i18n import pick_text
from lms.pagination import Page, page_number
from lms.permissions import roles_required
from lms.reports import charts, exports, knowledge
from lms.reports.exports import bank_sheets, cohort_sheets
from lms.tables import download

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
