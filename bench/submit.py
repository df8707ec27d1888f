"""Benchmark: test submissions per second on PostgreSQL with 8 concurrent clients.

    .venv/bin/python bench/submit.py [--clients 8] [--submits 400] [--items 16]

Starts its own PostgreSQL on a spare loopback port (initdb in a temporary folder; the
machine's shared server is never touched), migrates it, creates a course whose pre-test
has ``--items`` questions and ``--submits`` learners each with an open attempt and saved
answers, serves the app over HTTP (threaded Werkzeug, CSRF on) and has ``--clients``
threads sign in as those learners and submit, each request timed end to end (the
sign-ins are not timed). Prints submits per second and latency percentiles, and checks
that every attempt was scored exactly once.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "a long bench password phrase"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        sys.exit("bench: PostgreSQL server binaries (initdb) are not installed")
    return found[-1].parent


class Postgres:
    """A throwaway PostgreSQL cluster on a spare port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lms-bench-pg-"))
        self.port = _free_port()
        self.bin = _pg_bin()
        run_as = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        if run_as:
            shutil.chown(self.dir, "postgres")
        self.run_as = run_as
        subprocess.run(
            [*run_as, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
             "-U", "postgres", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(
            [*run_as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-l",
             str(self.dir / "log"), "-o", f"-p {self.port} -k {self.dir} -c fsync=off "
             "-c max_connections=100 -c listen_addresses=127.0.0.1", "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
             "stop"],
            check=False, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


def enable_totp(user: object, now: object) -> str:
    """Give ``user`` an authenticator as the setup page would (the current code spent);
    return its secret, for signing in with the next code."""
    import pyotp
    from flask import current_app

    from lms.accounts import security

    secret = security.new_totp_secret()
    totp = pyotp.TOTP(secret)
    security.enable_2fa(
        user, secret, totp.generate_otp(totp.timecode(now)),
        settings=security.Settings.from_config(current_app.config), now=now,
    )  # fmt: skip
    return secret


def _bank(items: int) -> bytes:
    text = "$CATEGORY: bench/form-a\n\n"
    for n in range(items):
        text += (
            f"// [id:b{n}]\n::B{n}::Question {n}: which is right?"
            "{=right#Yes. ~wrong one#No. ~wrong two#No. ~wrong three#No.}\n\n"
        )
    return text.encode()


def _prepare(app: object, learners: int, items: int) -> list[tuple[str, int, dict[str, str]]]:
    """Learners with an open pre-test and its answers saved: (username, attempt id, form)."""
    from lms import clock
    from lms.accounts import services as accounts
    from lms.accounts.models import Role
    from lms.assessments import attempts, qtypes
    from lms.assessments.services import import_bank, read_bank_file
    from lms.courses.models import Course
    from lms.enrolments import services
    from lms.extensions import db

    now = clock.now()
    import_bank(read_bank_file(_bank(items), "gift"), bank_name="bench/bank", now=now)
    course = Course(
        slug="bench", folder="-", texts={"en": {"title": "Bench", "summary": ""}},
        languages=["en"], version="1", content_hash="0" * 64, pre_test="bench/bank",
        tests={"pre": {"bank": "bench/bank", "forms": ["bench/form-a"], "items": None,
                       "time_limit": 60, "attempts": 1, "pass_mark": 70.0, "reveal": "score"}},
    )  # fmt: skip
    db.session.add(course)
    db.session.flush()
    prepared = []
    for n in range(learners):
        user = accounts.create_user(
            username=f"bench{n:05d}", full_name=f"Bench {n}", password=PASSWORD,
            roles=[Role.LEARNER], now=now,
        )  # fmt: skip
        enrolment = services.enrol(user, course, now=now)
        attempt = attempts.start(enrolment, course, "pre", language="en", now=now)
        form = {}
        for item, question in attempts.load_items(attempt):
            form[f"q{item.position}"] = str(qtypes.correct_response(question)["choice"])
        prepared.append((user.username, attempt.id, form))
    db.session.commit()
    return prepared


def _wait_for(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz").read()  # noqa: S310 (our own server)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bench server did not start")


def _client(base: str) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    return opener, jar


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def _sign_in(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    opener, _jar = _client(base)
    token = _token(opener.open(f"{base}/login").read().decode())
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(f"{base}/login", data=data).read()
    return opener, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--submits", type=int, default=400)
    parser.add_argument("--items", type=int, default=16)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from lms import create_app
    from lms.extensions import db

    postgres = Postgres()
    try:
        app = create_app(
            {
                "ENV": "development",
                "TEMPLATES_AUTO_RELOAD": False,
                "DATABASE_URL": postgres.url.replace("postgresql://", "postgresql+psycopg://"),
                "SECRET_KEY": "bench-" + "x" * 40,
                "PASSWORD_HASH": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            upgrade()
            print(f"preparing {args.submits} learners with {args.items}-question attempts…")
            prepared = _prepare(app, args.submits, args.items)
        with app.app_context():
            db.engine.dispose()  # the server process opens its own connections
        port = _free_port()
        # The server runs in its own process, so the clients do not share its interpreter.
        server = multiprocessing.get_context("fork").Process(
            target=lambda: make_server("127.0.0.1", port, app, threaded=True).serve_forever(),
            daemon=True,
        )
        server.start()
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        print(f"signing in {len(prepared)} learners…")
        sessions = []
        for name, attempt_id, form in prepared:
            opener, _login_token = _sign_in(base, name)
            # The session is renewed at sign-in: the form's token comes from the test page.
            page = opener.open(f"{base}/attempts/{attempt_id}").read().decode()
            sessions.append(((opener, _token(page)), attempt_id, form))
        queue = list(range(len(sessions)))
        lock = threading.Lock()
        timings: list[float] = []
        failures: list[str] = []

        def worker() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    index = queue.pop()
                (opener, token), attempt_id, form = sessions[index]
                data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
                started = time.perf_counter()
                try:
                    response = opener.open(f"{base}/attempts/{attempt_id}/submit", data=data)
                    body = response.read().decode()
                    ok = "Score: 100" in body
                except Exception as error:  # counted and reported
                    ok, body = False, str(error)
                elapsed = time.perf_counter() - started
                with lock:
                    timings.append(elapsed)
                    if not ok:
                        failures.append(body[:200])

        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        server.terminate()
        server.join()
        with app.app_context():
            from lms.assessments.models import Attempt

            scored = db.session.scalar(
                db.select(db.func.count()).select_from(Attempt).where(Attempt.score == 100.0)
            )
            db.engine.dispose()
        timings.sort()
        print(f"clients {args.clients}, submits {len(timings)}, items per attempt {args.items}")
        print(f"throughput: {len(timings) / wall:.1f} submits/s (wall {wall:.1f} s)")
        p50 = 1000 * statistics.median(timings)
        p95 = 1000 * timings[int(0.95 * (len(timings) - 1))]
        print(f"latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {1000 * timings[-1]:.0f} ms")
        print(f"attempts scored 100%: {scored} of {len(prepared)}; failures: {len(failures)}")
        if failures or scored != len(prepared):
            print("\n".join(failures[:5]))
            sys.exit(1)
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
