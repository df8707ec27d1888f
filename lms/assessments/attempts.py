"""Taking a course's tests: starting an attempt, saving answers, submitting exactly once,
scoring, and setting the enrolment's gates.

A course's tests are defined in its ``tests.yaml`` (``Course.tests``: "pre", "post",
"check:<module>"). An attempt draws its items from a category of a bank (form A or B of a
counterbalanced pair, or the whole bank), pins each item's question version and option
order, and keeps the learner's responses as they are saved. Submitting is a conditional
update (``WHERE submitted_at IS NULL``): a double click, a replayed form or fifty concurrent
submits score once. The time limit is the server's: an attempt past its deadline is
submitted with what was saved the next time anyone touches it.

Results reach the enrolment through its services (ARCHITECTURE.md rule 6): a submitted
pre-test opens the lessons; a passed post-test may complete the course.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.accounts.services import register_merge_handler
from lms.assessments import qtypes
from lms.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptSource,
    AttemptStatus,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
)
from lms.assessments.questions import ParsedQuestion
from lms.assessments.services import from_content
from lms.courses.models import Course
from lms.enrolments import services as enrolments
from lms.enrolments.models import Enrolment, EnrolmentStatus
from lms.errors import Conflict, Invalid, NotAllowed
from lms.extensions import db

PRE, POST = "pre", "post"


@dataclass(frozen=True)
class TestState:
    """Where a learner stands with one of a course's tests."""

    key: str
    definition: dict[str, Any]
    #: Submitted attempts so far (newest last) and the open one, if any.
    submitted: list[Attempt]
    open: Attempt | None
    #: May a new attempt start now (or the open one continue)?
    available: bool
    #: Why not, when it is not available (for the page).
    reason: str | None

    @property
    def best(self) -> Attempt | None:
        scored = [a for a in self.submitted if a.score is not None]
        return max(scored, key=lambda a: (a.score, a.id)) if scored else None

    @property
    def attempts_left(self) -> int | None:
        allowed = self.definition.get("attempts") or 0
        return None if allowed == 0 else max(0, allowed - len(self.submitted))


def definition(course: Course, key: str) -> dict[str, Any]:
    """The definition of test ``key`` of ``course``.

    :raises NotAllowed: the course has no such test.
    """
    found = (course.tests or {}).get(key)
    if found is None:
        raise NotAllowed(gettext("This course has no such test."))
    return found


def states(enrolment: Enrolment, course: Course) -> dict[str, TestState]:
    """Every test of the course with the learner's attempts (one query)."""
    attempts = db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.enrolment_id == enrolment.id)
        .order_by(Attempt.test_key, Attempt.number)
    ).all()
    found: dict[str, TestState] = {}
    for key, spec in (course.tests or {}).items():
        mine = [a for a in attempts if a.test_key == key]
        submitted = [a for a in mine if a.submitted_at is not None]
        opened = next((a for a in mine if a.submitted_at is None), None)
        reason = _unavailable(enrolment, course, key, spec, submitted)
        found[key] = TestState(
            key=key,
            definition=spec,
            submitted=submitted,
            open=opened,
            available=reason is None or opened is not None,
            reason=reason,
        )
    return found


def _unavailable(
    enrolment: Enrolment,
    course: Course,
    key: str,
    spec: dict[str, Any],
    submitted: list[Attempt],
) -> str | None:
    allowed = spec.get("attempts") or 0
    if enrolment.status is EnrolmentStatus.WITHDRAWN:
        return gettext("You are no longer enrolled in this course.")
    if key == PRE:
        if enrolment.pre_test_done_at is not None or submitted:
            return gettext("You have taken the pre-test.")
    elif key == POST:
        if enrolment.post_test_passed_at is not None:
            return gettext("You have passed the post-test.")
        if enrolment.lessons_done_at is None:
            return gettext("The post-test opens when every lesson is done.")
    elif not enrolments.lessons_unlocked(enrolment, course):
        return gettext("Take the pre-test first: the lessons open after it.")
    if allowed and len(submitted) >= allowed:
        return gettext("You have used all your attempts at this test.")
    return None


# --- Starting -------------------------------------------------------------------------------


def _form_order(enrolment: Enrolment) -> int:
    """Counterbalancing: alternate A→B and B→A among the learners of the enrolment's cohort
    (or of the course when there is none), recorded on the enrolment once (one query)."""
    if enrolment.form_order is not None:
        return enrolment.form_order
    group = (
        Enrolment.cohort_id == enrolment.cohort_id
        if enrolment.cohort_id is not None
        else sa.and_(Enrolment.course_id == enrolment.course_id, Enrolment.cohort_id.is_(None))
    )
    counts = dict(
        db.session.execute(
            sa.select(Enrolment.form_order, sa.func.count())
            .where(group, Enrolment.form_order.is_not(None))
            .group_by(Enrolment.form_order)
        ).all()
    )
    enrolment.form_order = 0 if counts.get(0, 0) <= counts.get(1, 0) else 1
    return enrolment.form_order


def assign_form_orders(participants: list[Enrolment]) -> int:
    """Give every participant without one a form order, alternating in the order given
    (for a classroom, where the papers are handed out before anyone starts); returns how
    many were assigned."""
    counts = {0: 0, 1: 0}
    for enrolment in participants:
        if enrolment.form_order is not None:
            counts[enrolment.form_order] += 1
    assigned = 0
    for enrolment in participants:
        if enrolment.form_order is None:
            enrolment.form_order = 0 if counts[0] <= counts[1] else 1
            counts[enrolment.form_order] += 1
            assigned += 1
    if assigned:
        db.session.flush()
    return assigned


def form_for(enrolment: Enrolment, key: str, spec: dict[str, Any]) -> str | None:
    """The bank category the learner's attempt at test ``key`` draws from (None: all)."""
    forms = spec.get("forms") or []
    if not forms:
        return None
    if len(forms) == 1 or key not in (PRE, POST):
        return forms[0]
    order = _form_order(enrolment)
    return forms[(order + (0 if key == PRE else 1)) % 2]


def bank_for(name: str, language: str) -> QuestionBank:
    """The bank ``name`` in ``language`` when a translation exists beside it (the same file
    name in a ``<language>/`` folder), else the original (one query).

    :raises Invalid: the bank was never loaded (run ``lms content sync``).
    """
    folder, _, file = name.rpartition("/")
    translated = f"{folder}/{language}/{file}" if folder else f"{language}/{file}"
    banks = {
        b.name: b
        for b in db.session.scalars(
            sa.select(QuestionBank).where(QuestionBank.name.in_([name, translated]))
        )
    }
    bank = banks.get(translated) or banks.get(name)
    if bank is None:
        raise Invalid(gettext("This test's questions are not loaded yet."))
    return bank


def start(
    enrolment: Enrolment,
    course: Course,
    key: str,
    *,
    language: str,
    now: datetime,
    source: AttemptSource = AttemptSource.ONLINE,
    entered_by: Any = None,
    form: str | None = None,
) -> Attempt:
    """Start an attempt at test ``key`` (or return the one already open); a fixed number of
    queries whatever the bank's size. A classroom attempt (``source``) takes every question
    of the printed ``form`` in paper order, options unshuffled, and no time limit.

    :raises NotAllowed: the test is not open to the learner now.
    :raises Invalid: the bank or its form has no questions.
    """
    spec = definition(course, key)
    opened = db.session.scalar(
        sa.select(Attempt).where(
            Attempt.enrolment_id == enrolment.id,
            Attempt.test_key == key,
            Attempt.submitted_at.is_(None),
        )
    )
    if opened is not None:
        return opened
    submitted = db.session.scalars(
        sa.select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.test_key == key)
    ).all()
    classroom = source is AttemptSource.CLASSROOM
    if classroom:
        if submitted:  # the trainer's word on paper: once per test (corrections: marking)
            raise Conflict(gettext("This learner already has a result for this test."))
    else:
        reason = _unavailable(enrolment, course, key, spec, list(submitted))
        if reason is not None:
            raise NotAllowed(reason)
    form = form if classroom and form else form_for(enrolment, key, spec)
    bank = bank_for(spec["bank"], language if language in course.languages else "")
    rows = questions_of(bank, form)
    if not rows:
        raise Invalid(gettext("This test has no questions yet."))
    number = len(submitted) + 1
    # Not for security: the draw and the option order only have to be stable and varied.
    rng = random.Random(f"{enrolment.id}:{key}:{number}")  # noqa: S311
    if not classroom and spec.get("items") and spec["items"] < len(rows):
        rows = sorted(rng.sample(rows, spec["items"]), key=lambda r: (r[0].position, r[0].id))
    limit = spec.get("time_limit")
    attempt = Attempt(
        enrolment_id=enrolment.id,
        user_id=enrolment.user_id,
        course_id=course.id,
        test_key=key,
        number=number,
        bank_id=bank.id,
        form=form,
        language=_bank_language(bank, spec["bank"], course),
        source=source,
        entered_by_id=getattr(entered_by, "id", None),
        status=AttemptStatus.OPEN,
        started_at=now,
        deadline_at=now + timedelta(minutes=limit)
        if limit and source is AttemptSource.ONLINE
        else None,
        max_points=len(rows),
        pass_mark=float(spec.get("pass_mark") or course.pass_mark),
    )
    items = [
        {
            "position": position,
            "question_id": question.id,
            "question_version_id": version.id,
            "presentation": qtypes.present(
                from_content(version.content, category=None),
                rng.randrange(2**31),
                shuffle=not classroom,
            ).to_dict(),
        }
        for position, (question, version) in enumerate(rows, start=1)
    ]
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            # One executemany for the items, however many there are.
            db.session.execute(
                sa.insert(AttemptItem), [{**item, "attempt_id": attempt.id} for item in items]
            )
    except IntegrityError:
        # Another request started the same attempt a moment ago: use theirs.
        raced = db.session.scalar(
            sa.select(Attempt).where(
                Attempt.enrolment_id == enrolment.id,
                Attempt.test_key == key,
                Attempt.submitted_at.is_(None),
            )
        )
        if raced is None:
            raise Conflict(gettext("The test could not start. Please try again.")) from None
        return raced
    audit.record(
        "attempt.start",
        actor=entered_by,
        object_type="attempt",
        object_id=attempt.id,
        now=now,
        test=key,
        form=form,
        user_id=enrolment.user_id,
    )
    return attempt


def _bank_language(bank: QuestionBank, original: str, course: Course) -> str:
    if bank.name == original:
        return course.languages[0]
    return bank.name.rsplit("/", 2)[-2]


def questions_of(bank: QuestionBank, form: str | None) -> list[tuple[Question, QuestionVersion]]:
    """The live, answerable questions of the bank (or of one category) with their current
    versions, in file order (one query)."""
    query = (
        sa.select(Question, QuestionVersion)
        .join(
            QuestionVersion,
            sa.and_(
                QuestionVersion.question_id == Question.id,
                QuestionVersion.version == Question.current_version,
            ),
        )
        .where(
            Question.bank_id == bank.id,
            Question.retired_at.is_(None),
            QuestionVersion.qtype != "description",
        )
        .order_by(Question.position, Question.id)
    )
    if form is not None:
        query = query.join(QuestionCategory, QuestionCategory.id == Question.category_id).where(
            QuestionCategory.path == form
        )
    return [(question, version) for question, version in db.session.execute(query)]


# --- Answering ------------------------------------------------------------------------------


def load_items(attempt: Attempt) -> list[tuple[AttemptItem, ParsedQuestion]]:
    """The attempt's items with their pinned questions, in order (one query)."""
    rows = db.session.execute(
        sa.select(AttemptItem, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
    )
    return [(item, from_content(version.content, category=None)) for item, version in rows]


def expire_if_due(attempt: Attempt, *, now: datetime) -> bool:
    """Submit an open attempt whose time is up, with what was saved; True if it did."""
    if attempt.submitted_at is None and attempt.deadline_at and now >= attempt.deadline_at:
        submit(attempt, now=attempt.deadline_at, scored_at=now)
        return True
    return False


def save(
    attempt: Attempt,
    responses: Mapping[int, dict[str, Any]],
    *,
    now: datetime,
    items: list[tuple[AttemptItem, ParsedQuestion]] | None = None,
) -> int:
    """Save responses by item position (checked whole first: nothing is half-saved); return
    how many changed.

    :raises Conflict: the attempt is submitted, or its time is up (it is then submitted).
    :raises Invalid: a position not in the attempt, or a malformed response.
    """
    if attempt.submitted_at is not None:
        raise Conflict(gettext("This attempt has been submitted: it can no longer change."))
    if expire_if_due(attempt, now=now):
        raise Conflict(gettext("Time is up: the attempt was submitted with the answers saved."))
    items = items if items is not None else load_items(attempt)
    by_position = {item.position: (item, question) for item, question in items}
    unknown = sorted(set(responses) - set(by_position))
    if unknown:
        raise Invalid(
            gettext("Question %(n)s is not part of this attempt.", n=unknown[0]),
            details={"positions": unknown},
        )
    problems: dict[str, str] = {}
    for position, response in responses.items():
        try:
            qtypes.validate(by_position[position][1], response)
        except qtypes.ResponseError as error:
            problems[str(position)] = str(error)
    if problems:
        raise Invalid(gettext("Some answers are not valid."), details={"responses": problems})
    changed = 0
    for position, response in responses.items():
        item = by_position[position][0]
        if item.response != response:
            item.response, item.saved_at = response, now
            changed += 1
    db.session.flush()
    return changed


# --- Submitting and scoring -----------------------------------------------------------------


def submit(
    attempt: Attempt,
    *,
    now: datetime,
    scored_at: datetime | None = None,
    items: list[tuple[AttemptItem, ParsedQuestion]] | None = None,
) -> bool:
    """Submit and score the attempt; True if this call did it, False if it was already
    submitted (a conditional update: concurrent calls score once). ``items`` may pass the
    attempt's items already loaded (by :func:`save`)."""
    won = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not won:
        return False
    if items is None:
        items = load_items(attempt)
    for item, question in items:
        result = qtypes.score(question, item.response or {})
        item.fraction = result.fraction
        item.needs_marking = result.needs_marking
    if attempt.test_key == PRE:  # the lessons open once the pre-test is in, whatever the mark
        enrolment = db.session.get(Enrolment, attempt.enrolment_id)
        if enrolment is not None:
            enrolments.record_pre_test_done(enrolment, now=scored_at or now)
    _finish(attempt, items, now=scored_at or now)
    audit.record(
        "attempt.submit",
        object_type="attempt",
        object_id=attempt.id,
        now=scored_at or now,
        test=attempt.test_key,
        user_id=attempt.user_id,
        score=attempt.score,
    )
    return True


def _finish(attempt: Attempt, items: list[tuple[AttemptItem, Any]], *, now: datetime) -> None:
    """Total the items; when nothing waits for a mark, record the score and the gates."""
    if any(item.needs_marking for item, _q in items):
        attempt.status = AttemptStatus.MARKING
        attempt.points = attempt.score = attempt.passed = attempt.scored_at = None
        db.session.flush()
        return
    points = sum(item.fraction or 0.0 for item, _q in items)
    attempt.points = points
    attempt.score = round(100.0 * points / attempt.max_points, 2) if attempt.max_points else 0.0
    attempt.passed = attempt.score >= attempt.pass_mark
    attempt.status = AttemptStatus.SCORED
    attempt.scored_at = now
    db.session.flush()
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    course = db.session.get(Course, attempt.course_id)
    if enrolment is None or course is None:
        return
    if attempt.test_key == POST and attempt.passed:
        enrolments.record_post_test_passed(enrolment, course, now=now)
    db.session.flush()


def mark(item: AttemptItem, *, fraction: float, note: str | None, by: Any, now: datetime) -> bool:
    """Mark a written answer (an essay) from 0 to 1; a second mark corrects the first (both
    are in the audit trail). Returns True when this was the attempt's last missing mark and
    the attempt is now scored (its gates set).

    :raises Conflict: the attempt is not submitted, or the answer is not one to mark.
    :raises Invalid: the mark is outside 0..1.
    """
    attempt = db.session.get(Attempt, item.attempt_id)
    if attempt is None or attempt.submitted_at is None:
        raise Conflict(gettext("This attempt has not been submitted yet."))
    if not item.needs_marking and item.marked_at is None:
        raise Conflict(gettext("This answer is scored automatically: it needs no mark."))
    if not 0.0 <= fraction <= 1.0:
        raise Invalid(gettext("A mark is between 0 and 100%."), field="mark")
    previous = item.fraction
    item.fraction, item.needs_marking = fraction, False
    item.mark_note = (note or "").strip() or None
    item.marked_by_id, item.marked_at = getattr(by, "id", None), now
    db.session.flush()
    audit.record(
        "attempt.mark",
        actor=by,
        object_type="attempt",
        object_id=attempt.id,
        now=now,
        position=item.position,
        fraction=fraction,
        previous=previous,
    )
    items = load_items(attempt)
    if any(other.needs_marking for other, _q in items):
        return False
    finished = attempt.status is AttemptStatus.MARKING
    _finish(attempt, items, now=now)  # a correction after scoring re-totals the score
    return finished


def enter_classroom(
    enrolment: Enrolment,
    course: Course,
    key: str,
    *,
    form: str | None,
    language: str,
    responses: Mapping[int, dict[str, Any]],
    essay_marks: Mapping[int, float],
    by: Any,
    now: datetime,
) -> Attempt:
    """Record a test answered on paper: an attempt marked as entered by ``by``, scored like
    any other (essays with the mark the trainer gave on paper).

    :raises Conflict: the learner already has a result for this test.
    :raises Invalid: a position outside the paper, or a malformed response.
    """
    attempt = start(
        enrolment,
        course,
        key,
        language=language,
        now=now,
        source=AttemptSource.CLASSROOM,
        entered_by=by,
        form=form,
    )
    if attempt.source is not AttemptSource.CLASSROOM:
        raise Conflict(gettext("This learner has this test open online."))
    items = load_items(attempt)
    save(attempt, responses, now=now, items=items)
    submit(attempt, now=now, items=items)
    for item, _question in items:
        if item.position in essay_marks and item.needs_marking:
            mark(item, fraction=essay_marks[item.position], note=None, by=by, now=now)
    return attempt


def correct_classroom(
    attempt: Attempt,
    responses: Mapping[int, dict[str, Any]],
    essay_marks: Mapping[int, float],
    *,
    by: Any,
    now: datetime,
) -> list[int]:
    """Correct a learner's answers typed in from paper: ``responses`` is the whole row
    again (a position left out is unanswered). Changed items are scored again, the attempt
    re-totalled and its gate follows; the audit trail keeps each change with what it
    replaced. Returns the positions changed.

    :raises Conflict: not a submitted classroom attempt; or a corrected post-test no longer
        passes for a learner who completed the course on it.
    :raises Invalid: a position not on the paper, or a malformed response.
    """
    if attempt.source is not AttemptSource.CLASSROOM or attempt.submitted_at is None:
        raise Conflict(gettext("Only results typed in from paper can be corrected here."))
    items = load_items(attempt)
    by_position = {item.position: (item, question) for item, question in items}
    unknown = sorted((set(responses) | set(essay_marks)) - set(by_position))
    if unknown:
        raise Invalid(gettext("Question %(n)s is not part of this attempt.", n=unknown[0]))
    for position, response in responses.items():
        try:
            qtypes.validate(by_position[position][1], response)
        except qtypes.ResponseError as error:
            raise Invalid(str(error)) from None
    changes = []
    for item, question in items:
        new = dict(responses.get(item.position) or {})
        result = qtypes.score(question, new)
        fraction = essay_marks.get(item.position) if result.needs_marking else result.fraction
        if new == (item.response or {}) and fraction == item.fraction:
            continue
        changes.append(
            {
                "position": item.position,
                "from": item.response or {},
                "to": new,
                "fraction_from": item.fraction,
                "fraction_to": fraction,
            }
        )
        item.response, item.saved_at = new, now
        item.fraction = fraction
        item.needs_marking = result.needs_marking and fraction is None
        if result.needs_marking and fraction is not None:
            item.marked_by_id, item.marked_at = getattr(by, "id", None), now
    if not changes:
        return []
    score_before, passed_before = attempt.score, attempt.passed
    _finish(attempt, items, now=now)
    if attempt.test_key == POST and passed_before and not attempt.passed:
        others = db.session.scalar(
            sa.select(sa.func.count(Attempt.id)).where(
                Attempt.enrolment_id == attempt.enrolment_id,
                Attempt.test_key == POST,
                Attempt.passed.is_(True),
                Attempt.id != attempt.id,
            )
        )
        enrolment = db.session.get(Enrolment, attempt.enrolment_id)
        if not others and enrolment is not None:
            enrolments.withdraw_post_test_pass(enrolment)
    db.session.flush()
    audit.record(
        "attempt.correct",
        actor=by,
        object_type="attempt",
        object_id=attempt.id,
        now=now,
        test=attempt.test_key,
        user_id=attempt.user_id,
        changes=changes,
        score_from=score_before,
        score=attempt.score,
    )
    return [change["position"] for change in changes]


def reveal(attempt: Attempt, course: Course) -> str:
    """What the learner may see of a submitted attempt: "score", "feedback" or "answers"
    (a pre-test shows the score only, whatever is written)."""
    if attempt.test_key == PRE:
        return "score"
    return (course.tests or {}).get(attempt.test_key, {}).get("reveal", "score")


def first_scored(keys: tuple[str, ...]) -> sa.Subquery:
    """Each enrolment's first scored attempt at each of ``keys`` (a window function; join
    on ``enrolment_id``, ``test_key`` and ``rank == 1``). Later attempts (a retake after
    failing) count for passing, not for knowledge gain: a retake meets the same items."""
    ranked = sa.select(
        Attempt.id,
        Attempt.enrolment_id,
        Attempt.test_key,
        Attempt.score,
        Attempt.source,
        sa.func.row_number()
        .over(partition_by=(Attempt.enrolment_id, Attempt.test_key), order_by=Attempt.number)
        .label("rank"),
    ).where(Attempt.status == AttemptStatus.SCORED, Attempt.test_key.in_(keys))
    return ranked.subquery("ranked")


@register_merge_handler
def merge_attempts(source: Any, target: Any) -> dict[str, int]:
    """Move ``source``'s test attempts to ``target`` with the enrolments they belong to
    (lms.enrolments moves those), so the person finds their results."""
    moved = db.session.execute(
        sa.update(Attempt).where(Attempt.user_id == source.id)
        .values(user_id=target.id).execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    return {"attempts": moved} if moved else {}
