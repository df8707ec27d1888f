"""Plain ``make_*`` factories with sensible defaults (flushed, never committed)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pyotp

from lms import clock, crypto
from lms.accounts import organisations, security
from lms.accounts import services as accounts
from lms.accounts.models import Agency, AgencyType, Role, Unit, User
from lms.courses.models import Course, Lesson, LessonVersion, Module
from lms.enrolments import cohorts
from lms.enrolments.models import Cohort, CohortMode
from lms.extensions import db

DEFAULT_PASSWORD = "correct horse battery staple"

_sequence = itertools.count(1)


def make_user(
    username: str | None = None,
    *,
    roles: Iterable[Role] = (Role.LEARNER,),
    password: str | None = DEFAULT_PASSWORD,
    full_name: str | None = None,
    **kwargs: Any,
) -> User:
    n = next(_sequence)
    username = username or f"user{n}"
    return accounts.create_user(
        username=username,
        full_name=full_name or f"Test User {n}",
        password=password,
        roles=roles,
        now=clock.now(),
        **kwargs,
    )


def make_agency(
    country_code: str = "KG",
    name: str | None = None,
    *,
    type: AgencyType = AgencyType.POLICE,
    **kwargs: Any,
) -> Agency:
    return organisations.create_agency(
        country_code=country_code,
        name=name or f"Agency {next(_sequence)}",
        type=type,
        actor=None,
        now=clock.now(),
        **kwargs,
    )


def make_unit(agency: Agency | None = None, name: str | None = None, **kwargs: Any) -> Unit:
    return organisations.create_unit(
        agency or make_agency(),
        name=name or f"Unit {next(_sequence)}",
        actor=None,
        now=clock.now(),
        **kwargs,
    )


def enable_2fa(user: User) -> str:
    """Enrol an authenticator for ``user`` as the setup page would; return the seed."""
    from flask import current_app

    secret = security.new_totp_secret()
    now = clock.now()
    step = pyotp.TOTP(secret).timecode(now)
    security.enable_2fa(
        user,
        secret,
        pyotp.TOTP(secret).generate_otp(step),
        settings=security.Settings.from_config(current_app.config),
        now=now,
    )
    db.session.flush()
    return secret


def next_code(user: User) -> str:
    """A TOTP code of ``user`` not used yet (the step after the last one accepted)."""
    from flask import current_app

    config = current_app.config
    secret = crypto.decrypt(
        user.totp_secret,
        secret_key=config.get("ENCRYPTION_KEY") or config["SECRET_KEY"],
        purpose=security.TOTP_PURPOSE,
    )
    db.session.refresh(user)
    totp = pyotp.TOTP(secret)
    frozen = current_app.extensions.get("lms.clock")
    if isinstance(frozen, clock.FrozenClock) and (user.totp_last_step or 0) >= totp.timecode(
        frozen.now()
    ):
        frozen.advance(seconds=30)  # as a person would wait for the app's next code
    step = max(totp.timecode(clock.now()), (user.totp_last_step or 0) + 1)
    return totp.generate_otp(step)


def sign_in(client: Any, user: User, password: str = DEFAULT_PASSWORD) -> Any:
    """Sign ``user`` in through the real pages, second factor included where required."""
    from flask import current_app

    settings = security.Settings.from_config(current_app.config)
    if security.requires_2fa(user, settings=settings) and not security.has_2fa(user):
        enable_2fa(user)
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"] == "/login/code":
        response = client.post("/login/code", data={"code": next_code(user)})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def make_course(
    slug: str | None = None,
    *,
    lessons: int = 2,
    modules: int = 1,
    requires_attendance: bool = False,
    min_attendance: int = 100,
    pre_test: str | None = None,
    post_test: str | None = None,
    self_enrolment: bool = True,
) -> Course:
    """A course as if synced: ``modules`` modules of ``lessons`` lessons, each with a version."""
    slug = slug or f"course-{next(_sequence)}"
    course = Course(
        slug=slug,
        folder=f"/content/{slug}",
        texts={"en": {"title": f"Course {slug}", "summary": "A course for tests."}},
        languages=["en"],
        version="1",
        audience=["police"],
        estimated_hours=2,
        pass_mark=70,
        objectives=[{"id": "lo-1", "text": "Do the thing."}],
        pre_test=pre_test,
        post_test=post_test,
        self_enrolment=self_enrolment,
        requires_attendance=requires_attendance,
        min_attendance=min_attendance,
        content_hash="0" * 64,
    )
    db.session.add(course)
    db.session.flush()
    for m in range(modules):
        module = Module(
            course_id=course.id,
            key=f"{m + 1:02d}-module",
            position=m,
            texts={"en": {"title": f"Module {m + 1}", "summary": ""}},
        )
        db.session.add(module)
        db.session.flush()
        for n in range(lessons):
            lesson = Lesson(module_id=module.id, key=f"{n + 1:02d}-lesson", position=n, minutes=5)
            db.session.add(lesson)
            db.session.flush()
            db.session.add(
                LessonVersion(
                    lesson_id=lesson.id,
                    version=1,
                    texts={"en": {"title": f"Lesson {m + 1}.{n + 1}", "html": "<p>Text.</p>"}},
                    content_hash="0" * 64,
                )
            )
    db.session.flush()
    return course


def make_cohort(
    course: Course,
    *,
    name: str = "Osh, March",
    country: str = "KG",
    mode: CohortMode = CohortMode.FACE_TO_FACE,
    starts_on: date = date(2026, 3, 2),
    days: int = 3,
    trainers: Iterable[User] = (),
    **kwargs: Any,
) -> Cohort:
    """A cohort of ``course`` through the service (its rules checked), Monday 2 March on."""
    details = cohorts.CohortDetails(
        course=course,
        name=name,
        country_code=country,
        mode=mode,
        starts_on=starts_on,
        ends_on=kwargs.pop("ends_on", starts_on + timedelta(days=days - 1)),
        trainers=tuple(trainers),
        **kwargs,
    )
    return cohorts.create_cohort(details, by=None, now=clock.now())
