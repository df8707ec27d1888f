"""The audit trail is append-only and tamper-evident (ASVS 16.4.2): the database refuses
updates, and the hash chain of ``lms audit seal`` names any event changed, removed or
slipped in afterwards, whoever did it with direct access to the database."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms import audit, clock
from lms.audit import AuditEvent, AuditSeal
from lms.extensions import db
from lms.privacy import services as privacy


def _events(count: int, **details) -> list[AuditEvent]:
    events = [
        audit.record(
            "test.event",
            object_type="thing",
            object_id=n,
            now=clock.now(),
            n=n,
            text="Ёлка ✓",
            **details,
        )
        for n in range(count)
    ]
    db.session.flush()
    return events


def _problems() -> list[tuple[int, str]]:
    return [(p.event_id, p.what) for p in audit.verify(batch=3)]


def _drop_guard() -> None:
    """What someone with the database owner's rights could do (rolled back with the test)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("DROP TRIGGER audit_event_append_only ON audit_event"))
        db.session.execute(sa.text("DROP TRIGGER audit_seal_append_only ON audit_seal"))
    else:
        db.session.execute(sa.text("DROP TRIGGER audit_event_append_only"))
        db.session.execute(sa.text("DROP TRIGGER audit_seal_append_only"))


def test_events_are_sealed_once_they_are_old_enough_and_the_chain_holds(app, frozen_clock):
    events = _events(7)
    assert audit.seal(now=clock.now()) == 0  # younger than SEAL_AFTER: a transaction may lag
    frozen_clock.advance(minutes=6)
    later = _events(2)
    assert audit.seal(now=clock.now(), batch=3) == 7  # in batches; the new two wait
    assert audit.seal(now=clock.now()) == 0
    frozen_clock.advance(minutes=6)
    assert audit.seal(now=clock.now()) == 2
    links = db.session.scalars(sa.select(AuditSeal).order_by(AuditSeal.event_id)).all()
    assert [s.event_id for s in links] == [e.id for e in events + later]
    assert links[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(links))
    assert _problems() == []


def test_the_database_refuses_to_update_the_trail(app, frozen_clock):
    event = _events(1)[0]
    frozen_clock.advance(minutes=6)
    audit.seal(now=clock.now())
    db.session.commit()
    for statement in ("UPDATE audit_event SET action = 'x'", "UPDATE audit_seal SET hash = 'x'"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(sa.text(statement))
    db.session.refresh(event)
    assert event.action == "test.event"


def test_a_changed_removed_or_slipped_in_event_is_named(app, frozen_clock):
    events = _events(6)
    frozen_clock.advance(minutes=6)
    audit.seal(now=clock.now())
    _drop_guard()
    ids = [e.id for e in events]
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == ids[1]).values(object_id="999"))
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == ids[3]))
    # Hiding an event: its link removed too (the next link still points to it).
    db.session.execute(sa.delete(AuditSeal).where(AuditSeal.event_id == ids[4]))
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == ids[4]))
    # An event slipped in between sealed ones, without a link.
    db.session.execute(sa.delete(AuditSeal).where(AuditSeal.event_id == ids[2]))
    db.session.expire_all()
    assert _problems() == [
        (ids[1], "the event was changed after it was sealed"),
        (ids[3], "the link before this event was removed"),
        (ids[3], "the event was deleted after it was sealed"),
        (ids[5], "the link before this event was removed"),
        (ids[2], "the event was added after later ones were sealed"),
    ]


def test_the_retention_clean_up_takes_old_links_with_old_events(app, frozen_clock):
    _events(3)
    frozen_clock.advance(days=400)
    recent = _events(2)
    frozen_clock.advance(minutes=6)
    assert audit.seal(now=clock.now()) == 5
    deleted = privacy.cleanup({"audit_events": 365}, now=clock.now())
    assert deleted["audit_events"] == 3
    remaining = db.session.scalars(sa.select(AuditSeal.event_id).order_by(AuditSeal.event_id))
    assert list(remaining) == [e.id for e in recent]
    assert _problems() == []  # the first link left starts the chain


def test_the_commands_seal_and_verify(app, runner, frozen_clock):
    event = _events(2)[0]
    db.session.commit()
    frozen_clock.advance(minutes=6)
    result = runner.invoke(args=["lms", "audit", "seal", "--json"])
    assert result.exit_code == 0, result.output
    assert '"sealed": 2' in result.output
    verified = runner.invoke(args=["lms", "audit", "verify"])
    assert verified.exit_code == 0 and "2 sealed events verified" in verified.output
    _drop_guard()
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(ip="6.6.6.6"))
    db.session.commit()
    tampered = runner.invoke(args=["lms", "audit", "verify"])
    assert tampered.exit_code == 1
    assert f"audit event {event.id}: the event was changed after it was sealed" in tampered.output


def test_sealing_twice_at_once_adds_no_second_link(app, frozen_clock):
    _events(2)
    frozen_clock.advance(minutes=6)
    assert audit.seal(now=clock.now()) == 2
    # A second sealer that read "nothing sealed yet" before the first committed:
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.insert(AuditSeal),
            [{"event_id": db.session.scalar(sa.select(sa.func.min(AuditSeal.event_id))),
              "event_at": clock.now(), "prev_hash": audit.GENESIS, "hash": "0" * 64,
              "sealed_at": clock.now() + timedelta(seconds=1)}],
        )  # fmt: skip
    assert _problems() == []
