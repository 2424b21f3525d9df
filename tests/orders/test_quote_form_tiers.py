"""The factory's quote form on the RFQ page shows the quote as saved, tiers included, so a
revision neither loses the tiers nor makes the factory type them again."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from orders import services
from orders.models import Quote
from tests.orders.conftest import cny, in_days, make_deal

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _value(page: str, name: str) -> str | None:
    """The value attribute of the input named `name` in the quote form."""
    form = page[page.index('id="quote-form"') :]
    form = form[: form.index("</form>")]
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form)
    assert tag is not None, f"no input {name} in the quote form"
    value = re.search(r'value="([^"]*)"', tag.group())
    return value.group(1) if value else None


def _tiers(quote: Quote) -> list[tuple[int, int]]:
    return [(tier.min_quantity, tier.unit_price_minor) for tier in quote.tiers.all()]


def _post(client: Client, rfq_pk: int, **fields) -> None:
    data = {
        "unit_price": "38.00",
        "sample_fee": "0",
        "lead_time_days": "10",
        "valid_until": in_days(10).isoformat(),
        "note": "",
    }
    data.update({key: str(value) for key, value in fields.items()})
    response = client.post(f"/rfqs/{rfq_pk}/quote/", data)
    assert response.status_code == 302


def test_the_form_shows_the_saved_tiers_and_a_revision_keeps_them():
    deal = make_deal()
    client = _client(deal.factory_user)
    _post(
        client,
        deal.rfq.pk,
        unit_price="37.00",
        tier_quantity_1=500,
        tier_price_1="35.00",
        tier_quantity_2=1000,
        tier_price_2="33.50",
    )
    deal.quote.refresh_from_db()
    assert deal.quote.revision == 2
    assert _tiers(deal.quote) == [(500, 3500), (1000, 3350)]

    page = client.get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert _value(page, "unit_price") == "37.00"
    assert (_value(page, "tier_quantity_1"), _value(page, "tier_price_1")) == ("500", "35.00")
    assert (_value(page, "tier_quantity_2"), _value(page, "tier_price_2")) == ("1000", "33.50")
    assert _value(page, "tier_quantity_3") is None  # one empty row for a further tier

    # The factory changes only the price and sends the form as shown: the tiers stay.
    _post(
        client,
        deal.rfq.pk,
        unit_price="36.00",
        tier_quantity_1=500,
        tier_price_1="35.00",
        tier_quantity_2=1000,
        tier_price_2="33.50",
        tier_quantity_3="",
        tier_price_3="",
    )
    deal.quote.refresh_from_db()
    assert (deal.quote.revision, deal.quote.unit_price_minor) == (3, 3600)
    assert _tiers(deal.quote) == [(500, 3500), (1000, 3350)]


def test_clearing_a_row_removes_its_tier_and_a_half_row_is_refused():
    deal = make_deal()
    client = _client(deal.factory_user)
    _post(client, deal.rfq.pk, tier_quantity_1=500, tier_price_1="35.00")
    _post(client, deal.rfq.pk, tier_quantity_1="", tier_price_1="")
    deal.quote.refresh_from_db()
    assert _tiers(deal.quote) == []

    revision = deal.quote.revision
    response = client.post(
        f"/rfqs/{deal.rfq.pk}/quote/",
        {
            "unit_price": "30.00",
            "lead_time_days": "10",
            "valid_until": in_days(10).isoformat(),
            "tier_quantity_2": "800",
        },
        follow=True,
    )
    assert "A tier needs both a quantity and a price." in response.content.decode()
    deal.quote.refresh_from_db()
    assert deal.quote.revision == revision  # nothing written
    assert deal.quote.unit_price_minor != 3000


def test_a_quote_with_more_tiers_than_rows_shows_them_all():
    deal = make_deal()
    tiers = [(400 + 100 * index, cny(f"{37 - index}.00")) for index in range(4)]
    services.quote_revise(
        quote=deal.quote,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        tiers=tiers,
    )
    page = _client(deal.factory_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    shown = [int(_value(page, f"tier_quantity_{index}") or 0) for index in range(1, 6)]
    assert shown == [400, 500, 600, 700, 0]
