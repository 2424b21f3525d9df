"""Periodic and after-commit work for factories. Every task is idempotent (safe twice)."""

from __future__ import annotations

from celery import shared_task

from factories import services
from factories.models import FactoryProfile
from marketplace.models import Organization


@shared_task(acks_late=True)
def reservations_expire_task() -> int:
    return services.reservations_expire()


@shared_task(acks_late=True)
def capacity_daily_task() -> dict[str, int]:
    """Roll the 30-day window forward (the calendar and its read model), then flag
    calendars gone stale."""
    rolled = services.capacity_window_roll()
    flagged = services.capacity_stale_flag()
    return {"rolled": rolled, "flagged": flagged}


@shared_task(acks_late=True)
def capacity_lines_check_task() -> dict[str, int]:
    """Compare the free-capacity read model with the calendar, repair and alarm on drift."""
    report = services.capacity_lines_check()
    return {
        "drifted": report.drifted,
        "missing": report.missing,
        "stale": report.stale,
        "repaired": report.repaired,
    }


@shared_task(acks_late=True)
def certifications_flag_expired_task() -> int:
    return services.certifications_flag_expired()


@shared_task(acks_late=True)
def factory_performance_refresh_task(organization_id: int) -> None:
    factory = Organization.objects.filter(
        pk=organization_id, kind=Organization.Kind.FACTORY
    ).first()
    if factory is not None:
        services.factory_performance_refresh(factory=factory)


@shared_task(acks_late=True)
def factory_performance_refresh_all_task() -> int:
    """Fan out one refresh per factory so a failure touches only one record."""
    organization_ids = list(FactoryProfile.objects.values_list("organization_id", flat=True))
    for organization_id in organization_ids:
        factory_performance_refresh_task.delay(organization_id)
    return len(organization_ids)
