"""Orders' own receivers of its facts (`orders.signals`): each schedules one task.
Connected in `OrdersConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from orders.models import RFQ, Order, OrderStatus, Review
from orders.signals import order_transitioned, review_created, rfq_created
from orders.tasks import factory_performance_push_task, rfq_match_task


@receiver(rfq_created, sender=RFQ, dispatch_uid="orders.match_new_rfq")
def match_new_rfq(sender: type, *, rfq_pk: int, **kwargs: Any) -> None:
    rfq_match_task.delay(rfq_pk)


@receiver(order_transitioned, sender=Order, dispatch_uid="orders.performance_on_completion")
def push_performance_on_completion(
    sender: type, *, factory_pk: int, to_status: str, **kwargs: Any
) -> None:
    if to_status == OrderStatus.COMPLETED:
        factory_performance_push_task.delay(factory_pk)


@receiver(review_created, sender=Review, dispatch_uid="orders.performance_on_review")
def push_performance_on_review(sender: type, *, factory_pk: int, **kwargs: Any) -> None:
    factory_performance_push_task.delay(factory_pk)
