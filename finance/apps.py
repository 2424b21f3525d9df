from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self) -> None:
        from finance import receivers  # noqa: F401 (connects the order_transitioned receiver)
        from finance.services.order_money import production_funding_guard
        from orders.transitions import Action, register_guard

        register_guard(Action.START_PRODUCTION, production_funding_guard)
