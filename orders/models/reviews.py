"""The buyer's review of the factory after completion."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import limits
from orders.models.orders import Order


class ReviewQuerySet(models.QuerySet["Review"]):
    def for_organization(self, organization) -> ReviewQuerySet:
        return self.filter(Q(buyer=organization) | Q(factory=organization))


class Review(models.Model):
    """The buyer's rating of the factory after completion; the factory may answer once."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="review")
    buyer = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="reviews_received"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    quality = models.PositiveSmallIntegerField(
        _("quality"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    delivery = models.PositiveSmallIntegerField(
        _("delivery"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    communication = models.PositiveSmallIntegerField(
        _("communication"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    reply = models.TextField(_("factory's reply"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quality__gte=1, quality__lte=5)
                & Q(delivery__gte=1, delivery__lte=5)
                & Q(communication__gte=1, communication__lte=5),
                name="review_scores_1_to_5",
            ),
            limits.text_max_length_constraint(
                "comment", limits.REVIEW_COMMENT, "review_comment_max_length"
            ),
            limits.text_max_length_constraint(
                "reply", limits.REVIEW_REPLY, "review_reply_max_length"
            ),
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"Review of {self.order_id}"

    @property
    def average(self) -> float:
        return round((self.quality + self.delivery + self.communication) / 3, 2)
