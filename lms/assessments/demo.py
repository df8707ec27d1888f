"""The assessments part of the demo world: the shipped question banks, synced."""

from __future__ import annotations

from flask import current_app

from lms.assessments import services
from lms.config import content_folders
from lms.demo import DemoWorld


def seed(world: DemoWorld) -> None:
    totals = services.sync_content(
        content_folders(current_app.config["ASSESSMENTS_DIR"]), now=world.now
    )
    if totals["created"] + totals["updated"]:
        world.created["questions"] += totals["created"] + totals["updated"]
    if totals["unchanged"]:
        world.existing["questions"] += totals["unchanged"]
