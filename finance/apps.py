from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self) -> None:
        from finance import receivers  # noqa: F401 (connects the order-event receiver)
