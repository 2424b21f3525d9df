"""Operators' finance desk: confirm bank transfers, grant credit and record repayments,
decide advances and disputes, write off overdue credit, and reconcile the ledger.

Each form parses the operator's input and calls one service in `clean()`, so a refusal is
a message on the form's field and nothing is half-written; the ledger itself is read-only
here (no add, change or delete).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from finance import selectors
from finance.models import (
    Account,
    CreditDraw,
    CreditLine,
    DisputeDecision,
    FinancingAdvance,
    JournalTransaction,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    Posting,
    Refund,
    StripeEvent,
)
from finance.services import credit, disputes, financing, payments, payouts
from marketplace.console import staff
from marketplace.console.actions import reason_action
from marketplace.console.audit import audit_context
from marketplace.console.bases import (
    ReadOnlyAdmin,
    ServiceFormAdmin,
    ServiceFormMixin,
    call_service,
    parse_money,
)
from marketplace.models import Organization
from marketplace.money import DEFAULT_CURRENCY, Money


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount_minor", "currency", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "created_at", "kind", "reference", "order", "memo", "created_by")
    list_filter = ("kind",)
    search_fields = ("reference", "memo")
    list_select_related = ("order", "created_by")
    inlines = [PostingInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("pk", "organization", "purpose", "order", "currency", "balance")
    list_filter = ("purpose", "currency")
    search_fields = ("organization__name",)
    list_select_related = ("organization", "order")

    def get_urls(self):
        custom = [
            path(
                "reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="finance_reconciliation",
            )
        ]
        return custom + super().get_urls()

    def reconciliation_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reconciliation"),
            "report": selectors.reconciliation_report(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/finance/reconciliation.html", context)


# --- payments -----------------------------------------------------------------------------


class PaymentConfirmForm(forms.ModelForm):
    received_amount = forms.DecimalField(
        label=_("Amount received"),
        required=False,
        max_digits=18,
        decimal_places=4,
        help_text=_("As it arrived on the bank statement; short or over is recorded as such."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=255,
        help_text=_("The statement line it was matched against; kept in the audit log."),
    )

    class Meta:
        model = Payment
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        payment = self.instance
        value = cleaned.get("received_amount")
        if value is None:
            return cleaned
        received = parse_money(value, payment.currency, "received_amount")
        reason = (cleaned.get("reason") or "").strip()
        if not reason:
            raise ValidationError({"reason": [_("Give the reason for this decision.")]})
        with audit_context(acting_user=self.current_user, reason=reason):
            self.instance = call_service(
                payments.bank_transfer_confirm,
                form=self,
                field_map={"amount": "received_amount"},
                payment=payment,
                received=received,
                acting_user=self.current_user,
            )
        return cleaned


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "amount_minor", "currency", "status", "reason")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ServiceFormMixin, ExportMixin, admin.ModelAdmin):
    form = PaymentConfirmForm
    list_display = (
        "reference",
        "order",
        "organization",
        "purpose",
        "method",
        "amount",
        "received",
        "status",
        "created_at",
    )
    list_filter = ("status", "method", "purpose")
    search_fields = ("reference", "organization__name")
    list_select_related = ("order", "organization")
    readonly_fields = (
        "reference",
        "order",
        "organization",
        "purpose",
        "method",
        "amount",
        "received",
        "status",
        "stripe_payment_intent",
        "created_by",
        "confirmed_by",
        "created_at",
        "received_at",
    )
    inlines = [RefundInline]

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if self._confirmable(obj):
            fields[:0] = ["received_amount", "reason"]
        return fields

    @staticmethod
    def _confirmable(obj) -> bool:
        return (
            obj is not None
            and obj.method == PaymentMethod.BANK_TRANSFER
            and obj.status in (PaymentStatus.PENDING, PaymentStatus.PARTIAL)
        )

    def has_add_permission(self, request, obj=None):
        return False


# --- credit -------------------------------------------------------------------------------


class CreditLineForm(forms.ModelForm):
    buyer = forms.ModelChoiceField(
        label=_("Buyer"),
        queryset=Organization.objects.filter(kind=Organization.Kind.BUYER),
        required=False,
    )
    new_limit = forms.DecimalField(
        label=_("New limit"), required=False, max_digits=18, decimal_places=4, min_value=0
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=255,
        help_text=_("Required for any change; the buyer is told, the audit log keeps it."),
    )
    repayment_amount = forms.DecimalField(
        label=_("Repayment received"), required=False, max_digits=18, decimal_places=4
    )
    bank_reference = forms.CharField(label=_("Bank reference"), required=False, max_length=80)

    class Meta:
        model = CreditLine
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        # A new limit and a repayment in one submit: both or neither (a refused repayment
        # takes the limit change back with it).
        with transaction.atomic():
            return self._apply(cleaned)

    def _apply(self, cleaned):
        line = self.instance if self.instance.pk else None
        organization = line.organization if line else cleaned.get("buyer")
        currency = line.currency if line else DEFAULT_CURRENCY
        if organization is None:
            raise ValidationError({"buyer": [_("Choose the buyer.")]})
        reason = (cleaned.get("reason") or "").strip()
        changes = (cleaned.get("new_limit"), cleaned.get("repayment_amount"))
        if changes != (None, None) and not reason:
            raise ValidationError({"reason": [_("Give the reason for this decision.")]})
        if cleaned.get("new_limit") is not None:
            try:
                limit = Money.from_decimal(cleaned["new_limit"], currency)
            except ValueError as error:
                raise ValidationError({"new_limit": [_("No fractions of a cent.")]}) from error
            with audit_context(acting_user=self.current_user, reason=reason):
                self.instance = call_service(
                    credit.credit_limit_set,
                    form=self,
                    field_map={"limit": "new_limit", "organization": "buyer"},
                    organization=organization,
                    limit=limit,
                    reason=reason,
                    acting_user=self.current_user,
                )
        elif line is None:
            raise ValidationError({"new_limit": [_("Enter the limit to grant.")]})
        if cleaned.get("repayment_amount") is not None:
            amount = parse_money(cleaned["repayment_amount"], currency, "repayment_amount")
            with audit_context(acting_user=self.current_user, reason=reason):
                self.instance = call_service(
                    credit.credit_repay,
                    form=self,
                    field_map={"amount": "repayment_amount", "organization": "buyer"},
                    organization=organization,
                    amount=amount,
                    bank_reference=cleaned.get("bank_reference") or "",
                    acting_user=self.current_user,
                )
        return cleaned


class CreditDrawInline(admin.TabularInline):
    model = CreditDraw
    extra = 0
    can_delete = False
    readonly_fields = ("order", "amount_minor", "repaid_minor", "due_on", "status")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CreditLine)
class CreditLineAdmin(ServiceFormMixin, admin.ModelAdmin):
    form = CreditLineForm
    list_display = ("organization", "currency", "limit", "used", "available", "overdue")
    list_filter = ("overdue",)
    list_select_related = ("organization",)
    readonly_fields = ("organization", "currency", "limit", "used", "available", "overdue")
    inlines = [CreditDrawInline]

    @admin.display(description=_("limit"))
    def limit(self, obj):
        return obj.money(obj.limit_minor)

    @admin.display(description=_("used"))
    def used(self, obj):
        return obj.money(obj.used_minor)

    @admin.display(description=_("available"))
    def available(self, obj):
        return obj.money(obj.available_minor)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["buyer", "new_limit", "reason"]
        return [*self.readonly_fields, "new_limit", "reason", "repayment_amount", "bank_reference"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()


def _write_off(*, request, obj, reason):
    credit.credit_write_off(draw=obj, acting_user=request.user, reason=reason)


@admin.register(CreditDraw)
class CreditDrawAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("pk", "organization", "order", "amount", "repaid", "due_on", "status")
    list_filter = ("status", "due_on")
    search_fields = ("organization__name", "=order__pk")
    list_select_related = ("organization", "order", "credit_line")
    date_hierarchy = "due_on"

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, draw):
        return draw.credit_line.money(draw.amount_minor)

    @admin.display(description=_("repaid"), ordering="repaid_minor")
    def repaid(self, draw):
        return draw.credit_line.money(draw.repaid_minor)

    readonly_fields = [field.name for field in CreditDraw._meta.fields]
    actions = ["write_off"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    write_off = reason_action(
        name="write_off",
        description=_("Write off (covered by the guarantee fund)"),
        permission=staff.WRITE_OFF_CREDIT,
        decide=_write_off,
    )


# --- financing and disputes ---------------------------------------------------------------


def _advance_decider(*, approve: bool):
    def decide(*, request, obj, reason):
        financing.advance_decide(
            advance=obj, approve=approve, acting_user=request.user, reason=reason
        )

    return decide


@admin.register(FinancingAdvance)
class FinancingAdvanceAdmin(admin.ModelAdmin):
    list_display = ("pk", "organization", "order", "amount", "repaid_minor", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("organization", "order")
    readonly_fields = [field.name for field in FinancingAdvance._meta.fields]
    actions = ["approve", "reject"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    approve = reason_action(
        name="approve",
        description=_("Approve and pay the advance"),
        permission=staff.DECIDE_ADVANCE,
        decide=_advance_decider(approve=True),
    )
    reject = reason_action(
        name="reject",
        description=_("Reject"),
        permission=staff.DECIDE_ADVANCE,
        decide=_advance_decider(approve=False),
    )


class DisputeDecisionForm(forms.ModelForm):
    dispute = forms.ModelChoiceField(
        label=_("Dispute"),
        queryset=selectors.open_disputes(),
    )
    buyer_refund = forms.DecimalField(
        label=_("Refund to the buyer (split only)"),
        required=False,
        max_digits=18,
        decimal_places=4,
    )

    note = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Both parties see it; the audit log keeps it with your name."),
    )

    class Meta:
        model = DisputeDecision
        fields = ["outcome", "note"]

    def clean(self):
        cleaned = super().clean()
        dispute = cleaned.get("dispute")
        if dispute is None or not cleaned.get("outcome") or not cleaned.get("note"):
            return cleaned
        refund = None
        if cleaned.get("buyer_refund") is not None:
            refund = parse_money(cleaned["buyer_refund"], dispute.order.currency, "buyer_refund")
        with audit_context(acting_user=self.current_user, reason=cleaned["note"]):
            self.instance = call_service(
                disputes.dispute_decide,
                form=self,
                field_map={"refund": "buyer_refund"},
                dispute=dispute,
                outcome=cleaned["outcome"],
                refund=refund,
                note=cleaned["note"],
                acting_user=self.current_user,
            )
        return cleaned


@admin.register(DisputeDecision)
class DisputeDecisionAdmin(ServiceFormAdmin):
    """`dispute_decide` saves the decision in the form's clean()."""

    form = DisputeDecisionForm
    create_fields = ("dispute", "outcome", "buyer_refund", "note")
    list_display = ("dispute", "order", "outcome", "refund_minor", "release_minor", "decided_by")
    list_select_related = ("dispute", "order", "decided_by")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("pk", "order", "organization", "amount", "status", "reason", "created_at")
    list_filter = ("status",)
    search_fields = ("organization__name", "reason", "=order__pk")
    list_select_related = ("order", "organization")
    date_hierarchy = "created_at"


# --- payouts ------------------------------------------------------------------------------


class PayoutForm(forms.ModelForm):
    factory = forms.ModelChoiceField(
        label=_("Factory"),
        queryset=Organization.objects.filter(kind=Organization.Kind.FACTORY).order_by("name"),
    )
    amount = forms.DecimalField(
        label=_("Amount sent"),
        max_digits=18,
        decimal_places=4,
        help_text=_("As sent from the platform's bank; at most what the factory is owed."),
    )

    note = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("The factory is told; the audit log keeps it with your name."),
    )

    class Meta:
        model = Payout
        fields = ["bank_reference", "note"]

    def clean(self):
        cleaned = super().clean()
        factory = cleaned.get("factory")
        if factory is None or cleaned.get("amount") is None or self.errors:
            return cleaned
        with audit_context(acting_user=self.current_user, reason=cleaned["note"]):
            self.instance = call_service(
                payouts.payout_record,
                form=self,
                field_map={"organization": "factory"},
                organization=factory,
                amount=parse_money(cleaned["amount"], DEFAULT_CURRENCY, "amount"),
                bank_reference=cleaned.get("bank_reference") or "",
                note=cleaned["note"],
                acting_user=self.current_user,
            )
        return cleaned


@admin.register(Payout)
class PayoutAdmin(ServiceFormAdmin):
    """Record money sent to a factory's bank: the factory's payable goes down by it
    (`payout_record`, called from the form's clean())."""

    form = PayoutForm
    create_fields = ("factory", "amount", "bank_reference", "note")
    list_display = ("created_at", "organization", "amount", "bank_reference", "recorded_by")
    list_select_related = ("organization", "recorded_by")
    search_fields = ("organization__name", "bank_reference")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "payment", "received_at")
    search_fields = ("event_id",)
