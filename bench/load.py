"""Load benchmark: signed-in pages under gunicorn, each next to a floor measured in the
same run.

    .venv/bin/python bench/load.py [--size L] [--seconds 15] [--connections 8] [--workers 2]

Starts its own PostgreSQL (bench/submit.py), writes the benchmark data of ``--size``
(bench/generate.py), opens a pre-test for eight learners and gives the Kyrgyz
coordinator a second factor, then serves the app with gunicorn (``--workers`` processes,
4 threads each, production settings) and drives it with ``wrk`` pinned to the last core
(``taskset``), loopback only, ``--seconds`` per page, ``--connections`` connections
cycling through the signed-in sessions. Pages: the learner dashboard, a lesson, the test
page, the coordinator dashboard, a cohort's results, and the **floor** (bench/floor_app.py:
the same server and middleware, no query). For each: requests per second and the ratio
to the floor, p50 and p99 latency, SQL statements and page weight (one request in
process, counted), and at the end the workers' resident memory. Prints a Markdown table
for docs/performance.md.

Needs ``wrk`` (Debian: ``apt-get install wrk``) and ``taskset`` (util-linux).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate import PASSWORD, SIZES, generate  # noqa: E402
from bench.submit import Postgres, _free_port, enable_totp  # noqa: E402

SECRET = "a-benchmark-secret-key-that-is-long-enough-0123456789"
LUA = """
cookies = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", nil, {["Cookie"] = cookies[(counter %% #cookies) + 1]})
end
"""


def _prepare(seed: int) -> dict[str, Any]:
    """Open a pre-test for eight learners; give the KG coordinator a second factor."""
    import sqlalchemy as sa

    from lms import clock
    from lms.accounts.models import User
    from lms.assessments import attempts
    from lms.courses.models import Course, Lesson, Module
    from lms.enrolments.models import Cohort, Enrolment
    from lms.extensions import db

    now = clock.now()
    rows = db.session.execute(
        sa.select(Enrolment, Course, User.username)
        .join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.pre_test_done_at.is_(None), Course.pre_test.is_not(None))
        .order_by(Enrolment.id)
        .limit(8)
    ).all()
    learners = []
    for enrolment, course, username in rows:
        attempt = attempts.start(enrolment, course, "pre", language="en", now=now)
        lesson = db.session.scalar(
            sa.select(Lesson.id)
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.course_id == course.id)
            .order_by(Module.position, Lesson.position)
        )
        learners.append({"username": username, "attempt": attempt.id, "slug": course.slug,
                         "lesson": lesson})  # fmt: skip
    # A learner past the pre-test reads lessons (before it, the course page answers).
    reader, slug = db.session.execute(
        sa.select(User.username, Course.slug)
        .join(Enrolment, Enrolment.user_id == User.id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.pre_test_done_at.is_not(None), Enrolment.completed_at.is_(None))
        .order_by(Enrolment.id)
    ).first()
    lesson = db.session.scalar(
        sa.select(Lesson.id)
        .join(Module, Module.id == Lesson.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(Course.slug == slug)
        .order_by(Module.position, Lesson.position)
    )
    coordinator = db.session.scalar(
        sa.select(User).where(User.username == f"bench{seed}.coordinator.kg")
    )
    secret = enable_totp(coordinator, now)
    cohort = db.session.scalar(
        sa.select(Cohort.id).where(Cohort.country_code == "KG").order_by(Cohort.id)
    )
    db.session.commit()
    return {
        "learners": learners, "coordinator": coordinator.username, "totp": secret,
        "cohort": cohort, "reader": reader, "lesson": f"/courses/{slug}/lessons/{lesson}",
    }  # fmt: skip


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _sign_in(base: str, username: str, totp: str | None = None) -> str:
    """A session cookie ("name=value") of ``username``, signed in through the pages."""
    import pyotp

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = _token(opener.open(f"{base}/login").read().decode())
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    page = opener.open(f"{base}/login", data=urllib.parse.urlencode(data).encode())
    if totp and page.geturl().endswith("/login/code"):
        body = page.read().decode()
        # The current code was spent enabling the authenticator: the next one (a step ahead).
        data = {"code": pyotp.TOTP(totp).at(time.time() + 30), "csrf_token": _token(body)}
        opener.open(f"{base}/login/code", data=urllib.parse.urlencode(data).encode())
    cookie = next(c for c in jar if "session" in c.name)
    return f"{cookie.name}={cookie.value}"


#: POSTs, each connection's request from its own (path, cookie, body) in turn.
LUA_POST = """
posts = {%s}
counter = 0
request = function()
  counter = counter + 1
  local p = posts[(counter %% #posts) + 1]
  return wrk.format("POST", p[1], {["Cookie"] = p[2], ["Accept"] = "application/json",
    ["Content-Type"] = "application/x-www-form-urlencoded"}, p[3])
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _answer_posts(
    base: str, learners: list[dict[str, Any]], cookies: list[str]
) -> list[tuple[str, str, str]]:
    """For each learner's open attempt: its path, their cookie, and a form body saving an
    answer to every question (the page's own CSRF token and first option of each)."""
    posts = []
    for learner, cookie in zip(learners, cookies, strict=True):
        path = f"/attempts/{learner['attempt']}"
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request) as answer:  # noqa: S310 - our loopback
            page = answer.read().decode()
        fields = {"csrf_token": _token(page)}
        for name, value in re.findall(
            r'<input[^>]*type="radio"[^>]*name="(q\d+)"[^>]*value="([^"]*)"', page
        ):
            fields.setdefault(name, value)
        posts.append((path, cookie, urllib.parse.urlencode(fields)))
    return posts


def _wrk(
    url: str, cookies: list[str], seconds: int, connections: int,
    posts: list[tuple[str, str, str]] | None = None,
) -> dict[str, float]:  # fmt: skip
    cores = os.cpu_count() or 1
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if posts:
            entries = ["{" + ", ".join(_lua_string(part) for part in post) + "}" for post in posts]
            script.write(LUA_POST % ", ".join(entries))
        else:
            script.write(LUA % ", ".join(f'"{c}"' for c in cookies or [""]))
    output = subprocess.run(
        ["taskset", "-c", str(cores - 1), "wrk", "-t1", f"-c{connections}",
         f"-d{seconds}s", "--latency", "-s", script.name, url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)

    def millis(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": millis("50"),
        "p99": millis("99"),
        "errors": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def _in_process(
    app: Any, path: str, cookie: str, post: tuple[str, str, str] | None = None
) -> tuple[int, int]:
    """SQL statements and bytes of one request of ``path`` in process, with the session
    cookie the load used (the session lives in the database, whoever presents it)."""
    import sqlalchemy as sa

    from lms.extensions import db

    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)

    def call() -> Any:
        if post is None:
            return client.get(path)
        headers = {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        return client.post(post[0], data=post[2], headers=headers)

    call()  # warm
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("x")

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.location}")
    return len(statements), len(response.data)


def _rss_mb(master: int) -> list[float]:
    """Resident memory of the master's worker processes."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="L")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("bench: wrk and taskset are needed (apt-get install wrk util-linux)")

    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db

    postgres = Postgres()
    env = {**os.environ, "LMS_ENV": "production", "LMS_SECRET_KEY": SECRET,
           "LMS_DATABASE_URL": postgres.url, "LMS_SESSION_COOKIE_SECURE": "false",
           "LMS_MENTORING_KEY": "", "LMS_CERTIFICATES_AUTO_ISSUE": "false"}  # fmt: skip
    from cryptography.fernet import Fernet

    env["LMS_MENTORING_KEY"] = Fernet.generate_key().decode()
    server = None
    try:
        config = {"ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": postgres.url,
                  "SESSION_COOKIE_SECURE": False, "MENTORING_KEY": env["LMS_MENTORING_KEY"],
                  "CERTIFICATES_AUTO_ISSUE": False, "WTF_CSRF_ENABLED": False}  # fmt: skip
        app = create_app(config)
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            generated = generate(SIZES[args.size], seed=args.seed, now=datetime.now(UTC))
            db.session.commit()
            world = _prepare(args.seed)
        print(f"generated {args.size} in {time.perf_counter() - started:.0f} s: "
              f"{generated['rows']['attempt_item']} responses", flush=True)  # fmt: skip
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            # -c /dev/null: not the production gunicorn.conf.py gunicorn would pick up from
            # the working folder (its access log costs throughput the floor would not pay).
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "/dev/null", "-w", str(args.workers),
             "-k", "gthread",
             "--threads", "4", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "bench.floor_app:app"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/floor").read()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        learners = world["learners"]
        learner_cookies = [_sign_in(base, item["username"]) for item in learners]
        coordinator = [_sign_in(base, world["coordinator"], world["totp"])]
        first = learners[0]
        reader = [_sign_in(base, world["reader"])]
        pages = [
            ("floor (no query)", "/bench/floor", [], None),
            ("learner dashboard", "/", learner_cookies, first["username"]),
            ("lesson", world["lesson"], reader, world["reader"]),
            ("test page", f"/attempts/{first['attempt']}", learner_cookies[:1],
             first["username"]),
            ("coordinator dashboard", "/", coordinator, world["coordinator"]),
            ("cohort results", f"/cohorts/{world['cohort']}/results", coordinator,
             world["coordinator"]),
            ("reports dashboard", "/reports/dashboard", coordinator, world["coordinator"]),
            ("indicator report", "/reports/indicators", coordinator, world["coordinator"]),
        ]  # fmt: skip
        posts = _answer_posts(base, learners, learner_cookies)
        for label, path, cookies, _who in pages:
            # Each page answers 200 to its sessions (a redirect to sign in would be cheap).
            headers = {"Cookie": cookies[0]} if cookies else {}
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request) as answer:  # noqa: S310 - our loopback
                if answer.status != 200 or "/login" in answer.url:
                    sys.exit(f"bench: {label} answered {answer.status} at {answer.url}")
        rows = []
        floor_rps = None
        for label, path, cookies, _who in pages:
            _wrk(base + path, cookies, 2, args.connections)  # warm-up
            measured = _wrk(base + path, cookies, args.seconds, args.connections)
            floor_rps = floor_rps or measured["rps"]
            queries, weight = _in_process(app, path, cookies[0]) if cookies else (0, 0)
            rows.append((label, measured, queries, weight))
            print(f"{label}: {measured['rps']:.0f} req/s", flush=True)
        # Saving a test's answers (what the page's autosave posts), each learner their own.
        measured = _wrk(base + "/", [], args.seconds, args.connections, posts=posts)
        queries, weight = _in_process(app, posts[0][0], posts[0][1], post=posts[0])
        rows.append(("save test answers (POST)", measured, queries, weight))
        print(f"save test answers: {measured['rps']:.0f} req/s", flush=True)
        memory = _rss_mb(server.pid)
        print(f"\nSize {args.size} ({SIZES[args.size]} learners), gunicorn {args.workers} "
              f"workers × 4 threads, wrk 1 thread on 1 core, {args.connections} connections, "
              f"{args.seconds} s per page\n")  # fmt: skip
        print("| Page | req/s | of floor | p50 ms | p99 ms | SQL | KB | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, measured, queries, weight in rows:
            print(f"| {label} | {measured['rps']:.0f} | {100 * measured['rps'] / floor_rps:.0f} % "
                  f"| {measured['p50']:.1f} | {measured['p99']:.1f} | {queries} "
                  f"| {weight / 1024:.1f} | {measured['errors']:.0f} |")  # fmt: skip
        print(f"\nworker memory: {', '.join(f'{m:.0f} MB' for m in memory)}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        postgres.stop()


if __name__ == "__main__":
    main()
