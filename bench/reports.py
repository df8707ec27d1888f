"""Benchmark: the indicator report and the coordinators' dashboard against the bare SQL
aggregates they run, in the same run, on generated data.

    .venv/bin/python bench/reports.py [--size XL] [--runs 5] [--database-url URL]

Generates ``--size`` (bench/generate.py) into its own PostgreSQL on a spare loopback port
(or uses ``--database-url``, already generated), analyses the tables, then for each of
three scopes (every country; two countries; one country) and each of the indicator
report and the dashboard:

- **service**: the report function (lms.reports.indicators / dashboard), timed in
  process, ``--runs`` times (median);
- **bare SQL**: the very statements the function sent, with their parameters, replayed
  on a raw DB-API cursor and fetched, ``--runs`` times (median); the floor the report
  cannot beat;
- **page**: the HTML page through Flask's test client as the administrator (one
  statement set more: the session, the form's choices), median of ``--runs``.

Prints a JSON object and a Markdown table; the target is service ≤ 1.5 × bare SQL.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "a long bench password phrase"
SIZES = {"S": 100, "M": 1_000, "L": 10_000, "XL": 50_000}
SCOPES: dict[str, frozenset[str] | None] = {
    "every country": None,
    "KG and TJ": frozenset({"KG", "TJ"}),
    "KG": frozenset({"KG"}),
}


def _median_ms(action: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def _captured(action: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements (with parameters) ``action`` sends."""
    import sqlalchemy as sa

    from lms.extensions import db

    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return statements


def _replay(statements: list[tuple[str, Any]]) -> Callable[[], None]:
    from lms.extensions import db

    def run() -> None:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            cursor.close()
        finally:
            connection.close()

    return run


def _admin_client(app: Any) -> Any:
    """A test client signed in as the generated administrator, second factor enrolled."""
    import pyotp
    import sqlalchemy as sa
    from flask import current_app

    from lms import clock
    from lms.accounts import security
    from lms.accounts.models import User
    from lms.extensions import db

    admin = db.session.scalar(sa.select(User).where(User.username.like("bench%.admin")))
    assert admin is not None, "no generated administrator"
    secret = security.new_totp_secret()
    totp = pyotp.TOTP(secret)
    now = clock.now()
    security.enable_2fa(
        admin, secret, totp.generate_otp(totp.timecode(now)),
        settings=security.Settings.from_config(current_app.config), now=now,
    )  # fmt: skip
    db.session.commit()
    client = app.test_client()
    answer = client.post("/login", data={"username": admin.username, "password": PASSWORD})
    if answer.headers.get("Location", "").endswith("/login/code"):
        done = client.post("/login/code", data={"code": totp.at(time.time() + 30)})
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    else:
        raise AssertionError(f"sign-in: {answer.status_code} {answer.headers}")
    return client


def measure(app: Any, runs: int) -> dict[str, Any]:
    from lms.extensions import db
    from lms.reports import dashboard, indicators
    from lms.reports.dashboard import Filters

    today = datetime.now(UTC).date()
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    rows: list[dict[str, Any]] = []
    with app.app_context():
        for scope_name, countries in SCOPES.items():
            for name, action in (
                ("indicator report",
                 lambda c=countries: indicators.report(start, end, countries=c)),
                ("dashboard", lambda c=countries: dashboard.dashboard(Filters(start, end, c))),
            ):  # fmt: skip
                action()  # warm: plans cached, the ORM's compiled forms built
                db.session.rollback()
                statements = _captured(action)
                db.session.rollback()
                bare = _replay(statements)
                bare()
                rows.append({
                    "report": name, "scope": scope_name, "statements": len(statements),
                    "service_ms": _median_ms(action, runs),
                    "bare_sql_ms": _median_ms(bare, runs),
                })  # fmt: skip
                db.session.rollback()
        client = _admin_client(app)
    # Requests outside the benchmark's app context: each pushes its own, as in a server.
    pages = {}
    for path in ("/reports/indicators", "/reports/dashboard"):
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code)
        pages[path] = _median_ms(lambda p=path: client.get(p), runs)
    for row in rows:
        row["ratio"] = round(row["service_ms"] / row["bare_sql_ms"], 2)
    return {"rows": rows, "pages_ms": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="XL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="a database bench/generate.py already filled")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from bench.generate import generate
    from bench.submit import Postgres
    from lms import create_app
    from lms.extensions import db

    server = None if args.database_url else Postgres()
    url = args.database_url or server.url  # type: ignore[union-attr]
    try:
        app = create_app({"ENV": "development", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                          "CERTIFICATES_AUTO_ISSUE": False})  # fmt: skip
        generated: dict[str, Any] = {}
        if server is not None:
            with app.app_context():
                upgrade()
                generated = generate(SIZES[args.size], seed=1, now=datetime.now(UTC))
                db.session.commit()
                with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
        result = measure(app, args.runs)
        result["size"] = args.size
        result["generated"] = {k: v for k, v in generated.items() if k != "seconds"}
        print(json.dumps(result, indent=2))
        print("\n| Report | Scope | Statements | Service ms | Bare SQL ms | Ratio |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for row in result["rows"]:
            print(f"| {row['report']} | {row['scope']} | {row['statements']} | "
                  f"{row['service_ms']} | {row['bare_sql_ms']} | {row['ratio']} |")  # fmt: skip
        for path, ms in result["pages_ms"].items():
            print(f"page {path}: {ms} ms")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
