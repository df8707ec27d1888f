"""The background job queue (RQ on Redis) and what happens when Redis is not there.

Work that may be slow (a cohort's certificate bundle, e-mail through a remote server) goes
on the queue when ``REDIS_URL`` is configured, and a ``flask lms jobs worker`` process runs
it. Without Redis, or when Redis does not answer, the caller does the work at once: slower
for that one request, but nothing is lost and no page fails because the queue is down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: The RQ queue jobs are put on (the worker of ``flask lms jobs worker`` serves it).
QUEUE = "lms"
#: Seconds to wait for Redis before doing the work at once instead.
REDIS_TIMEOUT = 2.0


def connection(url: str) -> Any:
    """A Redis client that gives up quickly when the server does not answer."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


def enqueue(url: str | None, function: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Put ``function(*args, **kwargs)`` on the queue; False when there is no queue (no
    ``url``, or Redis refused it): the caller then runs the work itself."""
    if not url:
        return False
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        Queue(QUEUE, connection=connection(url)).enqueue(function, *args, **kwargs)
    except RedisError as exc:
        log.warning("job queue unavailable (%s): running %s at once", exc, function.__name__)
        return False
    return True
