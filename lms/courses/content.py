"""Reading courses from their folders (pure: no Flask, no database).

A course is a folder ``<slug>/`` with ``course.yaml``, one folder per module (listed in
order in ``course.yaml``) holding ``module.yaml`` and Markdown lessons with front matter,
``assets/`` for images, and translations in ``<language>/`` folders that mirror the lesson
files. docs/content-format.md describes the format with an example.

:func:`load_courses` returns every course it could read and every problem it found, each
with its file and line, so ``lms content check`` can report them all at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lms.markdown import BlockError, render_markdown

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LessonSource:
    key: str
    file: str
    #: language → {"title", "html", "file"}; the course's first language is the original.
    texts: dict[str, dict[str, str]]
    minutes: int
    objectives: list[str]


@dataclass
class ModuleSource:
    key: str
    #: language → {"title", "summary"}.
    texts: dict[str, dict[str, str]]
    lessons: list[LessonSource] = field(default_factory=list)


@dataclass
class CourseSource:
    slug: str
    folder: str
    #: language → {"title", "summary"}.
    texts: dict[str, dict[str, str]]
    languages: list[str]
    version: str
    audience: list[str]
    estimated_hours: float
    pass_mark: int
    objectives: list[dict[str, str]]
    pre_test: str | None
    post_test: str | None
    self_enrolment: bool
    requires_attendance: bool
    min_attendance: int = 100
    #: Years a certificate of this course stays valid (None: it does not expire).
    certificate_valid_years: int | None = None
    #: The course's tests by kind ("pre", "post", "check:<module>"), as TestDefinition dicts.
    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: list[ModuleSource] = field(default_factory=list)

    def content_hash(self) -> str:
        """sha256 of everything the course is made of (a sync with the same hash is a no-op)."""
        data = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(str(path), line, message))


def _read_yaml(path: Path, problems: _Collector) -> dict[str, Any] | None:
    if not path.is_file():
        problems.add(path, 1, "the file is missing")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.add(path, 1, "the file is not UTF-8 text")
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problems.add(path, line, f"this is not valid YAML: {getattr(error, 'problem', error)}")
        return None
    if not isinstance(data, dict):
        problems.add(path, 1, "the file must hold a mapping of keys to values")
        return None
    return data


def _line_of(path: Path, key: str) -> int:
    """The line where ``key:`` is written in a YAML file (1 when it is not there)."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(f"{key}:"):
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


def _text(
    data: dict[str, Any], key: str, path: Path, problems: _Collector, *, required: bool
) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(path, _line_of(path, key), f"'{key}' is required")
        return ""
    if not isinstance(value, str):
        problems.add(path, _line_of(path, key), f"'{key}' must be text")
        return ""
    return value.strip()


def _read_lesson(
    path: Path, course_dir: Path, problems: _Collector, language: str
) -> dict[str, Any] | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.add(path, 1, "the file is not UTF-8 text")
        return None
    match = FRONT_MATTER.match(raw)
    if match is None:
        problems.add(path, 1, "a lesson starts with front matter between --- lines (title: …)")
        return None
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.add(path, (mark.line + 2) if mark else 1, "the front matter is not valid YAML")
        return None
    if not isinstance(meta, dict):
        problems.add(path, 2, "the front matter must hold keys and values")
        return None
    body = raw[match.end() :]
    offset = raw[: match.end()].count("\n")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(path, 2, "the lesson has no title (title: … in its front matter)")
        return None
    for number, line in enumerate(body.split("\n"), start=offset + 1):
        for target in LINK.findall(line):
            if "://" in target or target.startswith(("#", "mailto:")):
                if target.lower().startswith("javascript:"):
                    problems.add(path, number, f"a link may not run script: {target}")
                continue
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(course_dir.resolve()) or not resolved.exists():
                problems.add(path, number, f"the link or image {target!r} points to no file")
    try:
        html = render_markdown(body, language=language)
    except BlockError as error:
        problems.add(path, offset + error.line, error.message)
        return None
    if re.search(r"<\s*(script|iframe|object|embed|style)\b|\son\w+\s*=|javascript:", body, re.I):
        problems.add(
            path,
            offset + 1,
            "the lesson holds HTML the sanitiser removes (script, event handler or javascript:)",
        )
    minutes = meta.get("minutes", 0)
    if not isinstance(minutes, int) or minutes < 0:
        problems.add(path, 2, "'minutes' must be a whole number")
        minutes = 0
    objectives = meta.get("objectives") or []
    if not isinstance(objectives, list):
        problems.add(path, 2, "'objectives' must be a list of objective ids")
        objectives = []
    return {
        "title": title.strip(),
        "html": html,
        "minutes": minutes,
        "objectives": [str(o) for o in objectives],
    }


def _min_attendance(data: dict[str, Any], path: Path, problems: _Collector) -> int:
    value = data.get("min_attendance", 100)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        problems.add(
            path,
            _line_of(path, "min_attendance"),
            "'min_attendance' must be a whole number of per cent from 1 to 100",
        )
        return 100
    return value


def _valid_years(data: dict[str, Any], path: Path, problems: _Collector) -> int | None:
    value = data.get("certificate_valid_years")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
        problems.add(
            path,
            _line_of(path, "certificate_valid_years"),
            "'certificate_valid_years' must be a whole number of years from 1 to 50",
        )
        return None
    return value


def _translated_objectives(
    data: dict[str, Any], known: set[str], path: Path, problems: _Collector
) -> dict[str, str]:
    """A translation's ``objectives:`` mapping of objective id → translated text."""
    value = data.get("objectives")
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(
            path,
            _line_of(path, "objectives"),
            "'objectives' in a translation maps each objective id to its translated text",
        )
        return {}
    texts: dict[str, str] = {}
    for key, text in value.items():
        if str(key) not in known:
            problems.add(path, _line_of(path, str(key)), f"unknown objective {key!r}")
        elif not isinstance(text, str) or not text.strip():
            problems.add(path, _line_of(path, str(key)), f"objective {key!r} needs a text")
        else:
            texts[str(key)] = text.strip()
    return texts


#: What a learner sees after submitting a test.
REVEAL = ("score", "feedback", "answers")
#: Known banks: name → {category path: number of questions}; a plain set of names when the
#: categories are not known (then only the names are checked); None: nothing is checked.
KnownTests = Mapping[str, Mapping[str, int]] | set[str] | None
_TEST_KEYS = {
    "bank", "forms", "category", "items", "time_limit", "attempts", "pass_mark", "reveal",
}  # fmt: skip


def _load_tests(
    folder: Path,
    course_data: dict[str, Any],
    course_yaml: Path,
    known: KnownTests,
    problems: _Collector,
    pass_mark: int,
) -> dict[str, dict[str, Any]]:
    """The course's test definitions: ``tests.yaml`` beside course.yaml (or, for a course
    without one, ``pre_test:``/``post_test:`` naming a bank in course.yaml)."""
    path = folder / "tests.yaml"
    raw: dict[str, Any] = {}
    where = path
    if path.exists():
        raw = _read_yaml(path, problems) or {}
        for key in ("pre_test", "post_test"):
            if course_data.get(key):
                problems.add(
                    course_yaml,
                    _line_of(course_yaml, key),
                    f"'{key}' is defined in tests.yaml: remove it from course.yaml",
                )
    else:
        where = course_yaml
        for key in ("pre_test", "post_test"):
            if course_data.get(key):
                raw[key] = {"bank": course_data[key]}
    tests: dict[str, dict[str, Any]] = {}
    for key, kind in (("pre_test", "pre"), ("post_test", "post")):
        if raw.get(key) is not None:
            found = _test(raw[key], key, kind, where, known, problems, pass_mark)
            if found is not None:
                tests[kind] = found
    checks = raw.get("module_checks") or {}
    if not isinstance(checks, dict):
        problems.add(
            where, _line_of(where, "module_checks"), "'module_checks' maps module folders to tests"
        )
        checks = {}
    modules = {str(m) for m in course_data.get("modules") or []}
    for module, spec in checks.items():
        if str(module) not in modules:
            problems.add(
                where, _line_of(where, str(module)), f"{module!r} is not a module of the course"
            )
            continue
        found = _test(spec, str(module), "check", where, known, problems, pass_mark)
        if found is not None:
            tests[f"check:{module}"] = found
    unknown = set(raw) - {"pre_test", "post_test", "module_checks"}
    for key in sorted(unknown):
        problems.add(where, _line_of(where, str(key)), f"unknown key {key!r}")
    pre, post = tests.get("pre"), tests.get("post")
    if pre and post and len(pre["forms"]) == 2 and sorted(pre["forms"]) != sorted(post["forms"]):
        problems.add(
            where,
            _line_of(where, "forms"),
            "counterbalanced pre- and post-tests use the same two forms",
        )
    return tests


def _test(
    spec: Any,
    key: str,
    kind: str,
    path: Path,
    known: KnownTests,
    problems: _Collector,
    pass_mark: int,
) -> dict[str, Any] | None:
    line = _line_of(path, key)
    if not isinstance(spec, dict):
        problems.add(path, line, f"'{key}' must hold a bank and its settings")
        return None
    before = len(problems.problems)
    for extra in sorted(set(spec) - _TEST_KEYS):
        problems.add(path, line, f"unknown setting {extra!r} in '{key}'")
    bank = spec.get("bank")
    categories: Mapping[str, int] | None = None
    if not isinstance(bank, str) or not bank:
        problems.add(path, line, f"'{key}' needs the bank it draws from ('bank: …')")
    elif known is not None and bank not in known:
        problems.add(
            path, line, f"the assessment {bank!r} does not exist in the assessments folders"
        )
    elif isinstance(known, Mapping):
        categories = known[bank]
    forms = spec.get("forms")
    if forms is None:
        forms = [spec["category"]] if spec.get("category") else []
    if (
        not isinstance(forms, list)
        or not all(isinstance(f, str) and f for f in forms)
        or len(forms) > 2
    ):
        problems.add(path, line, f"'forms' in '{key}' lists one or two categories of the bank")
        forms = []
    sizes = []
    for form in forms:
        if categories is not None:
            if form not in categories:
                problems.add(path, line, f"the bank {bank!r} has no category {form!r}")
            else:
                sizes.append(categories[form])
    if not forms and categories is not None:
        sizes.append(sum(categories.values()))
    numbers: dict[str, int | None] = {}
    for name, default, low in (("items", None, 1), ("time_limit", None, 1), ("attempts", 1, 0)):
        value = spec.get(name, default)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < low
        ):
            problems.add(
                path, line, f"'{name}' in '{key}' must be a whole number of at least {low}"
            )
            value = default
        numbers[name] = value
    items = numbers["items"]
    if items is not None and sizes and items > min(sizes):
        problems.add(
            path, line, f"'{key}' draws {items} items but a form has only {min(sizes)} questions"
        )
    mark = spec.get("pass_mark", pass_mark)
    if isinstance(mark, bool) or not isinstance(mark, int | float) or not 0 <= mark <= 100:
        problems.add(path, line, f"'pass_mark' in '{key}' must be a number from 0 to 100")
        mark = pass_mark
    reveal = spec.get("reveal", "score" if kind == "pre" else "feedback")
    if reveal not in REVEAL:
        problems.add(path, line, f"'reveal' in '{key}' is one of: {', '.join(REVEAL)}")
        reveal = "score"
    if kind == "pre" and reveal != "score":
        problems.add(path, line, "a pre-test never reveals answers: use 'reveal: score'")
    if len(problems.problems) != before:
        return None
    return {
        "bank": bank,
        "forms": forms,
        "items": items,
        "time_limit": numbers["time_limit"],
        "attempts": numbers["attempts"],
        "pass_mark": float(mark),
        "reveal": reveal,
    }


def _load_course(
    folder: Path, known_tests: KnownTests, problems: _Collector
) -> CourseSource | None:
    path = folder / "course.yaml"
    data = _read_yaml(path, problems)
    if data is None:
        return None
    before = len(problems.problems)
    slug = str(data.get("slug") or folder.name)
    if not SLUG.match(slug):
        problems.add(
            path,
            _line_of(path, "slug"),
            f"the slug {slug!r} must be lower-case letters, digits and -",
        )
    languages = data.get("languages") or ["en"]
    if not isinstance(languages, list) or not all(
        isinstance(x, str) and LANGUAGE.match(x) for x in languages
    ):
        problems.add(
            path, _line_of(path, "languages"), "'languages' must list language codes such as en, ru"
        )
        languages = ["en"]
    original = languages[0]
    texts = {
        original: {
            "title": _text(data, "title", path, problems, required=True),
            "summary": _text(data, "summary", path, problems, required=False),
        }
    }
    objectives = data.get("objectives") or []
    if not isinstance(objectives, list) or not all(
        isinstance(o, dict) and o.get("id") and o.get("text") for o in objectives
    ):
        problems.add(path, _line_of(path, "objectives"), "each objective needs an id and a text")
        objectives = []
    objective_ids = {str(o["id"]) for o in objectives}
    numbers = {}
    for key, default in (("estimated_hours", 1), ("pass_mark", 70)):
        value = data.get(key, default)
        if not isinstance(value, int | float) or value < 0 or (key == "pass_mark" and value > 100):
            problems.add(
                path,
                _line_of(path, key),
                f"'{key}' must be a number" + (" from 0 to 100" if key == "pass_mark" else ""),
            )
            value = default
        numbers[key] = value
    modules_listed = data.get("modules")
    if not isinstance(modules_listed, list) or not modules_listed:
        problems.add(
            path, _line_of(path, "modules"), "'modules' must list the module folders in order"
        )
        modules_listed = []
    course = CourseSource(
        slug=slug,
        folder=str(folder),
        texts=texts,
        languages=languages,
        version=str(data.get("version", "1")),
        audience=[str(a) for a in data.get("audience") or []],
        estimated_hours=float(numbers["estimated_hours"]),
        pass_mark=int(numbers["pass_mark"]),
        objectives=[{"id": str(o["id"]), "text": str(o["text"])} for o in objectives],
        pre_test=None,
        post_test=None,
        self_enrolment=bool(data.get("self_enrolment", True)),
        requires_attendance=bool(data.get("requires_attendance", False)),
        min_attendance=_min_attendance(data, path, problems),
        certificate_valid_years=_valid_years(data, path, problems),
    )
    course.tests = _load_tests(folder, data, path, known_tests, problems, course.pass_mark)
    course.pre_test = course.tests["pre"]["bank"] if "pre" in course.tests else None
    course.post_test = course.tests["post"]["bank"] if "post" in course.tests else None
    if course.requires_attendance and course.self_enrolment:
        problems.add(
            path,
            _line_of(path, "requires_attendance"),
            "a course that requires attendance is taken in cohorts: set self_enrolment: false",
        )
    for language in languages[1:]:
        translated = folder / language / "course.yaml"
        if translated.exists():
            tdata = _read_yaml(translated, problems) or {}
            course.texts[language] = {
                "title": _text(tdata, "title", translated, problems, required=False),
                "summary": _text(tdata, "summary", translated, problems, required=False),
            }
            objective_texts = _translated_objectives(tdata, objective_ids, translated, problems)
            if objective_texts:
                course.texts[language]["objectives"] = objective_texts
    for module_name in modules_listed:
        module_dir = folder / str(module_name)
        module_yaml = module_dir / "module.yaml"
        mdata = _read_yaml(module_yaml, problems)
        if mdata is None:
            continue
        module = ModuleSource(
            key=str(module_name),
            texts={
                original: {
                    "title": _text(mdata, "title", module_yaml, problems, required=True),
                    "summary": _text(mdata, "summary", module_yaml, problems, required=False),
                }
            },
        )
        for language in languages[1:]:
            tpath = folder / language / str(module_name) / "module.yaml"
            if tpath.exists():
                tdata = _read_yaml(tpath, problems) or {}
                module.texts[language] = {
                    "title": _text(tdata, "title", tpath, problems, required=False),
                    "summary": _text(tdata, "summary", tpath, problems, required=False),
                }
        lesson_files = sorted(module_dir.glob("*.md"))
        if not lesson_files:
            problems.add(module_yaml, 1, "the module has no lessons (*.md files)")
        for lesson_path in lesson_files:
            lesson = _read_lesson(lesson_path, folder, problems, original)
            if lesson is None:
                continue
            for objective in lesson["objectives"]:
                if objective not in objective_ids:
                    problems.add(
                        lesson_path, 2, f"the objective {objective!r} is not one of the course's"
                    )
            texts_l = {
                original: {
                    "title": lesson["title"],
                    "html": lesson["html"],
                    "file": str(lesson_path.relative_to(folder)),
                }
            }
            for language in languages[1:]:
                tpath = folder / language / str(module_name) / lesson_path.name
                if tpath.exists():
                    translated = _read_lesson(tpath, folder, problems, language)
                    if translated is not None:
                        texts_l[language] = {
                            "title": translated["title"],
                            "html": translated["html"],
                            "file": str(tpath.relative_to(folder)),
                        }
            module.lessons.append(
                LessonSource(
                    key=lesson_path.stem,
                    file=str(lesson_path.relative_to(folder)),
                    texts=texts_l,
                    minutes=lesson["minutes"],
                    objectives=lesson["objectives"],
                )
            )
        course.modules.append(module)
    return course if len(problems.problems) == before else None


def load_courses(
    folders: list[Path], *, known_tests: KnownTests = None
) -> tuple[list[CourseSource], list[Problem]]:
    """Every course of the folders, and every problem found (a course with problems is
    left out of the list). ``known_tests`` names the assessments that exist, with their
    categories where known (None: unchecked)."""
    problems = _Collector()
    courses: list[CourseSource] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            problems.add(folder, 1, "the content folder does not exist")
            continue
        for course_dir in sorted(
            p for p in folder.iterdir() if p.is_dir() and (p / "course.yaml").exists()
        ):
            course = _load_course(course_dir, known_tests, problems)
            if course is None:
                continue
            if course.slug in seen:
                problems.add(
                    course_dir / "course.yaml",
                    1,
                    f"the slug {course.slug!r} is also used by {seen[course.slug]}",
                )
                continue
            seen[course.slug] = str(course_dir)
            courses.append(course)
    return courses, problems.problems


#: Public names of the YAML helpers, for other domains' content (lms.evaluation.content).
read_yaml = _read_yaml
line_of = _line_of
Collector = _Collector
