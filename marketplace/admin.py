from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from marketplace import services
from marketplace.console import selectors as console_selectors
from marketplace.console import staff
from marketplace.console.actions import reason_action
from marketplace.console.audit import audit_context
from marketplace.console.bases import call_service
from marketplace.models import (
    ApiToken,
    Invitation,
    Membership,
    Notification,
    Organization,
    User,
)

REASON_HELP = _("Required for this change; the audit log keeps it with your name.")


class MembershipInline(admin.TabularInline):
    """The first members are added with a new organization; afterwards roles change on the
    membership's own page, which asks for the reason."""

    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None and super().has_delete_permission(request, obj)


class ReasonSaveMixin:
    """A change form whose sensitive fields ask for a reason (`reason_fields`), recorded
    with the operator on the audit log around the save."""

    reason_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()  # type: ignore[misc]
        changed = set(self.changed_data) & set(self.reason_fields)  # type: ignore[attr-defined]
        if changed and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for this change."))  # type: ignore[attr-defined]
        return cleaned


class StaffChangeForm(ReasonSaveMixin, UserChangeForm):
    reason_fields = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=255, help_text=REASON_HELP
    )


class MembershipForm(ReasonSaveMixin, forms.ModelForm):
    """A new membership is saved with the reason; a role change goes through
    `membership_role_set` (an organization keeps one owner), called here so that its
    refusal is shown on the form."""

    reason_fields = ("user", "organization", "role")
    reason = forms.CharField(label=_("Reason"), max_length=255, help_text=REASON_HELP)
    current_user: User

    class Meta:
        model = Membership
        fields = ("user", "organization", "role")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "role" in self.changed_data and not self.errors:
            with audit_context(acting_user=self.current_user, reason=cleaned["reason"]):
                self.instance = call_service(
                    services.membership_role_set,
                    form=self,
                    membership=Membership.objects.get(pk=self.instance.pk),
                    role=cleaned["role"],
                    acting_user=self.current_user,
                )
        return cleaned


def _save_with_reason(request, form, save) -> None:
    reason = (form.cleaned_data.get("reason") or "").strip()
    if reason:
        with audit_context(acting_user=request.user, reason=reason):
            save()
    else:
        save()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                    "reason",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    form = StaffChangeForm

    def save_model(self, request, obj, form, change):
        _save_with_reason(
            request, form, lambda: super(UserAdmin, self).save_model(request, obj, form, change)
        )

    def save_related(self, request, form, formsets, change):
        _save_with_reason(
            request,
            form,
            lambda: super(UserAdmin, self).save_related(request, form, formsets, change),
        )


def _verify(*, request, obj, reason):
    services.organization_verification_set(
        organization=obj, verified=True, acting_user=request.user, reason=reason, notify=True
    )


def _suspend(*, request, obj, reason):
    services.organization_status_set(
        organization=obj, suspended=True, reason=reason, acting_user=request.user
    )


def _restore(*, request, obj, reason):
    services.organization_status_set(
        organization=obj, suspended=False, reason=reason, acting_user=request.user
    )


@admin.register(Organization)
class OrganizationAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "verified", "status", "member_count", "created_at")
    list_filter = ("kind", "verified", "status")
    search_fields = ("name", "slug")
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "status", "status_reason", "status_changed_at", "open_work")
    inlines = (MembershipInline,)
    actions = ("mark_verified", "suspend", "restore")
    change_form_template = "admin/console/organization_change_form.html"

    mark_verified = reason_action(
        name="mark_verified",
        description=_("Mark selected organizations verified"),
        permission="marketplace.change_organization",
        decide=_verify,
    )
    suspend = reason_action(
        name="suspend",
        description=_("Suspend (they can see their work but not quote, order, pay or pledge)"),
        permission=staff.SUSPEND_ORGANIZATION,
        decide=_suspend,
    )
    restore = reason_action(
        name="restore",
        description=_("Restore suspended organizations"),
        permission=staff.SUSPEND_ORGANIZATION,
        decide=_restore,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            **(extra_context or {}),
            "can_start_support_view": request.user.has_perm(staff.START_SUPPORT_VIEW),
        }
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, organization):
        return organization.member_total

    @admin.display(description=_("open work"))
    def open_work(self, organization):
        work = console_selectors.organization_open_work(organization=organization)
        return render_to_string(
            "admin/console/open_work.html", {"work": work, "organization": organization}
        )

    def get_readonly_fields(self, request, obj=None):
        # Set on the add form; afterwards verification and status change only through the
        # actions (services, with a reason on the audit log), never by editing the field.
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else ("verified", *fields)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "open_work"] if obj is None else fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.organization_add(organization=obj)


def _remove_member(*, request, obj, reason):
    services.membership_remove(membership=obj, acting_user=request.user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles change on the membership's page with a reason; a member leaves through the
    `remove` action, which asks for the reason and keeps the organization's last owner."""

    form = MembershipForm
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization__kind")
    search_fields = ("user__email", "organization__name")
    autocomplete_fields = ("user", "organization")
    list_select_related = ("user", "organization")
    actions = ("remove",)

    remove = reason_action(
        name="remove",
        description=_("Remove from the organization"),
        permission="marketplace.delete_membership",
        decide=_remove_member,
    )

    def has_delete_permission(self, request, obj=None):
        return False  # the `remove` action, with its reason, instead

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person in one organization: only its role changes.
        return ("created_at",) if obj is None else ("user", "organization", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.current_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return  # the role, the only thing that changes, was saved by the form's service
        _save_with_reason(
            request,
            form,
            lambda: super(MembershipAdmin, self).save_model(request, obj, form, change),
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("role",)
    search_fields = ("email", "organization__name")
    readonly_fields = ("token_hash",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    search_fields = ("user__email", "prefix")
    readonly_fields = ("key_hash", "prefix")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "topic", "organization", "recipient", "created_at", "read_at")
    list_filter = ("organization__kind", "topic")
    search_fields = ("title", "title_key", "recipient__email", "organization__name")
    list_select_related = ("organization", "recipient")
