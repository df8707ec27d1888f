"""The mentoring part of the demo world: the demo mentor coaches the Kyrgyz
Anti-Trafficking Department, with five monthly sessions, their action points and the
follow-ups of those actions (some done, one dropped, some open and one overdue)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from lms.accounts.models import Agency, Unit, User
from lms.demo import DemoWorld
from lms.extensions import db
from lms.mentoring import progress, services, taxonomy
from lms.mentoring.models import RESULT_FIELDS, ActionStatus, MentoringSession, SessionFormat

UNIT = ("KG", "Anti-Trafficking Department")

#: (days before the run, minutes, format, topics, objectives, observations, challenges,
#: [(action, owner index among the members, days to do it)], {earlier action no: status})
SESSIONS = [
    (150, 180, SessionFormat.WORKSHOP, ["definitions", "victim-identification"],
     "Agree a shared reading of act, means and purpose across the unit.",
     "The unit screens cases against the definition only when a complaint names "
     "trafficking. Officers were confident on the act element and unsure on *means* "
     "and on consent.\n\n- Screening happens late, after the first interview.\n"
     "- No written checklist is used.",
     "Turnover: two experienced investigators moved to other services this year.",
     [("Adapt the indicator checklist for first interviews and circulate it to every "
       "shift.", 0, 30),
      ("Brief the duty officers on the non-punishment principle.", 1, 45)], {}),
    (120, 150, SessionFormat.CASE_REVIEW, ["proactive-investigation", "case-building"],
     "Review two closed cases for what evidence beyond the victim's statement was "
     "available.",
     "In both case files (KG-2025-031, KG-2025-044) the investigation rested on one "
     "statement. Phone records and money transfers were available but not requested.",
     "Requests to mobile operators take more than a month.",
     [("Draft a standard request to mobile operators with the prosecutor's office.", 2, 30)],
     {1: ActionStatus.DONE}),
    (90, 120, SessionFormat.ON_THE_JOB, ["financial-investigation"],
     "Open a parallel financial investigation in a live case.",
     "The investigator mapped the transfers of the suspected recruiters with the "
     "financial intelligence unit for the first time.",
     "",
     [("Agree a contact point at the financial intelligence unit.", 0, 20),
      ("Add a money question to the case-opening form.", 3, 60)],
     {2: ActionStatus.DONE, 3: ActionStatus.DONE}),
    (60, 90, SessionFormat.REMOTE, ["international-cooperation"],
     "Prepare a request to a partner country's police through Interpol.",
     "The draft request was clear; the unit did not know the channel for urgent "
     "requests.",
     "Translation of requests is slow.",
     [("List the liaison officers and channels on one page for the unit.", 1, 20)],
     {4: ActionStatus.DROPPED}),
    (30, 120, SessionFormat.CASE_REVIEW, ["victim-interviewing", "case-building"],
     "Plan a second, trauma-informed interview in case KG-2026-007.",
     "The plan had an interpreter and a support person; questions were open. The "
     "unit agreed to record the interview once.",
     "No room suited to interviews at the department.",
     [("Ask the ministry for an interview room.", 2, 60)], {}),
]  # fmt: skip


#: (days before the run, levels of the six competencies in taxonomy order)
SCORECARDS = [(150, (1, 2, 1, 1, 2, 2)), (75, (2, 2, 2, 2, 2, 2)), (5, (2, 3, 2, 3, 2, 3))]
#: Totals of the last two quarters, the latest first (RESULT_FIELDS order).
RESULTS = [(9, 3, 4, 11, 9), (6, 1, 2, 7, 5)]


def seed(world: DemoWorld) -> None:
    """Once: assign the demo mentor and log the sessions (skipped when the unit has any)."""
    unit = db.session.scalar(
        sa.select(Unit)
        .join(Agency, Agency.id == Unit.agency_id)
        .where(Agency.country_code == UNIT[0], Unit.name_latin == UNIT[1])
    )
    mentor = db.session.scalar(sa.select(User).where(User.username == "demo.mentor"))
    if unit is None or mentor is None:
        return
    logged = db.session.scalar(
        sa.select(sa.func.count()).select_from(MentoringSession)
        .where(MentoringSession.unit_id == unit.id)
    )  # fmt: skip
    if logged:
        world.existing["mentoring sessions"] += logged
        return
    today = world.now.date()
    services.assign_mentor(mentor, unit, starts_on=today - timedelta(days=200), ends_on=None,
                           by=None, now=world.now)  # fmt: skip
    members = services.unit_members(unit.id)
    if not members:
        return
    opened: list[int] = []
    for (
        days,
        minutes,
        kind,
        topics,
        objectives,
        observations,
        challenges,
        actions,
        closes,
    ) in SESSIONS:
        held_on = today - timedelta(days=days)
        at = datetime.combine(held_on, time(12, 0), tzinfo=world.now.tzinfo)
        data = services.SessionInput(
            held_on=held_on, duration_minutes=minutes, format=kind, location="Bishkek",
            mentor_ids=[mentor.id], attendee_ids=[m.id for m in members[:6]],
            others=[{"sex": "female", "agency_type": "prosecution", "count": 1}],
            topics=topics, case_refs=[], objectives=objectives,
            observations=observations, challenges=challenges,
            actions=[
                services.ActionInput(text, members[owner % len(members)].id,
                                     held_on + timedelta(days=due))
                for text, owner, due in actions
            ],
            follow_ups=[
                services.FollowUp(opened[number - 1], status,
                                  "Checked with the owner at the session.")
                for number, status in closes.items() if number <= len(opened)
            ],
        )  # fmt: skip
        session = services.save_session(None, data, unit=unit, by=mentor, now=at, submit=True)
        opened += [a.id for a in session.actions]
        world.count("mentoring sessions", created=True)
    # A baseline at the first session and two periodic scorecards, the last this month.
    for days, levels in SCORECARDS:
        held_on = today - timedelta(days=days)
        at = datetime.combine(held_on, time(16, 0), tzinfo=world.now.tzinfo)
        keys = [c.key for c in taxonomy.COMPETENCIES]
        progress.add_assessment(
            unit, assessed_on=held_on, levels=dict(zip(keys, levels, strict=True)),
            notes="Rated with the unit's head after reviewing case files.", by=mentor, now=at,
        )  # fmt: skip
    # Totals of the two quarters before this one.
    year, number = today.year, (today.month - 1) // 3 + 1
    for back, totals in enumerate(RESULTS, start=1):
        q_year, q_number = (year, number - back) if number > back else (year - 1, number - back + 4)
        progress.save_result(unit, year=q_year, number=q_number,
                             totals=dict(zip(RESULT_FIELDS, totals, strict=True)), by=mentor,
                             now=world.now)  # fmt: skip
