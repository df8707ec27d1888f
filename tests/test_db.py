"""Column types and the SQLite connection settings (WAL, locks taken up front)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from lms.db import UTCDateTime, configure_engine, write_intent
from lms.extensions import db


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    configure_engine(engine, busy_timeout_ms=50)
    yield engine
    engine.dispose()


def test_sqlite_connections_are_tuned(sqlite_engine):
    with sqlite_engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 50
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1


def test_sqlite_enforces_foreign_keys(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))"
        )
    with pytest.raises(sa.exc.IntegrityError), sqlite_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO child (parent_id) VALUES (42)")


def test_a_writer_takes_the_lock_at_begin(sqlite_engine):
    """Two writers: the second is refused at BEGIN, before it has done any work."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with write_intent(), sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        first_tx = first.begin()
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            second.begin()
        first.exec_driver_sql("INSERT INTO t VALUES (1)")
        first_tx.commit()


def test_readers_do_not_wait_for_a_writer(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with sqlite_engine.connect() as writer, sqlite_engine.connect() as reader:
        with write_intent():
            tx = writer.begin()
            writer.exec_driver_sql("INSERT INTO t VALUES (2)")
        with reader.begin():
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
        tx.commit()


def test_read_then_write_is_one_transaction(sqlite_engine):
    """pysqlite would not BEGIN before a SELECT; with our settings the read is inside it."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    statements = []
    sa.event.listen(sqlite_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert statements[0] == "BEGIN"
    assert statements[1:] == ["SELECT count(*) FROM t", "INSERT INTO t VALUES (1)"]


def test_unsafe_http_methods_declare_write_intent(app_factory):
    """A POST opens its SQLite transaction with BEGIN IMMEDIATE; a GET with a plain BEGIN."""
    from lms.db import _write_intent

    app = app_factory()
    seen = []

    @app.after_request
    def _probe(response):
        seen.append(_write_intent.get())
        return response

    client = app.test_client()
    client.get("/login")
    client.post("/login", data={})
    assert seen == [False, True]


# A table of its own metadata, so the models' metadata (and `flask db check`) never see it.
_probe = sa.Table(
    "utc_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime),
)


@pytest.fixture
def probe_table(app):
    _probe.create(db.session.connection())
    return _probe


def test_utc_datetimes_come_back_aware_and_in_utc(probe_table):
    tashkent = timezone(timedelta(hours=5))
    db.session.execute(
        probe_table.insert().values(id=1, at=datetime(2026, 3, 2, 14, 0, tzinfo=tashkent))
    )
    loaded = db.session.execute(sa.select(probe_table.c.at)).scalar_one()
    assert loaded == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert loaded.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(probe_table):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.execute(probe_table.insert().values(id=1, at=datetime(2026, 3, 2, 9, 0)))


def test_frozen_clock_drives_defaults(app, frozen_clock):
    from tests.factories import make_user

    user = make_user()
    assert user.created_at == frozen_clock.now()
    frozen_clock.advance(hours=2)
    assert make_user().created_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
