"""Celery tasks: each takes ids, loads fresh rows, calls one service, and is safe to run
twice (acks_late redelivery)."""

from __future__ import annotations

from celery import shared_task

from orders import services
from orders.services.performance import factories_with_orders
from orders.services.rfqs import rfqs_needing_reinvite, rfqs_never_matched


@shared_task(acks_late=True)
def rfq_match_task(rfq_pk: int) -> int:
    """Match a new RFQ to verified factories with free capacity and invite the top N."""
    return services.rfq_match(rfq_pk=rfq_pk)


@shared_task(acks_late=True)
def rfqs_match_missed_task() -> int:
    """Beat: match RFQs whose own matching task was never delivered (a broker outage)."""
    return sum(
        services.rfq_match(rfq_pk=rfq_pk)
        for rfq_pk in rfqs_never_matched().values_list("pk", flat=True)
    )


@shared_task(acks_late=True)
def rfqs_reinvite_task() -> int:
    """Beat: RFQs nobody quoted on in time get the next factories invited."""
    invited = 0
    for rfq_pk in rfqs_needing_reinvite().values_list("pk", flat=True):
        invited += services.rfq_reinvite(rfq_pk=rfq_pk)
    services.rfqs_expire()
    return invited


@shared_task(acks_late=True)
def orders_auto_step_task() -> int:
    """Beat: confirm receipt after the configured days in transit, and complete orders
    whose dispute window closed."""
    return sum(
        services.order_auto_step(order_pk=pk, action=action)
        for pk, action in services.orders_due_for_auto_step()
    )


@shared_task(acks_late=True)
def orders_remind_overdue_task() -> int:
    return services.orders_remind_overdue()


@shared_task(acks_late=True)
def factory_performance_push_task(factory_pk: int) -> dict:
    return services.factory_performance_push(factory_pk=factory_pk)


@shared_task(acks_late=True)
def factories_performance_push_task() -> int:
    """Beat: refresh every factory's order-derived figures (nightly)."""
    factory_pks = factories_with_orders()
    for factory_pk in factory_pks:
        factory_performance_push_task.delay(factory_pk)
    return len(factory_pks)
