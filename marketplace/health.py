"""Liveness of the three parts the product cannot work without."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from django.conf import settings
from django.db import connection
from redis import Redis

HEARTBEAT_KEY_PREFIX = "c2m:worker-heartbeat:"


def _redis() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return False, type(error).__name__
    return True, "ok"


def check_redis() -> tuple[bool, str]:
    try:
        _redis().ping()
    except Exception as error:
        return False, type(error).__name__
    return True, "ok"


def _prefix() -> str:
    # A setting, so that a test can look where no worker beats without stopping real ones.
    return getattr(settings, "WORKER_HEARTBEAT_KEY_PREFIX", HEARTBEAT_KEY_PREFIX)


def _index_key() -> str:
    # One sorted set (member: worker, score: last beat) so a probe never scans the keyspace.
    return _prefix() + "@index"


def _stale_before() -> float:
    return time.time() - settings.WORKER_HEARTBEAT_SECONDS * 3


def check_worker() -> tuple[bool, str]:
    try:
        alive = _redis().zcount(_index_key(), _stale_before(), "+inf")
    except Exception as error:
        return False, type(error).__name__
    if not alive:
        return False, "no worker heartbeat"
    return True, f"{alive} worker(s)"


_heartbeat_stop = threading.Event()


def _worker_name(hostname: str | None) -> str:
    return hostname or socket.gethostname()


def start_worker_heartbeat(hostname: str | None = None) -> threading.Thread:
    """Called in the worker: beat every few seconds; silence for 3 intervals means dead."""
    interval = settings.WORKER_HEARTBEAT_SECONDS
    name = _worker_name(hostname)
    _heartbeat_stop.clear()

    def beat() -> None:
        client = _redis()
        while not _heartbeat_stop.is_set():
            # A failed beat is retried next time; /healthz shows the gap meanwhile.
            with contextlib.suppress(Exception):
                now = time.time()
                pipeline = client.pipeline()
                # The per-worker key (with expiry) lets tools wait for one named worker.
                pipeline.set(_prefix() + name, int(now), ex=interval * 3)
                pipeline.zadd(_index_key(), {name: now})
                pipeline.zremrangebyscore(_index_key(), "-inf", _stale_before())
                pipeline.execute()
            _heartbeat_stop.wait(interval)

    thread = threading.Thread(target=beat, name="c2m-heartbeat", daemon=True)
    thread.start()
    return thread


def stop_worker_heartbeat(hostname: str | None = None) -> None:
    """Called when the worker shuts down cleanly, so /healthz notices at once."""
    _heartbeat_stop.set()
    name = _worker_name(hostname)
    with contextlib.suppress(Exception):
        client = _redis()
        client.delete(_prefix() + name)
        client.zrem(_index_key(), name)
