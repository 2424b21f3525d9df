"""A sample fee paid before the buyer skips the sample: no sample is made, so the factory
never gets that fee. It goes back the way it came, at once (credit line restored, card
refunded, a bank transfer kept as the buyer's cash), and a sample transfer that arrives
after the skip goes straight back too. The bulk order is then paid and released as if no
sample had ever been asked for: the factory is paid goods minus commission."""

from __future__ import annotations

import pytest

from finance.models import AccountPurpose, CreditLine, Escrow, Payment, PaymentStatus, Refund
from finance.services import credit, ledger, payments
from marketplace.exceptions import DomainError
from orders.models import OrderStatus
from tests.finance.conftest import cny, factory_payout_minor, step
from tests.orders.conftest import REPORT_ALL

pytestmark = pytest.mark.django_db

COMMISSION_BPS = 300


def _with_sample(deal):
    from orders import services as order_services

    deal.order = order_services.quote_accept(
        quote=deal.quote,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        with_sample=True,
    )
    return deal.refresh()


def _deliver(deal, capture) -> None:
    for action, party in (
        ("start_production", "factory"),
        (REPORT_ALL, "factory"),
        ("finish_production", "factory"),
        ("record_inspection", "buyer"),
        ("ship", "factory"),
        ("confirm_delivery", "buyer"),
    ):
        step(deal, action, party, capture)


def test_a_sample_fee_paid_on_credit_is_given_back_when_the_sample_is_skipped(
    deal, operator, settings, django_capture_on_commit_callbacks
):
    # A deposit of 99 % of the goods plus the refunded fee would exceed the goods' total.
    settings.FINANCE_DEPOSIT_PERCENT = 99
    order = _with_sample(deal)
    assert order.sample_fee_minor == 12000
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("20000.00"), reason="Trusted", acting_user=operator
    )
    sample = payments.payment_create(
        order=order, organization=deal.buyer, purpose="sample", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert CreditLine.objects.get(organization=deal.buyer).used_minor == 12000

    step(deal, "skip_sample", "buyer", django_capture_on_commit_callbacks)

    order = deal.refresh()
    assert (order.status, order.with_sample, order.total) == (
        OrderStatus.AWAITING_PAYMENT, False, order.goods_total
    )  # fmt: skip
    state = Escrow.objects.get(order=order)
    assert (state.funded_minor, state.refunded_minor, state.held_minor) == (12000, 12000, 0)
    assert CreditLine.objects.get(organization=deal.buyer).used_minor == 0
    assert [(r.payment_id, r.amount_minor) for r in Refund.objects.all()] == [(sample.pk, 12000)]
    with pytest.raises(DomainError):
        payments.payment_amount_due(order=order, purpose="sample")

    # The bulk order: the full amount is the goods alone, and a deposit that with the
    # refunded fee would reach the goods' total does not mark the order paid.
    deposit = payments.payment_create(
        order=order, organization=deal.buyer, purpose="deposit", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert deal.refresh().status == OrderStatus.AWAITING_PAYMENT
    balance = payments.payment_create(
        order=order, organization=deal.buyer, purpose="balance", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert deposit.amount_minor + balance.amount_minor == order.goods_total.amount_minor
    assert deal.refresh().status == OrderStatus.PAID
    _deliver(deal, django_capture_on_commit_callbacks)

    goods = order.goods_total.amount_minor
    fees = ledger.platform_balance(AccountPurpose.PLATFORM_FEES, "CNY").amount_minor
    assert fees == round(goods * COMMISSION_BPS / 10_000)
    assert factory_payout_minor(deal) == goods - fees
    assert Escrow.objects.get(order=order).held_minor == 0


def test_a_sample_transfer_that_arrives_after_the_skip_goes_back_to_the_buyer(
    deal, operator, django_capture_on_commit_callbacks
):
    order = _with_sample(deal)
    transfer = payments.payment_create(
        order=order, organization=deal.buyer, purpose="sample", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    step(deal, "skip_sample", "buyer", django_capture_on_commit_callbacks)
    assert not Refund.objects.exists()

    # The buyer had sent the money before skipping; it arrives now.
    with django_capture_on_commit_callbacks(execute=True):
        payments.bank_transfer_confirm(
            payment=transfer, received=transfer.amount, acting_user=operator
        )
    transfer.refresh_from_db()
    assert transfer.status == PaymentStatus.SUCCEEDED
    state = Escrow.objects.get(order=order)
    assert (state.funded_minor, state.refunded_minor, state.held_minor) == (12000, 12000, 0)
    cash = ledger.account_get(
        purpose=AccountPurpose.BUYER_CASH, currency="CNY", organization=deal.buyer
    )
    assert cash.balance_minor == 12000

    full = payments.payment_create(
        order=deal.refresh(), organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert full.amount == order.goods_total
    payments.bank_transfer_confirm(payment=full, received=full.amount, acting_user=operator)
    assert deal.refresh().status == OrderStatus.PAID
    _deliver(deal, django_capture_on_commit_callbacks)
    goods = order.goods_total.amount_minor
    fees = ledger.platform_balance(AccountPurpose.PLATFORM_FEES, "CNY").amount_minor
    assert (
        factory_payout_minor(deal) == goods - fees == goods - round(goods * COMMISSION_BPS / 10_000)
    )
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 2


def test_after_a_rejected_sample_the_fee_stands_and_reaches_the_factory(
    deal, operator, django_capture_on_commit_callbacks
):
    order = _with_sample(deal)
    sample = payments.payment_create(
        order=order, organization=deal.buyer, purpose="sample", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=sample, received=sample.amount, acting_user=operator)
    step(deal, "ship_sample", "factory", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deal.act("reject_sample", "buyer", "Collar is too wide.")
    step(deal, "skip_sample", "buyer", django_capture_on_commit_callbacks)
    assert not Refund.objects.exists()
    order = deal.refresh()
    assert order.total == order.goods_total + cny("120.00")
    full = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=full, received=full.amount, acting_user=operator)
    _deliver(deal, django_capture_on_commit_callbacks)
    fees = ledger.platform_balance(AccountPurpose.PLATFORM_FEES, "CNY").amount_minor
    assert factory_payout_minor(deal) == order.total.amount_minor - fees
