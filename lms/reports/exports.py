"""The report tables as rows for CSV and XLSX files, with headers in the reader's
language. Numbers stay numbers (rounded to two decimals); nothing is computed here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lms.accounts.models import AGENCY_TYPE_LABELS, SEX_LABELS
from lms.assessments import statistics as stats
from lms.reports.knowledge import BankAnalysis, CohortResults, GroupRow
from lms.tables import Sheet


def _n(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def dimension_label(dimension: str) -> str:
    return {
        "all": _("Everyone"),
        "sex": _("Sex"),
        "country": _("Country"),
        "agency": _("Agency type"),
    }[dimension]


def band_label(band: str | None) -> str:
    return {"low": _("low"), "medium": _("medium"), "high": _("high")}.get(band or "", "")


def _group_row(row: GroupRow) -> list[Any]:
    g = row.gain
    return [
        dimension_label(row.dimension),
        row.label,
        row.participants,
        g.n,
        _n(g.mean_pre),
        _n(g.mean_post),
        _n(g.mean_gain),
        _n(g.sd_gain),
        _n(g.class_average_g, 3),
        band_label(g.hake_band),
        _n(g.mean_individual_g, 3),
        _n(g.percent_improved),
        _n(g.percent_reached_threshold),
        _n(g.percent_passed),
        _n(g.t, 3),
        g.df,
        _n(g.p_value, 4),
        _n(g.ci_low),
        _n(g.ci_high),
        _n(g.cohens_dz, 3),
        _yes(row.small),
    ]


def cohort_sheets(results: CohortResults) -> list[Sheet]:
    """The indicator table by group, the learners' scores, and the gain per module and
    learning objective."""
    # Labels translated once, not once per learner.
    sexes = {key: str(label) for key, label in SEX_LABELS.items()}
    agencies = {key: str(label) for key, label in AGENCY_TYPE_LABELS.items()}
    yes, no = _("yes"), _("no")
    groups = Sheet(
        _("Knowledge gain"),
        [
            _("Group"),
            _("Value"),
            _("Participants"),
            _("Pairs"),
            _("Mean pre-test %"),
            _("Mean post-test %"),
            _("Mean gain (points)"),
            _("SD of gain"),
            _("Normalised gain ⟨g⟩"),
            _("Band"),
            _("Mean individual g"),
            _("Improved %"),
            _("Gained at least %(n)s points %%", n=f"{results.threshold:g}"),
            _("Passed the post-test %"),
            "t",
            "df",
            "p",
            _("95% CI low"),
            _("95% CI high"),
            _("Effect size dz"),
            _("Small group"),
        ],
        [_group_row(results.overall), *(_group_row(row) for row in results.groups)],
        key="groups",
    )
    learners = Sheet(
        _("Learners"),
        [
            _("Name"),
            _("Sex"),
            _("Country"),
            _("Agency type"),
            _("Pre-test %"),
            _("Post-test %"),
            _("Gain (points)"),
            _("Normalised gain"),
            _("Passed the post-test"),
            _("Completed"),
        ],
        [
            [
                scores.name,
                sexes[scores.sex],
                scores.country_code or "",
                agencies[scores.agency_type] if scores.agency_type else "",
                _n(scores.pre),
                _n(scores.post),
                _n(gain.gain),
                _n(gain.normalised_gain, 3),
                yes if scores.passed else no,
                yes if scores.completed else no,
            ]
            for scores, gain in results.learners
        ],
        key="learners",
    )
    tags = Sheet(
        _("Objectives"),
        [
            _("Kind"),
            _("Tag"),
            _("Title"),
            _("Pairs"),
            _("Mean pre-test %"),
            _("Mean post-test %"),
            _("Mean gain (points)"),
        ],
        [
            [
                _("Module") if row.kind == "module" else _("Learning objective"),
                row.tag,
                row.label,
                row.gain.n,
                _n(row.gain.mean_pre),
                _n(row.gain.mean_post),
                _n(row.gain.mean_gain),
            ]
            for row in results.tags
        ],
        key="objectives",
    )
    return [groups, learners, tags]


def version_label(form: str | None, language: str) -> str:
    """ "form-a · ru": the last part of the form's category and the language."""
    name = form.rsplit("/", 1)[-1] if form else _("whole bank")
    return f"{name} · {language}"


def flag_label(flag: str) -> str:
    return {
        "too-easy": _("too easy"),
        "too-hard": _("too hard"),
        "negative-discrimination": _("discriminates negatively"),
        "weak-discrimination": _("discriminates weakly"),
        "few-responses": _("few responses"),
        "differs-in-translation": _("differs in translation"),
        "too-few-to-compare": _("too few to compare"),
        "no-information": _("no information"),
    }.get(flag, flag)


def _test_row(label: str, test: stats.TestAnalysis) -> list[Any]:
    return [
        label,
        test.n,
        _n(test.mean),
        _n(test.median),
        _n(test.sd),
        _n(test.skewness, 3),
        _n(test.kurtosis, 3),
        _n(test.alpha, 3),
        test.alpha_items,
        _n(test.error_ratio),
        _n(test.standard_error),
    ]


def bank_sheets(analysis: BankAnalysis) -> list[Sheet]:
    """The test statistics per version, the items per version, and the comparison of
    language versions."""
    everyone = _("All attempts")
    versions = [(everyone, analysis.overall)] + [
        (version_label(v.form, v.language), v.analysis) for v in analysis.versions
    ]
    test = Sheet(
        _("Test"),
        [
            _("Version"),
            _("Attempts"),
            _("Mean %"),
            _("Median %"),
            _("SD"),
            _("Skewness"),
            _("Kurtosis"),
            _("Internal consistency α"),
            _("Items in α"),
            _("Error ratio %"),
            _("Standard error"),
        ],
        [_test_row(label, t) for label, t in versions],
        key="test",
    )
    items = Sheet(
        _("Items"),
        [
            _("Version"),
            _("Question"),
            _("Name"),
            _("Responses"),
            _("Facility %"),
            _("SD"),
            _("Discrimination index %"),
            _("Discriminative efficiency %"),
            _("Flags"),
        ],
        [
            [
                label,
                str(item.key),
                analysis.names.get(str(item.key), ""),
                item.n,
                _n(item.facility),
                _n(item.sd, 3),
                _n(item.discrimination),
                _n(item.efficiency),
                ", ".join(flag_label(f) for f in item.flags),
            ]
            for label, t in versions
            for item in t.items
        ],
        key="items",
    )
    translation = Sheet(
        _("Translations"),
        [
            _("Languages"),
            _("Question"),
            _("Name"),
            _("Responses A"),
            _("Responses B"),
            _("Facility A %"),
            _("Facility B %"),
            _("Difference (points)"),
            _("Odds ratio α MH"),
            _("MH D-DIF"),
            _("ETS class"),
            _("Flags"),
        ],
        [
            [
                f"{a} / {b}",
                str(dif.key),
                analysis.names.get(str(dif.key), ""),
                dif.n_a,
                dif.n_b,
                _n(dif.facility_a),
                _n(dif.facility_b),
                _n(dif.facility_difference),
                _n(dif.alpha_mh, 3),
                _n(dif.d_dif),
                dif.ets_class or "",
                ", ".join(flag_label(f) for f in dif.flags),
            ]
            for a, b, difs in analysis.translations
            for dif in difs
        ],
        key="translations",
    )
    return [test, items, translation]
