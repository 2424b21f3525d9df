"""Hourly and daily rollups (min, max, sum, count), recomputed for exactly the hours that
received readings (`RollupPending`, marked by ingestion), so late readings are included and
nothing is rescanned. Daily rows are recomputed from the hourly ones."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from iot_gateway.models import TelemetryRollup

HOURLY_SQL = """
WITH taken AS (
    DELETE FROM iot_gateway_rolluppending
    WHERE id IN (
        SELECT id FROM iot_gateway_rolluppending ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
    )
    RETURNING device_id, metric_id, hour
)
INSERT INTO iot_gateway_telemetryrollup
    (device_id, metric_id, bucket, start, minimum, maximum, total, count)
SELECT t.device_id, t.metric_id, 'hour', t.hour,
       min(r.value), max(r.value), sum(r.value), count(*)
FROM taken t
JOIN iot_gateway_reading r
  ON r.device_id = t.device_id AND r.metric_id = t.metric_id
 AND r.ts >= t.hour AND r.ts < t.hour + interval '1 hour'
GROUP BY t.device_id, t.metric_id, t.hour
ON CONFLICT ON CONSTRAINT iot_rollup_unique_bucket DO UPDATE SET
    minimum = EXCLUDED.minimum, maximum = EXCLUDED.maximum,
    total = EXCLUDED.total, count = EXCLUDED.count
RETURNING device_id, metric_id, date_trunc('day', start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
"""

DAILY_SQL = """
INSERT INTO iot_gateway_telemetryrollup
    (device_id, metric_id, bucket, start, minimum, maximum, total, count)
SELECT h.device_id, h.metric_id, 'day', d.day,
       min(h.minimum), max(h.maximum), sum(h.total), sum(h.count)
FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS d(device_id, metric_id, day)
JOIN iot_gateway_telemetryrollup h
  ON h.bucket = 'hour' AND h.device_id = d.device_id AND h.metric_id = d.metric_id
 AND h.start >= d.day AND h.start < d.day + interval '1 day'
GROUP BY h.device_id, h.metric_id, d.day
ON CONFLICT ON CONSTRAINT iot_rollup_unique_bucket DO UPDATE SET
    minimum = EXCLUDED.minimum, maximum = EXCLUDED.maximum,
    total = EXCLUDED.total, count = EXCLUDED.count
"""

BATCH = 5_000


@transaction.atomic
def _refresh_batch() -> int:
    with connection.cursor() as cursor:
        cursor.execute(HOURLY_SQL, [BATCH])
        days = set(cursor.fetchall())
        if days:
            devices, metrics, starts = zip(*days, strict=True)
            cursor.execute(DAILY_SQL, [list(devices), list(metrics), list(starts)])
    return len(days)


def rollups_refresh() -> int:
    """Bring every marked hour (and its day) up to date; returns the days recomputed. Safe
    to run in parallel (SKIP LOCKED) and twice (upserts)."""
    total = 0
    while True:
        refreshed = _refresh_batch()
        total += refreshed
        if not refreshed:
            return total


def rollups_expire(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IOT_ROLLUP_RETENTION_DAYS)
    deleted, _details = TelemetryRollup.objects.filter(start__lt=cutoff).delete()
    return deleted
