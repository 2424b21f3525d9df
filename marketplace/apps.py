from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Accounts and organizations")

    def ready(self) -> None:
        # The schema extensions shared by every app's API; and the tasks, because
        # `notification_send` looks its email task up by name in every process (web
        # included), so it must be registered there too, not only in the worker.
        from marketplace import tasks  # noqa: F401
        from marketplace.api import schema  # noqa: F401
