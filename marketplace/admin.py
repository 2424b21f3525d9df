from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from marketplace import services
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


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "verified", "created_at")
    list_filter = ("kind", "verified")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)
    actions = ("mark_verified",)

    def get_readonly_fields(self, request, obj=None):
        # Set on the add form; afterwards verification changes only through the action
        # (a service) or an audit, never by editing the field.
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else ("verified", *fields)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.organization_add(organization=obj)

    @admin.action(description=_("Mark selected organizations verified"))
    def mark_verified(self, request, queryset):
        updated = sum(
            services.organization_verification_set(
                organization=organization,
                verified=True,
                acting_user=request.user,
                reason=_("Marked verified by an operator in the admin."),
            )
            for organization in queryset
        )
        self.message_user(request, _("%(count)d organizations verified.") % {"count": updated})


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
    list_display = ("title", "organization", "recipient", "created_at", "read_at")
    list_filter = ("organization__kind",)
    search_fields = ("title", "recipient__email", "organization__name")
    list_select_related = ("organization", "recipient")
