"""Course rules: checking and syncing the content folders. Services never commit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lms import audit
from lms.courses.content import CourseSource, KnownTests, LessonSource, Problem, load_courses
from lms.courses.models import Course, Lesson, LessonVersion, Module
from lms.errors import Invalid
from lms.extensions import db

COURSE_FIELDS = (
    "folder",
    "texts",
    "languages",
    "version",
    "audience",
    "estimated_hours",
    "pass_mark",
    "objectives",
    "pre_test",
    "post_test",
    "self_enrolment",
    "requires_attendance",
    "min_attendance",
    "certificate_valid_years",
    "tests",
)


def check(folders: list[Path], *, known_tests: KnownTests) -> list[Problem]:
    return load_courses(folders, known_tests=known_tests)[1]


def _lesson_hash(lesson: LessonSource) -> str:
    return hashlib.sha256(
        json.dumps(lesson.texts, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def sync(folders: list[Path], *, known_tests: KnownTests, now: datetime) -> dict[str, int]:
    """Load the courses idempotently: nothing changed writes nothing.

    :raises Invalid: the content has problems (nothing is written; run `lms content check`).
    """
    sources, problems = load_courses(folders, known_tests=known_tests)
    if problems:
        raise Invalid(f"{len(problems)} problems in the course content, the first: {problems[0]}")
    totals = {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "lessons_created": 0,
        "lessons_updated": 0,
        "retired": 0,
    }
    existing = {c.slug: c for c in db.session.scalars(sa.select(Course))}
    for source in sources:
        digest = source.content_hash()
        course = existing.get(source.slug)
        if course is not None and course.content_hash == digest and course.retired_at is None:
            totals["unchanged"] += 1
            continue
        if course is None:
            course = Course(slug=source.slug, content_hash=digest, synced_at=now, **_fields(source))
            db.session.add(course)
            db.session.flush()
            totals["created"] += 1
        else:
            for name, value in _fields(source).items():
                setattr(course, name, value)
            course.content_hash, course.synced_at, course.retired_at = digest, now, None
            totals["updated"] += 1
        _sync_modules(course, source, now, totals)
        audit.record(
            "course.sync",
            object_type="course",
            object_id=course.id,
            now=now,
            slug=course.slug,
            version=course.version,
        )
    live = {s.slug for s in sources}
    for slug, course in existing.items():
        if slug not in live and course.retired_at is None:
            course.retired_at = now
            totals["retired"] += 1
    db.session.flush()
    return totals


def _fields(source: CourseSource) -> dict[str, Any]:
    return {name: getattr(source, name) for name in COURSE_FIELDS}


def _sync_modules(
    course: Course, source: CourseSource, now: datetime, totals: dict[str, int]
) -> None:
    modules = {
        m.key: m for m in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))
    }
    lessons = {
        (lesson.module_id, lesson.key): (lesson, version)
        for lesson, version in db.session.execute(
            sa.select(Lesson, LessonVersion)
            .join(Module, Module.id == Lesson.module_id)
            .join(
                LessonVersion,
                sa.and_(
                    LessonVersion.lesson_id == Lesson.id,
                    LessonVersion.version == Lesson.current_version,
                ),
            )
            .where(Module.course_id == course.id)
        ).all()
    }
    seen_modules, seen_lessons = set(), set()
    for position, msource in enumerate(source.modules):
        module = modules.get(msource.key)
        if module is None:
            module = Module(
                course_id=course.id, key=msource.key, position=position, texts=msource.texts
            )
            db.session.add(module)
            db.session.flush()
        module.position, module.texts, module.retired_at = position, msource.texts, None
        seen_modules.add(module.id)
        for lposition, lsource in enumerate(msource.lessons):
            digest = _lesson_hash(lsource)
            found = lessons.get((module.id, lsource.key))
            if found is None:
                lesson = Lesson(
                    module_id=module.id,
                    key=lsource.key,
                    position=lposition,
                    minutes=lsource.minutes,
                    objectives=lsource.objectives,
                    current_version=1,
                )
                db.session.add(lesson)
                db.session.flush()
                db.session.add(
                    LessonVersion(
                        lesson_id=lesson.id,
                        version=1,
                        texts=lsource.texts,
                        content_hash=digest,
                        created_at=now,
                    )
                )
                totals["lessons_created"] += 1
            else:
                lesson, version = found
                if version.content_hash != digest:
                    lesson.current_version = version.version + 1
                    db.session.add(
                        LessonVersion(
                            lesson_id=lesson.id,
                            version=lesson.current_version,
                            texts=lsource.texts,
                            content_hash=digest,
                            created_at=now,
                        )
                    )
                    totals["lessons_updated"] += 1
            lesson.position, lesson.minutes, lesson.objectives = (
                lposition,
                lsource.minutes,
                lsource.objectives,
            )
            lesson.retired_at = None
            seen_lessons.add(lesson.id)
    for module in modules.values():
        if module.id not in seen_modules and module.retired_at is None:
            module.retired_at = now
    for lesson, _version in lessons.values():
        if lesson.id not in seen_lessons and lesson.retired_at is None:
            lesson.retired_at = now


def listing(folders: list[Path]) -> list[dict[str, Any]]:
    """Courses → modules → lessons with their files, as read from the folders."""
    sources, _problems = load_courses(folders)
    return [
        {
            "slug": c.slug,
            "folder": c.folder,
            "title": c.texts[c.languages[0]]["title"],
            "languages": c.languages,
            "modules": [
                {
                    "key": m.key,
                    "title": m.texts[c.languages[0]]["title"],
                    "lessons": [
                        {
                            "key": lesson.key,
                            "title": lesson.texts[c.languages[0]]["title"],
                            "files": {lang: t["file"] for lang, t in lesson.texts.items()},
                        }
                        for lesson in m.lessons
                    ],
                }
                for m in c.modules
            ],
        }
        for c in sources
    ]
