"""Session logs, their rules, the personal-data guard, follow-ups and edit history."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms import clock
from lms.audit import AuditEvent
from lms.errors import Invalid
from lms.extensions import db
from lms.mentoring import services
from lms.mentoring.models import (
    ActionPoint,
    ActionStatus,
    MentoringSession,
    SessionRevision,
    SessionStatus,
)
from tests.mentoring.conftest import day


def test_a_submitted_session_opens_its_action_points(world):
    session = world.log()
    assert session.status is SessionStatus.SUBMITTED
    assert [a.status for a in session.actions] == [ActionStatus.OPEN, ActionStatus.OPEN]
    assert {a.user_id for a in session.attendees} == {m.id for m in world.members[:3]}
    assert session.others_total == 2
    assert [a.text for a in services.open_actions(world.unit.id)] == [
        "Request phone records early", "Brief the duty officers"]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on": day(1)}, "held_on"),
        ({"duration_minutes": -30}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"format": None}, "format"),
        ({"topics": []}, "topics"),
        ({"topics": ["astrology"]}, "topics"),
        ({"mentor_ids": []}, "mentor_ids"),
        ({"attendee_ids": [1_000_000]}, "attendee_ids"),
        ({"others": [{"sex": "female", "agency_type": "police", "count": -1}]}, "others"),
        ({"case_refs": ["Anna Petrova"]}, "case_refs"),
        ({"attendee_ids": [], "others": []}, "attendee_ids"),
    ],
)
def test_bad_sessions_are_refused_with_the_field_at_fault(world, changes, field):
    with pytest.raises(Invalid) as refused:
        world.log(**changes)
    assert refused.value.field == field


def test_attendees_and_action_owners_come_from_the_unit(world):
    with pytest.raises(Invalid, match="members") as refused:
        world.log(attendee_ids=[world.outsider.id])
    assert refused.value.field == "attendee_ids"
    action = services.ActionInput("Do it", world.outsider.id, day(5))
    with pytest.raises(Invalid, match="member of the unit") as refused:
        world.log(actions=[action])
    assert refused.value.field == "actions-0-owner_id"
    late = services.ActionInput("Do it", world.members[0].id, day(-10))
    with pytest.raises(Invalid, match="before the session") as refused:
        world.log(actions=[late])
    assert refused.value.field == "actions-0-due_on"


def test_a_mentor_not_assigned_on_the_day_cannot_be_named(world):
    from lms.accounts.models import Role
    from tests.factories import make_user

    stranger = make_user("other.mentor", roles=[Role.MENTOR], country_code="KG")
    with pytest.raises(Invalid, match="assigned") as refused:
        world.log(mentor_ids=[world.mentor.id, stranger.id])
    assert refused.value.field == "mentor_ids"


def test_a_draft_may_be_incomplete_but_never_wrong(world):
    draft = services.save_session(
        None, services.SessionInput(observations="Started"), unit=world.unit, by=world.mentor,
        now=clock.now(), submit=False,
    )  # fmt: skip
    assert draft.status is SessionStatus.DRAFT
    with pytest.raises(Invalid):
        services.save_session(
            draft, services.SessionInput(duration_minutes=-5), unit=world.unit, by=world.mentor,
            now=clock.now(), submit=False,
        )  # fmt: skip
    # Action points of drafts are not the unit's open actions yet.
    services.save_session(draft, world.data(), unit=world.unit, by=world.mentor,
                          now=clock.now(), submit=False)  # fmt: skip
    assert services.open_actions(world.unit.id) == []


def test_personal_data_stops_the_save_until_removed_or_justified(world):
    texts = {"observations": "Victim's passport AB1234567 was copied."}
    with pytest.raises(services.PersonalDataFound) as found:
        world.log(**texts)
    assert [f.kind for f in found.value.findings["observations"]] == ["passport"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 0
    action = services.ActionInput("Call her on +92 300 1234567", world.members[0].id, day(3))
    with pytest.raises(services.PersonalDataFound) as found:
        world.log(actions=[action])
    assert "actions-0-text" in found.value.findings
    # A reason too short is no reason.
    with pytest.raises(services.PersonalDataFound):
        services.save_session(None, world.data(**texts), unit=world.unit, by=world.mentor,
                              now=clock.now(), submit=True, override="ok")  # fmt: skip
    reason = "AB1234567 is the number of the unit's evidence register, not a passport."
    session = services.save_session(None, world.data(**texts), unit=world.unit,
                                    by=world.mentor, now=clock.now(), submit=True,
                                    override=reason)  # fmt: skip
    assert session.pii_override == reason
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "mentoring.pii_override")
    )
    assert event.details["kinds"] == {"passport": 1}
    assert "AB1234567" not in str(event.details)


def test_follow_ups_close_earlier_actions_in_the_next_session(world):
    first = world.log()
    done, dropped = first.actions
    frozen = clock.now() + timedelta(days=20)
    second = services.save_session(
        None,
        world.data(held_on=frozen.date(), actions=[], follow_ups=[
            services.FollowUp(done.id, ActionStatus.DONE, "Records requested on day two."),
            services.FollowUp(dropped.id, ActionStatus.DROPPED, "The duty roster changed."),
        ]),
        unit=world.unit, by=world.mentor, now=frozen, submit=True,
    )  # fmt: skip
    assert done.status is ActionStatus.DONE and done.closed_in_id == second.id
    assert done.closed_on == frozen.date()
    assert [u.note for u in done.updates] == ["Records requested on day two."]
    assert dropped.status is ActionStatus.DROPPED
    assert services.open_actions(world.unit.id) == []


def test_follow_ups_of_a_draft_wait_for_its_submission(world):
    first = world.log()
    action = first.actions[0]
    follow = [services.FollowUp(action.id, ActionStatus.DONE, "Done")]
    draft = services.save_session(None, world.data(actions=[], follow_ups=follow),
                                  unit=world.unit, by=world.mentor, now=clock.now(),
                                  submit=False)  # fmt: skip
    assert action.status is ActionStatus.OPEN
    assert services.pending_follow_ups(draft)[action.id].note == "Done"
    services.save_session(draft, world.data(actions=[], follow_ups=follow), unit=world.unit,
                          by=world.mentor, now=clock.now(), submit=True)  # fmt: skip
    assert action.status is ActionStatus.DONE and draft.pending_follow_ups is None


def test_editing_a_submitted_session_keeps_what_it_said(world):
    session = world.log()
    services.save_session(session, world.data(observations="Corrected."), unit=world.unit,
                          by=world.mentor, now=clock.now(), submit=True)  # fmt: skip
    assert session.version == 2 and session.observations == "Corrected."
    revision = db.session.scalar(sa.select(SessionRevision))
    assert revision.version == 1
    assert "The unit reviewed **two** case files." in revision.content
    with pytest.raises(Invalid, match="kept"):
        services.delete_draft(session, by=world.mentor, now=clock.now())


def test_action_updates_record_notes_and_refuse_personal_data(world):
    action = world.log().actions[0]
    with pytest.raises(Invalid, match="note or change"):
        services.update_action(action, ActionStatus.OPEN, "", by=world.mentor, now=clock.now())
    with pytest.raises(services.PersonalDataFound):
        services.update_action(action, ActionStatus.OPEN, "Her mail is a@b.org",
                               by=world.mentor, now=clock.now())  # fmt: skip
    services.update_action(action, ActionStatus.DONE, "Finished", by=world.mentor,
                           now=clock.now())  # fmt: skip
    assert action.status is ActionStatus.DONE and action.closed_on == clock.now().date()
    assert (
        db.session.scalar(sa.select(ActionPoint.status).where(ActionPoint.id == action.id))
        is ActionStatus.DONE
    )


def test_assignments_do_not_overlap_and_end_in_order(world):
    with pytest.raises(Invalid, match="already assigned"):
        services.assign_mentor(world.mentor, world.unit, starts_on=world.today, ends_on=None,
                               by=None, now=clock.now())  # fmt: skip
    with pytest.raises(Invalid, match="not an active mentor"):
        services.assign_mentor(world.members[0], world.unit, starts_on=world.today,
                               ends_on=None, by=None, now=clock.now())  # fmt: skip


def test_merging_two_records_of_a_member_keeps_one_attendance_per_session(world):
    from lms.accounts import services as accounts
    from lms.mentoring.models import SessionAttendee

    first = world.log()  # members 0, 1 and 2 attended; member 0 owns an action
    source, target = world.members[0], world.members[1]
    result = accounts.merge_users(source, target, actor=None, now=clock.now())
    rows = db.session.scalars(
        sa.select(SessionAttendee.user_id).where(SessionAttendee.session_id == first.id)
    ).all()
    assert sorted(rows) == sorted([target.id, world.members[2].id])
    db.session.expire_all()
    assert {a.owner_id for a in first.actions} == {target.id}
    assert "mentoring_attendee" not in result.moved  # the one row was a duplicate: removed
    assert result.moved["action_point.owner_id"] == 1
