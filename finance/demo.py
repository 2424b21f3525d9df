"""Demo money for the orders demo (`orders.demo`): the demo buyer (bright-threads) gets a
credit line; every demo order that the orders demo drove up to payment is paid here, each
way (bank transfer confirmed by the demo operator, or credit), and driven on to its
scenario's status. On top: an advance on the order in production, a credit repayment that
falls overdue, a dispute decided by a split, and a factory payout sent by the operator.

One order is paid by card, through the same services as a buyer's card payment: a
PaymentIntent created at Stripe, confirmed with Stripe's test card, and the charge's
`payment_intent.succeeded` event read back from Stripe's API (no webhook can reach the
seed) and applied as the webhook would. With Stripe keys set, that is the configured
Stripe (test mode). Without (the default `make run`), the seed starts localstripe, the
local Stripe emulator the test suite uses, on 127.0.0.1 for the seed only, and stops it
after: the demo's card payment is then a real PaymentIntent of an emulator that no longer
runs (refunding it later fails at Stripe and is left to the operator, as any failed card
refund is). Without either, or inside a database transaction (no Stripe call happens in
one), that order is paid by bank transfer instead and the seed says so.

Everything goes through the finance services. Idempotent: an order that has a payment is
left as it is, and the one-off steps check what is there first.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from finance.models import (
    CreditDraw,
    CreditLine,
    DisputeDecision,
    FinancingAdvance,
    Payment,
    PaymentMethod,
    PaymentPurpose,
)
from finance.services import credit, disputes, financing, payments, payouts
from finance.services import stripe as stripe_services
from marketplace.exceptions import DomainError
from marketplace.models import Organization, User
from marketplace.money import Money
from orders import demo as orders_demo
from orders.models import Dispute, Order, OrderStatus

BANK = PaymentMethod.BANK_TRANSFER
CREDIT = PaymentMethod.CREDIT
CARD = PaymentMethod.STRIPE

# Orders demo scenario title -> how the buyer paid.
PAID_BY = {
    "Seersucker shirts": BANK,
    "Twill shirts": BANK,  # financed: the factory took an advance while in production
    "Mandarin-collar shirts": CREDIT,  # the credit line in use
    "Camp-collar shirts": CARD,  # by card through Stripe (or localstripe), see above
    "Henley shirts": CREDIT,  # delivered; its repayment falls overdue
    "Classic white shirts": BANK,
    "Corduroy overshirts": CREDIT,
    "Poplin dress shirts": BANK,  # disputed in transit, decided by a split
}
FINANCED = "Twill shirts"
OVERDUE = "Henley shirts"
SPLIT = "Poplin dress shirts"
CREDIT_LIMIT = Money.from_decimal(Decimal("20000.00"), "CNY")


def seed() -> None:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _seed()


def _seed() -> None:
    buyer = Organization.objects.filter(slug="bright-threads").first()
    operator = User.objects.filter(email="operator@c2m.example").first()
    if buyer is None or operator is None:
        return  # the marketplace demo data is not there
    if not CreditLine.objects.filter(organization=buyer).exists():
        credit.credit_limit_set(
            organization=buyer,
            limit=CREDIT_LIMIT,
            reason="Demo: two years of on-time orders.",
            acting_user=operator,
        )
    scenarios = {title: outcome for title, _quantity, outcome in orders_demo.SCENARIOS}
    for title, method in PAID_BY.items():
        order = Order.objects.filter(buyer=buyer, rfq__title=title).first()
        outcome = scenarios[title]
        if order is None or outcome is None:
            continue  # the orders demo skipped it (the calendar was full)
        if order.status != OrderStatus.AWAITING_PAYMENT or Payment.objects.filter(order=order):
            continue
        if method == CARD and not _paid_by_card(order):
            method = BANK
        try:
            with transaction.atomic():
                _pay_and_drive(order, method, outcome, operator)
        except DomainError:
            continue  # e.g. capacity gone on those days: leave this order where it is
    _finance_order(buyer, operator)
    _decide_dispute(buyer, operator)
    _payout(buyer, operator)
    _overdue(buyer)


def _order(buyer: Organization, title: str) -> Order | None:
    return Order.objects.filter(buyer=buyer, rfq__title=title).first()


def _pay_and_drive(order: Order, method: str, outcome: str, operator: User) -> None:
    order.refresh_from_db()
    if order.status != OrderStatus.AWAITING_PAYMENT:
        if order.status != OrderStatus.PAID:
            return
    elif Payment.objects.filter(order=order).exists():
        return
    else:
        _pay(order, method, operator)
    order.refresh_from_db()
    orders_demo.drive(
        order, orders_demo.steps_after_payment(outcome), orders_demo.parties_of(order)
    )
    orders_demo.scenario_finish(order)


def _full_payment(order: Order, method: str) -> Payment:
    """The demo buyer starts paying the order's full amount by `method`."""
    return payments.payment_create(
        order=order,
        organization=order.buyer,
        purpose=PaymentPurpose.FULL,
        method=method,
        acting_user=orders_demo.parties_of(order)["buyer"][1],
    )


def _pay(order: Order, method: str, operator: User) -> None:
    payment = _full_payment(order, method)
    if method == BANK:
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=operator
        )


# --- the card payment ---------------------------------------------------------------------

_LOCALSTRIPE = """
import sys
from aiohttp import web
from localstripe.server import app
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


@contextlib.contextmanager
def _stripe_for_the_seed() -> Iterator[bool]:
    """The configured Stripe; else localstripe on 127.0.0.1 for the seed only; else
    none (False)."""
    if settings.STRIPE_SECRET_KEY:
        yield True
        return
    if importlib.util.find_spec("localstripe") is None:
        yield False
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.2)
        with override_settings(
            STRIPE_SECRET_KEY="sk_test_c2m_demo",  # noqa: S106 - localstripe takes any key
            STRIPE_API_BASE=f"http://127.0.0.1:{port}",
        ):
            yield True
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _paid_by_card(order: Order) -> bool:
    """Pay the order's full amount by card; False (nothing written) when no Stripe can be
    used here."""
    if connection.in_atomic_block:
        print(f"{order.number}: no Stripe call inside a transaction; paid by bank transfer.")
        return False
    with _stripe_for_the_seed() as available:
        if not available:
            print(f"{order.number}: no Stripe and no localstripe; paid by bank transfer.")
            return False
        payment = _full_payment(order, CARD)
        client = stripe_services.stripe_client()
        card = client.PaymentMethod.create(
            type="card",
            card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        )
        client.PaymentIntent.modify(payment.stripe_payment_intent, payment_method=card.id)
        client.PaymentIntent.confirm(payment.stripe_payment_intent)
        deadline = time.monotonic() + 30
        while True:
            stripe_services.stripe_events_catch_up()
            payment.refresh_from_db()
            if payment.status == payment.Status.SUCCEEDED or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return payment.status == payment.Status.SUCCEEDED


@transaction.atomic
def _finance_order(buyer: Organization, operator: User) -> None:
    order = _order(buyer, FINANCED)
    if order is None or order.status != OrderStatus.IN_PRODUCTION:
        return
    if FinancingAdvance.objects.filter(order=order).exists():
        return
    factory, factory_user = orders_demo.parties_of(order)["factory"]
    limit = financing.advance_limit(order=order)
    advance = financing.advance_request(
        order=order,
        organization=factory,
        amount=limit.rounded_share(1, 2),
        acting_user=factory_user,
        note="Fabric for the second half of the run.",
    )
    financing.advance_decide(advance=advance, approve=True, acting_user=operator)


@transaction.atomic
def _decide_dispute(buyer: Organization, operator: User) -> None:
    order = _order(buyer, SPLIT)
    if order is None or order.status != OrderStatus.DISPUTED:
        return
    dispute = Dispute.objects.filter(order=order, status=Dispute.Status.OPEN).first()
    if dispute is None or DisputeDecision.objects.filter(dispute=dispute).exists():
        return
    disputes.dispute_decide(
        dispute=dispute,
        outcome=DisputeDecision.Outcome.SPLIT,
        refund=order.total.rounded_share(10, 100),
        note="10 % back for the 5 shirts with stained cuffs; the rest to the factory.",
        acting_user=operator,
    )


@transaction.atomic
def _payout(buyer: Organization, operator: User) -> None:
    """The operator sends the factory what it was paid for the completed order."""
    order = _order(buyer, "Classic white shirts")
    if order is None or order.status != OrderStatus.COMPLETED:
        return
    factory = order.factory
    if payouts.payouts_for(organization=factory).exists():
        return
    available = payouts.payout_available(organization=factory, currency=order.currency)
    if available.amount_minor > 0:
        payouts.payout_record(
            organization=factory,
            amount=available,
            bank_reference="DEMO-PAYOUT-0001",
            acting_user=operator,
        )


@transaction.atomic
def _overdue(buyer: Organization) -> None:
    """The demo has no history, so the delivered order's credit draw is dated as if it had
    been delivered a repayment term and a few days ago; the daily task then flags it."""
    order = _order(buyer, OVERDUE)
    if order is None or order.status != OrderStatus.DELIVERED:
        return
    draw = CreditDraw.objects.filter(order=order, status=CreditDraw.Status.OPEN).first()
    if draw is None:
        return
    today = timezone.localdate()
    CreditDraw.objects.filter(pk=draw.pk).update(due_on=today - datetime.timedelta(days=4))
    credit.credit_flag_overdue(today=today)
