"""A bank's item analysis over real attempts (online and from paper), per form and
language, with its files; coordinators see their countries' learners only."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from lms import clock
from lms.accounts.models import Role
from lms.assessments import attempts
from lms.assessments.models import QuestionBank
from lms.enrolments import cohorts
from lms.extensions import db
from lms.reports import knowledge
from tests.assessments.test_attempts import _course
from tests.factories import make_cohort, make_user, sign_in

#: Form A of the test bank: A1 single choice (right: option A), A2 true/false (right:
#: true), A3 short answer (right: "migrants"). Four learners on paper:
#:   learner 1: A T migrants → 1 1 1 (total 3)
#:   learner 2: A T x        → 1 1 0 (total 2)
#:   learner 3: A F x        → 1 0 0 (total 1)
#:   learner 4: B F x        → 0 0 0 (total 0)
#: Facility: A1 75 %, A2 50 %, A3 25 %.
#: A1 against the rest (A2 + A3 = 2, 1, 0, 0): item 1, 1, 1, 0 → r = 0.522 → 52.2 %.
#: KR-20 (population variances throughout): p·q = .1875 + .25 + .1875 = .625; totals
#: 3, 2, 1, 0 have variance 5/4; α = 3/2 · (1 − .625 / 1.25) = 0.75.
SHEETS = [["A", "T", "migrants"], ["A", "T", "x"], ["A", "F", "x"], ["B", "F", "x"]]


def _answer(cell: str, position: int) -> dict:
    if position == 1:
        return {"choice": "ABC".index(cell)}
    if position == 2:
        return {"value": cell == "T"}
    return {"text": cell}


def _world():
    course = _course(slug="analysis")
    trainer = make_user("an.trainer", roles=[Role.TRAINER])
    cohort = make_cohort(course, name="analysis", trainers=[trainer])
    people = [make_user(f"an.l{n}", country_code="KG") for n in range(8)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    on_a = cohorts.participants(cohort)[:4]
    for enrolment, sheet in zip(on_a, SHEETS, strict=True):
        attempts.enter_classroom(
            enrolment,
            course,
            "pre",
            form="t/form-a",
            language="en",
            responses={p: _answer(c, p) for p, c in enumerate(sheet, start=1)},
            essay_marks={},
            by=trainer,
            now=clock.now(),
        )
    db.session.commit()
    return db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == "t/bank"))


def test_the_item_analysis_agrees_with_the_hand_computed_example(app, frozen_clock):
    bank = _world()
    analysis = knowledge.bank_analysis(bank, sa.true(), names={})
    (version,) = analysis.versions
    assert (version.form, version.language) == ("t/form-a", "en")
    items = {item.key.removeprefix("id:"): item for item in version.analysis.items}
    assert items["a1"].facility == 75.0 and items["a2"].facility == 50.0
    assert items["a3"].facility == 25.0
    assert items["a1"].discrimination == pytest.approx(52.2, abs=0.05)
    assert version.analysis.alpha == pytest.approx(0.75)


def test_the_page_and_files_for_a_coordinator(app, frozen_clock):
    bank = _world()
    kg = make_user("an.kg", roles=[Role.COORDINATOR], coordinator_country="KG")
    kz = make_user("an.kz", roles=[Role.COORDINATOR], coordinator_country="KZ")
    client = app.test_client()
    sign_in(client, kg)
    page = client.get(f"/questions/banks/{bank.id}/analysis")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "75%" in text and "0.75" in text
    items = client.get(f"/questions/banks/{bank.id}/analysis?format=csv&table=items")
    lines = items.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Version,Question,Name,Responses,Facility %")
    assert any(line.startswith("All attempts,id:a1,A1,4,75.0") for line in lines)
    book = load_workbook(
        io.BytesIO(client.get(f"/questions/banks/{bank.id}/analysis?format=xlsx").data)
    )
    assert book.sheetnames == ["Test", "Items", "Translations"]
    # Another country's coordinator sees the same page built from their own learners: none.
    other = app.test_client()
    sign_in(other, kz)
    assert "No scored attempt has used this bank yet." in other.get(
        f"/questions/banks/{bank.id}/analysis"
    ).get_data(as_text=True)
    learner = app.test_client()
    sign_in(learner, make_user("an.learner"))
    assert learner.get(f"/questions/banks/{bank.id}/analysis").status_code == 403
    assert client.get("/questions/banks/999999/analysis").status_code == 404


def test_translations_are_found_beside_their_original():
    assert knowledge.original_name("course/ru/bank") == "course/bank"
    assert knowledge.original_name("course/fa_AF/bank") == "course/bank"
    assert knowledge.original_name("course/bank") == "course/bank"
    assert knowledge.original_name("ru/bank") == "bank"
    assert knowledge.original_name("t/bank") == "t/bank"
