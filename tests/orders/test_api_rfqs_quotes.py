import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Organization
from orders.models import RFQ, Order, Quote, RFQAttachment, RFQMessage
from tests.helpers import (
    add_member,
    api_client,
    assert_other_organization_gets_404,
    make_organization,
)
from tests.orders.conftest import (
    in_days,
    make_deal,
    make_factory,
    make_quote,
    make_rfq,
    nothing_changes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def rfq_payload(**overrides):
    body = {
        "category": "shirts",
        "title": "Linen shirts",
        "quantity": 200,
        "ready_by": in_days(20).isoformat(),
        "spec": "Linen, sizes S-XL",
    }
    body.update(overrides)
    return body


def test_buyer_creates_rfq_and_gets_open_status(category):
    buyer, user = make_organization(Organization.Kind.BUYER)
    response = api_client(user).post("/api/v1/rfqs/", rfq_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["category"] == "shirts"
    assert body["matched_factories"] == []
    assert RFQ.objects.get(pk=body["id"]).buyer == buyer


def test_rfq_with_attachments_multipart(category):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    drawing = SimpleUploadedFile("collar.png", PNG, content_type="image/png")
    response = api_client(user).post(
        "/api/v1/rfqs/", {**rfq_payload(), "attachments": [drawing]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == "collar.png"
    assert attachment["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ....", "not accepted"),
        ("fake.png", b"GIF89a....", "not a valid"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_attachment_is_400_and_nothing_is_written(category, name, content, message):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    upload = SimpleUploadedFile(name, content)
    response = api_client(user).post(
        "/api/v1/rfqs/", {**rfq_payload(), "attachments": [upload]}, format="multipart"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["attachments"])
    assert RFQ.objects.count() == 0
    assert RFQAttachment.objects.count() == 0


def test_oversized_attachment_is_400(category, settings):
    settings.ORDERS_ATTACHMENT_MAX_BYTES = 100
    _buyer, user = make_organization(Organization.Kind.BUYER)
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * 200)
    response = api_client(user).post(
        "/api/v1/rfqs/", {**rfq_payload(), "attachments": [upload]}, format="multipart"
    )
    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["attachments"][0]
    assert RFQ.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"ready_by": "2001-01-01"}, "ready_by"),
        ({"category": "nope"}, "category"),
        ({"title": ""}, "title"),
        ({"design": 12}, "design"),
    ],
)
def test_rfq_bad_input_is_400_per_field(category, overrides, field):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    response = api_client(user).post("/api/v1/rfqs/", rfq_payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert RFQ.objects.count() == 0


def test_factory_cannot_create_rfq(category):
    _factory, user = make_factory(category)
    response = api_client(user).post("/api/v1/rfqs/", rfq_payload(), format="json")
    assert response.status_code == 403
    assert RFQ.objects.count() == 0


def test_anonymous_gets_401():
    assert api_client().get("/api/v1/rfqs/").status_code == 401


def test_rfq_idempotency_key_replays(category):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    client = api_client(user)
    first = client.post("/api/v1/rfqs/", rfq_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/rfqs/", rfq_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert RFQ.objects.count() == 1


def test_rfq_list_scoping(category):
    deal = make_deal(category=category)
    _stranger_factory, stranger_user = make_factory(category)
    other_buyer, other_user = make_organization(Organization.Kind.BUYER)
    make_rfq(other_buyer, other_user, category)
    buyer_view = api_client(deal.buyer_user).get("/api/v1/rfqs/").json()
    factory_view = api_client(deal.factory_user).get("/api/v1/rfqs/").json()
    stranger_view = api_client(stranger_user).get("/api/v1/rfqs/").json()
    assert [row["id"] for row in buyer_view["results"]] == [deal.rfq.pk]
    assert [row["id"] for row in factory_view["results"]] == [deal.rfq.pk]
    assert buyer_view["count"] == 1
    # The stranger factory was made after matching, so it was never invited.
    assert stranger_view["results"] == []
    assert_other_organization_gets_404(
        api_client(other_user), "get", f"/api/v1/rfqs/{deal.rfq.pk}/"
    )
    assert_other_organization_gets_404(
        api_client(stranger_user), "get", f"/api/v1/rfqs/{deal.rfq.pk}/quotes/"
    )


def test_factory_sees_only_its_own_invitation_and_quote(category):
    deal = make_deal(category=category)
    rival, rival_user = make_factory(category)
    deal.rfq.invitations.create(factory=rival)
    make_quote(deal.rfq, rival, rival_user)
    body = api_client(rival_user).get(f"/api/v1/rfqs/{deal.rfq.pk}/").json()
    assert [row["factory"]["id"] for row in body["matched_factories"]] == [rival.pk]
    quotes = api_client(rival_user).get(f"/api/v1/rfqs/{deal.rfq.pk}/quotes/").json()
    assert [quote["factory"]["id"] for quote in quotes["results"]] == [rival.pk]
    buyer_quotes = api_client(deal.buyer_user).get(f"/api/v1/rfqs/{deal.rfq.pk}/quotes/").json()
    assert {quote["factory"]["id"] for quote in buyer_quotes["results"]} == {
        rival.pk,
        deal.factory.pk,
    }


def test_invited_factory_quotes_with_tiers(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    factory, factory_user = make_factory(category)
    rfq = make_rfq(buyer, buyer_user, category, quantity=300)
    from orders.services import rfq_match

    rfq_match(rfq_pk=rfq.pk)
    response = api_client(factory_user).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        {
            "unit_price": {"amount": "40.00", "currency": "CNY"},
            "sample_fee": {"amount": "0", "currency": "CNY"},
            "lead_time_days": 7,
            "valid_until": in_days(10).isoformat(),
            "note": "Free sampling",
            "tiers": [{"min_quantity": 250, "unit_price": {"amount": "36.50", "currency": "CNY"}}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit_price"] == {"amount": "40.00", "currency": "CNY"}
    assert body["sample_fee"] == {"amount": "0.00", "currency": "CNY"}
    assert body["total"] == {"amount": "10950.00", "currency": "CNY"}  # 300 x 36.50 (tier)
    assert body["tiers"][0]["min_quantity"] == 250
    assert rfq.invitations.get(factory=factory).status == "quoted"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_price": {"amount": "0", "currency": "CNY"}}, "unit_price"),
        ({"unit_price": {"amount": "1.234", "currency": "CNY"}}, "unit_price"),
        ({"unit_price": {"amount": "10", "currency": "USD"}}, "unit_price"),
        ({"lead_time_days": 0}, "lead_time_days"),
        ({"valid_until": "2001-01-01"}, "valid_until"),
        ({"valid_until": "9999-12-31"}, "valid_until"),
        ({"sample_fee": {"amount": "-1", "currency": "CNY"}}, "sample_fee"),
    ],
)
def test_quote_bad_input_is_400_and_writes_nothing(category, overrides, field):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    _factory, factory_user = make_factory(category)
    rfq = make_rfq(buyer, buyer_user, category)
    from orders.services import rfq_match

    rfq_match(rfq_pk=rfq.pk)
    body = {
        "unit_price": {"amount": "40.00", "currency": "CNY"},
        "lead_time_days": 7,
        "valid_until": in_days(10).isoformat(),
        **overrides,
    }
    response = api_client(factory_user).post(f"/api/v1/rfqs/{rfq.pk}/quotes/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Quote.objects.count() == 0


def test_uninvited_factory_cannot_see_or_quote(category):
    deal = make_deal(category=category)
    _stranger, stranger_user = make_factory(category)
    body = {
        "unit_price": {"amount": "1.00"},
        "lead_time_days": 3,
        "valid_until": in_days(3).isoformat(),
    }
    assert_other_organization_gets_404(
        api_client(stranger_user),
        "post",
        f"/api/v1/rfqs/{deal.rfq.pk}/quotes/",
        body,
        unchanged=lambda: Quote.objects.count(),
    )


def test_second_quote_is_409_revision_goes_through_patch(deal):
    client = api_client(deal.factory_user)
    body = {
        "unit_price": {"amount": "30.00"},
        "lead_time_days": 5,
        "valid_until": in_days(5).isoformat(),
    }
    with nothing_changes():
        second = client.post(f"/api/v1/rfqs/{deal.rfq.pk}/quotes/", body, format="json")
    assert second.status_code == 409
    response = client.patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"unit_price": {"amount": "35.00"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["unit_price"]["amount"] == "35.00"
    assert response.json()["revision"] == 2
    assert RFQMessage.objects.filter(rfq=deal.rfq, factory=deal.factory).count() == 1
    # The buyer may not revise a factory's quote.
    with nothing_changes():
        buyer_patch = api_client(deal.buyer_user).patch(
            f"/api/v1/quotes/{deal.quote.pk}/", {"unit_price": {"amount": "1.00"}}, format="json"
        )
    assert buyer_patch.status_code == 403
    deal.quote.refresh_from_db()
    assert deal.quote.unit_price_minor == 3500


def test_counter_offer_thread(deal):
    buyer = api_client(deal.buyer_user)
    response = buyer.post(
        f"/api/v1/rfqs/{deal.rfq.pk}/messages/",
        {
            "body": "Can you do 35?",
            "factory": deal.factory.slug,
            "proposed_unit_price": {"amount": "35.00", "currency": "CNY"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["proposed_unit_price"] == {"amount": "35.00", "currency": "CNY"}
    factory_thread = api_client(deal.factory_user).get(f"/api/v1/rfqs/{deal.rfq.pk}/messages/")
    assert [row["body"] for row in factory_thread.json()["results"]] == ["Can you do 35?"]
    # Buyer must name an invited factory.
    with nothing_changes():
        missing = buyer.post(f"/api/v1/rfqs/{deal.rfq.pk}/messages/", {"body": "hi"}, format="json")
    assert missing.status_code == 400
    assert "factory" in missing.json()["errors"]


def test_accept_creates_order_201_and_is_idempotent(deal):
    client = api_client(deal.buyer_user)
    url = f"/api/v1/quotes/{deal.quote.pk}/accept/"
    first = client.post(url, {"with_sample": True}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "sample_requested"
    assert body["events"][0]["action"] == "order_created"
    assert body["total"] == {"amount": "11670.00", "currency": "CNY"}
    replay = client.post(url, {"with_sample": True}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    assert replay.status_code == 201
    assert replay.json()["id"] == body["id"]
    assert Order.objects.count() == 1
    # Without the key, a second accept conflicts.
    with nothing_changes():
        assert client.post(url, {}, format="json").status_code == 409


def test_accept_by_factory_is_403_by_stranger_404(deal):
    url = f"/api/v1/quotes/{deal.quote.pk}/accept/"
    with nothing_changes():
        assert api_client(deal.factory_user).post(url, {}, format="json").status_code == 403
    _other, other_user = make_organization(Organization.Kind.BUYER)
    assert_other_organization_gets_404(
        api_client(other_user), "post", url, {}, unchanged=lambda: Order.objects.count()
    )
    assert Order.objects.count() == 0


def test_accept_with_capacity_gone_is_409_and_changes_nothing(category):
    deal = make_deal(category=category, units=100, quantity=300)
    from factories import services as factory_services

    factory_services.capacity_fill_range(
        organization=deal.factory,
        category=category,
        start=in_days(0),
        end=in_days(29),
        units=10,
    )
    response = api_client(deal.buyer_user).post(
        f"/api/v1/quotes/{deal.quote.pk}/accept/", {}, format="json"
    )
    assert response.status_code == 409
    assert "capacity" in response.json()["detail"]
    assert Order.objects.count() == 0
    deal.quote.refresh_from_db()
    assert deal.quote.status == Quote.Status.ACTIVE
    assert RFQ.objects.get(pk=deal.rfq.pk).status == RFQ.Status.OPEN


def test_member_without_owner_role_can_still_work_on_rfqs(category):
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    member = add_member(buyer)
    response = api_client(member).post("/api/v1/rfqs/", rfq_payload(), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("days_ahead", [0, 366, 3000])
def test_rfq_ready_by_outside_today_to_horizon_is_400_and_writes_nothing(category, days_ahead):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    payload = rfq_payload(ready_by=in_days(days_ahead).isoformat())
    response = api_client(user).post("/api/v1/rfqs/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "ready_by" in response.json()["errors"]
    assert RFQ.objects.count() == 0


def test_rfq_ready_by_on_the_horizon_is_accepted(category):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    payload = rfq_payload(ready_by=in_days(365).isoformat())
    assert api_client(user).post("/api/v1/rfqs/", payload, format="json").status_code == 201


@pytest.mark.parametrize("proposed", ["2001-01-01", "9999-12-31"])
def test_counter_offer_date_outside_horizon_is_400_and_writes_nothing(deal, proposed):
    url = f"/api/v1/rfqs/{deal.rfq.pk}/messages/"
    body = {
        "body": "Could you do it by then?",
        "factory": deal.factory.slug,
        "proposed_ready_by": proposed,
    }
    response = api_client(deal.buyer_user).post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert "proposed_ready_by" in response.json()["errors"]
    assert RFQMessage.objects.count() == 0
