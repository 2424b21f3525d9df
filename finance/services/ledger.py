"""The ledger's one write path: `journal_post`, and the invariant check.

Every movement of money is a `JournalTransaction` with two or more postings summing to zero
per currency (checked here for a clear error, and again by the database at commit). The
cached `Account.balance_minor` moves relative to itself (`balance = balance + delta`, what
an `F()` update compiles to) in the same statement that writes the postings, its rows
locked in primary-key order so that concurrent postings never deadlock; an account that
may not go negative moves only if it stays at or above zero (and the database's CHECK
refuses it anyway). The platform's accounts and each factory's payable are sharded by order
(`platform_shard`, `payable_key`): their balance is the sum of their rows
(`platform_balance`, `organization_balance`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from finance.models import (
    NON_NEGATIVE_PURPOSES,
    PLATFORM_PURPOSES,
    SHARDED_ORGANIZATION_PURPOSES,
    Account,
    AccountPurpose,
    JournalTransaction,
)
from marketplace import texts
from marketplace.exceptions import ConflictError
from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.prepared import fetchone_prepared
from marketplace.texts import Text

Leg = tuple[Account, Money]


class DuplicateReferenceError(ConflictError):
    """This business fact was recorded in the ledger already."""


class InsufficientFundsError(ConflictError):
    """An account that may not go negative would have."""


def negate(amount: Money) -> Money:
    return Money(-amount.amount_minor, amount.currency)


@dataclass(frozen=True)
class AccountKey:
    """What identifies an account: owner (None: the platform), purpose, order (escrow
    only), currency and shard (the platform's accounts and a factory's payable only)."""

    purpose: str
    currency: str
    organization_id: int | None = None
    order_id: int | None = None
    shard: int = 0

    def lookup(self) -> dict:
        return {
            "organization_id": self.organization_id,
            "purpose": self.purpose,
            "order_id": self.order_id,
            "currency": self.currency,
            "shard": self.shard,
        }


def platform_shard(shard_key: int) -> int:
    """Which of the platform's account rows a movement keyed by `shard_key` (its order's
    id, or the id of the record that moves the money) uses."""
    return shard_key % max(1, settings.FINANCE_PLATFORM_ACCOUNT_SHARDS)


def platform_key(purpose: str, currency: str, *, shard_key: int = 0) -> AccountKey:
    return AccountKey(purpose=purpose, currency=currency, shard=platform_shard(shard_key))


def payable_key(factory_id: int, currency: str, *, shard_key: int) -> AccountKey:
    """The row of the factory's payable that money keyed by `shard_key` (its order's id)
    goes to: one factory's releases of different orders never share a row. A payout
    takes from all of them (`payable_accounts_lock`)."""
    return AccountKey(
        purpose=AccountPurpose.FACTORY_PAYOUT,
        currency=currency,
        organization_id=factory_id,
        shard=shard_key % max(1, settings.FINANCE_FACTORY_PAYABLE_SHARDS),
    )


def _check_owner(key: AccountKey) -> None:
    if (key.organization_id is None) != (key.purpose in PLATFORM_PURPOSES):
        raise ValueError(
            f"{key.purpose} accounts are {'not ' if key.organization_id else ''}the platform's"
        )
    if (
        key.shard
        and key.organization_id is not None
        and key.purpose not in SHARDED_ORGANIZATION_PURPOSES
    ):
        raise ValueError("only the platform's accounts and a factory's payable are sharded")


def _account_create(key: AccountKey) -> Account:
    try:
        with transaction.atomic():
            return Account.objects.create(
                **key.lookup(), allow_negative=key.purpose not in NON_NEGATIVE_PURPOSES
            )
    except IntegrityError:
        # Created by a concurrent transaction meanwhile.
        return Account.objects.get(**key.lookup())


_ACCOUNT_FIELDS = [field.attname for field in Account._meta.concrete_fields]
_SELECT_ACCOUNTS = "SELECT {} FROM finance_account WHERE ".format(  # noqa: S608 - column names
    ", ".join(f'"{name}"' for name in _ACCOUNT_FIELDS)
)


def _key_condition(key: AccountKey, parameters: list[Any]) -> str:
    """The WHERE clause of one key (NULL owner or order: IS NULL, which the unique index
    `finance_account_unique` serves)."""
    parameters.extend((key.purpose, key.currency, key.shard))
    condition = "(purpose = %s AND currency = %s AND shard = %s"
    for column, value in (("organization_id", key.organization_id), ("order_id", key.order_id)):
        if value is None:
            condition += f" AND {column} IS NULL"
        else:
            condition += f" AND {column} = %s"
            parameters.append(value)
    return condition + ")"


def accounts_get(*keys: AccountKey) -> list[Account]:
    """The accounts for `keys`, in that order, read with one query (created on first
    use). Plain SQL: this runs for every journal, and building the ORM's query for a few
    five-column keys cost more than the round trip."""
    for key in keys:
        _check_owner(key)
    parameters: list[Any] = []
    sql = _SELECT_ACCOUNTS + " OR ".join(_key_condition(key, parameters) for key in keys)
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    found = {}
    for row in rows:
        account = Account.from_db(connection.alias, _ACCOUNT_FIELDS, row)
        found[
            AccountKey(
                purpose=account.purpose,
                currency=account.currency,
                organization_id=account.organization_id,
                order_id=account.order_id,
                shard=account.shard,
            )
        ] = account
    return [found.get(key) or _account_create(key) for key in keys]


def account_get(
    *,
    purpose: str,
    currency: str,
    organization: Organization | None = None,
    order_pk: int | None = None,
    organization_id: int | None = None,
    shard: int = 0,
) -> Account:
    """The account for (owner, purpose, order, currency, shard), created on first use."""
    owner = organization.pk if organization is not None else organization_id
    key = AccountKey(
        purpose=purpose, currency=currency, organization_id=owner, order_id=order_pk, shard=shard
    )
    return accounts_get(key)[0]


def platform_account(purpose: str, currency: str, *, shard_key: int = 0) -> Account:
    """The platform's `purpose` account row that movements keyed by `shard_key` use."""
    return accounts_get(platform_key(purpose, currency, shard_key=shard_key))[0]


def platform_balance(purpose: str, currency: str) -> Money:
    """The platform's balance for `purpose`: the sum over its shards."""
    total = Account.objects.filter(
        organization__isnull=True, purpose=purpose, currency=currency
    ).aggregate(total=Sum("balance_minor"))["total"]
    return Money(total or 0, currency)


def organization_balance(*, organization_id: int, purpose: str, currency: str) -> Money:
    """An organization's balance for `purpose`: the sum over its shards (one row unless the
    purpose is sharded)."""
    total = Account.objects.filter(
        organization_id=organization_id, purpose=purpose, order__isnull=True, currency=currency
    ).aggregate(total=Sum("balance_minor"))["total"]
    return Money(total or 0, currency)


def payable_accounts_lock(*, factory_id: int, currency: str) -> list[Account]:
    """Every row of the factory's payable, locked in primary-key order (the order in which
    `journal_post` moves balances) until the caller's transaction ends. All of them, not
    only those `FINANCE_FACTORY_PAYABLE_SHARDS` picks today: a lowered setting leaves
    money in the higher rows."""
    return list(
        Account.objects.select_for_update()
        .filter(
            organization_id=factory_id,
            purpose=AccountPurpose.FACTORY_PAYOUT,
            order__isnull=True,
            currency=currency,
        )
        .order_by("pk")
    )


def escrow_account(*, order_pk: int, buyer: Organization, currency: str) -> Account:
    return account_get(
        purpose=AccountPurpose.ESCROW, currency=currency, organization=buyer, order_pk=order_pk
    )


@dataclass(frozen=True)
class RowUpdate:
    """The UPDATE of the business row whose change a journal transaction records (an
    escrow's counters), made by `journal_post` in the journal's own statement and only
    when the journal is written (a repeated reference changes nothing). `where` must hold
    for the row to change; when no row changes, `journal_post` raises `refused`."""

    update: str  # UPDATE <table> SET ... (no WHERE)
    where: str
    params: Sequence[Any]
    refused: Exception


# One round trip for a whole journal transaction: the transaction (refused without a
# savepoint when its reference exists: then no posting is written and no balance moves),
# its postings, and the cached balances of its accounts. The accounts are locked first, in
# primary-key order (no deadlocks between journals that share accounts), then each balance
# moves by its net delta; an account that may not go negative moves only if it stays at or
# above zero, judged on the row as locked (its latest version; the row's CHECK is the
# backstop). The statement returns the transaction's id
# and the accounts it moved: a missing one was refused; with a `RowUpdate`, also how many
# rows that changed.
_INSERT_JOURNAL = """
WITH entry AS (
    INSERT INTO finance_journaltransaction
        (kind, reference, order_id, memo, memo_key, memo_params, created_by_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (reference) DO NOTHING
    RETURNING id
), legs AS (
    INSERT INTO finance_posting (transaction_id, account_id, amount_minor, currency, created_at)
    SELECT entry.id, leg.account_id, leg.amount_minor, leg.currency, %s
    FROM entry, unnest(%s::bigint[], %s::bigint[], %s::varchar[])
        AS leg(account_id, amount_minor, currency)
), delta AS (
    SELECT change.account_id, change.amount_minor
    FROM entry, unnest(%s::bigint[], %s::bigint[]) AS change(account_id, amount_minor)
), locked AS MATERIALIZED (
    SELECT account.id, account.allow_negative, account.balance_minor
    FROM finance_account account
    WHERE account.id IN (SELECT account_id FROM delta)
    ORDER BY account.id
    FOR NO KEY UPDATE
), moved AS (
    UPDATE finance_account account
    SET balance_minor = account.balance_minor + delta.amount_minor
    FROM delta, locked
    WHERE account.id = delta.account_id AND locked.id = delta.account_id
      AND (locked.allow_negative OR locked.balance_minor + delta.amount_minor >= 0)
    RETURNING account.id
)
"""
_JOURNAL_RESULT = """
SELECT (SELECT id FROM entry), ARRAY(SELECT id FROM moved), {changed}"""
_ROW_UPDATE = """, changed AS (
    {update} WHERE ({where}) AND EXISTS (SELECT 1 FROM entry) RETURNING 1
)"""


def journal_post(
    *,
    kind: str,
    reference: str,
    legs: Sequence[Leg],
    order_pk: int | None = None,
    memo: Text | str = "",
    acting_user: User | None = None,
    row_update: RowUpdate | None = None,
) -> JournalTransaction:
    """Record one balanced transaction. Must run inside the caller's transaction, which
    owns the business row whose change this records (and is rolled back with it when
    this raises; `row_update` changes that row in the same statement); zero legs are
    dropped."""
    if not connection.in_atomic_block:
        raise RuntimeError("journal_post must run inside a transaction")
    legs = [(account, amount) for account, amount in legs if amount.amount_minor != 0]
    _check_balanced(legs)
    now = timezone.now()
    memo_key, memo_plain, memo_params = texts.stored(memo)
    memo_plain = memo_plain[:255]
    created_by = acting_user.pk if acting_user is not None else None
    entry_pk = _journal_write(
        legs,
        [
            *(kind, reference, order_pk, memo_plain, memo_key, Jsonb(memo_params)),
            *(created_by, now, now),
        ],
        row_update,
    )
    if entry_pk is None:
        raise DuplicateReferenceError(
            _("This movement was recorded already (%(reference)s).") % {"reference": reference}
        )
    entry = JournalTransaction(
        pk=entry_pk,
        kind=kind,
        reference=reference,
        order_id=order_pk,
        memo=memo_plain,
        memo_key=memo_key,
        memo_params=memo_params,
        created_by_id=created_by,
        created_at=now,
    )
    entry._state.adding = False
    return entry


def _journal_write(
    legs: Sequence[Leg], entry_parameters: list[Any], row_update: RowUpdate | None = None
) -> int | None:
    """Write the transaction, its postings, its balance moves and `row_update` with one
    statement (`_INSERT_JOURNAL`). None when the reference exists (nothing written);
    raises `InsufficientFundsError` when an account would go below zero (or
    `row_update.refused` when its row did not change), leaving the caller's transaction,
    which holds this journal's rows, to be rolled back."""
    deltas: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        deltas[account.pk] += amount.amount_minor
        accounts[account.pk] = account
    moving = sorted(pk for pk, delta in deltas.items() if delta)
    parameters = [
        *entry_parameters,
        [account.pk for account, _amount in legs],
        [amount.amount_minor for _account, amount in legs],
        [amount.currency for _account, amount in legs],
        moving,
        [deltas[pk] for pk in moving],
    ]
    if row_update is None:
        sql = _INSERT_JOURNAL + _JOURNAL_RESULT.format(changed="NULL")
    else:
        sql = (
            _INSERT_JOURNAL
            + _ROW_UPDATE.format(update=row_update.update, where=row_update.where)
            + _JOURNAL_RESULT.format(changed="(SELECT COUNT(*) FROM changed)")
        )
        parameters.extend(row_update.params)
    entry_pk, moved, changed = fetchone_prepared(sql, parameters)
    if entry_pk is None:
        return None
    refused = sorted(set(moving) - set(moved))
    if refused:
        raise InsufficientFundsError(
            _("Not enough money in %(account)s.") % {"account": accounts[refused[0]]}
        )
    if row_update is not None and not changed:
        raise row_update.refused
    return entry_pk


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
