"""Operators' view of RFQs, quotes and orders. Status changes go through the transition
service (admin actions act as the OPERATOR party); the status itself is never edited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ExportMixin

from finance import selectors as finance_selectors
from finance.services import disputes as dispute_services
from marketplace.console import staff
from marketplace.console.actions import reason_action
from marketplace.console.audit import audit_context
from marketplace.console.bases import call_service, parse_money
from marketplace.money import Money
from marketplace.storage import private_file_response
from orders import services
from orders.models import (
    RFQ,
    Dispute,
    DisputeEvidence,
    Inspection,
    InspectionChecklistItem,
    Order,
    OrderEvent,
    Quote,
    Review,
    RFQInvitation,
)
from orders.transitions import Action

DisputeOutcome = finance_selectors.DisputeOutcome


class RFQInvitationInline(admin.TabularInline):
    model = RFQInvitation
    extra = 0
    can_delete = False
    readonly_fields = ("factory", "round", "rank", "score", "status", "source", "invited_at")
    fields = readonly_fields


@admin.register(RFQ)
class RFQAdmin(admin.ModelAdmin):
    list_display = ("pk", "title", "buyer", "category", "quantity", "ready_by", "status")
    list_filter = ("status", "category")
    search_fields = ("title", "buyer__name")
    list_select_related = ("buyer", "category")
    readonly_fields = ("buyer", "created_by", "invite_rounds", "last_invited_at", "matched_at")
    inlines = [RFQInvitationInline]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ("pk", "rfq", "factory", "unit_price", "lead_time_days", "status", "revision")
    list_filter = ("status",)
    list_select_related = ("rfq", "factory")
    readonly_fields = ("rfq", "factory", "created_by", "status", "revision")


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "at",
        "actor",
        "actor_organization",
        "action",
        "from_status",
        "to_status",
        "note_shown",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("note"))
    def note_shown(self, event: OrderEvent) -> str:
        return event.display_note


class InspectionInline(admin.TabularInline):
    model = Inspection
    extra = 0
    can_delete = False
    readonly_fields = (
        "created_at",
        "inspector_organization",
        "self_check",
        "accepted_at",
        "aql",
        "sample_size",
        "acceptance_number",
        "defects_found",
        "passed",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


def _cancel(*, request, obj, reason):
    """As the OPERATOR party (a staff user without an organization); the reason is the
    timeline's note, so both parties read it in their notification."""
    services.order_transition(
        order=obj,
        action=Action.CANCEL,
        acting_user=request.user,
        acting_organization=None,
        note=reason,
    )


class OrderResource(resources.ModelResource):
    """CSV export of the order list: money in major units beside its currency."""

    buyer = fields.Field(attribute="buyer__name", column_name="buyer")
    factory = fields.Field(attribute="factory__name", column_name="factory")
    unit_price = fields.Field(column_name="unit_price")
    goods_total = fields.Field(column_name="goods_total")

    class Meta:
        model = Order
        fields = ("id", "title", "buyer", "factory", "quantity", "currency", "unit_price",
                  "goods_total", "status", "ready_by", "created_at", "delivered_at")  # fmt: skip
        export_order = fields

    def dehydrate_unit_price(self, order):
        return Money(order.unit_price_minor, order.currency).as_wire()["amount"]

    def dehydrate_goods_total(self, order):
        return order.goods_total.as_wire()["amount"]


@admin.register(Order)
class OrderAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [OrderResource]
    list_display = ("heading", "title", "quantity", "unit_price", "goods", "status", "ready_by")
    list_filter = ("status", "category", "currency")
    search_fields = ("=id", "title", "buyer__name", "factory__name", "tracking_number")
    list_select_related = ("buyer", "factory")
    date_hierarchy = "created_at"
    # A dispute is decided on its own page (money through Finance); orders are paid through
    # Finance too. Cancelling is the one bulk decision, with a reason.
    actions = ["cancel_order"]
    cancel_order = reason_action(
        name="cancel_order",
        description=_("Cancel the order (releases capacity)"),
        permission=staff.CANCEL_ORDER,
        decide=_cancel,
    )
    inlines = [OrderEventInline, InspectionInline]
    exclude = ("production_plan",)
    show_full_result_count = False

    @admin.display(description=_("order"), ordering="pk")
    def heading(self, order):
        return f"{order.number} · {order.buyer.name} -> {order.factory.name}"

    @admin.display(description=_("unit price"), ordering="unit_price_minor")
    def unit_price(self, order):
        return Money(order.unit_price_minor, order.currency)

    @admin.display(description=_("goods"))
    def goods(self, order):
        return order.goods_total

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields if field.name != "production_plan"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DisputeDecisionForm(forms.Form):
    """The operator's money decision, taken on the dispute's own page."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=DisputeOutcome.choices)
    buyer_refund = forms.DecimalField(
        label=_("Refund to the buyer (split only)"),
        required=False,
        max_digits=18,
        decimal_places=4,
        help_text=_("The rest of what escrow holds is released to the factory."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Both parties see it; the audit log keeps it with your name."),
    )

    def __init__(self, *args, dispute, currency: str, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.dispute, self.currency, self.acting_user = dispute, currency, acting_user

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        refund = None
        if cleaned["outcome"] == DisputeOutcome.SPLIT:
            if cleaned.get("buyer_refund") is None:
                raise ValidationError({"buyer_refund": [_("Enter the buyer's share.")]})
            refund = parse_money(cleaned["buyer_refund"], self.currency, "buyer_refund")
        with audit_context(acting_user=self.acting_user, reason=cleaned["reason"]):
            self.decision = call_service(
                dispute_services.dispute_decide,
                form=self,
                field_map={"refund": "buyer_refund"},
                dispute=self.dispute,
                outcome=cleaned["outcome"],
                refund=refund,
                note=cleaned["reason"],
                acting_user=self.acting_user,
            )
        return cleaned


class DisputeEvidenceInline(admin.TabularInline):
    model = DisputeEvidence
    extra = 0
    can_delete = False
    fields = ("file_link", "created_at")
    readonly_fields = fields

    @admin.display(description=_("evidence"))
    def file_link(self, evidence):
        url = reverse("admin:orders_dispute_evidence", args=[evidence.dispute_id, evidence.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, evidence.original_name)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """A dispute is decided here: the buyer's complaint and evidence, the factory's side
    (its notes on the order's timeline and the inspections), what escrow holds, and the
    decision form (release, refund or split) that calls Finance's service."""

    change_form_template = "admin/orders/dispute/change_form.html"
    list_display = ("title", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    search_fields = ("reason", "order__buyer__name", "order__factory__name", "=order__pk")
    list_select_related = ("order__buyer", "order__factory")
    date_hierarchy = "created_at"
    readonly_fields = ("order", "opened_by", "reason", "status", "resolution", "resolved_at")
    raw_id_fields = ("order", "opened_by")
    inlines = [DisputeEvidenceInline]

    @admin.display(description=_("dispute"), ordering="pk")
    def title(self, dispute):
        order = dispute.order
        return f"{order.number} · {order.buyer.name} -> {order.factory.name}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on a dispute is edited; the decision form below is its one write.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        evidence = path(
            "<int:dispute_pk>/evidence/<int:pk>/",
            self.admin_site.admin_view(self.evidence_view),
            name="orders_dispute_evidence",
        )
        return [evidence, *super().get_urls()]

    def evidence_view(self, request, dispute_pk: int, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        evidence = get_object_or_404(DisputeEvidence, pk=pk, dispute_id=dispute_pk)
        return private_file_response(
            evidence.file, download_name=evidence.original_name, inline=True
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dispute = self.get_object(request, object_id)
        if dispute is None:
            return super().change_view(request, object_id, form_url, extra_context)
        decision = finance_selectors.dispute_decision_for(dispute_pk=dispute.pk)
        escrow = finance_selectors.order_escrow(order_pk=dispute.order_id)
        currency = escrow.currency if escrow else dispute.order.currency
        can_decide = decision is None and request.user.has_perm(staff.DECIDE_DISPUTE)
        form = None
        if request.method == "POST":
            if decision is not None or not request.user.has_perm(staff.DECIDE_DISPUTE):
                raise PermissionDenied
            form = DisputeDecisionForm(
                request.POST, dispute=dispute, currency=currency, acting_user=request.user
            )
            if form.is_valid():
                self.message_user(request, _("Decided: %(d)s.") % {"d": form.decision})
                return HttpResponseRedirect(request.path)
        elif can_decide:
            form = DisputeDecisionForm(dispute=dispute, currency=currency, acting_user=request.user)
        order = dispute.order
        context = {
            **(extra_context or {}),
            "title": self.title(dispute),
            "decision_form": form,
            "decision": decision,
            "decision_money": decision
            and {
                "refund": Money(decision.refund_minor, decision.currency),
                "release": Money(decision.release_minor, decision.currency),
            },
            "escrow": escrow,
            "order": order,
            "events": order.events.select_related("actor", "actor_organization"),
            "inspections": order.inspections.all(),
        }
        if request.method == "POST":
            # The decision form is this page's only write and was handled above: the page
            # itself (view-only) is rendered again around the form and its errors.
            request.method = "GET"
        return super().change_view(request, object_id, form_url, context)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("order", "factory", "quality", "delivery", "communication", "created_at")
    list_select_related = ("order", "factory")
    readonly_fields = ("order", "buyer", "factory", "author")


@admin.register(InspectionChecklistItem)
class InspectionChecklistItemAdmin(admin.ModelAdmin):
    list_display = ("category", "position", "text")
    list_filter = ("category",)
    ordering = ("category", "position")
