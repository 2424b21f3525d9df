"""Partition maintenance and rollups against the real partitioned table."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from iot_gateway import services
from iot_gateway.models import RollupPending, TelemetryRollup
from iot_gateway.services.partitions import partition_name, partitions_existing
from tests.iot_gateway.conftest import reading

pytestmark = pytest.mark.django_db


def test_maintenance_creates_ahead_and_drops_expired(settings):
    settings.IOT_PARTITIONS_AHEAD_DAYS = 2
    settings.IOT_RAW_RETENTION_DAYS = 3
    today = datetime.datetime.now(datetime.UTC).date()
    old = today - datetime.timedelta(days=5)
    services.partitions_maintain(today=old)  # as if it ran five days ago
    assert old in partitions_existing()
    result = services.partitions_maintain(today=today)
    days = partitions_existing()
    assert all(today + datetime.timedelta(days=n) in days for n in range(3))
    assert old not in days
    assert partition_name(old) in result["dropped"]
    assert min(days) >= today - datetime.timedelta(days=3)


def test_hourly_and_daily_rollups_include_late_readings(fleet):
    now = timezone.now().replace(minute=30, second=0, microsecond=0) - datetime.timedelta(hours=2)
    values = [10.0, 20.0, 30.0]
    services.telemetry_ingest(
        device=fleet.device,
        readings=[
            reading("temperature", v, seconds_ago=60 * i, now=now) for i, v in enumerate(values)
        ],
    )
    services.rollups_refresh()
    hour = TelemetryRollup.objects.get(bucket="hour")
    assert (hour.minimum, hour.maximum, hour.count, hour.average) == (10.0, 30.0, 3, 20.0)
    services.telemetry_ingest(
        device=fleet.device, readings=[reading("temperature", 60.0, seconds_ago=300, now=now)]
    )
    assert RollupPending.objects.count() == 1
    services.rollups_refresh()
    hour.refresh_from_db()
    day = TelemetryRollup.objects.get(bucket="day")
    assert (hour.count, hour.maximum) == (4, 60.0)
    assert (day.count, day.total) == (4, 120.0)
    assert RollupPending.objects.count() == 0


def test_series_api_picks_raw_or_rollup_by_bucket(fleet):
    from tests.helpers import api_client

    now = timezone.now()
    services.telemetry_ingest(
        device=fleet.device,
        readings=[
            reading("temperature", v, seconds_ago=120 - 60 * i, now=now)
            for i, v in enumerate([1.0, 2.0])
        ],
    )
    services.rollups_refresh()
    client = api_client(fleet.owner_user, fleet.owner)
    url = f"/api/v1/devices/{fleet.device.pk}/telemetry/"
    raw = client.get(url, {"metric": "temperature"}).json()
    assert [point["value"] for point in raw["points"]] == [1.0, 2.0]
    hourly = client.get(
        url,
        {
            "metric": "temperature",
            "bucket": "hour",
            "since": (now - datetime.timedelta(days=1)).isoformat(),
        },
    ).json()
    assert sum(point["count"] for point in hourly["points"]) == 2
    assert client.get(url, {"metric": "nope"}).status_code == 400
    too_long = {"metric": "temperature", "since": (now - datetime.timedelta(days=8)).isoformat()}
    assert client.get(url, too_long).status_code == 400
