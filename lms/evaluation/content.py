"""Surveys as content: ``surveys.yaml`` beside a course's course.yaml says which surveys
the course uses and how; shared definitions live in ``_surveys/<name>.yaml`` of the same
content folder (a folder without course.yaml, so it is not a course).

    feedback:
      survey: feedback          # _surveys/feedback.yaml (or give title/questions inline)
      offered: after_certificate # or before_certificate
      anonymous: false
    follow_up:
      survey: follow-up
      months: [3, 6]
      anonymous: false
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.courses.content import Collector, Problem, line_of, read_yaml
from lms.evaluation import definitions
from lms.evaluation.definitions import Definition

LIBRARY = "_surveys"
KINDS = ("feedback", "follow_up")
OFFERED = ("before_certificate", "after_certificate")


@dataclass
class CourseSurveys:
    """What a course's surveys.yaml says, with the definitions resolved."""

    slug: str
    file: str
    #: kind → {"definition": Definition, "anonymous": bool, "offered": str, "months": [...]}
    surveys: dict[str, dict[str, Any]] = field(default_factory=dict)


def _line_of_question(path: Path, message: str) -> int:
    """The line of the question a definition problem names ("question relevance: …")."""
    found = re.match(r"question ([a-z0-9-]+)", message)
    if found is None:
        return 1
    pattern = re.compile(rf"^\s*(-\s*)?id:\s*['\"]?{re.escape(found.group(1))}['\"]?\s*$")
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.match(line):
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


def _line_in(path: Path, block: str, key: str) -> int:
    """The line of ``key:`` inside the top-level mapping ``block:`` (else of the block)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    start = next((n for n, line in enumerate(lines, 1) if line.startswith(f"{block}:")), None)
    if start is None:
        return 1
    for number in range(start, len(lines)):
        line = lines[number]
        if line and not line[0].isspace():
            break
        if line.strip().startswith(f"{key}:"):
            return number + 1
    return start


def _definition(path: Path, key: str, data: Any, problems: Collector) -> Definition | None:
    definition, found = definitions.parse(key, data)
    for message in found:
        problems.add(path, _line_of_question(path, message), message)
    return definition


def _library(folder: Path, problems: Collector) -> dict[str, tuple[Path, Definition]]:
    shared: dict[str, tuple[Path, Definition]] = {}
    for path in sorted((folder / LIBRARY).glob("*.yaml")):
        data = read_yaml(path, problems)
        if data is None:
            continue
        definition = _definition(path, path.stem, data, problems)
        if definition is not None:
            shared[path.stem] = (path, definition)
    return shared


def _course_surveys(
    course_dir: Path, slug: str, library: dict[str, tuple[Path, Definition]], problems: Collector
) -> CourseSurveys | None:
    path = course_dir / "surveys.yaml"
    data = read_yaml(path, problems)
    if data is None:
        return None
    found = CourseSurveys(slug=slug, file=str(path))
    for key in sorted(set(data) - set(KINDS), key=str):
        problems.add(path, line_of(path, str(key)), f"unknown key {key!r}: use feedback, follow_up")
    for kind in KINDS:
        spec = data.get(kind)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            problems.add(path, line_of(path, kind), f"{kind}: a mapping (survey, anonymous, …)")
            continue
        allowed = {"survey", "title", "intro", "questions", "anonymous"}
        allowed |= {"offered"} if kind == "feedback" else {"months"}
        for key in sorted(set(spec) - allowed, key=str):
            problems.add(path, _line_in(path, kind, str(key)), f"{kind}: unknown key {key!r}")
        if "survey" in spec:
            name = str(spec["survey"])
            if name not in library:
                problems.add(path, _line_in(path, kind, "survey"),
                             f"{kind}: no survey {name!r} in {LIBRARY}/")  # fmt: skip
                continue
            definition = library[name][1]
        else:
            inline = {key: spec[key] for key in ("title", "intro", "questions") if key in spec}
            definition = _definition(path, f"{slug}-{kind}", inline, problems)
            if definition is None:
                continue
        anonymous = spec.get("anonymous", False)
        if not isinstance(anonymous, bool):
            problems.add(path, _line_in(path, kind, "anonymous"),
                         f"{kind}: anonymous is true or false")  # fmt: skip
            continue
        settings: dict[str, Any] = {"definition": definition, "anonymous": anonymous,
                                    "offered": "after_certificate", "months": []}  # fmt: skip
        if kind == "feedback":
            offered = spec.get("offered", "after_certificate")
            if offered not in OFFERED:
                problems.add(path, _line_in(path, kind, "offered"),
                             f"feedback: offered is {' or '.join(OFFERED)}")  # fmt: skip
                continue
            settings["offered"] = offered
        else:
            months = spec.get("months", [3, 6])
            if (not isinstance(months, list) or not months
                    or not all(isinstance(m, int) and 1 <= m <= 24 for m in months)
                    or sorted(set(months)) != months):  # fmt: skip
                problems.add(path, _line_in(path, kind, "months"),
                             "follow_up: months lists increasing numbers from 1 to 24")  # fmt: skip
                continue
            settings["months"] = months
        found.surveys[kind] = settings
    return found


def load_surveys(folders: list[Path]) -> tuple[list[CourseSurveys], list[Problem]]:
    """Every course's surveys in the content folders, and the problems found (a course
    with a problem in its surveys.yaml is left out)."""
    problems = Collector()
    result: list[CourseSurveys] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        library = _library(folder, problems)
        for course_dir in sorted(p for p in folder.iterdir()
                                 if p.is_dir() and (p / "course.yaml").exists()):  # fmt: skip
            if not (course_dir / "surveys.yaml").exists():
                continue
            course_yaml = read_yaml(course_dir / "course.yaml", Collector()) or {}
            slug = str(course_yaml.get("slug") or course_dir.name)
            before = len(problems.problems)
            found = _course_surveys(course_dir, slug, library, problems)
            if found is not None and len(problems.problems) == before:
                result.append(found)
    return result, problems.problems
