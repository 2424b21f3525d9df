"""Orders' own receivers of its facts (`orders.signals`): each schedules one task, through
`enqueue_on_commit` (the facts arrive after commit, so it sends at once; a broker outage is
logged and the named beat sweep finds the work later). Connected in `OrdersConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from marketplace.queue import enqueue_on_commit
from orders.models import RFQ, Order, OrderStatus, Review
from orders.signals import order_transitioned, review_created, rfq_created
from orders.tasks import factory_performance_push_task, rfq_match_task


@receiver(rfq_created, sender=RFQ, dispatch_uid="orders.match_new_rfq")
def match_new_rfq(sender: type, *, rfq_pk: int, **kwargs: Any) -> None:
    enqueue_on_commit(rfq_match_task, rfq_pk, swept_by="rfqs_match_missed_task")


@receiver(order_transitioned, sender=Order, dispatch_uid="orders.performance_on_completion")
def push_performance_on_completion(
    sender: type, *, factory_pk: int, to_status: str, **kwargs: Any
) -> None:
    if to_status == OrderStatus.COMPLETED:
        _push_performance(factory_pk)


@receiver(review_created, sender=Review, dispatch_uid="orders.performance_on_review")
def push_performance_on_review(sender: type, *, factory_pk: int, **kwargs: Any) -> None:
    _push_performance(factory_pk)


def _push_performance(factory_pk: int) -> None:
    enqueue_on_commit(
        factory_performance_push_task, factory_pk, swept_by="factories_performance_push_task"
    )
