"""Operators' view of RFQs, quotes and orders. Status changes go through the transition
service (admin actions act as the OPERATOR party); the status itself is never edited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError
from orders import services
from orders.models import (
    RFQ,
    Dispute,
    Inspection,
    InspectionChecklistItem,
    Order,
    OrderEvent,
    Quote,
    Review,
    RFQInvitation,
)
from orders.transitions import Action


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
        "note",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class InspectionInline(admin.TabularInline):
    model = Inspection
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "sample_size", "acceptance_number", "defects_found", "passed")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, action: Action, note: Promise) -> None:
    """Each selected order in its own transaction, as the OPERATOR party (a staff user
    without an organization): one refused order does not hold back the others."""
    done = 0
    for order in queryset:
        try:
            services.order_transition(
                order=order,
                action=action,
                acting_user=request.user,
                acting_organization=None,
                note=str(note),
            )
            done += 1
        except (DomainError, ValidationError) as error:
            modeladmin.message_user(request, f"{order.number}: {error}", messages.WARNING)
    if done:
        modeladmin.message_user(request, _("%(count)d order(s) updated.") % {"count": done})


@admin.action(description=_("Resolve dispute and complete the order"))
def resolve_dispute(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, Action.RESOLVE_DISPUTE, _("Resolved by the operator."))


@admin.action(description=_("Cancel the order (releases capacity)"))
def cancel_order(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, Action.CANCEL, _("Cancelled by the operator."))


@admin.action(description=_("Record payment received"))
def record_payment(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, Action.MARK_PAID, _("Payment confirmed by the operator."))


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "buyer", "factory", "quantity", "status", "ready_by")
    list_filter = ("status",)
    search_fields = ("title", "buyer__name", "factory__name", "tracking_number")
    list_select_related = ("buyer", "factory")
    actions = [resolve_dispute, cancel_order, record_payment]
    inlines = [OrderEventInline, InspectionInline]
    exclude = ("production_plan",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields if field.name != "production_plan"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ("order", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    readonly_fields = ("order", "opened_by", "reason", "status", "resolution", "resolved_at")


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
