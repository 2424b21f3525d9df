"""Escrow through the services: bank transfers (short, exact, over), credit, milestone
releases with commission and advance repayment, refunds by source."""

from __future__ import annotations

import pytest
from django.db import transaction

from finance.models import (
    AccountPurpose,
    CreditLine,
    Escrow,
    FinancingAdvance,
    JournalTransaction,
    Payment,
    PaymentStatus,
    Refund,
)
from finance.services import credit, escrow, ledger, payments
from finance.services.escrow import Milestone
from marketplace.exceptions import ConflictError, ForbiddenError, InvalidError
from orders.models import OrderStatus
from tests.finance.conftest import cny, order_awaiting_payment

pytestmark = pytest.mark.django_db


def _balance(purpose, organization=None, order_pk=None) -> int:
    if organization is None:  # the platform's: the sum over its shards
        return ledger.platform_balance(purpose, "CNY").amount_minor
    if order_pk is None:  # an organization's: the sum over its shards (a payable's)
        return ledger.organization_balance(
            organization_id=organization.pk, purpose=purpose, currency="CNY"
        ).amount_minor
    return ledger.account_get(
        purpose=purpose, currency="CNY", organization=organization, order_pk=order_pk
    ).balance_minor


def _pay_by_bank(deal, purpose="full"):
    return payments.payment_create(
        order=deal.refresh(),
        organization=deal.buyer,
        purpose=purpose,
        method="bank_transfer",
        acting_user=deal.buyer_user,
    )


def test_bank_transfer_funds_escrow_and_marks_the_order_paid(deal, operator):
    order = order_awaiting_payment(deal)
    payment = _pay_by_bank(deal)
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == order.total == cny("11550.00")
    assert deal.refresh().status == OrderStatus.AWAITING_PAYMENT

    payments.bank_transfer_confirm(payment=payment, received=cny("11550.00"), acting_user=operator)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert deal.refresh().status == OrderStatus.PAID
    assert _balance(AccountPurpose.ESCROW, deal.buyer, order.pk) == 1155000
    assert _balance(AccountPurpose.BANK_CLEARING) == -1155000
    with pytest.raises(ConflictError):
        payments.bank_transfer_confirm(payment=payment, received=cny("1.00"), acting_user=operator)
    assert _balance(AccountPurpose.ESCROW, deal.buyer, order.pk) == 1155000


def test_a_short_transfer_is_recorded_and_the_rest_completes_it(deal, operator):
    order = order_awaiting_payment(deal)
    payment = _pay_by_bank(deal)
    payments.bank_transfer_confirm(payment=payment, received=cny("10000.00"), acting_user=operator)
    payment.refresh_from_db()
    assert (payment.status, payment.received_minor) == (PaymentStatus.PARTIAL, 1000000)
    assert deal.refresh().status == OrderStatus.AWAITING_PAYMENT

    payments.bank_transfer_confirm(payment=payment, received=cny("1600.00"), acting_user=operator)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert deal.refresh().status == OrderStatus.PAID
    # 50.00 more than due arrived: kept as the buyer's cash, never lost.
    assert _balance(AccountPurpose.ESCROW, deal.buyer, order.pk) == 1155000
    assert _balance(AccountPurpose.BUYER_CASH, deal.buyer) == 5000
    assert _balance(AccountPurpose.BANK_CLEARING) == -1160000


@pytest.mark.parametrize(
    ("received", "field"),
    [(cny("0.00"), "amount"), (cny("-5.00"), "amount")],
)
def test_bad_confirmation_amounts_change_nothing(deal, operator, received, field):
    order_awaiting_payment(deal)
    payment = _pay_by_bank(deal)
    with pytest.raises(InvalidError) as error:
        payments.bank_transfer_confirm(payment=payment, received=received, acting_user=operator)
    assert field in error.value.message_dict
    payment.refresh_from_db()
    assert (payment.status, payment.received_minor) == (PaymentStatus.PENDING, 0)
    assert JournalTransaction.objects.count() == 0


def test_wrong_currency_confirmation_is_refused(deal, operator):
    from marketplace.money import Money

    order_awaiting_payment(deal)
    payment = _pay_by_bank(deal)
    with pytest.raises(InvalidError):
        payments.bank_transfer_confirm(
            payment=payment, received=Money(1155000, "USD"), acting_user=operator
        )
    assert JournalTransaction.objects.count() == 0


def test_paying_twice_is_a_conflict_and_the_factory_cannot_pay(deal):
    order_awaiting_payment(deal)
    _pay_by_bank(deal)
    with pytest.raises(ConflictError):
        _pay_by_bank(deal)
    with pytest.raises(ForbiddenError):
        payments.payment_create(
            order=deal.refresh(),
            organization=deal.factory,
            purpose="full",
            method="bank_transfer",
            acting_user=deal.factory_user,
        )
    assert Payment.objects.count() == 1


def test_an_expected_amount_that_differs_from_the_due_one_is_400(deal):
    order_awaiting_payment(deal)
    with pytest.raises(InvalidError) as error:
        payments.payment_create(
            order=deal.refresh(),
            organization=deal.buyer,
            purpose="full",
            method="bank_transfer",
            acting_user=deal.buyer_user,
            expected_amount=cny("1.00"),
        )
    assert "amount" in error.value.message_dict
    assert Payment.objects.count() == 0


def test_deposit_then_balance_add_up_to_the_total(deal, operator):
    order = order_awaiting_payment(deal)
    deposit = _pay_by_bank(deal, "deposit")
    assert deposit.amount == order.goods_total.rounded_share(30, 100)
    payments.bank_transfer_confirm(payment=deposit, received=deposit.amount, acting_user=operator)
    assert deal.refresh().status == OrderStatus.AWAITING_PAYMENT
    balance = _pay_by_bank(deal, "balance")
    assert deposit.amount + balance.amount == order.total
    payments.bank_transfer_confirm(payment=balance, received=balance.amount, acting_user=operator)
    assert deal.refresh().status == OrderStatus.PAID


def _paid_in_production(deal, operator):
    order_awaiting_payment(deal)
    payment = _pay_by_bank(deal)
    payments.bank_transfer_confirm(payment=payment, received=payment.amount, acting_user=operator)
    deal.act("start_production", "factory")
    return deal.refresh()


def test_milestone_releases_pay_the_factory_price_minus_commission_once(deal, operator):
    order = _paid_in_production(deal, operator)
    first = escrow.escrow_release_milestone(order=order, milestone=Milestone.INSPECTION)
    assert first is not None
    assert escrow.escrow_release_milestone(order=order, milestone=Milestone.INSPECTION) is None
    escrow.escrow_release_milestone(order=order, milestone=Milestone.DELIVERY)

    total = order.total.amount_minor
    commission = _balance(AccountPurpose.PLATFORM_FEES)
    inspection_gross = order.goods_total.rounded_share(30, 100)
    expected = inspection_gross.rounded_share(300, 10_000) + (
        order.total - inspection_gross
    ).rounded_share(300, 10_000)
    assert commission == expected.amount_minor
    assert _balance(AccountPurpose.FACTORY_PAYOUT, deal.factory) == total - commission
    assert _balance(AccountPurpose.ESCROW, deal.buyer, order.pk) == 0
    state = Escrow.objects.get(order=order)
    assert (state.funded_minor, state.released_minor, state.refunded_minor) == (total, total, 0)


def test_an_advance_is_repaid_out_of_the_release_before_the_payout(deal, operator):
    order = _paid_in_production(deal, operator)
    with transaction.atomic():
        advance = FinancingAdvance.objects.create(
            organization=deal.factory,
            order=order,
            amount_minor=500000,
            currency="CNY",
            status=FinancingAdvance.Status.APPROVED,
            requested_by=deal.factory_user,
        )
        ledger.journal_post(
            kind="advance",
            reference="advance-test",
            legs=[
                (ledger.platform_account(AccountPurpose.FINANCING, "CNY"), cny("-5000.00")),
                (
                    ledger.account_get(
                        purpose=AccountPurpose.FACTORY_PAYOUT,
                        currency="CNY",
                        organization=deal.factory,
                    ),
                    cny("5000.00"),
                ),
            ],
        )
    escrow.escrow_release_milestone(order=order, milestone=Milestone.DELIVERY)
    advance.refresh_from_db()
    assert advance.status == FinancingAdvance.Status.REPAID
    commission = order.total.rounded_share(300, 10_000).amount_minor
    assert _balance(AccountPurpose.FINANCING) == 0
    # The factory got the advance earlier and the rest now: price minus commission.
    assert _balance(AccountPurpose.FACTORY_PAYOUT, deal.factory) == (
        order.total.amount_minor - commission
    )


def test_refund_returns_credit_first_then_bank_cash(deal, operator, buyer_org):
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("5000.00"), reason="Good history", acting_user=operator
    )
    deposit = payments.payment_create(
        order=order, organization=deal.buyer, purpose="deposit", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    assert deposit.status == PaymentStatus.SUCCEEDED
    assert CreditLine.objects.get(organization=deal.buyer).used_minor == deposit.amount_minor
    balance = _pay_by_bank(deal, "balance")
    payments.bank_transfer_confirm(payment=balance, received=balance.amount, acting_user=operator)
    assert deal.refresh().status == OrderStatus.PAID

    refunds = escrow.escrow_refund(order=order, amount=None, reference="cancel", reason="Cancelled")
    assert escrow.escrow_refund(order=order, amount=None, reference="cancel", reason="x") == []
    assert [(refund.payment.method, refund.amount_minor) for refund in refunds] == [
        ("credit", deposit.amount_minor),
        ("bank_transfer", balance.amount_minor),
    ]
    assert CreditLine.objects.get(organization=deal.buyer).used_minor == 0
    assert _balance(AccountPurpose.BUYER_CREDIT, deal.buyer) == 0
    assert _balance(AccountPurpose.BUYER_CASH, deal.buyer) == balance.amount_minor
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).count() == 2


def test_a_refund_beyond_what_is_held_is_refused(deal, operator):
    order = _paid_in_production(deal, operator)
    escrow.escrow_release_milestone(order=order, milestone=Milestone.INSPECTION)
    held = Escrow.objects.get(order=order).held_minor
    with pytest.raises(ConflictError):
        escrow.escrow_refund(
            order=order, amount=cny("0.01") + order.total, reference="too-much", reason=""
        )
    assert Escrow.objects.get(order=order).held_minor == held
    assert Refund.objects.count() == 0


def test_credit_draw_beyond_the_limit_or_while_overdue_is_refused(deal, operator):
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("100.00"), reason="Trial", acting_user=operator
    )
    with pytest.raises(ConflictError):
        payments.payment_create(
            order=order, organization=deal.buyer, purpose="full", method="credit",
            acting_user=deal.buyer_user,
        )  # fmt: skip
    assert Payment.objects.count() == 0
    assert CreditLine.objects.get(organization=deal.buyer).used_minor == 0
