"""Fault tests: the app under gunicorn while things go wrong, checked in the database.

    .venv/bin/python bench/faults/run.py [SCENARIO ...] [--soak-seconds 600]

Scenarios (all by default, in this order):

- ``duplicate-submits``: 50 concurrent submits of one post-test (one session, one token,
  as a double click and retries would send them) → one score, one audit entry, one
  certificate;
- ``duplicate-issues``: 50 concurrent "issue the cohort's certificates" → one certificate;
- ``kill-submit``: ``kill -9`` of the workers while a submit is inside its transaction
  (a trigger holds it there) → the attempt is still open with its saved answers, and a
  new submit scores it once;
- ``postgres-restart``: PostgreSQL restarted under load → only clean 503s while it is
  down, then 200s again; the workers survive;
- ``redis-down``: Redis stopped → rate limits still hold (counted in each process),
  sign-in lockouts hold (kept in the database), a certificate bundle is built at once,
  ``/healthz`` says "degraded"; Redis back → limits shared again;
- ``disk-full``: the certificates' PDFs on a full file system (a tablespace on a tiny
  tmpfs; needs root) → the post-test is scored and the course completed, no certificate
  half-issued; space back → the coordinator issues it, PDF and all;
- ``soak``: ``--soak-seconds`` at 8 connections over pages and answer saves → no error,
  and the workers' memory flat.

Everything runs on loopback with its own PostgreSQL and Redis on spare ports (the shared
services on 5432 and 6379 are never touched), in bounded loops. Results are printed as a
Markdown table for docs/security.md; the exit status is 1 if any scenario failed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.submit import Postgres, _bank, _free_port, enable_totp  # noqa: E402

PASSWORD = "a long fault-test password phrase"
SECRET = "a-fault-test-secret-key-that-is-long-enough-0123456789"
ITEMS = 8


# --- services -------------------------------------------------------------------------


class Redis:
    """A throwaway Redis on a spare loopback port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(50):
            if _redis_ping(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("the fault Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _redis_ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _pg_start(postgres: Postgres) -> None:
    """Start the fault PostgreSQL again, on its own port and socket folder."""
    _pg(postgres, "-w", "-l", str(postgres.dir / "log"), "-o",
        f"-p {postgres.port} -k {postgres.dir} -c fsync=off -c max_connections=100 "
        "-c listen_addresses=127.0.0.1", "start")  # fmt: skip


def _pg(postgres: Postgres, *args: str) -> None:
    subprocess.run(
        [*postgres.run_as, str(postgres.bin / "pg_ctl"), "-D", str(postgres.dir / "data"), *args],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


class Server:
    """The app under gunicorn (production settings, 2 workers of 4 threads)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        descriptor, name = tempfile.mkstemp(prefix="lms-faults-", suffix=".log")
        self.log = Path(name)
        out = os.fdopen(descriptor, "wb")
        # -c /dev/null: no worker recycling (max_requests), so memory growth would show.
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "/dev/null", "-w", "2", "-k", "gthread",
             "--threads", "4", "-b", f"127.0.0.1:{self.port}", "--timeout", "60",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        out.close()
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=5).read()  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        return sorted(int(pid) for pid in found)

    def rss_kib(self) -> int:
        total = 0
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        return total

    def errors_logged(self) -> str:
        """Requests that failed unexpectedly: a 500 (the app's "unhandled error") or an
        exception that escaped to gunicorn. Logged outages and the disk-full renderer
        failure are expected and not counted."""
        text = self.log.read_text(errors="replace")
        markers = ("unhandled error on", "Error handling request")
        return "\n".join(line for line in text.splitlines() if any(m in line for m in markers))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- the world ------------------------------------------------------------------------


def _world(app: Any, learners: int) -> dict[str, Any]:
    """A post-test-only course (passing it completes the course, which issues the
    certificate), ``learners`` learners in a KG cohort each with an open attempt whose
    answers are saved, a KG coordinator with a second factor, and an admin."""

    from lms import clock
    from lms.accounts import services as accounts
    from lms.accounts.models import Role
    from lms.assessments import attempts, qtypes
    from lms.assessments.services import import_bank, read_bank_file
    from lms.courses.models import Course
    from lms.enrolments import cohorts
    from lms.enrolments import services as enrolments
    from lms.enrolments.models import CohortMode
    from lms.extensions import db

    now = clock.now()
    import_bank(read_bank_file(_bank(ITEMS), "gift"), bank_name="bench/bank", now=now)
    course = Course(
        slug="faults", folder="-", texts={"en": {"title": "Fault drill", "summary": ""}},
        languages=["en"], version="1", content_hash="0" * 64, post_test="bench/bank",
        tests={"post": {"bank": "bench/bank", "forms": ["bench/form-a"], "items": None,
                        "time_limit": 60, "attempts": 3, "pass_mark": 70.0,
                        "reveal": "score"}},
    )  # fmt: skip
    db.session.add(course)
    db.session.flush()
    from datetime import date

    cohort = cohorts.create_cohort(
        cohorts.CohortDetails(course=course, name="Fault drill", country_code="KG",
                              mode=CohortMode.ONLINE, starts_on=date(2026, 11, 2),
                              ends_on=date(2026, 12, 18), trainers=()),
        by=None, now=now,
    )  # fmt: skip
    people = []
    for n in range(learners):
        user = accounts.create_user(
            username=f"fault{n:03d}", full_name=f"Fault Learner {n}", password=PASSWORD,
            roles=[Role.LEARNER], country_code="KG", now=now,
        )  # fmt: skip
        enrolment = enrolments.enrol(user, course, now=now)
        enrolment.cohort_id = cohort.id
        enrolment.lessons_done_at = now
        attempt = attempts.start(enrolment, course, "post", language="en", now=now)
        responses = {
            item.position: qtypes.correct_response(question)
            for item, question in attempts.load_items(attempt)
        }
        attempts.save(attempt, responses, now=now)
        people.append({"username": user.username, "attempt": attempt.id,
                       "enrolment": enrolment.id})  # fmt: skip
    coordinator = accounts.create_user(
        username="fault.coordinator", full_name="Fault Coordinator", password=PASSWORD,
        roles=[Role.COORDINATOR], coordinator_country="KG", country_code="KG", now=now,
    )  # fmt: skip
    secret = enable_totp(coordinator, now)
    db.session.commit()
    return {"learners": people, "cohort": cohort.id, "coordinator": coordinator.username,
            "totp": secret}  # fmt: skip


# --- an HTTP client -------------------------------------------------------------------


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except OSError as error:  # refused, reset, timed out: counted as such
            return 0, f"{type(error).__name__}: {error}"

    def token(self, path: str) -> str:
        status, page = self.request(path)
        token = _form(page).get("csrf_token")
        if not token:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return token

    def sign_in(self, username: str, totp: str | None = None) -> Browser:
        import pyotp

        token = self.token("/login")
        self.request("/login", {"username": username, "password": PASSWORD, "csrf_token": token})
        if totp:
            code = pyotp.TOTP(totp).at(time.time() + 30)  # the current one enabled it
            self.request("/login/code", {"code": code, "csrf_token": self.token("/login/code")})
        return self


class _Inputs(HTMLParser):
    """The form fields of a test page: the CSRF token, the checked answers and every
    option."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: dict[str, str] = {}
        self.options: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag != "input" or not fields.get("name"):
            return
        name, value = fields["name"] or "", fields.get("value") or ""
        if fields.get("type") == "hidden" or "checked" in fields:
            self.checked[name] = value
        if fields.get("type") == "radio":
            self.options.setdefault(name, value)


def _form(page: str, *, saved: bool = True) -> dict[str, str]:
    """What the test page would send: its token with the saved answers (``saved``) or the
    first option of every question."""
    inputs = _Inputs()
    inputs.feed(page)
    if saved:
        return inputs.checked
    return {**inputs.options, "csrf_token": inputs.checked["csrf_token"]}


def _together(count: int, call: Callable[[], tuple[int, str]]) -> Counter[int]:
    """``count`` threads released at once by a barrier; the statuses they got."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        status, _body = call()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


# --- scenarios ------------------------------------------------------------------------


class Drill:
    """The services, the server and the world the scenarios share."""

    def __init__(self, soak_seconds: int) -> None:
        from cryptography.fernet import Fernet

        from lms import crypto

        self.soak_seconds = soak_seconds
        self.postgres = Postgres()
        # Abort a transaction whose client went away even while a statement still runs.
        with open(self.postgres.dir / "data" / "postgresql.auto.conf", "a") as conf:
            conf.write("client_connection_check_interval = 500\n")
        _pg(self.postgres, "-m", "fast", "-w", "stop")
        _pg_start(self.postgres)
        self.redis = Redis()
        self.env = {
            **os.environ, "LMS_ENV": "production", "LMS_SECRET_KEY": SECRET,
            "LMS_DATABASE_URL": self.postgres.url, "LMS_REDIS_URL": self.redis.url,
            "LMS_SESSION_COOKIE_SECURE": "false",
            "LMS_MENTORING_KEY": Fernet.generate_key().decode(),
            "LMS_SIGNING_KEY": crypto.new_private_pem().decode(),
            "LMS_VERIFY_RATE_LIMIT": "10 per minute",
            "LMS_PASSWORD_HASH": json.dumps({"time_cost": 1, "memory_cost": 8192,
                                             "parallelism": 1}),
        }  # fmt: skip
        from flask_migrate import upgrade

        from lms import create_app
        from lms.extensions import db

        self.app = create_app(
            {"ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": self.postgres.url,
             "MENTORING_KEY": self.env["LMS_MENTORING_KEY"],
             "SIGNING_KEY": self.env["LMS_SIGNING_KEY"],
             "PASSWORD_HASH": json.loads(self.env["LMS_PASSWORD_HASH"])}
        )  # fmt: skip
        with self.app.app_context():
            upgrade()
            self.world = _world(self.app, learners=12)
            db.engine.dispose()
        self.server = Server(self.env)
        self.spare = list(self.world["learners"])
        self._coordinator: Browser | None = None

    def coordinator(self) -> Browser:
        """The coordinator, signed in once (a second sign-in in the same 30 s would replay
        the code, which is refused)."""
        if self._coordinator is None:
            self._coordinator = Browser(self.server.base).sign_in(
                self.world["coordinator"], self.world["totp"]
            )
        return self._coordinator

    def learner(self) -> dict[str, Any]:
        return self.spare.pop(0)

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        import sqlalchemy as sa

        from lms.extensions import db

        with self.app.app_context():
            try:
                return [tuple(row) for row in db.session.execute(sa.text(query), params)]
            finally:
                db.session.rollback()
                db.engine.dispose()

    def execute(self, statement: str, *, autocommit: bool = False, **params: Any) -> None:
        import sqlalchemy as sa

        from lms.extensions import db

        with self.app.app_context():
            if autocommit:  # statements PostgreSQL runs outside a transaction only
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                        sa.text(statement), params
                    )
            else:
                db.session.execute(sa.text(statement), params)
                db.session.commit()
            db.engine.dispose()

    def close(self) -> None:
        for stop in (self.server.stop, self.redis.stop, self.postgres.stop):
            try:
                stop()
            except Exception as error:  # cleaning up: report, go on
                print(f"cleanup: {error}", file=sys.stderr)


def _certificates_of(drill: Drill, enrolment: int) -> tuple[int, int, int]:
    """(certificates, frozen PDFs, issue audit entries) of the enrolment."""
    (row,) = drill.sql(
        "SELECT (SELECT count(*) FROM certificate WHERE enrolment_id = :e),"
        " (SELECT count(*) FROM certificate_pdf p JOIN certificate c ON c.id = p.certificate_id"
        "  WHERE c.enrolment_id = :e),"
        " (SELECT count(*) FROM audit_event a JOIN certificate c ON a.object_id = CAST(c.id AS"
        "  VARCHAR) WHERE a.action = 'certificate.issue' AND c.enrolment_id = :e)",
        e=enrolment,
    )
    return row


def duplicate_submits(drill: Drill) -> dict[str, Any]:
    person = drill.learner()
    browser = Browser(drill.server.base).sign_in(person["username"])
    path = f"/attempts/{person['attempt']}"
    form = _form(browser.request(path)[1])
    statuses = _together(50, lambda: browser.request(f"{path}/submit", form))
    ((scores, submits, score),) = drill.sql(
        "SELECT (SELECT count(*) FROM attempt WHERE enrolment_id = :e AND scored_at IS NOT NULL),"
        " (SELECT count(*) FROM audit_event WHERE action = 'attempt.submit'"
        "  AND object_id = CAST(:a AS VARCHAR)),"
        " (SELECT score FROM attempt WHERE id = :a)",
        e=person["enrolment"], a=person["attempt"],
    )  # fmt: skip
    certificates, pdfs, issued = _certificates_of(drill, person["enrolment"])
    ok = (set(statuses) <= {200} and scores == submits == 1 and score == 100.0
          and certificates == pdfs == issued == 1)  # fmt: skip
    return {"ok": ok, "figures": f"responses {dict(statuses)}; scored attempts {scores}, "
            f"submit audits {submits}, score {score}; certificates {certificates}, PDFs {pdfs}, "
            f"issue audits {issued}"}  # fmt: skip


def duplicate_issues(drill: Drill) -> dict[str, Any]:
    person = drill.learner()
    # Completed without a certificate (auto-issue is for the moment of completion).
    drill.execute(
        "UPDATE enrolment SET post_test_passed_at = now(), completed_at = now(),"
        " status = 'completed' WHERE id = :e",
        e=person["enrolment"],
    )
    coordinator = drill.coordinator()
    token = coordinator.token(f"/cohorts/{drill.world['cohort']}")
    path = f"/cohorts/{drill.world['cohort']}/certificates"
    statuses = _together(50, lambda: coordinator.request(path, {"csrf_token": token}))
    certificates, pdfs, issued = _certificates_of(drill, person["enrolment"])
    ((serials,),) = drill.sql("SELECT count(DISTINCT serial) = count(*) FROM certificate")
    ok = set(statuses) <= {200} and certificates == pdfs == issued == 1 and serials
    return {"ok": ok, "figures": f"responses {dict(statuses)}; certificates {certificates}, "
            f"PDFs {pdfs}, issue audits {issued}; serials unique: {serials}"}  # fmt: skip


def kill_submit(drill: Drill) -> dict[str, Any]:
    person = drill.learner()
    browser = Browser(drill.server.base).sign_in(person["username"])
    path = f"/attempts/{person['attempt']}"
    form = _form(browser.request(path)[1])
    # Hold the submit inside its transaction: its last write (the audit entry) waits.
    drill.execute(
        "CREATE FUNCTION fault_hold() RETURNS trigger AS $$ BEGIN"
        " IF NEW.action = 'attempt.submit' THEN PERFORM pg_sleep(20); END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql;"
        " CREATE TRIGGER fault_hold BEFORE INSERT ON audit_event"
        " FOR EACH ROW EXECUTE FUNCTION fault_hold()"
    )
    before = drill.server.workers()
    result: dict[str, Any] = {}
    submitter = threading.Thread(
        target=lambda: result.update(response=browser.request(f"{path}/submit", form)[0])
    )
    submitter.start()
    held = False
    for _ in range(100):  # until the submit sleeps in the trigger
        held = bool(drill.sql("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%audit_event%'"
                              " AND wait_event = 'PgSleep'"))  # fmt: skip
        if held:
            break
        time.sleep(0.1)
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    submitter.join()
    drill.execute("DROP TRIGGER fault_hold ON audit_event; DROP FUNCTION fault_hold()")
    for _ in range(100):  # the server rolls the orphaned transaction back
        if not drill.sql("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"):
            break
        time.sleep(0.1)
    ((submitted, answered),) = drill.sql(
        "SELECT (SELECT count(*) FROM attempt WHERE id = :a AND submitted_at IS NOT NULL),"
        " (SELECT count(*) FROM attempt_item WHERE attempt_id = :a AND response IS NOT NULL)",
        a=person["attempt"],
    )
    after = drill.server.workers()
    # The learner sends the page again (its token still belongs to their session).
    for _ in range(50):
        status, _body = browser.request(f"{path}/submit", form)
        if status == 200:
            break
        time.sleep(0.2)
    ((scores, submits),) = drill.sql(
        "SELECT (SELECT count(*) FROM attempt WHERE id = :a AND scored_at IS NOT NULL),"
        " (SELECT count(*) FROM audit_event WHERE action = 'attempt.submit'"
        "  AND object_id = CAST(:a AS VARCHAR))",
        a=person["attempt"],
    )  # fmt: skip
    certificates, pdfs, _issued = _certificates_of(drill, person["enrolment"])
    ok = (held and submitted == 0 and answered == ITEMS and len(after) == 2
          and set(after).isdisjoint(before) and status == 200 and scores == submits == 1
          and certificates == pdfs == 1)  # fmt: skip
    return {"ok": ok, "figures": f"held in the transaction: {held}; killed workers {before} "
            f"(the client got {result.get('response')}); after the kill: submitted {submitted}, "
            f"saved answers {answered} of {ITEMS}; new workers {after}; resubmit {status}: "
            f"scored {scores}, submit audits {submits}, certificates {certificates}"}  # fmt: skip


def _load(drill: Drill, seconds: float, on_tick: Callable[[float], None] | None = None,
          connections: int = 8) -> dict[str, Any]:  # fmt: skip
    """``connections`` threads over signed-in pages and answer saves for ``seconds``:
    statuses per second and transport errors."""
    people = drill.world["learners"][-connections:]
    browsers = []
    for person in people:
        browser = Browser(drill.server.base).sign_in(person["username"])
        path = f"/attempts/{person['attempt']}"
        status, page = browser.request(path)
        answers = _form(page, saved=False)
        browsers.append((browser, path, answers, status))
    timeline: list[tuple[float, int]] = []
    lock = threading.Lock()
    began = time.monotonic()
    stop = began + seconds

    def run(browser: Browser, path: str, answers: dict[str, str]) -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            if n % 3 == 0:
                status, _ = browser.request(path, answers, {"Accept": "application/json"})
            elif n % 3 == 1:
                status, _ = browser.request("/")
            else:
                status, _ = browser.request(path)
            with lock:
                timeline.append((time.monotonic() - began, status))

    threads = [threading.Thread(target=run, args=entry[:3]) for entry in browsers]
    for thread in threads:
        thread.start()
    while on_tick is not None and time.monotonic() < stop:
        on_tick(time.monotonic() - began)
        time.sleep(1)
    for thread in threads:
        thread.join()
    return {"timeline": sorted(timeline), "pages": [entry[3] for entry in browsers]}


def postgres_restart(drill: Drill) -> dict[str, Any]:
    workers = drill.server.workers()
    events: dict[str, float] = {}

    def tick(at: float) -> None:
        if at >= 5 and "stopped" not in events:
            _pg(drill.postgres, "-m", "fast", "-w", "stop")
            events["stopped"] = at
        elif at >= 10 and "started" not in events:
            _pg_start(drill.postgres)
            events["started"] = time.monotonic() - began

    began = time.monotonic()
    run = _load(drill, 25, tick)
    timeline = run["timeline"]
    statuses = Counter(status for _at, status in timeline)
    started = events.get("started", 99)
    late = Counter(status for at, status in timeline if at > started + 2)
    ok = (set(statuses) <= {200, 503} and statuses[503] > 0 and set(late) == {200}
          and drill.server.workers() == workers)  # fmt: skip
    first_ok = min((at for at, status in timeline if at > started and status == 200),
                   default=None)  # fmt: skip
    return {
        "ok": ok,
        "figures": f"{len(timeline)} requests in 25 s; stopped at "
        f"{events.get('stopped', 0):.1f} s, started at {started:.1f} s; statuses "
        f"{dict(statuses)}; first 200 after the start at "
        f"{first_ok if first_ok is None else round(first_ok, 1)} s; 2 s after the start "
        f"only {dict(late)}; workers unchanged: {drill.server.workers() == workers}",
    }


def redis_down(drill: Drill) -> dict[str, Any]:
    base = drill.server.base
    drill.redis.stop()
    try:
        health = Browser(base).request("/healthz")
        verify = Counter(Browser(base).request("/verify/AAAA-BBBB-CCCC")[0] for _ in range(40))
        # Sign-in lockouts live in the database: the 6th try is refused with the right password.
        person = drill.world["learners"][0]["username"]
        lockout = Browser(base)
        for _ in range(5):
            lockout.request("/login", {"username": person, "password": "wrong password!",
                                       "csrf_token": lockout.token("/login")})  # fmt: skip
        _status, page = lockout.request(
            "/login",
            {"username": person, "password": PASSWORD, "csrf_token": lockout.token("/login")},
        )
        locked = "/login" in page and "Sign out" not in page
        coordinator = drill.coordinator()
        token = coordinator.token(f"/cohorts/{drill.world['cohort']}")
        bundle_status, _page = coordinator.request(
            f"/cohorts/{drill.world['cohort']}/certificates/bundle", {"csrf_token": token}
        )
        ((bundles,),) = drill.sql("SELECT string_agg(status, ',') FROM certificate_bundle")
    finally:
        drill.redis.start()
    time.sleep(1)
    back = Browser(base).request("/healthz")
    health_body = json.loads(health[1])
    ok = (health[0] == 200 and health_body["status"] == "degraded" and set(verify) <= {404, 429}
          and 10 <= verify[404] <= 20 and locked and bundle_status == 200 and bundles == "done"
          and json.loads(back[1])["status"] == "ok")  # fmt: skip
    return {
        "ok": ok,
        "figures": f"/healthz {health[0]} {health_body['status']}; 40 "
        f"verifications (limit 10 per minute, 2 workers): {dict(verify)}; 6th sign-in "
        f"with the right password refused: {locked}; bundle {bundle_status}, status "
        f"{bundles}; Redis back: /healthz {json.loads(back[1])['status']}",
    }


def disk_full(drill: Drill) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"ok": None, "figures": "not run: mounting a tmpfs needs root"}
    mount = Path(tempfile.mkdtemp(prefix="lms-faults-tiny-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        space = mount / "pg"
        space.mkdir()
        shutil.chown(space, "postgres", "postgres")
        drill.execute(f"CREATE TABLESPACE tiny LOCATION '{space}'", autocommit=True)
        drill.execute("ALTER TABLE certificate_pdf SET TABLESPACE tiny")
        filler = mount / "filler"
        with open(filler, "wb") as out:  # fill it up: the next PDF has no room
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass
        person = drill.learner()
        browser = Browser(drill.server.base).sign_in(person["username"])
        path = f"/attempts/{person['attempt']}"
        status, _page = browser.request(f"{path}/submit", _form(browser.request(path)[1]))
        ((completed, scored),) = drill.sql(
            "SELECT (SELECT count(*) FROM enrolment WHERE id = :e AND completed_at IS NOT NULL),"
            " (SELECT count(*) FROM attempt WHERE id = :a AND scored_at IS NOT NULL)",
            e=person["enrolment"], a=person["attempt"],
        )  # fmt: skip
        while_full = _certificates_of(drill, person["enrolment"])
        logged = "No space left on device" in drill.server.log.read_text()
        filler.unlink()
        coordinator = drill.coordinator()
        token = coordinator.token(f"/cohorts/{drill.world['cohort']}")
        issued_status, _ = coordinator.request(
            f"/cohorts/{drill.world['cohort']}/certificates", {"csrf_token": token}
        )
        after = _certificates_of(drill, person["enrolment"])
        ((serial,),) = drill.sql(
            "SELECT serial FROM certificate WHERE enrolment_id = :e", e=person["enrolment"]
        )
        pdf = coordinator.opener.open(f"{drill.server.base}/certificates/{serial}.pdf").read()
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()  # fmt: skip
        ok = (
            status == 200
            and completed == scored == 1
            and while_full == (0, 0, 0)
            and logged
            and issued_status == 200
            and after == (1, 1, 1)
            and "Fault Learner" in text
        )
        return {
            "ok": ok,
            "figures": f"submit with the PDF store full: {status}, scored "
            f"{scored}, completed {completed}; certificates, PDFs, issue audits while full: "
            f"{while_full}; ENOSPC logged: {logged}; space back, issued by the coordinator: "
            f"{issued_status}, {after}; the PDF names the holder: {'Fault Learner' in text}",
        }
    finally:
        try:
            drill.execute("ALTER TABLE certificate_pdf SET TABLESPACE pg_default")
            drill.execute("DROP TABLESPACE tiny", autocommit=True)
        finally:
            subprocess.run(["umount", str(mount)], check=False)
            shutil.rmtree(mount, ignore_errors=True)


def soak(drill: Drill) -> dict[str, Any]:
    samples: list[tuple[float, int]] = []

    def tick(at: float) -> None:
        if not samples or at - samples[-1][0] >= 30:
            samples.append((at, drill.server.rss_kib()))

    seconds = drill.soak_seconds
    run = _load(drill, seconds, tick)
    samples.append((seconds, drill.server.rss_kib()))
    statuses = Counter(status for _at, status in run["timeline"])
    # Memory after the first minute (warm caches) against the end.
    warm = next((kib for at, kib in samples if at >= min(60, seconds / 3)), samples[0][1])
    growth = (samples[-1][1] - warm) / warm
    ok = set(statuses) == {200} and growth < 0.10
    step = max(1, len(samples) // 6)
    curve = ", ".join(f"{at:.0f} s {kib / 1024:.0f}" for at, kib in samples[::step])
    return {
        "ok": ok,
        "figures": f"{len(run['timeline'])} requests in {seconds} s at 8 "
        f"connections ({len(run['timeline']) / seconds:.0f}/s); statuses {dict(statuses)}; "
        f"workers' memory (MiB) {curve}, end {samples[-1][1] / 1024:.0f}; growth after the "
        f"first minute {100 * growth:+.1f} %",
    }


SCENARIOS: dict[str, Callable[[Drill], dict[str, Any]]] = {
    "duplicate-submits": duplicate_submits,
    "duplicate-issues": duplicate_issues,
    "kill-submit": kill_submit,
    "postgres-restart": postgres_restart,
    "redis-down": redis_down,
    "disk-full": disk_full,
    "soak": soak,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"any of: {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--soak-seconds", type=int, default=600)
    args = parser.parse_args()
    chosen = args.scenarios or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}: choose from {', '.join(SCENARIOS)}")
    drill = Drill(args.soak_seconds)
    results = []
    try:
        for name in chosen:
            print(f"== {name}", flush=True)
            began = time.monotonic()
            try:
                result = SCENARIOS[name](drill)
            except Exception as error:  # a scenario that breaks is a failed scenario
                result = {"ok": False, "figures": f"{type(error).__name__}: {error}"}
            result["seconds"] = time.monotonic() - began
            print(f"   {result['figures']}", flush=True)
            results.append((name, result))
        tracebacks = drill.server.errors_logged()
    finally:
        drill.close()
    print("\n| Scenario | Result | Figures |\n|---|---|---|")
    for name, result in results:
        verdict = {True: "pass", False: "**FAIL**", None: "not run"}[result["ok"]]
        print(f"| {name} | {verdict} | {result['figures']} |")
    if tracebacks:
        print(f"\nrequests that failed unexpectedly (server log):\n{tracebacks}")
    if tracebacks or any(result["ok"] is False for _name, result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
