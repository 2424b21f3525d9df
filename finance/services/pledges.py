"""Campaign pledges (customization's group / pre-sale campaigns): money a buyer puts into
escrow before any order exists, on its credit line.

A pledge's money sits in the buyer's escrow account with no order (`ESCROW`, order None):
drawn from the credit line (the line's `used` moves with one conditional UPDATE, like an
order's credit payment), given back on refund (the line is restored), or moved into the
escrow of the campaign's production order when the campaign completes: then each
pledger's part becomes a credit draw on that order, repaid like an order's credit payment
(due `repayment_days` after delivery, flagged overdue, settled by `credit_repay`) and
refunded to its pledger's line if the order is cancelled (`escrow_refund`). Every movement
carries a unique ledger reference, so it happens once however often it is asked for.

Customization calls these only through `customization.payments`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from finance import texts
from finance.models import (
    AccountPurpose,
    CreditDraw,
    CreditLine,
    Escrow,
    JournalTransaction,
    TransactionKind,
)
from finance.services import ledger
from finance.services.escrow import escrow_fund, escrow_lock
from marketplace.exceptions import ConflictError
from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.texts import Text
from orders import services as order_services
from orders.models import Order, OrderStatus


def _pledge_account(buyer: Organization, currency: str):
    return ledger.account_get(purpose=AccountPurpose.ESCROW, currency=currency, organization=buyer)


def _credit_account(buyer: Organization, currency: str):
    return ledger.account_get(
        purpose=AccountPurpose.BUYER_CREDIT, currency=currency, organization=buyer
    )


def _recorded(reference: str) -> bool:
    return JournalTransaction.objects.filter(reference=reference).exists()


@transaction.atomic
def pledge_escrow_fund(
    *,
    buyer: Organization,
    amount: Money,
    reference: str,
    memo: Text | str,
    acting_user: User | None,
) -> JournalTransaction | None:
    """Draw `amount` on the buyer's credit line into its pledge escrow. ConflictError (and
    nothing changed) when the line does not cover it; None when already recorded."""
    if _recorded(reference):
        return None
    drawn = CreditLine.objects.filter(
        organization=buyer,
        currency=amount.currency,
        overdue=False,
        used_minor__lte=F("limit_minor") - amount.amount_minor,
    ).update(used_minor=F("used_minor") + amount.amount_minor)
    if drawn != 1:
        raise ConflictError(
            _("Your credit line does not cover this pledge, or is blocked by an overdue repayment.")
        )
    return ledger.journal_post(
        kind=TransactionKind.FUND,
        reference=reference,
        memo=memo,
        acting_user=acting_user,
        legs=[
            (_credit_account(buyer, amount.currency), ledger.negate(amount)),
            (_pledge_account(buyer, amount.currency), amount),
        ],
    )


@transaction.atomic
def pledge_escrow_refund(
    *,
    buyer: Organization,
    amount: Money,
    reference: str,
    memo: Text | str,
    acting_user: User | None,
) -> JournalTransaction | None:
    """Give `amount` of the buyer's pledge escrow back to its credit line (once per
    `reference`)."""
    if amount.amount_minor <= 0 or _recorded(reference):
        return None
    entry = ledger.journal_post(
        kind=TransactionKind.REFUND,
        reference=reference,
        memo=memo,
        acting_user=acting_user,
        legs=[
            (_pledge_account(buyer, amount.currency), ledger.negate(amount)),
            (_credit_account(buyer, amount.currency), amount),
        ],
    )
    CreditLine.objects.filter(organization=buyer, currency=amount.currency).update(
        used_minor=F("used_minor") - amount.amount_minor
    )
    return entry


@transaction.atomic
def pledge_escrows_into_order(
    *,
    order: Order,
    parts: Sequence[tuple[Organization, Money, str]],
    acting_user: User | None = None,
) -> Escrow:
    """Move each (buyer, amount, reference) from the buyer's pledge escrow into the order's
    escrow, and make it a credit draw of the buyer's on the order (its repayment schedule);
    the order is marked paid once its escrow holds the order's total."""
    escrow = escrow_lock(order=order)
    for buyer, amount, reference in parts:
        if amount.amount_minor <= 0 or _recorded(reference):
            continue
        CreditDraw.objects.create(
            organization=buyer,
            credit_line=CreditLine.objects.get(organization=buyer, currency=amount.currency),
            payment=None,
            order=order,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
        )
        escrow_fund(
            escrow=escrow,
            source_purpose=AccountPurpose.ESCROW,
            source_organization=buyer,
            amount=amount,
            reference=reference,
            memo=texts.MEMO_PLEDGE(number=order.number, buyer=buyer.name),
            acting_user=acting_user,
        )
    order.refresh_from_db(fields=["status", "with_sample", "sample_fee_minor"])
    if escrow.funded_minor < order.total.amount_minor:
        raise ConflictError(_("The pledges do not cover the order's total."))
    if order.status == OrderStatus.AWAITING_PAYMENT:
        order_services.order_mark_paid(
            order=order, acting_user=None, note=texts.NOTE_PAID_FROM_PLEDGES()
        )
    return escrow
