"""The audit log: PostgreSQL triggers (django-pghistory) write an append-only event row
whenever a sensitive field changes, whoever changes it and however (admin, API, a task, a
shell). The request's operator and the decision's reason come from pghistory's context
(`marketplace.console.audit.audit_context` in the admin entry points; the middleware adds
the signed-in user and URL to every write request).

Only the fields that matter are copied, so the frequent writes on these rows (credit used,
escrow balances) leave no events.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from factories.models import AuditSubmission
from finance.models import (
    CreditDraw,
    CreditLine,
    DisputeDecision,
    FinancingAdvance,
    Payment,
    Payout,
)
from marketplace.models import Membership, Organization, User
from orders.models import Dispute, Order


def _tracked(model, *fields: str, insert: bool = True, delete: bool = False, name: str):
    """An append-only event model in this app; the tracked rows get no reverse accessor
    (their apps do not know about the log), the events are read through `AuditEvent`."""
    trackers: list[pghistory.RowEvent] = [pghistory.UpdateEvent()]
    if insert:
        trackers.insert(0, pghistory.InsertEvent())
    if delete:
        trackers.append(pghistory.DeleteEvent())
    return pghistory.create_event_model(
        model,
        *trackers,
        fields=list(fields),
        model_name=name,
        app_label="console",
        append_only=True,
        obj_field=pghistory.ObjForeignKey(related_name="+", db_constraint=False),
    )


class OrganizationEvent(
    _tracked(Organization, "verified", "status", "status_reason", name="OrganizationEvent")
):
    class Meta:
        verbose_name = _("organization event")


class MembershipEvent(
    _tracked(Membership, "user", "organization", "role", delete=True, name="MembershipEvent")
):
    class Meta:
        verbose_name = _("membership event")


class StaffUserEvent(
    _tracked(
        User, "email", "is_staff", "is_superuser", "is_active", insert=False, name="StaffUserEvent"
    )
):
    class Meta:
        verbose_name = _("staff account event")


class AuditSubmissionEvent(
    _tracked(
        AuditSubmission,
        "organization",
        "status",
        "decision_reason",
        "reviewed_by",
        insert=False,
        name="AuditSubmissionEvent",
    )
):
    class Meta:
        verbose_name = _("factory audit event")


class OrderStatusEvent(
    _tracked(Order, "buyer", "factory", "status", insert=False, name="OrderStatusEvent")
):
    """Every status change of an order (an operator's cancellation with its reason among
    them); the order's own timeline (`OrderEvent`) tells the parties, this the operators."""

    class Meta:
        verbose_name = _("order status event")


class DisputeEvent(
    _tracked(Dispute, "order", "status", "resolution", insert=False, name="DisputeEvent")
):
    class Meta:
        verbose_name = _("dispute event")


class DisputeDecisionEvent(
    _tracked(
        DisputeDecision,
        "dispute",
        "order",
        "outcome",
        "refund_minor",
        "release_minor",
        "currency",
        "note",
        "decided_by",
        name="DisputeDecisionEvent",
    )
):
    class Meta:
        verbose_name = _("dispute decision event")


class CreditLineEvent(
    _tracked(CreditLine, "organization", "limit_minor", "currency", name="CreditLineEvent")
):
    class Meta:
        verbose_name = _("credit limit event")


class CreditDrawEvent(
    _tracked(
        CreditDraw,
        "organization",
        "order",
        "status",
        "repaid_minor",
        insert=False,
        name="CreditDrawEvent",
    )
):
    class Meta:
        verbose_name = _("credit draw event")


class FinancingAdvanceEvent(
    _tracked(FinancingAdvance, "organization", "order", "status", name="FinancingAdvanceEvent")
):
    class Meta:
        verbose_name = _("financing advance event")


class PaymentEvent(
    _tracked(
        Payment,
        "organization",
        "order",
        "status",
        "received_minor",
        "confirmed_by",
        insert=False,
        name="PaymentEvent",
    )
):
    class Meta:
        verbose_name = _("payment event")


class SupportSession(models.Model):
    """An operator looking at one organization's pages read-only, for support: started from
    the organization's admin page with a reason, ended by leaving (or by expiring)."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operator"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    reason = models.CharField(_("reason"), max_length=255)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("support view")
        verbose_name_plural = _("support views")
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["organization", "-started_at"])]
        triggers = [
            pgtrigger.Protect(name="support_session_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.operator} · {self.organization}"


class SupportPageView(models.Model):
    """One request an operator made inside a support view: append-only (a trigger refuses
    updates and deletes), searchable in admin."""

    session = models.ForeignKey(
        SupportSession,
        on_delete=models.PROTECT,
        related_name="page_views",
        verbose_name=_("support view"),
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operator"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.TextField(_("page"))
    status_code = models.PositiveSmallIntegerField(_("answer"))
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("support page view")
        verbose_name_plural = _("support page views")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["organization", "-at"])]
        triggers = [
            pgtrigger.Protect(
                name="support_page_view_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class SupportSessionEvent(
    _tracked(
        SupportSession, "operator", "organization", "reason", "ended_at", name="SupportSessionEvent"
    )
):
    class Meta:
        verbose_name = _("support view event")


class PayoutEvent(
    _tracked(
        Payout,
        "organization",
        "amount_minor",
        "currency",
        "bank_reference",
        "recorded_by",
        name="PayoutEvent",
    )
):
    class Meta:
        verbose_name = _("payout event")


class AuditEvent(pghistory.models.Events):
    """Every event of every table above, newest first, with who and why (the admin's log)."""

    operator = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(
            User,
            on_delete=models.DO_NOTHING,
            null=True,
            blank=True,
            db_constraint=False,
            related_name="+",
            verbose_name=_("operator"),
        ),
    )
    reason = pghistory.ProxyField(
        "pgh_context__reason", models.TextField(_("reason"), null=True, blank=True)
    )
    url = pghistory.ProxyField("pgh_context__url", models.TextField(_("page"), null=True))

    class Meta:
        proxy = True
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
