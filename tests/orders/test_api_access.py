"""Every orders endpoint with four clients: anonymous (401), another organization (404 and
nothing changes), a plain member of the right organization (allowed), and its owner."""

import pytest

from marketplace.models import Organization
from orders.models import Order, OrderEvent, OrderStatus, Review
from tests.helpers import (
    add_member,
    api_client,
    assert_other_organization_gets_404,
    make_organization,
)
from tests.orders.conftest import drive, in_days, make_deal, nothing_changes

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def endpoints(deal, order, review):
    today = in_days(0).isoformat()
    return [
        # (method, url, body, party that may call it, expected success status)
        ("get", f"/api/v1/rfqs/{deal.rfq.pk}/", None, "buyer", 200),
        ("get", f"/api/v1/rfqs/{deal.rfq.pk}/quotes/", None, "buyer", 200),
        ("get", f"/api/v1/rfqs/{deal.rfq.pk}/messages/", None, "factory", 200),
        ("get", f"/api/v1/quotes/{deal.quote.pk}/", None, "factory", 200),
        ("get", f"/api/v1/orders/{order.pk}/", None, "buyer", 200),
        ("get", f"/api/v1/orders/{order.pk}/events/", None, "factory", 200),
        ("get", f"/api/v1/orders/{order.pk}/progress/", None, "buyer", 200),
        (
            "post",
            f"/api/v1/orders/{order.pk}/progress/",
            {"day": today, "units": 300},  # every unit: production may then finish
            "factory",
            201,
        ),
        (
            "post",
            f"/api/v1/orders/{order.pk}/transitions/",
            {"action": "finish_production"},
            "factory",
            200,
        ),
        ("post", f"/api/v1/reviews/{review.pk}/reply/", {"reply": "Thanks"}, "factory", 200),
    ]


@pytest.fixture
def setup(deal):
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    completed_deal = make_deal(category=deal.category)
    completed = drive(completed_deal, OrderStatus.COMPLETED)
    from orders import services

    review = services.review_create(
        order=completed,
        acting_organization=completed_deal.buyer,
        acting_user=completed_deal.buyer_user,
        quality=4,
        delivery=4,
        communication=4,
    )
    return deal, completed_deal, order, review


def _state():
    return (
        list(Order.objects.order_by("pk").values_list("status", flat=True)),
        OrderEvent.objects.count(),
        list(Review.objects.values_list("reply", flat=True)),
    )


def test_anonymous_gets_401_everywhere(setup):
    deal, _completed_deal, order, review = setup
    for method, url, body, _party, _status in endpoints(deal, order, review):
        with nothing_changes():
            response = getattr(api_client(), method)(url, data=body, format="json")
        assert response.status_code == 401, url


def test_other_organizations_get_404_and_change_nothing(setup):
    deal, _completed_deal, order, review = setup
    _buyer, other_buyer = make_organization(Organization.Kind.BUYER)
    _factory, other_factory = make_organization(Organization.Kind.FACTORY)
    for method, url, body, _party, _status in endpoints(deal, order, review):
        if "/reviews/" in url:
            continue  # the review belongs to the second deal; checked below
        for user in (other_buyer, other_factory):
            assert_other_organization_gets_404(
                api_client(user), method, url, body, unchanged=_state
            )
    assert_other_organization_gets_404(
        api_client(deal.factory_user),
        "post",
        f"/api/v1/reviews/{review.pk}/reply/",
        {"reply": "Not mine"},
        unchanged=_state,
    )


def test_plain_members_may_work_on_their_organizations_orders(setup):
    deal, completed_deal, order, review = setup
    members = {
        "buyer": add_member(deal.buyer),
        "factory": add_member(deal.factory),
    }
    completed_factory_member = add_member(completed_deal.factory)
    for method, url, body, party, status in endpoints(deal, order, review):
        user = members[party]
        if "/reviews/" in url:
            user = completed_factory_member
        response = getattr(api_client(user), method)(url, data=body, format="json")
        assert response.status_code == status, (url, response.content[:200])
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INSPECTION
