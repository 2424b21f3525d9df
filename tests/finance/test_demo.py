"""The demo's money: orders paid each way, one of them by card through the Stripe services
(localstripe started by the seed itself, since the test settings have no Stripe keys),
read back from Stripe's API as a `payment_intent.succeeded` event and applied once."""

from __future__ import annotations

import pytest

from finance.models import Escrow, Payment, PaymentMethod, PaymentStatus, StripeEvent
from orders.models import OrderStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.date_sensitive,
]


def test_the_demo_pays_orders_each_way_one_by_card():
    from catalog import demo as catalog_demo
    from factories import demo as factories_demo
    from finance import demo as finance_demo
    from marketplace import demo as marketplace_demo
    from orders import demo as orders_demo

    marketplace_demo.seed()
    catalog_demo.seed()
    factories_demo.seed()
    orders_demo.seed()
    finance_demo.seed()

    methods = set(
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED).values_list("method", flat=True)
    )
    assert methods == {PaymentMethod.BANK_TRANSFER, PaymentMethod.CREDIT, PaymentMethod.STRIPE}
    card = Payment.objects.get(method=PaymentMethod.STRIPE)
    assert card.stripe_payment_intent.startswith("pi_")
    assert card.received_minor == card.amount_minor
    assert StripeEvent.objects.filter(payment=card, type="payment_intent.succeeded").count() == 1
    card.order.refresh_from_db()
    assert card.order.status == OrderStatus.SHIPPED
    assert Escrow.objects.get(order=card.order).funded_minor == card.amount_minor

    counts = (Payment.objects.count(), StripeEvent.objects.count())
    finance_demo.seed()
    assert (Payment.objects.count(), StripeEvent.objects.count()) == counts
