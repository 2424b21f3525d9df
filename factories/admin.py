"""Operators' tools: review audits (approve / reject with a reason), inspect profiles,
calendars and reservations."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from factories import services
from factories.models import (
    AuditEvidence,
    AuditSubmission,
    CapacityDay,
    Certification,
    Equipment,
    FactoryPerformance,
    FactoryPhoto,
    FactoryProfile,
    ProductionLine,
    Reservation,
    ReservationDay,
    ReservationEvent,
)
from marketplace.console.audit import audit_context
from marketplace.console.bases import call_service
from marketplace.models import User


class AuditEvidenceInline(admin.TabularInline):
    model = AuditEvidence
    extra = 0
    can_delete = False
    fields = ("kind", "file_link", "description")
    readonly_fields = ("kind", "file_link", "description")

    @admin.display(description=_("file"))
    def file_link(self, evidence):
        url = reverse("factories:audit_evidence_download", kwargs={"pk": evidence.pk})
        return format_html('<a href="{}">{}</a>', url, evidence.file.name)

    def has_add_permission(self, request, obj=None):
        return False


class AuditDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "---------"), ("approve", _("Approve")), ("reject", _("Reject"))],
        required=False,
    )

    current_user: User

    class Meta:
        model = AuditSubmission
        fields = ("decision", "decision_reason")

    def clean(self):
        """The decision is taken here, by the audit service, so that a refusal (a submission
        decided meanwhile) is shown on the form."""
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision and "decision_reason" not in self.fields:
            # Decided by someone else since this form was opened: the page now shows that.
            raise ValidationError(_("This submission was decided meanwhile; nothing was changed."))
        reason = (cleaned.get("decision_reason") or "").strip()
        if decision and not reason:
            message = (
                _("Tell the factory why it is rejected.")
                if decision == "reject"
                else _("Give the reason for this decision.")
            )
            self.add_error("decision_reason", message)
        if not decision or self.errors:
            return cleaned
        submission = AuditSubmission.objects.get(pk=self.instance.pk)
        with audit_context(acting_user=self.current_user, reason=reason):
            if decision == "approve":
                call_service(
                    services.audit_approve,
                    form=self,
                    submission=submission,
                    reviewer=self.current_user,
                    note=reason,
                )
            else:
                call_service(
                    services.audit_reject,
                    form=self,
                    field_map={"reason": "decision_reason"},
                    submission=submission,
                    reviewer=self.current_user,
                    reason=reason,
                )
        return cleaned


@admin.register(AuditSubmission)
class AuditSubmissionAdmin(admin.ModelAdmin):
    form = AuditDecisionForm
    list_display = (
        "organization",
        "legal_name",
        "business_registration_number",
        "status",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
    )
    list_filter = ("status",)
    search_fields = ("organization__name", "legal_name", "business_registration_number")
    inlines = (AuditEvidenceInline,)
    readonly_fields = (
        "organization",
        "status",
        "legal_name",
        "business_registration_number",
        "note",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "profile_link",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "organization",
                    "profile_link",
                    "status",
                    "legal_name",
                    "business_registration_number",
                    "note",
                    "submitted_by",
                    "submitted_at",
                )
            },
        ),
        (_("Decision"), {"fields": ("decision", "decision_reason", "reviewed_by", "reviewed_at")}),
    )

    @admin.display(description=_("public profile"))
    def profile_link(self, submission):
        return format_html(
            '<a href="/factories/{}/" target="_blank">{}</a>',
            submission.organization_id,
            _("Open the virtual factory"),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # audit history is kept

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != AuditSubmission.Status.PENDING:
            fields.append("decision_reason")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status != AuditSubmission.Status.PENDING:
            decided = ("decision_reason", "reviewed_by", "reviewed_at")
            return (fieldsets[0], (_("Decision"), {"fields": decided}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status != AuditSubmission.Status.PENDING:
            kwargs["fields"] = ()
        form = super().get_form(request, obj, change=change, **kwargs)
        form.current_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        """The audit service saved the decision in the form's clean()."""
        decision = form.cleaned_data.get("decision")
        if decision == "approve":
            self.message_user(request, _("Approved: the factory is now verified."))
        elif decision == "reject":
            self.message_user(request, _("Rejected: the factory was told why."))


class PhotoInline(admin.TabularInline):
    model = FactoryPhoto
    fk_name = "organization"
    extra = 0


@admin.register(FactoryProfile)
class FactoryProfileAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "region",
        "city",
        "audit_status",
        "verified",
        "min_order_quantity",
        "standard_lead_days",
        "free_sampling",
        "calendar_stale",
    )
    list_filter = ("audit_status", "free_sampling", "calendar_stale", "region")
    search_fields = ("organization__name", "city", "region")
    filter_horizontal = ("categories",)
    readonly_fields = ("audit_status", "calendar_stale", "calendar_stale_since")
    list_select_related = ("organization",)

    @admin.display(boolean=True, description=_("verified"))
    def verified(self, profile):
        return profile.organization.verified


@admin.register(ProductionLine)
class ProductionLineAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "category", "daily_output", "workers")
    list_select_related = ("organization", "category")
    search_fields = ("name", "organization__name")


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "manufacturer", "model_number", "quantity", "year")
    list_select_related = ("organization",)
    search_fields = ("name", "organization__name")


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "issuer", "expires_on", "expired")
    list_select_related = ("organization",)
    list_filter = ("name",)
    search_fields = ("name", "organization__name", "number")

    @admin.display(boolean=True, description=_("expired"))
    def expired(self, certification):
        return certification.is_expired


@admin.register(FactoryPhoto)
class FactoryPhotoAdmin(admin.ModelAdmin):
    list_display = ("__str__", "organization", "width", "height", "created_at")
    list_select_related = ("organization",)


@admin.register(CapacityDay)
class CapacityDayAdmin(admin.ModelAdmin):
    """Read-only: the calendar changes only through the services (never overbooked)."""

    list_display = ("organization", "category", "date", "units", "held", "booked")
    list_filter = ("category",)
    list_select_related = ("organization", "category")
    search_fields = ("organization__name",)
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReservationDayInline(admin.TabularInline):
    model = ReservationDay
    extra = 0
    can_delete = False
    readonly_fields = ("date", "units")


class ReservationEventInline(admin.TabularInline):
    model = ReservationEvent
    extra = 0
    can_delete = False
    fields = ("action", "at", "note_shown")
    readonly_fields = ("action", "at", "note_shown")

    @admin.display(description=_("note"))
    def note_shown(self, event: ReservationEvent) -> str:
        return event.display_note


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ("reference", "organization", "category", "status", "quantity", "expires_at")
    list_filter = ("status",)
    list_select_related = ("organization", "category")
    search_fields = ("reference", "organization__name")
    inlines = (ReservationDayInline, ReservationEventInline)
    readonly_fields = (
        "organization",
        "category",
        "reference",
        "status",
        "quantity",
        "expires_at",
        "created_at",
        "confirmed_at",
        "released_at",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FactoryPerformance)
class FactoryPerformanceAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "on_time_rate",
        "defect_rate",
        "repeat_buyer_rate",
        "median_quote_response_hours",
        "rating",
        "bookings_count",
        "computed_at",
    )
    list_select_related = ("organization",)
