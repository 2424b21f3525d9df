"""Factories' quotes on RFQs, with lower prices for larger quantities."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import limits
from marketplace.money import DEFAULT_CURRENCY, Money
from orders.models.rfqs import RFQ


class QuoteQuerySet(models.QuerySet["Quote"]):
    def for_organization(self, organization) -> QuoteQuerySet:
        """The buyer sees every quote on its RFQs; a factory only its own."""
        return self.filter(Q(rfq__buyer=organization) | Q(factory=organization))


class Quote(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    rfq = models.ForeignKey(RFQ, on_delete=models.PROTECT, related_name="quotes")
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="quotes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    unit_price_minor = models.BigIntegerField(_("unit price (minor units)"))
    sample_fee_minor = models.BigIntegerField(_("sample fee (minor units)"), default=0)
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    valid_until = models.DateField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    # The quality terms offered: the AQL of the final inspection and its checklist.
    aql = models.CharField(_("AQL"), max_length=8, default="2.5")
    inspection_checklist = models.JSONField(_("inspection checklist"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["unit_price_minor", "lead_time_days", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rfq", "factory"], name="unique_quote_per_factory"),
            models.CheckConstraint(
                condition=Q(unit_price_minor__gt=0), name="quote_unit_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(sample_fee_minor__gte=0), name="quote_sample_fee_not_negative"
            ),
            limits.text_max_length_constraint("note", limits.QUOTE_NOTE, "quote_note_max_length"),
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return f"Quote {self.pk} ({self.unit_price})"

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.currency)

    @property
    def sample_fee(self) -> Money:
        return Money(self.sample_fee_minor, self.currency)

    def unit_price_for(self, quantity: int) -> Money:
        """The tier price for `quantity`: the lowest tier whose minimum it reaches."""
        price = self.unit_price_minor
        for tier in self.tiers.all():
            if quantity >= tier.min_quantity and tier.unit_price_minor < price:
                price = tier.unit_price_minor
        return Money(price, self.currency)


class QuoteTier(models.Model):
    """A lower unit price from `min_quantity` units upwards."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField(_("from quantity"))
    unit_price_minor = models.BigIntegerField(_("unit price (minor units)"))

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "min_quantity"], name="unique_quote_tier"),
            models.CheckConstraint(
                condition=Q(unit_price_minor__gt=0), name="quote_tier_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f">= {self.min_quantity}: {self.unit_price_minor}"

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.quote.currency)
