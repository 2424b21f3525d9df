"""A worker killed (SIGKILL) in the middle of rule evaluation: its transaction never
commits, so nothing of the half-done evaluation stays; after a worker restarts, the
catch-up sweep evaluates the batch again and the alarm is raised exactly once.

To catch the worker mid-evaluation, the test holds a lock on the alarm table from another
connection: the task locks the rule states, reads and walks the readings, then waits at
the alarm row, which is where pg_stat_activity shows it before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from redis import Redis

from iot_gateway import services
from iot_gateway.models import Alarm, AlarmEvent, RuleState
from iot_gateway.services.ingest import EVALUATION_QUEUED_KEY
from iot_gateway.tasks import rules_catch_up_task, rules_evaluate_task
from marketplace.health import HEARTBEAT_KEY_PREFIX
from tests.conftest import ROOT, wait_until
from tests.iot_gateway.conftest import reading, threshold_rule

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]
# (marked celery_worker because it starts its own workers, on a queue of its own, so the
# shared worker fixture never takes these tasks)

QUEUE = f"iot-kill-{uuid.uuid4().hex[:6]}"


def start_worker(database: str) -> tuple[subprocess.Popen, str]:
    hostname = f"kill-{uuid.uuid4().hex[:8]}@localhost"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "threads",
        "--concurrency", "2", "-n", hostname, "-Q", QUEUE, "--without-mingle",
        "--without-gossip", "-l", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    redis = Redis.from_url(settings.REDIS_URL)
    wait_until(
        lambda: process.poll() is not None or redis.exists(HEARTBEAT_KEY_PREFIX + hostname),
        timeout=60,
    )
    assert process.poll() is None, "the worker exited at start"
    return process, hostname


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def evaluation_waiting_on_alarm_lock(database: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [database, "%iot_gateway_alarm%"],
        )
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_evaluation_loses_and_doubles_no_alarm(fleet, truncate_readings):
    database = connection.settings_dict["NAME"]
    rule = threshold_rule(fleet, duration_seconds=60)
    device = fleet.device
    # Ingestion would queue its own evaluation on the default queue: mark it as queued,
    # so this test's worker is the only one that evaluates.
    cache.set(EVALUATION_QUEUED_KEY.format(pk=device.pk), 1, timeout=300)
    now = timezone.now()
    services.telemetry_ingest(
        device=device,
        readings=[
            reading("temperature", 80 + 3 * i, seconds_ago=300 - 30 * i, now=now) for i in range(10)
        ],
    )
    worker, hostname = start_worker(database)
    blocker = psycopg.connect(dbname=database, host="127.0.0.1", user="postgres")
    try:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE iot_gateway_alarm IN EXCLUSIVE MODE")
        rules_evaluate_task.apply_async((device.pk,), queue=QUEUE)
        wait_until(lambda: evaluation_waiting_on_alarm_lock(database), timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        blocker.rollback()
        # The orphaned backend finds its client gone and rolls back.
        wait_until(lambda: not evaluation_waiting_on_alarm_lock(database), timeout=60)
    finally:
        blocker.close()
        stop(worker)
        Redis.from_url(settings.REDIS_URL).delete(HEARTBEAT_KEY_PREFIX + hostname)

    # Nothing of the killed evaluation stayed: no alarm, and the rule is still behind.
    assert not Alarm.objects.exists()
    assert not RuleState.objects.filter(rule=rule, device=device).exists()
    assert services.devices_behind() == [device.pk]

    restarted, hostname = start_worker(database)
    try:
        # The beat's catch-up sweep (the killed task's message is redelivered only after
        # the broker's visibility timeout), then that late redelivery too.
        rules_catch_up_task.apply_async(queue=QUEUE).get(timeout=60)
        rules_evaluate_task.apply_async((device.pk,), queue=QUEUE).get(timeout=60)
    finally:
        stop(restarted)
        Redis.from_url(settings.REDIS_URL).delete(HEARTBEAT_KEY_PREFIX + hostname)

    alarm = Alarm.objects.get()
    assert (alarm.rule, alarm.status, alarm.occurrences) == (rule, "active", 1)
    assert list(AlarmEvent.objects.values_list("kind", flat=True)) == ["raised"]
    assert device.pk not in services.devices_behind()
