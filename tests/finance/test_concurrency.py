"""Real threads against real Postgres: an escrow releases or refunds once, 50 parallel
credit draws never exceed the limit, and parallel payouts from a factory's sharded payable
never pay more than it is owed."""

from __future__ import annotations

import pytest

from finance.models import (
    Account,
    AccountPurpose,
    CreditLine,
    Escrow,
    JournalTransaction,
    Payment,
    PaymentStatus,
    Payout,
)
from finance.services import credit, escrow, payments, payouts
from finance.services.escrow import Milestone
from finance.services.ledger import ledger_invariant_problems
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.money import Money
from orders.models import Order, OrderStatus
from tests.finance.conftest import cny, make_operator, order_awaiting_payment
from tests.orders.conftest import make_category, make_deal
from tests.orders.test_concurrency import run_in_threads

# Up to 50 connections at once: with the reservation races (64) on the other xdist process
# they would pass PostgreSQL's default limit of 100, so one process runs all of them in turn.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("many_connections")]


def _funded_order():
    deal = make_deal(category=make_category())
    operator = make_operator()
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order,
        organization=deal.buyer,
        purpose="full",
        method="bank_transfer",
        acting_user=deal.buyer_user,
    )
    payments.bank_transfer_confirm(payment=payment, received=payment.amount, acting_user=operator)
    return deal, deal.refresh()


def test_twenty_parallel_releases_of_one_milestone_apply_once():
    _deal, order = _funded_order()
    results = run_in_threads(
        [
            lambda: escrow.escrow_release_milestone(order=order, milestone=Milestone.DELIVERY)
            for _ in range(20)
        ]
    )
    released = [result for result in results if isinstance(result, JournalTransaction)]
    assert len(released) == 1, results
    assert results.count(None) == 19
    state = Escrow.objects.get(order=order)
    assert state.released_minor == state.funded_minor == order.total.amount_minor
    assert JournalTransaction.objects.filter(kind="release").count() == 1


def test_twenty_parallel_refunds_of_everything_apply_once():
    _deal, order = _funded_order()
    results = run_in_threads(
        [
            lambda number=number: escrow.escrow_refund(
                order=order, amount=order.total, reference=f"click-{number}", reason="Cancelled"
            )
            for number in range(20)
        ]
    )
    applied = [result for result in results if isinstance(result, list) and result]
    conflicts = [result for result in results if isinstance(result, ConflictError)]
    assert (len(applied), len(conflicts)) == (1, 19), results
    state = Escrow.objects.get(order=order)
    assert state.refunded_minor == state.funded_minor
    assert JournalTransaction.objects.filter(kind="refund").count() == 1


def test_fifty_parallel_credit_draws_never_exceed_the_limit():
    deal = make_deal(category=make_category())
    operator = make_operator()
    first = order_awaiting_payment(deal)
    orders = [first]
    for _ in range(49):
        clone = Order.objects.get(pk=first.pk)
        clone.pk = None
        clone.quote = None
        clone.status = OrderStatus.AWAITING_PAYMENT
        clone.save()
        orders.append(clone)
    limit = first.total * 5 + cny("100.00")
    credit.credit_limit_set(
        organization=deal.buyer, limit=limit, reason="Load test", acting_user=operator
    )

    def draw(order):
        return lambda: payments.payment_create(
            order=order,
            organization=deal.buyer,
            purpose="full",
            method="credit",
            acting_user=deal.buyer_user,
        )

    results = run_in_threads([draw(order) for order in orders])
    paid = [result for result in results if isinstance(result, Payment)]
    refused = [result for result in results if isinstance(result, ConflictError)]
    assert (len(paid), len(refused)) == (5, 45), [
        r for r in results if not isinstance(r, (Payment, ConflictError))
    ]
    line = CreditLine.objects.get(organization=deal.buyer)
    assert line.used_minor == (first.total * 5).amount_minor
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 5
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 5


def test_parallel_releases_to_one_factory_and_parallel_payouts_never_overpay(settings):
    """Four orders of one factory released at once land in four rows of its payable (no
    deadlock, each applied once); then ten parallel payouts of a third of what it is owed
    each: exactly three are paid, every row stays >= 0 and the ledger balances."""
    settings.FINANCE_FACTORY_PAYABLE_SHARDS = 4
    deal = make_deal(category=make_category())
    operator = make_operator()
    first = order_awaiting_payment(deal)
    orders = [first]
    for _ in range(3):
        clone = Order.objects.get(pk=first.pk)
        clone.pk = None
        clone.quote = None
        clone.save()
        orders.append(clone)
    for order in orders:
        payment = payments.payment_create(
            order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
            acting_user=deal.buyer_user,
        )  # fmt: skip
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=operator
        )
    results = run_in_threads(
        [
            lambda order=order: escrow.escrow_release_milestone(
                order=order, milestone=Milestone.DELIVERY
            )
            for order in orders
        ]
    )
    assert all(isinstance(result, JournalTransaction) for result in results), results
    rows = Account.objects.filter(organization=deal.factory, purpose=AccountPurpose.FACTORY_PAYOUT)
    assert sorted(rows.values_list("shard", flat=True)) == [0, 1, 2, 3]
    owed = payouts.payout_available(organization=deal.factory, currency="CNY")
    assert owed == (first.total - first.total.rounded_share(300, 10_000)) * 4

    third = Money(owed.amount_minor // 3, "CNY")
    results = run_in_threads(
        [
            lambda number=number: payouts.payout_record(
                organization=deal.factory,
                amount=third,
                bank_reference=f"ICBC-{number}",
                acting_user=operator,
            )
            for number in range(10)
        ]
    )
    paid = [result for result in results if isinstance(result, Payout)]
    refused = [result for result in results if isinstance(result, InvalidError)]
    assert (len(paid), len(refused)) == (3, 7), results
    left = payouts.payout_available(organization=deal.factory, currency="CNY")
    assert left == owed - third * 3
    assert all(balance >= 0 for balance in rows.values_list("balance_minor", flat=True))
    assert ledger_invariant_problems() == {}
