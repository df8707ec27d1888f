"""The reports part of the demo world: this year's indicator targets for the programme
and for Kyrgyzstan (the demo coordinator's country), so the indicator report shows
targets beside the actuals."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.demo import DemoWorld
from lms.extensions import db
from lms.reports import targets
from lms.reports.targets import Indicator

#: (country or the programme, indicator, target) for the year of the run.
TARGETS = [
    (targets.PROGRAMME, Indicator.TRAINED, 600),
    (targets.PROGRAMME, Indicator.TRAINED_FEMALE, 180),
    (targets.PROGRAMME, Indicator.CERTIFIED, 500),
    (targets.PROGRAMME, Indicator.IMPROVED_PERCENT, 75),
    (targets.PROGRAMME, Indicator.MENTORING_SESSIONS, 120),
    (targets.PROGRAMME, Indicator.UNITS_MENTORED, 14),
    ("KG", Indicator.TRAINED, 80),
    ("KG", Indicator.TRAINED_FEMALE, 25),
    ("KG", Indicator.CERTIFIED, 70),
    ("KG", Indicator.IMPROVED_PERCENT, 75),
    ("KG", Indicator.MENTORING_SESSIONS, 12),
    ("KG", Indicator.UNITS_MENTORED, 2),
]


def seed(world: DemoWorld) -> None:
    year = world.now.year
    saved = targets.for_year(year)
    missing = {(country, indicator): float(value) for country, indicator, value in TARGETS
               if (country, indicator.value) not in saved}  # fmt: skip
    for country, indicator, _value in TARGETS:
        world.count("indicator targets", created=(country, indicator) in missing)
    if not missing:
        return
    admin = db.session.scalar(
        sa.select(User).where(User.username == world.logins["admin"]["username"])
    )
    targets.save(year, missing, by=admin, now=world.now)
