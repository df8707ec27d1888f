"""The assessments part of the demo world: the shipped question banks, synced; the demo
learners' pre-tests and, for those who read every lesson, their post-tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.accounts import services as accounts
from lms.accounts.models import Agency, Role, Sex, User
from lms.assessments import attempts, qtypes, services
from lms.assessments.models import Attempt
from lms.assessments.services import from_content
from lms.config import content_folders
from lms.courses.models import Course
from lms.demo import DemoWorld
from lms.enrolments import cohorts
from lms.enrolments.models import AttendanceStatus, Cohort, CohortMode, Enrolment, EnrolmentStatus
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


# --- A past classroom cohort, its answer sheets typed in by the trainer ----------------------

CLASSROOM_COHORT = "Investigators' course, Dushanbe"
#: Officers of the Dushanbe course besides the Tajik demo learners: (name, Latin, sex).
OFFICERS = [
    ("Нигина Абдуллоева", "Nigina Abdulloeva", Sex.FEMALE),
    ("Сўҳроб Бобоев", "Suhrob Boboev", Sex.MALE),
    ("Гулрухсор Давлатова", "Gulrukhsor Davlatova", Sex.FEMALE),
    ("Фирдавс Ғаффоров", "Firdavs Gafforov", Sex.MALE),
    ("Манижа Исмоилова", "Manizha Ismoilova", Sex.FEMALE),
    ("Бахтиёр Ҷӯраев", "Bakhtiyor Juraev", Sex.MALE),
    ("Тахмина Каримова", "Takhmina Karimova", Sex.FEMALE),
    ("Парвиз Латифов", "Parviz Latifov", Sex.MALE),
    ("Муниса Мирзоева", "Munisa Mirzoeva", Sex.FEMALE),
    ("Shohrukh Nazarov", None, Sex.MALE),
    ("Фотима Одинаева", "Fotima Odinaeva", Sex.FEMALE),
    ("Илҳом Раҷабов", "Ilhom Rajabov", Sex.MALE),
    ("Дилноза Сафарова", "Dilnoza Safarova", Sex.FEMALE),
    ("Меҳрубон Тоҷиддинов", "Mehrubon Tojiddinov", Sex.MALE),
    ("Шабнам Усмонова", "Shabnam Usmonova", Sex.FEMALE),
    ("Умед Холов", "Umed Kholov", Sex.MALE),
]


def seed_classroom_cohort(world: DemoWorld) -> None:
    """A face-to-face course held in Dushanbe two months ago, in Russian: the trainer typed
    in the pre- and post-test answer sheets and took attendance every day, so the results
    page has a classroom of two dozen to show (once; found by name afterwards)."""
    courses = db.session.scalars(
        sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.slug)
    ).all()
    tested = [c for c in courses if {attempts.PRE, attempts.POST} <= set(c.tests or {})]
    course = next((c for c in tested if c.slug == "investigating-tip-som"), None) or next(
        iter(tested), None
    )
    if course is None:
        return
    officers = _officers(world)
    held = db.session.scalar(sa.select(Cohort).where(Cohort.name == CLASSROOM_COHORT))
    if held is not None:
        world.count("cohorts", created=False)
        world.existing["enrolments"] += cohorts.participant_count(held)
        return
    trainer = db.session.scalar(
        sa.select(User).where(User.username == world.logins.get("trainer", {}).get("username"))
    )
    people = officers + list(
        db.session.scalars(
            sa.select(User).where(User.username.like("tj.learner%")).order_by(User.username)
        )
    )
    start = world.now.date() - timedelta(days=63 + world.now.weekday())  # a Monday
    cohort = cohorts.create_cohort(
        cohorts.CohortDetails(
            course=course,
            name=CLASSROOM_COHORT,
            country_code="TJ",
            mode=CohortMode.FACE_TO_FACE,
            starts_on=start,
            ends_on=start + timedelta(days=4),
            location="Dushanbe, Academy of the Ministry of Internal Affairs",
            weekdays=(0, 1, 2, 3, 4),
            trainers=(trainer,) if trainer is not None else (),
        ),
        by=None,
        now=world.now,
    )
    world.count("cohorts", created=True)
    result = cohorts.enrol_people(cohort, people, by=None, now=world.now)
    world.created["enrolments"] += len(result.enrolled) + len(result.joined)
    participants = cohorts.participants(cohort)
    attempts.assign_form_orders(participants)
    rng = random.Random("demo:dushanbe")  # noqa: S311 (demo data)
    ability = {e.id: rng.uniform(0.25, 0.6) for e in participants}
    language = "ru" if "ru" in course.languages else course.languages[0]
    _paper(
        world, course, language, participants, attempts.PRE, lambda e: ability[e.id], trainer, rng
    )
    for day in cohort.days():
        marks = {
            e.id: AttendanceStatus.ABSENT if rng.random() < 0.04 else AttendanceStatus.PRESENT
            for e in participants
        }
        cohorts.record_attendance(cohort, day, marks, by=trainer, now=world.now)
        world.created["attendance days"] += 1
    gain = {e.id: rng.uniform(0.0, 0.4) for e in participants}
    _paper(
        world,
        course,
        language,
        participants,
        attempts.POST,
        lambda e: min(0.97, ability[e.id] + gain[e.id]),
        trainer,
        rng,
    )


def _officers(world: DemoWorld) -> list[User]:
    """The Dushanbe course's officers, created once, spread over the Tajik agencies."""
    agencies = db.session.scalars(
        sa.select(Agency).where(Agency.country_code == "TJ").order_by(Agency.id)
    ).all()
    existing = {
        u.username: u
        for u in db.session.scalars(sa.select(User).where(User.username.like("tj.officer%")))
    }
    found = []
    for index, (name, latin, sex) in enumerate(OFFICERS, start=1):
        username = f"tj.officer{index:02d}"
        if username in existing:
            found.append(existing[username])
            world.count("learners", created=False)
            continue
        agency = agencies[index % len(agencies)] if agencies else None
        found.append(
            accounts.create_user(
                username=username,
                full_name=name,
                full_name_latin=latin,
                sex=sex,
                password=None,
                roles=[Role.LEARNER],
                country_code="TJ",
                agency_id=agency.id if agency else None,
                actor=None,
                now=world.now,
            )
        )
        world.count("learners", created=True)
    return found


def _paper(
    world: DemoWorld,
    course: Course,
    language: str,
    participants: list[Enrolment],
    key: str,
    share: Callable[[Enrolment], float],
    trainer: User | None,
    rng: random.Random,
) -> None:
    """Type in each participant's answer sheet of test ``key`` (in ``language``): each
    answer right with the learner's chance, written answers marked on paper."""
    spec = attempts.definition(course, key)
    papers: dict[str | None, list[Any]] = {}
    for enrolment in participants:
        form = attempts.form_for(enrolment, key, spec)
        if form not in papers:
            bank = attempts.bank_for(spec["bank"], language)
            papers[form] = [
                from_content(version.content, category=None)
                for _question, version in attempts.questions_of(bank, form)
            ]
        responses: dict[int, dict[str, Any]] = {}
        marks: dict[int, float] = {}
        for position, question in enumerate(papers[form], start=1):
            right = rng.random() < share(enrolment)
            if qtypes.kind_of(question).name == "essay":
                responses[position] = {"text": "(on paper)"}
                marks[position] = rng.choice((0.5, 0.75, 1.0) if right else (0.0, 0.25))
            elif right:
                responses[position] = qtypes.correct_response(question)
            else:
                wrong = _wrong(question, rng)
                if wrong is not None:
                    responses[position] = wrong
        attempts.enter_classroom(
            enrolment, course, key, form=form, language=language, responses=responses,
            essay_marks=marks, by=trainer, now=world.now,
        )  # fmt: skip
        world.created["attempts"] += 1


def _wrong(question: Any, rng: random.Random) -> dict[str, Any] | None:
    """A wrong answer where one is easy to make up (else the question is left blank)."""
    kind = qtypes.kind_of(question).name
    if kind == "single":
        wrong = [i for i, a in enumerate(question.answers) if a.fraction <= 0]
        return {"choice": rng.choice(wrong)} if wrong else None
    if kind == "truefalse":
        return {"value": not qtypes.correct_response(question)["value"]}
    return None
