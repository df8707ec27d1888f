"""Plain ``make_*`` factories with sensible defaults (flushed, never committed)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from lms import clock
from lms.accounts import organisations
from lms.accounts import services as accounts
from lms.accounts.models import Agency, AgencyType, Role, Unit, User

DEFAULT_PASSWORD = "correct horse battery staple"

_sequence = itertools.count(1)


def make_user(
    username: str | None = None,
    *,
    roles: Iterable[Role] = (Role.LEARNER,),
    password: str | None = DEFAULT_PASSWORD,
    full_name: str | None = None,
    **kwargs: Any,
) -> User:
    n = next(_sequence)
    username = username or f"user{n}"
    return accounts.create_user(
        username=username,
        full_name=full_name or f"Test User {n}",
        password=password,
        roles=roles,
        now=clock.now(),
        **kwargs,
    )


def make_agency(
    country_code: str = "KG",
    name: str | None = None,
    *,
    type: AgencyType = AgencyType.POLICE,
    **kwargs: Any,
) -> Agency:
    return organisations.create_agency(
        country_code=country_code,
        name=name or f"Agency {next(_sequence)}",
        type=type,
        actor=None,
        now=clock.now(),
        **kwargs,
    )


def make_unit(agency: Agency | None = None, name: str | None = None, **kwargs: Any) -> Unit:
    return organisations.create_unit(
        agency or make_agency(),
        name=name or f"Unit {next(_sequence)}",
        actor=None,
        now=clock.now(),
        **kwargs,
    )
