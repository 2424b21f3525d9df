"""Customizable products (option groups and rules), designs and their bill of modules,
production batches (customization-massing) and group / pre-sale campaigns."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.i18n import BilingualName
from marketplace.money import DEFAULT_CURRENCY, Money
from marketplace.tenancy import TenantModel


class ModuleRecipe(models.TextChoices):
    """How a design of the product expands into modules (customization.modules)."""

    OPTIONS = "options", _("One module per chosen option (e.g. air-conditioner functions)")
    CABINET = "cabinet", _("Cabinet: panels cut from the measurements and material")
    SUIT = "suit", _("Suit: pattern pieces graded from the body measurements")


class CustomizableProduct(models.Model):
    """Marks a catalog product as configurable and says how its designs become modules."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="customization"
    )
    recipe = models.CharField(
        _("module recipe"), max_length=20, choices=ModuleRecipe.choices, default="options"
    )

    class Meta:
        verbose_name = _("customizable product")
        verbose_name_plural = _("customizable products")

    def __str__(self) -> str:
        return str(self.product)


class OptionGroup(BilingualName, models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("One of n")
        MULTI = "multi", _("Between min and max of n")
        MEASUREMENT = "measurement", _("A measurement")
        TEXT = "text", _("A text")
        IMAGE = "image", _("An image")

    product = models.ForeignKey(
        CustomizableProduct, on_delete=models.CASCADE, related_name="groups"
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    min_choices = models.PositiveSmallIntegerField(_("at least"), default=0)
    max_choices = models.PositiveSmallIntegerField(_("at most"), default=1)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    max_length = models.PositiveSmallIntegerField(_("maximum length"), default=0)
    price_delta_minor = models.BigIntegerField(
        _("price when filled (minor units)"),
        default=0,
        help_text=_("Charged per unit when a text or image group is filled in."),
    )
    module_name = models.CharField(
        _("module"),
        max_length=120,
        blank=True,
        help_text=_("A text or image group filled in adds this module (e.g. Embroidery)."),
    )
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="customization_group_code"),
        ]
        verbose_name = _("option group")
        verbose_name_plural = _("option groups")

    def __str__(self) -> str:
        return self.display_name


class Option(BilingualName, models.Model):
    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    price_delta_minor = models.BigIntegerField(_("price delta (minor units)"), default=0)
    module = models.JSONField(
        _("module"),
        default=dict,
        blank=True,
        help_text=_('The module this choice adds: {"name": ..., "attributes": {...}}.'),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="customization_option_code"),
        ]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.display_name


class OptionRule(models.Model):
    """Choosing `option` requires `target` to be chosen too, or excludes it."""

    class Kind(models.TextChoices):
        REQUIRES = "requires", _("requires")
        EXCLUDES = "excludes", _("excludes")

    product = models.ForeignKey(CustomizableProduct, on_delete=models.CASCADE, related_name="rules")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    target = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("option rule")
        verbose_name_plural = _("option rules")

    def __str__(self) -> str:
        return f"{self.option_id} {self.kind} {self.target_id}"


class Design(TenantModel):
    """A buyer's saved, validated and priced configuration of a customizable product."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        CustomizableProduct, on_delete=models.PROTECT, related_name="designs"
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    selections = models.JSONField(_("selections"), default=dict)
    configuration_key = models.CharField(max_length=32, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    unit_price_minor = models.BigIntegerField(_("unit price (minor units)"))
    total_minor = models.BigIntegerField(_("total (minor units)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("design")
        verbose_name_plural = _("designs")

    def __str__(self) -> str:
        return self.name

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.currency)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


class DesignImage(models.Model):
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="images")
    group_code = models.SlugField(max_length=60)
    image = models.ImageField(_("image"), upload_to="designs/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="designs/thumbnails/")

    class Meta:
        verbose_name = _("design image")
        verbose_name_plural = _("design images")

    def __str__(self) -> str:
        return f"{self.design_id} {self.group_code}"


class DesignModule(models.Model):
    """One line of a design's bill of modules: `quantity_per_unit` of this module per
    product. `signature` is the same for identical modules whatever the design or order."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=160)
    attributes = models.JSONField(_("attributes"), default=dict)
    quantity_per_unit = models.PositiveIntegerField(_("per unit"), default=1)
    signature = models.CharField(_("signature"), max_length=32, db_index=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("design module")
        verbose_name_plural = _("design modules")

    def __str__(self) -> str:
        return self.name


class OrderModule(TenantModel):
    """A module line of an order made from a design: `quantity` modules for `units` of the
    order's product, to produce by the factory (`organization`) between `window_start` and
    `window_end`. Massing puts each line in one production batch of its signature (a
    range of the batch covers it), splitting a line over several days when one
    day's capacity cannot take it; the barcode traces each line back to its order."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    design_module = models.ForeignKey(
        DesignModule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=160)
    attributes = models.JSONField(_("attributes"), default=dict)
    signature = models.CharField(_("signature"), max_length=32)
    quantity = models.PositiveIntegerField(_("quantity"))
    units = models.PositiveIntegerField(_("product units"), default=0)
    window_start = models.DateField(_("earliest production day"))
    window_end = models.DateField(_("latest production day"))
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        ordering = ["order_id", "pk"]
        indexes = [
            # Covers massing's reads (ADR 0007): they group the open lines in this order
            # from the index alone, without a sort or a visit to the table.
            models.Index(
                fields=["organization", "signature", "window_start", "window_end"],
                include=["units", "order", "id"],
                condition=models.Q(is_open=True),
                name="customization_module_open",
            ),
            models.Index(fields=["order"], name="customization_module_order"),
        ]
        verbose_name = _("order module")
        verbose_name_plural = _("order modules")

    @property
    def barcode_value(self) -> str:
        """Code 128 payload: the order and the line, readable on the shop floor."""
        return f"C2M-{self.order_id}-{self.pk}"

    def __str__(self) -> str:
        return f"{self.name} x {self.quantity}"


class ProductionBatch(TenantModel):
    """Module lines of one signature made by the factory on one day (ADR 0007): each
    line inside its window, and never more product units than the factory's capacity
    calendar offers for the day."""

    # The unique constraint's index (organization, signature, day) serves every lookup.
    # No database constraint: a run inserts thousands of batches of one factory, and the
    # per-row checks at commit cost as much as the INSERT (ADR 0007). Batches are only
    # inserted by massing, for the factory it holds; PROTECT still guards deletion.
    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    signature = models.CharField(_("signature"), max_length=32)
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(default=timezone.now)
    # The lines massing opened the batch for, a range of its own (ADR 0007): the
    # signature's lines with an id in [first_line, last_line] whose window starts in
    # [start_from, start_to] and ends on the batch's day or later. Lines added later, or
    # where capacity binds, are `LineRange` rows.
    first_line = models.BigIntegerField(_("first line"), null=True, blank=True)
    last_line = models.BigIntegerField(_("last line"), null=True, blank=True)
    start_from = models.DateField(_("window starts from"), null=True, blank=True)
    start_to = models.DateField(_("window starts until"), null=True, blank=True)

    class Meta:
        ordering = ["day", "signature", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "signature", "day"], name="customization_batch_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    first_line__isnull=True,
                    last_line__isnull=True,
                    start_from__isnull=True,
                    start_to__isnull=True,
                )
                | models.Q(
                    first_line__lte=models.F("last_line"),
                    start_from__lte=models.F("start_to"),
                    start_to__lte=models.F("day"),
                ),
                name="customization_batch_range",
            ),
        ]
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")

    def __str__(self) -> str:
        return f"{self.signature[:12]} ({self.day})"


class LineRange(models.Model):
    """Module lines made in a production batch (ADR 0007): the lines of the batch's
    factory and signature whose id lies in [first_line, last_line], whose window starts
    in [start_from, start_to] and ends in [end_from, end_to]. A batch carries the range it
    was opened for; rows here are the further ones: a later run's lines joining the batch
    (new lines whose window starts in a run of days; `end_from` is the batch's day, so
    windows that ended never match) and, where capacity binds, a row per window (both
    bounds equal) or per line. A range never covers a line placed by another, and a
    factory's lines are inserted under the massing lock, so no line joins a range after
    it is written.

    No database foreign key to the batch: the constraint's per-row checks at commit cost
    more than the rows are worth. Rows are only written under the massing lock from
    batches just read or inserted, and deleting a batch deletes its rows (on_delete)."""

    batch = models.ForeignKey(
        ProductionBatch,
        on_delete=models.CASCADE,
        related_name="line_ranges",
        db_constraint=False,
        db_index=False,
    )
    start_from = models.DateField(_("window starts from"))
    start_to = models.DateField(_("window starts until"))
    end_from = models.DateField(_("window ends from"))
    end_to = models.DateField(_("window ends until"))
    first_line = models.BigIntegerField(_("first line"))
    last_line = models.BigIntegerField(_("last line"))

    class Meta:
        indexes = [
            models.Index(
                fields=["batch", "start_from", "end_from", "first_line"],
                name="customization_range_lookup",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_line__lte=models.F("last_line"))
                & models.Q(start_from__lte=models.F("start_to"))
                & models.Q(end_from__lte=models.F("end_to")),
                name="customization_range_ordered",
            )
        ]
        verbose_name = _("batched line range")
        verbose_name_plural = _("batched line ranges")

    def __str__(self) -> str:
        return f"{self.first_line}..{self.last_line} -> {self.batch_id}"


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open for pledges")
    COMPLETED = "completed", _("Target met: in production")
    FAILED = "failed", _("Target missed: pledges refunded")


class Campaign(TenantModel):
    """A group / pre-sale campaign on a design (`organization` opened it): buyers pledge
    quantities at `unit_price` until `deadline`; with `target_quantity` met by then it
    becomes one production order at `target_unit_price` (the difference goes back to each
    pledger), otherwise every pledge is refunded. `cap_quantity` bounds the pledges."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    design = models.ForeignKey(Design, on_delete=models.PROTECT, related_name="campaigns")
    factory = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("factory"),
    )
    title = models.CharField(_("title"), max_length=200)
    target_quantity = models.PositiveIntegerField(
        _("target quantity"), validators=[MinValueValidator(1)]
    )
    cap_quantity = models.PositiveIntegerField(_("cap"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    ready_by = models.DateField(_("ready by"))
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    unit_price_minor = models.BigIntegerField(_("unit price (minor units)"))
    target_unit_price_minor = models.BigIntegerField(_("unit price at target (minor units)"))
    pledged_quantity = models.PositiveIntegerField(_("pledged quantity"), default=0)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CampaignStatus.choices,
        default=CampaignStatus.OPEN,
        db_index=True,
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    # The outcome is system text: a `marketplace.texts` key and parameters (ADR 0018).
    outcome_key = models.CharField(max_length=100, blank=True)
    outcome_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="customization_campaign_due")]
        constraints = [
            # The database's last word on the cap, whatever runs in parallel.
            models.CheckConstraint(
                condition=models.Q(cap_quantity__isnull=True)
                | models.Q(pledged_quantity__lte=models.F("cap_quantity")),
                name="customization_campaign_within_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_quantity__isnull=True)
                | models.Q(cap_quantity__gte=models.F("target_quantity")),
                name="customization_campaign_cap_above_target",
            ),
            models.CheckConstraint(
                condition=models.Q(target_unit_price_minor__gt=0)
                & models.Q(target_unit_price_minor__lte=models.F("unit_price_minor")),
                name="customization_campaign_price_drops",
            ),
        ]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.title

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.currency)

    @property
    def target_unit_price(self) -> Money:
        return Money(self.target_unit_price_minor, self.currency)

    @property
    def display_outcome(self) -> str:
        """The outcome in the active language."""
        if self.outcome_key:
            return texts.render(self.outcome_key, self.outcome_params, fallback=self.outcome)
        return self.outcome

    @property
    def progress_percent(self) -> int:
        return min(100, self.pledged_quantity * 100 // self.target_quantity)

    @property
    def remaining_quantity(self) -> int | None:
        return None if self.cap_quantity is None else self.cap_quantity - self.pledged_quantity


class Pledge(TenantModel):
    """A buyer organization's (`organization`) pledge: `quantity` units paid into escrow at
    the campaign's unit price (`customization.payments`)."""

    class Status(models.TextChoices):
        HELD = "held", _("Paid into escrow")
        CONVERTED = "converted", _("In the production order")
        REFUNDED = "refunded", _("Refunded")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    currency = models.CharField(_("currency"), max_length=3)
    amount_minor = models.BigIntegerField(_("paid (minor units)"))
    refunded_minor = models.BigIntegerField(_("refunded (minor units)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.HELD
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["campaign", "status"], name="customization_pledge_state")]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.campaign_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)


class PopularConfiguration(models.Model):
    """A configuration (same one-of-n and n-of-m choices) saved by several buyers, counted
    over designs and the orders made from them; rewritten by the recommendations task.
    Aggregated across organizations: it names no buyer and is shown only from
    `recommend.MIN_TOGETHER` baskets up."""

    product = models.ForeignKey(
        CustomizableProduct, on_delete=models.CASCADE, related_name="popular_configurations"
    )
    configuration_key = models.CharField(max_length=32)
    options = models.JSONField(_("options"), default=dict)
    designs = models.PositiveIntegerField(_("designs"))
    orders = models.PositiveIntegerField(_("orders"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["product", "-designs", "configuration_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "configuration_key"], name="customization_popular_unique"
            )
        ]
        verbose_name = _("popular configuration")
        verbose_name_plural = _("popular configurations")

    def __str__(self) -> str:
        return f"{self.product_id}/{self.configuration_key}: {self.designs}"


class OptionPairStat(models.Model):
    """Of the `support` baskets holding `option`, `together` also hold `also`
    ("buyers who chose X also chose Y"); rewritten by the recommendations task. Only pairs
    with enough data and a lift above 1 (`recommend.informative`) are stored."""

    product = models.ForeignKey(CustomizableProduct, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+")
    also = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+")
    together = models.PositiveIntegerField(_("chosen together"))
    support = models.PositiveIntegerField(_("chosen"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["product", "option", "-together"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "option", "also"], name="customization_pair_unique"
            )
        ]
        indexes = [models.Index(fields=["option", "-together"], name="customization_pair_lookup")]
        verbose_name = _("option pair statistic")
        verbose_name_plural = _("option pair statistics")

    def __str__(self) -> str:
        return f"{self.option_id}->{self.also_id}: {self.together}/{self.support}"
