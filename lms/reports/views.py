"""Report pages: a cohort's knowledge gain and a bank's item analysis, each exportable as
CSV and XLSX. Read-only; the viewer's scope is applied in SQL."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale, ngettext, pgettext
from flask_babel import gettext as _
from flask_login import current_user

from lms import audit, clock, permissions
from lms.accounts.models import (
    AGENCY_TYPE_LABELS,
    SEX_LABELS,
    Agency,
    AgencyType,
    Country,
    Role,
    Sex,
)
from lms.accounts.organisations import country_name
from lms.assessments.models import QuestionBank
from lms.assessments.services import current_questions
from lms.courses.models import Course
from lms.enrolments import cohorts
from lms.enrolments.models import Cohort
from lms.extensions import db
from lms.i18n import pick_text
from lms.mentoring.models import RESULT_LABELS
from lms.pagination import Page, page_number
from lms.permissions import roles_required
from lms.reports import (
    charts,
    dashboard,
    exports,
    filters,
    indicators,
    knowledge,
    suppression,
    targets,
)
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
    """``?start=&end=``, by default this year (lms.reports.filters.period)."""
    return filters.period(request.args, clock.now().date())


def indicator_sheets(
    result: indicators.IndicatorReport,
    country_label: Any,
    *,
    publish: bool = False,
    goals: dict[targets.Indicator, float] | None = None,
) -> list[Sheet]:
    """The indicator tables, for the page and its CSV and XLSX. ``publish``: counts of
    persons under five hidden (lms.reports.suppression), for tables shared beyond the
    coordinators. ``goals``: the targets that apply, as a first sheet beside the actuals."""
    sexes = [s.value for s in Sex]

    def row(label: str, total: int, cells: list[int], *, with_total: bool) -> list[Any]:
        if publish:
            shown_total, shown = suppression.suppress_row(total, cells)
        else:
            shown_total, shown = total, list(cells)
        return [label, shown_total, *shown] if with_total else [label, *shown]

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
        [
            row(label, part.total, [part.by_sex.get(s, 0) for s in sexes], with_total=True)
            for label, part in rows
        ],
        key="persons",
    )
    countries = sorted({c for _label, part in rows for c in part.by_country})
    by_country = Sheet(
        _("By country"),
        [_("Indicator"), *[country_label(c) for c in countries]],
        [
            row(label, part.total, [part.by_country.get(c, 0) for c in countries], with_total=False)
            for label, part in rows
        ],
        key="countries",
    )
    agencies = [a.value for a in AgencyType] + [indicators.NO_AGENCY]
    agency_names = {a.value: str(label) for a, label in AGENCY_TYPE_LABELS.items()}
    agency_names[indicators.NO_AGENCY] = _("No agency")
    by_agency = Sheet(
        _("By agency type"),
        [_("Indicator"), *[agency_names[a] for a in agencies]],
        [
            row(label, part.total, [part.by_agency.get(a, 0) for a in agencies], with_total=False)
            for label, part in rows
        ],
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
    sheets = [persons, by_country, by_agency, mentoring]
    if result.application:
        sheets.append(_application_sheet(result.application))
        sheets.append(_application_groups(result.application, country_label))
    if goals:
        figures_now = targets.actuals(result)
        sheets.insert(0, Sheet(
            _("Targets"),
            [_("Indicator"), _("Target"), _("Actual"), _("Share of target (%)")],
            [[str(targets.INDICATOR_LABELS[key]), goal, figures_now[key],
              round(100.0 * figures_now[key] / goal, 1)
              if goal and figures_now[key] is not None else None]
             for key, goal in goals.items()],
            key="targets",
        ))  # fmt: skip
    return sheets


def _application_sheet(waves: list[indicators.Application]) -> Sheet:
    """Reported application of skills per follow-up wave: survey figures, so every group of
    fewer than five respondents is hidden, in the page and in every file."""

    def pair(respondents: int, applying: int) -> list[Any]:
        if respondents < suppression.SMALL_GROUP:
            return [suppression.HIDDEN, suppression.HIDDEN, None]
        return [respondents, applying, round(100.0 * applying / respondents, 1)]

    sexes = [s.value for s in Sex]
    header = [_("Follow-up"), _("Respondents"), _("Reporting application"), _("Share (%)")]
    for sex in sexes:
        label = SEX_LABELS[Sex(sex)]
        header += [_("%(sex)s: respondents", sex=label), _("%(sex)s: reporting application",
                                                           sex=label)]  # fmt: skip
    rows = []
    for wave in waves:
        row = [_("After %(months)s months", months=wave.wave),
               *pair(wave.respondents.total, wave.applying.total)]  # fmt: skip
        for sex in sexes:
            row += pair(wave.respondents.by_sex.get(sex, 0), wave.applying.by_sex.get(sex, 0))[:2]
        rows.append(row)
    return Sheet(_("Application of skills"), header, rows, key="application")


def _application_groups(waves: list[indicators.Application], country_label: Any) -> Sheet:
    """Reported application by country and agency type, one row per wave and group
    (groups under five respondents hidden)."""
    agency_names = {a.value: str(label) for a, label in AGENCY_TYPE_LABELS.items()}
    agency_names[indicators.NO_AGENCY] = _("No agency")
    rows: list[list[Any]] = []
    for wave in waves:
        when = _("After %(months)s months", months=wave.wave)
        for dimension, respondents, applying, label in (
            (_("Country"), wave.respondents.by_country, wave.applying.by_country,
             lambda key: country_label(key) if key != indicators.NO_AGENCY else _("No country")),
            (_("Agency type"), wave.respondents.by_agency, wave.applying.by_agency,
             lambda key: agency_names.get(key, key)),
        ):  # fmt: skip
            for key in sorted(respondents):
                count, applied = respondents[key], applying.get(key, 0)
                shown = count >= suppression.SMALL_GROUP
                rows.append([when, dimension, label(key),
                             count if shown else suppression.HIDDEN,
                             applied if shown else suppression.HIDDEN,
                             round(100.0 * applied / count, 1) if shown else None])  # fmt: skip
    return Sheet(
        _("Application by group"),
        [_("Follow-up"), _("Group"), _("Name"), _("Respondents"), _("Reporting application"),
         _("Share (%)")],
        rows,
        key="application-groups",
    )  # fmt: skip


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
    publish = request.args.get("publish") == "1"
    goals = (
        targets.applicable(targets.for_year(start.year), countries)
        if start.year == end.year else {}
    )  # fmt: skip
    sheets = indicator_sheets(result, lambda code: country_name(code, locale), publish=publish,
                              goals=goals)  # fmt: skip
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx") and problem is None:
        audit.record("reports.indicators_export", actor=current_user, now=clock.now(),
                     object_type="indicators", start=start.isoformat(), end=end.isoformat(),
                     format=fmt, publish=publish)  # fmt: skip
        db.session.commit()
        suffix = "-published" if publish else ""
        return _download(f"indicators-{start.isoformat()}-{end.isoformat()}{suffix}", sheets, fmt)
    if fmt is not None and problem is None:
        abort(404)
    return render_template(
        "reports/indicators.html", result=result, sheets=sheets, problem=problem,
        countries=countries, start=start, end=end, goals=goals,
    ), (422 if problem else 200)  # fmt: skip


# --- The coordinators' dashboard ----------------------------------------------------------


def _stage_labels() -> dict[str, str]:
    return {
        "enrolled": _("Enrolled"),
        "pre_test": _("Took the pre-test"),
        "lessons": _("Finished the lessons"),
        "post_test": pgettext("funnel stage", "Passed the post-test"),
        "completed": pgettext("funnel stage", "Completed"),
        "certified": _("Certified"),
    }


def _group_label(dimension: str, key: str) -> str:
    if key == dashboard.NO_AGENCY:
        return _("No agency") if dimension == "agency" else _("No country")
    if dimension == "sex":
        return str(SEX_LABELS[Sex(key)])
    if dimension == "agency":
        return str(AGENCY_TYPE_LABELS[AgencyType(key)])
    return country_name(key, get_locale())


def _band_labels() -> list[str]:
    return [f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100" for i in range(dashboard.BANDS)]


def dashboard_sheets(
    result: dashboard.Dashboard, courses: dict[int, str], cohorts_by_id: dict[int, str]
) -> list[Sheet]:
    """The dashboard's tables, for the page and its CSV and XLSX."""
    stages = _stage_labels()
    totals = result.totals
    first = totals["enrolled"]
    funnel = Sheet(
        _("Funnel"),
        [_("Stage"), _("Participations"), _("Share of enrolled (%)")],
        [[stages[key], totals[key], round(100.0 * totals[key] / first, 1) if first else None]
         for key in dashboard.STAGES],
        key="funnel",
    )  # fmt: skip
    by_course = Sheet(
        _("By course and cohort"),
        [_("Course"), _("Cohort"), *stages.values(), _("Withdrawn")],
        [[courses.get(row.course_id, str(row.course_id)),
          cohorts_by_id.get(row.cohort_id, "") if row.cohort_id else _("No cohort (self-paced)"),
          *[row.stages[key] for key in dashboard.STAGES], row.withdrawn]
         for row in result.funnel],
        key="courses",
    )  # fmt: skip
    gain = result.gain
    groups = [(_("Everyone"), gain.overall)]
    for dimension, table in (("sex", gain.by_sex), ("country", gain.by_country),
                             ("agency", gain.by_agency)):  # fmt: skip
        groups += [(_group_label(dimension, key), table[key]) for key in sorted(table)]
    by_group = Sheet(
        _("Knowledge gain"),
        [_("Group"), _("Pairs"), _("Pre-test"), _("Post-test"), _("Gain"), _("Improved"),
         _("Gained ≥ %(n)s", n=format_decimal(result.threshold))],
        [[label, g.n, g.mean_pre, g.mean_post, g.mean_gain, g.improved, g.gained]
         for label, g in groups],
        key="gain",
    )  # fmt: skip
    bands = Sheet(
        _("Score distribution"),
        [_("Score"), _("Pre-test"), _("Post-test")],
        [[label, pre, post] for label, pre, post
         in zip(_band_labels(), gain.pre_bands, gain.post_bands, strict=True)],
        key="scores",
    )  # fmt: skip
    m = result.mentoring
    sexes = [s.value for s in Sex]
    mentoring_sheet = Sheet(
        _("Mentoring"),
        [_("Measure"), _("Value")],
        [[_("Mentoring sessions held"), m.sessions], [_("Hours"), m.hours],
         [_("Units mentored"), m.units],
         *[[_("Attendances: %(sex)s", sex=SEX_LABELS[Sex(s)]), m.attendances.get(s, 0)]
           for s in sexes],
         [_("Action points agreed"), m.actions_opened],
         [_("Action points closed"), m.actions_closed]],
        key="mentoring",
    )  # fmt: skip
    months = Sheet(
        _("Sessions per month"),
        [_("Month"), _("Sessions")],
        [[month, count] for month, count in m.per_month],
        key="months",
    )
    c = result.certificates
    certificates_sheet = Sheet(
        _("Certificates"),
        [_("Measure"), _("Value")],
        [[_("Certificates issued"), c.issued], [_("Certificates revoked"), c.revoked],
         [_("Verification checks"), c.verifications], [_("Certificates verified"), c.verified]],
        key="certificates",
    )  # fmt: skip
    return [funnel, by_course, by_group, bands, mentoring_sheet, months, certificates_sheet]


def _resolve_filters() -> filters.Resolved:
    try:
        return filters.resolve(request.args, current_user, clock.now().date())
    except filters.OutOfScope:
        abort(404)


def _filter_choices(resolved: filters.Resolved) -> dict[str, Any]:
    """What the filter form offers: the viewer's countries, the courses, and the cohorts
    of the chosen course that the viewer may see (three queries at most)."""
    locale = get_locale()
    scope = permissions.coordinated_countries(current_user)
    if scope is None:
        codes = db.session.scalars(
            sa.select(Country.code).where(
                sa.or_(Country.is_beneficiary, Country.code.in_(sa.select(Agency.country_code)))
            )
        ).all()
    else:
        codes = sorted(scope)
    courses = db.session.scalars(sa.select(Course).order_by(Course.slug)).all()
    cohort_rows: list[Cohort] = []
    if resolved.course is not None:
        cohort_rows = list(
            db.session.scalars(
                sa.select(Cohort)
                .where(Cohort.course_id == resolved.course.id,
                       permissions.visible_cohorts(current_user))
                .order_by(Cohort.starts_on.desc(), Cohort.id)
            )
        )  # fmt: skip
    return {
        "countries": sorted(((c, country_name(c, locale)) for c in codes), key=lambda p: p[1]),
        "courses": [(c.id, pick_text(c.texts, c.languages, locale)["title"]) for c in courses],
        "cohorts": [(c.id, c.name) for c in cohort_rows],
    }


@bp.route("/reports/dashboard")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def dashboard_page() -> ResponseReturnValue:
    """Completion funnel, knowledge gain, mentoring and certificates for the chosen
    period, country, agency type, course, cohort and sex, within the viewer's countries
    (``?format=csv&table=…|xlsx`` to download). A fixed number of queries."""
    resolved = _resolve_filters()
    threshold = float(current_app.config["REPORT_GAIN_THRESHOLD"])
    result = dashboard.dashboard(resolved.filters, threshold=threshold)
    choices = _filter_choices(resolved)
    course_titles = dict(choices["courses"])
    cohort_ids = {row.cohort_id for row in result.funnel if row.cohort_id}
    cohort_names: dict[int, str] = dict(
        db.session.execute(
            sa.select(Cohort.id, Cohort.name).where(Cohort.id.in_(sorted(cohort_ids)))
        ).all()
    )
    sheets = dashboard_sheets(result, course_titles, cohort_names)
    fmt = request.args.get("format")
    status = 400 if resolved.problems else 200
    if fmt in ("csv", "xlsx"):
        if resolved.problems:
            abort(400)
        audit.record("reports.dashboard_export", actor=current_user, now=clock.now(),
                     object_type="dashboard", format=fmt, **resolved.args())  # fmt: skip
        db.session.commit()
        name = f"dashboard-{resolved.filters.start.isoformat()}-{resolved.filters.end.isoformat()}"
        return _download(name, sheets, fmt)
    if fmt is not None:
        abort(404)
    stages = _stage_labels()
    totals = result.totals
    gain = result.gain
    gain_groups = [(_group_label("sex", key), g) for key, g in sorted(gain.by_sex.items())] + [
        (_group_label("country", key), g) for key, g in sorted(gain.by_country.items())
    ]
    peak_band = max([*gain.pre_bands, *gain.post_bands, 0])
    peak_month = max([count for _m, count in result.mentoring.per_month] + [0])
    return (
        render_template(
            "reports/dashboard.html",
            result=result,
            resolved=resolved,
            choices=choices,
            sheets={sheet.key: sheet for sheet in sheets},
            sexes=[(s.value, SEX_LABELS[s]) for s in Sex],
            agency_types=[(a.value, AGENCY_TYPE_LABELS[a]) for a in AgencyType],
            funnel_chart=charts.horizontal_bars(
                [(stages[key], totals[key]) for key in dashboard.STAGES]
            ),
            bands_chart=charts.grouped_bars(
                list(
                    zip(
                        _band_labels(),
                        zip(gain.pre_bands, gain.post_bands, strict=True),
                        strict=True,
                    )
                ),
                maximum=charts.nice_ceiling(peak_band),
            ),
            groups_chart=charts.grouped_bars(
                [(label, (g.mean_pre, g.mean_post)) for label, g in gain_groups if g.n]
            ),
            months_chart=charts.grouped_bars(
                [(month[2:], (count,)) for month, count in result.mentoring.per_month],
                maximum=charts.nice_ceiling(peak_month),
            ),
        ),
        status,
    )


# --- Indicator targets --------------------------------------------------------------------


def _target_year() -> int:
    raw = request.values.get("year", "")
    if not raw:
        return clock.now().year
    if not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
        abort(400)
    return int(raw)


def _target_countries() -> list[tuple[str, str]]:
    """The beneficiary countries (the targets' columns), by name in the reader's language."""
    locale = get_locale()
    codes = db.session.scalars(sa.select(Country.code).where(Country.is_beneficiary)).all()
    return sorted(((c, country_name(c, locale)) for c in codes), key=lambda pair: pair[1])


@bp.route("/reports/targets", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def targets_page() -> ResponseReturnValue:
    """The year's indicator targets, for the programme and each beneficiary country:
    coordinators read them, administrators set them (an empty cell removes a target)."""
    year = _target_year()
    columns = [(targets.PROGRAMME, _("Programme")), *_target_countries()]
    problems: dict[str, str] = {}
    entered: dict[str, str] = {}
    if request.method == "POST":
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        values: dict[tuple[str, targets.Indicator], float | None] = {}
        for code, _label in columns:
            for indicator in targets.Indicator:
                name = f"{code or 'programme'}-{indicator.value}"
                raw = request.form.get(name, "").strip().replace(",", ".")
                entered[name] = raw
                value: float | None = None
                if raw:
                    try:
                        value = float(raw)
                    except ValueError:
                        value = math.nan
                    ceiling = 100 if indicator in targets.PERCENTAGES else 10_000_000
                    if not 0 <= value <= ceiling:
                        problems[name] = (
                            _("A percentage from 0 to 100.")
                            if indicator in targets.PERCENTAGES
                            else _("A whole number of 0 or more.")
                        )
                        continue
                    if indicator not in targets.PERCENTAGES and value != int(value):
                        problems[name] = _("A whole number of 0 or more.")
                        continue
                values[(code, indicator)] = value
        if not problems:
            changed = targets.save(year, values, by=current_user, now=clock.now())
            db.session.commit()
            flash(ngettext("%(num)d target changed.", "%(num)d targets changed.", changed),
                  "success")  # fmt: skip
            return redirect(url_for("reports.targets_page", year=year))
    saved = targets.for_year(year)
    return render_template(
        "reports/targets.html",
        year=year,
        columns=columns,
        indicators=[(i, targets.INDICATOR_LABELS[i]) for i in targets.Indicator],
        saved=saved,
        entered=entered,
        problems=problems,
        editable=current_user.has_role(Role.ADMIN),
    ), (422 if problems else 200)  # fmt: skip
