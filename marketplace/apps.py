from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Accounts and organizations")

    def ready(self) -> None:
        # Registers the schema extensions shared by every app's API.
        from marketplace.api import schema  # noqa: F401
