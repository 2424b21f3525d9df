"""Orders: RFQs and who was invited to them, quotes, orders with their timeline, production
reports, inspections, disputes and reviews.

Rows here involve two organizations (a buyer and a factory); each queryset's
`for_organization` returns what one of them may see. The state machine lives in
`orders/transitions.py`; every write goes through `orders/services.py`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.money import DEFAULT_CURRENCY, Money
from marketplace.storage import private_storage


class RFQQuerySet(models.QuerySet["RFQ"]):
    def for_organization(self, organization) -> RFQQuerySet:
        """A buyer sees its own RFQs; a factory sees those it was invited to."""
        invited = RFQInvitation.objects.filter(rfq=OuterRef("pk"), factory=organization)
        return self.filter(Q(buyer=organization) | Q(Exists(invited)))

    def open(self) -> RFQQuerySet:
        return self.filter(status=RFQ.Status.OPEN)


class RFQ(models.Model):
    """A buyer's request for `quantity` units of `category` ready by `ready_by`.

    The batch matcher (orders/matching/) reads open RFQs by `category`, `quantity`,
    `ready_by`, `status` and `buyer`, and records whom it invited through
    `services.rfq_invite_factories` (rows in `RFQInvitation`). Keep these stable.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWARDED = "awarded", _("Awarded")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    buyer = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        related_name="rfqs",
        verbose_name=_("buyer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.PROTECT,
        related_name="rfqs",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    ready_by = models.DateField(_("ready by"))
    spec = models.TextField(_("specification"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    invite_rounds = models.PositiveSmallIntegerField(_("invitation rounds"), default=0)
    last_invited_at = models.DateTimeField(_("last invited at"), null=True, blank=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RFQQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "category", "ready_by"])]
        verbose_name = _("request for quotation")
        verbose_name_plural = _("requests for quotation")

    def __str__(self) -> str:
        return f"RFQ-{self.pk}: {self.title}"


class RFQAttachment(models.Model):
    """A drawing, photo or document attached to an RFQ (type and size checked on upload)."""

    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="rfq-attachments/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("RFQ attachment")
        verbose_name_plural = _("RFQ attachments")

    def __str__(self) -> str:
        return self.original_name


class RFQInvitation(models.Model):
    """A factory matched and invited to quote on an RFQ (by the on-commit matcher, the
    re-invite beat, or the batch matcher)."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        QUOTED = "quoted", _("Quoted")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        MATCHER = "matcher", _("Matched on submission")
        REINVITE = "reinvite", _("Invited after a quiet period")
        BATCH = "batch", _("Batch matcher")

    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="invitations")
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="rfq_invitations"
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1)
    score = models.FloatField(_("match score"), default=0)
    available_units = models.PositiveIntegerField(_("available units"), default=0)
    earliest_completion = models.DateField(_("earliest completion"), null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MATCHER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        ordering = ["round", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rfq", "factory"], name="unique_rfq_invitation")
        ]
        verbose_name = _("RFQ invitation")
        verbose_name_plural = _("RFQ invitations")

    def __str__(self) -> str:
        return f"{self.rfq_id} -> {self.factory_id}"


class RFQMessage(models.Model):
    """One message in the buyer <-> factory thread on an RFQ; counter-offers carry a
    proposed price and/or date and end in a revised quote."""

    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="messages")
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    author_organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    body = models.TextField(_("message"))
    proposed_unit_price_minor = models.BigIntegerField(null=True, blank=True)
    proposed_ready_by = models.DateField(_("proposed date"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["rfq", "factory", "created_at"])]
        verbose_name = _("RFQ message")
        verbose_name_plural = _("RFQ messages")

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def proposed_unit_price(self) -> Money | None:
        if self.proposed_unit_price_minor is None:
            return None
        return Money(self.proposed_unit_price_minor, self.rfq.currency)


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


class OrderStatus(models.TextChoices):
    SAMPLE_REQUESTED = "sample_requested", _("Sample requested")
    SAMPLE_SHIPPED = "sample_shipped", _("Sample shipped")
    SAMPLE_APPROVED = "sample_approved", _("Sample approved")
    SAMPLE_REJECTED = "sample_rejected", _("Sample rejected")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid, ready for production")
    IN_PRODUCTION = "in_production", _("In production")
    INSPECTION = "inspection", _("Quality inspection")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    DISPUTED = "disputed", _("Disputed")
    CANCELLED = "cancelled", _("Cancelled")


class OrderQuerySet(models.QuerySet["Order"]):
    def for_organization(self, organization) -> OrderQuerySet:
        """Both parties see the order: the buyer and the factory."""
        return self.filter(Q(buyer=organization) | Q(factory=organization))


class Order(models.Model):
    Status = OrderStatus

    buyer = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="buyer_orders"
    )
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="factory_orders"
    )
    rfq = models.ForeignKey(
        RFQ, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    quote = models.OneToOneField(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    spec = models.TextField(_("specification"), blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    unit_price_minor = models.BigIntegerField(_("unit price (minor units)"))
    sample_fee_minor = models.BigIntegerField(_("sample fee (minor units)"), default=0)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"))
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, db_index=True
    )
    with_sample = models.BooleanField(_("with a sample first"), default=True)
    # The promise: production is planned day by day in `production_plan` ({"YYYY-MM-DD":
    # units}) and held on the factory's calendar under `reservation_reference`.
    production_plan = models.JSONField(_("production plan"), default=dict, blank=True)
    ready_by = models.DateField(_("promised ready date"))
    reservation_reference = models.CharField(max_length=80, blank=True)
    hold_expires_at = models.DateTimeField(_("capacity hold expires at"), null=True, blank=True)
    capacity_booked = models.BooleanField(_("capacity booked"), default=False)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    sample_carrier = models.CharField(_("sample carrier"), max_length=100, blank=True)
    sample_tracking_number = models.CharField(
        _("sample tracking number"), max_length=100, blank=True
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    production_started_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["factory", "status"]),
            models.Index(fields=["buyer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price_minor__gt=0), name="order_unit_price_positive"
            ),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PO-{self.pk:06d}" if self.pk else "PO-new"

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.currency)

    @property
    def sample_fee(self) -> Money:
        return Money(self.sample_fee_minor, self.currency)

    @property
    def goods_total(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def total(self) -> Money:
        return self.goods_total + (
            self.sample_fee if self.with_sample else Money.zero(self.currency)
        )

    @property
    def planned_units(self) -> int:
        return sum(int(units) for units in self.production_plan.values())

    @property
    def plan_allocations(self) -> dict[datetime.date, int]:
        """The production plan keyed by date (as the capacity calendar takes it)."""
        return {
            datetime.date.fromisoformat(day): int(units)
            for day, units in self.production_plan.items()
        }

    @property
    def dispute_deadline(self) -> datetime.datetime | None:
        """Until when the buyer may open a dispute (the window opens on delivery)."""
        if self.delivered_at is None:
            return None
        return self.delivered_at + datetime.timedelta(days=settings.ORDERS_DISPUTE_WINDOW_DAYS)


class OrderEvent(models.Model):
    """The order's timeline: one row per transition (and per notable fact), append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class ProductionReport(models.Model):
    """Units the factory finished on one day (one row per day; a re-report replaces it)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="production_reports")
    day = models.DateField(_("day"))
    units = models.PositiveIntegerField(_("units done"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["order", "day"], name="unique_production_day")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.day}: {self.units}"


class InspectionChecklistItem(models.Model):
    """One line of the quality checklist for a category (children inherit the parent's)."""

    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, related_name="inspection_items"
    )
    text = models.CharField(_("check"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["category", "text"], name="unique_checklist_item")
        ]
        verbose_name = _("inspection checklist item")
        verbose_name_plural = _("inspection checklist items")

    def __str__(self) -> str:
        return self.text


class Inspection(models.Model):
    """A quality inspection of the finished lot, sampled per an AQL table."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    inspector_organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    lot_size = models.PositiveIntegerField(_("lot size"))
    aql = models.CharField(_("AQL"), max_length=8, default="2.5")
    sample_size = models.PositiveIntegerField(_("sample size"))
    acceptance_number = models.PositiveIntegerField(_("accept up to (defects)"))
    defects_found = models.PositiveIntegerField(_("defects found"))
    checklist = models.JSONField(_("checklist results"), default=list)
    passed = models.BooleanField(_("passed"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.order_id} {'pass' if self.passed else 'fail'}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="inspections/%Y/%m/", storage=private_storage)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.image.name or ""


class Dispute(models.Model):
    """The buyer's objection to a delivery, with evidence; operators decide (Finance moves
    the money)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="disputes")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")

    def __str__(self) -> str:
        return f"Dispute on {self.order_id}"


class DisputeEvidence(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("evidence"), upload_to="disputes/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


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
            )
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"Review of {self.order_id}"

    @property
    def average(self) -> float:
        return round((self.quality + self.delivery + self.communication) / 3, 2)
