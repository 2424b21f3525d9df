"""What the order's life cycle means for its money, applied after each transition commits:

- sample approved: the sample fee is released to the factory;
- inspection passed: FINANCE_RELEASE_INSPECTION_PERCENT of the goods is released;
- delivery confirmed (by the buyer or automatically) or order completed: the rest is
  released, and the repayment clock of any credit used starts;
- cancelled: everything still held goes back to the buyer.

Each step is idempotent (milestone references are unique), so a repeated event or the
daily sweep (`escrows_settle`) never moves money twice.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from finance.models import Escrow
from finance.services import credit, escrow
from finance.services.escrow import Milestone
from orders.models import Order, OrderStatus

logger = logging.getLogger(__name__)

RELEASE_ON = {
    "approve_sample": Milestone.SAMPLE,
    "confirm_delivery": Milestone.DELIVERY,
    "complete": Milestone.DELIVERY,
}


def order_money_follow(*, order_pk: int, action: str, data: dict | None = None) -> None:
    """Apply the money consequence of `action` on the order (no-op when it has none)."""
    if not Escrow.objects.filter(order_id=order_pk).exists():
        return
    order = Order.objects.get(pk=order_pk)
    if action == "record_inspection" and (data or {}).get("passed"):
        escrow.escrow_release_milestone(order=order, milestone=Milestone.INSPECTION)
    elif action in RELEASE_ON:
        escrow.escrow_release_milestone(order=order, milestone=RELEASE_ON[action])
        if action == "confirm_delivery":
            delivered = order.delivered_at or timezone.now()
            credit.credit_due_dates_set(
                order_pk=order.pk, delivered_on=timezone.localdate(delivered)
            )
    elif action == "cancel":
        escrow.escrow_refund(
            order=order, amount=None, reference=f"cancel:{order.pk}", reason="Order cancelled"
        )


def escrows_settle() -> int:
    """Daily sweep: finish any release or refund a missed event left behind."""
    settled = 0
    for item in Escrow.objects.filter(
        order__status__in=(OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
    ).select_related("order"):
        if item.held_minor <= 0:
            continue
        action = "cancel" if item.order.status == OrderStatus.CANCELLED else "complete"
        order_money_follow(order_pk=item.order_id, action=action)
        settled += 1
    return settled


def order_event_recorded(*, order_pk: int, action: str, data: dict) -> None:
    """Hook for a committed order transition; a failure is logged and left to the sweep."""

    def follow() -> None:
        try:
            order_money_follow(order_pk=order_pk, action=action, data=data)
        except Exception:
            logger.exception("Money step after %s on order %s failed", action, order_pk)

    transaction.on_commit(follow)
