"""Background work for customization. Every task takes ids, loads fresh data and is safe
to run twice (massing skips what is already batched)."""

from __future__ import annotations

from celery import shared_task

from customization import services
from marketplace.models import Organization


@shared_task(acks_late=True)
def massing_run_task(factory_pk: int) -> dict[str, int] | None:
    factory = Organization.objects.filter(pk=factory_pk, kind=Organization.Kind.FACTORY).first()
    if factory is None:
        return None
    result = services.massing_run(factory=factory)
    return {"windows": result.windows_uncovered, "batches": result.batches_created}


@shared_task(acks_late=True)
def massing_all_task() -> int:
    """Batch every factory with open module lines (one task each), after giving module
    lines to any order made from a design that is missing them."""
    for order_pk in services.orders_missing_modules():
        services.order_modules_open(order_pk=order_pk)
    factory_pks = services.massing_factories_with_open_modules()
    for factory_pk in factory_pks:
        massing_run_task.delay(factory_pk)
    return len(factory_pks)
