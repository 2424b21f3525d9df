"""Action-needed notifications for orders (inbox row + email through the foundation's
`notification_send`). Called inside the transaction that made the news: the inbox rows
commit with it and the email leaves after commit. Titles and bodies are
`marketplace.texts` keys with their parameters, so each reader sees them in their own
language; a message's words stay as written."""

from __future__ import annotations

from django.urls import reverse

from marketplace.models import NotificationTopic, Organization
from marketplace.services import notification_send
from marketplace.texts import Text, choice, words
from orders import texts


def rfq_url(rfq_pk: int) -> str:
    return reverse("orders:rfq_detail", kwargs={"pk": rfq_pk})


def order_url(order_pk: int) -> str:
    return reverse("orders:order_detail", kwargs={"pk": order_pk})


def notify(
    *,
    organization: Organization,
    title: Text | str,
    body: Text | str = "",
    url: str = "",
    topic: str = NotificationTopic.ORDERS,
) -> None:
    notification_send(organization=organization, title=title, body=body, url=url, topic=topic)


def rfq_invited(*, rfq, factory: Organization) -> None:
    notify(
        organization=factory,
        title=texts.RFQ_INVITED(title=rfq.title),
        body=texts.RFQ_INVITED_BODY(
            quantity=rfq.quantity, category=rfq.category.name, date=rfq.ready_by
        ),
        url=rfq_url(rfq.pk),
        topic=NotificationTopic.QUOTES,
    )


def quote_received(*, quote, revised: bool) -> None:
    message = texts.QUOTE_REVISED if revised else texts.QUOTE_RECEIVED
    notify(
        organization=quote.rfq.buyer,
        title=message(factory=quote.factory.name, title=quote.rfq.title),
        body=texts.QUOTE_BODY(price=quote.unit_price, days=quote.lead_time_days),
        url=rfq_url(quote.rfq_id),
        topic=NotificationTopic.QUOTES,
    )


def rfq_declined(*, invitation) -> None:
    notify(
        organization=invitation.rfq.buyer,
        title=texts.RFQ_DECLINED(factory=invitation.factory.name, title=invitation.rfq.title),
        body=words(invitation.decline_reason),
        url=rfq_url(invitation.rfq_id),
        topic=NotificationTopic.QUOTES,
    )


def message_posted(*, message, recipient: Organization) -> None:
    notify(
        organization=recipient,
        title=texts.RFQ_MESSAGE(title=message.rfq.title),
        body=words(message.body[:500]),
        url=rfq_url(message.rfq_id),
        topic=NotificationTopic.MESSAGES,
    )


def order_message_posted(*, message, recipient: Organization) -> None:
    notify(
        organization=recipient,
        title=texts.ORDER_MESSAGE(number=message.order.number),
        body=words(message.body[:500]),
        url=order_url(message.order_id) + "#messages",
        topic=NotificationTopic.MESSAGES,
    )


def quote_outcome(*, quote, accepted: bool, order=None) -> None:
    if accepted:
        notify(
            organization=quote.factory,
            title=texts.QUOTE_ACCEPTED(number=order.number),
            body=texts.QUOTE_ACCEPTED_BODY(buyer=quote.rfq.buyer.name, quantity=order.quantity),
            url=order_url(order.pk),
            topic=NotificationTopic.QUOTES,
        )
    else:
        notify(
            organization=quote.factory,
            title=texts.QUOTE_NOT_SELECTED(title=quote.rfq.title),
            url=rfq_url(quote.rfq_id),
            topic=NotificationTopic.QUOTES,
        )


def order_status(*, order, status: str) -> Text:
    """ "PO-000012: In production", in the reader's language."""
    return texts.ORDER_STATUS(number=order.number, status=choice("orders.status", status))


def order_event(
    *,
    order,
    organization: Organization,
    title: Text | str,
    body: Text | str = "",
    topic: str = NotificationTopic.ORDERS,
) -> None:
    notify(organization=organization, title=title, body=body, url=order_url(order.pk), topic=topic)
