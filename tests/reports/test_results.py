"""A cohort's knowledge gain: the numbers agree with a hand-computed example, online and
paper attempts count alike, the page and its files carry them, the query count does not
grow with the cohort, and only the cohort's staff see it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from lms import clock
from lms.accounts.models import AgencyType, Role, Sex
from lms.assessments.models import Attempt, AttemptSource, AttemptStatus, QuestionBank
from lms.enrolments import cohorts
from lms.enrolments.models import CohortMode, EnrolmentStatus
from lms.extensions import db
from lms.reports import queries
from tests.assessments.test_attempts import _course
from tests.factories import make_agency, make_cohort, make_user, sign_in

#: (sex, agency type, pre, post): the worked example.
#: Gains 30, 10, 30, 0 → mean 17.5; mean pre 45, mean post 62.5;
#: ⟨g⟩ = 17.5 / (100 − 45) = 0.318; improved 3 of 4 = 75 %; gained ≥ 20: 2 of 4 = 50 %;
#: deviations 12.5, −7.5, 12.5, −17.5 → squares sum 675 → variance 675 / 3 = 225, SD 15;
#: t = 17.5 / (15 / √4) = 2.333, df 3; dz = 17.5 / 15 = 1.167;
#: 95 % CI = 17.5 ± 3.182446 × 7.5 = −6.368 to 41.368.
LEARNERS = [
    (Sex.FEMALE, AgencyType.POLICE, 40.0, 70.0),
    (Sex.FEMALE, AgencyType.PROSECUTION, 50.0, 60.0),
    (Sex.MALE, AgencyType.POLICE, 60.0, 90.0),
    (Sex.MALE, AgencyType.BORDER, 30.0, 30.0),
]


def _attempt(enrolment, key, score, *, number=1, source=AttemptSource.ONLINE, bank_id):
    db.session.add(
        Attempt(
            enrolment_id=enrolment.id,
            user_id=enrolment.user_id,
            course_id=enrolment.course_id,
            test_key=key,
            number=number,
            bank_id=bank_id,
            source=source,
            status=AttemptStatus.SCORED,
            started_at=clock.now(),
            submitted_at=clock.now(),
            scored_at=clock.now(),
            max_points=10,
            points=score / 10,
            score=score,
            passed=score >= 60,
        )
    )


def _world(slug="results", extra=0):
    """The worked example's cohort (KG, face to face) with its trainer; ``extra`` more
    learners with both scores make it bigger without changing the structure."""
    course = _course(slug=slug)
    bank_id = db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.name == "t/bank"))
    trainer = make_user(f"{slug}.trainer", roles=[Role.TRAINER])
    cohort = make_cohort(course, name=slug, trainers=[trainer])
    agencies = {kind: make_agency("KG", type=kind) for kind in AgencyType}
    people = [
        make_user(f"{slug}.l{n}", country_code="KG", sex=sex, agency_id=agencies[kind].id)
        for n, (sex, kind, _pre, _post) in enumerate(LEARNERS)
    ]
    only_pre = make_user(f"{slug}.only", country_code="KG")
    gone = make_user(f"{slug}.gone", country_code="KG")
    bulk = [make_user(f"{slug}.x{n}", country_code="KG") for n in range(extra)]
    cohorts.enrol_people(cohort, [*people, only_pre, gone, *bulk], by=None, now=clock.now())
    enrolments = {e.user_id: e for e in cohorts.participants(cohort)}
    for n, (person, (_s, _k, pre, post)) in enumerate(zip(people, LEARNERS, strict=True)):
        # Half online, half typed in from paper: the same rows, the same numbers.
        source = AttemptSource.CLASSROOM if n % 2 else AttemptSource.ONLINE
        _attempt(enrolments[person.id], "pre", pre, source=source, bank_id=bank_id)
        _attempt(enrolments[person.id], "post", post, source=source, bank_id=bank_id)
    # A retake does not count for the gain: the first scored post-test does.
    _attempt(enrolments[people[3].id], "post", 100.0, number=2, bank_id=bank_id)
    _attempt(enrolments[only_pre.id], "pre", 20.0, bank_id=bank_id)
    _attempt(enrolments[gone.id], "pre", 0.0, bank_id=bank_id)
    _attempt(enrolments[gone.id], "post", 100.0, bank_id=bank_id)
    enrolments[gone.id].status = EnrolmentStatus.WITHDRAWN
    for n, person in enumerate(bulk):
        _attempt(enrolments[person.id], "pre", 10.0 + n % 50, bank_id=bank_id)
        _attempt(enrolments[person.id], "post", 50.0 + n % 40, bank_id=bank_id)
    db.session.commit()
    return course, cohort, trainer


def test_the_pairs_are_the_first_scored_pre_and_post_test(app, frozen_clock):
    _c, cohort, _trainer = _world()
    rows = queries.cohort_scores(cohort.id, sa.true())
    pairs = sorted((r.pre, r.post) for r in rows if r.pre is not None and r.post is not None)
    assert pairs == sorted((pre, post) for _s, _k, pre, post in LEARNERS)
    assert len(rows) == 5  # the withdrawn learner is not counted


def test_the_cohort_page_shows_the_worked_example(app, frozen_clock):
    _c, cohort, trainer = _world()
    client = app.test_client()
    sign_in(client, trainer)
    page = client.get(f"/cohorts/{cohort.id}/results")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "45% → 62.5%" in text  # mean pre → mean post
    assert "+17.5" in text and "0.32" in text and "(medium)" in text
    assert 'Paired t-test: t = 2.33, df = 3, <span dir="ltr">p = 0.102</span>.' in text
    assert "95% confidence interval -6.4 to 41.4" in text
    assert "Effect size dz = 1.17." in text
    assert "Fewer than 10 matched pairs" in text
    groups = client.get(f"/cohorts/{cohort.id}/results?format=csv&table=groups")
    lines = groups.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert groups.mimetype == "text/csv"
    assert lines[1].split(",")[:8] == ["Everyone", "", "5", "4", "45.0", "62.5", "17.5", "15.0"]
    female = next(line for line in lines if line.startswith("Sex,Female"))
    assert female.split(",")[3:7] == ["2", "45.0", "65.0", "20.0"]
    workbook = load_workbook(
        io.BytesIO(client.get(f"/cohorts/{cohort.id}/results?format=xlsx").data), read_only=True
    )
    assert workbook.sheetnames == ["Knowledge gain", "Learners", "Objectives"]
    sheet = workbook["Knowledge gain"]
    everyone = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert everyone[3:7] == (4, 45.0, 62.5, 17.5) and everyone[14] == pytest.approx(2.333)
    learners = list(workbook["Learners"].iter_rows(min_row=2, values_only=True))
    assert len(learners) == 5


def test_a_bad_threshold_is_refused_with_a_message(app, frozen_clock):
    _c, cohort, trainer = _world()
    client = app.test_client()
    sign_in(client, trainer)
    bad = client.get(f"/cohorts/{cohort.id}/results?threshold=abc")
    assert bad.status_code == 422 and "from 1 to 100" in bad.get_data(as_text=True)
    ten = client.get(f"/cohorts/{cohort.id}/results?threshold=10&format=csv").get_data(as_text=True)
    assert "Gained at least 10 points %" in ten
    assert client.get(f"/cohorts/{cohort.id}/results?format=pdf").status_code == 404


def test_the_page_takes_the_same_queries_whatever_the_cohort_size(app, frozen_clock, count_queries):
    _c1, small, trainer = _world("small")
    _c2, large, trainer2 = _world("large", extra=40)
    counts = []
    for cohort, who in ((small, trainer), (large, trainer2)):
        client = app.test_client()
        sign_in(client, who)
        client.get(f"/cohorts/{cohort.id}/results")  # warm the session
        with count_queries() as log:
            assert client.get(f"/cohorts/{cohort.id}/results").status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1], counts


def test_only_the_cohorts_staff_see_its_results(app, frozen_clock):
    _c, cohort, trainer = _world()
    other_trainer = make_user("results.other", roles=[Role.TRAINER])
    kg = make_user("results.kg", roles=[Role.COORDINATOR], coordinator_country="KG")
    kz = make_user("results.kz", roles=[Role.COORDINATOR], coordinator_country="KZ")
    learner = db.session.scalar(sa.select(Attempt.user_id).limit(1))
    from lms.accounts.models import User

    url = f"/cohorts/{cohort.id}/results"
    for user, status in (
        (trainer, 200),
        (kg, 200),
        (other_trainer, 404),
        (kz, 404),
        (db.session.get(User, learner), 403),
    ):
        client = app.test_client()
        sign_in(client, user)
        assert client.get(url).status_code == status, user.username
        assert client.get(url + "?format=csv").status_code == status, user.username


def test_at_a_regional_event_a_coordinator_sees_their_own_officers(app, frozen_clock):
    course = _course(slug="regional")
    bank_id = db.session.scalar(sa.select(QuestionBank.id).where(QuestionBank.name == "t/bank"))
    cohort = make_cohort(course, name="Almaty regional", country="KZ", regional=True,
                         mode=CohortMode.FACE_TO_FACE)  # fmt: skip
    kg_people = [make_user(f"reg.kg{n}", country_code="KG") for n in range(2)]
    kz_people = [make_user(f"reg.kz{n}", country_code="KZ") for n in range(3)]
    cohorts.enrol_people(cohort, kg_people + kz_people, by=None, now=clock.now())
    for enrolment in cohorts.participants(cohort):
        _attempt(enrolment, "pre", 40.0, bank_id=bank_id)
        _attempt(enrolment, "post", 80.0, bank_id=bank_id)
    db.session.commit()
    kg = make_user("reg.coord", roles=[Role.COORDINATOR], coordinator_country="KG")
    client = app.test_client()
    sign_in(client, kg)
    lines = client.get(f"/cohorts/{cohort.id}/results?format=csv&table=learners").get_data(
        as_text=True
    )
    assert len(lines.strip().splitlines()) == 3  # the header and the two KG officers


TAGGED = """$CATEGORY: g/form-a

// [id:a1] [tag:module-1] [tag:lo-1]
::A1::First.{T}

// [id:a2] [tag:module-1] [tag:difficulty-easy]
::A2::Second.{T}

$CATEGORY: g/form-b

// [id:b1] [tag:module-1] [tag:lo-1]
::B1::Third.{T}

// [id:b2] [tag:module-1]
::B2::Fourth.{T}
"""


def test_the_gain_per_module_and_objective_agrees_with_the_hand_computed_example(app, frozen_clock):
    """Learner 1: pre (A) a1 right, a2 wrong; post (B) both right. Learner 2: pre (B) both
    wrong; post (A) a1 right, a2 wrong.
    module-1: pre (50 + 0) / 2 = 25, post (100 + 50) / 2 = 75, n 2.
    lo-1 (a1, b1 only): pre (100 + 0) / 2 = 50, post (100 + 100) / 2 = 100, n 2.
    difficulty-easy is not a module or an objective: not reported."""
    from lms.assessments import attempts
    from lms.assessments.services import import_bank, read_bank_file
    from lms.reports import knowledge

    import_bank(read_bank_file(TAGGED.encode(), "gift"), bank_name="g/bank", now=clock.now())
    course = make_course_with_tests("tagged", "g/bank", ["g/form-a", "g/form-b"])
    trainer = make_user("tag.trainer", roles=[Role.TRAINER])
    cohort = make_cohort(course, name="tagged", trainers=[trainer])
    people = [make_user(f"tag.l{n}", country_code="KG") for n in range(2)]
    cohorts.enrol_people(cohort, people, by=None, now=clock.now())
    first, second = sorted(cohorts.participants(cohort), key=lambda e: e.user.username)
    t, f = {"value": True}, {"value": False}
    for enrolment, key, form, answers in (
        (first, "pre", "g/form-a", {1: t, 2: f}),
        (first, "post", "g/form-b", {1: t, 2: t}),
        (second, "pre", "g/form-b", {1: f, 2: f}),
        (second, "post", "g/form-a", {1: t, 2: f}),
    ):
        attempts.enter_classroom(
            enrolment, course, key, form=form, language="en", responses=answers,
            essay_marks={}, by=trainer, now=clock.now(),
        )  # fmt: skip
    db.session.commit()
    results = knowledge.cohort_results(
        cohort,
        sa.true(),
        threshold=20,
        country_label=str,
        tag_labels=knowledge.tag_labels(course),
    )
    found = {r.tag: (r.kind, r.gain.n, r.gain.mean_pre, r.gain.mean_post) for r in results.tags}
    assert found == {"module-1": ("module", 2, 25.0, 75.0), "lo-1": ("objective", 2, 50.0, 100.0)}
    assert results.tags[0].gain.class_average_g == pytest.approx(50 / 75)


def make_course_with_tests(slug: str, bank: str, forms: list[str]):
    from tests.factories import make_course

    course = make_course(slug, pre_test=bank, post_test=bank)
    definition = {"bank": bank, "forms": forms, "items": None, "time_limit": None,
                  "attempts": 1, "pass_mark": 60.0, "reveal": "score"}  # fmt: skip
    course.tests = {"pre": definition, "post": definition}
    db.session.flush()
    return course


def test_exported_text_never_runs_as_a_formula():
    from lms.tables import Sheet, csv_text, xlsx_bytes

    rows = [['=HYPERLINK("http://x")', 1.5, None, "-2"]]
    assert csv_text(["name", "n", "x", "y"], rows).splitlines()[1] == (
        '"\'=HYPERLINK(""http://x"")",1.5,,\'-2'
    )
    book = load_workbook(io.BytesIO(xlsx_bytes([Sheet("A/B: test", ["name"], rows)])))
    (sheet,) = book.worksheets
    assert sheet.title == "A B  test"
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 1.5 and sheet["C2"].value is None and sheet["D2"].value == "-2"
