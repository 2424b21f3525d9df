from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The operators' console: its audit-log tables and staff groups live here."""

    name = "marketplace.console"
    label = "console"
    verbose_name = _("Operators' console")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_staff_groups, sender=self)

        from django.contrib.auth.signals import user_logged_out

        from marketplace.console.support import support_view_end_on_sign_out

        user_logged_out.connect(support_view_end_on_sign_out, dispatch_uid="console_support_view")


def _sync_staff_groups(**kwargs) -> None:
    from marketplace.console.staff import staff_groups_sync

    staff_groups_sync()
