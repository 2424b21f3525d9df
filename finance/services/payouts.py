"""Factory payouts: an operator records money actually sent from the platform's bank to a
factory's bank account. It moves the factory's payable (what the platform owes it: escrow
releases and advances) to the bank clearing account. The payable is sharded by order
(`ledger.payable_key`): a payout locks all of the factory's rows and takes from them in key
order, none below zero (each row's CHECK), so nobody is paid more than they were owed."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from finance import texts
from finance.models import Account, AccountPurpose, Payout, TransactionKind
from finance.services import ledger
from marketplace.exceptions import InvalidError
from marketplace.models import NotificationTopic, Organization, User
from marketplace.money import Money
from marketplace.services import notification_send
from marketplace.texts import words


def payout_available(*, organization: Organization, currency: str) -> Money:
    """What the platform owes the factory now (the sum of its payable's rows)."""
    return ledger.organization_balance(
        organization_id=organization.pk, purpose=AccountPurpose.FACTORY_PAYOUT, currency=currency
    )


def payouts_for(*, organization: Organization) -> QuerySet[Payout]:
    return Payout.objects.filter(organization=organization).order_by("-created_at", "-pk")


@transaction.atomic
def payout_record(
    *,
    organization: Organization,
    amount: Money,
    bank_reference: str,
    acting_user: User,
    note: str = "",
) -> Payout:
    """Record a payout the operator sent by bank transfer. Refused (400, nothing written)
    for a non-factory, a non-positive amount, more than is owed, or a bank reference
    recorded before."""
    if organization.kind != Organization.Kind.FACTORY:
        raise InvalidError({"organization": [_("Only factories are paid out.")]})
    reference = bank_reference.strip()
    if not reference:
        raise InvalidError({"bank_reference": [_("Enter the bank transfer's reference.")]})
    if amount.amount_minor <= 0:
        raise InvalidError({"amount": [_("Enter an amount above zero.")]})
    # Lock every row of the payable so that two operators cannot pay out the same money.
    rows = ledger.payable_accounts_lock(factory_id=organization.pk, currency=amount.currency)
    owed = sum(row.balance_minor for row in rows)
    if amount.amount_minor > owed:
        raise InvalidError(
            {
                "amount": [
                    _("Only %(owed)s is owed to this factory.")
                    % {"owed": Money(owed, amount.currency)}
                ]
            }
        )
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                organization=organization,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                bank_reference=reference,
                note=note.strip()[:255],
                recorded_by=acting_user,
            )
    except IntegrityError as error:
        raise InvalidError(
            {"bank_reference": [_("This bank transfer was recorded already.")]}
        ) from error
    ledger.journal_post(
        kind=TransactionKind.PAYOUT,
        reference=f"payout:{payout.pk}",
        memo=texts.MEMO_PAID_OUT(name=organization.name, reference=reference),
        acting_user=acting_user,
        legs=[
            *_payable_legs(rows, amount),
            (
                ledger.platform_account(
                    AccountPurpose.BANK_CLEARING, amount.currency, shard_key=payout.pk
                ),
                amount,
            ),
        ],
    )
    notification_send(
        organization=organization,
        topic=NotificationTopic.PAYMENTS,
        title=texts.PAYOUT_SENT(amount=amount, reference=reference),
        body=words(payout.note),
    )
    return payout


def _payable_legs(rows: list[Account], amount: Money) -> list[ledger.Leg]:
    """Take `amount` from the (locked) payable rows in key order, each down to zero at
    most."""
    legs: list[ledger.Leg] = []
    left = amount.amount_minor
    for row in rows:
        take = min(left, row.balance_minor)
        if take > 0:
            legs.append((row, Money(-take, amount.currency)))
            left -= take
    return legs
