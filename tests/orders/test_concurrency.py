"""Parallel requests against real Postgres: one RFQ gets one order, one transition applies
once, and capacity is never overbooked by concurrent acceptances."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from factories import selectors as factory_selectors
from orders import services
from orders.exceptions import OrderConflictError
from orders.models import RFQ, Order, OrderEvent, OrderStatus, Quote, RFQInvitation
from tests.helpers import connect_before_the_race
from tests.orders.conftest import drive, make_deal, make_factory, make_quote, make_rfq

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(functions) -> list:
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def runner(index, function):
        try:
            connect_before_the_race(barrier)
            results[index] = function()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_quotes_accepted_at_once_make_one_order(category):
    deal = make_deal(category=category)
    rival, rival_user = make_factory(category)
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    rival_quote = make_quote(deal.rfq, rival, rival_user)

    def accept(quote):
        return lambda: services.quote_accept(
            quote=quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
        )

    results = run_in_threads([accept(deal.quote), accept(rival_quote)] * 3)
    orders = [result for result in results if isinstance(result, Order)]
    conflicts = [result for result in results if isinstance(result, OrderConflictError)]
    assert len(orders) == 1
    assert len(conflicts) == 5
    assert Order.objects.count() == 1
    assert Quote.objects.filter(status=Quote.Status.ACCEPTED).count() == 1
    # Only the winner's capacity is held.
    winner = Order.objects.get()
    assert factory_selectors.reservation_by_reference(reference=winner.reservation_reference)


def test_one_transition_applies_once_under_parallel_requests():
    deal = make_deal()
    order = drive(deal, OrderStatus.SHIPPED)
    events_before = OrderEvent.objects.filter(order=order).count()

    def confirm():
        return services.order_transition(
            order=order,
            action="confirm_delivery",
            acting_user=deal.buyer_user,
            acting_organization=deal.buyer,
        )

    results = run_in_threads([confirm] * 8)
    assert sum(isinstance(result, Order) for result in results) == 1
    assert sum(isinstance(result, OrderConflictError) for result in results) == 7
    assert OrderEvent.objects.filter(order=order).count() == events_before + 1


def test_parallel_acceptances_never_overbook_the_factory(category):
    # One factory with 100 units a day for 10 days = 1,000 units; six buyers each want 300.
    factory, factory_user = make_factory(category, units=100, days=10)
    deals = []
    for _index in range(6):
        from marketplace.models import Organization
        from tests.helpers import make_organization

        buyer, buyer_user = make_organization(Organization.Kind.BUYER)
        rfq = make_rfq(buyer, buyer_user, category, quantity=300)
        # The session's Celery worker (if an earlier test started it) may match it first;
        # under the RFQ's lock, as the matcher does, or the two inserts deadlock.
        with transaction.atomic():
            RFQ.objects.select_for_update().get(pk=rfq.pk)
            RFQInvitation.objects.get_or_create(rfq=rfq, factory=factory)
        quote = make_quote(rfq, factory, factory_user)
        deals.append((buyer, buyer_user, quote))

    def accept(buyer, user, quote):
        return lambda: services.quote_accept(
            quote=quote, acting_organization=buyer, acting_user=user, with_sample=False
        )

    results = run_in_threads([accept(*deal) for deal in deals])
    orders = [result for result in results if isinstance(result, Order)]
    assert all(isinstance(r, Order | OrderConflictError) for r in results), results
    # Production starts tomorrow, so at most 9 days x 100 units = 900 units: three orders.
    assert len(orders) == 3
    from factories.selectors import capacity_calendar

    cells = capacity_calendar(organization=factory)
    assert all(cell.held + cell.booked <= cell.units for cell in cells)
    assert sum(cell.held for cell in cells) == 900


def test_parallel_progress_reports_never_pass_the_quantity_without_a_note():
    """The entries are summed under the order's lock: of four reports of 200 units on a
    300-unit order, sent at once without a note, exactly one is taken."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    deal = make_deal()
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    events_before = OrderEvent.objects.filter(order=order).count()

    def report():
        return services.production_progress_record(
            order=order,
            acting_organization=deal.factory,
            acting_user=deal.factory_user,
            day=timezone.localdate(),
            units=200,
        )

    results = run_in_threads([report] * 4)
    assert sum(isinstance(result, ValidationError) for result in results) == 3
    assert list(order.production_reports.values_list("units", flat=True)) == [200]
    assert OrderEvent.objects.filter(order=order).count() == events_before + 1


def test_a_progress_write_that_waited_for_the_lock_counts_the_entry_committed_meanwhile():
    """The write locks the order, then reads its entries in a statement of its own: one
    that waited for another writer's lock sees the entry committed meanwhile (a single
    statement would read from its snapshot taken before the wait, and pass the quantity)."""
    import time

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from orders.models import ProductionReport

    deal = make_deal()
    order = drive(deal, OrderStatus.IN_PRODUCTION)  # 300 units
    today = timezone.localdate()
    locked, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def holder():
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                ProductionReport.objects.create(
                    order=order, day=today, units=200, reported_by=deal.factory_user
                )
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def reporter():
        try:
            locked.wait(30)
            results["report"] = services.production_progress_record(
                order=order,
                acting_organization=deal.factory,
                acting_user=deal.factory_user,
                day=today,
                units=200,
            )
        except Exception as error:
            results["report"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=reporter)]
    for thread in threads:
        thread.start()
    try:
        assert locked.wait(30)
        deadline = time.monotonic() + 30
        with connection.cursor() as cursor:  # until the reporter waits for the lock
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the reporter never waited for the order's lock")
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    report = results["report"]
    assert isinstance(report, ValidationError), report
    assert "note" in report.message_dict
    assert list(order.production_reports.values_list("units", flat=True)) == [200]
