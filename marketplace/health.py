"""Liveness of the three parts the product cannot work without."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection
from redis import Redis

HEARTBEAT_KEY_PREFIX = "c2m:worker-heartbeat:"


def _redis() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _probe_database() -> tuple[bool, str]:
    # A connection of its own, opened and closed each time: never one a request holds (or
    # waits for in the pool), and nothing left open when the probe thread is abandoned.
    parameters = {
        key: value
        for key, value in connection.get_connection_params().items()
        if key not in ("cursor_factory", "context", "options")
    }
    parameters["connect_timeout"] = 2  # libpq's minimum
    with psycopg.connect(**parameters, autocommit=True) as probe:
        probe.execute("SELECT 1").fetchone()
    return True, "ok"


def _probe_redis() -> tuple[bool, str]:
    _redis().ping()
    return True, "ok"


class Probe:
    """One check run at a time in a daemon thread, waited for with a deadline.

    A stalled PostgreSQL (or Redis) accepts connections and then never answers; a probe
    that waits on it inline would hang whoever asked. Here the caller stops waiting at its
    deadline and says so; the stuck thread is reused by the next caller instead of another
    one piling up behind it.
    """

    def __init__(self, name: str, function: Callable[[], tuple[bool, str]]) -> None:
        self.name = name
        self.function = function
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._done.set()
        self._started_at = 0.0
        self._finished_at = 0.0
        self._result: tuple[bool, str] | None = None

    def start(self) -> threading.Event:
        with self._lock:
            if self._done.is_set():
                self._done = threading.Event()
                self._started_at = time.monotonic()
                thread = threading.Thread(
                    target=self._run, args=(self._done,), name=f"probe-{self.name}", daemon=True
                )
                thread.start()
            return self._done

    def _run(self, done: threading.Event) -> None:
        try:
            result = self.function()
        except Exception as error:
            result = (False, type(error).__name__)
        with self._lock:
            self._result = result
            self._finished_at = time.monotonic()
            done.set()

    def run(self, timeout: float) -> tuple[bool, str]:
        """A fresh result, or (False, "no answer within ...") at the deadline."""
        return self.result(self.start(), timeout)

    def result(self, done: threading.Event, timeout: float) -> tuple[bool, str]:
        if done.wait(timeout):
            return self._result or (False, "no result")
        return False, "no answer in time"

    def refresh_in_background(self, max_age: float) -> None:
        if time.monotonic() - self._finished_at > max_age:
            self.start()

    def failing(self, stall_after: float) -> bool:
        """The last probe failed, or the one under way has been waiting for `stall_after`."""
        with self._lock:
            running = not self._done.is_set()
            if running and time.monotonic() - self._started_at > stall_after:
                return True
            return self._result is not None and not self._result[0]


DATABASE_PROBE = Probe("database", _probe_database)
REDIS_PROBE = Probe("redis", _probe_redis)


def check_database(timeout: float = 1.5) -> tuple[bool, str]:
    return DATABASE_PROBE.run(timeout)


def check_redis(timeout: float = 1.5) -> tuple[bool, str]:
    return REDIS_PROBE.run(timeout)


_monitor_pid: int | None = None
_monitor_lock = threading.Lock()


def start_database_monitor() -> None:
    """One thread per process (started after gunicorn forks) probes every half second, so
    each process knows of a stall before its next request waits on it."""
    global _monitor_pid
    if _monitor_pid == os.getpid():
        return
    with _monitor_lock:
        if _monitor_pid == os.getpid():
            return
        _monitor_pid = os.getpid()

        def monitor() -> None:
            while True:
                DATABASE_PROBE.refresh_in_background(max_age=0.5)
                time.sleep(0.25)

        threading.Thread(target=monitor, name="database-monitor", daemon=True).start()


def database_stalled() -> bool:
    """Cheap enough for every request: looks at the monitor's last probe, never waits."""
    start_database_monitor()
    return DATABASE_PROBE.failing(stall_after=settings.DATABASE_STALL_SECONDS)


def _prefix() -> str:
    # A setting, so that a test can look where no worker beats without stopping real ones.
    return getattr(settings, "WORKER_HEARTBEAT_KEY_PREFIX", HEARTBEAT_KEY_PREFIX)


def _index_key() -> str:
    # One sorted set (member: worker, score: last beat) so a probe never scans the keyspace.
    return _prefix() + "@index"


def _stale_before() -> float:
    return time.time() - settings.WORKER_HEARTBEAT_SECONDS * 3


def _probe_worker() -> tuple[bool, str]:
    alive = _redis().zcount(_index_key(), _stale_before(), "+inf")
    if not alive:
        return False, "no worker heartbeat"
    return True, f"{alive} worker(s)"


def _beat_key() -> str:
    return _prefix() + "@beat"


def _probe_beat() -> tuple[bool, str]:
    if not _redis().exists(_beat_key()):
        return False, "no beat heartbeat"
    return True, "ok"


WORKER_PROBE = Probe("worker", _probe_worker)
BEAT_PROBE = Probe("beat", _probe_beat)
# Without beat, periodic work (sweeps, expiries) waits, but every request is still served:
# /healthz names it and stays 200. Without any of the others it is 503.
REQUIRED = ("database", "redis", "worker")
PROBES = {
    "database": DATABASE_PROBE,
    "redis": REDIS_PROBE,
    "worker": WORKER_PROBE,
    "beat": BEAT_PROBE,
}


def check_worker(timeout: float = 1.5) -> tuple[bool, str]:
    return WORKER_PROBE.run(timeout)


def report(timeout: float = 1.5) -> dict[str, tuple[bool, str]]:
    """Every check at once, all answered (or given up on) within `timeout` in total."""
    started = {name: probe.start() for name, probe in PROBES.items()}
    deadline = time.monotonic() + timeout
    return {
        name: PROBES[name].result(started[name], max(0.0, deadline - time.monotonic()))
        for name in PROBES
    }


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


def start_beat_heartbeat() -> threading.Thread:
    """Called in beat: a key that expires after three silent intervals."""
    interval = settings.WORKER_HEARTBEAT_SECONDS

    def beat() -> None:
        client = _redis()
        while True:
            with contextlib.suppress(Exception):
                client.set(_beat_key(), int(time.time()), ex=interval * 3)
            time.sleep(interval)

    thread = threading.Thread(target=beat, name="c2m-beat-heartbeat", daemon=True)
    thread.start()
    return thread
