"""Open orders with module lines for the massing tests and the benchmark. Orders are
inserted directly (their life cycle is the orders app's business, tested there); the
module lines go through `order_modules_attach` when a design is at hand."""

from __future__ import annotations

import datetime

from catalog.models import Category
from customization.models import OrderModule
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
) -> OrderModule:
    return OrderModule(
        organization=factory,
        order=order,
        name=f"Module {signature}",
        attributes={"signature": signature},
        signature=signature,
        quantity=quantity,
        window_start=start,
        window_end=end,
    )
