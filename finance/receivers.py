"""Finance listens to the order's life cycle: each committed transition may move money
(`finance.services.order_money`). Orders never imports finance.

The steps run here, in the process that committed the transition, rather than in a task:
they are a few rows under the escrow's lock, and the buyer and the factory see the money
moved on the very next page. A failure is logged by the signal's `send_robust` and the
daily `escrows_settle` sweep applies the step later (each is idempotent)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from finance.services.order_money import order_money_follow
from orders.models import Order
from orders.signals import order_transitioned


@receiver(order_transitioned, sender=Order, dispatch_uid="finance.order_money")
def move_money_on_transition(sender: type, *, order_pk: int, action: str, **kwargs: Any) -> None:
    order_money_follow(order_pk=order_pk, action=action)
