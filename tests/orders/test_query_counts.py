"""No N+1: the number of queries of every list and detail does not grow with the data."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orders.models import OrderStatus, RFQInvitation
from tests.helpers import api_client
from tests.orders.conftest import (
    drive,
    make_category,
    make_deal,
    make_factory,
    make_quote,
    make_rfq,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content[:300]
    import os

    if os.environ.get("SHOW_QUERIES"):
        print("\n".join(query["sql"][:160] for query in queries.captured_queries), "\n----")
    return len(queries)


def grow(deal, open_rfq, orders: int, quotes: int):
    """More orders for the same pair, and more quotes on the deal's RFQ."""
    for _index in range(orders):
        extra = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=30)
        RFQInvitation.objects.create(rfq=extra, factory=deal.factory)
        quote = make_quote(extra, deal.factory, deal.factory_user)
        from orders import services

        services.quote_accept(
            quote=quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
        )
    for _index in range(quotes):
        rival, rival_user = make_factory(deal.category, units=50)
        RFQInvitation.objects.create(rfq=open_rfq, factory=rival)
        make_quote(open_rfq, rival, rival_user, tiers=[])


def test_api_and_pages_do_not_grow_with_rows():
    deal = make_deal(category=make_category(), units=200)
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    open_rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=30)
    RFQInvitation.objects.create(rfq=open_rfq, factory=deal.factory)
    make_quote(open_rfq, deal.factory, deal.factory_user)
    buyer_api = api_client(deal.buyer_user)
    page = Client()
    page.force_login(deal.buyer_user)
    calls = {
        "api orders": lambda: buyer_api.get("/api/v1/orders/"),
        "api order": lambda: buyer_api.get(f"/api/v1/orders/{order.pk}/"),
        "api rfqs": lambda: buyer_api.get("/api/v1/rfqs/"),
        "api quotes": lambda: buyer_api.get(f"/api/v1/rfqs/{open_rfq.pk}/quotes/"),
        "page orders": lambda: page.get("/orders/"),
        "page order": lambda: page.get(f"/orders/{order.pk}/"),
        "page rfqs": lambda: page.get("/rfqs/"),
        "page rfq": lambda: page.get(f"/rfqs/{open_rfq.pk}/"),
    }
    for call in calls.values():
        call()  # warm up: the first request of a token records its use
    before = {name: count(call) for name, call in calls.items()}
    grow(deal, open_rfq, orders=4, quotes=3)
    from django.utils import timezone

    from orders import services

    services.production_progress_record(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        day=timezone.localdate(),
        units=20,
    )
    after = {name: count(call) for name, call in calls.items()}
    assert after == before


def test_order_list_and_progress_write_cost_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    """The buyers' and factories' hot calls, to the query: a regression fails here."""
    from django.utils import timezone

    deal = make_deal(category=make_category(), units=200)
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    buyer_api, factory_api = api_client(deal.buyer_user), api_client(deal.factory_user)
    progress_url = f"/api/v1/orders/{order.pk}/progress/"
    buyer_api.get("/api/v1/orders/")  # the first request of a token records its use
    factory_api.get(progress_url)
    # The token, the membership, and the page with its count (one query).
    with django_assert_num_queries(3):
        assert buyer_api.get("/api/v1/orders/").status_code == 200
    today = timezone.localdate().isoformat()
    for units in (5, 7):  # more entries on the second write: the same count
        # The token, the membership; then the write in one round trip (its statements one
        # transaction, no BEGIN or COMMIT of their own): the order looked up among the
        # caller's and locked, its entries (the total so far, and what the answer shows),
        # the new entry with its timeline event.
        with django_assert_num_queries(3):
            response = factory_api.post(progress_url, {"day": today, "units": units})
        assert response.status_code == 201, response.content
    assert response.json()["total"] == 12
    assert [entry["units"] for entry in response.json()["entries"]] == [5, 7]
