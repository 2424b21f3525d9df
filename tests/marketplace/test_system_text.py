"""System text is stored as a message key and parameters and read in the reader's language
(issue 8, item 4), and notifications go to the members whose role acts on them, by email
only where each person wants it (item 7)."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.test import Client
from django.utils import translation

from marketplace import services
from marketplace.models import Membership, Notification, Organization
from orders.models import OrderEvent, OrderStatus
from orders.services import order_mark_paid, rfq_message_post
from tests.helpers import add_member, api_client, make_organization
from tests.orders.conftest import drive, make_deal

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def _migration():
    import importlib

    return importlib.import_module("orders.migrations.0006_system_text_keys")


def test_a_notification_written_in_english_is_read_in_chinese():
    deal = make_deal()  # the quote notification is written while English is active
    assert translation.get_language() == "en"
    notification = Notification.objects.get(organization=deal.buyer)
    assert notification.title == ""  # no sentence stored
    assert notification.title_key == "orders.quote_received.title"
    assert notification.title_params == {"factory": deal.factory.name, "title": deal.rfq.title}
    english = f"New quote from {deal.factory.name} on {deal.rfq.title}"
    chinese = f"{deal.factory.name} 对 {deal.rfq.title} 提交了新报价"
    body_zh = "单价 CNY 38.50，交期 10 天。"

    client = Client()
    client.force_login(deal.buyer_user)
    assert english in client.get("/notifications/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/notifications/").content.decode()
    assert chinese in page
    assert body_zh in page
    assert english not in page

    api = api_client(deal.buyer_user, deal.buyer)
    (item,) = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert (item["title"], item["body"], item["topic"]) == (chinese, body_zh, "quotes")
    (item,) = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert item["title"] == english


def test_status_parameters_and_timeline_notes_are_translated_too():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_SHIPPED)
    shipped = Notification.objects.get(
        organization=deal.buyer, title_key="orders.order_status.title"
    )
    assert shipped.title_params["status"] == {"key": "orders.status.sample_shipped", "params": {}}
    with translation.override("zh-hans"):
        assert shipped.display_title == f"{order.number}：样品已发出"

    order = drive(make_deal(), OrderStatus.AWAITING_PAYMENT)
    paid = order_mark_paid(order=order)
    event = OrderEvent.objects.get(order=paid, action="mark_paid")
    assert (event.note, event.note_key) == ("", "orders.note.payment_received")
    client = Client()
    client.force_login(paid.buyer.memberships.get().user)
    client.cookies["django_language"] = "zh-hans"
    assert "已收到付款。" in client.get(f"/orders/{paid.pk}/").content.decode()
    english_api = api_client(paid.buyer.memberships.get().user, paid.buyer)
    events = english_api.get(f"/api/v1/orders/{paid.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Payment received." in [item["note"] for item in events["events"]]


def test_a_persons_note_stays_as_written():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_SHIPPED)
    deal.act("approve_sample", "buyer", note="Looks great, go ahead")
    event = OrderEvent.objects.get(order=order, action="approve_sample")
    # A person's words live in the parameters, never in the sentence column (ADR 0019).
    assert (event.note, event.note_key) == ("", "marketplace.words")
    assert event.note_params == {"text": "Looks great, go ahead"}
    told = Notification.objects.get(
        organization=deal.factory, body_params={"text": "Looks great, go ahead"}
    )
    assert (told.body, told.body_key) == ("", "marketplace.words")
    with translation.override("zh-hans"):
        assert told.display_body == "Looks great, go ahead"
        assert event.display_note == "Looks great, go ahead"


def test_existing_sentences_become_keys_and_the_rest_stay():
    organization, owner = make_organization(Organization.Kind.BUYER)

    def legacy(title: str, body: str = "") -> Notification:
        return Notification.objects.create(
            organization=organization, recipient=owner, title=title, body=body
        )

    quote = legacy(
        "New quote from Ningbo Mill on Oxford shirts", "Unit price CNY 38.50, lead time 8 days."
    )
    status = legacy("PO-000042: Paid, ready for production", "Payment received.")
    hold = legacy("PO-000042: capacity hold extended by 3 days")
    unknown = legacy("PO-000042: Something else", "Hand-written words")
    other_app = legacy("Alarm on Loom 3")
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    event = OrderEvent.objects.create(
        order=order, action="note", note="Quote 12 accepted (revision 2)."
    )
    person = OrderEvent.objects.create(order=order, action="note", note="Call me")

    _migration().forwards(django_apps, None)

    for row in (quote, status, hold, unknown, other_app, event, person):
        row.refresh_from_db()
    assert (quote.title_key, quote.title_params) == (
        "orders.quote_received.title",
        {"factory": "Ningbo Mill", "title": "Oxford shirts"},
    )
    assert (quote.body_key, quote.body_params) == (
        "orders.quote_received.body",
        {"price": "CNY 38.50", "days": 8},
    )
    assert status.title_params == {
        "number": "PO-000042",
        "status": {"key": "orders.status.paid", "params": {}},
    }
    assert status.body_key == "orders.note.payment_received"
    assert (hold.title_key, hold.title_params) == (
        "orders.hold_extended.title",
        {"number": "PO-000042", "days": 3},
    )
    assert (unknown.title_key, unknown.title, unknown.body) == (
        "",
        "PO-000042: Something else",
        "Hand-written words",
    )
    assert (other_app.title_key, other_app.title) == ("", "Alarm on Loom 3")
    assert (event.note_key, event.note_params) == (
        "orders.note.quote_accepted",
        {"pk": 12, "rev": 2},
    )
    assert (person.note_key, person.note) == ("", "Call me")
    with translation.override("zh-hans"):
        assert status.display_title == "PO-000042：已付款，待生产"
        assert quote.display_title == "Ningbo Mill 对 Oxford shirts 提交了新报价"
    assert hold.display_title == "PO-000042: capacity hold extended by 3 days"

    _migration().backwards(django_apps, None)
    status.refresh_from_db()
    assert status.title == "PO-000042: Paid, ready for production"


def test_notifications_go_to_the_roles_that_act_on_them():
    deal = make_deal()
    sales = add_member(deal.buyer, Membership.Role.SALES)
    finance = add_member(deal.buyer, Membership.Role.FINANCE)
    production = add_member(deal.buyer, Membership.Role.PRODUCTION)
    member = add_member(deal.buyer, Membership.Role.MEMBER)
    order = drive(deal, OrderStatus.AWAITING_PAYMENT)
    order_mark_paid(order=order)  # the system's step: both parties hear, as payments
    rfq_message_post(
        rfq=deal.rfq,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        body="Fabric arrived",
    )
    services.notification_send(
        organization=deal.buyer, title="A quote", topic=Notification.Topic.QUOTES, email=False
    )

    def topics(user) -> set[str]:
        return set(Notification.objects.filter(recipient=user).values_list("topic", flat=True))

    assert topics(sales) == {"quotes", "messages"}
    assert topics(finance) == {"payments"}
    assert topics(production) == {"messages", "orders"}  # the sample steps and the message
    assert topics(member) == topics(deal.buyer_user) == {"quotes", "messages", "payments", "orders"}


def test_email_preferences_page_and_the_email_task_honour_them(
    django_capture_on_commit_callbacks,
):
    organization, owner = make_organization(Organization.Kind.BUYER)
    colleague = add_member(organization)
    client = Client()
    client.force_login(owner)
    page = client.get("/account/notifications/").content.decode()
    assert page.count("checked") == len(Notification.Topic.values)  # every topic by default
    response = client.post(
        "/account/notifications/",
        {"email_topics": ["orders", "payments", "messages"], "language": "zh-hans"},
    )
    assert response.status_code == 302
    assert services.notification_preferences(user=owner) == {
        "general": False,
        "quotes": False,
        "messages": True,
        "orders": True,
        "payments": True,
        "service": False,
    }
    page = client.get("/account/notifications/").content.decode()
    assert page.count("checked") == 3
    bad = client.post("/account/notifications/", {"email_topics": ["spam"], "language": "xx"})
    assert bad.status_code == 200
    assert bad.content.decode().count("Select a valid choice") == 2
    assert services.notification_preferences(user=owner)["orders"] is True  # unchanged

    with django_capture_on_commit_callbacks() as callbacks:
        quote_news = services.notification_send(
            organization=organization, title="Quote news", topic=Notification.Topic.QUOTES
        )
    by_person = {item.recipient: item for item in quote_news}
    assert by_person[owner].email_requested is False
    assert by_person[colleague].email_requested is True
    assert len(callbacks) == 1  # the colleague's email goes to the task, the owner's never

    # The owner reads email in Chinese, whatever language was active when it was written.
    mail.outbox.clear()
    news = services.notification_send(
        organization=organization,
        title=services.ORGANIZATION_SUSPENDED(),
        topic=Notification.Topic.ORDERS,
    )
    sent = {item.recipient: item for item in news}
    assert services.notification_email_send(notification_pk=sent[owner].pk) is True
    assert services.notification_email_send(notification_pk=sent[colleague].pk) is True
    assert [message.subject for message in mail.outbox] == [
        "您的组织已被暂停",
        "Your organization is suspended",
    ]

    # Turned off after the news came, before the task ran: the task sends nothing.
    mail.outbox.clear()
    later = services.notification_send(
        organization=organization, title="Later", topic=Notification.Topic.PAYMENTS
    )
    pending = next(item for item in later if item.recipient == owner)
    assert pending.email_requested is True
    client.post("/account/notifications/", {"email_topics": [], "language": ""})
    assert services.notification_email_send(notification_pk=pending.pk) is False
    pending.refresh_from_db()
    assert pending.email_requested is False
    assert mail.outbox == []
