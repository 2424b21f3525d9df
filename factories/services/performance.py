"""The factory performance record."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from factories.models import CapacityDay, FactoryPerformance, Reservation
from marketplace.models import Organization

_RATES = ("on_time_rate", "defect_rate", "repeat_buyer_rate")


@transaction.atomic
def factory_performance_update(
    *,
    factory: Organization,
    on_time_rate: float | None = None,
    defect_rate: float | None = None,
    repeat_buyer_rate: float | None = None,
    median_quote_response_hours: float | None = None,
    rating: float | None = None,
    rating_count: int | None = None,
) -> None:
    """Store figures computed from order history (the Orders app pushes them here).
    Arguments left as None keep their current value."""
    values = {
        "on_time_rate": on_time_rate,
        "defect_rate": defect_rate,
        "repeat_buyer_rate": repeat_buyer_rate,
        "median_quote_response_hours": median_quote_response_hours,
        "rating": rating,
        "rating_count": rating_count,
    }
    changes = {name: value for name, value in values.items() if value is not None}
    for name in _RATES:
        if name in changes and not 0 <= changes[name] <= 1:
            raise ValueError(f"{name} must be between 0 and 1")
    if "rating" in changes and not 0 <= changes["rating"] <= 5:
        raise ValueError("rating must be between 0 and 5")
    if "median_quote_response_hours" in changes and changes["median_quote_response_hours"] < 0:
        raise ValueError("median_quote_response_hours must not be negative")
    record, _created = FactoryPerformance.objects.select_for_update().get_or_create(
        organization=factory
    )
    for name, value in changes.items():
        setattr(record, name, value)
    record.computed_at = timezone.now()
    record.save()


@transaction.atomic
def factory_performance_refresh(*, factory: Organization) -> FactoryPerformance:
    """Recompute what this app knows itself: bookings taken and how much of the offered
    capacity was booked over the last 30 days. Order-derived rates come from Orders."""
    today = timezone.localdate()
    bookings = Reservation.objects.filter(
        organization=factory, status=Reservation.Status.BOOKED
    ).aggregate(count=Count("pk"))["count"]
    used = CapacityDay.objects.filter(
        organization=factory,
        date__gte=today - datetime.timedelta(days=30),
        date__lt=today,
    ).aggregate(units=Sum("units"), booked=Sum("booked"))
    record, _created = FactoryPerformance.objects.select_for_update().get_or_create(
        organization=factory
    )
    record.bookings_count = bookings
    record.capacity_utilisation = (
        round(used["booked"] / used["units"], 4) if used["units"] else None
    )
    record.computed_at = timezone.now()
    record.save(update_fields=["bookings_count", "capacity_utilisation", "computed_at"])
    return record
