"""Factories: audited profiles, the 30-day capacity calendar, reservations, performance.

A factory is an `Organization` of kind `factory`; every row here belongs to one through
`organization` (the tenant). Verification lives on `Organization.verified`, set only by
the audit approval service.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.storage import private_storage
from marketplace.tenancy import TenantModel, TenantQuerySet

CAPACITY_WINDOW_DAYS = 30


def audit_evidence_path(instance: models.Model, filename: str) -> str:
    """Evidence (business licences) gets an unguessable name: it must never be found by
    someone walking the media URLs."""
    extension = Path(filename).suffix.lower()[:10]
    return f"factories/audit/{uuid.uuid4().hex}{extension}"


def validate_year_not_in_future(value: int) -> None:
    # A machine bought next year may already be on order; later than that is a typo.
    if value > timezone.localdate().year + 1:
        raise ValidationError(
            _("The year cannot be later than %(year)d.") % {"year": timezone.localdate().year + 1}
        )


class FactoryProfile(models.Model):
    class AuditStatus(models.TextChoices):
        DRAFT = "draft", _("Not submitted")
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class PriceLevel(models.IntegerChoices):
        BUDGET = 1, _("Budget")
        ECONOMY = 2, _("Economy")
        STANDARD = 3, _("Standard")
        PREMIUM = 4, _("Premium")
        LUXURY = 5, _("Luxury")

    organization = models.OneToOneField(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="factory_profile"
    )
    description = models.TextField(_("description"), blank=True)
    country = models.CharField(_("country"), max_length=60, default="China")
    region = models.CharField(_("province / region"), max_length=80, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    established_year = models.PositiveSmallIntegerField(
        _("established"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    workers_count = models.PositiveIntegerField(_("number of workers"), default=0)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), default=0)
    processes = models.TextField(
        _("processes"), blank=True, help_text=_("One process per line, e.g. cutting, sewing.")
    )
    technology = models.TextField(_("technology"), blank=True)
    quality_control = models.TextField(_("quality-control practice"), blank=True)
    categories = models.ManyToManyField(
        "catalog.Category", related_name="+", blank=True, verbose_name=_("categories made")
    )
    min_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"), default=30, validators=[MinValueValidator(1)]
    )
    standard_lead_days = models.PositiveSmallIntegerField(
        _("standard lead time (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    free_sampling = models.BooleanField(_("free sampling"), default=False)
    price_level = models.PositiveSmallIntegerField(
        _("price level"), choices=PriceLevel.choices, default=PriceLevel.STANDARD
    )
    audit_status = models.CharField(
        _("audit status"), max_length=12, choices=AuditStatus.choices, default=AuditStatus.DRAFT
    )
    auto_roll_calendar = models.BooleanField(
        _("repeat my weekly pattern"),
        default=False,
        help_text=_("Each day, publish the new last day of the window with last week's units."),
    )
    calendar_stale = models.BooleanField(_("calendar stale"), default=False)
    calendar_stale_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name"]
        verbose_name = _("factory profile")
        verbose_name_plural = _("factory profiles")

    def __str__(self) -> str:
        return str(self.organization)

    @property
    def process_list(self) -> list[str]:
        return [line.strip() for line in self.processes.splitlines() if line.strip()]


class FactoryPhoto(TenantModel):
    image = models.ImageField(_("image"), upload_to="factories/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="factories/thumbnails/%Y/%m/", blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("factory photo")
        verbose_name_plural = _("factory photos")

    def __str__(self) -> str:
        return self.caption or self.image.name or ""


class ProductionLine(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    daily_output = models.PositiveIntegerField(_("daily output (units)"))
    workers = models.PositiveIntegerField(_("workers"), default=0)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("production line")
        verbose_name_plural = _("production lines")

    def __str__(self) -> str:
        return self.name


class Equipment(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    manufacturer = models.CharField(_("manufacturer"), max_length=120, blank=True)
    model_number = models.CharField(_("model"), max_length=120, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1950), validate_year_not_in_future],
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")

    def __str__(self) -> str:
        return self.name


class Certification(TenantModel):
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. ISO 9001, BSCI, CE"))
    # A code from `factories.certifications.SCHEMES`, or "" for another certificate.
    scheme = models.CharField(_("scheme"), max_length=30, blank=True, db_default="")
    issuer = models.CharField(_("issuer"), max_length=120, blank=True)
    number = models.CharField(_("certificate number"), max_length=120, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"))
    expired_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_on", "pk"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expires_on < timezone.localdate()


class AuditSubmission(TenantModel):
    """One request for verification with its evidence; every decision is kept as history."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    legal_name = models.CharField(_("registered legal name"), max_length=200)
    business_registration_number = models.CharField(
        _("business registration number"), max_length=60
    )
    note = models.TextField(_("note to the reviewer"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("audit submission")
        verbose_name_plural = _("audit submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status="pending"),
                name="one_pending_audit_per_factory",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_status_display()}"


class AuditEvidence(TenantModel):
    class Kind(models.TextChoices):
        BUSINESS_REGISTRATION = "business_registration", _("Business registration")
        CERTIFICATE = "certificate", _("Certificate")
        PHOTO = "photo", _("Workshop photo")
        OTHER = "other", _("Other")

    submission = models.ForeignKey(
        AuditSubmission, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=audit_evidence_path, storage=private_storage)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("audit evidence")
        verbose_name_plural = _("audit evidence")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file.name}"


class CapacityDay(TenantModel):
    """Units a factory offers for one category on one day, and how many are taken.

    `held + booked <= units` always (a database constraint backs the conditional updates
    the services use). A row with `units = 0` is a day the factory marked closed; no row
    means nothing is published for that day.
    """

    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    units = models.PositiveIntegerField(_("units offered"), default=0)
    held = models.PositiveIntegerField(_("units held"), default=0)
    booked = models.PositiveIntegerField(_("units booked"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "category_id"]
        verbose_name = _("capacity day")
        verbose_name_plural = _("capacity days")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "category", "date"], name="unique_capacity_cell"
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0) & Q(booked__gte=0) & Q(units__gte=F("held") + F("booked")),
                name="capacity_never_overbooked",
            ),
        ]
        # No index beyond the unique one: search reads the free-capacity lines, never the
        # calendar, and an index over held/booked would make every reservation's UPDATE a
        # non-HOT update (docs/adr/0005).

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.category_id}/{self.date}: {self.units}"

    @property
    def free(self) -> int:
        return max(self.units - self.held - self.booked, 0)


# Search thresholds the free-capacity read model is indexed at (days from the line's first
# day): a search by day D prunes with the first of these that covers D (docs/adr/0005).
CAPACITY_LINE_INDEXED_HORIZONS = (7, 10, 14, 21, CAPACITY_WINDOW_DAYS)


class CapacityLine(models.Model):
    """The free-capacity read model: one row per factory and category (docs/adr/0005).

    `free[i]` is the free units of day `window_start + i` over the 30-day window and
    `cumulative[i]` the free units of days `window_start .. window_start + i - 1`
    (`cumulative[0] == 0`), so any span's free units are one subtraction. Written only by
    `factories.services.capacity_lines` in the transaction that changed the calendar; the
    factory's search terms and card (`verified` .. `response_hours`) are kept by database
    triggers on the organization, profile and performance rows. `merit` is the part of the
    ADR 0002 score that does not depend on the search: the ranking walks it best first.
    """

    # The unique constraint and the ranking index serve every lookup: no extra FK indexes.
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    window_start = models.DateField()
    free = ArrayField(models.IntegerField(), size=CAPACITY_WINDOW_DAYS)
    cumulative = ArrayField(models.IntegerField(), size=CAPACITY_WINDOW_DAYS + 1)
    published = ArrayField(models.BooleanField(), size=CAPACITY_WINDOW_DAYS)
    verified = models.BooleanField(default=False)
    min_order_quantity = models.PositiveIntegerField(default=0)
    standard_lead_days = models.PositiveSmallIntegerField(default=0)
    free_sampling = models.BooleanField(default=False)
    region = models.CharField(max_length=80, blank=True)
    merit = models.FloatField(default=0.0)
    # What a search result shows of the factory, kept with the terms: the result's
    # `factory` object as JSON text and the figures its score components are worked out
    # from, so a search's page reads no other table (ADR 0005, "Seventh pass").
    card = models.TextField(blank=True, default="")
    figures = ArrayField(models.TextField(), size=7, blank=True, default=list)
    price_level = models.PositiveSmallIntegerField(default=0)
    on_time_rate = models.FloatField(null=True, blank=True)
    rating = models.FloatField(null=True, blank=True)
    response_hours = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("free capacity line")
        verbose_name_plural = _("free capacity lines")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "category"], name="unique_capacity_line"
            ),
        ]
        indexes = [
            # The ranking walks a category's verified lines best merit first and stops as
            # soon as no later line can enter the top results.
            models.Index(
                F("category"),
                F("merit").desc(),
                F("organization"),
                condition=Q(verified=True),
                name="capacity_line_rank_idx",
            ),
            # When few lines can make the quantity at all, these find them directly: the
            # head's pruning read walks one in free-units order. (Their merit key served
            # the band before it had the indexes below, migration 0012.)
            *(
                models.Index(
                    F("category"),
                    F(f"cumulative__{days}"),
                    F("merit"),
                    condition=Q(verified=True),
                    name=f"capacity_line_free{days}_idx",
                )
                for days in CAPACITY_LINE_INDEXED_HORIZONS
            ),
            # The band reads a merit range at a time and wants only the lines with enough
            # free units in it: merit leads, so the scan stays inside the range, and the
            # free units are checked in the index before a line is read (ADR 0005, "Fifth
            # pass"). One plan fits every slice, so the band is prepared once.
            *(
                models.Index(
                    F("category"),
                    F("merit"),
                    F(f"cumulative__{days}"),
                    condition=Q(verified=True),
                    name=f"capacity_line_band{days}_idx",
                )
                for days in CAPACITY_LINE_INDEXED_HORIZONS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.category_id} from {self.window_start}"


class Reservation(TenantModel):
    """Units of one factory's category held or booked for an order, day by day."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        BOOKED = "booked", _("Booked")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired")

    ACTIVE_STATUSES: ClassVar[tuple[str, ...]] = (Status.HELD, Status.BOOKED)

    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    quantity = models.PositiveIntegerField(_("units"))
    expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=["held", "booked"]),
                name="one_active_reservation_per_reference",
            )
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="held"), name="reservation_hold_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_status_display()} · {self.quantity}"

    @property
    def allocations(self) -> dict[datetime.date, int]:
        return {day.date: day.units for day in self.days.all()}

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class ReservationDay(models.Model):
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    units = models.PositiveIntegerField()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "date"], name="unique_reservation_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.units}"


class ReservationEvent(models.Model):
    """Append-only log of what happened to a reservation, for exact audits."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=255, blank=True)
    # Notes are system text: a `marketplace.texts` key and parameters (ADR 0018).
    note_key = models.CharField(max_length=100, blank=True)
    note_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def display_note(self) -> str:
        """The note in the active language."""
        if self.note_key:
            return texts.render(self.note_key, self.note_params, fallback=self.note)
        return self.note


class FactoryPerformance(models.Model):
    """Performance figures shown on the profile and used by the search score.

    Order-derived figures (on-time, defects, repeat buyers, ratings) are pushed by the
    Orders app through `factory_performance_update`; the nightly task computes the
    capacity-derived ones from this app's own data.
    """

    organization = models.OneToOneField(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="factory_performance"
    )
    on_time_rate = models.FloatField(_("on-time delivery rate"), null=True, blank=True)
    defect_rate = models.FloatField(_("defect rate"), null=True, blank=True)
    repeat_buyer_rate = models.FloatField(_("repeat-buyer rate"), null=True, blank=True)
    median_quote_response_hours = models.FloatField(
        _("median quote response (hours)"), null=True, blank=True
    )
    rating = models.FloatField(_("rating"), null=True, blank=True)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    bookings_count = models.PositiveIntegerField(_("bookings"), default=0)
    capacity_utilisation = models.FloatField(_("capacity utilisation"), null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("factory performance")
        verbose_name_plural = _("factory performance")

    def __str__(self) -> str:
        return f"{self.organization}"


class FavouriteFactory(TenantModel):
    """A factory a buyer keeps on its list; the row belongs to the buyer organization."""

    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("favourite factory")
        verbose_name_plural = _("favourite factories")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "factory"], name="unique_favourite_factory"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} -> {self.factory_id}"
