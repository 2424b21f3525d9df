from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from factories.references import reference_resolver_register
        from orders import receivers  # noqa: F401  (connects the receivers)
        from orders.capacity import RESERVATION_PREFIX, reservation_link

        # The factory's calendar lists the holds and bookings of orders as links to them.
        reference_resolver_register(RESERVATION_PREFIX, reservation_link)
