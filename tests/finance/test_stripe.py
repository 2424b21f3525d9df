"""Card payments against localstripe through the official SDK: a PaymentIntent per payment,
the signed webhook applied exactly once (20 parallel deliveries), a bad signature refused
with nothing changed, and refunds sent to Stripe after commit."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from finance.models import Escrow, JournalTransaction, Payment, PaymentStatus, Refund, StripeEvent
from finance.services import escrow, payments
from finance.services import stripe as stripe_services
from orders.models import OrderStatus
from tests.finance.conftest import WEBHOOK_SECRET, order_awaiting_payment
from tests.orders.conftest import make_category, make_deal
from tests.orders.test_concurrency import run_in_threads


def _card_payment(deal):
    order = order_awaiting_payment(deal)
    return payments.payment_create(
        order=order,
        organization=deal.buyer,
        purpose="full",
        method="stripe",
        acting_user=deal.buyer_user,
    )


def _confirm_with_test_card(payment: Payment) -> dict:
    """What the browser's card element does, done server-side with a test card."""
    client = stripe_services.stripe_client()
    method = client.PaymentMethod.create(
        type="card",
        card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    )
    # localstripe confirms an intent whose payment method was attached beforehand.
    client.PaymentIntent.modify(payment.stripe_payment_intent, payment_method=method.id)
    return client.PaymentIntent.confirm(payment.stripe_payment_intent)


def _signed(event: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode()}", secret
    )
    return payload, f"t={timestamp},v1={signature}"


def _succeeded_event(payment: Payment, intent: dict, event_id: str = "evt_c2m_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": intent.to_dict()},
    }


def _post_webhook(payload: bytes, signature: str):
    return Client().post(
        reverse("stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("many_connections")  # 20 connections at once: see test_concurrency.py
def test_twenty_parallel_deliveries_of_one_event_fund_the_escrow_once(stripe_settings):
    deal = make_deal(category=make_category())
    payment = _card_payment(deal)
    assert payment.stripe_payment_intent.startswith("pi_")
    assert payment.stripe_client_secret
    intent = _confirm_with_test_card(payment)
    assert intent["status"] == "succeeded"
    payload, signature = _signed(_succeeded_event(payment, intent))

    results = run_in_threads([lambda: _post_webhook(payload, signature) for _ in range(20)])

    assert [getattr(response, "status_code", response) for response in results] == [200] * 20
    assert sum(response.json()["applied"] for response in results) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Escrow.objects.get(order_id=payment.order_id).funded_minor == payment.amount_minor
    assert JournalTransaction.objects.filter(kind="fund").count() == 1
    assert StripeEvent.objects.count() == 1
    assert deal.refresh().status == OrderStatus.PAID


@pytest.mark.django_db(transaction=True)
def test_a_bad_signature_is_400_and_changes_nothing(stripe_settings):
    deal = make_deal(category=make_category())
    payment = _card_payment(deal)
    intent = _confirm_with_test_card(payment)
    payload, signature = _signed(_succeeded_event(payment, intent), secret="whsec_wrong")
    response = _post_webhook(payload, signature)
    assert response.status_code == 400
    assert "signature" in response.json()["errors"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert StripeEvent.objects.count() == 0
    assert JournalTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_card_refund_is_booked_once_and_sent_to_stripe(stripe_settings):
    deal = make_deal(category=make_category())
    payment = _card_payment(deal)
    intent = _confirm_with_test_card(payment)
    stripe_services.stripe_event_apply(event=_succeeded_event(payment, intent))
    order = deal.refresh()
    refunds = escrow.escrow_refund(order=order, amount=None, reference="cancel", reason="Cancel")
    assert [refund.status for refund in refunds] == [Refund.Status.PENDING]
    sent = stripe_services.stripe_refund_send(refund_pk=refunds[0].pk)
    assert sent.status == Refund.Status.SUCCEEDED
    assert sent.stripe_refund.startswith("re_")
    assert stripe_services.stripe_refund_send(refund_pk=refunds[0].pk).stripe_refund == (
        sent.stripe_refund
    )
    assert Escrow.objects.get(order=order).refunded_minor == payment.amount_minor
