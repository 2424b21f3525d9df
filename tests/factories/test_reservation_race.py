"""Concurrent reservations against one factory-day with room for 10: exactly 10 are taken.
Real threads, each with its own Postgres connection, released together by a barrier."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories import services
from factories.models import CapacityDay, Reservation, ReservationDay
from tests.factories.conftest import make_factory
from tests.factories.test_services_reservations import _race

# Up to 64 connections at once: one xdist process runs these, one at a time, or two of them
# together could pass PostgreSQL's default limit of 100 connections.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.date_sensitive,
    pytest.mark.xdist_group("many_connections"),
]


@pytest.mark.parametrize("workers", [50, 64])
def test_concurrent_single_unit_bookings_never_overbook(category, today, workers):
    factory, _owner = make_factory([category], units=10, days=1)

    def reserve(index: int) -> None:
        services.capacity_book(
            factory=factory, category=category, allocations={today: 1}, reference=f"r:{index}"
        )

    succeeded, refused = _race(reserve, workers)
    assert (succeeded, refused) == (10, workers - 10)
    day = CapacityDay.objects.get(organization=factory, category=category, date=today)
    assert (day.units, day.held, day.booked) == (10, 0, 10)
    assert Reservation.objects.filter(status="booked").count() == 10
    assert ReservationDay.objects.aggregate(total=Sum("units"))["total"] == 10


@pytest.mark.parametrize("workers", [50, 64])
def test_concurrent_mixed_holds_over_two_days_stay_consistent(category, today, workers):
    """Holds of 1-3 units over two days, half confirmed, half released, all at once."""
    factory, _owner = make_factory([category], units=10, days=2)
    tomorrow = today + datetime.timedelta(days=1)
    expires = timezone.now() + datetime.timedelta(hours=1)

    def reserve(index: int) -> None:
        units = index % 3 + 1
        reservation = services.capacity_hold(
            factory=factory,
            category=category,
            allocations={today: units, tomorrow: units},
            reference=f"m:{index}",
            expires_at=expires,
        )
        if index % 2:
            services.reservation_confirm(reservation=reservation)
        else:
            services.reservation_release(reservation=reservation)

    _race(reserve, workers)
    for day in (today, tomorrow):
        cell = CapacityDay.objects.get(organization=factory, category=category, date=day)
        recorded = ReservationDay.objects.filter(date=day, reservation__status="booked").aggregate(
            total=Sum("units")
        )["total"]
        assert cell.held == 0
        assert cell.booked == (recorded or 0)
        assert cell.booked <= cell.units == 10


def test_concurrent_retries_with_one_reference_book_once(category, today):
    """A task retried while its first run is still in flight: one booking, same answer."""
    factory, _owner = make_factory([category], units=10, days=1)
    answers: list[int] = []

    def reserve(index: int) -> None:
        reservation = services.capacity_book(
            factory=factory, category=category, allocations={today: 3}, reference="order:retry"
        )
        answers.append(reservation.pk)

    succeeded, refused = _race(reserve, 20)
    assert (succeeded, refused) == (20, 0)
    assert len(set(answers)) == 1
    day = CapacityDay.objects.get(organization=factory, category=category, date=today)
    assert day.booked == 3
    assert Reservation.objects.count() == 1
