"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed through the environment (docs/deployment.md). The app holds no
state of its own between requests: sessions, throttles, rate limits, jobs, PDFs and keys
live in PostgreSQL, Redis or the configuration, so any number of workers and hosts serve
the same users.
"""

import multiprocessing
import os

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
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LMS_LOG_LEVEL", "info")
#: Heartbeat files in memory, not on a disk that may stall.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 (gunicorn's heartbeat files, not data)
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
