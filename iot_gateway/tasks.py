"""Celery tasks: each takes ids, loads fresh rows, calls one service, and is safe to run
twice (acks_late redelivery)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from iot_gateway import services

# While a device's evaluation is queued, more batches do not queue another: the one task
# reads everything past the watermark. The key is dropped when the task starts, so a batch
# committed after that start queues the next run; it expires in case a task is lost.
SCHEDULED_KEY = "iot:evaluate:{pk}"
SCHEDULED_TTL = 30


def rules_evaluate_schedule(device_pk: int) -> None:
    if cache.add(SCHEDULED_KEY.format(pk=device_pk), 1, timeout=SCHEDULED_TTL):
        rules_evaluate_task.delay(device_pk)


@shared_task(acks_late=True)
def rules_evaluate_task(device_pk: int) -> int:
    """After a batch: evaluate the device's rules over its readings past the watermarks."""
    cache.delete(SCHEDULED_KEY.format(pk=device_pk))
    return services.rules_evaluate(device_pk=device_pk)


@shared_task(acks_late=True)
def rules_catch_up_task() -> int:
    """Beat: re-run evaluation for devices whose readings got ahead of their rules."""
    return sum(services.rules_evaluate(device_pk=pk) for pk in services.devices_behind())


@shared_task(acks_late=True)
def heartbeats_sweep_task() -> int:
    """Beat: missing-heartbeat alarms raised and cleared."""
    return services.heartbeats_sweep()


@shared_task(acks_late=True)
def alarms_escalate_task() -> int:
    """Beat: remind owners of alarms nobody acknowledged."""
    return services.alarms_escalate()


@shared_task(acks_late=True)
def lead_from_alarm_task(alarm_pk: int) -> int | None:
    """A major or critical alarm becomes a service lead, routed and announced."""
    lead = services.lead_from_alarm(alarm_pk=alarm_pk)
    return lead.pk if lead else None


@shared_task(acks_late=True)
def partitions_maintain_task() -> dict:
    """Beat: telemetry partitions made ahead, expired ones dropped."""
    return services.partitions_maintain()


@shared_task(acks_late=True)
def rollups_refresh_task() -> int:
    """Beat: hourly and daily rollups for the hours that got readings; old rollups expire."""
    refreshed = services.rollups_refresh()
    services.rollups_expire()
    return refreshed


@shared_task(acks_late=True)
def predictions_run_task() -> int:
    """Beat: trend forecasts; a crossing within the horizon becomes a lead."""
    return services.predictions_run()
