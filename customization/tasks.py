"""Background work for customization. Every task takes ids, loads fresh data and is safe
to run twice (massing skips what is already batched)."""

from __future__ import annotations

import logging

from celery import shared_task

from customization import services
from marketplace.models import Organization

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def massing_run_task(factory_pk: int) -> dict[str, int] | None:
    factory = Organization.objects.filter(pk=factory_pk, kind=Organization.Kind.FACTORY).first()
    if factory is None:
        return None
    result = services.massing_run(factory=factory)
    return {"placed": result.lines_placed, "batches": result.batches_created}


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


@shared_task(acks_late=True)
def campaign_close_task(campaign_pk: int) -> str | None:
    """Close one campaign if it is due or full (a no-op otherwise, and when closed)."""
    if not services.campaign_exists(pk=campaign_pk):
        return None
    return services.campaign_close(campaign_pk=campaign_pk).status


@shared_task(acks_late=True)
def campaigns_close_due_task() -> int:
    """Beat: every campaign past its deadline completes into an order or refunds, each in
    its own transaction (one failing leaves the others to run and itself to the next beat)."""
    closed = 0
    for campaign_pk in services.campaigns_due():
        try:
            services.campaign_close(campaign_pk=campaign_pk)
        except Exception:
            logger.exception("Closing campaign %s failed; the next beat retries it", campaign_pk)
            continue
        closed += 1
    return closed


@shared_task(acks_late=True)
def recommendations_refresh_task() -> int:
    """Beat (nightly): recount every customizable product's popular configurations and
    option pairs. Each product is rewritten in one transaction; re-running changes nothing."""
    product_pks = services.recommendation_product_pks()
    for product_pk in product_pks:
        services.recommendations_refresh(product_pk=product_pk)
    return len(product_pks)
