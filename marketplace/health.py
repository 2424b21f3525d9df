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


def check_worker() -> tuple[bool, str]:
    try:
        keys = list(_redis().scan_iter(match=_prefix() + "*", count=100))
    except Exception as error:
        return False, type(error).__name__
    if not keys:
        return False, "no worker heartbeat"
    return True, f"{len(keys)} worker(s)"


_heartbeat_stop = threading.Event()


def _heartbeat_key(hostname: str | None) -> str:
    return _prefix() + (hostname or socket.gethostname())


def start_worker_heartbeat(hostname: str | None = None) -> threading.Thread:
    """Called in the worker: refresh a key that expires if the worker dies."""
    interval = settings.WORKER_HEARTBEAT_SECONDS
    key = _heartbeat_key(hostname)
    _heartbeat_stop.clear()

    def beat() -> None:
        client = _redis()
        while not _heartbeat_stop.is_set():
            # A failed beat is retried next time; /healthz shows the gap meanwhile.
            with contextlib.suppress(Exception):
                client.set(key, int(time.time()), ex=interval * 3)
            _heartbeat_stop.wait(interval)

    thread = threading.Thread(target=beat, name="c2m-heartbeat", daemon=True)
    thread.start()
    return thread


def stop_worker_heartbeat(hostname: str | None = None) -> None:
    """Called when the worker shuts down cleanly, so /healthz notices at once."""
    _heartbeat_stop.set()
    with contextlib.suppress(Exception):
        _redis().delete(_heartbeat_key(hostname))
