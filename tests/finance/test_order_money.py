"""The order's life cycle moves its money: the whole flow pays the factory price minus
commission minus the advance repaid; credit starts its repayment clock on delivery;
cancellation refunds; the daily sweep finishes what a missed event left."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finance.models import AccountPurpose, CreditDraw, Escrow, FinancingAdvance
from finance.services import credit, financing, ledger, payments
from finance.services.order_money import escrows_settle
from marketplace.exceptions import ConflictError, InvalidError
from orders.models import OrderStatus
from tests.finance.conftest import cny, factory_payout_minor, order_awaiting_payment, step
from tests.orders.conftest import REPORT_ALL

pytestmark = pytest.mark.django_db


def test_the_whole_flow_pays_price_minus_commission_minus_advance(
    deal, operator, django_capture_on_commit_callbacks
):
    order = order_awaiting_payment(deal)
    payment = payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=operator
        )
    step(deal, "start_production", "factory", django_capture_on_commit_callbacks)
    with pytest.raises(InvalidError):
        financing.advance_request(
            order=deal.refresh(), organization=deal.factory, amount=order.total,
            acting_user=deal.factory_user,
        )  # fmt: skip
    advance = financing.advance_request(
        order=deal.refresh(), organization=deal.factory, amount=cny("3000.00"),
        acting_user=deal.factory_user,
    )  # fmt: skip
    financing.advance_decide(advance=advance, approve=True, acting_user=operator)
    with pytest.raises(ConflictError):
        financing.advance_decide(advance=advance, approve=True, acting_user=operator)
    assert factory_payout_minor(deal) == 300000

    for action, party in (
        (REPORT_ALL, "factory"),
        ("finish_production", "factory"),
        ("record_inspection", "buyer"),
        ("ship", "factory"),
    ):
        step(deal, action, party, django_capture_on_commit_callbacks)
    assert Escrow.objects.get(order=order).released_minor == (
        order.goods_total.rounded_share(30, 100).amount_minor
    )
    step(deal, "confirm_delivery", "buyer", django_capture_on_commit_callbacks)

    commission = ledger.platform_balance(AccountPurpose.PLATFORM_FEES, "CNY").amount_minor
    assert commission == 34650  # 3 % of 11,550.00, in two releases
    advance.refresh_from_db()
    assert advance.status == FinancingAdvance.Status.REPAID
    # The factory holds price - commission in all; of it, 3,000.00 came early as the advance
    # and the releases paid price - commission - advance repaid.
    assert factory_payout_minor(deal) == order.total.amount_minor - commission
    assert ledger.platform_balance(AccountPurpose.FINANCING, "CNY").amount_minor == 0
    assert Escrow.objects.get(order=order).held_minor == 0


def test_credit_is_due_after_delivery_and_flagged_overdue_then_written_off(
    deal, operator, django_capture_on_commit_callbacks
):
    order = order_awaiting_payment(deal)
    credit.credit_limit_set(
        organization=deal.buyer, limit=cny("20000.00"), reason="Trusted", acting_user=operator
    )
    payments.payment_create(
        order=order, organization=deal.buyer, purpose="full", method="credit",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    for action, party in (
        ("start_production", "factory"),
        (REPORT_ALL, "factory"),
        ("finish_production", "factory"),
        ("record_inspection", "buyer"),
        ("ship", "factory"),
        ("confirm_delivery", "buyer"),
    ):
        step(deal, action, party, django_capture_on_commit_callbacks)
    draw = CreditDraw.objects.get()
    assert draw.due_on == timezone.localdate() + datetime.timedelta(days=30)
    # The factory was paid on delivery although the buyer has not repaid yet.
    assert factory_payout_minor(deal) == order.total.amount_minor - 34650

    assert credit.credit_flag_overdue(today=draw.due_on) == 0
    assert credit.credit_flag_overdue(today=draw.due_on + datetime.timedelta(days=1)) == 1
    assert credit.credit_flag_overdue(today=draw.due_on + datetime.timedelta(days=1)) == 0
    line = credit.CreditLine.objects.get(organization=deal.buyer)
    assert line.overdue is True
    credit.credit_write_off(draw=draw, acting_user=operator)
    assert ledger.platform_balance(AccountPurpose.GUARANTEE_FUND, "CNY").amount_minor == (
        -order.total.amount_minor
    )
    line.refresh_from_db()
    assert (line.used_minor, line.limit_minor) == (0, 0)


def test_cancelling_refunds_what_was_paid(deal, operator, django_capture_on_commit_callbacks):
    order = order_awaiting_payment(deal)
    deposit = payments.payment_create(
        order=order, organization=deal.buyer, purpose="deposit", method="bank_transfer",
        acting_user=deal.buyer_user,
    )  # fmt: skip
    payments.bank_transfer_confirm(payment=deposit, received=deposit.amount, acting_user=operator)
    step(deal, "cancel", "buyer", django_capture_on_commit_callbacks)
    assert deal.refresh().status == OrderStatus.CANCELLED
    state = Escrow.objects.get(order=order)
    assert state.refunded_minor == deposit.amount_minor == state.funded_minor
    cash = ledger.account_get(
        purpose=AccountPurpose.BUYER_CASH, currency="CNY", organization=deal.buyer
    )
    assert cash.balance_minor == deposit.amount_minor
    assert escrows_settle() == 0
