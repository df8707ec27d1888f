"""Health checks of the services the app depends on."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from lms.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
    except Exception as exc:  # any failure means "down"; the detail goes to the log only
        log.error("health check: database unreachable: %s", exc)
        db.session.rollback()
        return Check("database", False, "unreachable")
    return Check("database", True, db.engine.dialect.name)


def check_redis(url: str) -> Check:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        log.error("health check: redis unreachable: %s", exc)
        return Check("redis", False, "unreachable")
    finally:
        client.close()
    return Check("redis", True, "ok")
