from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from marketplace import services
from marketplace.console import selectors as console_selectors
from marketplace.console import staff
from marketplace.console.actions import reason_action
from marketplace.models import (
    ApiToken,
    Invitation,
    Membership,
    Notification,
    Organization,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)


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
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


def _verify(*, request, obj, reason):
    services.organization_verification_set(
        organization=obj, verified=True, acting_user=request.user, reason=reason
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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization__kind")
    search_fields = ("user__email", "organization__name")
    autocomplete_fields = ("user", "organization")
    list_select_related = ("user", "organization")
    readonly_fields = ("created_at",)


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
