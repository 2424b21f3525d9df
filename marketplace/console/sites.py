"""The operators' admin site: Django's, with the work queues on its index (each a count
and one click to the filtered list) and the platform dashboard among its pages."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils import timezone


class OperatorsAdminSite(admin.AdminSite):
    index_template = "admin/console/index.html"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from marketplace.console.actions import export_csv

        self.add_action(export_csv, "export_csv")

    def index(self, request, extra_context=None):
        # Imported here: this module loads with the app registry, before any model.
        from marketplace.console import selectors

        queues = selectors.work_queues_for(user=request.user, today=timezone.localdate())
        context = {**(extra_context or {}), "work_queues": queues}
        return super().index(request, extra_context=context)

    def get_urls(self):
        from marketplace.console.views import dashboard_urls

        return dashboard_urls(self) + super().get_urls()


class OperatorsAdminConfig(AdminConfig):
    default_site = "marketplace.console.sites.OperatorsAdminSite"
