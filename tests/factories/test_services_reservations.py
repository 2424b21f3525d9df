"""Reservations: holds, bookings, confirm, release, expiry; exact and never overbooked."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from factories import selectors, services
from factories.models import CapacityDay, Reservation
from tests.factories.conftest import make_category, make_factory
from tests.helpers import connect_before_the_race

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def cell(factory, category, day):
    return CapacityDay.objects.get(organization=factory, category=category, date=day)


def later(hours=2):
    return timezone.now() + datetime.timedelta(hours=hours)


def test_hold_takes_units_and_records_each_day(category, today):
    factory, _owner = make_factory([category], units=10)
    tomorrow = today + datetime.timedelta(days=1)
    reservation = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 4, tomorrow: 6},
        reference="order:1",
        expires_at=later(),
    )
    assert reservation.status == Reservation.Status.HELD
    assert reservation.quantity == 10
    assert reservation.allocations == {today: 4, tomorrow: 6}
    assert (cell(factory, category, today).held, cell(factory, category, today).booked) == (4, 0)
    assert cell(factory, category, tomorrow).held == 6
    assert selectors.reservation_by_reference(reference="order:1") == reservation


def test_hold_is_all_or_nothing_and_names_the_day(category, today):
    factory, _owner = make_factory([category], units=10)
    tomorrow = today + datetime.timedelta(days=1)
    with pytest.raises(services.CapacityUnavailable) as caught:
        services.capacity_hold(
            factory=factory,
            category=category,
            allocations={today: 5, tomorrow: 11},
            reference="order:2",
            expires_at=later(),
        )
    assert caught.value.day == tomorrow
    assert cell(factory, category, today).held == 0
    assert not Reservation.objects.filter(reference="order:2").exists()


def test_unpublished_day_is_unavailable(category, today):
    factory, _owner = make_factory([category], units=10, days=3)
    with pytest.raises(services.CapacityUnavailable):
        services.capacity_book(
            factory=factory,
            category=category,
            allocations={today + datetime.timedelta(days=5): 1},
            reference="order:3",
        )


def test_held_units_are_not_free_to_others(category, today):
    factory, _owner = make_factory([category], units=10)
    services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 8},
        reference="order:4",
        expires_at=later(),
    )
    with pytest.raises(services.CapacityUnavailable):
        services.capacity_book(
            factory=factory, category=category, allocations={today: 3}, reference="order:5"
        )
    services.capacity_book(
        factory=factory, category=category, allocations={today: 2}, reference="order:6"
    )
    assert (cell(factory, category, today).held, cell(factory, category, today).booked) == (8, 2)


def test_confirm_moves_held_to_booked_and_is_idempotent(category, today):
    factory, _owner = make_factory([category], units=10)
    hold = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 7},
        reference="order:7",
        expires_at=later(),
    )
    booked = services.reservation_confirm(reservation=hold)
    assert booked.status == Reservation.Status.BOOKED
    assert hold.status == Reservation.Status.BOOKED
    services.reservation_confirm(reservation=hold)
    day = cell(factory, category, today)
    assert (day.held, day.booked) == (0, 7)


def test_release_is_exact_and_safe_twice(category, today):
    factory, _owner = make_factory([category], units=10)
    tomorrow = today + datetime.timedelta(days=1)
    booking = services.capacity_book(
        factory=factory, category=category, allocations={today: 3, tomorrow: 5}, reference="o:8"
    )
    services.reservation_release(reservation=booking)
    services.reservation_release(reservation=booking)
    assert booking.status == Reservation.Status.RELEASED
    assert cell(factory, category, today).booked == 0
    assert cell(factory, category, tomorrow).booked == 0
    actions = list(booking.events.values_list("action", flat=True))
    assert actions == ["booked", "released"]


def test_expired_hold_is_released_by_the_expiry_run(category, today):
    factory, _owner = make_factory([category], units=10)
    stale = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 6},
        reference="order:9",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 1},
        reference="order:10",
        expires_at=later(),
    )
    assert services.reservations_expire() == 1
    assert services.reservations_expire() == 0
    stale.refresh_from_db()
    assert stale.status == Reservation.Status.EXPIRED
    assert cell(factory, category, today).held == 1


def test_confirm_after_expiry_rereserves_when_still_free(category, today):
    factory, _owner = make_factory([category], units=10)
    hold = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 6},
        reference="order:11",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    services.reservations_expire()
    services.reservation_confirm(reservation=hold)
    hold.refresh_from_db()
    assert hold.status == Reservation.Status.BOOKED
    assert (cell(factory, category, today).held, cell(factory, category, today).booked) == (0, 6)
    confirmed = hold.events.get(action="confirmed")
    assert (confirmed.note, confirmed.note_key) == ("", "factories.note.rebooked")
    assert confirmed.display_note == "re-reserved (was: Expired)"


def test_confirm_after_expiry_fails_cleanly_when_taken(category, today):
    factory, _owner = make_factory([category], units=10)
    hold = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 6},
        reference="order:12",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    services.reservations_expire()
    services.capacity_book(
        factory=factory, category=category, allocations={today: 5}, reference="order:13"
    )
    with pytest.raises(services.CapacityUnavailable):
        services.reservation_confirm(reservation=hold)
    hold.refresh_from_db()
    assert hold.status == Reservation.Status.EXPIRED
    assert (cell(factory, category, today).held, cell(factory, category, today).booked) == (0, 5)


def test_same_reference_retry_returns_the_same_reservation(category, today):
    factory, _owner = make_factory([category], units=10)
    first = services.capacity_book(
        factory=factory, category=category, allocations={today: 2}, reference="order:14"
    )
    again = services.capacity_book(
        factory=factory, category=category, allocations={today: 2}, reference="order:14"
    )
    assert again.pk == first.pk
    assert cell(factory, category, today).booked == 2
    with pytest.raises(services.ReservationReferenceError):
        services.capacity_book(
            factory=factory, category=category, allocations={today: 3}, reference="order:14"
        )


def test_bad_allocations_are_refused(category, today):
    factory, _owner = make_factory([category], units=10)
    for allocations in ({}, {today: 0}, {today: -1}, {"2026-01-01": 1}):
        with pytest.raises(ValueError, match="allocation"):
            services.capacity_book(
                factory=factory, category=category, allocations=allocations, reference="x"
            )


def test_capacity_plan_spreads_earliest_first(category, today):
    factory, _owner = make_factory([category], units=10)
    services.capacity_book(
        factory=factory, category=category, allocations={today: 7}, reference="order:15"
    )
    plan = selectors.capacity_plan(
        factory=factory,
        category=category,
        quantity=25,
        start=today,
        ready_by=today + datetime.timedelta(days=5),
    )
    day = datetime.timedelta(days=1)
    assert plan == {today: 3, today + day: 10, today + 2 * day: 10, today + 3 * day: 2}
    assert (
        selectors.capacity_plan(
            factory=factory, category=category, quantity=100, start=today, ready_by=today + day
        )
        is None
    )


def test_free_capacity_matrix_lists_verified_free_cells(today):
    shirts, jeans = make_category("m-shirts"), make_category("m-jeans")
    verified, _owner = make_factory([shirts, jeans], units=5, days=2)
    make_factory([shirts], units=5, days=2, verified=False)
    services.capacity_book(
        factory=verified, category=shirts, allocations={today: 5}, reference="order:16"
    )
    matrix = selectors.free_capacity_matrix(category_ids=[shirts.pk], start=today, end=today)
    assert matrix == {}
    matrix = selectors.free_capacity_matrix(
        category_ids=None, start=today, end=today + datetime.timedelta(days=1)
    )
    assert matrix == {
        (verified.pk, jeans.pk, today): 5,
        (verified.pk, jeans.pk, today + datetime.timedelta(days=1)): 5,
        (verified.pk, shirts.pk, today + datetime.timedelta(days=1)): 5,
    }


def _race(reserve, workers: int) -> tuple[int, int]:
    """Run `reserve(i)` in `workers` real threads released together; count outcomes."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            connect_before_the_race(barrier)
            reserve(index)
            outcome = "ok"
        except services.CapacityUnavailable:
            outcome = "refused"
        except Exception as error:
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    errors = [outcome for outcome in outcomes if outcome.startswith("error")]
    assert not errors, errors[:3]
    return outcomes.count("ok"), outcomes.count("refused")
