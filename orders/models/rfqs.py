"""RFQs, the factories invited to quote on them, their attachments and message threads."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import limits, texts
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
    # A buyer's saved design (customization): the factory quotes on its bill of modules.
    design = models.ForeignKey(
        "customization.Design",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("design"),
    )
    # A directed RFQ: the buyer chose this factory, only it is invited and the matchers
    # leave the RFQ alone. Like any RFQ it reserves nothing until a quote is accepted.
    directed_to = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent only to"),
    )
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
        constraints = [
            limits.text_max_length_constraint("spec", limits.RFQ_SPEC, "rfq_spec_max_length")
        ]
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
        DIRECT = "direct", _("Chosen by the buyer")

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
    # Why the factory declined to quote (the buyer sees it).
    decline_reason = models.TextField(_("reason for declining"), blank=True)

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
    body = models.TextField(_("message"), blank=True)
    # A message the system writes (a quote's revision) is a `marketplace.texts` key and
    # parameters, rendered in the reader's language; `body` holds people's words.
    body_key = models.CharField(max_length=100, blank=True)
    body_params = models.JSONField(default=dict, blank=True)
    proposed_unit_price_minor = models.BigIntegerField(null=True, blank=True)
    proposed_ready_by = models.DateField(_("proposed date"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["rfq", "factory", "created_at"])]
        constraints = [
            limits.text_max_length_constraint("body", limits.MESSAGE, "rfq_message_body_max_length")
        ]
        verbose_name = _("RFQ message")
        verbose_name_plural = _("RFQ messages")

    def __str__(self) -> str:
        return self.display_body[:60]

    @property
    def display_body(self) -> str:
        if self.body_key:
            return texts.render(self.body_key, self.body_params, fallback=self.body)
        return self.body

    @property
    def proposed_unit_price(self) -> Money | None:
        if self.proposed_unit_price_minor is None:
            return None
        return Money(self.proposed_unit_price_minor, self.rfq.currency)
