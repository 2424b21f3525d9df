"""The factory's capacity calendar lists the holds and bookings of orders as links to the
orders they serve, with the orders' numbers, in a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from factories import services as factory_services
from orders import services
from orders.models import RFQInvitation
from tests.orders.conftest import in_days, make_deal, make_quote, make_rfq

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def _reservation_rows(client: Client) -> tuple[list[str], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/factory/capacity/")
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="reservations"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr>.*?</tr>", table, re.S), len(queries)


def _accept_another(deal):
    rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=30)
    RFQInvitation.objects.create(rfq=rfq, factory=deal.factory)
    quote = make_quote(rfq, deal.factory, deal.factory_user)
    return services.quote_accept(
        quote=quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
    )


def test_holds_and_bookings_link_to_their_orders():
    deal = make_deal(units=200)
    order = services.quote_accept(
        quote=deal.quote, acting_organization=deal.buyer, acting_user=deal.buyer_user
    )
    # A reservation that no order made (an operator's or an import's) stays plain text.
    factory_services.capacity_book(
        factory=deal.factory,
        category=deal.category,
        allocations={in_days(25): 5},
        reference="maintenance:line-2",
    )
    client = Client()
    client.force_login(deal.factory_user)
    rows, queries = _reservation_rows(client)

    linked = [row for row in rows if f'href="/orders/{order.pk}/"' in row]
    assert len(linked) == 1
    assert f">{order.number}</a>" in linked[0]
    assert "held" in linked[0].lower() or "booked" in linked[0].lower()
    plain = [row for row in rows if "maintenance:line-2" in row]
    assert len(plain) == 1
    assert "<a " not in plain[0]

    # The factory follows the link to the order.
    assert client.get(f"/orders/{order.pk}/").status_code == 200

    for _index in range(3):
        _accept_another(deal)
    more_rows, more_queries = _reservation_rows(client)
    assert len(more_rows) == len(rows) + 3
    assert more_queries == queries
