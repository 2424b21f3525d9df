"""A factory invited to a shared RFQ sees only its own figures (issue 14, item 10): the
number of quotes it is shown is its own, in the API and on the RFQ list page; the buyer
still sees every quote counted."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.helpers import api_client
from tests.orders.conftest import make_category, make_deal, make_factory, make_quote

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


@pytest.fixture
def shared_rfq():
    """Two invited factories on one RFQ; both quoted."""
    category = make_category()
    # The rival is on the calendar before matching, so both are invited.
    rival, rival_user = make_factory(category)
    deal = make_deal(category=category)
    assert deal.rfq.invitations.filter(factory=rival).exists()
    make_quote(deal.rfq, rival, rival_user)
    return deal, rival, rival_user


def _api_count(user, rfq_pk: int) -> tuple[int, int]:
    client = api_client(user)
    detail = client.get(f"/api/v1/rfqs/{rfq_pk}/")
    assert detail.status_code == 200, detail.content
    listed = client.get("/api/v1/rfqs/")
    assert listed.status_code == 200, listed.content
    [row] = [row for row in listed.json()["results"] if row["id"] == rfq_pk]
    return detail.json()["quote_count"], row["quote_count"]


def test_api_buyer_counts_every_quote_and_a_factory_only_its_own(shared_rfq):
    deal, _rival, rival_user = shared_rfq
    assert _api_count(deal.buyer_user, deal.rfq.pk) == (2, 2)
    assert _api_count(deal.factory_user, deal.rfq.pk) == (1, 1)
    assert _api_count(rival_user, deal.rfq.pk) == (1, 1)


def test_api_an_invited_factory_that_has_not_quoted_sees_zero():
    category = make_category()
    quiet, quiet_user = make_factory(category)
    deal = make_deal(category=category)
    assert deal.rfq.invitations.filter(factory=quiet).exists()
    assert _api_count(quiet_user, deal.rfq.pk) == (0, 0)
    assert _api_count(deal.buyer_user, deal.rfq.pk) == (1, 1)


def _page_quote_cell(user, rfq_pk: int) -> str:
    client = Client()
    client.force_login(user)
    page = client.get("/rfqs/")
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index(f"RFQ-{rfq_pk} ") :]
    row = row[: row.index("</tr>")]
    cells = [cell.split("</td>")[0].strip() for cell in re.split(r"<td[^>]*>", row)[1:]]
    # Category, quantity, ready by, quotes, status.
    return cells[3]


def test_rfq_list_page_shows_a_factory_only_its_own_quotes(shared_rfq):
    deal, _rival, rival_user = shared_rfq
    assert _page_quote_cell(deal.buyer_user, deal.rfq.pk) == "2"
    assert _page_quote_cell(deal.factory_user, deal.rfq.pk) == "1"
    assert _page_quote_cell(rival_user, deal.rfq.pk) == "1"
