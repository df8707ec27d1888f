"""The assessments part of the demo world: the shipped question banks, synced; the demo
learners' pre-tests and, for those who read every lesson, their post-tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import User
from lms.assessments import attempts, qtypes, services
from lms.assessments.models import Attempt
from lms.config import content_folders
from lms.courses.models import Course
from lms.demo import DemoWorld
from lms.enrolments.models import Enrolment, EnrolmentStatus
from lms.errors import DomainError
from lms.extensions import db


def seed(world: DemoWorld) -> None:
    totals = services.sync_content(
        content_folders(current_app.config["ASSESSMENTS_DIR"]), now=world.now
    )
    if totals["created"] + totals["updated"]:
        world.created["questions"] += totals["created"] + totals["updated"]
    if totals["unchanged"]:
        world.existing["questions"] += totals["unchanged"]


def _answers(attempt: Any, share_right: float, rng: random.Random) -> dict[int, dict[str, Any]]:
    """Answers for a demo attempt: about ``share_right`` of them right, the rest wrong."""
    found: dict[int, dict[str, Any]] = {}
    for item, question in attempts.load_items(attempt):
        kind = qtypes.kind_of(question).name
        if kind == "essay":
            continue
        right = qtypes.correct_response(question)
        if rng.random() < share_right:
            found[item.position] = right
        elif kind == "single":
            wrong = [i for i, a in enumerate(question.answers) if a.fraction <= 0]
            found[item.position] = {"choice": rng.choice(wrong)} if wrong else right
        elif kind == "truefalse":
            found[item.position] = {"value": not right["value"]}
        else:
            found[item.position] = {}
    return found


def _take(world: DemoWorld, key: str, share: Callable[[int], float]) -> None:
    """Every demo learner whose ``key`` test is open takes it once (not the demo learner's
    post-test: the demo leaves that for a visitor)."""
    rows = db.session.execute(
        sa.select(Enrolment, Course, User.username)
        .join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Enrolment.id)
    ).all()
    taken = set(db.session.scalars(sa.select(Attempt.enrolment_id).where(Attempt.test_key == key)))
    demo_learner = world.logins.get("learner", {}).get("username")
    for index, (enrolment, course, username) in enumerate(rows):
        if key not in (course.tests or {}) or enrolment.id in taken:
            continue
        if key == attempts.POST and (username == demo_learner or enrolment.lessons_done_at is None):
            continue
        rng = random.Random(f"demo:{enrolment.id}:{key}")  # noqa: S311 (demo data)
        try:
            attempt = attempts.start(enrolment, course, key, language="en", now=world.now)
        except DomainError:
            continue
        attempts.save(attempt, _answers(attempt, share(index), rng), now=world.now)
        attempts.submit(attempt, now=world.now)
        world.created["attempts"] += 1


def seed_pre_tests(world: DemoWorld) -> None:
    """The demo learners have taken their pre-tests (scores spread from weak to fair)."""
    _take(world, attempts.PRE, lambda index: 0.25 + (index % 5) * 0.08)


def seed_post_tests(world: DemoWorld) -> None:
    """Those who read every lesson have taken the post-test (most do better)."""
    _take(world, attempts.POST, lambda index: 0.6 + (index % 4) * 0.1)
