"""Fixtures shared by every test (ARCHITECTURE.md §7).

The suite runs on SQLite by default and on PostgreSQL when ``LMS_TEST_DATABASE_URL`` is
set: each test run then creates its own database on that server and drops it at the end,
so parallel runs on one machine never collide. The schema is built by the migrations.
Each test runs inside a transaction that is rolled back afterwards (commits in views and
commands become savepoint releases), so tests are isolated and fast.
"""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import make_url

# Tests are hermetic: no LMS_* setting of the developer's shell leaks into them.
for _name in [n for n in os.environ if n.startswith("LMS_") and n != "LMS_TEST_DATABASE_URL"]:
    del os.environ[_name]
os.environ["LMS_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="lms-test-instance-")

from lms import clock, create_app  # noqa: E402
from lms.config import normalise_database_url  # noqa: E402
from lms.extensions import db  # noqa: E402
from tests.factories import DEFAULT_PASSWORD, sign_in  # noqa: E402

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"

#: A fixed moment for the frozen clock: Monday 2 March 2026, 09:00 UTC.
FROZEN_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def base_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration every test app starts from."""
    config: dict[str, Any] = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
        # A fixed key, so production-mode apps of the tests start (tests of the key handling
        # set their own).
        "MENTORING_KEY": TEST_MENTORING_KEY,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        # Cheap hashing in tests; test_passwords checks the production parameters.
        "PASSWORD_HASH": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        "COURSES_DIR": str(DATA_DIR / "courses"),
        "ASSESSMENTS_DIR": str(DATA_DIR / "assessments"),
        # The shipped certificate templates (they are product, not test data).
        "CERTIFICATES_DIR": str(DATA_DIR.parents[1] / "certificates"),
        # Rendering a PDF at every completion would slow the whole suite; the certificate
        # tests and the browser tests turn it on.
        "CERTIFICATES_AUTO_ISSUE": False,
        # The suite checks certificates far more often than a visitor could; the rate
        # limit itself is tested with its own address.
        "VERIFY_RATE_LIMIT": "100000 per minute",
        "FORGOT_RATE_LIMIT": "100000 per minute",
    }
    config.update(overrides)
    return config


def on_postgresql() -> bool:
    return bool(os.environ.get("LMS_TEST_DATABASE_URL"))


@contextmanager
def temporary_database(tmp_dir: Path, label: str) -> Iterator[str]:
    """An empty database of the kind under test, dropped afterwards; yields its URL."""
    server_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_dir / f'{label}.sqlite3'}"
        return
    url = make_url(normalise_database_url(server_url))
    name = f"lms_test_{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def make_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Create extra empty databases (for migration tests, the live server) within the run."""
    stack: list[Any] = []

    def make(label: str) -> str:
        manager = temporary_database(tmp_path_factory.mktemp(label), label)
        stack.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[str], str]) -> str:
    """The run's own database, migrated to the newest revision."""
    url = make_database("main")
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    In Flask 3.1 a request reuses an app context that is already pushed, so ``g`` (the
    signed-in user, the chosen locale) and the database session would leak from one
    request to the next. Each request here runs in an empty ``contextvars`` context, as
    it would in a real server; it still sees the test's uncommitted data, because every
    session is bound to the test's connection.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


class _TestSession(FlaskSession):
    """A session bound to the test's connection, whatever the model's bind."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


@contextmanager
def isolated(app: Flask) -> Iterator[None]:
    """Run inside one outer transaction that is rolled back at the end."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "class_": _TestSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


#: A Fernet key for the tests only.
TEST_MENTORING_KEY = "LAiCWiBrPVJ4YjH-LpH5AaE5dxT3kr2sfPnGILc5ZQU="


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    new_app = create_app(base_config(database_url, **overrides))
    new_app.test_client_class = IsolatedClient
    return new_app


@pytest.fixture(scope="session")
def _session_app(database_url: str) -> Iterator[Flask]:
    session_app = make_test_app(database_url)
    yield session_app
    with session_app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The application, inside an app context and a transaction rolled back afterwards."""
    with isolated(_session_app):
        yield _session_app
    _session_app.extensions["lms.clock"] = clock.SystemClock()


@pytest.fixture
def app_factory(database_url: str, app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build an app with extra configuration, on the same database and equally isolated.

    It depends on ``app`` so that its contexts are pushed after, and popped before, the
    main app's; the data of a factory-made app lives in its own transaction.
    """
    stack: list[Any] = []

    def factory(**overrides: Any) -> Flask:
        new_app = make_test_app(database_url, **overrides)
        manager = isolated(new_app)
        manager.__enter__()
        stack.append((new_app, manager))
        return new_app

    yield factory
    for new_app, manager in reversed(stack):
        manager.__exit__(None, None, None)
        with new_app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def frozen_clock(app: Flask) -> clock.FrozenClock:
    """Freeze the application's clock at :data:`FROZEN_START`; move it with ``advance``."""
    frozen = clock.FrozenClock(FROZEN_START)
    app.extensions["lms.clock"] = frozen
    return frozen


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign ``user`` in through the real pages (with a second factor where the role
    requires one); returns the signed-in client."""

    def _login(user: Any, password: str = DEFAULT_PASSWORD) -> FlaskClient:
        sign_in(client, user, password)
        return client

    return _login


_BOOKKEEPING = re.compile(
    r"^\s*(SAVEPOINT|RELEASE|ROLLBACK TO|BEGIN|COMMIT|ROLLBACK|PRAGMA)\b", re.I
)


@dataclass
class QueryLog:
    """SQL statements run while counting (transaction bookkeeping excluded)."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as log: ...`` then assert on ``log.count``."""

    @contextmanager
    def counting() -> Iterator[QueryLog]:
        log = QueryLog()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not _BOOKKEEPING.match(statement):
                log.statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting
