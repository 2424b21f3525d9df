"""Conversations over the API (issue 8): the order's message thread with images and PDFs,
and a factory declining an RFQ with a reason. The responses match the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Notification, Organization
from orders.models import ConversationRead, OrderMessage, OrderStatus, RFQInvitation
from tests.api.test_schema_conformance import assert_matches_schema
from tests.helpers import api_client, assert_other_organization_gets_404, make_organization
from tests.orders.conftest import drive, make_deal, make_factory, make_rfq, nothing_changes
from tests.orders.test_conversations import PDF, png_bytes, streamed

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def test_order_thread_over_the_api_with_attachments():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    buyer = api_client(deal.buyer_user, deal.buyer)
    url = f"/api/v1/orders/{order.pk}/messages/"
    posted = buyer.post(
        url,
        {
            "body": "Is the collar stitched like the photo?",
            "attachments": [
                SimpleUploadedFile("collar.png", png_bytes(), content_type="image/png"),
                SimpleUploadedFile("spec.pdf", PDF, content_type="application/pdf"),
            ],
        },
        format="multipart",
    )
    assert posted.status_code == 201, posted.content[:300]
    body = posted.json()
    assert body["body"] == "Is the collar stitched like the photo?"
    assert body["author_organization"]["id"] == deal.buyer.pk
    assert [item["content_type"] for item in body["attachments"]] == [
        "image/png",
        "application/pdf",
    ]
    assert Notification.objects.filter(
        organization=deal.factory, title_key="orders.order_message.title"
    ).exists()

    factory = api_client(deal.factory_user, deal.factory)
    (message,) = factory.get(url).json()["results"]
    assert message["id"] == body["id"]
    pdf_url = message["attachments"][1]["url"]
    assert streamed(factory.get(pdf_url)) == PDF
    # Reading the thread marks it read for the reader, as the order page does.
    assert ConversationRead.objects.filter(user=deal.factory_user, order=order).exists()
    assert_matches_schema(factory, url, "/api/v1/orders/{id}/messages/")

    answer = factory.post(url, {"body": "Yes, double-needle."}, format="json")
    assert answer.status_code == 201
    assert [row["body"] for row in buyer.get(url).json()["results"]] == [
        "Is the collar stitched like the photo?",
        "Yes, double-needle.",
    ]
    _other, stranger = make_organization(Organization.Kind.BUYER)
    assert_other_organization_gets_404(api_client(stranger), "get", url)
    assert_other_organization_gets_404(api_client(stranger), "post", url, {"body": "Hello"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 5001}, "body"),
        (
            {
                "body": "Script",
                "attachments": [
                    SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="image/png")
                ],
            },
            "attachments",
        ),
    ],
)
def test_bad_messages_are_400_with_the_field_and_store_nothing(data, field):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    response = api_client(deal.buyer_user, deal.buyer).post(
        f"/api/v1/orders/{order.pk}/messages/", data, format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["errors"]
    assert not OrderMessage.objects.filter(order=order).exists()


def test_factory_declines_an_rfq_over_the_api(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    factory, factory_user = make_factory(category, name="Busy Mill")
    rfq = make_rfq(buyer, buyer_user, category)
    RFQInvitation.objects.create(rfq=rfq, factory=factory)
    client = api_client(factory_user, factory)
    url = f"/api/v1/rfqs/{rfq.pk}/decline/"

    empty = client.post(url, {"reason": ""}, format="json")
    assert empty.status_code == 400
    assert "reason" in empty.json()["errors"]
    assert RFQInvitation.objects.get(rfq=rfq, factory=factory).status == "invited"

    declined = client.post(url, {"reason": "No free capacity before the date."}, format="json")
    assert declined.status_code == 200, declined.content[:300]
    (own,) = declined.json()["matched_factories"]
    assert (own["status"], own["decline_reason"]) == (
        "declined",
        "No free capacity before the date.",
    )
    seen = api_client(buyer_user, buyer).get(f"/api/v1/rfqs/{rfq.pk}/").json()
    assert [row["decline_reason"] for row in seen["matched_factories"]] == [
        "No free capacity before the date."
    ]
    assert_matches_schema(
        api_client(buyer_user, buyer), f"/api/v1/rfqs/{rfq.pk}/", "/api/v1/rfqs/{id}/"
    )
    told = Notification.objects.get(organization=buyer, topic=Notification.Topic.QUOTES)
    assert told.display_body == "No free capacity before the date."

    with nothing_changes():
        assert client.post(url, {"reason": "Twice"}, format="json").status_code == 409
    _other, stranger = make_organization(Organization.Kind.FACTORY)
    stranger_client = api_client(stranger)
    with nothing_changes():
        assert stranger_client.post(url, {"reason": "x"}, format="json").status_code == 404


@pytest.fixture
def category():
    from tests.orders.conftest import make_category

    return make_category()


def test_a_revision_note_in_the_rfq_thread_is_in_the_readers_language():
    deal = make_deal()
    revised = api_client(deal.factory_user, deal.factory).patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"unit_price": {"amount": "35.00"}}, format="json"
    )
    assert revised.status_code == 200, revised.content[:300]
    buyer = api_client(deal.buyer_user, deal.buyer)
    url = f"/api/v1/rfqs/{deal.rfq.pk}/messages/"
    (english,) = buyer.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    (chinese,) = buyer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert english["body"].startswith("Quote revised (revision 2): CNY 38.50 → CNY 35.00")
    assert chinese["body"].startswith("报价已修改（第 2 版）：CNY 38.50 → CNY 35.00")
