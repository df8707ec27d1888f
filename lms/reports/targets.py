"""Indicator targets: what the programme promised its donor for a year, for the whole
programme or one country, set by administrators and shown beside the actuals.

A coordinator of some countries sees the sum of their countries' targets; a viewer of
every country sees the programme's target where one is set, else the sum of the
countries'. Percentages are never summed: for them only the target of exactly the
viewer's scope counts (the programme's, or a single country's).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lms import audit
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.reports.indicators import IndicatorReport

#: Programme-wide targets are stored with this country code.
PROGRAMME = ""


class Indicator(enum.StrEnum):
    TRAINED = "trained"
    TRAINED_FEMALE = "trained_female"
    CERTIFIED = "certified"
    IMPROVED_PERCENT = "improved_percent"
    GAINED_PERCENT = "gained_percent"
    MENTORING_SESSIONS = "mentoring_sessions"
    UNITS_MENTORED = "units_mentored"


INDICATOR_LABELS = {
    Indicator.TRAINED: _l("Officials trained"),
    Indicator.TRAINED_FEMALE: _l("Female officials trained"),
    Indicator.CERTIFIED: _l("Officials certified"),
    Indicator.IMPROVED_PERCENT: _l("Tested officials who improved their score (%)"),
    Indicator.GAINED_PERCENT: _l("Tested officials who gained at least the threshold (%)"),
    Indicator.MENTORING_SESSIONS: _l("Mentoring sessions held"),
    Indicator.UNITS_MENTORED: _l("Units mentored"),
}
PERCENTAGES = frozenset({Indicator.IMPROVED_PERCENT, Indicator.GAINED_PERCENT})


class IndicatorTarget(db.Model):
    __tablename__ = "indicator_target"
    __table_args__ = (sa.UniqueConstraint("year", "country_code", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    #: ISO code of the country, or "" for the whole programme.
    country_code: Mapped[str] = mapped_column(sa.String(2), default=PROGRAMME)
    indicator: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


def for_year(year: int) -> dict[tuple[str, str], float]:
    """Every target of ``year``: (country code or "", indicator) → value (one query)."""
    rows = db.session.execute(
        sa.select(IndicatorTarget.country_code, IndicatorTarget.indicator, IndicatorTarget.value)
        .where(IndicatorTarget.year == year)
    )  # fmt: skip
    return {(country, indicator): value for country, indicator, value in rows}


def applicable(
    targets: Mapping[tuple[str, str], float], countries: frozenset[str] | None
) -> dict[Indicator, float]:
    """The targets that apply to a viewer of ``countries`` (None: all), by indicator."""
    found: dict[Indicator, float] = {}
    for indicator in Indicator:
        if countries is None and (PROGRAMME, indicator.value) in targets:
            found[indicator] = targets[(PROGRAMME, indicator.value)]
            continue
        if indicator in PERCENTAGES:
            if countries is not None and len(countries) == 1:
                (only,) = countries
                if (only, indicator.value) in targets:
                    found[indicator] = targets[(only, indicator.value)]
            continue
        values = [
            value
            for (country, key), value in targets.items()
            if key == indicator.value and country != PROGRAMME
            and (countries is None or country in countries)
        ]  # fmt: skip
        if values:
            found[indicator] = sum(values)
    return found


def save(
    year: int, values: Mapping[tuple[str, Indicator], float | None], *, by: Any, now: datetime
) -> int:
    """Set the targets of ``year`` to ``values`` ((country or "", indicator) → value; None
    removes one); returns how many changed. The change is audited with before and after."""
    rows = db.session.scalars(sa.select(IndicatorTarget).where(IndicatorTarget.year == year))
    current = {(row.country_code, row.indicator): row for row in rows}
    changes: dict[str, list[float | None]] = {}
    for (country, indicator), value in values.items():
        key = (country, indicator.value)
        row = current.get(key)
        before = row.value if row else None
        if before == value:
            continue
        changes[f"{country or 'programme'}:{indicator.value}"] = [before, value]
        if value is None and row is not None:
            db.session.delete(row)
        elif row is None and value is not None:
            db.session.add(
                IndicatorTarget(
                    year=year,
                    country_code=country,
                    indicator=indicator.value,
                    value=value,
                    updated_at=now,
                    updated_by_id=by.id,
                )
            )
        elif row is not None and value is not None:
            row.value, row.updated_at, row.updated_by_id = value, now, by.id
    if changes:
        audit.record("reports.targets_update", actor=by, now=now, object_type="targets",
                     object_id=str(year), changes=changes)  # fmt: skip
    db.session.flush()
    return len(changes)


def actuals(report: IndicatorReport) -> dict[Indicator, float | None]:
    """Each indicator's figure in ``report``."""
    return {
        Indicator.TRAINED: report.trained.total,
        Indicator.TRAINED_FEMALE: report.trained.by_sex.get("female", 0),
        Indicator.CERTIFIED: report.certified.total,
        Indicator.IMPROVED_PERCENT: report.share(report.improved),
        Indicator.GAINED_PERCENT: report.share(report.gained),
        Indicator.MENTORING_SESSIONS: report.mentoring.sessions,
        Indicator.UNITS_MENTORED: report.mentoring.units,
    }
