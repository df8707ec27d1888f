"""Reading the dashboard's filters from a request (page or API) into
:class:`lms.reports.dashboard.Filters`, within the viewer's scope.

A malformed value (a date that is not one, an agency type or sex we do not know, an id
that is not a number) is a *problem*: the caller answers 400 and shows the message; the
filter falls back to its default. A well-formed id or country that does not exist, or
that the viewer may not see, raises :class:`OutOfScope` (the caller answers 404, so a
coordinator cannot learn what another country holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _

from lms import permissions
from lms.accounts.models import AgencyType, Country, Sex
from lms.courses.models import Course
from lms.enrolments.models import Cohort
from lms.extensions import db
from lms.i18n import parse_local_date
from lms.reports.dashboard import Filters

#: The longest period a report covers (ten years and a few leap days).
LONGEST_PERIOD_DAYS = 3660
#: The argument names, in the order of the form.
NAMES = ("start", "end", "country", "agency", "sex", "course", "cohort")


class OutOfScope(LookupError):
    """A filter names a country, course or cohort that is unknown or not the viewer's."""


@dataclass(frozen=True)
class Resolved:
    filters: Filters
    #: Argument name → message, for each malformed value.
    problems: dict[str, Any] = field(default_factory=dict)
    course: Course | None = None
    cohort: Cohort | None = None
    country: str | None = None

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links and downloads): only those set."""
        f = self.filters
        values = {
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "country": self.country,
            "agency": f.agency_type.value if f.agency_type else None,
            "sex": f.sex.value if f.sex else None,
            "course": str(f.course_id) if f.course_id else None,
            "cohort": str(f.cohort_id) if f.cohort_id else None,
        }
        return {key: value for key, value in values.items() if value}


def this_year(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)


def period(args: Mapping[str, Any], today: date) -> tuple[date, date, str | None]:
    """``start`` and ``end`` (any of the programme's date forms), by default this year;
    a malformed, reversed or over-long period gives a message and the default."""
    raw_start, raw_end = str(args.get("start") or ""), str(args.get("end") or "")
    if not raw_start and not raw_end:
        return *this_year(today), None
    start, end = parse_local_date(raw_start), parse_local_date(raw_end)
    if start is None or end is None or end < start or (end - start).days > LONGEST_PERIOD_DAYS:
        return *this_year(today), str(
            _("Give the period as two dates, the first before the second, at most ten years apart.")
        )
    return start, end, None


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def resolve(args: Mapping[str, Any], user: Any, today: date) -> Resolved:
    """The filters ``args`` ask for, within what ``user`` may see."""
    problems: dict[str, Any] = {}
    start, end, problem = period(args, today)
    if problem:
        problems["start"] = problem
    scope = permissions.coordinated_countries(user)
    countries = scope
    country = str(args.get("country") or "").upper() or None
    if country is not None:
        known = len(country) == 2 and db.session.get(Country, country) is not None
        if not known:
            problems["country"] = _("Choose a country from the list.")
            country = None
        elif scope is not None and country not in scope:
            raise OutOfScope(country)
        else:
            countries = frozenset({country})
    choices: dict[str, Any] = {}
    for name, kind, message in (
        ("agency", AgencyType, _("Choose an agency type from the list.")),
        ("sex", Sex, _("Choose a sex from the list.")),
    ):
        raw = str(args.get(name) or "")
        try:
            choices[name] = kind(raw) if raw else None
        except ValueError:
            problems[name] = message
            choices[name] = None
    course = cohort = None
    raw_course, raw_cohort = str(args.get("course") or ""), str(args.get("cohort") or "")
    if raw_course:
        number = _number(raw_course)
        if number is None:
            problems["course"] = _("Choose a course from the list.")
        else:
            course = db.session.get(Course, number)
            if course is None:
                raise OutOfScope(raw_course)
    if raw_cohort:
        number = _number(raw_cohort)
        if number is None:
            problems["cohort"] = _("Choose a cohort from the list.")
        else:
            cohort = db.session.scalar(
                sa.select(Cohort).where(Cohort.id == number, permissions.visible_cohorts(user))
            )
            if cohort is None:
                raise OutOfScope(raw_cohort)
            if course is not None and cohort.course_id != course.id:
                problems["cohort"] = _("That cohort is not of the chosen course.")
                cohort = None
    if cohort is not None and course is None:
        course = cohort.course
    filters = Filters(
        start=start,
        end=end,
        countries=countries,
        agency_type=choices["agency"],
        course_id=course.id if course else None,
        cohort_id=cohort.id if cohort else None,
        sex=choices["sex"],
    )
    return Resolved(filters, problems, course, cohort, country)
