"""Conversations over HTTP (issue 8, item 7): the order's message thread with images and
PDFs, the inbox's conversations with unread counts, the RFQ thread naming sender and
recipient, and a factory declining to quote with a reason the buyer sees."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from marketplace.models import Notification, Organization
from orders import services
from orders.models import OrderMessage, OrderMessageAttachment, OrderStatus, RFQInvitation
from tests import helpers
from tests.helpers import decompression_bomb_png, make_organization
from tests.orders.conftest import drive, make_deal, make_factory, make_rfq, nothing_changes

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def row(page, kind: str, pk: int) -> str:
    """The inbox line of one conversation."""
    text = page if isinstance(page, str) else page.content.decode()
    start = text.index(f'data-kind="{kind}"\n            data-pk="{pk}"')
    return text[start : text.index("</li>", start)]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_order_thread_carries_images_and_pdfs_to_the_other_party():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    buyer = browser(deal.buyer_user)
    response = buyer.post(
        f"/orders/{order.pk}/messages/",
        {
            "body": "Is the collar stitched like the photo?",
            "attachments": [
                SimpleUploadedFile("collar.png", png_bytes(), content_type="image/png"),
                SimpleUploadedFile("spec.pdf", PDF, content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/orders/{order.pk}/#messages")
    message = OrderMessage.objects.get(order=order)
    assert message.author_organization == deal.buyer
    image, pdf = message.attachments.all()
    assert (image.content_type, pdf.content_type) == ("image/png", "application/pdf")

    factory = browser(deal.factory_user)
    page = factory.get(f"/orders/{order.pk}/").content.decode()
    assert "Is the collar stitched like the photo?" in page
    assert f"{deal.buyer.name}</strong>" in page
    assert f"→ {deal.factory.name}" in page
    assert f"/orders/{order.pk}/files/message/{image.pk}/" in page
    assert streamed(factory.get(f"/orders/{order.pk}/files/message/{pdf.pk}/")) == PDF
    assert streamed(buyer.get(f"/orders/{order.pk}/files/message/{image.pk}/")) == png_bytes()

    _other, stranger = make_organization(Organization.Kind.BUYER)
    assert browser(stranger).get(f"/orders/{order.pk}/files/message/{pdf.pk}/").status_code == 404
    stranger_browser = browser(stranger)
    with helpers.nothing_changes("orders"):
        assert (
            stranger_browser.post(f"/orders/{order.pk}/messages/", {"body": "hi"}).status_code
            == 404
        )

    told = Notification.objects.get(organization=deal.factory, topic=Notification.Topic.MESSAGES)
    assert told.display_title == f"New message on {order.number}"
    assert told.url == f"/orders/{order.pk}/#messages"


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (
            SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
            "tool.exe: this file type is not accepted",
        ),
        (SimpleUploadedFile("fake.png", b"GIF89a not a png"), "fake.png is not a valid .png"),
        (SimpleUploadedFile("drawing.dxf", b"0\nSECTION\n"), "drawing.dxf: this file type"),
    ],
)
def test_order_thread_refuses_what_is_not_an_image_or_pdf(upload, expected):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    response = browser(deal.buyer_user).post(
        f"/orders/{order.pk}/messages/", {"body": "See file", "attachments": [upload]}, follow=True
    )
    assert expected in response.content.decode()
    assert not OrderMessage.objects.exists()
    assert not OrderMessageAttachment.objects.exists()


def test_order_thread_refuses_an_image_bomb_from_its_header_and_an_empty_message():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    client = browser(deal.factory_user)
    bomb = SimpleUploadedFile("lot.png", decompression_bomb_png(), content_type="image/png")
    response = client.post(
        f"/orders/{order.pk}/messages/", {"body": "x", "attachments": [bomb]}, follow=True
    )
    assert "has too many pixels" in response.content.decode()
    response = client.post(f"/orders/{order.pk}/messages/", {"body": "  "}, follow=True)
    assert "Write a message or attach a file." in response.content.decode()
    assert not OrderMessage.objects.exists()


def test_inbox_groups_conversations_by_order_and_rfq_with_unread_counts(
    django_assert_max_num_queries,
):
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    buyer = browser(deal.buyer_user)
    for body in ("First question", "Second question"):
        buyer.post(f"/orders/{order.pk}/messages/", {"body": body})
    services.rfq_message_post(
        rfq=deal.rfq,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        body="About the fabric",
    )
    # A second order with messages: the page's query count does not grow with them.
    second = make_deal()
    second_order = drive(second, OrderStatus.SAMPLE_REQUESTED)
    browser(second.buyer_user).post(f"/orders/{second_order.pk}/messages/", {"body": "Hi"})

    factory = browser(deal.factory_user)
    with django_assert_max_num_queries(12):
        page = factory.get("/messages/").content.decode()
    assert "2 unread" in row(page, "order", order.pk)
    # The factory's own message: nothing unread there.
    assert "unread-count" not in row(page, "rfq", deal.rfq.pk)
    assert str(second_order.number) not in page  # another factory's order

    buyer_inbox = buyer.get("/messages/")
    assert "1 unread" in row(buyer_inbox, "rfq", deal.rfq.pk)  # the factory's RFQ message
    assert "unread-count" not in row(buyer_inbox, "order", order.pk)  # its own messages

    factory.get(f"/orders/{order.pk}/")
    assert "unread-count" not in row(factory.get("/messages/"), "order", order.pk)
    buyer.get(f"/rfqs/{deal.rfq.pk}/")
    assert "unread-count" not in row(buyer.get("/messages/"), "rfq", deal.rfq.pk)


def test_rfq_thread_names_sender_and_recipient():
    deal = make_deal()
    factory_client = browser(deal.factory_user)
    factory_client.post(f"/rfqs/{deal.rfq.pk}/messages/", {"body": "Which GSM?"})
    buyer_client = browser(deal.buyer_user)
    buyer_client.post(
        f"/rfqs/{deal.rfq.pk}/messages/", {"body": "120 GSM", "factory": deal.factory.slug}
    )
    page = buyer_client.get(f"/rfqs/{deal.rfq.pk}/?factory={deal.factory.slug}").content.decode()

    def header(sender: Organization, recipient: Organization) -> str:
        return (
            f'<strong class="message-from">{sender.name}</strong>\n'
            f'        <span class="muted message-to">→ {recipient.name}</span>'
        )

    assert header(deal.factory, deal.buyer) in page
    assert header(deal.buyer, deal.factory) in page
    assert header(deal.factory, deal.factory) not in page
    factory_page = factory_client.get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert header(deal.factory, deal.buyer) in factory_page


def test_factory_declines_with_a_reason_the_buyer_sees(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    factory, factory_user = make_factory(category, name="Busy Mill")
    rfq = make_rfq(buyer, buyer_user, category)
    RFQInvitation.objects.create(rfq=rfq, factory=factory)
    client = browser(factory_user)
    page = client.get(f"/rfqs/{rfq.pk}/").content.decode()
    assert "Decline to quote" in page

    response = client.post(f"/rfqs/{rfq.pk}/decline/", {"reason": "  "}, follow=True)
    assert "This field is required." in response.content.decode()
    assert RFQInvitation.objects.get(rfq=rfq, factory=factory).status == "invited"

    client.post(f"/rfqs/{rfq.pk}/decline/", {"reason": "No free capacity before the date."})
    invitation = RFQInvitation.objects.get(rfq=rfq, factory=factory)
    assert invitation.status == RFQInvitation.Status.DECLINED
    assert invitation.decline_reason == "No free capacity before the date."
    buyer_page = browser(buyer_user).get(f"/rfqs/{rfq.pk}/").content.decode()
    assert "No free capacity before the date." in buyer_page
    told = Notification.objects.get(organization=buyer, topic=Notification.Topic.QUOTES)
    assert told.display_title == f"Busy Mill declined to quote on {rfq.title}"
    assert told.display_body == "No free capacity before the date."

    with nothing_changes():
        again = client.post(
            f"/rfqs/{rfq.pk}/decline/",
            {"reason": "Twice"},
            follow=True,
            HTTP_REFERER=f"http://testserver/rfqs/{rfq.pk}/",
        )
    assert "You already answered this RFQ" in again.content.decode()
    _other, stranger = make_organization(Organization.Kind.FACTORY)
    stranger_browser = browser(stranger)
    with nothing_changes():
        assert stranger_browser.post(f"/rfqs/{rfq.pk}/decline/", {"reason": "x"}).status_code == 404


@pytest.fixture
def category():
    from tests.orders.conftest import make_category

    return make_category()
