"""Through a real Celery worker: a batch over HTTP -> rule evaluation -> alarm -> lead."""

from __future__ import annotations

import pytest
from django.utils import timezone

from iot_gateway.models import Alarm, ServiceLead
from tests.conftest import wait_until
from tests.iot_gateway.conftest import device_client, reading, threshold_rule


@pytest.mark.django_db(transaction=True)
def test_an_offending_batch_raises_an_alarm_and_a_routed_lead(
    truncate_readings, fleet, celery_worker
):
    threshold_rule(fleet, duration_seconds=60)
    now = timezone.now()
    body = {
        "readings": [
            reading("temperature", 80 + i * 2, seconds_ago=300 - 30 * i, now=now) for i in range(10)
        ]
    }
    response = device_client(fleet.token).post("/api/v1/telemetry/", body, format="json")
    assert response.status_code == 202
    alarm = wait_until(lambda: Alarm.objects.filter(device=fleet.device).first())
    assert alarm.status == "active"
    lead = wait_until(lambda: ServiceLead.objects.filter(alarm=alarm).first())
    assert set(lead.routes.values_list("organization_id", flat=True)) == {
        fleet.supplier.pk,
        fleet.provider.pk,
    }
    assert Alarm.objects.filter(device=fleet.device).count() == 1
