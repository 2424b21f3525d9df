"""A service order (`order_open_for_service`): a job agreed on an equipment lead becomes an
order with no sample and no capacity calendar, seen by both parties, and it moves through
payment and the start of the work like any order."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from factories.models import Reservation
from finance.models import PaymentMethod, PaymentPurpose
from finance.services import payments
from marketplace.exceptions import InvalidError
from marketplace.models import Organization
from orders import services
from orders.models import Order, OrderStatus
from orders.transitions import Action
from tests.helpers import api_client, make_organization, make_user
from tests.orders.conftest import cny, make_category, nothing_changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    provider, provider_user = make_organization(Organization.Kind.SERVICE_PROVIDER)
    return buyer, buyer_user, provider, provider_user


def open_service_order(parties, **fields) -> Order:
    buyer, buyer_user, provider, _provider_user = parties
    fields.setdefault("category", make_category("compressors"))
    fields.setdefault("title", "Repair: compressor C-1")
    fields.setdefault("spec", "Discharge temperature above 85 °C for 5 minutes.")
    fields.setdefault("price", cny("1800.00"))
    fields.setdefault("days_to_service", 3)
    with transaction.atomic():
        return services.order_open_for_service(
            buyer=buyer, provider=provider, acting_user=buyer_user, **fields
        )


def test_service_order_awaits_payment_without_sample_or_capacity(parties):
    reservations_before = Reservation.objects.count()
    order = open_service_order(parties)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert (order.quantity, order.with_sample, order.sample_fee_minor) == (1, False, 0)
    assert order.total == cny("1800.00")
    assert order.production_plan == {}
    assert order.reservation_reference == ""
    assert order.hold_expires_at is None
    assert order.ready_by == timezone.localdate() + datetime.timedelta(days=3)
    event = order.events.get()
    assert (event.action, event.to_status, event.data) == (
        "order_created",
        OrderStatus.AWAITING_PAYMENT,
        {"service": True},
    )
    assert Reservation.objects.count() == reservations_before


def test_both_parties_see_the_service_order_on_pages_and_api(parties, client):
    buyer, buyer_user, provider, provider_user = parties
    order = open_service_order(parties)
    for organization, user in ((buyer, buyer_user), (provider, provider_user)):
        response = api_client(user, organization).get("/api/v1/orders/")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [order.pk]
        assert api_client(user, organization).get(f"/api/v1/orders/{order.pk}/").status_code == 200
        client.force_login(user)
        assert order.number in client.get("/orders/").content.decode()
        assert client.get(f"/orders/{order.pk}/").status_code == 200
    stranger, stranger_user = make_organization(Organization.Kind.SERVICE_PROVIDER)
    assert api_client(stranger_user, stranger).get(f"/api/v1/orders/{order.pk}/").status_code == 404


def test_payment_and_start_need_no_calendar(parties):
    buyer, buyer_user, provider, provider_user = parties
    order = open_service_order(parties)
    # Payment is Finance's: the buyer pays in full by bank transfer, an operator confirms.
    payment = payments.payment_create(
        order=order,
        organization=buyer,
        purpose=PaymentPurpose.FULL,
        method=PaymentMethod.BANK_TRANSFER,
        acting_user=buyer_user,
    )
    operator = make_user()
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    payments.bank_transfer_confirm(payment=payment, received=payment.amount, acting_user=operator)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    order = services.order_transition(
        order=order,
        action=Action.START_PRODUCTION,
        acting_user=provider_user,
        acting_organization=provider,
    )
    assert order.status == OrderStatus.IN_PRODUCTION
    assert order.capacity_booked is False
    assert order.production_started_at is not None
    assert not Reservation.objects.filter(organization=provider).exists()


def test_buyer_cancels_before_payment_with_nothing_to_release(parties):
    buyer, buyer_user, _provider, _provider_user = parties
    order = services.order_transition(
        order=open_service_order(parties),
        action=Action.CANCEL,
        acting_user=buyer_user,
        acting_organization=buyer,
        note="Fixed it ourselves.",
    )
    assert order.status == OrderStatus.CANCELLED
    assert order.events.last().data == {"capacity_released": False}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": cny("0.00")}, "price"),
        ({"days_to_service": -1}, "days_to_service"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(parties, fields, field):
    with nothing_changes(), pytest.raises(InvalidError) as raised:
        open_service_order(parties, **fields)
    assert field in raised.value.message_dict


def test_only_a_buyer_orders_from_a_provider_or_factory(parties):
    buyer, buyer_user, provider, _provider_user = parties
    other_buyer, _user = make_organization(Organization.Kind.BUYER)
    with nothing_changes():
        with pytest.raises(InvalidError) as raised:
            open_service_order((provider, buyer_user, buyer, None))
        assert "buyer" in raised.value.message_dict
        with pytest.raises(InvalidError) as raised:
            open_service_order((buyer, buyer_user, other_buyer, None))
        assert "provider" in raised.value.message_dict
