"""A factory's record from its order history and reviews, pushed to Factories (which shows
it on the profile and uses it in the search score)."""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Avg, Count, F, Q, Sum

from marketplace.models import Organization
from orders import capacity
from orders.models import Inspection, Order, OrderStatus, Quote, Review

SHIPPED_STATUSES = (
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.DISPUTED,
)


def _on_time_rate(factory: Organization) -> float | None:
    shipped = Order.objects.filter(factory=factory, shipped_on__isnull=False)
    figures = shipped.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(shipped_on__lte=F("ready_by")))
    )
    return figures["on_time"] / figures["total"] if figures["total"] else None


def _defect_rate(factory: Organization) -> float | None:
    figures = Inspection.objects.filter(order__factory=factory).aggregate(
        defects=Sum("defects_found"), sampled=Sum("sample_size")
    )
    return figures["defects"] / figures["sampled"] if figures["sampled"] else None


def _repeat_buyer_rate(factory: Organization) -> float | None:
    per_buyer = (
        Order.objects.filter(factory=factory)
        .exclude(status=OrderStatus.CANCELLED)
        .values("buyer")
        .annotate(orders=Count("pk"))
    )
    counts = [row["orders"] for row in per_buyer]
    return sum(1 for count in counts if count > 1) / len(counts) if counts else None


def _median_quote_response_hours(factory: Organization) -> float | None:
    pairs = Quote.objects.filter(factory=factory, rfq__invitations__factory=factory).values_list(
        "created_at", "rfq__invitations__invited_at"
    )
    hours = [
        max((quoted - invited).total_seconds(), 0) / 3600 for quoted, invited in pairs if invited
    ]
    return round(statistics.median(hours), 2) if hours else None


def factory_performance_compute(*, factory: Organization) -> dict[str, Any]:
    reviews = Review.objects.filter(factory=factory).aggregate(
        count=Count("pk"),
        quality=Avg("quality"),
        delivery=Avg("delivery"),
        communication=Avg("communication"),
    )
    rating = None
    if reviews["count"]:
        rating = round((reviews["quality"] + reviews["delivery"] + reviews["communication"]) / 3, 2)
    return {
        "on_time_rate": _on_time_rate(factory),
        "defect_rate": _defect_rate(factory),
        "repeat_buyer_rate": _repeat_buyer_rate(factory),
        "median_quote_response_hours": _median_quote_response_hours(factory),
        "rating": rating,
        "rating_count": reviews["count"],
    }


def factory_performance_push(*, factory_pk: int) -> dict[str, Any]:
    """Compute and hand the figures to Factories. Idempotent: it writes absolute values."""
    factory = Organization.objects.get(pk=factory_pk)
    figures = factory_performance_compute(factory=factory)
    capacity.performance_push(factory=factory, **figures)
    return figures


def factories_with_orders() -> list[int]:
    return list(
        Order.objects.filter(status__in=SHIPPED_STATUSES)
        .values_list("factory_id", flat=True)
        .distinct()
    )
