"""The ledger's one write path: `journal_post`, and the invariant check.

Every movement of money is a `JournalTransaction` with two or more postings summing to zero
per currency (checked here for a clear error, and again by the database at commit). The
cached `Account.balance_minor` moves with `F()` in the same transaction, account by account
in primary-key order so that concurrent postings never deadlock; the database's CHECK
refuses to take an account that may not go negative below zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from finance.models import (
    NON_NEGATIVE_PURPOSES,
    PLATFORM_PURPOSES,
    Account,
    AccountPurpose,
    JournalTransaction,
    Posting,
)
from marketplace import texts
from marketplace.exceptions import ConflictError
from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.texts import Text

Leg = tuple[Account, Money]


class DuplicateReferenceError(ConflictError):
    """This business fact was recorded in the ledger already."""


class InsufficientFundsError(ConflictError):
    """An account that may not go negative would have."""


def negate(amount: Money) -> Money:
    return Money(-amount.amount_minor, amount.currency)


def account_get(
    *,
    purpose: str,
    currency: str,
    organization: Organization | None = None,
    order_pk: int | None = None,
) -> Account:
    """The account for (owner, purpose, order, currency), created on first use."""
    if (organization is None) != (purpose in PLATFORM_PURPOSES):
        raise ValueError(f"{purpose} accounts are {'not ' if organization else ''}the platform's")
    lookup = {
        "organization": organization,
        "purpose": purpose,
        "order_id": order_pk,
        "currency": currency,
    }
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                **lookup, allow_negative=purpose not in NON_NEGATIVE_PURPOSES
            )
    except IntegrityError:
        # Created by a concurrent transaction meanwhile.
        return Account.objects.get(**lookup)


def platform_account(purpose: str, currency: str) -> Account:
    return account_get(purpose=purpose, currency=currency)


def escrow_account(*, order_pk: int, buyer: Organization, currency: str) -> Account:
    return account_get(
        purpose=AccountPurpose.ESCROW, currency=currency, organization=buyer, order_pk=order_pk
    )


def journal_post(
    *,
    kind: str,
    reference: str,
    legs: Sequence[Leg],
    order_pk: int | None = None,
    memo: Text | str = "",
    acting_user: User | None = None,
) -> JournalTransaction:
    """Record one balanced transaction. Must run inside the caller's transaction, which
    owns the business row whose change this records; zero legs are dropped."""
    if not connection.in_atomic_block:
        raise RuntimeError("journal_post must run inside a transaction")
    legs = [(account, amount) for account, amount in legs if amount.amount_minor != 0]
    _check_balanced(legs)
    now = timezone.now()
    memo_key, memo_plain, memo_params = texts.stored(memo)
    try:
        with transaction.atomic():
            entry = JournalTransaction.objects.create(
                kind=kind,
                reference=reference,
                order_id=order_pk,
                memo=memo_plain[:255],
                memo_key=memo_key,
                memo_params=memo_params,
                created_by=acting_user,
                created_at=now,
            )
    except IntegrityError as error:
        raise DuplicateReferenceError(
            _("This movement was recorded already (%(reference)s).") % {"reference": reference}
        ) from error
    Posting.objects.bulk_create(
        Posting(
            transaction=entry,
            account=account,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            created_at=now,
        )
        for account, amount in legs
    )
    _balances_move(legs)
    return entry


def _check_balanced(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise ValueError("a journal transaction needs at least two non-zero postings")
    totals: dict[str, int] = defaultdict(int)
    for account, amount in legs:
        if account.currency != amount.currency:
            raise ValueError(f"{amount.currency} posted to a {account.currency} account")
        totals[amount.currency] += amount.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise ValueError(f"postings do not balance: {unbalanced}")


def _balances_move(legs: Iterable[Leg]) -> None:
    deltas: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        deltas[account.pk] += amount.amount_minor
        accounts[account.pk] = account
    for pk in sorted(deltas):
        if not deltas[pk]:
            continue
        try:
            with transaction.atomic():
                Account.objects.filter(pk=pk).update(balance_minor=F("balance_minor") + deltas[pk])
        except IntegrityError as error:
            raise InsufficientFundsError(
                _("Not enough money in %(account)s.") % {"account": accounts[pk]}
            ) from error


# --- reads --------------------------------------------------------------------------------


_INVARIANT_QUERIES = {
    "unbalanced_transactions": """
        SELECT transaction_id, currency, SUM(amount_minor) FROM finance_posting
        GROUP BY transaction_id, currency HAVING SUM(amount_minor) <> 0 LIMIT 20""",
    "short_transactions": """
        SELECT t.id, COUNT(p.id) FROM finance_journaltransaction t
        LEFT JOIN finance_posting p ON p.transaction_id = t.id
        GROUP BY t.id HAVING COUNT(p.id) < 2 LIMIT 20""",
    "ledger_not_zero": """
        SELECT currency, SUM(amount_minor) FROM finance_posting
        GROUP BY currency HAVING SUM(amount_minor) <> 0""",
    "negative_accounts": """
        SELECT id, balance_minor FROM finance_account
        WHERE NOT allow_negative AND balance_minor < 0 LIMIT 20""",
    "cached_balance_differs": """
        SELECT a.id, a.balance_minor, COALESCE(s.total, 0) FROM finance_account a
        LEFT JOIN (SELECT account_id, SUM(amount_minor) AS total FROM finance_posting
                   GROUP BY account_id) s ON s.account_id = a.id
        WHERE a.balance_minor <> COALESCE(s.total, 0) LIMIT 20""",
    "escrow_differs_from_ledger": """
        SELECT e.order_id, e.funded_minor - e.released_minor - e.refunded_minor,
               COALESCE(a.balance_minor, 0)
        FROM finance_escrow e LEFT JOIN finance_account a
          ON a.order_id = e.order_id AND a.purpose = 'escrow' AND a.currency = e.currency
        WHERE e.funded_minor - e.released_minor - e.refunded_minor
              <> COALESCE(a.balance_minor, 0) LIMIT 20""",
    "credit_used_differs_from_ledger": """
        SELECT c.organization_id, c.used_minor, COALESCE(-a.balance_minor, 0)
        FROM finance_creditline c LEFT JOIN finance_account a
          ON a.organization_id = c.organization_id AND a.purpose = 'buyer_credit'
         AND a.currency = c.currency
        WHERE c.used_minor <> COALESCE(-a.balance_minor, 0) LIMIT 20""",
}


def ledger_invariant_problems() -> dict[str, list[tuple]]:
    """Every broken ledger invariant with up to 20 offending rows; empty when all hold."""
    problems: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        for name, sql in _INVARIANT_QUERIES.items():
            cursor.execute(sql)
            rows = cursor.fetchall()
            if rows:
                problems[name] = rows
    return problems
