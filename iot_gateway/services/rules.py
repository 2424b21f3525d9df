"""Fault-rule evaluation: incremental, per device, from each rule's small saved state.

After a batch is stored, evaluation reads only the readings newer than each rule's
watermark (through the (device, metric, ts) primary key), walks them in time order, and
saves the new state together with any alarm change in one transaction. A worker killed
half-way rolls back all of it; the redelivered task (or the catch-up sweep) reads the same
readings again from the same watermark, so no alarm is lost or doubled.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from psycopg.types.datetime import TimestamptzLoader

from iot_gateway.models import Device, FaultRule, RuleState
from iot_gateway.services.alarms import alarm_clear, alarm_trigger

# A rule seen for the first time looks back this far, never at the whole history.
FIRST_LOOK_BACK = datetime.timedelta(hours=1)
# At most this many readings per metric per evaluation; the rest waits for the next run.
READ_LIMIT = 20_000

READINGS_SQL = (
    "SELECT ts, value FROM iot_gateway_reading "
    "WHERE device_id = %s AND metric_id = %s AND ts > %s ORDER BY ts LIMIT %s"
)


def rules_for_device(device: Device) -> QuerySet[FaultRule]:
    """Active rules that apply: the device's own, and its model's rules written by its
    supplier or its owner."""
    return (
        FaultRule.objects.filter(active=True)
        .filter(
            Q(device=device)
            | Q(
                device__isnull=True,
                model_name=device.model,
                organization_id__in=[device.supplier_id, device.organization_id],
            )
        )
        .select_related("metric")
        .order_by("pk")
    )


@dataclass
class _Outcome:
    """What a batch did to one rule: cleared an old fault, entered new ones, where it ended."""

    cleared_at: datetime.datetime | None = None
    entries: int = 0
    last_fault_value: float | None = None
    last_fault_at: datetime.datetime | None = None
    final_clear_at: datetime.datetime | None = None
    readings: int = 0
    touched: list[str] = field(default_factory=list)


def _condition(rule: FaultRule, state: RuleState, ts: datetime.datetime, value: float) -> bool:
    if rule.kind == FaultRule.Kind.ERROR_CODE:
        return value != 0
    if rule.kind == FaultRule.Kind.RATE_OF_CHANGE:
        if state.previous_ts is None or ts <= state.previous_ts:
            return False
        per_minute = (value - (state.previous_value or 0.0)) / (
            (ts - state.previous_ts).total_seconds() / 60
        )
        return per_minute > rule.threshold if rule.operator == "gt" else per_minute < rule.threshold  # type: ignore[operator]
    return value > rule.threshold if rule.operator == "gt" else value < rule.threshold  # type: ignore[operator]


def _walk(
    rule: FaultRule, state: RuleState, readings: list[tuple[datetime.datetime, float]]
) -> _Outcome:
    outcome = _Outcome()
    duration = datetime.timedelta(seconds=rule.duration_seconds)
    for ts, value in readings:
        if state.watermark is not None and ts <= state.watermark:
            continue
        outcome.readings += 1
        if _condition(rule, state, ts, value):
            state.condition_since = state.condition_since or ts
            if ts - state.condition_since >= duration:
                if not state.in_fault:
                    outcome.entries += 1
                    state.in_fault = True
                outcome.last_fault_value, outcome.last_fault_at = value, ts
                outcome.final_clear_at = None
        else:
            state.condition_since = None
            if state.in_fault:
                state.in_fault = False
                if outcome.entries == 0 and outcome.cleared_at is None:
                    outcome.cleared_at = ts
                else:
                    outcome.final_clear_at = ts
        state.previous_ts, state.previous_value = ts, value
        state.watermark = ts
    return outcome


def _apply(device: Device, rule: FaultRule, was_in_fault: bool, outcome: _Outcome) -> int:
    changes = 0
    if was_in_fault and outcome.cleared_at is not None:
        changes += alarm_clear(device=device, rule=rule, at=outcome.cleared_at) is not None
    if outcome.entries or (outcome.last_fault_at is not None):
        alarm_trigger(
            device=device,
            rule=rule,
            value=outcome.last_fault_value,
            at=outcome.last_fault_at or timezone.now(),
            entries=outcome.entries,
        )
        changes += 1
    if outcome.final_clear_at is not None:
        changes += alarm_clear(device=device, rule=rule, at=outcome.final_clear_at) is not None
    return changes


STATE_FIELDS = ("watermark", "condition_since", "previous_value", "previous_ts", "in_fault")


def _locked_states(device: Device, rules: list[FaultRule]) -> dict[int, RuleState]:
    """The rules' states on the device, locked; missing ones are made first. After the
    first evaluation every state exists: one query."""

    def locked() -> dict[int, RuleState]:
        states = (
            RuleState.objects.select_for_update()
            .filter(device=device, rule__in=rules)
            .order_by("rule_id")
        )
        return {state.rule_id: state for state in states}

    states = locked()
    missing = [RuleState(device=device, rule=rule) for rule in rules if rule.pk not in states]
    if missing:
        RuleState.objects.bulk_create(missing, ignore_conflicts=True)
        states = locked()
    return states


def _snapshot(state: RuleState) -> tuple:
    return tuple(getattr(state, name) for name in STATE_FIELDS)


def _readings(
    device: Device, metric_id: int, since: datetime.datetime
) -> list[tuple[datetime.datetime, float]]:
    with connection.cursor() as cursor:
        # psycopg's own (C) timestamp loader: Django's, which only sets the tzinfo, is
        # Python and cost more than the rest of reading thousands of rows.
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(READINGS_SQL, [device.pk, metric_id, since, READ_LIMIT])
        return cursor.fetchall()


@transaction.atomic
def rules_evaluate(*, device_pk: int) -> int:
    """Evaluate the device's metric rules over its readings newer than each watermark.
    Returns the number of alarm changes (raised, repeated or cleared)."""
    device = Device.objects.select_related("organization").filter(pk=device_pk).first()
    if device is None:
        return 0
    rules = [rule for rule in rules_for_device(device) if rule.kind != FaultRule.Kind.HEARTBEAT]
    if not rules:
        return 0
    states = _locked_states(device, rules)
    default_start = (device.last_reading_at or timezone.now()) - FIRST_LOOK_BACK
    by_metric: dict[int, list[FaultRule]] = defaultdict(list)
    for rule in rules:
        by_metric[rule.metric_id].append(rule)  # type: ignore[index]
    changes = 0
    for metric_id, metric_rules in by_metric.items():
        since = min(states[rule.pk].watermark or default_start for rule in metric_rules)
        readings = _readings(device, metric_id, since)
        complete = len(readings) < READ_LIMIT
        for rule in metric_rules:
            state = states[rule.pk]
            before = _snapshot(state)
            if state.watermark is None:
                state.watermark = default_start
            was_in_fault = state.in_fault
            outcome = _walk(rule, state, readings)
            if outcome.readings:
                changes += _apply(device, rule, was_in_fault, outcome)
            if complete and device.last_reading_at and device.last_reading_at > state.watermark:
                # Everything up to the device's latest reading has been seen for this metric
                # (later readings of other metrics do not leave this rule "behind").
                state.watermark = device.last_reading_at
            if _snapshot(state) != before:
                state.save(update_fields=STATE_FIELDS)
    return changes


def heartbeats_sweep(*, now: datetime.datetime | None = None) -> int:
    """Raise a missing-heartbeat alarm for every active device silent longer than its rule
    allows, and clear it once data flows again. Returns the number of alarm changes."""
    now = now or timezone.now()
    changes = 0
    rules = FaultRule.objects.filter(active=True, kind=FaultRule.Kind.HEARTBEAT)
    for rule in rules:
        devices = Device.objects.filter(status=Device.Status.ACTIVE, last_seen_at__isnull=False)
        if rule.device_id:
            devices = devices.filter(pk=rule.device_id)
        else:
            devices = devices.filter(model=rule.model_name).filter(
                Q(supplier_id=rule.organization_id) | Q(organization_id=rule.organization_id)
            )
        for device in devices.select_related("organization"):
            changes += _heartbeat_check(rule, device, now)
    return changes


@transaction.atomic
def _heartbeat_check(rule: FaultRule, device: Device, now: datetime.datetime) -> int:
    state = _locked_states(device, [rule])[rule.pk]
    device.refresh_from_db(fields=["last_seen_at"])
    silent = (
        device.last_seen_at is not None
        and (now - device.last_seen_at).total_seconds() > rule.duration_seconds
    )
    if silent and not state.in_fault:
        state.in_fault = True
        state.save(update_fields=["in_fault"])
        alarm_trigger(device=device, rule=rule, value=None, at=now, entries=1)
        return 1
    if not silent and state.in_fault:
        state.in_fault = False
        state.save(update_fields=["in_fault"])
        return int(alarm_clear(device=device, rule=rule, at=device.last_seen_at or now) is not None)
    return 0


def devices_behind() -> list[int]:
    """Devices with readings newer than some rule's watermark: evaluation was lost (a worker
    died, a message expired) or cut short by READ_LIMIT. Also those with readings and an
    applicable rule that has no state yet: their first evaluation never committed (its
    state rows went with it), or the rule is new. The catch-up sweep re-runs them."""
    behind = set(
        RuleState.objects.filter(
            rule__active=True,
            device__last_reading_at__isnull=False,
            watermark__lt=F("device__last_reading_at"),
        )
        .exclude(rule__kind=FaultRule.Kind.HEARTBEAT)
        .values_list("device_id", flat=True)
    )
    unstarted = (
        FaultRule.objects.filter(active=True)
        .exclude(kind=FaultRule.Kind.HEARTBEAT)
        .filter(
            Q(device=OuterRef("pk"))
            | Q(device__isnull=True, model_name=OuterRef("model"))
            & (Q(organization=OuterRef("supplier")) | Q(organization=OuterRef("organization")))
        )
        .filter(
            ~Exists(RuleState.objects.filter(rule=OuterRef("pk"), device=OuterRef(OuterRef("pk"))))
        )
    )
    behind.update(
        Device.objects.filter(last_reading_at__isnull=False, status=Device.Status.ACTIVE)
        .filter(Exists(unstarted))
        .values_list("pk", flat=True)
    )
    return sorted(behind)
