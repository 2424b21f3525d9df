from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The operators' console: its audit-log tables and staff groups live here."""

    name = "marketplace.console"
    label = "console"
    verbose_name = _("Operators' console")
    default_auto_field = "django.db.models.BigAutoField"
