"""The one source of "now", replaceable in tests (time limits, TOTP, follow-up dates).

Services take ``now`` as an argument; views, the API and the CLI get it from :func:`now`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self.current = start.astimezone(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; return the new time."""
        self.current += delta if delta is not None else timedelta(**kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment.astimezone(UTC)


_system = SystemClock()


def now() -> datetime:
    """The current UTC time from the application's clock (the system clock outside an app)."""
    if has_app_context():
        return current_app.extensions.get("lms.clock", _system).now()
    return _system.now()
