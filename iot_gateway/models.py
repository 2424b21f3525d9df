"""Equipment: devices and their credentials, the metric registry, fault rules and their
per-device state, alarms, service leads routed to suppliers and service providers, and
their quotes.

Raw telemetry is not a Django model: it lives in `iot_gateway_reading`, a table partitioned
by day (see the `0002` migration and docs/adr/0008-telemetry-scaling.md), written with COPY
and read with SQL in `iot_gateway.selectors`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.tenancy import TenantModel, TenantQuerySet

TOKEN_PREFIX = "dev_"  # noqa: S105 - a label, not a secret


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


def _shown(key: str, params: dict, sentence: str) -> str:
    return texts.render(key, params, fallback=sentence) if key else sentence


class LeadKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    SPARE_PART = "spare_part", _("Spare part")
    REPLACEMENT = "replacement", _("Replacement")
    INSTALLATION = "installation", _("Installation")


class ServiceProviderProfile(models.Model):
    """What a service provider offers: the regions it travels to and its skills (lead kinds
    and the equipment categories it knows)."""

    organization = models.OneToOneField(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="service_profile"
    )
    description = models.TextField(_("description"), blank=True)
    regions = ArrayField(
        models.CharField(max_length=80), verbose_name=_("regions served"), default=list, blank=True
    )
    lead_kinds = ArrayField(
        models.CharField(max_length=20, choices=LeadKind.choices),
        verbose_name=_("services offered"),
        default=list,
        blank=True,
    )
    categories = models.ManyToManyField(
        "catalog.Category", related_name="+", blank=True, verbose_name=_("equipment categories")
    )
    rating = models.FloatField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("service-provider profile")
        verbose_name_plural = _("service-provider profiles")

    def __str__(self) -> str:
        return str(self.organization)


class Device(TenantModel):
    """A machine owned by a buyer organization (`organization`), made by `supplier`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    name = models.CharField(_("name"), max_length=120)
    serial_number = models.CharField(_("serial number"), max_length=80)
    model = models.CharField(_("model"), max_length=120, db_index=True)
    # Catalog products arrive with the Customization/catalog work; until then a device names
    # its product by reference (SKU) and category.
    product_reference = models.CharField(_("catalog product reference"), max_length=80, blank=True)
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    supplier = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        related_name="supplied_devices",
        verbose_name=_("supplier factory"),
    )
    installed_on = models.DateField(_("installed on"))
    region = models.CharField(_("province / region"), max_length=80)
    location = models.CharField(_("site"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    require_signature = models.BooleanField(_("require signed requests"), default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # The latest reading's own timestamp: rule evaluation is behind while any rule's
    # watermark is older (the catch-up sweep relies on it).
    last_reading_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "serial_number"], name="iot_device_unique_serial"
            )
        ]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return f"{self.name} ({self.serial_number})"


class DeviceCredential(models.Model):
    """One token of a device. Only its SHA-256 is stored. Rotation gives the old one an
    `expires_at` (the grace period); revocation sets `revoked_at`."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("device credential")
        verbose_name_plural = _("device credentials")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.device_id})"

    @staticmethod
    def generate_token() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def signing_secret_for(key_hash: str) -> str:
        """The HMAC secret handed to the device with its token. Derived from the stored hash
        and SECRET_KEY, so nothing extra is stored and a database dump alone cannot sign."""
        return hmac.new(
            settings.SECRET_KEY.encode(), f"iot-signing:{key_hash}".encode(), hashlib.sha256
        ).hexdigest()

    def is_valid_at(self, moment) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment


class Metric(models.Model):
    """The registry of metric names a reading may carry (resolved through a cache)."""

    name = models.SlugField(_("name"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=80)
    unit = models.CharField(_("unit"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self) -> str:
        return self.name

    @property
    def display_label(self) -> str:
        """The label in the reader's language (the standard labels are in the catalogue)."""
        return gettext(self.label)


class TelemetryRollup(models.Model):
    """Hourly and daily aggregates of raw readings; kept after the raw partitions go."""

    class Bucket(models.TextChoices):
        HOUR = "hour", _("Hour")
        DAY = "day", _("Day")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    bucket = models.CharField(max_length=4, choices=Bucket.choices)
    start = models.DateTimeField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    total = models.FloatField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "metric", "bucket", "start"], name="iot_rollup_unique_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.metric_id} {self.bucket} {self.start}"

    @property
    def average(self) -> float:
        return self.total / self.count if self.count else 0.0


class FaultRule(TenantModel):
    """A condition worth an alarm. `organization` wrote it: a supplier for every device of
    `model_name` it supplied, or an owner for one of its own devices (`device`)."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("Threshold held for a duration")
        RATE_OF_CHANGE = "rate", _("Rate of change")
        ERROR_CODE = "error_code", _("Error code")
        HEARTBEAT = "heartbeat", _("Missing heartbeat")

    class Operator(models.TextChoices):
        ABOVE = "gt", ">"
        BELOW = "lt", "<"

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    model_name = models.CharField(_("device model"), max_length=120, blank=True, db_index=True)
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operator = models.CharField(
        _("operator"), max_length=2, choices=Operator.choices, default=Operator.ABOVE
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("for (seconds)"), default=0)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR
    )
    lead_kind = models.CharField(
        _("service offered"), max_length=20, choices=LeadKind.choices, default=LeadKind.REPAIR
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(device__isnull=False) | ~Q(model_name=""),
                name="iot_rule_has_scope",
            ),
            models.CheckConstraint(
                condition=Q(kind="heartbeat") | Q(metric__isnull=False),
                name="iot_rule_has_metric",
            ),
        ]
        verbose_name = _("fault rule")
        verbose_name_plural = _("fault rules")

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """What evaluation remembers between batches for one rule on one device: how far it has
    read (`watermark`), since when the condition holds, and the previous reading."""

    rule = models.ForeignKey(FaultRule, on_delete=models.CASCADE, related_name="states")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="rule_states")
    watermark = models.DateTimeField(null=True, blank=True)
    condition_since = models.DateTimeField(null=True, blank=True)
    previous_value = models.FloatField(null=True, blank=True)
    previous_ts = models.DateTimeField(null=True, blank=True)
    in_fault = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "device"], name="iot_rule_state_unique")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on device {self.device_id}"


class AlarmStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


OPEN_ALARM_STATUSES = (AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED)


class Alarm(TenantModel):
    """One open alarm per device and rule; repeats update it. `organization` is the owner."""

    Status = AlarmStatus

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="alarms")
    rule = models.ForeignKey(FaultRule, on_delete=models.PROTECT, related_name="alarms")
    status = models.CharField(
        _("status"), max_length=12, choices=AlarmStatus.choices, default=AlarmStatus.ACTIVE
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # System text: a `marketplace.texts` key and parameters (ADR 0018); `message` keeps
    # sentences written before keys existed.
    message = models.CharField(_("message"), max_length=300, blank=True)
    message_key = models.CharField(max_length=100, blank=True)
    message_params = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    last_triggered_at = models.DateTimeField(_("last triggered at"))
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    last_escalated_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "rule"],
                condition=Q(status__in=["active", "acknowledged"]),
                name="iot_one_open_alarm_per_rule",
            )
        ]
        indexes = [models.Index(fields=["organization", "status"])]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")

    def __str__(self) -> str:
        return self.display_message

    @property
    def display_message(self) -> str:
        """The message in the active language."""
        return _shown(self.message_key, self.message_params, self.message)

    @property
    def message_text(self) -> texts.Text | str:
        """The message as a parameter of another sentence (a notification's title)."""
        return (
            texts.Text(self.message_key, self.message_params) if self.message_key else self.message
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ALARM_STATUSES


class AlarmEvent(models.Model):
    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        REPEATED = "repeated", _("Repeated")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLEARED = "cleared", _("Cleared")
        ESCALATED = "escalated", _("Reminder sent")

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    value = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.kind}"


class LeadStatus(models.TextChoices):
    OPEN = "open", _("Open for quotes")
    ACCEPTED = "accepted", _("Quote accepted")
    CLOSED = "closed", _("Closed")


class ServiceLead(TenantModel):
    """A job offered to the supplier and to service providers. `organization` is the device
    owner, who accepts one quote. One lead per alarm, one per predicted crossing."""

    class Source(models.TextChoices):
        ALARM = "alarm", _("Alarm")
        PREDICTION = "prediction", _("Prediction")

    Status = LeadStatus

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="leads")
    alarm = models.OneToOneField(
        Alarm, on_delete=models.PROTECT, null=True, blank=True, related_name="lead"
    )
    rule = models.ForeignKey(FaultRule, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=LeadKind.choices)
    # System text: a `marketplace.texts` key and parameters (ADR 0018); `title` keeps
    # titles written before keys existed.
    title = models.CharField(_("title"), max_length=200, blank=True)
    title_key = models.CharField(max_length=100, blank=True)
    title_params = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict)
    predicted_failure_on = models.DateField(_("expected to fail on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "rule"],
                condition=Q(source="prediction", status="open"),
                name="iot_one_open_prediction_lead",
            )
        ]
        verbose_name = _("service lead")
        verbose_name_plural = _("service leads")

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the active language."""
        return _shown(self.title_key, self.title_params, self.title)

    @property
    def title_text(self) -> texts.Text | str:
        """The title as a parameter of another sentence (a notification's title)."""
        return texts.Text(self.title_key, self.title_params) if self.title_key else self.title

    @property
    def evidence_alarm(self) -> dict:
        """The alarm part of the evidence, its message rendered in the active language."""
        alarm = dict(self.evidence.get("alarm") or {})
        if not alarm:
            return alarm
        key = alarm.pop("message_key", "")
        params = alarm.pop("message_params", {})
        alarm["message"] = _shown(key, params, alarm.get("message", ""))
        return alarm

    @property
    def evidence_shown(self) -> dict:
        """The evidence with its alarm message rendered in the active language."""
        if "alarm" not in self.evidence:
            return self.evidence
        return {**self.evidence, "alarm": self.evidence_alarm}


class LeadRoute(models.Model):
    """The lead offered to one organization (the supplier or a ranked provider)."""

    class Role(models.TextChoices):
        SUPPLIER = "supplier", _("Supplier")
        PROVIDER = "provider", _("Service provider")

    lead = models.ForeignKey(ServiceLead, on_delete=models.CASCADE, related_name="routes")
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "organization"], name="iot_route_unique")
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} -> {self.organization_id}"


class LeadQuote(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Not chosen")

    lead = models.ForeignKey(ServiceLead, on_delete=models.PROTECT, related_name="quotes")
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    price_minor = models.BigIntegerField(_("price (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    days_to_service = models.PositiveSmallIntegerField(_("days to service"))
    note = models.TextField(_("note"), blank=True)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    response_seconds = models.PositiveIntegerField(default=0)
    # The order the accepted quote became (orders.services.order_open_for_service).
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["price_minor", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "organization"], name="iot_one_quote_per_org")
        ]

    def __str__(self) -> str:
        return f"quote {self.pk} on lead {self.lead_id}"


class RollupPending(models.Model):
    """An hour of one device's metric that received readings since its rollup was computed:
    ingestion marks it (one statement per batch), the rollup task recomputes and removes it."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "metric", "hour"], name="iot_rollup_pending_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.metric_id} {self.hour}"
