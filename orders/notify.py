"""Action-needed notifications for orders (inbox row + email through the foundation's
`notification_send`). Called inside the transaction that made the news: the inbox rows
commit with it and the email leaves after commit."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.models import Organization
from marketplace.services import notification_send


def rfq_url(rfq_pk: int) -> str:
    return reverse("orders:rfq_detail", kwargs={"pk": rfq_pk})


def order_url(order_pk: int) -> str:
    return reverse("orders:order_detail", kwargs={"pk": order_pk})


def notify(*, organization: Organization, title: str, body: str = "", url: str = "") -> None:
    notification_send(organization=organization, title=title, body=body, url=url)


def rfq_invited(*, rfq, factory: Organization) -> None:
    notify(
        organization=factory,
        title=_("New RFQ matched to you: %(title)s") % {"title": rfq.title},
        body=_("%(quantity)d × %(category)s, ready by %(date)s. Please quote.")
        % {"quantity": rfq.quantity, "category": rfq.category.name, "date": rfq.ready_by},
        url=rfq_url(rfq.pk),
    )


def quote_received(*, quote, revised: bool) -> None:
    template = (
        _("%(factory)s revised its quote on %(title)s")
        if revised
        else _("New quote from %(factory)s on %(title)s")
    )
    notify(
        organization=quote.rfq.buyer,
        title=template % {"factory": quote.factory.name, "title": quote.rfq.title},
        body=_("Unit price %(price)s, lead time %(days)d days.")
        % {"price": quote.unit_price, "days": quote.lead_time_days},
        url=rfq_url(quote.rfq_id),
    )


def message_posted(*, message, recipient: Organization) -> None:
    notify(
        organization=recipient,
        title=_("New message on RFQ %(title)s") % {"title": message.rfq.title},
        body=message.body[:500],
        url=rfq_url(message.rfq_id),
    )


def quote_outcome(*, quote, accepted: bool, order=None) -> None:
    if accepted:
        notify(
            organization=quote.factory,
            title=_("Your quote was accepted: %(number)s") % {"number": order.number},
            body=_("%(buyer)s ordered %(quantity)d units.")
            % {"buyer": quote.rfq.buyer.name, "quantity": order.quantity},
            url=order_url(order.pk),
        )
    else:
        notify(
            organization=quote.factory,
            title=_("Quote not selected: %(title)s") % {"title": quote.rfq.title},
            url=rfq_url(quote.rfq_id),
        )


def order_event(*, order, organization: Organization, title: str, body: str = "") -> None:
    notify(organization=organization, title=title, body=body, url=order_url(order.pk))
