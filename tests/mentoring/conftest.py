"""A Kyrgyz unit with members, its assigned mentor, and a helper to log sessions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms import clock
from lms.accounts.models import Role, Sex
from lms.mentoring import services
from lms.mentoring.models import SessionFormat
from tests.factories import make_agency, make_unit, make_user


class UnitWorld:
    def __init__(self) -> None:
        agency = make_agency("KG", "МВД КР")
        self.unit = make_unit(agency, "Отдел по противодействию торговле людьми")
        self.unit.is_specialised = True
        self.members = [
            make_user(f"unit.m{n}", country_code="KG", agency_id=agency.id,
                      unit_id=self.unit.id, sex=Sex.FEMALE if n % 2 else Sex.MALE,
                      full_name=f"Member {n}")
            for n in range(4)
        ]  # fmt: skip
        self.mentor = make_user("unit.mentor", roles=[Role.MENTOR], country_code="KG")
        self.today = clock.now().date()
        services.assign_mentor(self.mentor, self.unit, starts_on=self.today - timedelta(days=90),
                               ends_on=None, by=None, now=clock.now())  # fmt: skip
        other_agency = make_agency("KG", "Прокуратура")
        self.other_unit = make_unit(other_agency, "Другой отдел")
        self.outsider = make_user("unit.outsider", country_code="KG", unit_id=self.other_unit.id)

    def data(self, **changes) -> services.SessionInput:
        values = {
            "held_on": self.today - timedelta(days=1),
            "duration_minutes": 90,
            "format": SessionFormat.CASE_REVIEW,
            "location": "Bishkek",
            "mentor_ids": [self.mentor.id],
            "attendee_ids": [m.id for m in self.members[:3]],
            "others": [{"sex": "female", "agency_type": "prosecution", "count": 2}],
            "topics": ["proactive-investigation"],
            "observations": "The unit reviewed **two** case files.",
            "actions": [
                services.ActionInput("Request phone records early", self.members[0].id,
                                     self.today + timedelta(days=14)),
                services.ActionInput("Brief the duty officers", self.members[1].id,
                                     self.today + timedelta(days=30)),
            ],
        }  # fmt: skip
        values.update(changes)
        return services.SessionInput(**values)

    def log(self, **changes):
        return services.save_session(
            None, self.data(**changes), unit=self.unit, by=self.mentor, now=clock.now(),
            submit=True,
        )  # fmt: skip


@pytest.fixture
def world(app, frozen_clock) -> UnitWorld:
    return UnitWorld()


def day(offset: int) -> date:
    return clock.now().date() + timedelta(days=offset)
