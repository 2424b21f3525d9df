from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Accounts and organizations")

    def ready(self) -> None:
        # Registers the schema extensions shared by every app's API.
        # Services send the notification-email task by name (`celery_app.tasks[...]`):
        # register it in every process, not only in workers that autodiscover tasks.
        from marketplace import tasks  # noqa: F401
        from marketplace.api import schema  # noqa: F401
