"""Card payments through Stripe PaymentIntents, refunds, and the webhook.

Rules: no Stripe call inside a database transaction (the row it is about is committed
first); every Stripe write carries an idempotency key derived from our own row; a webhook
event is applied exactly once, its id stored in the transaction that applies it. The money
rules (no over-refund, no double funding) are enforced on our ledger, never left to the
provider.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from finance.models import (
    AccountPurpose,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    StripeEvent,
)
from finance.services.payments import payment_lock, payment_receive
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.money import Money

logger = logging.getLogger(__name__)


class StripeUnavailableError(ConflictError):
    """Stripe could not be reached or refused the call; nothing was charged."""


def stripe_client() -> Any:
    """The Stripe SDK, pointed at the configured account (and API base)."""
    stripe.api_key = settings.STRIPE_SECRET_KEY
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
    stripe.max_network_retries = 2
    return stripe


def stripe_intent_create(*, payment: Payment) -> Payment:
    """Create the PaymentIntent for a committed payment row (outside any transaction).
    Captured at payment: the escrow is ours, not a card hold that expires in days."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("no Stripe call inside a database transaction")
    try:
        intent = stripe_client().PaymentIntent.create(
            amount=payment.amount_minor,
            currency=payment.currency.lower(),
            payment_method_types=["card"],
            capture_method="automatic",
            metadata={
                "payment": str(payment.pk),
                "order": str(payment.order_id),
                "reference": payment.reference,
            },
            idempotency_key=f"c2m-payment-{payment.pk}-intent",
        )
    except stripe.StripeError as error:
        logger.warning("PaymentIntent for payment %s failed: %s", payment.pk, error)
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.FAILED
        )
        raise StripeUnavailableError(
            _("The card payment could not be started; please try again.")
        ) from error
    Payment.objects.filter(pk=payment.pk).update(
        stripe_payment_intent=intent["id"], stripe_client_secret=intent["client_secret"]
    )
    payment.refresh_from_db()
    return payment


def stripe_intent_cancel(*, payment: Payment) -> None:
    """Cancel the payment's PaymentIntent at Stripe (outside any transaction). Refused when
    Stripe says it can no longer be cancelled (the card was charged meanwhile)."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("no Stripe call inside a database transaction")
    client = stripe_client()
    try:
        intent = client.PaymentIntent.retrieve(payment.stripe_payment_intent)
        if intent["status"] == "canceled":
            return
        if intent["status"] == "succeeded":
            raise ConflictError(_("The card was charged already; the payment is on its way."))
        client.PaymentIntent.cancel(
            payment.stripe_payment_intent, idempotency_key=f"c2m-payment-{payment.pk}-cancel"
        )
    except stripe.StripeError as error:
        logger.warning("Cancelling the intent of payment %s failed: %s", payment.pk, error)
        raise StripeUnavailableError(
            _("The card payment could not be cancelled now; please try again.")
        ) from error


def stripe_event_parse(*, payload: bytes, signature: str) -> Any:
    """The verified event, or InvalidError (a 400) for a bad signature or body."""
    try:
        stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
        )
        # Verified: read it as plain JSON (the SDK's objects are not mappings).
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidError({"signature": [_("Invalid Stripe signature or payload.")]}) from error
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise InvalidError({"payload": [_("Not a Stripe event.")]})
    return event


# A declined attempt (`payment_intent.payment_failed`) leaves the intent open for another
# card, so only success moves money; every event is still recorded once.
HANDLED_EVENTS = ("payment_intent.succeeded",)


@transaction.atomic
def stripe_event_apply(*, event: Any) -> bool:
    """Apply one verified event exactly once; False when it was applied before (or is of
    no interest). A concurrent delivery of the same id waits on the unique index and then
    finds it taken."""
    intent = event["data"]["object"]
    payment = Payment.objects.filter(
        stripe_payment_intent=intent.get("id", ""), method=PaymentMethod.STRIPE
    ).first()
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event["id"], type=event["type"], payment=payment)
    except IntegrityError:
        return False
    if payment is None or event["type"] not in HANDLED_EVENTS:
        return False
    payment = payment_lock(payment_pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return False
    received = Money(int(intent.get("amount_received") or intent["amount"]), payment.currency)
    if received.amount_minor <= 0 or str(intent.get("currency", "")).upper() != payment.currency:
        logger.error("Stripe event %s does not match payment %s", event["id"], payment.pk)
        return False
    payment_receive(
        payment=payment,
        received=received,
        source_purpose=AccountPurpose.STRIPE_CLEARING,
        reference=f"stripe:{event['id']}",
        acting_user=None,
    )
    return True


def stripe_events_catch_up(*, limit: int = 100) -> int:
    """Apply the latest `payment_intent.succeeded` events read back from Stripe's API (our
    secret key authenticates the read, as the webhook's signature does a delivery): for
    payments whose webhook never arrived (an outage, or no public endpoint). Each event
    is applied once whatever path it comes by; returns how many moved money now."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("no Stripe call inside a database transaction")
    try:
        events = stripe_client().Event.list(type="payment_intent.succeeded", limit=limit)
    except stripe.StripeError as error:
        raise StripeUnavailableError(_("Stripe could not be reached; try again later.")) from error
    return sum(stripe_event_apply(event=event.to_dict()) for event in events.data)


def stripe_refund_send(*, refund_pk: int) -> Refund:
    """Send a card refund the ledger already booked (outside any transaction); safe to run
    twice: the idempotency key is the refund row's, and a sent refund is not sent again."""
    refund = Refund.objects.select_related("payment").get(pk=refund_pk)
    if refund.status != Refund.Status.PENDING or refund.payment is None:
        return refund  # only a card payment's refund is ever pending
    try:
        result = stripe_client().Refund.create(
            payment_intent=refund.payment.stripe_payment_intent,
            amount=refund.amount_minor,
            metadata={"refund": str(refund.pk), "order": str(refund.order_id)},
            idempotency_key=f"c2m-refund-{refund.pk}",
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refund %s failed: %s", refund.pk, error)
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED
        )
        refund.refresh_from_db()
        return refund
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
        status=Refund.Status.SUCCEEDED, stripe_refund=result["id"]
    )
    refund.refresh_from_db()
    return refund
