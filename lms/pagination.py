"""Pages of a query: two SQL statements (a count and a slice), whatever the table size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    """A page number from a query string; anything odd means page 1."""
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def paginate(query: sa.Select[Any], number: int, per_page: int = PER_PAGE) -> Page:
    """Run ``query`` for one page; ``query`` must be ordered for stable pages."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).options().subquery())
    )
    items = db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items=items, number=number, per_page=per_page, total=total or 0)
