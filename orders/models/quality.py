"""Quality inspections of finished lots, and the buyer's disputes over deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import limits
from marketplace.storage import private_storage
from orders.models.orders import Order


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


class InspectionQuerySet(models.QuerySet["Inspection"]):
    def cleared(self) -> InspectionQuerySet:
        """Passed inspections that count: an independent one, or a self-check the buyer
        accepted."""
        return self.filter(passed=True).filter(
            models.Q(self_check=False) | models.Q(accepted_at__isnull=False)
        )


class Inspection(models.Model):
    """A quality inspection of the finished lot, sampled per an AQL table."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # None: platform staff inspected (through the operators' tools, for no organization).
    inspector_organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lot_size = models.PositiveIntegerField(_("lot size"))
    aql = models.CharField(_("AQL"), max_length=8, default="2.5")
    sample_size = models.PositiveIntegerField(_("sample size"))
    acceptance_number = models.PositiveIntegerField(_("accept up to (defects)"))
    defects_found = models.PositiveIntegerField(_("defects found"))
    checklist = models.JSONField(_("checklist results"), default=list)
    passed = models.BooleanField(_("passed"))
    note = models.TextField(_("note"), blank=True)
    # The factory's own check: it counts only once the buyer accepts it.
    self_check = models.BooleanField(_("factory self-check"), default=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted by the buyer at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.order_id} {'pass' if self.passed else 'fail'}"

    @property
    def cleared(self) -> bool:
        return self.passed and (not self.self_check or self.accepted_at is not None)


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
        constraints = [
            limits.text_max_length_constraint(
                "reason", limits.DISPUTE_REASON, "dispute_reason_max_length"
            )
        ]
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
