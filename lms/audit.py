"""The audit trail: who did what to which object, when and from where.

``record()`` adds an event to the current transaction, so an audited change and its
event are committed (or rolled back) together. Events never hold passwords, tokens or
free text from mentoring notes: pass identifiers and short facts only.

The trail is tamper-evident: ``seal()`` (``flask lms audit seal``, run by the scheduler
every few minutes) chains every committed event into a hash chain, each link the SHA-256
of the one before and of the event's content; ``verify()`` (``flask lms audit verify``)
recomputes it and names every event changed, removed or slipped in after it was sealed.
Sealing runs apart from the requests that record events, so they never queue on a lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who acted; None for the system or the command line without a user.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: Dotted verb, e.g. "user.create", "grant.revoke", "user.merge".
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    #: Country the object belongs to, so coordinators' audit views can be scoped.
    country_code: Mapped[str | None] = mapped_column(sa.String(2))
    #: Client address as seen through the configured proxy; None from the CLI.
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class AuditSeal(db.Model):
    """One link of the hash chain: the event's hash over the previous link's."""

    __tablename__ = "audit_seal"

    #: The sealed event (no foreign key: a removed event must leave its seal as evidence).
    event_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: When the event happened (the retention clean-up removes old links with old events).
    event_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: The link before the first.
GENESIS = "0" * 64
#: Events younger than this are left for the next run: a transaction still open may yet
#: commit an event with a smaller id.
SEAL_AFTER = timedelta(minutes=5)


#: The columns of an event that its link covers (all of them).
_CONTENT = ("id", "at", "actor_id", "action", "object_type", "object_id", "country_code", "ip",
            "details")  # fmt: skip


def canonical(event: Any) -> bytes:
    """The event's content as it is hashed (every column, in a fixed form); ``event`` is
    an :class:`AuditEvent` or a row with its columns."""
    return json.dumps(
        [event.id, event.at.isoformat(), event.actor_id, event.action, event.object_type,
         event.object_id, event.country_code, event.ip, event.details or {}],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    ).encode()  # fmt: skip


def link(prev_hash: str, event: Any) -> str:
    """The hash of ``event`` chained to the link before it."""
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()


def _event_columns() -> list[Any]:
    return [getattr(AuditEvent, name) for name in _CONTENT]


def seal(*, now: datetime, batch: int = 1000) -> int:
    """Chain the events recorded up to :data:`SEAL_AFTER` ago that have no link yet;
    return how many were sealed (the caller commits). Run one sealer at a time (a second
    one fails on the links' primary key and changes nothing)."""
    last = db.session.execute(
        sa.select(AuditSeal.event_id, AuditSeal.hash).order_by(AuditSeal.event_id.desc()).limit(1)
    ).first()
    after, prev = (last.event_id, last.hash) if last else (0, GENESIS)
    sealed = 0
    while True:
        events = db.session.execute(
            sa.select(*_event_columns())
            .where(AuditEvent.id > after, AuditEvent.at <= now - SEAL_AFTER)
            .order_by(AuditEvent.id)
            .limit(batch)
        ).all()
        if not events:
            return sealed
        links = []
        for event in events:
            current = link(prev, event)
            links.append({"event_id": event.id, "event_at": event.at, "prev_hash": prev,
                          "hash": current, "sealed_at": now})  # fmt: skip
            prev = current
        db.session.execute(sa.insert(AuditSeal), links)
        after = events[-1].id
        sealed += len(events)


@dataclass(frozen=True)
class Problem:
    """An event whose link does not hold, and how."""

    event_id: int
    what: str


def verify(*, batch: int = 2000) -> Iterator[Problem]:
    """Recompute the chain; yield every event changed, removed or added after sealing,
    and every link removed. Reads in batches of rows (memory stays flat on any trail).

    The first link left after a retention clean-up starts the chain: its own
    ``prev_hash`` is taken as given.
    """
    previous: str | None = None
    after = 0
    while True:
        rows = db.session.execute(
            sa.select(AuditSeal.event_id, AuditSeal.prev_hash, AuditSeal.hash, *_event_columns())
            .join(AuditEvent, AuditEvent.id == AuditSeal.event_id, isouter=True)
            .where(AuditSeal.event_id > after)
            .order_by(AuditSeal.event_id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if previous is not None and row.prev_hash != previous:
                yield Problem(row.event_id, "the link before this event was removed")
            if row.id is None:
                yield Problem(row.event_id, "the event was deleted after it was sealed")
            elif link(row.prev_hash, row) != row.hash:
                yield Problem(row.event_id, "the event was changed after it was sealed")
            previous = row.hash
        after = rows[-1].event_id
    late = db.session.scalars(
        sa.select(AuditEvent.id)
        .outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .where(AuditSeal.event_id.is_(None), AuditEvent.id < after)
        .order_by(AuditEvent.id)
    )
    for event_id in late:
        yield Problem(event_id, "the event was added after later ones were sealed")


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    country_code: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits).

    ``obj`` may be any model with an ``id``; its table name becomes the object type.
    Inside a web request the client address is taken from it when ``ip`` is not given.
    """
    if ip is None and has_request_context():
        ip = request.remote_addr
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        country_code = country_code or getattr(obj, "country_code", None)
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        country_code=country_code,
        ip=ip,
        details={k: v for k, v in details.items() if v is not None},
    )
    if now is not None:
        event.at = now
    db.session.add(event)
    return event
