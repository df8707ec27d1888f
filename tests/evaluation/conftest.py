"""Fixtures of the evaluation tests: the shipped standard surveys attached to the test
course "cert" (the course tests.certificates' ``_complete`` finishes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms import clock
from lms.config import REPO_ROOT
from lms.evaluation import services

SURVEYS = """feedback:
  survey: feedback
  anonymous: {anonymous}
  offered: {offered}
follow_up:
  survey: follow-up
  months: [3, 6]
"""


def attach(tmp_path: Path, *, anonymous: bool = False, offered: str = "after_certificate") -> None:
    """Give the course "cert" the standard feedback and follow-up surveys."""
    folder = tmp_path / "content"
    if not (folder / "_surveys").exists():
        shutil.copytree(REPO_ROOT / "courses" / "_surveys", folder / "_surveys")
    (folder / "cert").mkdir(parents=True, exist_ok=True)
    (folder / "cert" / "course.yaml").write_text("title: Cert\n", encoding="utf-8")
    (folder / "cert" / "surveys.yaml").write_text(
        SURVEYS.format(anonymous=str(anonymous).lower(), offered=offered), encoding="utf-8"
    )
    services.sync([folder], now=clock.now())


@pytest.fixture
def surveyed(app, frozen_clock, tmp_path):
    """A learner who completed "cert", whose course has the standard surveys (named)."""
    from tests.certificates.test_certificates import _complete

    enrolment = _complete("survey.learner")
    attach(tmp_path)
    return enrolment
