"""Evaluation services: syncing the courses' surveys, who is asked what and when, saving
answers (named or anonymous), and the follow-up lists. Every function takes the time it
works at (``now`` / ``today``), so tests and the demo move the clock freely.

Waves: a course's feedback is the wave ``"feedback"``, open once the course is completed.
Its follow-up has one wave per configured month (``"3"``, ``"6"``): wave *m* opens *m*
months after completion and stays open until the next wave opens (the last one for three
months), so an officer who missed the 3-month survey is asked at 6 months, not twice.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms import audit
from lms.accounts.models import Agency, User
from lms.courses.content import Problem
from lms.courses.models import Course
from lms.enrolments.models import Enrolment
from lms.errors import Conflict, DomainError, Invalid, NotFound
from lms.evaluation import content, definitions
from lms.evaluation.definitions import Definition
from lms.evaluation.models import (
    AnonymousResponse,
    CourseSurvey,
    Offered,
    ResponseSource,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyVersion,
)
from lms.extensions import db

FEEDBACK = "feedback"
#: How long the last follow-up wave stays open (months).
LAST_WAVE_OPEN_MONTHS = 3


def wave_label(wave: str) -> str:
    """A wave as people read it: "End-of-course feedback", "Follow-up after 3 months"."""
    if wave == FEEDBACK:
        return _("End-of-course feedback")
    return _("Follow-up after %(months)s months", months=wave)


# --- Content ---------------------------------------------------------------------------------


def check(folders: list[Path]) -> list[Problem]:
    return content.load_surveys(folders)[1]


def sync(folders: list[Path], *, now: datetime) -> dict[str, int]:
    """Load the courses' surveys (the courses must be synced first). A definition that
    changed becomes a new version; responses keep the version they answered. A course
    whose surveys.yaml is gone loses its surveys (their responses stay). Raises
    :class:`Invalid` with the problems when the content has any."""
    found, problems = content.load_surveys(folders)
    if problems:
        raise Invalid("; ".join(str(p) for p in problems))
    courses = {c.slug: c.id for c in db.session.scalars(sa.select(Course))}
    versions = {v.content_hash: v for v in db.session.scalars(sa.select(SurveyVersion))}
    current = {(s.course_id, s.kind): s for s in db.session.scalars(sa.select(CourseSurvey))}
    totals = {"created": 0, "updated": 0, "unchanged": 0, "retired": 0}
    wanted: set[tuple[int, SurveyKind]] = set()
    for course_surveys in found:
        course_id = courses.get(course_surveys.slug)
        if course_id is None:
            continue
        for kind_name, settings in course_surveys.surveys.items():
            definition: Definition = settings["definition"]
            digest = definition.content_hash()
            version = versions.get(digest)
            if version is None:
                version = SurveyVersion(
                    key=definition.key,
                    content_hash=digest,
                    definition=definition.as_dict(),
                    created_at=now,
                )
                db.session.add(version)
                db.session.flush()
                versions[digest] = version
            kind = SurveyKind(kind_name)
            wanted.add((course_id, kind))
            values = {
                "version_id": version.id,
                "anonymous": settings["anonymous"],
                "offered": Offered(settings["offered"]),
                "months": settings["months"],
            }
            row = current.get((course_id, kind))
            if row is None:
                db.session.add(CourseSurvey(course_id=course_id, kind=kind, **values))
                totals["created"] += 1
            elif any(getattr(row, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(row, key, value)
                totals["updated"] += 1
            else:
                totals["unchanged"] += 1
    for key, row in current.items():
        if key not in wanted:
            db.session.delete(row)
            totals["retired"] += 1
    db.session.flush()
    return totals


# --- Waves -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_window(completed: date, months: list[int], wave: str) -> tuple[date, date] | None:
    """The days (first, last) a follow-up wave is open for a completion on ``completed``."""
    if not wave.isdigit() or int(wave) not in months:
        return None
    index = months.index(int(wave))
    opens = add_months(completed, months[index])
    closes_after = (
        months[index + 1] if index + 1 < len(months) else months[index] + LAST_WAVE_OPEN_MONTHS
    )
    return opens, add_months(completed, closes_after) - timedelta(days=1)


def open_follow_up(completed: date, months: list[int], today: date) -> str | None:
    """The follow-up wave open on ``today`` for a completion on ``completed``, if any."""
    for month in months:
        window = follow_up_window(completed, months, str(month))
        if window and window[0] <= today <= window[1]:
            return str(month)
    return None


@dataclass(frozen=True)
class Invitation:
    """A survey a person is asked to answer now."""

    enrolment_id: int
    course_id: int
    user_id: int
    kind: SurveyKind
    wave: str
    anonymous: bool
    completed_on: date
    #: Follow-ups: the last day it stays open.
    closes_on: date | None = None
    reminded_on: date | None = None
    #: Feedback: offered before the certificate (shown first, the certificate after it).
    before_certificate: bool = False


def _invitations(rows: Any, today: date) -> list[Invitation]:
    """Invitations from rows of (enrolment id, course id, user id, completed at, kind,
    anonymous, months, offered, answered waves) — no query."""
    found: list[Invitation] = []
    for row in rows:
        enrolment_id, course_id, user_id, completed_at, kind, anonymous, months, offered = row[:8]
        answered = row[8]
        completed = completed_at.date()
        kind = SurveyKind(kind)
        if kind is SurveyKind.FEEDBACK:
            if FEEDBACK not in answered:
                found.append(Invitation(
                    enrolment_id, course_id, user_id, kind, FEEDBACK, anonymous, completed,
                    before_certificate=Offered(offered) is Offered.BEFORE_CERTIFICATE,
                ))  # fmt: skip
            continue
        wave = open_follow_up(completed, list(months or []), today)
        if wave is not None and wave not in answered:
            window = follow_up_window(completed, list(months), wave)
            found.append(Invitation(enrolment_id, course_id, user_id, kind, wave, anonymous,
                                    completed, window[1] if window else None))  # fmt: skip
    return found


def _asked(condition: sa.ColumnElement[bool]) -> list[Any]:
    """Completed enrolments matching ``condition`` with their course's surveys and the
    waves already answered (one query)."""
    answered = (
        sa.select(SurveyInvitation.enrolment_id, SurveyInvitation.wave)
        .where(SurveyInvitation.answered_on.is_not(None))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Enrolment.id, Enrolment.course_id, Enrolment.user_id, Enrolment.completed_at,
            CourseSurvey.kind, CourseSurvey.anonymous, CourseSurvey.months,
            CourseSurvey.offered, answered.c.wave,
        )
        .join(CourseSurvey, CourseSurvey.course_id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(answered, answered.c.enrolment_id == Enrolment.id)
        .where(Enrolment.completed_at.is_not(None), condition)
        .order_by(Enrolment.completed_at, Enrolment.id, CourseSurvey.kind)
    ).all()  # fmt: skip
    grouped: dict[tuple[int, str], list[Any]] = {}
    for *head, wave in rows:
        key = (head[0], str(head[4]))
        if key not in grouped:
            grouped[key] = [*head, set()]
        if wave is not None:
            grouped[key][-1].add(wave)
    return list(grouped.values())


def invitations_for(user: Any, today: date) -> list[Invitation]:
    """The surveys ``user`` is asked to answer now (one query)."""
    return _invitations(_asked(Enrolment.user_id == user.id), today)


def due(
    people: sa.ColumnElement[bool], today: date, *, follow_ups_only: bool = True
) -> list[Invitation]:
    """The surveys due now from the people ``people`` selects (a condition on User), for
    the staff who follow them up (one query)."""
    found = _invitations(_asked(people), today)
    return [i for i in found if not follow_ups_only or i.kind is SurveyKind.FOLLOW_UP]


# --- Answering -------------------------------------------------------------------------------


@dataclass
class Survey:
    """What a person answers: the course's survey, its definition, and the named draft
    or response so far (None for an anonymous survey or before the first save)."""

    enrolment: Enrolment
    course_survey: CourseSurvey
    definition: Definition
    wave: str
    response: SurveyResponse | None
    answered_on: date | None

    @property
    def anonymous(self) -> bool:
        return self.course_survey.anonymous

    @property
    def submitted(self) -> bool:
        return self.answered_on is not None


def open_survey(enrolment: Enrolment, wave: str, *, today: date) -> Survey:
    """The survey ``wave`` of ``enrolment`` (3 queries). Refused with a clear error when
    the course is not completed, has no such survey, or the wave is not open today."""
    if enrolment.completed_at is None:
        raise Conflict(_("This survey opens when the course is completed."))
    kind = SurveyKind.FEEDBACK if wave == FEEDBACK else SurveyKind.FOLLOW_UP
    course_survey = db.session.scalar(
        sa.select(CourseSurvey).where(
            CourseSurvey.course_id == enrolment.course_id, CourseSurvey.kind == kind
        )
    )
    if course_survey is None:
        raise NotFound(_("This course has no such survey."))
    if kind is SurveyKind.FOLLOW_UP:
        window = follow_up_window(enrolment.completed_at.date(), course_survey.months, wave)
        if window is None:
            raise NotFound(_("This course has no such survey."))
        if not window[0] <= today <= window[1]:
            raise Conflict(_("This follow-up survey is not open now."))
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(
            SurveyInvitation.enrolment_id == enrolment.id, SurveyInvitation.wave == wave
        )
    )
    response = None
    if not course_survey.anonymous:
        response = db.session.scalar(
            sa.select(SurveyResponse).where(
                SurveyResponse.enrolment_id == enrolment.id, SurveyResponse.wave == wave
            )
        )
    definition = definitions.from_dict(course_survey.version.definition)
    return Survey(enrolment, course_survey, definition, wave, response,
                  invitation.answered_on if invitation else None)  # fmt: skip


def _mark(enrolment_id: int, wave: str, today: date) -> None:
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(
            SurveyInvitation.enrolment_id == enrolment_id, SurveyInvitation.wave == wave
        )
    )
    if invitation is None:
        db.session.add(SurveyInvitation(enrolment_id=enrolment_id, wave=wave, answered_on=today))
    else:
        invitation.answered_on = today


def answer(
    survey: Survey,
    form: Any,
    *,
    submit: bool,
    now: datetime,
    source: ResponseSource = ResponseSource.ONLINE,
    by: Any = None,
) -> dict[str, str]:
    """Save the answers ``form`` gives: a draft (named surveys only) or, with ``submit``,
    the response. Returns the problems per question (nothing saved when there are any on
    submit; a draft keeps what is valid). A second submission is a :class:`Conflict`.

    An anonymous response is written without the person: the answers, the course, the
    cohort, the day and the groups reports use (sex, country, agency type); the
    enrolment only records that it was answered, on which day."""
    if survey.submitted:
        raise Conflict(_("This survey was already answered."))
    if survey.anonymous and not submit:
        raise DomainError(_("An anonymous survey is answered in one go: it keeps no draft."))
    answers, errors = definitions.read_answers(survey.definition, form, complete=submit)
    if errors and submit:
        return errors
    enrolment = survey.enrolment
    today = now.date()
    if survey.anonymous:
        person = db.session.get(User, enrolment.user_id)
        agency_type = (
            db.session.scalar(sa.select(Agency.type).where(Agency.id == person.agency_id))
            if person is not None and person.agency_id else None
        )  # fmt: skip
        db.session.add(AnonymousResponse(
            version_id=survey.course_survey.version_id, course_id=enrolment.course_id,
            cohort_id=enrolment.cohort_id, wave=survey.wave, answered_on=today,
            sex=person.sex, country_code=person.country_code, agency_type=agency_type,
            source=source, answers=answers,
        ))  # fmt: skip
        _mark(enrolment.id, survey.wave, today)
        survey.answered_on = today
        db.session.flush()
        return {}
    response = survey.response
    if response is None:
        response = SurveyResponse(
            version_id=survey.course_survey.version_id, course_id=enrolment.course_id,
            enrolment_id=enrolment.id, user_id=enrolment.user_id, wave=survey.wave,
            created_at=now,
        )  # fmt: skip
        db.session.add(response)
        survey.response = response
    response.answers = answers
    response.updated_at = now
    response.source = source
    response.entered_by_id = by.id if by is not None and by.id != enrolment.user_id else None
    if submit:
        response.submitted_at = now
        _mark(enrolment.id, survey.wave, today)
        survey.answered_on = today
    db.session.flush()
    if submit and response.entered_by_id is not None:
        audit.record("survey.entered", actor=by, now=now, object_type="survey_response",
                     object_id=str(response.id), wave=survey.wave, source=source.value)  # fmt: skip
    return errors


def reminded(enrolment_id: int, wave: str, today: date) -> None:
    """Record that the learner was reminded of ``wave`` today."""
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(
            SurveyInvitation.enrolment_id == enrolment_id, SurveyInvitation.wave == wave
        )
    )
    if invitation is None:
        db.session.add(SurveyInvitation(enrolment_id=enrolment_id, wave=wave, reminded_on=today))
    else:
        invitation.reminded_on = today


# --- Results ---------------------------------------------------------------------------------

#: Figures of fewer respondents than this are not shown (anonymity of small groups).
SMALL_GROUP = 5


@dataclass(frozen=True)
class QuestionResult:
    question: definitions.Question
    answered: int
    #: likert: point → count; single/multiple: option id → count.
    counts: dict[Any, int]
    mean: float | None
    #: Open answers (text questions), in no particular order.
    texts: list[str]


@dataclass(frozen=True)
class Results:
    definition: Definition | None
    wave: str
    invited: int
    responses: int
    anonymous: bool
    questions: list[QuestionResult]
    #: Responses entered by staff: by source ("phone", "paper").
    by_source: dict[str, int]

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.responses / self.invited, 1) if self.invited else None

    @property
    def shown(self) -> bool:
        """Whether the figures may be shown (enough respondents)."""
        return self.responses >= SMALL_GROUP


def _scope(countries: frozenset[str] | None, column: Any) -> sa.ColumnElement[bool]:
    return sa.true() if countries is None else column.in_(sorted(countries))


def results(
    course_id: int,
    wave: str,
    *,
    countries: frozenset[str] | None,
    cohort_id: int | None = None,
    today: date,
) -> Results:
    """The answers to ``wave`` of a course's survey from the people of ``countries``
    (None: all), optionally of one cohort: response rate and, per question, the
    distribution, mean (Likert) and open answers (four queries)."""
    kind = SurveyKind.FEEDBACK if wave == FEEDBACK else SurveyKind.FOLLOW_UP
    course_survey = db.session.scalar(
        sa.select(CourseSurvey).where(
            CourseSurvey.course_id == course_id, CourseSurvey.kind == kind
        )
    )
    definition = definitions.from_dict(course_survey.version.definition) if course_survey else None
    cohort = (Enrolment.cohort_id == cohort_id) if cohort_id is not None else sa.true()
    named = db.session.execute(
        sa.select(SurveyResponse.answers, SurveyResponse.source)
        .join(User, User.id == SurveyResponse.user_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .where(SurveyResponse.course_id == course_id, SurveyResponse.wave == wave,
               SurveyResponse.submitted_at.is_not(None),
               _scope(countries, User.country_code), cohort)
    ).all()  # fmt: skip
    anonymous = db.session.execute(
        sa.select(AnonymousResponse.answers, AnonymousResponse.source).where(
            AnonymousResponse.course_id == course_id, AnonymousResponse.wave == wave,
            _scope(countries, AnonymousResponse.country_code),
            (AnonymousResponse.cohort_id == cohort_id) if cohort_id is not None else sa.true(),
        )
    ).all()  # fmt: skip
    completed = [Enrolment.course_id == course_id, Enrolment.completed_at.is_not(None)]
    if wave != FEEDBACK and wave.isdigit():
        # Invited: those whose completion is at least ``wave`` months before today.
        cutoff = add_months(today, -int(wave))
        end_of_cutoff = datetime.combine(cutoff + timedelta(days=1), datetime.min.time(), UTC)
        completed.append(Enrolment.completed_at < end_of_cutoff)
    invited = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id))
        .join(User, User.id == Enrolment.user_id)
        .where(*completed, _scope(countries, User.country_code), cohort)
    ) or 0  # fmt: skip
    rows = [*named, *anonymous]
    by_source: dict[str, int] = {}
    for _answers, source in rows:
        value = getattr(source, "value", source)
        if value != ResponseSource.ONLINE.value:
            by_source[value] = by_source.get(value, 0) + 1
    questions: list[QuestionResult] = []
    for question in definition.questions if definition else ():
        counts: dict[Any, int] = {}
        if question.kind == "likert":
            counts = dict.fromkeys(definitions.LIKERT, 0)
        elif question.kind in ("single", "multiple"):
            counts = {option.id: 0 for option in question.options}
        texts: list[str] = []
        answered = 0
        total = 0
        for answers, _source in rows:
            value = (answers or {}).get(question.id)
            if value in (None, "", []):
                continue
            answered += 1
            if question.kind == "likert" and value in counts:
                counts[value] += 1
                total += value
            elif question.kind == "single" and value in counts:
                counts[value] += 1
            elif question.kind == "multiple":
                for item in value:
                    if item in counts:
                        counts[item] += 1
            elif question.kind in ("short_text", "long_text"):
                texts.append(str(value))
        mean = round(total / answered, 2) if question.kind == "likert" and answered else None
        questions.append(QuestionResult(question, answered, counts, mean, sorted(texts)))
    anonymous_survey = bool(course_survey and course_survey.anonymous)
    return Results(definition, wave, invited, len(rows), anonymous_survey, questions, by_source)
