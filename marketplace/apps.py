from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Accounts and organizations")

    def ready(self) -> None:
        # The schema extensions shared by every app's API, and the tasks services enqueue by
        # name (a web process never runs Celery's autodiscovery: the names resolve only once
        # the module is loaded).
        from django.utils.module_loading import autodiscover_modules

        from marketplace import tasks  # noqa: F401
        from marketplace.api import schema  # noqa: F401

        # Every app's system sentences (`marketplace.texts`), so a key stored by one process
        # renders in any other (a worker sending the email, a page, the API).
        autodiscover_modules("texts")
