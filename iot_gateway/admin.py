"""Operators' view of equipment alarms and the service leads made from them: read-only
lists (alarms change through the owners' acknowledgements and the rules; leads through
providers' quotes), with the queue of open alarms that no lead has picked up."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from iot_gateway.models import Alarm, ServiceLead
from marketplace.console.bases import ReadOnlyAdmin


class HasLeadFilter(admin.SimpleListFilter):
    title = _("service lead")
    parameter_name = "has_lead"

    def lookups(self, request, model_admin):
        return [("yes", _("With a lead")), ("no", _("Without a lead"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(lead__isnull=self.value() == "no")
        return queryset


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ("shown_message", "organization", "device", "severity", "status", "raised_at")
    list_filter = ("status", "severity", HasLeadFilter)
    search_fields = ("rule__name", "organization__name", "device__serial_number")
    list_select_related = ("organization", "device")
    date_hierarchy = "raised_at"
    raw_id_fields = ("device", "rule", "acknowledged_by")

    @admin.display(description=_("message"))
    def shown_message(self, alarm: Alarm) -> str:
        return alarm.display_message


@admin.register(ServiceLead)
class ServiceLeadAdmin(ReadOnlyAdmin):
    list_display = ("shown_title", "organization", "device", "kind", "status", "created_at")
    list_filter = ("status", "kind", "source")
    search_fields = ("device__name", "organization__name", "device__serial_number")
    list_select_related = ("organization", "device")
    date_hierarchy = "created_at"
    raw_id_fields = ("device", "alarm", "rule")

    @admin.display(description=_("title"))
    def shown_title(self, lead: ServiceLead) -> str:
        return lead.display_title
