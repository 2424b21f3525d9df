"""Shared fixtures: a real Celery worker on the test database, and a Playwright page in
Debian's Chromium. Tests that use either need `django_db(transaction=True)` (or
`live_server`), so that what they write is committed and visible to the other process.

`--today=YYYY-MM-DD[THH:MM]` moves this process's clock to that local time (TIME_ZONE) for
the whole run; `make test` runs the `date_sensitive` tests this way on two weekdays."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from redis import Redis

from catalog.selectors import category_map_forget_local
from marketplace.health import HEARTBEAT_KEY_PREFIX

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --- The clock ---------------------------------------------------------------------------

# Markers whose tests read the clock in another process (a Celery worker, Chromium): moving
# this process's clock does not reach them, so a `--today` run leaves them out.
_OTHER_PROCESS_MARKERS = ("celery_worker", "browser")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today",
        metavar="YYYY-MM-DD[THH:MM]",
        default=None,
        help="Run with the clock moved to this local date and time (TIME_ZONE; 09:00 if no "
        "time is given). The clock keeps ticking from there. Tests that start a Celery "
        "worker or Chromium are deselected: another process keeps the real clock.",
    )


def _frozen_start(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value if "T" in value else f"{value}T09:00")
    except ValueError:
        raise pytest.UsageError(
            f"--today={value}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if moment.tzinfo is not None:
        raise pytest.UsageError(f"--today={value}: give a local time in {settings.TIME_ZONE}")
    return moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--today")
    if not value:
        return
    start = _frozen_start(value)
    # Started before collection, so that module-level dates and session fixtures see it too.
    # `tick=True`: time still passes (timeouts, TTLs, ordering by timestamp keep working).
    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)
    if timezone.localdate() != start.date():  # the freeze must reach what the tests read
        raise pytest.UsageError(f"--today={value}: timezone.localdate() is not {start.date()}")


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--today")
    if not value:
        return None
    start = _frozen_start(value)
    return f"today: {start:%A %Y-%m-%d %H:%M} {settings.TIME_ZONE} (clock moved with --today)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The longest tests first (after pytest-django's database ordering, which runs first), so
    # that under pytest-xdist they do not start last and leave one process working alone.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not config.getoption("--today"):
        return
    kept, left_out = [], []
    for item in items:
        other_process = any(item.get_closest_marker(name) for name in _OTHER_PROCESS_MARKERS)
        (left_out if other_process else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


# --- Per test ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and rate limits live in Redis; tests must not share them, nor the
    # category map a process keeps (its rows are rolled back with each test).
    cache.clear()
    category_map_forget_local()


@pytest.fixture(autouse=True)
def _english_by_default():
    # A request in Chinese leaves Chinese active in this thread; the next test starts clean.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- Celery ------------------------------------------------------------------------------


class CeleryWorker:
    def __init__(self, process: subprocess.Popen, log_path: Path, hostname: str) -> None:
        self.process = process
        self.log_path = log_path
        self.hostname = hostname

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_for_heartbeat(redis: Redis, hostname: str, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log.read_text()[-3000:]}")
        if redis.exists(HEARTBEAT_KEY_PREFIX + hostname):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` process consuming from the test Redis, on the test database.

    It consumes only this process's queue (named after its test database in the test
    settings), so under pytest-xdist each worker's tasks reach the Celery worker that sees
    the same database."""
    from marketplace.celery import app

    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    app.control.purge()  # messages left by earlier runs name rows that no longer exist
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database_name}",
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "marketplace", "worker",
        "--pool", "threads", "--concurrency", "4", "-n", hostname,
        "-Q", app.conf.task_default_queue,
        "--without-mingle", "--without-gossip", "-l", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    redis = Redis.from_url(settings.REDIS_URL)
    try:
        _wait_for_heartbeat(redis, hostname, process, log_path)
        yield CeleryWorker(process, log_path, hostname)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        redis.delete(HEARTBEAT_KEY_PREFIX + hostname)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# --- Browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps`")
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on the live test server, English by default."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    yield new_page
    context.close()


def browser_sign_in(page, email: str, password: str) -> None:
    """Sign in through the real allauth page."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
