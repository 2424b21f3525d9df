"""Rule evaluation after a batch: queued at once, then at most once per interval per device
while batches keep coming (the batches in between are evaluated together)."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from iot_gateway import services
from tests.iot_gateway.conftest import reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """The evaluation tasks handed to the broker: (countdown, args)."""
    calls: list[tuple[float | None, tuple]] = []

    def send(task, args, swept_by):
        calls.append((task.options.get("countdown"), args))

    with mock.patch("marketplace.queue._send", side_effect=send):
        yield calls


def ingest(fleet, django_capture_on_commit_callbacks, seconds_ago: float) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.telemetry_ingest(
            device=fleet.device, readings=[reading("temperature", 60, seconds_ago=seconds_ago)]
        )


def test_first_batch_is_evaluated_at_once_and_later_ones_wait_for_the_interval(
    fleet, sent, django_capture_on_commit_callbacks, settings
):
    settings.IOT_EVALUATION_INTERVAL = datetime.timedelta(seconds=2)
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=30)
    assert sent == [(None, (fleet.device.pk,))]
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=20)
    assert len(sent) == 1  # still queued: the one evaluation will read both batches
    services.evaluation_started(fleet.device.pk)  # what the task does first
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=10)
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=5)
    assert len(sent) == 2
    countdown, args = sent[1]
    assert args == (fleet.device.pk,)
    assert countdown is not None
    assert 0 < countdown <= 2


def test_without_an_interval_every_batch_after_a_start_is_evaluated_at_once(
    fleet, sent, django_capture_on_commit_callbacks, settings
):
    settings.IOT_EVALUATION_INTERVAL = datetime.timedelta(0)
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=30)
    services.evaluation_started(fleet.device.pk)
    ingest(fleet, django_capture_on_commit_callbacks, seconds_ago=20)
    assert sent == [(None, (fleet.device.pk,)), (None, (fleet.device.pk,))]


def test_a_replayed_batch_queues_no_evaluation(fleet, sent, django_capture_on_commit_callbacks):
    batch = [reading("temperature", 60, seconds_ago=30)]
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.telemetry_ingest(device=fleet.device, readings=batch)
        services.evaluation_started(fleet.device.pk)
    assert len(sent) == 1
