"""The audit trail: who did what to which object, when and from where.

``record()`` adds an event to the current transaction, so an audited change and its
event are committed (or rolled back) together. Events never hold passwords, tokens or
free text from mentoring notes: pass identifiers and short facts only.
"""

from __future__ import annotations

from datetime import datetime
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
