"""Alarm life cycle: active -> acknowledged -> cleared, one open alarm per device and rule.

`alarm_trigger` and `alarm_clear` are called by rule evaluation with the rule's state row
locked, so two evaluations never race on the same alarm. Every change writes an event.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from iot_gateway import texts
from iot_gateway.models import (
    OPEN_ALARM_STATUSES,
    SEVERITY_RANK,
    Alarm,
    AlarmEvent,
    AlarmStatus,
    Device,
    FaultRule,
    Severity,
)
from marketplace import exceptions as domain
from marketplace.celery import app as celery_app
from marketplace.models import NotificationTopic, User
from marketplace.queue import enqueue_on_commit
from marketplace.services import notification_send
from marketplace.texts import Text

# Services name their app's tasks (they never import them): see marketplace.queue.
LEAD_FROM_ALARM_TASK = "iot_gateway.tasks.lead_from_alarm_task"
LEADS_SWEEP_TASK = "iot_gateway.tasks.leads_missing_sweep_task"
# An alarm worth a lead still has none this long after it was raised: the sweep makes it.
LEAD_SWEEP_AFTER = datetime.timedelta(minutes=2)


def alarm_message(rule: FaultRule, value: float | None) -> Text:
    """The alarm's message, rendered in each reader's language (`Alarm.display_message`)."""
    metric = rule.metric.name if rule.metric is not None else ""
    if rule.kind == FaultRule.Kind.HEARTBEAT:
        return texts.ALARM_HEARTBEAT(rule=rule.name, minutes=rule.duration_seconds // 60)
    if rule.kind == FaultRule.Kind.ERROR_CODE:
        return texts.ALARM_ERROR_CODE(rule=rule.name, code=int(value or 0))
    return texts.ALARM_THRESHOLD(
        rule=rule.name,
        metric=metric,
        operator=rule.get_operator_display(),
        threshold=rule.threshold or 0,
        value=value if value is not None else 0,
    )


def _open_alarm(device: Device, rule: FaultRule) -> Alarm | None:
    return (
        Alarm.objects.select_for_update()
        .filter(device=device, rule=rule, status__in=OPEN_ALARM_STATUSES)
        .first()
    )


def alarm_trigger(
    *, device: Device, rule: FaultRule, value: float | None, at: datetime.datetime, entries: int
) -> Alarm:
    """Raise the alarm, or count `entries` more occurrences on the open one."""
    alarm = _open_alarm(device, rule)
    message = alarm_message(rule, value)
    if alarm is not None:
        alarm.occurrences += entries
        alarm.last_value = value
        alarm.last_triggered_at = max(alarm.last_triggered_at, at)
        alarm.message, alarm.message_key, alarm.message_params = "", message.key, message.params
        alarm.save(
            update_fields=[
                "occurrences",
                "last_value",
                "last_triggered_at",
                "message",
                "message_key",
                "message_params",
            ]
        )
        if entries:
            AlarmEvent.objects.create(
                alarm=alarm, kind=AlarmEvent.Kind.REPEATED, at=at, value=value
            )
        return alarm
    alarm = Alarm.objects.create(
        organization_id=device.organization_id,
        device=device,
        rule=rule,
        severity=rule.severity,
        message_key=message.key,
        message_params=dict(message.params),
        raised_at=at,
        last_triggered_at=at,
        occurrences=max(entries, 1),
        last_value=value,
    )
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEvent.Kind.RAISED, at=at, value=value)
    notification_send(
        organization=device.organization,
        topic=NotificationTopic.SERVICE,
        title=texts.ALARM_RAISED(device=device.name, message=message),
        url=reverse("iot_gateway:device_detail", kwargs={"pk": device.pk}),
        email=SEVERITY_RANK[Severity(rule.severity)] >= SEVERITY_RANK[Severity.MAJOR],
    )
    if SEVERITY_RANK[Severity(rule.severity)] >= SEVERITY_RANK[Severity.MAJOR]:
        enqueue_on_commit(
            celery_app.signature(LEAD_FROM_ALARM_TASK), alarm.pk, swept_by=LEADS_SWEEP_TASK
        )
    return alarm


def alarm_clear(*, device: Device, rule: FaultRule, at: datetime.datetime) -> Alarm | None:
    """The condition ended: the open alarm (acknowledged or not) is cleared."""
    alarm = _open_alarm(device, rule)
    if alarm is None:
        return None
    alarm.status = AlarmStatus.CLEARED
    alarm.cleared_at = at
    alarm.save(update_fields=["status", "cleared_at"])
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEvent.Kind.CLEARED, at=at)
    return alarm


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, acting_user: User, note: str = "") -> Alarm:
    now = timezone.now()
    changed = Alarm.objects.filter(pk=alarm.pk, status=AlarmStatus.ACTIVE).update(
        status=AlarmStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=acting_user
    )
    if not changed:
        raise domain.ConflictError(_("Only an active alarm can be acknowledged."))
    AlarmEvent.objects.create(
        alarm_id=alarm.pk,
        kind=AlarmEvent.Kind.ACKNOWLEDGED,
        at=now,
        actor=acting_user,
        note=note[:300],
    )
    return Alarm.objects.get(pk=alarm.pk)


def alarms_escalate(*, now: datetime.datetime | None = None) -> int:
    """Remind the owner of every alarm still unacknowledged IOT_ESCALATE_AFTER after it was
    raised (or after the last reminder). The conditional update makes a second run a no-op."""
    now = now or timezone.now()
    cutoff = now - settings.IOT_ESCALATE_AFTER
    due = Alarm.objects.filter(status=AlarmStatus.ACTIVE).filter(
        Q(last_escalated_at__lt=cutoff) | Q(last_escalated_at__isnull=True, raised_at__lt=cutoff)
    )
    sent = 0
    for alarm in due.select_related("device", "device__organization"):
        with transaction.atomic():
            claimed = (
                Alarm.objects.filter(pk=alarm.pk, status=AlarmStatus.ACTIVE)
                .filter(
                    Q(last_escalated_at=alarm.last_escalated_at)
                    if alarm.last_escalated_at
                    else Q(last_escalated_at__isnull=True)
                )
                .update(last_escalated_at=now, escalations=F("escalations") + 1)
            )
            if not claimed:
                continue
            AlarmEvent.objects.create(alarm=alarm, kind=AlarmEvent.Kind.ESCALATED, at=now)
            notification_send(
                organization=alarm.device.organization,
                topic=NotificationTopic.SERVICE,
                title=texts.ALARM_ESCALATED(message=alarm.message_text),
                url=reverse("iot_gateway:alarm_list"),
            )
            sent += 1
    return sent


def alarms_missing_lead(*, now: datetime.datetime | None = None) -> list[int]:
    """Open major or critical alarms that got no lead (the task was never sent or lost)."""
    now = now or timezone.now()
    serious = [
        severity
        for severity, rank in SEVERITY_RANK.items()
        if rank >= SEVERITY_RANK[Severity.MAJOR]
    ]
    return list(
        Alarm.objects.filter(
            status__in=OPEN_ALARM_STATUSES,
            severity__in=serious,
            lead__isnull=True,
            raised_at__lt=now - LEAD_SWEEP_AFTER,
        ).values_list("pk", flat=True)
    )
