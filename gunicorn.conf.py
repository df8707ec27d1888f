"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed through the environment (docs/deployment.md). The app holds no
state of its own between requests: sessions, throttles, rate limits, jobs, PDFs and keys
live in PostgreSQL, Redis or the configuration, so any number of workers and hosts serve
the same users.
"""

import multiprocessing
import os
import re
import sys

from gunicorn.glogging import Logger

bind = os.environ.get("LMS_BIND", "127.0.0.1:8000")
#: One process per core; each serves several requests at once in threads (most time is
#: spent waiting on the database).
workers = int(os.environ.get("LMS_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("LMS_THREADS", "4"))
#: Rendering one certificate takes about a second; bundles run in the job worker.
timeout = int(os.environ.get("LMS_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
#: Recycle workers now and then, so slow growth of memory never adds up.
max_requests = 2000
max_requests_jitter = 200
#: The reverse proxy on this host: its X-Forwarded-* headers are trusted by gunicorn;
#: the app trusts them through LMS_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1")
#: A password-reset link is a secret: it never reaches the access log, whether it is the
#: path asked for or the Referer of what that page loads.
RESET_LINK = re.compile(r"(/login/reset/)[^/?\s\"]+")


class RedactingLogger(Logger):
    """gunicorn's logger, with reset tokens cut out of every access-log field."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "/login/reset/" in value:
                atoms[key] = RESET_LINK.sub(r"\1[redacted]", value)
        return atoms


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to start, in one line, while a setting is missing or unsafe. Without this
    check every worker would exit at boot and gunicorn would start new ones for ever."""
    from lms.config import ConfigurationError, configured_app

    try:
        configured_app()
    except ConfigurationError as error:
        print(f"PROTECT LMS: {error}", file=sys.stderr, flush=True)
        sys.exit(1)


logger_class = RedactingLogger
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LMS_LOG_LEVEL", "info")
#: Heartbeat files in memory, not on a disk that may stall.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 (gunicorn's heartbeat files, not data)
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
