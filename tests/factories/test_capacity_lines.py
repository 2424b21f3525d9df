"""The free-capacity read model equals the calendar after every write: a hypothesis state
machine over every write path, real-thread races, the factory terms kept by triggers, the
daily roll, and the drift check that repairs and alarms."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import random
import threading
from collections import defaultdict

import pytest
import time_machine
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import marketplace.tasks  # noqa: F401 - registers the notification email task the alarm sends
from factories import selectors, services, tasks
from factories.models import CapacityDay, CapacityLine, Reservation
from marketplace.models import Notification, Organization
from tests.factories.conftest import make_category, make_factory
from tests.helpers import connect_before_the_race, make_organization

DAY = datetime.timedelta(days=1)
_references = itertools.count(1)


def assert_read_model_matches_calendar() -> None:
    """Computed here the slow way from the cells, independently of the services' SQL."""
    today = timezone.localdate()
    cells: dict[tuple[int, int], dict[datetime.date, CapacityDay]] = defaultdict(dict)
    for cell in CapacityDay.objects.all():
        cells[(cell.organization_id, cell.category_id)][cell.date] = cell
    lines = {(line.organization_id, line.category_id): line for line in CapacityLine.objects.all()}
    for key, by_date in cells.items():
        if any(today <= day < today + 30 * DAY for day in by_date):
            assert key in lines, f"no line for {key}"
    for key, line in lines.items():
        assert line.window_start == today
        by_date = cells.get(key, {})
        free, published = [], []
        for offset in range(30):
            cell = by_date.get(line.window_start + offset * DAY)
            free.append(max(cell.units - cell.held - cell.booked, 0) if cell else 0)
            published.append(cell is not None)
        assert line.free == free, key
        assert line.published == published, key
        assert line.cumulative == list(itertools.accumulate([0, *free])), key
    drifted, missing, stale = services.capacity_lines_drift()
    assert (drifted, missing, stale) == ([], 0, 0)


def _expected_plan(factory, category, quantity, start, ready_by):
    plan, remaining = {}, quantity
    for cell in CapacityDay.objects.filter(
        organization=factory, category=category, date__gte=start, date__lte=ready_by
    ).order_by("date"):
        free = cell.units - cell.held - cell.booked
        if free > 0 and remaining:
            plan[cell.date] = min(free, remaining)
            remaining -= plan[cell.date]
    return plan if remaining == 0 else None


class CalendarMachine(RuleBasedStateMachine):
    """Edits, fills, closures, holds, bookings, confirmations, releases, expiries and day
    rolls in any order; after every step the lines equal the calendar."""

    factory: Organization
    categories: list

    def __init__(self) -> None:
        super().__init__()
        self.traveller = time_machine.travel(timezone.now(), tick=False)
        self.clock = self.traveller.start()
        self.savepoint = transaction.savepoint()
        self.reservations: list[Reservation] = []

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)
        self.traveller.stop()

    @initialize(units=st.integers(0, 30))
    def publish(self, units: int) -> None:
        today = timezone.localdate()
        for category in self.categories:
            services.capacity_fill_range(
                organization=self.factory,
                category=category,
                start=today,
                end=today + 29 * DAY,
                units=units,
            )

    def _category(self, index: int):
        return self.categories[index % len(self.categories)]

    @rule(
        index=st.integers(0, 1),
        offset=st.integers(0, 29),
        units=st.integers(0, 40),
        span=st.integers(1, 4),
    )
    def edit(self, index: int, offset: int, units: int, span: int) -> None:
        start = timezone.localdate() + offset * DAY
        cells = [
            services.CapacityCell(
                date=start + n * DAY, category_id=self._category(index).pk, units=units
            )
            for n in range(span)
        ]
        # Below what is taken: refused whole.
        with contextlib.suppress(services.CapacityEditError):
            services.capacity_cells_set(organization=self.factory, cells=cells)

    @rule(offset=st.integers(0, 29))
    def close_day(self, offset: int) -> None:
        with contextlib.suppress(services.CapacityEditError):
            services.capacity_mark_closed(
                organization=self.factory, dates=[timezone.localdate() + offset * DAY]
            )

    @rule(
        index=st.integers(0, 1),
        offset=st.integers(0, 27),
        span=st.integers(1, 3),
        units=st.integers(1, 15),
        book=st.booleans(),
        lapsed=st.booleans(),
    )
    def reserve(self, index, offset, span, units, book, lapsed) -> None:
        today = timezone.localdate()
        allocations = {today + (offset + n) * DAY: units for n in range(span)}
        reference = f"sm:{next(_references)}"
        try:
            if book:
                reservation = services.capacity_book(
                    factory=self.factory,
                    category=self._category(index),
                    allocations=allocations,
                    reference=reference,
                )
            else:
                expires = timezone.now() + (-1 if lapsed else 1) * datetime.timedelta(hours=1)
                reservation = services.capacity_hold(
                    factory=self.factory,
                    category=self._category(index),
                    allocations=allocations,
                    reference=reference,
                    expires_at=expires,
                )
        except services.CapacityUnavailable:
            return
        self.reservations.append(reservation)

    @rule(choice=st.integers(0, 1000))
    def confirm(self, choice: int) -> None:
        if self.reservations:
            reservation = self.reservations[choice % len(self.reservations)]
            with contextlib.suppress(
                services.CapacityUnavailable, services.ReservationReferenceError
            ):
                services.reservation_confirm(reservation=reservation)

    @rule(choice=st.integers(0, 1000))
    def release(self, choice: int) -> None:
        if self.reservations:
            reservation = self.reservations[choice % len(self.reservations)]
            services.reservation_release(reservation=reservation)

    @rule()
    def expire(self) -> None:
        services.reservations_expire()

    @rule()
    def next_day(self) -> None:
        self.clock.shift(DAY)
        services.capacity_window_roll()

    @invariant()
    def lines_equal_calendar(self) -> None:
        assert_read_model_matches_calendar()

    @invariant()
    def plan_and_search_agree_with_calendar(self) -> None:
        today = timezone.localdate()
        category = self.categories[0]
        for quantity, ready_by in ((25, today + 5 * DAY), (120, today + 20 * DAY)):
            expected = _expected_plan(self.factory, category, quantity, today, ready_by)
            plan = selectors.capacity_plan(
                factory=self.factory,
                category=category,
                quantity=quantity,
                start=today,
                ready_by=ready_by,
            )
            assert plan == expected
            found = selectors.factory_search(
                category=category, quantity=quantity, ready_by=ready_by
            )
            assert [result.factory.pk for result in found] == ([self.factory.pk] if plan else [])


@pytest.mark.django_db
def test_read_model_follows_every_write_in_any_order():
    factory, _owner = make_factory(
        [make_category("sm-a"), make_category("sm-b")], standard_lead_days=1, min_order_quantity=1
    )
    CalendarMachine.factory = factory
    CalendarMachine.categories = [make_category("sm-a"), make_category("sm-b")]
    run_state_machine_as_test(
        CalendarMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


# --- real threads -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_line_leave_it_equal_to_the_calendar(today):
    """Eight threads at a time hold, book, confirm, release and edit the same factory's
    days; after every round the lines equal the calendar."""
    shirts, jeans = make_category("race-a"), make_category("race-b")
    factory, _owner = make_factory([shirts, jeans], units=12)
    rng = random.Random(13)
    made: list[Reservation] = []
    made_lock = threading.Lock()

    def step(seed: int) -> None:
        pick = random.Random(seed)
        category = pick.choice([shirts, jeans])
        days = {today + pick.randint(0, 6) * DAY: pick.randint(1, 4)}
        action = pick.randrange(5)
        if action == 0:
            services.capacity_cells_set(
                organization=factory,
                cells=[
                    services.CapacityCell(
                        date=day, category_id=category.pk, units=pick.randint(8, 16)
                    )
                    for day in sorted(days)
                ],
            )
        elif action in (1, 2):
            reservation = services.capacity_hold(
                factory=factory,
                category=category,
                allocations=days,
                reference=f"race:{seed}",
                expires_at=timezone.now() + datetime.timedelta(hours=1),
            )
            with made_lock:
                made.append(reservation)
        elif made:
            with made_lock:
                reservation = pick.choice(made)
            if action == 3:
                services.reservation_confirm(reservation=reservation)
            else:
                services.reservation_release(reservation=reservation)

    for round_number in range(6):
        seeds = [rng.randrange(10**9) for _ in range(8)]
        barrier = threading.Barrier(len(seeds))
        errors: list[str] = []

        def run(seed: int, barrier=barrier, errors=errors) -> None:
            try:
                connect_before_the_race(barrier)
                step(seed)
            except (
                services.CapacityUnavailable,
                services.CapacityEditError,
                services.ReservationReferenceError,
            ):
                pass  # a refusal is an answer, not a failure
            except Exception as error:
                errors.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(seed,)) for seed in seeds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        close_old_connections()
        assert not errors, (round_number, errors[:3])
        assert_read_model_matches_calendar()


# --- terms, roll, drift -----------------------------------------------------------------


def _line(factory, category) -> CapacityLine:
    return CapacityLine.objects.get(organization=factory, category=category)


@pytest.mark.django_db
def test_factory_terms_follow_profile_performance_and_verification(category):
    factory, _owner = make_factory([category], units=10)
    services.factory_profile_update(
        organization=factory, min_order_quantity=80, standard_lead_days=4, price_level=1
    )
    services.factory_performance_update(
        factory=factory, on_time_rate=0.95, rating=4.5, median_quote_response_hours=3
    )
    line = _line(factory, category)
    assert (line.min_order_quantity, line.standard_lead_days, line.verified) == (80, 4, True)
    assert line.merit == pytest.approx(
        selectors.merit(price_level=1, on_time_rate=0.95, rating=4.5, response_hours=3)
    )
    Organization.objects.filter(pk=factory.pk).update(verified=False)
    assert _line(factory, category).verified is False
    assert (
        selectors.factory_search(
            category=category, quantity=80, ready_by=timezone.localdate() + 10 * DAY
        )
        == []
    )
    assert services.capacity_lines_drift() == ([], 0, 0)


@pytest.mark.django_db
def test_search_results_show_the_factory_as_it_is_now(category, client):
    """The search page reads its results' factory card from the lines (migration 0015):
    a new name, slug or city, a new price level and new figures show at once."""
    factory, _owner = make_factory([category], units=10)
    ready_by = (timezone.localdate() + 10 * DAY).isoformat()

    def shown() -> dict:
        response = client.get(
            "/api/v1/factories/search/",
            {"category": category.slug, "quantity": 30, "ready_by": ready_by},
        )
        assert response.status_code == 200
        (result,) = response.json()["results"]
        return result

    before = shown()["factory"]
    profile = services.factory_profile_update(organization=factory, city="Hangzhou")
    assert shown()["factory"]["city"] == profile.city != before["city"]
    services.factory_profile_update(organization=factory, price_level=2)
    services.factory_performance_update(
        factory=factory, on_time_rate=0.875, rating=4.25, median_quote_response_hours=6
    )
    result = shown()
    card = result["factory"]
    assert (card["price_level"], card["on_time_rate"], card["rating"]) == (2, 0.875, 4.25)
    on_time = next(c for c in result["score_components"] if c["key"] == "on_time")
    assert (on_time["value"], on_time["estimated"]) == (0.875, False)
    Organization.objects.filter(pk=factory.pk).update(name='Ningbo "Knit" Works', slug="nb-knit")
    card = shown()["factory"]
    assert (card["name"], card["slug"]) == ('Ningbo "Knit" Works', "nb-knit")
    assert services.capacity_lines_drift() == ([], 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("price_level", "on_time_rate", "rating", "response_hours"),
    [(1, None, None, None), (3, 0.5, 2.5, 0.0), (5, 1.0, 5.0, 240.0), (2, 0.0, 0.0, -1.0)],
)
def test_database_merit_equals_the_python_score(price_level, on_time_rate, rating, response_hours):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT factories_capacity_merit(%s, %s, %s, %s)",
            [price_level, on_time_rate, rating, response_hours],
        )
        in_database = cursor.fetchone()[0]
    assert in_database == pytest.approx(
        selectors.merit(
            price_level=price_level,
            on_time_rate=on_time_rate,
            rating=rating,
            response_hours=response_hours,
        ),
        abs=1e-12,
    )


@pytest.mark.django_db
def test_lines_from_yesterday_still_answer_until_the_roll_moves_them(category):
    factory, _owner = make_factory([category], units=10, standard_lead_days=1)
    with time_machine.travel(timezone.now() + DAY, tick=False):
        today = timezone.localdate()
        assert _line(factory, category).window_start == today - DAY
        found = selectors.factory_search(category=category, quantity=290, ready_by=today + 28 * DAY)
        assert [result.available_units for result in found] == [290]  # 29 days left
        assert services.capacity_window_roll() == 0
        assert _line(factory, category).window_start == today
        assert_read_model_matches_calendar()


@pytest.mark.django_db
def test_drift_check_repairs_arrays_and_terms_of_one_line_in_one_write(category, today):
    factory, _owner = make_factory([category], units=10, standard_lead_days=3)
    line = _line(factory, category)
    expected = (line.free, line.merit, line.min_order_quantity, line.verified, line.card)
    assert line.card.startswith(f'{{"id":{factory.pk},')
    CapacityLine.objects.filter(pk=line.pk).update(
        free=[0] * len(line.free), merit=0.0, min_order_quantity=9999, verified=False, card=""
    )
    written = _line_versions_written()
    report = services.capacity_lines_check()
    assert (report.drifted, report.repaired) == (1, 1)
    line = _line(factory, category)
    assert (line.free, line.merit, line.min_order_quantity, line.verified, line.card) == expected
    assert _line_versions_written() == written + 1  # one new version of the row, not two
    assert services.capacity_lines_check().clean


def _line_versions_written() -> int:
    """Rows of the read model updated so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [CapacityLine._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_drift_check_repairs_a_write_behind_its_back_and_tells_operators(category, today):
    factory, _owner = make_factory([category], units=10)
    operator, _staff = make_organization(Organization.Kind.OPERATOR)
    assert tasks.capacity_lines_check_task() == {
        "drifted": 0,
        "missing": 0,
        "stale": 0,
        "repaired": 0,
    }
    assert not Notification.objects.filter(organization=operator).exists()
    CapacityDay.objects.filter(organization=factory, date=today).update(units=50)
    other = make_category("drift-other")
    CapacityDay.objects.create(organization=factory, category=other, date=today, units=7)
    report = services.capacity_lines_check()
    assert (report.drifted, report.missing, report.stale) == (1, 1, 0)
    assert Notification.objects.filter(organization=operator).count() == 1
    assert _line(factory, category).free[0] == 50
    assert _line(factory, other).free[0] == 7
    assert services.capacity_lines_check().clean
    assert_read_model_matches_calendar()


@pytest.mark.django_db(transaction=True)
def test_calendar_write_outside_a_transaction_is_refused(category):
    factory, _owner = make_factory([category])
    with pytest.raises(RuntimeError), services.calendar_write(lines=[(factory.pk, category.pk)]):
        pass


@pytest.mark.django_db
def test_a_refused_edit_leaves_the_line_as_it_was(category, today):
    factory, _owner = make_factory([category], units=10)
    services.capacity_book(
        factory=factory, category=category, allocations={today: 6}, reference="keep:1"
    )
    before = _line(factory, category).free
    with pytest.raises(services.CapacityEditError):
        services.capacity_cells_set(
            organization=factory,
            cells=[
                services.CapacityCell(date=today + DAY, category_id=category.pk, units=3),
                services.CapacityCell(date=today, category_id=category.pk, units=2),
            ],
        )
    assert _line(factory, category).free == before
    assert before[:2] == [4, 10]
    assert_read_model_matches_calendar()
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityLine.objects.create(
            organization=factory,
            category=category,
            window_start=today,
            free=[0] * 30,
            cumulative=[0] * 31,
            published=[False] * 30,
        )
