"""Open orders with module lines for the massing tests and the benchmark. Orders are
inserted directly (their life cycle is the orders app's business, tested there); the
module lines go through `order_modules_attach` when a design is at hand. Capacity is
published straight into the factory's calendar rows, for any day (the calendar service
keeps to its rolling window around the real today; the massing tests pick their own)."""

from __future__ import annotations

import datetime

from catalog.models import Category
from customization.models import OrderModule
from factories.models import CapacityDay
from marketplace.models import Organization
from orders.models import Order, OrderStatus


def make_orders(
    *,
    buyer: Organization,
    factory: Organization,
    category: Category,
    count: int,
    ready_by: datetime.date,
) -> list[Order]:
    return Order.objects.bulk_create(
        Order(
            buyer=buyer,
            factory=factory,
            category=category,
            title=f"Custom order {index}",
            quantity=30,
            unit_price_minor=10_000,
            lead_time_days=7,
            status=OrderStatus.IN_PRODUCTION,
            ready_by=ready_by,
        )
        for index in range(count)
    )


def module_line(
    *,
    factory: Organization,
    order: Order,
    signature: str,
    start: datetime.date,
    end: datetime.date,
    quantity: int = 30,
    units: int = 30,
) -> OrderModule:
    return OrderModule(
        organization=factory,
        order=order,
        name=f"Module {signature}",
        attributes={"signature": signature},
        signature=signature,
        quantity=quantity,
        units=units,
        window_start=start,
        window_end=end,
    )


def publish_capacity(
    *,
    factory: Organization,
    category: Category,
    start: datetime.date,
    units: list[int] | int,
    days: int = 30,
) -> dict[datetime.date, int]:
    """Offer `units` a day (or units[i] on day i) from `start`; returns the calendar."""
    per_day = units if isinstance(units, list) else [units] * days
    calendar = {start + datetime.timedelta(days=i): count for i, count in enumerate(per_day)}
    CapacityDay.objects.bulk_create(
        CapacityDay(organization=factory, category=category, date=day, units=count)
        for day, count in calendar.items()
    )
    return calendar
