"""Declarative base, shared column types, UTC helpers and database engine tuning.

SQLite is tuned on every connection (WAL, busy timeout, ``synchronous=FULL``, foreign
keys) and takes over transaction control from pysqlite, so that a transaction opened
while :func:`write_intent` is active starts with ``BEGIN IMMEDIATE``: a writer takes the
lock up front instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import contextvars
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from lms import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow :data:`NAMING_CONVENTION`."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware "now" from the application clock; use as a column default."""
    return clock.now()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A datetime that is always timezone-aware UTC in Python, whatever the database.

    PostgreSQL stores ``timestamp with time zone``; SQLite stores the UTC wall time.
    Naive datetimes are refused on the way in, so local times never slip through.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark the transactions opened inside this block as writers (``BEGIN IMMEDIATE`` on SQLite).

    The request hook sets it for every unsafe HTTP method; CLI commands that write use it.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def writes(view: Any) -> Any:
    """Mark a GET view that writes (a dry run in a savepoint, say) as a writer up front."""
    view.lms_writes = True
    return view


def set_write_intent(value: bool) -> contextvars.Token[bool]:
    """Set the write intent for this context; pass the token to :func:`reset_write_intent`."""
    return _write_intent.set(value)


def reset_write_intent(token: contextvars.Token[bool]) -> None:
    _write_intent.reset(token)


def configure_engine(engine: Engine, *, busy_timeout_ms: int = 5000) -> None:
    """Install the per-connection settings for the engine's dialect."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it would not BEGIN before a SELECT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def value_enum(kind: type[enum.Enum], length: int) -> sa.Enum:
    """A portable enum column: stored as the members' values (VARCHAR), checked by a
    constraint, the same on SQLite and PostgreSQL."""
    return sa.Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )
