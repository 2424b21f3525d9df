from django.apps import AppConfig


class FactoriesConfig(AppConfig):
    name = "factories"

    def ready(self) -> None:
        # A factory organization gets its profile in the transaction that creates it, so
        # no page or API read ever has to write one.
        from factories.receivers import organization_created_receiver
        from marketplace.signals import organization_created

        organization_created.connect(
            organization_created_receiver, dispatch_uid="factories.profile_on_organization"
        )
