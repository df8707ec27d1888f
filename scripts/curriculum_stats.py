"""Word and item counts of the shipped courses and banks, as Markdown tables.

    .venv/bin/python scripts/curriculum_stats.py

Words are counted in each lesson's Markdown body (front matter left out); items per bank
category, module tag and difficulty tag. docs/curriculum.md quotes the output.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms.assessments.services import read_bank_file  # noqa: E402
from lms.courses.content import FRONT_MATTER, load_courses  # noqa: E402


def words(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    body = text[match.end() :] if match else text
    body = re.sub(r"<[^>]+>", " ", body)
    return len(re.findall(r"\w[\w'’-]*", body))


def main() -> None:
    courses, problems = load_courses([ROOT / "courses"])
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    for course in courses:
        folder = Path(course.folder)
        print(f"\n### {course.texts[course.languages[0]]['title']} (`{course.slug}`)\n")
        languages = course.languages
        print(
            "| Module | Lesson | Minutes | " + " | ".join(f"Words ({x})" for x in languages) + " |"
        )
        print("|---|---|---|" + "---|" * len(languages))
        totals = collections.Counter()
        for module in course.modules:
            for lesson in module.lessons:
                counts = []
                for language in languages:
                    text = lesson.texts.get(language)
                    n = words(folder / text["file"]) if text else 0
                    totals[language] += n
                    counts.append(str(n) if n else "—")
                title = lesson.texts[languages[0]]["title"]
                print(f"| {module.key} | {title} | {lesson.minutes} | " + " | ".join(counts) + " |")
        print("| **Total** | | | " + " | ".join(str(totals[x]) for x in languages) + " |")
    for bank in sorted((ROOT / "assessments").rglob("*.gift")):
        parsed = read_bank_file(bank.read_bytes(), "gift", source=str(bank))
        by_category = collections.Counter(q.category for q in parsed.questions)
        by_module = collections.Counter()
        by_level = collections.Counter()
        by_type = collections.Counter()
        for q in parsed.questions:
            tags = set(q.tags)
            module = next((t for t in tags if t.startswith("module-")), "?")
            level = next((t for t in tags if t.startswith("difficulty-")), "?")
            form = (q.category or "").rsplit("/", 1)[-1]
            by_module[(form if form.startswith("form") else "checks", module)] += 1
            by_level[(form if form.startswith("form") else "checks", level)] += 1
            kind = q.qtype.value + ("" if q.single else " (multiple)")
            by_type[kind] += 1
        name = bank.relative_to(ROOT / "assessments")
        print(f"\n#### Bank `{name}`: {len(parsed.questions)} items\n")
        print("| Category | Items |\n|---|---|")
        for category, n in sorted(by_category.items()):
            print(f"| {category} | {n} |")
        print("\n| Part | Module | Items |\n|---|---|---|")
        for (part, module), n in sorted(by_module.items()):
            print(f"| {part} | {module} | {n} |")
        print("\n| Part | Difficulty | Items |\n|---|---|---|")
        for (part, level), n in sorted(by_level.items()):
            print(f"| {part} | {level} | {n} |")
        print("\nTypes: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))


if __name__ == "__main__":
    main()
