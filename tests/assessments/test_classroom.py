"""Classroom tests: answer sheets typed in by the trainer, checked, reviewed, then saved as
attempts like any other (marked as entered by the trainer)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.assessments import attempts, classroom, qtypes
from lms.assessments.gift import read_gift
from lms.assessments.models import Attempt, AttemptSource
from lms.enrolments import cohorts
from lms.errors import Conflict
from lms.extensions import db
from tests.assessments.test_attempts import _course
from tests.factories import make_cohort, make_user, sign_in


def _q(text: str):
    return read_gift(text).questions[0]


@pytest.mark.parametrize(
    ("gift", "typed", "expected"),
    [
        ("::Q::Pick{=a ~b ~c}", "a", {"choice": 0}),
        ("::Q::Pick{=a ~b ~c}", " c ", {"choice": 2}),
        ("::Q::Pick{=a ~b ~c}", "С", {"choice": 2}),  # a Cyrillic С from a Russian keyboard
        ("::Q::Many{~%50%a ~%50%b ~%-100%c}", "BA", {"choices": [0, 1]}),
        ("::Q::So?{T}", "t", {"value": True}),
        ("::Q::So?{T}", "Н", {"value": False}),
        ("::Q::Word?{=Kabul}", "kabul", {"text": "kabul"}),
        (
            "::Q::Match{=one -> 1 =two -> 2 =three -> 3}",
            "CAB",
            {"pairs": {"0": "3", "1": "1", "2": "2"}},
        ),
        ("::Q::Pick{=a ~b ~c}", "", {}),
    ],
)
def test_cells_read_what_the_learner_marked(gift, typed, expected):
    assert classroom.read_cell(_q(gift), typed).response == expected


@pytest.mark.parametrize(
    ("gift", "typed", "message"),
    [
        ("::Q::Pick{=a ~b ~c}", "D", "options A to C"),
        ("::Q::Pick{=a ~b ~c}", "AB", "One letter only"),
        ("::Q::Pick{=a ~b ~c}", "7", "not an option letter"),
        ("::Q::Many{~%50%a ~%50%b ~%-100%c}", "AA", "written twice"),
        ("::Q::So?{T}", "maybe", r"T \(true\) or F"),
        ("::Q::Match{=one -> 1 =two -> 2 =three -> 3}", "AB", "Write 3 letters"),
        ("::Q::Essay{}", "60", "0, 25, 50, 75 or 100"),
    ],
)
def test_unreadable_cells_say_why(gift, typed, message):
    with pytest.raises(qtypes.ResponseError, match=message):
        classroom.read_cell(_q(gift), typed)


def test_an_essay_cell_carries_the_mark_given_on_paper():
    cell = classroom.read_cell(_q("::Q::Essay{}"), "75%")
    assert cell.essay_mark == 0.75 and cell.response == {"text": "(on paper)"}


def test_a_trainer_types_in_a_classroom_and_confirms_after_a_review(app, frozen_clock):
    trainer = make_user("class.trainer", roles=[Role.TRAINER])
    course = _course(slug="classroom")
    cohort = make_cohort(course, name="Classroom", trainers=[trainer])
    people = [make_user(f"class.learner{n}", country_code="KG") for n in range(2)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    client = app.test_client()
    sign_in(client, trainer)
    url = f"/cohorts/{cohort.id}/tests/pre/entry"
    page = client.get(url).get_data(as_text=True)
    first = cohorts.participants(cohort)
    on_a = [e for e in first if attempts.form_for(e, "pre", course.tests["pre"]) == "t/form-a"]
    assert len(on_a) == 1 and page.count('class="entry__cell"') == 3
    enrolment = on_a[0]
    # Form A: A1 single (right: A), A2 true/false (True), A3 short answer (migrants).
    bad = client.post(url, data={f"c-{enrolment.id}-1": "Z", f"c-{enrolment.id}-2": "T"})
    assert bad.status_code == 422 and "The options go from A to C." in bad.get_data(as_text=True)
    cells = {
        f"c-{enrolment.id}-1": "A",
        f"c-{enrolment.id}-2": "T",
        f"c-{enrolment.id}-3": "Migrants",
        "form": "t/form-a",
    }
    review = client.post(url, data={**cells, "action": "review"})
    assert review.status_code == 200 and "100%" in review.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    saved = client.post(url, data={**cells, "action": "confirm"})
    assert saved.status_code == 302
    attempt = db.session.scalar(sa.select(Attempt))
    assert attempt.source is AttemptSource.CLASSROOM and attempt.entered_by_id == trainer.id
    assert attempt.score == 100.0 and attempt.form == "t/form-a"
    db.session.expire_all()
    assert enrolment.pre_test_done_at is not None
    again = client.get(url).get_data(as_text=True)
    assert "Already has a result for this test." in again
    with pytest.raises(Conflict):
        attempts.enter_classroom(
            enrolment, course, "pre", form="t/form-a", language="en",
            responses={}, essay_marks={}, by=trainer, now=clock.now(),
        )  # fmt: skip
    learner = app.test_client()
    sign_in(learner, people[0])
    assert learner.get(url).status_code == 403
