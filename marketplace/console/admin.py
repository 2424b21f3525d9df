"""The audit log in admin: every sensitive change, newest first, searchable by the
operator, the reason and the object; read-only for everyone, superusers included
(registered by pghistory's admin app through `PGHISTORY_ADMIN_CLASS`)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin

from marketplace.console.models import SupportPageView, SupportSession


class AuditEventAdmin(EventsAdmin):
    list_display = ("pgh_created_at", "what", "pgh_obj_id", "pgh_label", "changes", "who", "why")
    search_fields = ("pgh_obj_id", "reason", "operator__email", "pgh_obj_model")
    list_per_page = 50
    show_full_result_count = False

    def get_list_display(self, request):
        return self.list_display

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("operator")

    @admin.display(description=_("what"), ordering="pgh_obj_model")
    def what(self, event):
        return event.pgh_obj_model

    @admin.display(description=_("changes"))
    def changes(self, event):
        diff = event.pgh_diff or {}
        if not diff:
            data = event.pgh_data or {}
            diff = {key: [None, value] for key, value in data.items() if key != "id"}
        return format_html_join(
            "; ", "{}: {} → {}", ((key, old, new) for key, (old, new) in sorted(diff.items()))
        )

    @admin.display(description=_("operator"))
    def who(self, event):
        return event.operator or "—"

    @admin.display(description=_("reason"))
    def why(self, event):
        return event.reason or ""


class _ReadOnly(admin.ModelAdmin):
    """Kept as written: no add, change or delete, for superusers too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupportSession)
class SupportSessionAdmin(_ReadOnly):
    """Support views: who looked at which organization's pages, why, and for how long."""

    list_display = ("started_at", "operator", "organization", "reason", "ended_at")
    list_filter = ("organization__kind",)
    search_fields = ("operator__email", "organization__name", "reason")
    list_select_related = ("operator", "organization")
    date_hierarchy = "started_at"


@admin.register(SupportPageView)
class SupportPageViewAdmin(_ReadOnly):
    """Every request made inside a support view (append-only)."""

    list_display = ("at", "operator", "organization", "method", "path", "status_code")
    list_filter = ("method", "status_code", "organization__kind")
    search_fields = ("operator__email", "organization__name", "path")
    list_select_related = ("operator", "organization")
    date_hierarchy = "at"
    show_full_result_count = False
