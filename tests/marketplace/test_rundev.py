"""`make run`'s engine: web, worker and beat come up together, /healthz turns 200, and
Ctrl-C (SIGINT) stops every process they started, leaving nothing on the port."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from redis import Redis

from marketplace.health import HEARTBEAT_KEY_PREFIX

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]
# (marked celery_worker because it starts one, through rundev, not the shared fixture)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = set(), [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_rundev_serves_then_ctrl_c_stops_web_worker_and_beat(tmp_path):
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    log = (tmp_path / "rundev.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", "--port", str(port), "--skip-seed"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while _health(port) != 200:
            assert process.poll() is None, (tmp_path / "rundev.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "rundev.log").read_text()[-3000:]
            time.sleep(0.5)
        # rundev's own worker beats (not only a worker some other test started).
        redis = Redis.from_url(settings.REDIS_URL)
        index = HEARTBEAT_KEY_PREFIX + "@index"
        own_worker = f"local@{socket.gethostname()}"
        while redis.zscore(index, own_worker) is None:
            assert time.monotonic() < deadline, (tmp_path / "rundev.log").read_text()[-3000:]
            time.sleep(0.5)
        started = _descendants(process.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in started if _alive(pid)}
        assert any(b"gunicorn" in command for command in commands)
        assert any(b"worker" in command for command in commands)
        assert any(b"beat" in command for command in commands)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        time.sleep(1)
        assert [pid for pid in started if _alive(pid)] == []
        assert _health(port) == 0  # nothing listens any more
        assert redis.zscore(index, own_worker) is None  # its worker signed off
        assert "Stopping web, worker and beat" in (tmp_path / "rundev.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
