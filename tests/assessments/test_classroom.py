"""Classroom tests: answer sheets typed in by the trainer, checked, reviewed, then saved as
attempts like any other (marked as entered by the trainer)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from lms import clock
from lms.accounts.models import Role
from lms.assessments import attempts, classroom, qtypes
from lms.assessments.gift import read_gift
from lms.assessments.models import Attempt, AttemptSource
from lms.audit import AuditEvent
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
    assert "Saved from the answer sheet." in again
    with pytest.raises(Conflict):
        attempts.enter_classroom(
            enrolment, course, "pre", form="t/form-a", language="en",
            responses={}, essay_marks={}, by=trainer, now=clock.now(),
        )  # fmt: skip
    learner = app.test_client()
    sign_in(learner, people[0])
    assert learner.get(url).status_code == 403


# --- Answer sheets as CSV ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (b"", "empty", 1),
        (b"name,1,2,3\nx,A,B,C\n", "username", 1),
        (b"username,1,2\nx,A,B\n", "questions", 1),
        (b"username,1,2,3,4\nx,A,B,C,D\n", "column", 1),
        (b"username,1,2,3,score\n", "column", 1),
        (b"username,1,2,3,Q1\n", "twice", 1),
        (b"username,1,2,3\nx,A,B,C,D\n", "cells", 2),
        (b"username,1,2,3\n,A,B,C\n", "no-username", 2),
        (b"username,1,2,3\nx,A,B,C\n\nX,A,B,C\n", "repeated", 4),
        ("username,1,2,3\nпётр,А,Б,В\n".encode("cp1251"), "encoding", 2),
        (b"username,1,2,3\x00\n", "binary", None),
        (b"username," + b"1" * (classroom.SHEET_MAX_BYTES), "size", None),
    ],
)
def test_a_bad_answer_file_is_refused_with_its_line(text, code, line):
    with pytest.raises(classroom.SheetError) as error:
        classroom.read_sheet(text, 3)
    assert (error.value.code, error.value.line) == (code, line)


def test_an_answer_file_reads_in_paper_order_whatever_the_column_order():
    data = "\ufeffQ3;username;name;Q1;q2\r\nmigrants;ali.k;=cmd|' /C calc'!A0;a;T\r\n;x.y;;;\r\n"
    rows = classroom.read_sheet(data.encode(), 3)
    assert rows == [
        classroom.SheetRow(2, "ali.k", ("a", "T", "migrants")),
        classroom.SheetRow(3, "x.y", ("", "", "")),
    ]


def test_the_blank_sheet_is_safe_to_open_in_a_spreadsheet():
    text = classroom.blank_sheet(2, [("ali.k", "=HYPERLINK(1)"), ("b.c", "Бахтияр")])
    assert text.splitlines() == ["username,name,1,2", "ali.k,'=HYPERLINK(1),,", "b.c,Бахтияр,,"]


@pytest.mark.parametrize(
    ("gift", "response", "mark"),
    [
        ("::Q::Pick{=a ~b ~c}", {"choice": 2}, None),
        ("::Q::Many{~%50%a ~%50%b ~%-100%c}", {"choices": [0, 2]}, None),
        ("::Q::So?{T}", {"value": False}, None),
        ("::Q::Word?{=Kabul}", {"text": "Kabul"}, None),
        (
            "::Q::Match{=one -> 1 =two -> 2 =three -> 3}",
            {"pairs": {"0": "3", "1": "1", "2": "2"}},
            None,
        ),
        ("::Q::Pick{=a ~b ~c}", {}, None),
    ],
)
def test_a_saved_response_is_written_back_as_it_was_typed(gift, response, mark):
    question = _q(gift)
    typed = classroom.write_cell(question, response, mark)
    assert classroom.read_cell(question, typed).response == response


def test_an_essay_mark_is_written_back_in_per_cent():
    question = _q("::Q::Essay{}")
    assert classroom.write_cell(question, {"text": "(on paper)"}, 0.75) == "75"
    assert classroom.read_cell(question, "75").essay_mark == 0.75


def _classroom(app, slug: str):
    trainer = make_user(f"{slug}.trainer", roles=[Role.TRAINER])
    course = _course(slug=slug)
    cohort = make_cohort(course, name=slug, trainers=[trainer])
    people = [make_user(f"{slug}.learner{n}", country_code="KG") for n in range(4)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    client = app.test_client()
    sign_in(client, trainer)
    url = f"/cohorts/{cohort.id}/tests/pre/entry"
    client.get(url)  # gives everyone their order of forms
    on_a = [
        e
        for e in cohorts.participants(cohort)
        if attempts.form_for(e, "pre", course.tests["pre"]) == "t/form-a"
    ]
    return trainer, course, cohort, client, url, on_a


def _upload(client, url: str, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        url,
        data={"action": "upload", "form": "t/form-a", "sheet": (io.BytesIO(data), "answers.csv")},
        content_type="multipart/form-data",
    )


def test_an_uploaded_answer_file_fills_the_grid_for_review(app, frozen_clock):
    _trainer, _c, cohort, client, url, on_a = _classroom(app, "upload")
    first, second = on_a
    sheet = client.get(f"/cohorts/{cohort.id}/tests/pre/sheet.csv?form=t/form-a")
    assert sheet.mimetype == "text/csv" and sheet.data.startswith("\ufeff".encode())
    lines = sheet.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "username,name,1,2,3" and len(lines) == 3  # the two learners on form A
    text = (
        f"username,name,1,2,3\n{first.user.username},x,A,T,migrants\n"
        f"{second.user.username},y,B,F,\n"
    )
    review = _upload(client, url, text)
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Confirm and save" in page
    assert "100%" in page and "0%" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    cells = {f"c-{first.id}-{p}": v for p, v in enumerate(["A", "T", "migrants"], start=1)}
    cells |= {f"c-{second.id}-{p}": v for p, v in enumerate(["B", "F", ""], start=1)}
    saved = client.post(url, data={**cells, "form": "t/form-a", "action": "confirm"})
    assert saved.status_code == 302
    scores = sorted(db.session.scalars(sa.select(Attempt.score)))
    assert scores == [0.0, 100.0]


def test_a_wrong_answer_file_names_its_lines_and_saves_nothing(app, frozen_clock):
    _trainer, _c, cohort, client, url, on_a = _classroom(app, "badupload")
    first = on_a[0]
    other = next(e for e in cohorts.participants(cohort) if e not in on_a)
    text = (
        f"username,1,2,3\n{first.user.username},Z,T,x\n{other.user.username},A,T,x\n"
        "nobody.here,A,T,x\n"
    )
    refused = _upload(client, url, text)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"Line 3: {other.user.username} does not take this form" in page
    assert "Line 4: nobody.here does not take this form" in page
    assert "The options go from A to C." in page  # the cell of line 2, shown on the grid
    assert 'value="Z"' in page  # what was read is kept for correcting
    assert _upload(client, url, b"username,1,2\n").status_code == 422
    missing = client.post(url, data={"action": "upload", "form": "t/form-a"})
    assert missing.status_code == 422 and "Choose a CSV file" in missing.get_data(as_text=True)
    broken = _upload(client, url, "username,1,2,3\nпётр,А,Б,В\n".encode("cp1251"))
    assert "Line 2: The file is not UTF-8" in broken.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_a_saved_classroom_row_is_corrected_and_the_change_audited(app, frozen_clock):
    trainer, course, _cohort, client, url, on_a = _classroom(app, "correct")
    first = on_a[0]
    attempt = attempts.enter_classroom(
        first, course, "pre", form="t/form-a", language="en",
        responses={1: {"choice": 0}, 2: {"value": True}}, essay_marks={}, by=trainer,
        now=clock.now(),
    )  # fmt: skip
    db.session.commit()
    assert attempt.score == pytest.approx(66.67)
    page = client.get(f"{url}?form=t/form-a&correct={first.id}").get_data(as_text=True)
    assert f'name="c-{first.id}-1" value="A"' in page and f'name="c-{first.id}-2" value="T"' in page
    cells = {
        f"c-{first.id}-1": "A",
        f"c-{first.id}-2": "T",
        f"c-{first.id}-3": "migrants",
        "form": "t/form-a",
        "correct": str(first.id),
    }
    assert client.post(url, data={**cells, "action": "review"}).status_code == 200
    assert client.post(url, data={**cells, "action": "confirm"}).status_code == 302
    db.session.expire_all()
    assert attempt.score == 100.0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "attempt.correct"))
    assert event.actor_id == trainer.id
    assert event.details["changes"] == [
        {"position": 3, "from": {}, "to": {"text": "migrants"}, "fraction_from": 0.0,
         "fraction_to": 1.0},
    ]  # fmt: skip
    # Only a classroom result with a saved row can be opened for correction.
    assert client.get(f"{url}?form=t/form-a&correct={on_a[1].id}").status_code == 404
    assert client.get(f"{url}?form=t/form-a&correct=abc").status_code == 404


def test_a_correction_cannot_take_away_a_completion(frozen_clock):
    trainer = make_user("guard.trainer", roles=[Role.TRAINER])
    course = _course(slug="guard")
    cohort = make_cohort(course, trainers=[trainer])
    learner = make_user("guard.learner", country_code="KG")
    cohorts.enrol_people(cohort, [learner], by=None, now=clock.now())
    enrolment = cohorts.participants(cohort)[0]
    form = attempts.form_for(enrolment, "post", course.tests["post"])
    now = clock.now()
    attempts.enter_classroom(
        enrolment, course, "pre", form=None, language="en", responses={}, essay_marks={},
        by=trainer, now=now,
    )  # fmt: skip
    post = attempts.enter_classroom(
        enrolment, course, "post", form=form, language="en", responses={}, essay_marks={},
        by=trainer, now=now,
    )  # fmt: skip
    right = _right_answers_of(post)
    marks = {p: 1.0 for p in range(1, 4) if p not in right}
    attempts.correct_classroom(post, right, marks, by=trainer, now=now)
    assert post.passed and enrolment.post_test_passed_at is not None
    enrolment.completed_at = now  # completed on this result (the other gates do not matter here)
    with pytest.raises(Conflict, match="completed the course"), db.session.begin_nested():
        attempts.correct_classroom(post, {}, {}, by=trainer, now=now)
    assert post.passed  # the savepoint (the view's transaction) rolled back
    enrolment.completed_at = None
    attempts.correct_classroom(post, {}, {}, by=trainer, now=now)
    assert not post.passed and enrolment.post_test_passed_at is None


def _right_answers_of(attempt: Attempt) -> dict[int, dict]:
    return {
        item.position: qtypes.correct_response(question)
        for item, question in attempts.load_items(attempt)
        if qtypes.kind_of(question).name != "essay"
    }
