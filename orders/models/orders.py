"""Orders: the status and promise of each, its timeline and the factory's production
reports. The state machine lives in `orders.transitions`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.money import DEFAULT_CURRENCY, Money
from orders.models.quotes import Quote
from orders.models.rfqs import RFQ


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
        """The parties see the order: the buyer, the factory and the independent inspector
        assigned to it."""
        return self.filter(
            Q(buyer=organization) | Q(factory=organization) | Q(inspector=organization)
        )


def order_number(pk: int) -> str:
    """The number people use for an order ("PO-000042")."""
    return f"PO-{pk:06d}"


def order_total_minor(
    *, unit_price_minor: int, quantity: int, sample_fee_minor: int, with_sample: bool
) -> int:
    """What the buyer pays for an order, in minor units: the goods, and the sample if any
    (`Order.total`; the order list computes it from a summary row)."""
    return unit_price_minor * quantity + (sample_fee_minor if with_sample else 0)


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
    # Made from a saved design (customization keeps the order's module lines).
    design = models.ForeignKey(
        "customization.Design",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("design"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    # The buyer accepted a short shipment of this many units (None: the full quantity).
    accepted_quantity = models.PositiveIntegerField(
        _("accepted short quantity"), null=True, blank=True
    )
    # The quality terms agreed in the quote, fixed when it was accepted.
    aql = models.CharField(_("AQL"), max_length=8, default="2.5")
    inspection_checklist = models.JSONField(_("inspection checklist"), default=list, blank=True)
    # The independent inspection organization (or platform operator) assigned to the order.
    inspector = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspected_orders",
        verbose_name=_("inspector"),
    )
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
        return order_number(self.pk) if self.pk else "PO-new"

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
    def ship_quantity(self) -> int:
        """The units the order now delivers: the quantity, or the accepted short one."""
        return self.accepted_quantity if self.accepted_quantity is not None else self.quantity

    @property
    def shipped_goods_total(self) -> Money:
        """The goods at the agreed unit price for the units the order delivers."""
        return self.unit_price * self.ship_quantity

    @property
    def total(self) -> Money:
        return Money(
            order_total_minor(
                unit_price_minor=self.unit_price_minor,
                quantity=self.quantity,
                sample_fee_minor=self.sample_fee_minor,
                with_sample=self.with_sample,
            ),
            self.currency,
        )

    @property
    def planned_units(self) -> int:
        return sum(int(units) for units in self.production_plan.values())

    @property
    def production_window_start(self) -> datetime.date | None:
        """The first planned production day (None without a plan)."""
        return min(self.plan_allocations) if self.production_plan else None

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
    # A person's note as written, or the system's as a key and parameters
    # (`marketplace.texts`), rendered in the reader's language by `display_note`.
    note = models.TextField(_("note"), blank=True)
    note_key = models.CharField(max_length=100, blank=True)
    note_params = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"

    @property
    def display_note(self) -> str:
        if self.note_key:
            return texts.render(self.note_key, self.note_params, fallback=self.note)
        return self.note

    @staticmethod
    def note_fields(note: texts.Text | str) -> dict:
        """The row's note columns for a person's words or a system `Text`."""
        key, text, params = texts.stored(note)
        return {"note": text, "note_key": key, "note_params": params}


class ProductionReport(models.Model):
    """One progress entry: units the factory finished (a shift, a batch) on a day, added to
    the others; or a correction of an earlier entry (`corrects`), its own row with a reason
    and the signed difference in `units`. Rows are never edited: the reported total is the
    sum of `units`."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="production_reports")
    day = models.DateField(_("day"))
    units = models.IntegerField(_("units"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reported_at", "pk"]
        indexes = [models.Index(fields=["order", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=False) | Q(units__gte=0),
                name="production_entry_units_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.day}: {self.units:+d}"

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None
