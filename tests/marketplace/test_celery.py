"""A real Celery worker runs the foundation's tasks against the test database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import IdempotencyRecord
from marketplace.tasks import idempotency_records_purge_task
from tests.helpers import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def test_worker_purges_expired_idempotency_records(celery_worker):
    user = make_user()
    old = IdempotencyRecord.objects.create(
        user=user, key="old", method="POST", path="/x/", request_hash="h",
        created_at=timezone.now() - timedelta(hours=25),
    )  # fmt: skip
    fresh = IdempotencyRecord.objects.create(
        user=user, key="fresh", method="POST", path="/x/", request_hash="h"
    )
    assert idempotency_records_purge_task.delay().get(timeout=30) == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    # Safe to run twice: nothing left to purge.
    assert idempotency_records_purge_task.delay().get(timeout=30) == 0


def test_beat_schedule_is_declared_in_one_place():
    from marketplace.celery import app

    entry = app.conf.beat_schedule["purge-idempotency-records"]
    assert entry["task"] == idempotency_records_purge_task.name
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_queue_and_cache_prefix_are_named_after_this_processs_test_database(settings):
    # Under pytest-xdist each worker has its own database (test_c2m_gw0, ...): its tasks must
    # not reach a Celery worker started by another xdist worker, nor its cache.clear() another
    # worker's keys.
    from django.db import connection

    from marketplace.celery import app

    database = connection.settings_dict["NAME"]
    assert app.conf.task_default_queue == f"c2m-test-{database}"
    assert settings.CACHES["default"]["KEY_PREFIX"] == f"c2m-test-{database}"
    assert str(settings.PRIVATE_MEDIA_ROOT).endswith(database)
