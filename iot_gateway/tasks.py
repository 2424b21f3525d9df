"""Celery tasks: each takes ids, loads fresh rows, calls one service, and is safe to run
twice (acks_late redelivery)."""

from __future__ import annotations

from celery import shared_task

from iot_gateway import services


@shared_task(acks_late=True)
def rules_evaluate_task(device_pk: int) -> int:
    """After a batch: evaluate the device's rules over its readings past the watermarks."""
    services.evaluation_started(device_pk)
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
def leads_missing_sweep_task() -> int:
    """Beat: a lead for every serious alarm whose lead task was never sent or was lost."""
    return sum(
        services.lead_from_alarm(alarm_pk=pk) is not None for pk in services.alarms_missing_lead()
    )


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
