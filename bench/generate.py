"""Benchmark data at Moodle's sizes: learners with organisations, cohorts, enrolments at
every stage, tests taken with their responses, certificates and mentoring sessions.

    .venv/bin/python bench/generate.py --size S|M|L|XL [--seed 1] [--database-url URL]
    .venv/bin/python bench/generate.py --learners 250 --database-url sqlite:////tmp/b.db

Sizes (learners): S 100, M 1 000, L 10 000, XL 50 000 (about a million responses and
20 000 mentoring sessions). Without ``--database-url`` it starts its own PostgreSQL on a
spare loopback port (bench/submit.py) and stops it afterwards (``--keep`` leaves it
running and prints its address). The database is migrated, the shipped content synced,
and everything else written in bulk: PostgreSQL ``COPY`` (SQLite: executemany), ids
assigned here, one password hash shared by every generated account. The same seed
gives the same data. Prints what it wrote and how long each part took.

Certificates are rows with their frozen facts but without PDFs (rendering 20 000 PDFs is
bench/certificates.py's subject): pages that list or verify them work, the PDF download
of a generated certificate answers 404.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SIZES = {"S": 100, "M": 1_000, "L": 10_000, "XL": 50_000}
#: The password of every generated account ("bench00042" …, "bench.mentor3" …).
PASSWORD = "a long bench password phrase"
COUNTRIES = ["KG", "KZ", "TJ", "UZ", "AF", "PK", "IQ"]
#: Share of enrolments at each stage: enrolled only, pre-test done, reading, completed.
STAGES = (("enrolled", 0.15), ("pre", 0.20), ("reading", 0.20), ("completed", 0.45))
LEARNERS_PER_COHORT = 25
#: Mentoring sessions per learner (XL: 20 000).
SESSIONS_PER_LEARNER = 0.4


class Bulk:
    """Rows into tables as fast as the database takes them: ``COPY`` on PostgreSQL,
    executemany elsewhere. Ids are assigned here (sequences are moved past them at the
    end), Python-side column defaults applied, values adapted to their column types."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.postgres = self.dialect.name == "postgresql"
        self.ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def next_id(self, table: sa.Table) -> int:
        if table.name not in self.ids:
            self.ids[table.name] = (
                self.connection.scalar(sa.select(sa.func.max(table.c.id))) or 0
            ) + 1
        value = self.ids[table.name]
        self.ids[table.name] += 1
        return value

    def _value(self, column: sa.Column[Any], value: Any) -> Any:
        kind = column.type
        if isinstance(kind, sa.types.TypeDecorator):
            value = kind.process_bind_param(value, self.dialect)
            kind = kind.impl_instance
        if value is None:
            return None
        if isinstance(kind, sa.JSON):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(kind, sa.Enum):
            return getattr(value, "value", value)
        return value

    def _defaults(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        for column in table.columns:
            if column.name in row or column.default is None:
                continue
            default = column.default
            if default.is_scalar:
                row[column.name] = default.arg
            elif default.is_callable:
                row[column.name] = default.arg(None)
        return row

    def write(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
        rows = [self._defaults(table, dict(row)) for row in rows]
        if not rows:
            return 0
        names = list(rows[0])
        columns = [table.c[name] for name in names]
        if self.postgres:
            cursor = self.connection.connection.driver_connection.cursor()
            quoted = ", ".join(f'"{name}"' for name in names)
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([self._value(c, row[c.name]) for c in columns])
            cursor.close()
        else:
            self.connection.execute(sa.insert(table), rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        return len(rows)

    def finish(self) -> None:
        """Move each sequence past the ids written here (PostgreSQL)."""
        if not self.postgres:
            return
        for name, next_value in self.ids.items():
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), {next_value - 1})"
            )


class Timer:
    def __init__(self) -> None:
        self.parts: list[tuple[str, float]] = []

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.parts.append((name, time.perf_counter() - start))


def generate(learners: int, *, seed: int = 1, now: datetime | None = None) -> dict[str, Any]:
    """Write the data (inside the current app context) and return what was written."""
    from flask import current_app

    import lms.models  # noqa: F401 - every model mapped, so every table is known
    from lms import clock
    from lms.accounts import passwords
    from lms.accounts.models import AgencyType, Role, Sex
    from lms.assessments import qtypes
    from lms.assessments import services as assessments
    from lms.assessments.models import AttemptSource, AttemptStatus, Question, QuestionVersion
    from lms.certificates import serials
    from lms.config import content_folders
    from lms.courses import services as courses
    from lms.courses.models import Course, Lesson, Module
    from lms.enrolments.models import CohortMode, EnrolmentStatus
    from lms.extensions import db
    from lms.mentoring import taxonomy
    from lms.mentoring.models import ActionStatus, SessionFormat, SessionStatus

    now = now or clock.now()
    rng = random.Random(seed)
    timer = Timer()
    # Every mapped class's table, by class name ("User", "Attempt", …).
    tables = {m.class_.__name__: m.local_table for m in db.Model.registry.mappers}

    with timer.part("content"):
        banks = content_folders(current_app.config["ASSESSMENTS_DIR"])
        assessments.sync_content(banks, now=now)
        courses.sync(
            content_folders(current_app.config["COURSES_DIR"]),
            known_tests=assessments.bank_catalogue(banks),
            now=now,
        )
        db.session.flush()
    connection = db.session.connection()
    bulk = Bulk(connection)
    password_hash = passwords.hash_password(PASSWORD, current_app.config["PASSWORD_HASH"])

    # --- Organisations and people -------------------------------------------------------
    with timer.part("people"):
        agency_rows, unit_rows = [], []
        units_of: dict[str, list[tuple[int, int]]] = {code: [] for code in COUNTRIES}
        for code in COUNTRIES:
            for kind in AgencyType:
                agency_id = bulk.next_id(tables["Agency"])
                agency_rows.append({"id": agency_id, "country_code": code, "type": kind,
                                    "name": f"Bench {kind.value} {code} {seed}",
                                    "created_at": now})  # fmt: skip
                for n in range(3):
                    unit_id = bulk.next_id(tables["Unit"])
                    unit_rows.append({"id": unit_id, "agency_id": agency_id,
                                      "name": f"Unit {n + 1}", "is_specialised": n == 0,
                                      "created_at": now})  # fmt: skip
                    units_of[code].append((agency_id, unit_id))
        bulk.write(tables["Agency"], agency_rows)
        bulk.write(tables["Unit"], unit_rows)
        sexes = [Sex.FEMALE, Sex.MALE, Sex.MALE, Sex.MALE, Sex.UNDISCLOSED]
        users, grants = [], []
        learner_ids: list[tuple[int, str, int, int]] = []

        def person(username: str, role: Role, code: str | None, *, unit: tuple[int, int] | None,
                   coordinates: str | None = None) -> int:  # fmt: skip
            user_id = bulk.next_id(tables["User"])
            users.append({
                "id": user_id, "username": username, "full_name": f"Bench {username}",
                "name_key": username, "sex": sexes[user_id % len(sexes)],
                "country_code": code, "agency_id": unit[0] if unit else None,
                "unit_id": unit[1] if unit else None, "password_hash": password_hash,
                "created_at": now,
            })  # fmt: skip
            grants.append({
                "id": bulk.next_id(tables["RoleGrant"]), "user_id": user_id, "role": role,
                "country_code": coordinates, "granted_at": now,
            })  # fmt: skip
            return user_id

        for n in range(learners):
            code = COUNTRIES[n % len(COUNTRIES)]
            unit = units_of[code][rng.randrange(len(units_of[code]))]
            learner_ids.append((person(f"bench{seed}.{n:05d}", Role.LEARNER, code, unit=unit),
                                code, unit[0], unit[1]))  # fmt: skip
        trainers = [person(f"bench{seed}.trainer{n}", Role.TRAINER, COUNTRIES[n % 7], unit=None)
                    for n in range(max(1, learners // 100))]  # fmt: skip
        mentors = [person(f"bench{seed}.mentor{n}", Role.MENTOR, COUNTRIES[n % 7], unit=None)
                   for n in range(max(1, learners // 500))]  # fmt: skip
        for code in COUNTRIES:
            person(f"bench{seed}.coordinator.{code.lower()}", Role.COORDINATOR, code,
                   unit=None, coordinates=code)  # fmt: skip
        person(f"bench{seed}.admin", Role.ADMIN, None, unit=None)
        bulk.write(tables["User"], users)
        bulk.write(tables["RoleGrant"], grants)

    # --- Courses, cohorts, enrolments, lessons -------------------------------------------
    with timer.part("enrolments"):
        course_list = db.session.scalars(
            sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
        ).all()
        lessons_of = {
            course.id: db.session.execute(
                sa.select(Lesson.id, Lesson.current_version)
                .join(Module, Module.id == Lesson.module_id)
                .where(Module.course_id == course.id, Lesson.retired_at.is_(None))
                .order_by(Module.position, Lesson.position)
            ).all()
            for course in course_list
        }
        cohort_rows, trainer_rows = [], []
        cohorts_of: dict[tuple[int, str], list[int]] = {}
        for n in range(max(1, learners // LEARNERS_PER_COHORT)):
            course = course_list[n % len(course_list)]
            code = COUNTRIES[n % len(COUNTRIES)]
            start = (now - timedelta(days=rng.randrange(5, 700))).date()
            cohort_id = bulk.next_id(tables["Cohort"])
            cohort_rows.append({
                "id": cohort_id, "course_id": course.id, "name": f"Bench {code} {n}",
                "country_code": code, "mode": list(CohortMode)[n % 3], "starts_on": start,
                "ends_on": start + timedelta(days=4), "created_at": now,
            })  # fmt: skip
            trainer_rows.append({
                "id": bulk.next_id(tables["CohortTrainer"]), "cohort_id": cohort_id,
                "user_id": trainers[n % len(trainers)],
            })  # fmt: skip
            cohorts_of.setdefault((course.id, code), []).append(cohort_id)
        bulk.write(tables["Cohort"], cohort_rows)
        bulk.write(tables["CohortTrainer"], trainer_rows)

        enrolments, progress = [], []
        #: (enrolment id, user id, course, stage, when)
        taking: list[tuple[int, int, Any, str, datetime]] = []
        stages = [name for name, _share in STAGES]
        weights = [share for _name, share in STAGES]
        for user_id, code, _agency, _unit in learner_ids:
            count = rng.choices((1, 2, 3), weights=(0.55, 0.3, 0.15))[0]
            for course in rng.sample(list(course_list), k=min(count, len(course_list))):
                stage = rng.choices(stages, weights=weights)[0]
                when = now - timedelta(days=rng.randrange(1, 600), minutes=rng.randrange(1440))
                lessons = lessons_of[course.id]
                read = (len(lessons) if stage == "completed" else
                        rng.randrange(len(lessons) + 1) if stage == "reading" else 0)  # fmt: skip
                enrolment_id = bulk.next_id(tables["Enrolment"])
                in_cohort = cohorts_of.get((course.id, code))
                enrolments.append({
                    "id": enrolment_id, "user_id": user_id, "course_id": course.id,
                    "cohort_id": rng.choice(in_cohort) if in_cohort and rng.random() < 0.6
                    else None,
                    "status": EnrolmentStatus.COMPLETED if stage == "completed"
                    else EnrolmentStatus.ACTIVE,
                    "enrolled_at": when, "form_order": enrolment_id % 2,
                    "pre_test_done_at": when + timedelta(hours=1) if stage != "enrolled"
                    else None,
                    "lessons_done_at": when + timedelta(days=3) if read == len(lessons)
                    and stage in ("reading", "completed") else None,
                    "post_test_passed_at": when + timedelta(days=4) if stage == "completed"
                    else None,
                    "completed_at": when + timedelta(days=4) if stage == "completed" else None,
                })  # fmt: skip
                for position, (lesson_id, version) in enumerate(lessons[:read]):
                    progress.append({
                        "id": bulk.next_id(tables["LessonProgress"]),
                        "enrolment_id": enrolment_id, "lesson_id": lesson_id,
                        "version": version, "completed_at": when + timedelta(hours=2 + position),
                    })  # fmt: skip
                taking.append((enrolment_id, user_id, course, stage, when))
        bulk.write(tables["Enrolment"], enrolments)
        bulk.write(tables["LessonProgress"], progress)

    # --- Tests taken, with their responses -----------------------------------------------
    with timer.part("attempts"):
        versions = db.session.execute(
            sa.select(Question.id, Question.bank_id, QuestionVersion.id, QuestionVersion.content,
                      Question.category_id)
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(
                QuestionVersion.version == Question.current_version,
                Question.retired_at.is_(None),
            )
            .order_by(Question.bank_id, Question.position, Question.id)
        ).all()  # fmt: skip
        from lms.assessments.models import QuestionBank, QuestionCategory

        bank_ids = dict(db.session.execute(sa.select(QuestionBank.name, QuestionBank.id)).all())
        category_paths = dict(
            db.session.execute(sa.select(QuestionCategory.id, QuestionCategory.path)).all()
        )
        # Per question: its presentation in question order, a right response, and the
        # points a wrong (blank) one gets; computed once, reused for every response.
        prepared: dict[int, tuple[int, int, dict[str, Any], dict[str, Any] | None, bool]] = {}
        by_bank: dict[int, list[int]] = {}
        for question_id, bank_id, version_id, content, category_id in versions:
            parsed = assessments.from_content(content, category=None)
            try:
                right = qtypes.correct_response(parsed)
                presentation = qtypes.present(parsed, 0, shuffle=False).to_dict()
            except ValueError:  # a description: not a question to answer
                continue
            prepared[question_id] = (version_id, category_id, presentation, right,
                                     bool(getattr(qtypes.kind_of(parsed), "needs_marking",
                                                  False)))  # fmt: skip
            by_bank.setdefault(bank_id, []).append(question_id)

        def paper(course: Any, key: str) -> tuple[int, list[int], float] | None:
            spec = (course.tests or {}).get(key)
            if not spec or spec.get("bank") not in bank_ids:
                return None
            bank_id = bank_ids[spec["bank"]]
            questions = by_bank.get(bank_id, [])
            forms = spec.get("forms") or []
            if forms:
                wanted = forms[0]
                questions = [
                    q for q in questions
                    if category_paths.get(prepared[q][1], "").endswith(wanted)
                ]  # fmt: skip
            items = spec.get("items") or len(questions)
            mark = float(spec.get("pass_mark") or course.pass_mark)
            return (bank_id, questions[:items], mark) if questions else None

        papers = {(c.id, key): paper(c, key) for c in course_list for key in ("pre", "post")}
        attempts, items = [], []
        for enrolment_id, user_id, course, stage, when in taking:
            ability = rng.uniform(0.25, 0.65)
            plan = []
            if stage != "enrolled":
                plan.append(("pre", 1, ability, when + timedelta(hours=1)))
            if stage == "completed":
                gain = min(0.97, ability + rng.uniform(0.1, 0.45))
                if rng.random() < 0.1:  # failed once, then passed on a retake
                    plan.append(("post", 1, ability, when + timedelta(days=3)))
                    plan.append(("post", 2, max(gain, 0.9), when + timedelta(days=4)))
                else:
                    plan.append(("post", 1, max(gain, 0.75), when + timedelta(days=4)))
            for key, number, share, at in plan:
                chosen = papers.get((course.id, key))
                if chosen is None:
                    continue
                bank_id, questions, mark = chosen
                attempt_id = bulk.next_id(tables["Attempt"])
                right = [rng.random() < share for _q in questions]
                score = round(100.0 * sum(right) / len(questions), 2)
                attempts.append({
                    "id": attempt_id, "enrolment_id": enrolment_id, "user_id": user_id,
                    "course_id": course.id, "test_key": key, "number": number,
                    "bank_id": bank_id, "language": "en", "source": AttemptSource.ONLINE,
                    "status": AttemptStatus.SCORED, "started_at": at,
                    "submitted_at": at + timedelta(minutes=20),
                    "scored_at": at + timedelta(minutes=20), "max_points": len(questions),
                    "points": float(sum(right)), "score": score, "passed": score >= mark,
                    "pass_mark": mark,
                })  # fmt: skip
                answered = zip(questions, right, strict=True)
                for position, (question_id, good) in enumerate(answered, start=1):
                    version_id, _category, presentation, response, _essay = prepared[question_id]
                    items.append({
                        "id": bulk.next_id(tables["AttemptItem"]), "attempt_id": attempt_id,
                        "position": position, "question_id": question_id,
                        "question_version_id": version_id, "presentation": presentation,
                        "response": response if good else None,
                        "saved_at": at + timedelta(minutes=position),
                        "fraction": 1.0 if good else 0.0, "needs_marking": False,
                    })  # fmt: skip
            if len(items) > 200_000:
                bulk.write(tables["Attempt"], attempts)
                bulk.write(tables["AttemptItem"], items)
                attempts, items = [], []
        bulk.write(tables["Attempt"], attempts)
        bulk.write(tables["AttemptItem"], items)

    # --- Certificates ----------------------------------------------------------------------
    with timer.part("certificates"):
        certificates = []
        for enrolment_id, user_id, course, stage, when in taking:
            if stage != "completed":
                continue
            certificates.append({
                "id": bulk.next_id(tables["Certificate"]), "serial": serials.new_serial(),
                "enrolment_id": enrolment_id, "user_id": user_id, "course_id": course.id,
                "course_version": course.version, "country_code": None,
                "holder_name": f"Bench learner {user_id}",
                "course_title": course.texts.get("en", {}).get("title", course.slug),
                "language": "en", "template": "completion-en",
                "completed_on": (when + timedelta(days=4)).date(),
                "issued_at": when + timedelta(days=4), "issuers": ["UNODC"],
            })  # fmt: skip
        bulk.write(tables["Certificate"], certificates)

    # --- Mentoring -------------------------------------------------------------------------
    with timer.part("mentoring"):
        members: dict[int, list[int]] = {}
        for user_id, _code, _agency, unit_id in learner_ids:
            members.setdefault(unit_id, []).append(user_id)
        mentored = sorted(u for u in members if members[u])
        assignment_rows = [
            {"id": bulk.next_id(tables["MentorAssignment"]), "mentor_id": mentors[n % len(mentors)],
             "unit_id": unit_id, "starts_on": (now - timedelta(days=720)).date(),
             "created_at": now}
            for n, unit_id in enumerate(mentored)
        ]  # fmt: skip
        bulk.write(tables["MentorAssignment"], assignment_rows)
        mentor_of = {row["unit_id"]: row["mentor_id"] for row in assignment_rows}
        sessions, links, attendees, actions = [], [], [], []
        topic_keys = list(taxonomy.TOPIC_KEYS_ORDER)
        for n in range(int(learners * SESSIONS_PER_LEARNER)):
            unit_id = mentored[n % len(mentored)]
            held_on = (now - timedelta(days=rng.randrange(1, 700))).date()
            session_id = bulk.next_id(tables["MentoringSession"])
            sessions.append({
                "id": session_id, "unit_id": unit_id, "status": SessionStatus.SUBMITTED,
                "held_on": held_on, "duration_minutes": rng.choice((60, 90, 120, 180)),
                "format": rng.choice(list(SessionFormat)), "location": "Bench",
                "topics": rng.sample(topic_keys, k=2), "others": [], "case_refs": [],
                "observations": "The unit reviewed two case files with the mentor.",
                "version": 1, "created_by_id": mentor_of[unit_id], "created_at": now,
                "updated_at": now, "submitted_at": now,
            })  # fmt: skip
            links.append({"session_id": session_id, "user_id": mentor_of[unit_id]})
            present = rng.sample(members[unit_id], k=min(4, len(members[unit_id])))
            attendees += [{"session_id": session_id, "user_id": u} for u in present]
            for k in range(2):
                done = held_on < (now - timedelta(days=60)).date()
                actions.append({
                    "id": bulk.next_id(tables["ActionPoint"]), "session_id": session_id,
                    "unit_id": unit_id, "text": f"Action {k + 1} agreed with the unit",
                    "owner_id": present[k % len(present)], "due_on": held_on + timedelta(days=30),
                    "status": ActionStatus.DONE if done else ActionStatus.OPEN,
                    "closed_on": held_on + timedelta(days=25) if done else None,
                    "created_at": now,
                })  # fmt: skip
        bulk.write(tables["MentoringSession"], sessions)
        bulk.write(db.metadata.tables["mentoring_session_mentor"], links)
        bulk.write(tables["SessionAttendee"], attendees)
        bulk.write(tables["ActionPoint"], actions)
    bulk.finish()
    return {
        "learners": learners,
        "seed": seed,
        "rows": dict(sorted(bulk.counts.items())),
        "seconds": {name: round(seconds, 2) for name, seconds in timer.parts},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", choices=sorted(SIZES), default="S")
    size.add_argument("--learners", type=int, help="any number of learners instead")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", help="a migrated or empty database (default: own PostgreSQL)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the own PostgreSQL running")
    args = parser.parse_args()
    learners = args.learners or SIZES[args.size]

    from flask_migrate import upgrade

    from bench.submit import Postgres
    from lms import create_app
    from lms.extensions import db

    server = None if args.database_url else Postgres()
    url = args.database_url or server.url  # type: ignore[union-attr]
    try:
        app = create_app({"ENV": "development", "DATABASE_URL": url,
                          "CERTIFICATES_AUTO_ISSUE": False})  # fmt: skip
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            report = generate(learners, seed=args.seed, now=datetime.now(UTC))
            db.session.commit()
        report["total_seconds"] = round(time.perf_counter() - started, 1)
        report["database_url"] = url
        print(json.dumps(report, indent=2))
    finally:
        if server is not None and not args.keep:
            server.stop()


if __name__ == "__main__":
    main()
