"""Finance listens to the order's timeline: each committed transition may move money
(`finance.services.order_money`). Orders never imports finance."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from finance.services.order_money import order_event_recorded
from orders.models import OrderEvent


@receiver(post_save, sender=OrderEvent, dispatch_uid="finance-order-event")
def _order_event_saved(sender, instance: OrderEvent, created: bool, **kwargs) -> None:
    if created:
        order_event_recorded(
            order_pk=instance.order_id, action=instance.action, data=instance.data or {}
        )
