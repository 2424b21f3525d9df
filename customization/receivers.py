"""Customization's receivers of orders' facts (`orders.signals`, sent after commit): an
order made from a design gets its module lines when it opens, and they leave massing when
the order leaves production; campaigns that met their target answer the batch matcher's
call for committed demand. Orders never import customization. A failed receiver is
logged by the sender; the hourly massing sweep attaches lines an order is missing."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from customization import services
from customization.services.massing import CLOSED_ORDER_STATUSES
from orders.matching.selectors import OpenDemand
from orders.models import Order
from orders.signals import matching_demand_collect, order_opened, order_transitioned


@receiver(order_opened, sender=Order, dispatch_uid="customization.modules_on_open")
def modules_on_open(sender: type, *, order_pk: int, design_pk: int | None, **kwargs: Any) -> None:
    if design_pk is not None:
        services.order_modules_open(order_pk=order_pk)


@receiver(order_transitioned, sender=Order, dispatch_uid="customization.modules_on_close")
def modules_on_close(sender: type, *, order_pk: int, to_status: str, **kwargs: Any) -> None:
    if to_status in CLOSED_ORDER_STATUSES:
        services.order_modules_close(order_pk=order_pk)


@receiver(matching_demand_collect, dispatch_uid="customization.campaign_demand")
def campaign_demand(sender: type, *, today: Any, now: Any, **kwargs: Any) -> list[OpenDemand]:
    """Campaigns that met their target are committed demand for the batch matcher."""
    return services.campaigns_committed_demand(today=today, now=now)
