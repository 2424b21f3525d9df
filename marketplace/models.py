"""Tenancy: users, organizations and who belongs to which, plus API tokens and idempotency."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.tenancy import TenantQuerySet


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # The language of this person's emails (the pages follow the browser's choice).
    language = models.CharField(
        _("email language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    class Kind(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        FACTORY = "factory", _("Factory")
        SERVICE_PROVIDER = "service_provider", _("Service provider")
        OPERATOR = "operator", _("Platform operator")
        INSPECTION = "inspection", _("Inspection organization")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        # Its people sign in and see their work, but cannot quote, order, pay or pledge.
        SUSPENDED = "suspended", _("Suspended")

    SIGNUP_KINDS: ClassVar[tuple[str, ...]] = (Kind.BUYER, Kind.FACTORY, Kind.SERVICE_PROVIDER)

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    verified = models.BooleanField(_("verified"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    status_reason = models.CharField(_("reason for the status"), max_length=255, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        permissions = [("suspend_organization", _("Can suspend and restore organizations"))]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")
        # Specialists: they are told only of what their role acts on (`Notification.Topic`).
        SALES = "sales", _("Sales")
        FINANCE = "finance", _("Finance")
        PRODUCTION = "production", _("Production")

    MANAGING_ROLES: ClassVar[tuple[str, ...]] = (Role.OWNER, Role.ADMIN)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]
        ordering = ["organization__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Invitation(models.Model):
    """An email invitation to join an organization; the link carries a secret we store hashed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(
        _("role"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} -> {self.organization}"

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_secret(token)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A personal API key. Only its SHA-256 is stored; the key itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="default")
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate_key() -> str:
        return secrets.token_hex(20)

    @staticmethod
    def hash_key(key: str) -> str:
        return _hash_secret(key)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for 24 hours."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class NotificationTopic(models.TextChoices):
    """What a notification is about: it goes to the members whose role acts on it."""

    GENERAL = "general", _("Account and organization")
    QUOTES = "quotes", _("RFQs and quotes")
    MESSAGES = "messages", _("Messages")
    ORDERS = "orders", _("Orders and production")
    PAYMENTS = "payments", _("Payments and credit")
    SERVICE = "service", _("Equipment service")


# The specialist roles hear of their own topics; owners, admins and members of everything.
ROLE_TOPICS: dict[str, frozenset[str]] = {
    Membership.Role.SALES: frozenset(
        {NotificationTopic.GENERAL, NotificationTopic.QUOTES, NotificationTopic.MESSAGES}
    ),
    Membership.Role.FINANCE: frozenset({NotificationTopic.GENERAL, NotificationTopic.PAYMENTS}),
    Membership.Role.PRODUCTION: frozenset(
        {
            NotificationTopic.GENERAL,
            NotificationTopic.ORDERS,
            NotificationTopic.MESSAGES,
            NotificationTopic.SERVICE,
        }
    ),
}


def roles_for_topic(topic: str) -> tuple[str, ...]:
    return tuple(
        role
        for role in Membership.Role.values
        if role not in ROLE_TOPICS or topic in ROLE_TOPICS[role]
    )


class Notification(models.Model):
    """One row per person to tell: an in-app inbox entry, and usually an email.

    System text is kept as a key and parameters (`marketplace.texts`) and rendered in the
    reader's language; `title`/`body` hold words written by people (a message's text) and
    sentences from before keys existed."""

    Topic = NotificationTopic

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="notifications"
    )
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    topic = models.CharField(
        _("topic"),
        max_length=20,
        choices=NotificationTopic.choices,
        default=NotificationTopic.GENERAL,
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    title_key = models.CharField(max_length=100, blank=True)
    title_params = models.JSONField(default=dict, blank=True)
    body = models.TextField(_("body"), blank=True)
    body_key = models.CharField(max_length=100, blank=True)
    body_params = models.JSONField(default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # An email was asked for; `emailed_at` is set when it went out (or is going out now),
    # so a second task run, or the sweep, sends nothing more.
    email_requested = models.BooleanField(_("email requested"), default=False)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "organization", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the active language."""
        if self.title_key:
            return texts.render(self.title_key, self.title_params, fallback=self.title)
        return self.title

    @property
    def display_body(self) -> str:
        if self.body_key:
            return texts.render(self.body_key, self.body_params, fallback=self.body)
        return self.body


class NotificationPreference(models.Model):
    """A person's choice to get (or not) emails on one topic; no row means yes."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=NotificationTopic.choices)
    email = models.BooleanField(_("email me"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="unique_notification_pref")
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.topic}: {self.email}"
