"""Telemetry ingestion: validate a whole batch, then COPY it straight into the partitioned
table. Built for volume: one COPY and one statement per request, never one INSERT or one
task per reading (docs/adr/0008-telemetry-scaling.md).

Duplicates are rare (a device resending a batch it got no answer for), so the common path
does not pay for finding them: the primary key refuses the COPY of a batch holding a stored
reading, and only then is the batch staged and moved with `ON CONFLICT DO NOTHING`."""

from __future__ import annotations

import datetime
import functools
import logging
import math
import time
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from iot_gateway import metrics
from iot_gateway.models import Device
from iot_gateway.services import partitions
from marketplace import exceptions as domain
from marketplace.celery import app as celery_app
from marketplace.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

# Services name their app's tasks (they never import them): see marketplace.queue.
RULES_EVALUATE_TASK = "iot_gateway.tasks.rules_evaluate_task"
RULES_CATCH_UP_TASK = "iot_gateway.tasks.rules_catch_up_task"
EVALUATION_QUEUED_KEY = "iot:evaluate:{pk}"
EVALUATION_QUEUED_TTL = 30
# Set when a device's evaluation starts, for IOT_EVALUATION_INTERVAL: a batch committed
# meanwhile queues the next evaluation for when it expires, not at once.
EVALUATION_RECENT_KEY = "iot:evaluated:{pk}"
# Per process: device pk -> monotonic time before which its queued evaluation cannot start
# (it was queued for the end of an interval), so a batch committed earlier is read by it
# and needs no Redis round trip. The margin covers the clocks of the web and worker hosts.
_covered_until: dict[int, float] = {}
COVERED_MARGIN = 0.2
COVERED_MEMORY = 100_000

COPY_SQL = "COPY iot_gateway_reading (device_id, metric_id, ts, value) FROM STDIN"
# After the COPY: mark the hours that got readings for the rollups and record that the
# device was seen (the hours come from the validated batch: every row of it is new), if the
# caller's credential is still good: `valid` is one row when it is (CREDENTIAL_VALID), or
# always (ALWAYS_VALID, for callers without one). No row returned: nothing may be stored.
MARK_SQL = (
    "WITH valid AS ({valid}), pending AS ("
    " INSERT INTO iot_gateway_rolluppending (device_id, metric_id, hour)"
    " SELECT %(device)s, metric_id, hour"
    " FROM unnest(string_to_array(%(metrics)s, ',')::integer[],"
    " string_to_array(%(hours)s, ',')::timestamptz[]) AS h(metric_id, hour)"
    " WHERE EXISTS (SELECT FROM valid)"
    " ON CONFLICT DO NOTHING"
    ") UPDATE iot_gateway_device SET last_seen_at = %(now)s,"
    " last_reading_at = GREATEST(last_reading_at, %(latest)s)"
    " WHERE id = %(device)s AND EXISTS (SELECT FROM valid) RETURNING id"
)
# The token's credential, read when the request was authenticated (perhaps from the
# process's memory: selectors.device_credential_by_token), is still valid as the batch is
# stored: not revoked or expired, its device active, and signed if the device must sign.
CREDENTIAL_VALID = (
    "SELECT FROM iot_gateway_devicecredential c"
    " JOIN iot_gateway_device d ON d.id = c.device_id"
    " WHERE c.id = %(credential)s AND d.id = %(device)s AND c.revoked_at IS NULL"
    " AND (c.expires_at IS NULL OR c.expires_at > %(now)s) AND d.status = %(active)s"
    " AND (%(signed)s OR NOT d.require_signature)"
)
ALWAYS_VALID = "SELECT"
UNIQUE_VIOLATION = "23505"

STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS iot_reading_stage (device_id bigint, metric_id integer,"
    " ts timestamptz, value double precision) ON COMMIT DELETE ROWS"
)
STAGE_COPY_SQL = "COPY iot_reading_stage (device_id, metric_id, ts, value) FROM STDIN"
# The batch held a stored reading: move only the new rows. `moved` holds only rows that
# were not there already, and only their hours are marked.
MOVE_SQL = (
    "WITH valid AS ({valid}), moved AS ("
    " INSERT INTO iot_gateway_reading (device_id, metric_id, ts, value)"
    " SELECT device_id, metric_id, ts, value FROM iot_reading_stage"
    " WHERE EXISTS (SELECT FROM valid) ON CONFLICT DO NOTHING"
    " RETURNING metric_id, ts"
    "), pending AS ("
    " INSERT INTO iot_gateway_rolluppending (device_id, metric_id, hour)"
    " SELECT DISTINCT %(device)s, metric_id, date_trunc('hour', ts) FROM moved"
    " ON CONFLICT DO NOTHING"
    "), seen AS ("
    " UPDATE iot_gateway_device SET last_seen_at = %(now)s,"
    " last_reading_at = GREATEST(last_reading_at, %(latest)s)"
    " WHERE id = %(device)s AND EXISTS (SELECT FROM valid)"
    ") SELECT count(*), EXISTS (SELECT FROM valid) FROM moved"
)
# Database connections (psycopg's, which a pool hands from request to request) whose
# session holds the committed staging table: they skip the CREATE.
_staged: weakref.WeakSet[Any] = weakref.WeakSet()


class CredentialRefusedError(Exception):
    """The credential the batch came with was no longer valid when it was to be stored
    (revoked, expired, its device revoked, or the device must now sign): nothing stored."""


@dataclass(frozen=True)
class Check:
    """What the storing statement checks: the caller's credential still valid, or nothing
    (`credential` None: the demo, the simulator's direct calls, tests)."""

    credential: int | None = None
    signed: bool = False

    def sql(self) -> str:
        return ALWAYS_VALID if self.credential is None else CREDENTIAL_VALID

    def parameters(self, now: datetime.datetime) -> dict[str, Any]:
        if self.credential is None:
            return {}
        return {
            "credential": self.credential,
            "signed": self.signed,
            "active": Device.Status.ACTIVE.value,
            "now": now,
        }


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    stored: int

    @property
    def duplicates(self) -> int:
        return self.accepted - self.stored


def _bad(index: int, reason: str) -> domain.InvalidError:
    return domain.InvalidError(
        {"readings": [_("Reading %(index)d: %(reason)s") % {"index": index, "reason": reason}]}
    )


def _parse_ts(raw: Any, index: int) -> datetime.datetime:
    if not isinstance(raw, str):
        raise _bad(index, _("ts must be an ISO 8601 timestamp with an offset."))
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise _bad(index, _("ts must be an ISO 8601 timestamp with an offset.")) from None
    if moment.tzinfo is None:
        raise _bad(index, _("ts must carry a UTC offset."))
    return moment


@dataclass(frozen=True)
class Batch:
    """A validated batch: the COPY text of its (device_id, metric_id, ts, value) rows, its
    span, and the (metric_id, UTC hour) pairs it has readings in."""

    payload: str
    count: int
    first: datetime.datetime
    last: datetime.datetime
    hours: frozenset[tuple[int, str]]

    def days(self) -> set[datetime.date]:
        """The UTC days the batch touches (all of them between its first and last)."""
        start = self.first.astimezone(datetime.UTC).date()
        end = self.last.astimezone(datetime.UTC).date()
        return {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}


def _bad_moment(
    index: int, moment: datetime.datetime, oldest: datetime.datetime
) -> domain.InvalidError:
    if moment < oldest:
        return _bad(
            index,
            _("ts is too old (more than %(days)d days ago).")
            % {"days": settings.IOT_MAX_READING_AGE.days},
        )
    return _bad(index, _("ts is in the future."))


def _is_utc_isoformat(raw: str) -> bool:
    """`raw` (which parsed) is what `isoformat()` writes for a UTC moment, with or without
    microseconds: PostgreSQL reads it alike, so it needs no second formatting."""
    size = len(raw)
    return (
        ((size == 32 and raw[19] == ".") or size == 25)
        and raw[10] == "T"
        and raw[13] == ":"
        and raw[16] == ":"
        and raw[4] == "-"
        and raw[7] == "-"
        and raw.endswith("+00:00")
    )


def readings_validate(readings: Any, *, device_pk: int, now: datetime.datetime) -> Batch:
    """The batch in one pass, or InvalidError naming the first bad reading."""
    if not isinstance(readings, list) or not readings:
        raise domain.InvalidError({"readings": [_("Send a non-empty list of readings.")]})
    if len(readings) > settings.IOT_MAX_READINGS_PER_REQUEST:
        raise domain.InvalidError(
            {
                "readings": [
                    _("At most %(limit)d readings per request.")
                    % {"limit": settings.IOT_MAX_READINGS_PER_REQUEST}
                ]
            }
        )
    registry = metrics.metric_ids()
    oldest = now - settings.IOT_MAX_READING_AGE
    latest = now + settings.IOT_MAX_CLOCK_SKEW
    fromisoformat = datetime.datetime.fromisoformat
    isfinite = math.isfinite
    utc = datetime.UTC
    lines: list[str] = []
    append = lines.append
    hours: set[tuple[int, str]] = set()
    mark = hours.add
    first, last = latest, oldest  # every accepted reading lies between them
    for index, reading in enumerate(readings):
        if type(reading) is not dict:
            raise _bad(index, _("each reading is an object with metric, ts and value."))
        name = reading.get("metric")
        metric_id = registry.get(name) if type(name) is str else None
        if metric_id is None and isinstance(name, str):
            metric_id = metrics.metric_ids_after_miss().get(name)
        if metric_id is None:
            raise _bad(index, _("unknown metric %(name)r.") % {"name": str(name)[:40]})
        value: Any = reading.get("value")
        kind = type(value)
        if kind is not float and kind is not int:
            raise _bad(index, _("value must be a finite number."))
        try:
            value = float(value)
        except OverflowError:
            raise _bad(index, _("value must be a finite number.")) from None
        if not isfinite(value):
            raise _bad(index, _("value must be a finite number."))
        raw: Any = reading.get("ts")
        try:
            moment = fromisoformat(raw)
        except (TypeError, ValueError):
            moment = _parse_ts(raw, index)  # names the reason
        if moment.tzinfo is None:
            raise _bad(index, _("ts must carry a UTC offset."))
        if moment < oldest or moment > latest:
            raise _bad_moment(index, moment, oldest)
        if moment < first:
            first = moment
        if moment > last:
            last = moment
        # In UTC, so that its first 13 characters ("2026-05-04T13") name the rollup hour.
        text = raw if _is_utc_isoformat(raw) else moment.astimezone(utc).isoformat()
        mark((metric_id, text[:13]))
        append(f"{device_pk}\t{metric_id}\t{text}\t{value!r}\n")
    assert first is not None  # the list is not empty
    assert last is not None
    return Batch(
        payload="".join(lines), count=len(lines), first=first, last=last, hours=frozenset(hours)
    )


def _store(device: Device, batch: Batch, now: datetime.datetime, check: Check) -> int:
    """The batch's readings stored; returns how many were new. A COPY straight into the
    table, or, when the batch holds a reading stored already, a staged move of the new ones."""
    pairs = sorted(batch.hours)
    marks: dict[str, Any] = {
        "device": device.pk,
        # Lists as text: psycopg's list adaptation cost more CPU than the statement.
        "metrics": ",".join(str(metric_id) for metric_id, _hour in pairs),
        "hours": ",".join(f"{hour}:00:00+00" for _metric_id, hour in pairs),
        "now": now,
        "latest": batch.last,
        **check.parameters(now),
    }
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with connection.wrap_database_errors, cursor.cursor.copy(COPY_SQL) as copy:
                copy.write(batch.payload)
            cursor.execute(MARK_SQL.format(valid=check.sql()), marks)
            if cursor.fetchone() is None:
                raise CredentialRefusedError  # rolls the COPY back
            transaction.on_commit(functools.partial(evaluation_schedule, device.pk))
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
    else:
        return batch.count
    return _store_staged(device, batch, now, check)


def _store_staged(device: Device, batch: Batch, now: datetime.datetime, check: Check) -> int:
    # The stage empties itself at commit; inside a caller's transaction (several batches
    # in one, as the demo seed does) it is emptied after use, or the next batch would
    # move this one's rows again. The CREATE runs once per database session: only after
    # it committed is the table there for the next request.
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        session = connection.connection
        if nested or session not in _staged:
            cursor.execute(STAGE_DDL)
        with cursor.cursor.copy(STAGE_COPY_SQL) as copy:
            copy.write(batch.payload)
        cursor.execute(
            MOVE_SQL.format(valid=check.sql()),
            {"device": device.pk, "now": now, "latest": batch.last, **check.parameters(now)},
        )
        stored, valid = cursor.fetchone()
        if not valid:
            raise CredentialRefusedError  # rolls the stage back
        if nested:
            cursor.execute("DELETE FROM iot_reading_stage")
        if stored:
            transaction.on_commit(functools.partial(evaluation_schedule, device.pk))
    if not nested:
        _staged.add(session)
    return stored


def _redis() -> Any:
    return cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]


def evaluation_schedule(device_pk: int) -> None:
    """After a batch commits: queue the device's rule evaluation unless one is queued
    already (the one task reads everything past the watermarks; the key is dropped when it
    starts, and expires in case it is lost). Right away, or, when the device's last
    evaluation started less than IOT_EVALUATION_INTERVAL ago, when that interval ends: a
    device posting many batches a second is evaluated once per interval, not per batch.
    Neither Redis nor the broker being down fails the request: the catch-up sweep finds
    the device behind."""
    if time.monotonic() < _covered_until.get(device_pk, 0.0):
        return  # the queued evaluation cannot have started yet: it will read this batch
    queued_key = cache.make_key(EVALUATION_QUEUED_KEY.format(pk=device_pk))
    recent_key = cache.make_key(EVALUATION_RECENT_KEY.format(pk=device_pk))
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.set(queued_key, 1, nx=True, ex=EVALUATION_QUEUED_TTL)
        pipe.pttl(recent_key)  # negative when there is none
        queued, wait_ms = pipe.execute()
    except Exception:
        logger.warning("Cache unavailable: evaluation of device %s left to the sweep", device_pk)
        return
    if wait_ms > 0:
        # Whoever queued the evaluation (this batch or an earlier one, while the interval
        # ran) queued it for the interval's end: until then, later batches need no check.
        if len(_covered_until) > COVERED_MEMORY:
            _covered_until.clear()
        _covered_until[device_pk] = time.monotonic() + wait_ms / 1000 - COVERED_MARGIN
    if queued:
        options = {"countdown": wait_ms / 1000} if wait_ms > 0 else {}
        enqueue_on_commit(
            celery_app.signature(RULES_EVALUATE_TASK, **options),
            device_pk,
            swept_by=RULES_CATCH_UP_TASK,
        )


def evaluation_started(device_pk: int) -> None:
    """The evaluation task began: a batch committed from now on queues the next one, for
    the end of the interval. One transaction, so that a batch never finds the new
    interval running while the old evaluation still looks queued."""
    interval_ms = int(settings.IOT_EVALUATION_INTERVAL.total_seconds() * 1000)
    pipe = _redis().pipeline(transaction=True)
    pipe.delete(cache.make_key(EVALUATION_QUEUED_KEY.format(pk=device_pk)))
    if interval_ms > 0:
        pipe.set(cache.make_key(EVALUATION_RECENT_KEY.format(pk=device_pk)), 1, px=interval_ms)
    pipe.execute()


def telemetry_ingest(
    *,
    device: Device,
    readings: Any,
    credential: int | None = None,
    signed: bool = False,
) -> IngestResult:
    """Store a device's batch all-or-nothing; a replayed reading (same device, metric and
    ts) is stored once. Rule evaluation is scheduled after commit when anything is new.
    With `credential` (the pk the request authenticated with; `signed`: the request was
    signed), the storing statement checks that it is still valid and raises
    CredentialRefusedError, storing nothing, when it is not."""
    now = timezone.now()
    batch = readings_validate(readings, device_pk=device.pk, now=now)
    check = Check(credential=credential, signed=signed)
    days = batch.days()
    partitions.partitions_ensure(days)
    try:
        stored = _store(device, batch, now, check)
    except IntegrityError:
        # A partition this process knew of was dropped (or rolled back): make it again.
        partitions.partitions_forget()
        partitions.partitions_ensure(days)
        stored = _store(device, batch, now, check)
    except ProgrammingError:
        # The session lost its staging table (the connection was reset): make it again.
        if connection.in_atomic_block:
            raise
        _staged.discard(connection.connection)
        stored = _store(device, batch, now, check)
    return IngestResult(accepted=batch.count, stored=stored)
