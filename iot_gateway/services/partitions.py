"""Daily partitions of `iot_gateway_reading`: made ahead of time, dropped when expired.

A partition is `iot_gateway_reading_pYYYYMMDD` covering [day, day + 1) in UTC. Ingestion
also makes a missing partition on demand (a late device, a fresh database) so a reading
inside the accepted age is never refused for want of one.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

PARENT = "iot_gateway_reading"
_NAME = re.compile(rf"^{PARENT}_p(\d{{8}})$")
_known: set[datetime.date] = set()


def partition_name(day: datetime.date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def partitions_existing() -> list[datetime.date]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    days = []
    for name in names:
        match = _NAME.match(name)
        if match:
            days.append(datetime.datetime.strptime(match.group(1), "%Y%m%d").date())
    return sorted(days)


def partitions_ensure(days: set[datetime.date]) -> None:
    """Create the partitions for `days` that this process has not seen yet."""
    missing = days - _known
    if not missing:
        return
    with connection.cursor() as cursor:
        for day in sorted(missing):
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            end = start + datetime.timedelta(days=1)
            # Two processes may race to create the same partition; the lock makes the
            # second one find it there.
            with transaction.atomic():
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [PARENT])
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF {PARENT} "
                    "FOR VALUES FROM (%s) TO (%s)",
                    [start, end],
                )
            _known.add(day)


def partitions_maintain(*, today: datetime.date | None = None) -> dict[str, list[str]]:
    """Create today's partition and IOT_PARTITIONS_AHEAD_DAYS more; drop those entirely
    older than IOT_RAW_RETENTION_DAYS (their hours are in the rollups by then)."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    ahead = {
        today + datetime.timedelta(days=n) for n in range(settings.IOT_PARTITIONS_AHEAD_DAYS + 1)
    }
    created = sorted(ahead - set(partitions_existing()))
    _known.difference_update(created)
    partitions_ensure(ahead)
    cutoff = today - datetime.timedelta(days=settings.IOT_RAW_RETENTION_DAYS)
    dropped = []
    for day in partitions_existing():
        if day < cutoff:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [PARENT])
                cursor.execute(f"DROP TABLE IF EXISTS {partition_name(day)}")
            _known.discard(day)
            dropped.append(partition_name(day))
    return {"created": [partition_name(day) for day in created], "dropped": dropped}


def partitions_forget() -> None:
    """Forget what this process has seen (tests drop and recreate tables)."""
    _known.clear()
