"""The certificates part of the demo world: a few completed learners get theirs (with
automatic issuing on, as in development, every completion already has one)."""

from __future__ import annotations

import sqlalchemy as sa

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.demo import DemoWorld
from lms.enrolments.models import Enrolment
from lms.extensions import db

#: Certificates the demo issues when completions have none (rendering takes a moment).
AT_MOST = 3


def seed(world: DemoWorld) -> None:
    """Once: when no certificate exists yet, the first completions get theirs. (With
    automatic issuing on, the completions of this run already have theirs: counted as
    created.)"""
    issued = db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) or 0
    if issued:
        now = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Certificate)
                .where(Certificate.issued_at >= world.now)
            )
            or 0
        )
        if now:
            world.created["certificates"] += now
        if issued - now:
            world.existing["certificates"] += issued - now
        return
    waiting = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.completed_at.is_not(None))
        .order_by(Enrolment.id)
        .limit(AT_MOST)
    ).all()
    for enrolment in waiting:
        services.issue(enrolment, now=world.now)
        world.created["certificates"] += 1
