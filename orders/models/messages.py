"""The order's message thread between buyer and factory, its attachments, and how far each
person has read the conversations (orders and RFQs) for the inbox's unread counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.storage import private_storage
from orders.models.orders import Order
from orders.models.rfqs import RFQ


class OrderMessage(models.Model):
    """One message between the order's buyer and its factory."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author_organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]
        verbose_name = _("order message")
        verbose_name_plural = _("order messages")

    def __str__(self) -> str:
        return self.body[:60]


class OrderMessageAttachment(models.Model):
    """An image or PDF sent with a message (type, size and image header checked on upload;
    private media, served only to the order's parties)."""

    message = models.ForeignKey(OrderMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="order-messages/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ConversationRead(models.Model):
    """Until when one person (acting for one organization) has read an order's or an
    RFQ's conversation: later messages from the other party count as unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=True, rfq__isnull=False)
                | Q(order__isnull=False, rfq__isnull=True),
                name="conversation_read_one_subject",
            ),
            models.UniqueConstraint(
                fields=["user", "organization", "order"],
                condition=Q(order__isnull=False),
                name="unique_order_conversation_read",
            ),
            models.UniqueConstraint(
                fields=["user", "organization", "rfq"],
                condition=Q(rfq__isnull=False),
                name="unique_rfq_conversation_read",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.order_id or self.rfq_id} at {self.read_at}"
