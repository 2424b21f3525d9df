"""The promise keeps the quote: the production window honours the quoted lead time and
the sample stage, the promised date comes from the window, no hold outlives the day it
serves, and either party can move the plan later while a sample is under way."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from factories import services as factory_services
from factories.models import CapacityDay, Reservation
from marketplace.models import Notification, Organization
from orders import services
from orders.models import Order, OrderEvent, OrderStatus, Quote
from tests.helpers import api_client, assert_other_organization_gets_404, make_organization
from tests.orders.conftest import (
    drive,
    in_days,
    make_deal,
    make_factory,
    make_quote,
    make_rfq,
    nothing_changes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def held(factory, category) -> dict[datetime.date, int]:
    cells = CapacityDay.objects.filter(organization=factory, category=category, held__gt=0)
    return {cell.date: cell.held for cell in cells.order_by("date")}


def accept(deal, *, lead_time_days: int, with_sample: bool) -> Order:
    Quote.objects.filter(pk=deal.quote.pk).update(lead_time_days=lead_time_days)
    deal.quote.refresh_from_db()
    deal.order = services.quote_accept(
        quote=deal.quote,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        with_sample=with_sample,
    )
    return deal.order


@pytest.mark.parametrize("with_sample", [True, False])
def test_an_eight_day_lead_time_gives_an_eight_day_window_and_a_consistent_promise(
    category, with_sample
):
    deal = make_deal(category=category)  # 100 free units a day, 300 ordered
    order = accept(deal, lead_time_days=8, with_sample=with_sample)

    first = in_days(settings.ORDERS_SAMPLE_LEAD_DAYS if with_sample else 1)
    last = first + datetime.timedelta(days=7)
    plan = order.plan_allocations
    assert min(plan) == first
    assert max(plan) == last  # spread over the lead time, not squeezed into three days
    assert sum(plan.values()) == 300
    assert max(plan.values()) - min(plan.values()) <= 1
    assert order.ready_by == last
    # The hold serves the first production day and ends with it, long before the promise.
    assert order.hold_expires_at == end_of(first)
    reservation = Reservation.objects.get(reference=order.reservation_reference)
    assert reservation.expires_at == order.hold_expires_at
    assert reservation.allocations == plan
    assert held(deal.factory, category) == plan

    body = api_client(deal.buyer_user).get(f"/api/v1/orders/{order.pk}/").json()
    assert body["ready_by"] == last.isoformat()
    page = Client()
    page.force_login(deal.buyer_user)
    html = page.get(f"/orders/{order.pk}/").content.decode()
    assert last.isoformat() in html
    assert f"production from {first.isoformat()}, quoted lead time 8 days" in html


def test_a_short_day_pushes_units_later_but_the_promise_stays_within_the_window(category):
    deal = make_deal(category=category)
    first = in_days(settings.ORDERS_SAMPLE_LEAD_DAYS)
    factory_services.capacity_fill_range(
        organization=deal.factory, category=category, start=first, end=first, units=10
    )
    order = accept(deal, lead_time_days=5, with_sample=True)
    plan = order.plan_allocations
    assert plan[first] == 10
    assert sum(plan.values()) == 300
    assert max(plan) == order.ready_by == first + datetime.timedelta(days=4)


def test_not_enough_capacity_in_the_window_moves_the_promise_after_it(category):
    deal = make_deal(category=category, units=50)
    order = accept(deal, lead_time_days=3, with_sample=False)
    plan = order.plan_allocations
    assert sum(plan.values()) == 300
    assert order.ready_by == max(plan) == in_days(6)  # 6 days of 50, past the 3-day window


def test_a_lead_time_that_misses_the_ready_by_date_is_refused_and_nothing_changes(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    factory, factory_user = make_factory(category)
    rfq = make_rfq(buyer, buyer_user, category, ready_by=in_days(8))
    services.rfq_match(rfq_pk=rfq.pk)
    quote = make_quote(rfq, factory, factory_user, lead_time_days=8)
    with nothing_changes():
        response = api_client(buyer_user).post(
            f"/api/v1/quotes/{quote.pk}/accept/", {"with_sample": True}, format="json"
        )
    assert response.status_code == 409, response.content
    assert "lead time" in response.json()["detail"]
    assert not Reservation.objects.exists()


def _extend(user, order, days):
    return api_client(user).post(
        f"/api/v1/orders/{order.pk}/hold-extension/", {"days": days}, format="json"
    )


def test_either_party_extends_the_hold_while_the_sample_is_under_way(category):
    deal = make_deal(category=category)
    order = accept(deal, lead_time_days=8, with_sample=True)
    plan, promise = order.plan_allocations, order.ready_by

    page = Client()
    page.force_login(deal.buyer_user)
    html = page.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="hold-extension"' in html
    response = page.post(
        f"/orders/{order.pk}/hold-extension/", {"days": 2, "note": "Fabric late"}, follow=True
    )
    shifted = {day + datetime.timedelta(days=2): units for day, units in plan.items()}
    order.refresh_from_db()
    assert order.plan_allocations == shifted
    assert order.ready_by == promise + datetime.timedelta(days=2)
    assert order.hold_expires_at == end_of(min(shifted))
    assert held(deal.factory, category) == shifted
    reservation = Reservation.objects.get(reference=order.reservation_reference)
    assert reservation.expires_at == order.hold_expires_at
    assert "the promised ready date is now" in response.content.decode()
    event = OrderEvent.objects.filter(order=order, action="hold_extended").get()
    assert event.display_note == "Fabric late"
    assert event.data["ready_by"] == {
        "from": promise.isoformat(),
        "to": order.ready_by.isoformat(),
    }
    assert any(
        "hold extended" in item.display_title
        for item in Notification.objects.filter(organization=deal.factory)
    )

    shipped = services.order_transition(
        order=order,
        action="ship_sample",
        acting_user=deal.factory_user,
        acting_organization=deal.factory,
        details={"carrier": "SF", "tracking_number": "SF1"},
    )
    response = _extend(deal.factory_user, shipped, 1)
    assert response.status_code == 200, response.content
    assert response.json()["ready_by"] == (promise + datetime.timedelta(days=3)).isoformat()


def test_an_extension_without_free_capacity_is_refused_and_nothing_changes(category):
    deal = make_deal(category=category)
    order = accept(deal, lead_time_days=8, with_sample=True)
    blocked = order.ready_by + datetime.timedelta(days=3)
    factory_services.capacity_fill_range(
        organization=deal.factory, category=category, start=blocked, end=blocked, units=5
    )
    before_cells = held(deal.factory, category)
    with nothing_changes():
        response = _extend(deal.buyer_user, order, 3)
    assert response.status_code == 409, response.content
    assert held(deal.factory, category) == before_cells
    reservation = Reservation.objects.get(reference=order.reservation_reference)
    assert reservation.allocations == order.plan_allocations
    assert reservation.expires_at == order.hold_expires_at


def test_extension_is_refused_outside_the_sample_stage_and_for_bad_input(category):
    deal = make_deal(category=category)
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    with nothing_changes():
        bad = _extend(deal.buyer_user, order, settings.ORDERS_HOLD_EXTENSION_MAX_DAYS + 1)
        zero = _extend(deal.buyer_user, order, 0)
    assert bad.status_code == 400
    assert "days" in bad.json()["errors"]
    assert zero.status_code == 400
    assert "days" in zero.json()["errors"]

    _stranger, stranger_user = make_organization(Organization.Kind.BUYER)
    assert_other_organization_gets_404(
        api_client(stranger_user),
        "post",
        f"/api/v1/orders/{order.pk}/hold-extension/",
        {"days": 1},
        unchanged=lambda: Order.objects.filter(pk=order.pk).values().get(),
    )

    other = make_deal(category=category)
    paid = drive(other, OrderStatus.PAID)
    with nothing_changes():
        response = _extend(other.buyer_user, paid, 1)
    assert response.status_code == 409
    page = Client()
    page.force_login(other.buyer_user)
    assert 'id="hold-extension"' not in page.get(f"/orders/{paid.pk}/").content.decode()


def test_when_the_calendar_ends_inside_the_window_the_free_days_are_filled_first(category):
    # Free capacity only up to day 5 of a 10-day window: spread evenly, units would be
    # stranded on days the factory does not offer, so the free days are filled instead.
    deal = make_deal(category=category)
    factory_services.capacity_fill_range(
        organization=deal.factory, category=category, start=in_days(6), end=in_days(29), units=0
    )
    order = accept(deal, lead_time_days=10, with_sample=False)
    assert order.plan_allocations == {in_days(1): 100, in_days(2): 100, in_days(3): 100}
    assert order.ready_by == in_days(10)
