"""Online attempts: start, save, submit exactly once, time limits, gates, counterbalanced
forms, and the pages (with tampered fields and other learners refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import clock
from lms.assessments import attempts
from lms.assessments.models import Attempt, AttemptItem, AttemptStatus
from lms.assessments.services import import_bank, read_bank_file
from lms.audit import AuditEvent
from lms.courses.models import Course
from lms.enrolments import cohorts, services
from lms.enrolments.models import Enrolment
from lms.errors import Conflict, Invalid, NotAllowed
from lms.extensions import db
from tests.concurrency import race
from tests.conftest import make_test_app
from tests.factories import make_cohort, make_course, make_user, sign_in

BANK = """$CATEGORY: t/form-a

// [id:a1] [tag:module-1]
::A1::Which elements make up trafficking in adults?{
=Act, means and purpose#Right.
~Act and purpose only#A means is needed for adults.
~Means only#Not enough.
}

// [id:a2]
::A2::Consent is irrelevant once a means is used.{T#Consent does not matter then.}

// [id:a3]
::A3::Name the Protocol on smuggling (one word: the people moved).{=migrants =migrant}

$CATEGORY: t/form-b

// [id:b1]
::B1::Which is a means?{=Deception#Yes. ~Recruitment#That is an act. ~Forced labour#A purpose.}

// [id:b2]
::B2::A child victim needs a means to be proved.{F}

// [id:b3]
::B3::Write about a case you handled.{}
"""

TESTS = {
    "pre": {
        "bank": "t/bank",
        "forms": ["t/form-a", "t/form-b"],
        "items": None,
        "time_limit": 30,
        "attempts": 1,
        "pass_mark": 70.0,
        "reveal": "score",
    },
    "post": {
        "bank": "t/bank",
        "forms": ["t/form-a", "t/form-b"],
        "items": None,
        "time_limit": None,
        "attempts": 2,
        "pass_mark": 60.0,
        "reveal": "answers",
    },
}


def _bank() -> None:
    import_bank(read_bank_file(BANK.encode(), "gift"), bank_name="t/bank", now=clock.now())


def _course(**kw) -> Course:
    _bank()
    course = make_course(kw.pop("slug", None), pre_test="t/bank", post_test="t/bank", **kw)
    course.tests = TESTS
    db.session.flush()
    return course


def _right_answers(attempt: Attempt) -> dict[int, dict]:
    from lms.assessments import qtypes

    return {
        item.position: qtypes.correct_response(question)
        for item, question in attempts.load_items(attempt)
        if qtypes.kind_of(question).name != "essay"
    }


def test_the_pre_test_opens_the_lessons_and_the_post_test_completes(frozen_clock):
    course = _course()
    learner = make_user()
    enrolment = services.enrol(learner, course, now=clock.now())
    assert not services.lessons_unlocked(enrolment, course)
    with pytest.raises(NotAllowed, match="every lesson"):
        attempts.start(enrolment, course, "post", language="en", now=clock.now())
    pre = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    assert attempts.start(enrolment, course, "pre", language="en", now=clock.now()) is pre
    assert pre.form == "t/form-a" and pre.max_points == 3 and len(pre.items) == 3
    assert pre.deadline_at == clock.now() + timedelta(minutes=30)
    assert attempts.submit(pre, now=clock.now()) is True
    assert pre.status is AttemptStatus.SCORED and pre.score == 0.0
    assert services.lessons_unlocked(enrolment, course)
    with pytest.raises(NotAllowed, match="taken the pre-test"):
        attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    post = attempts.start(enrolment, course, "post", language="en", now=clock.now())
    assert post.form == "t/form-b"  # the other form
    items = attempts.load_items(post)
    # Two right of three (the essay waits for a mark): the result waits too.
    attempts.save(post, _right_answers(post), now=clock.now())
    attempts.save(post, {3: {"text": "A case at the border."}}, now=clock.now(), items=items)
    attempts.submit(post, now=clock.now())
    assert post.status is AttemptStatus.MARKING and post.score is None
    assert enrolment.completed_at is None


def test_saving_checks_everything_first_and_submitting_scores_once(frozen_clock):
    course = _course()
    enrolment = services.enrol(make_user(), course, now=clock.now())
    attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    with pytest.raises(Invalid, match="not part of this attempt"):
        attempts.save(attempt, {1: {"choice": 0}, 9: {"choice": 0}}, now=clock.now())
    with pytest.raises(Invalid) as error:
        attempts.save(attempt, {1: {"choice": 0}, 2: {"choice": 7}}, now=clock.now())
    assert set(error.value.details["responses"]) == {"2"}
    assert all(item.response is None for item in attempt.items)  # nothing half-saved
    assert attempts.save(attempt, _right_answers(attempt), now=clock.now()) == 3
    assert attempts.submit(attempt, now=clock.now()) is True
    assert attempt.score == 100.0 and attempt.passed
    assert attempts.submit(attempt, now=clock.now()) is False
    with pytest.raises(Conflict, match="submitted"):
        attempts.save(attempt, {1: {"choice": 1}}, now=clock.now())
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "attempt.submit")
    ).all()
    assert len(events) == 1


def test_time_is_up_submits_what_was_saved(frozen_clock):
    course = _course()
    enrolment = services.enrol(make_user(), course, now=clock.now())
    attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
    right = _right_answers(attempt)
    attempts.save(attempt, {1: right[1]}, now=clock.now())
    frozen_clock.advance(timedelta(minutes=31))
    with pytest.raises(Conflict, match="Time is up"):
        attempts.save(attempt, {2: right[2]}, now=clock.now())
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.points == 1.0 and round(attempt.score, 2) == 33.33


def test_forms_are_counterbalanced_within_a_cohort(frozen_clock):
    course = _course()
    cohort = make_cohort(course, name="Osh")
    people = [make_user() for _ in range(4)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    forms = []
    for enrolment in cohorts.participants(cohort):
        attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
        forms.append(attempt.form)
        assert attempts.form_for(enrolment, "post", TESTS["post"]) != attempt.form
    assert sorted(forms) == ["t/form-a", "t/form-a", "t/form-b", "t/form-b"]


def test_attempts_allowed_are_enforced(frozen_clock):
    course = _course()
    enrolment = services.enrol(make_user(), course, now=clock.now())
    attempts.submit(
        attempts.start(enrolment, course, "pre", language="en", now=clock.now()), now=clock.now()
    )
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    for _ in range(2):
        post = attempts.start(enrolment, course, "post", language="en", now=clock.now())
        attempts.submit(post, now=clock.now())
        assert post.passed is None or not post.passed
    with pytest.raises(NotAllowed, match="all your attempts"):
        attempts.start(enrolment, course, "post", language="en", now=clock.now())


def test_the_test_pages_save_refuse_tampering_and_hide_answers(app, client, login, frozen_clock):
    course = _course(slug="paged")
    learner = make_user("page.learner")
    services.enrol(learner, course, now=clock.now())
    login(learner)
    page = client.get("/courses/paged").get_data(as_text=True)
    assert "/courses/paged/tests/pre/start" in page
    response = client.post("/courses/paged/tests/pre/start")
    attempt = db.session.scalar(sa.select(Attempt))
    assert response.headers["Location"] == f"/attempts/{attempt.id}"
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert html.count('type="radio"') == 3 + 2 and 'name="q3"' in html
    assert "Right." not in html and "A means is needed" not in html  # no feedback shown
    right = _right_answers(attempt)
    form = {"q1": str(right[1]["choice"]), "q2": "true", "q3": "Migrants"}
    tampered = client.post(f"/attempts/{attempt.id}", data={**form, "q1": "99"})
    assert tampered.status_code == 422
    assert all(item.response is None for item in attempt.items)
    saved = client.post(
        f"/attempts/{attempt.id}", data=form, headers={"Accept": "application/json"}
    )
    assert saved.get_json()["saved"] == 3
    stranger = app.test_client()
    sign_in(stranger, make_user("page.other"))
    for path in (f"/attempts/{attempt.id}", f"/attempts/{attempt.id}/result"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/attempts/{attempt.id}/submit", data=form).status_code == 404
    assert stranger.post(f"/attempts/{attempt.id}", data=form).status_code == 404
    done = client.post(f"/attempts/{attempt.id}/submit", data=form)
    assert done.headers["Location"] == f"/attempts/{attempt.id}/result"
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Score: 100" in result
    assert "Right." not in result and "A right answer" not in result  # a pre-test hides them
    again = client.post(f"/attempts/{attempt.id}/submit", data=form)
    assert again.headers["Location"].endswith("/result")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_the_post_test_result_shows_feedback_and_answers(client, login, frozen_clock):
    course = _course(slug="shown")
    learner = make_user("shown.learner")
    enrolment = services.enrol(learner, course, now=clock.now())
    attempts.submit(
        attempts.start(enrolment, course, "pre", language="en", now=clock.now()), now=clock.now()
    )
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    post = attempts.start(enrolment, course, "post", language="en", now=clock.now())
    attempts.save(post, {1: {"choice": 1}}, now=clock.now())  # "Recruitment": wrong
    attempts.submit(post, now=clock.now())
    login(learner)
    # The essay waits for its mark; the answers are shown already.
    html = client.get(f"/attempts/{post.id}/result").get_data(as_text=True)
    assert "That is an act." in html and "A right answer:" in html and "Deception" in html


def test_attempt_pages_keep_a_fixed_number_of_queries(app, frozen_clock, count_queries):
    _bank()
    counts = []
    for size in (3, 6):
        text = "$CATEGORY: big\n\n" + "".join(
            f"// [id:q{size}-{n}]\n::Q{n}::Question {n}?{{=yes ~no ~maybe}}\n\n"
            for n in range(size)
        )
        import_bank(read_bank_file(text.encode(), "gift"), bank_name=f"big{size}", now=clock.now())
        course = make_course(f"big-{size}", pre_test=f"big{size}")
        course.tests = {"pre": {**TESTS["pre"], "bank": f"big{size}", "forms": ["big"]}}
        learner = make_user(f"big.learner{size}")
        services.enrol(learner, course, now=clock.now())
        client = app.test_client()
        sign_in(client, learner)
        with count_queries() as start_log:
            client.post(f"/courses/big-{size}/tests/pre/start")
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.user_id == learner.id))
        with count_queries() as page_log:
            client.get(f"/attempts/{attempt.id}")
        form = {f"q{n}": "0" for n in range(1, size + 1)}
        with count_queries() as save_log:
            client.post(f"/attempts/{attempt.id}", data=form)
        with count_queries() as submit_log:
            client.post(f"/attempts/{attempt.id}/submit", data=form)
        counts.append((start_log.count, page_log.count, save_log.count, submit_log.count))
    assert counts[0] == counts[1], counts


def test_fifty_concurrent_submits_score_once(make_database):
    """Fifty threads submit the same attempt at once: one scores it, the others see it done."""
    app = make_test_app(make_database("concurrent"))
    with app.app_context():
        upgrade()
        _bank()
        course = _course(slug="race")
        enrolment = services.enrol(make_user("race.learner"), course, now=clock.now())
        attempt = attempts.start(enrolment, course, "pre", language="en", now=clock.now())
        attempts.save(attempt, _right_answers(attempt), now=clock.now())
        db.session.commit()
        attempt_id = attempt.id
    results = race(
        app, lambda: attempts.submit(db.session.get(Attempt, attempt_id), now=clock.now())
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == [], errors[:3]
    assert results.count(True) == 1 and results.count(False) == 49
    with app.app_context():
        found = db.session.get(Attempt, attempt_id)
        assert found.score == 100.0
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "attempt.submit")
            )
            == 1
        )
        fractions = db.session.scalars(
            sa.select(AttemptItem.fraction).where(AttemptItem.attempt_id == attempt_id)
        ).all()
        assert fractions == [1.0, 1.0, 1.0]
        enrolment = db.session.scalar(sa.select(Enrolment))
        assert enrolment.pre_test_done_at is not None
        db.session.remove()
        db.engine.dispose()


def test_a_learner_reading_russian_gets_the_russian_bank(frozen_clock):
    course = _course()
    course.languages = ["en", "ru"]
    russian = BANK.replace("Which elements make up trafficking in adults?", "Какие элементы?")
    import_bank(read_bank_file(russian.encode(), "gift"), bank_name="t/ru/bank", now=clock.now())
    enrolment = services.enrol(make_user(), course, now=clock.now())
    attempt = attempts.start(enrolment, course, "pre", language="ru", now=clock.now())
    assert attempt.language == "ru"
    assert "Какие элементы?" in attempts.load_items(attempt)[0][1].text
    other = services.enrol(make_user(), course, now=clock.now())
    english = attempts.start(other, course, "pre", language="uz", now=clock.now())
    assert english.language == "en"  # no Uzbek bank: the original


def _essay_cohort(trainer):
    course = _course(slug="essays")
    cohort = make_cohort(course, name="Essays", trainers=[trainer])
    learner = make_user("essay.writer", country_code="KG", full_name="Айбек Осмонов")
    cohorts.enrol_people(cohort, [learner], by=None, now=clock.now())
    (enrolment,) = cohorts.participants(cohort)
    attempts.submit(
        attempts.start(enrolment, course, "pre", language="en", now=clock.now()), now=clock.now()
    )
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    # Forms alternate: make sure this learner's post-test is form B, with the essay.
    enrolment.form_order = 0
    post = attempts.start(enrolment, course, "post", language="en", now=clock.now())
    answers = _right_answers(post)
    answers[3] = {"text": "At the border I separated the woman from the man first."}
    attempts.save(post, answers, now=clock.now())
    attempts.submit(post, now=clock.now())
    return cohort, enrolment, post


def test_a_trainer_marks_a_written_answer_and_the_result_counts(app, frozen_clock):
    from lms.accounts.models import Role

    trainer = make_user("essay.trainer", roles=[Role.TRAINER])
    cohort, enrolment, post = _essay_cohort(trainer)
    assert post.status is AttemptStatus.MARKING and enrolment.completed_at is None
    client = app.test_client()
    sign_in(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/marking").get_data(as_text=True)
    assert "I separated the woman" in page and "Айбек Осмонов" in page
    essay = next(item for item in post.items if item.needs_marking)
    bad = client.post(f"/cohorts/{cohort.id}/marking", data={"item": essay.id, "mark": "60"})
    assert bad.status_code == 422 and essay.needs_marking
    done = client.post(
        f"/cohorts/{cohort.id}/marking", data={"item": essay.id, "mark": "75", "note": "Good"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert post.status is AttemptStatus.SCORED and post.score == pytest.approx(91.67, abs=0.01)
    assert enrolment.completed_at is not None  # the post-test passed: the course is done
    # A correction re-totals the score; the completion stays as it was.
    completed_at = enrolment.completed_at
    attempts.mark(essay, fraction=0.25, note="Corrected", by=trainer, now=clock.now())
    assert post.score == pytest.approx(75.0) and enrolment.completed_at == completed_at
    marks = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "attempt.mark")
    ).all()
    assert [m.details["fraction"] for m in marks] == [0.75, 0.25]
    stranger = app.test_client()
    sign_in(stranger, make_user("other.trainer", roles=[Role.TRAINER]))
    assert stranger.get(f"/cohorts/{cohort.id}/marking").status_code == 404


def test_classroom_papers_and_answer_keys_assign_the_forms(app, frozen_clock):
    from lms.accounts.models import Role

    trainer = make_user("paper.trainer", roles=[Role.TRAINER])
    course = _course(slug="papers")
    cohort = make_cohort(course, name="Papers", trainers=[trainer])
    people = [make_user(f"paper.learner{n}", country_code="KG") for n in range(3)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    client = app.test_client()
    sign_in(client, trainer)
    html = client.get(f"/cohorts/{cohort.id}/tests/pre/paper").get_data(as_text=True)
    assert "Which elements make up trafficking in adults?" in html  # form A
    assert "Answer sheet" in html and "Right." not in html
    db.session.expire_all()
    orders = sorted(e.form_order for e in cohorts.participants(cohort))
    assert orders == [0, 0, 1]
    key = client.get(f"/cohorts/{cohort.id}/tests/pre/paper?form=t/form-b&answers=1")
    text = key.get_data(as_text=True)
    assert key.status_code == 200 and "Answer key" in text and "b1" in text
    assert ">A</td>" in text  # B1's right answer, Deception, is its first option
    assert client.get(f"/cohorts/{cohort.id}/tests/pre/paper?form=x").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/tests/final/paper").status_code == 404
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert page.count("A → B") == 2 and page.count("B → A") == 1
    learner = app.test_client()
    sign_in(learner, people[0])
    assert learner.get(f"/cohorts/{cohort.id}/tests/pre/paper").status_code == 403


def test_a_paper_speaks_its_own_language_whatever_the_readers(app, frozen_clock):
    from lms.accounts.models import Role

    trainer = make_user("paper.ru", roles=[Role.TRAINER], locale="ru")
    course = _course(slug="paper-lang")
    cohort = make_cohort(course, name="Lang", trainers=[trainer])
    client = app.test_client()
    sign_in(client, trainer)
    html = client.get(f"/cohorts/{cohort.id}/tests/pre/paper").get_data(as_text=True)
    assert "Бланк теста" in html  # the page around it: the trainer's Russian
    assert "Learner's name" in html and "Pre-test · Form A" in html  # the paper: English


def test_the_dashboard_points_to_the_next_test(app, frozen_clock):
    course = _course(slug="next-step")
    learner = make_user("next.learner")
    enrolment = services.enrol(learner, course, now=clock.now())
    client = app.test_client()
    sign_in(client, learner)
    html = client.get("/").get_data(as_text=True)
    assert "Take the pre-test" in html and 'href="/courses/next-step"' in html
    attempts.submit(
        attempts.start(enrolment, course, "pre", language="en", now=clock.now()), now=clock.now()
    )
    for lesson, _m in services.live_lessons([course.id]):
        services.complete_lesson(enrolment, lesson, course, now=clock.now())
    html = client.get("/").get_data(as_text=True)
    assert "Take the post-test" in html and "Take the pre-test" not in html
