"""The benchmark data generator (bench/generate.py) writes a coherent world on both
databases, and the pages the load script will request serve it."""

from __future__ import annotations

import sqlalchemy as sa

from bench.generate import PASSWORD, generate
from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.enrolments.models import Cohort, Enrolment
from lms.extensions import db
from lms.mentoring.models import MentoringSession
from tests.factories import sign_in


def test_the_generator_writes_a_world_the_pages_serve(app, frozen_clock, count_queries):
    report = generate(40, seed=3, now=frozen_clock.now())
    assert report["rows"]["user"] == 40 + 1 + 1 + 7 + 1  # learners, trainer, mentor, …
    assert report["rows"]["attempt_item"] > report["rows"]["attempt"] > 0
    completed = db.session.scalar(
        sa.select(sa.func.count()).select_from(Enrolment)
        .where(Enrolment.completed_at.is_not(None))
    )  # fmt: skip
    assert completed == db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 16
    # Generated ids continue the sequences: ordinary inserts still work afterwards.
    learner = db.session.scalar(sa.select(User).where(User.username == "bench3.00000"))
    client = app.test_client()
    response = client.post("/login", data={"username": learner.username, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    admin = db.session.scalar(sa.select(User).where(User.username == "bench3.admin"))
    staff = app.test_client()
    sign_in(staff, admin, PASSWORD)
    cohort = db.session.scalar(sa.select(Cohort).order_by(Cohort.id))
    assert staff.get(f"/cohorts/{cohort.id}/results").status_code == 200
    unit_id = db.session.scalar(sa.select(MentoringSession.unit_id).order_by(MentoringSession.id))
    assert staff.get(f"/mentoring/units/{unit_id}").status_code == 200


def test_the_same_seed_gives_the_same_data(app, frozen_clock):
    first = generate(15, seed=5, now=frozen_clock.now())
    rows = db.session.execute(
        sa.select(Enrolment.user_id, Enrolment.course_id, Enrolment.completed_at)
        .order_by(Enrolment.id)
    ).all()  # fmt: skip
    assert first["rows"]["enrolment"] == len(rows)
    db.session.rollback()
    second = generate(15, seed=5, now=frozen_clock.now())
    assert second["rows"] == first["rows"]
