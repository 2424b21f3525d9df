"""Real threads against real Postgres: an escrow releases or refunds once, and 50 parallel
credit draws never exceed the limit."""

from __future__ import annotations

import pytest

from finance.models import CreditLine, Escrow, JournalTransaction, Payment, PaymentStatus
from finance.services import credit, escrow, payments
from finance.services.escrow import Milestone
from marketplace.exceptions import ConflictError
from orders.models import Order, OrderStatus
from tests.finance.conftest import cny, make_operator, order_awaiting_payment
from tests.orders.conftest import make_category, make_deal
from tests.orders.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


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
