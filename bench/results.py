"""Benchmark: a cohort's results page (and its API, CSV and XLSX) at 10 000 learners.

    .venv/bin/python bench/results.py [--learners 10000] [--items 30] [--runs 5] [--sqlite]

Starts its own PostgreSQL on a spare loopback port (see bench/submit.py; ``--sqlite`` uses
a SQLite file instead), migrates it, and writes one face-to-face cohort of ``--learners``
learners (sex, country and agency type varied) who each took a pre-test and a post-test
of ``--items`` questions (forms A and B; questions tagged by module and objective), in
bulk through SQL. Then the cohort's trainer-equivalent (an administrator, signed in with
a second factor) requests the page, the API, the CSV and the XLSX ``--runs`` times each;
each request is timed end to end in the process (Flask's test client: no network) and its
SQL statements counted. Prints the median and the slowest time of each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.submit import Postgres, enable_totp  # noqa: E402

PASSWORD = "a long bench password phrase"
COUNTRIES = ["KG", "KZ", "TJ", "UZ", "AF", "PK", "IQ"]


def _bank(items: int) -> bytes:
    text = ""
    for form in ("a", "b"):
        text += f"$CATEGORY: bench/form-{form}\n\n"
        for n in range(items):
            text += (
                f"// [id:{form}{n}] [tag:module-{n % 3 + 1}] [tag:lo-{n % 6 + 1}]\n"
                f"::{form.upper()}{n}::Question {n} of form {form}: which is right?"
                "{=right#Yes. ~wrong one#No. ~wrong two#No. ~wrong three#No.}\n\n"
            )
    return text.encode()


def _prepare(learners: int, items: int) -> tuple[int, str]:
    """The cohort (its id) and an administrator's TOTP seed; everything else in bulk."""
    import sqlalchemy as sa

    from lms import clock
    from lms.accounts import services as accounts
    from lms.accounts.models import Agency, AgencyType, Role, Sex, User
    from lms.assessments.models import (
        Attempt,
        AttemptItem,
        AttemptSource,
        AttemptStatus,
        Question,
        QuestionBank,
        QuestionCategory,
        QuestionVersion,
    )
    from lms.assessments.services import import_bank, read_bank_file
    from lms.courses.models import Course, Module
    from lms.enrolments.models import Cohort, CohortMode, Enrolment, EnrolmentStatus
    from lms.extensions import db

    now = clock.now()
    import_bank(read_bank_file(_bank(items), "gift"), bank_name="bench/bank", now=now)
    definition = {"bank": "bench/bank", "forms": ["bench/form-a", "bench/form-b"],
                  "items": None, "time_limit": None, "attempts": 1, "pass_mark": 70.0,
                  "reveal": "score"}  # fmt: skip
    course = Course(
        slug="bench", folder="-", texts={"en": {"title": "Bench", "summary": ""}},
        languages=["en"], version="1", content_hash="0" * 64, pre_test="bench/bank",
        post_test="bench/bank", objectives=[{"id": f"lo-{n}", "text": f"Objective {n}"}
                                            for n in range(1, 7)],
        tests={"pre": definition, "post": {**definition, "reveal": "answers"}},
    )  # fmt: skip
    db.session.add(course)
    db.session.flush()
    for m in range(3):
        db.session.add(Module(course_id=course.id, key=f"0{m + 1}", position=m,
                              texts={"en": {"title": f"Module {m + 1}"}}))  # fmt: skip
    cohort = Cohort(
        course_id=course.id, name="Bench cohort", country_code="KG",
        mode=CohortMode.FACE_TO_FACE, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6),
    )  # fmt: skip
    db.session.add(cohort)
    agencies = []
    for code in COUNTRIES:
        for kind in AgencyType:
            agency = Agency(country_code=code, name=f"{code} {kind.value}", type=kind)
            db.session.add(agency)
            agencies.append(agency)
    db.session.flush()
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == "bench/bank"))
    rows = db.session.execute(
        sa.select(QuestionCategory.path, Question.id, QuestionVersion.id)
        .join(Question, Question.category_id == QuestionCategory.id)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.position)
    ).all()
    forms = {name: [(q, v) for path, q, v in rows if path.endswith(name)] for name in ("a", "b")}
    rng = random.Random(1)
    sexes = [Sex.FEMALE, Sex.MALE, Sex.MALE, Sex.UNDISCLOSED]
    db.session.execute(
        sa.insert(User),
        [
            {
                "username": f"bench{n:05d}",
                "full_name": f"Bench Learner {n}",
                "name_key": f"bench{n}",
                "sex": sexes[n % 4],
                "country_code": COUNTRIES[n % 7],
                "agency_id": agencies[(n * 3) % len(agencies)].id,
                "created_at": now,
            }
            for n in range(learners)
        ],
    )
    users = db.session.scalars(
        sa.select(User.id).where(User.username.like("bench%")).order_by(User.id)
    ).all()
    db.session.execute(
        sa.insert(Enrolment),
        [
            {
                "user_id": u,
                "course_id": course.id,
                "cohort_id": cohort.id,
                "status": EnrolmentStatus.ACTIVE,
                "enrolled_at": now,
                "form_order": n % 2,
            }
            for n, u in enumerate(users)
        ],
    )
    enrolments = db.session.execute(
        sa.select(Enrolment.id, Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    ).all()
    attempts = []
    for n, (enrolment_id, user_id) in enumerate(enrolments):
        ability = rng.uniform(0.2, 0.7)
        for key, form, share in (
            ("pre", "ab"[n % 2], ability),
            ("post", "ba"[n % 2], min(0.98, ability + rng.uniform(-0.05, 0.4))),
        ):
            fractions = [1.0 if rng.random() < share else 0.0 for _ in range(items)]
            score = 100.0 * sum(fractions) / items
            attempts.append(
                (
                    {"enrolment_id": enrolment_id, "user_id": user_id, "course_id": course.id,
                     "test_key": key, "number": 1, "bank_id": bank.id,
                     "form": f"bench/form-{form}", "language": "en",
                     "source": AttemptSource.CLASSROOM, "status": AttemptStatus.SCORED,
                     "started_at": now, "submitted_at": now, "scored_at": now,
                     "max_points": items, "points": sum(fractions), "score": score,
                     "passed": score >= 70, "pass_mark": 70.0},
                    form,
                    fractions,
                )
            )  # fmt: skip
    for start in range(0, len(attempts), 2000):
        chunk = attempts[start : start + 2000]
        ids = db.session.scalars(
            sa.insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
            [row for row, _f, _x in chunk],
        ).all()
        db.session.execute(
            sa.insert(AttemptItem),
            [
                {
                    "attempt_id": attempt_id,
                    "position": p + 1,
                    "question_id": q,
                    "question_version_id": v,
                    "presentation": {},
                    "response": {},
                    "fraction": fractions[p],
                }
                for attempt_id, (_row, form, fractions) in zip(ids, chunk, strict=True)
                for p, (q, v) in enumerate(forms[form][:items])
            ],
        )
    admin = accounts.create_user(
        username="bench.admin", full_name="Bench Admin", password=PASSWORD,
        roles=[Role.ADMIN], now=now,
    )  # fmt: skip
    secret = enable_totp(admin, now)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return cohort.id, secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    options = parser.parse_args()

    import pyotp
    from flask_migrate import upgrade
    from sqlalchemy import event

    from lms import clock, create_app
    from lms.extensions import db

    postgres = None if options.sqlite else Postgres()
    workdir = tempfile.mkdtemp(prefix="lms-bench-")
    url = f"sqlite:///{workdir}/bench.sqlite3" if postgres is None else postgres.url
    try:
        app = create_app({"ENV": "development", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        frozen = clock.FrozenClock(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
        app.extensions["lms.clock"] = frozen
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            cohort_id, secret = _prepare(options.learners, options.items)
            print(
                f"data: {options.learners} learners × 2 tests × {options.items} items "
                f"written in {time.perf_counter() - started:.1f} s "
                f"({'SQLite' if postgres is None else 'PostgreSQL'})"
            )
            statements: list[str] = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/login", data={"username": "bench.admin", "password": PASSWORD})
        frozen.advance(timedelta(seconds=30))
        code = pyotp.TOTP(secret).at(frozen.now())
        assert client.post("/login/code", data={"code": code}).status_code == 302
        base = f"/cohorts/{cohort_id}/results"
        for label, path in (
            ("page (HTML)", base),
            ("CSV (learners)", f"{base}?format=csv&table=learners"),
            ("XLSX (3 sheets)", f"{base}?format=xlsx"),
        ):
            times, counts = [], []
            for _ in range(options.runs):
                statements.clear()
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                counts.append(len(statements))
                assert response.status_code == 200, response.status_code
            print(
                f"{label:16} median {statistics.median(times) * 1000:7.0f} ms, "
                f"slowest {max(times) * 1000:7.0f} ms, {counts[-1]} SQL statements, "
                f"{len(response.data) // 1024} KiB"
            )
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
