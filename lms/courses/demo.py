"""The courses part of the demo world: the shipped courses, synced."""

from __future__ import annotations

from flask import current_app

from lms.config import content_folders
from lms.courses import services
from lms.courses.content import KnownTests
from lms.demo import DemoWorld


def seed(world: DemoWorld, *, known_tests: KnownTests) -> None:
    """Sync the courses; ``known_tests`` names the banks they may use as tests."""
    totals = services.sync(
        content_folders(current_app.config["COURSES_DIR"]),
        known_tests=known_tests,
        now=world.now,
    )
    if totals["created"] + totals["updated"]:
        world.created["courses"] += totals["created"] + totals["updated"]
    if totals["unchanged"]:
        world.existing["courses"] += totals["unchanged"]
