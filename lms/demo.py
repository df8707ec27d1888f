"""The demo world framework: per-domain seeders assembled by ``flask lms demo``.

Each domain has a ``demo.py`` with ``seed(world)``; seeders run in dependency order,
must be idempotent (a second run changes nothing), and record the logins they create.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DemoWorld:
    """What seeders share: the time of the run, the logins, and counts of what they did."""

    now: datetime
    logins: dict[str, dict[str, str]] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    existing: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, kind: str, *, created: bool) -> None:
        (self.created if created else self.existing)[kind] += 1
