"""gunicorn for every web process: `make run` and the container run the same settings.

Bounded on purpose: GUNICORN_WORKERS processes of GUNICORN_THREADS threads each serve at
most workers x threads requests at once; the rest wait in the listen backlog instead of
failing, and each process holds at most one database connection per thread (its pool).
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Connections waiting to be accepted: a burst of a few hundred queues here.
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycling guards against slow leaks, but a worker costs 2-4 s of CPU to boot (it imports
# Django and every app): at 2,000 requests a telemetry node taking 240 requests a second
# recycled each worker every 15-20 s (docs/adr/0008).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"

# Web processes only (Celery reads the same settings without these): one pooled database
# connection per thread, and no statement may hold a request longer than this.
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", str(threads))
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "15000")


def post_worker_init(worker):
    """Each web process watches PostgreSQL from its start, not from its first request: a
    process that has served nothing yet must know of a stall too.

    The objects loaded so far (Django, the apps, the URL configuration) live as long as the
    process: `gc.freeze()` keeps the collector from walking them again each time a request's
    garbage (a batch of telemetry allocates thousands of objects) triggers a full pass."""
    import gc

    from django.conf import settings
    from django.urls import get_resolver

    from marketplace import health

    if settings.DATABASE_STALL_CHECK:
        health.start_database_monitor()
    get_resolver().url_patterns  # noqa: B018 - imported now, not by the first request
    gc.freeze()
