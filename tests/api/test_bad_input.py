"""Bad input to the public API is a 4xx with field-level messages, never a 500.

Each test here pins a defect found by fuzzing the live API (schemathesis) and by hand:
the request that used to crash, and the answer it must get instead."""

from __future__ import annotations

import pytest

from marketplace.models import Organization
from tests.helpers import api_client, make_organization
from tests.orders.conftest import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    return make_deal()


def test_options_describes_every_endpoint_without_crashing(deal):
    """OPTIONS used to be a 500 on views with no `serializer_class` (RFQ cancel, quote
    accept/withdraw, notifications) and on the detail-less factory profile."""
    buyer = api_client(deal.buyer_user)
    factory = api_client(deal.factory_user)
    for client, url in [
        (buyer, f"/api/v1/rfqs/{deal.rfq.pk}/cancel/"),
        (buyer, f"/api/v1/quotes/{deal.quote.pk}/accept/"),
        (factory, f"/api/v1/quotes/{deal.quote.pk}/withdraw/"),
        (buyer, "/api/v1/notifications/read-all/"),
        (buyer, "/api/v1/notifications/1/read/"),
        (factory, "/api/v1/factory-profile/"),
        (buyer, "/api/v1/orders/"),
    ]:
        response = client.options(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Type"] == "application/json"
        assert "name" in response.json()


NUL_MESSAGE = "Null characters are not allowed."


@pytest.mark.parametrize(
    ("party", "url", "parameter", "message"),
    [
        ("buyer", "/api/v1/orders/?status=%00", "status", NUL_MESSAGE),
        ("buyer", "/api/v1/rfqs/?status=a%00b", "status", NUL_MESSAGE),
        # Category slugs resolve from the cached category map, without reaching Postgres.
        ("buyer", "/api/v1/factories/?category=%00", "category", "Unknown category."),
        ("factory", "/api/v1/capacity/?category=%00", "category", "Unknown category."),
    ],
)
def test_null_character_in_a_query_parameter_is_400_naming_it(deal, party, url, parameter, message):
    """Postgres refuses NUL in text: the filter used to raise DataError (500)."""
    user = deal.buyer_user if party == "buyer" else deal.factory_user
    response = api_client(user).get(url)
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"errors": {parameter: [message]}}


@pytest.mark.parametrize("path", ["/api/v1/auth/signup/", "/api/v1/invitations/"])
def test_overlong_email_is_a_field_error(path):
    """Email addresses over 254 characters reached the database (500)."""
    _organization, owner = make_organization(Organization.Kind.BUYER)
    email = "a" * 250 + "@example.com"
    body = {"email": email, "role": "member"}
    if path.endswith("signup/"):
        body = {
            "email": email,
            "password": "Very-long-pass-2026",
            "organization_name": "Overlong",
            "organization_kind": "buyer",
        }
    response = api_client(owner).post(path, body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "email" in response.json()["errors"]
    assert not Organization.objects.filter(name="Overlong").exists()


@pytest.mark.parametrize("value", [[1], {"currency": "CNY"}, ["12.50", "CNY"]])
def test_money_that_is_not_an_amount_object_is_a_field_error(deal, value):
    """The field's own "invalid" message has braces in it; formatting it raised KeyError."""
    response = api_client(deal.factory_user).patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"unit_price": value}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    expected = 'Send {"amount": "12.50", "currency": "CNY"}.'
    assert response.json()["errors"]["unit_price"] == [expected]


@pytest.mark.parametrize(
    "amount",
    [
        "99999999999999999999999",  # past a bigint in minor units: DataError
        "1e999999",  # decimal.Overflow while scaling to minor units
        "-1e999999",
        "1e999990",  # converting to an int took minutes of CPU: one request held a worker
    ],
)
def test_money_amount_out_of_range_is_a_field_error(deal, amount):
    before = deal.quote.unit_price_minor
    response = api_client(deal.factory_user).patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"unit_price": {"amount": amount}}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["errors"]) == ["unit_price"]
    deal.quote.refresh_from_db()
    assert deal.quote.unit_price_minor == before


def test_money_amount_at_the_limit_is_accepted(deal):
    response = api_client(deal.factory_user).patch(
        f"/api/v1/quotes/{deal.quote.pk}/",
        {"unit_price": {"amount": "999999999.99", "currency": "CNY"}},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["unit_price"] == {"amount": "999999999.99", "currency": "CNY"}


def test_null_character_in_idempotency_key_is_rejected(deal):
    """The key went straight into a text column: DataError (500)."""
    response = api_client(deal.buyer_user).post(
        "/api/v1/rfqs/",
        {"category": deal.category.slug, "title": "Key", "quantity": 50, "ready_by": "2099-01-01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc\x00def",
    )
    assert response.status_code == 422, response.content[:300]
    assert "Idempotency-Key" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/rfqs/", {"title": "T", "quantity": 50, "ready_by": "2099-01-01"}, "category"),
        ("/api/v1/rfqs/{rfq}/messages/", {"body": "Hello"}, "factory"),
    ],
)
def test_null_character_in_a_slug_field_is_400_naming_it(deal, path, body, field):
    """A slug looked up in the database (SlugRelatedField) is not checked for NUL by DRF:
    the lookup raised DataError (500). Found by schemathesis on POST /rfqs/."""
    body = {**body, field: "shirts\x00"}
    response = api_client(deal.buyer_user).post(path.format(rfq=deal.rfq.pk), body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"errors": {field: ["Null characters are not allowed."]}}


@pytest.mark.parametrize(
    "tiers",
    [
        [{"min_quantity": 500}],  # PATCH is partial, and partial reached into each tier
        [{"unit_price": {"amount": "30.00", "currency": "CNY"}}],
        [{"min_quantity": 2**40, "unit_price": "30.00"}],  # past the integer column
    ],
)
def test_quote_revision_with_an_incomplete_or_huge_tier_is_a_field_error(deal, tiers):
    """A tier missing a field passed validation on PATCH and raised KeyError (500)."""
    response = api_client(deal.factory_user).patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"tiers": tiers}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["errors"]) == ["tiers"]


def test_quote_revision_still_changes_only_what_is_sent(deal):
    before = deal.quote.lead_time_days
    response = api_client(deal.factory_user).patch(
        f"/api/v1/quotes/{deal.quote.pk}/",
        {"tiers": [{"min_quantity": 500, "unit_price": {"amount": "30.00", "currency": "CNY"}}]},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    deal.quote.refresh_from_db()
    assert deal.quote.lead_time_days == before
    assert response.json()["unit_price"] == {"amount": "38.50", "currency": "CNY"}
