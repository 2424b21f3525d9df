"""The order list's page statement (`selectors.order_summary_page`) reads exactly the rows
and the count of the ORM's `order_list`, for each party, with and without a status."""

import itertools

import pytest

from marketplace.models import Organization
from orders import selectors, services
from orders.models import OrderStatus
from tests.helpers import api_client, make_organization
from tests.orders.conftest import drive, make_quote, make_rfq

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


@pytest.fixture
def orders(deal):
    """Five orders between the deal's buyer and factory, one of them in production."""
    drive(deal, OrderStatus.IN_PRODUCTION)
    for _index in range(4):
        rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=30)
        services.rfq_match(rfq_pk=rfq.pk)
        services.quote_accept(
            quote=make_quote(rfq, deal.factory, deal.factory_user),
            acting_organization=deal.buyer,
            acting_user=deal.buyer_user,
        )
    return deal


def test_the_page_statement_reads_the_querysets_rows_and_count(orders):
    stranger, _owner = make_organization(Organization.Kind.BUYER)
    parties = (orders.buyer, orders.factory, stranger)
    statuses = (None, OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED)
    for organization, status, offset in itertools.product(parties, statuses, (0, 2, 4)):
        queryset = selectors.order_list(organization=organization, status=status)
        expected = list(queryset.values(*selectors.ORDER_SUMMARY_VALUES)[offset : offset + 2])
        rows = selectors.order_summary_page(
            organization=organization, status=status, offset=offset, limit=2
        )
        assert [
            {key: row[key] for key in selectors.ORDER_SUMMARY_VALUES} for row in rows
        ] == expected
        assert {row["full_count"] for row in rows} <= {queryset.count()}


def test_the_api_list_pages_through_every_order_newest_first(orders):
    api = api_client(orders.buyer_user)
    expected = list(selectors.order_list(organization=orders.buyer).values_list("pk", flat=True))
    assert len(expected) == 5
    seen = []
    for page in (1, 2, 3):
        body = api.get("/api/v1/orders/", {"page_size": 2, "page": page}).json()
        assert body["count"] == 5
        seen += [result["id"] for result in body["results"]]
    assert seen == expected
    assert api.get("/api/v1/orders/", {"page_size": 2, "page": 4}).status_code == 404
    last = api.get("/api/v1/orders/", {"page_size": 2, "page": "last"}).json()
    assert [result["id"] for result in last["results"]] == expected[4:]
    filtered = api.get("/api/v1/orders/", {"status": OrderStatus.IN_PRODUCTION}).json()
    assert (filtered["count"], [result["status"] for result in filtered["results"]]) == (
        1,
        [OrderStatus.IN_PRODUCTION],
    )
