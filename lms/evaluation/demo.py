"""The evaluation part of the demo world: most officers who completed a course gave
their end-of-course feedback (anonymous where the course says so), so the survey
results have something to show; the demo learner's own feedback is left for them to
give, so their dashboard asks for it."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.demo import DemoWorld
from lms.enrolments.models import Enrolment
from lms.evaluation import services
from lms.evaluation.models import CourseSurvey, SurveyInvitation, SurveyKind
from lms.extensions import db

COMMENTS = [
    "The case studies from the region were the most useful part.",
    "More about financial investigation, please.",
    "The module on interviewing changed how I plan a first contact.",
    "Too short for the prosecutors' part.",
    "",
]


def _answers(definition: services.Definition, seed: int) -> dict[str, object]:
    """Plausible, varied answers to every question (deterministic from ``seed``)."""
    answers: dict[str, object] = {}
    for index, question in enumerate(definition.questions):
        turn = seed + index
        if question.kind == "likert":
            answers[question.id] = str((3, 4, 4, 5, 5, 2, 4)[turn % 7])
        elif question.kind == "single":
            answers[question.id] = question.options[turn % 3 % len(question.options)].id
        elif question.kind == "multiple":
            answers[question.id] = [o.id for o in question.options[turn % 2 :: 3]]
        elif turn % 2 == 0 and COMMENTS[seed % len(COMMENTS)]:
            answers[question.id] = COMMENTS[seed % len(COMMENTS)]
    return answers


def seed(world: DemoWorld) -> None:
    learner = world.logins.get("learner", {}).get("username")
    answered = sa.select(SurveyInvitation.enrolment_id).where(
        SurveyInvitation.wave == services.FEEDBACK, SurveyInvitation.answered_on.is_not(None)
    )
    rows = db.session.execute(
        sa.select(Enrolment, User.username)
        .join(User, User.id == Enrolment.user_id)
        .join(CourseSurvey, sa.and_(CourseSurvey.course_id == Enrolment.course_id,
                                    CourseSurvey.kind == SurveyKind.FEEDBACK))
        .where(Enrolment.completed_at.is_not(None))
        .order_by(Enrolment.id)
    ).all()  # fmt: skip
    done = set(db.session.scalars(answered))
    for enrolment, username in rows:
        if username == learner:
            continue
        if enrolment.id in done:
            world.count("survey responses", created=False)
            continue
        survey = services.open_survey(enrolment, services.FEEDBACK, today=world.now.date())
        services.answer(survey, _answers(survey.definition, enrolment.id), submit=True,
                        now=world.now)  # fmt: skip
        world.count("survey responses", created=True)
