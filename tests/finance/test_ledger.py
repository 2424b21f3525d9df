"""The ledger is append-only and balanced in the database itself, not only in Python."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from finance.models import Account, AccountPurpose, JournalTransaction, Posting, TransactionKind
from finance.services import ledger
from marketplace.models import Organization
from tests.finance.conftest import cny
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


def _buyer_cash(organization: Organization) -> Account:
    return ledger.account_get(
        purpose=AccountPurpose.BUYER_CASH, currency="CNY", organization=organization
    )


def _post(reference: str, organization: Organization, amount: str = "100.00"):
    bank = ledger.platform_account(AccountPurpose.BANK_CLEARING, "CNY")
    with transaction.atomic():
        return ledger.journal_post(
            kind=TransactionKind.OVERPAYMENT,
            reference=reference,
            legs=[(bank, cny("-" + amount)), (_buyer_cash(organization), cny(amount))],
        )


@pytest.fixture
def organization():
    return make_organization(Organization.Kind.BUYER)[0]


def test_a_balanced_post_moves_both_cached_balances(organization):
    entry = _post("t-1", organization, "100.50")
    assert entry.postings.count() == 2
    assert _buyer_cash(organization).balance_minor == 10050
    assert ledger.platform_balance(AccountPurpose.BANK_CLEARING, "CNY").amount_minor == -10050
    assert ledger.ledger_invariant_problems() == {}


def test_the_same_reference_moves_money_once(organization):
    _post("t-1", organization)
    with pytest.raises(ledger.DuplicateReferenceError):
        _post("t-1", organization)
    assert _buyer_cash(organization).balance_minor == 10000
    assert JournalTransaction.objects.count() == 1


def test_unbalanced_legs_are_refused_before_the_database(organization):
    bank = ledger.platform_account(AccountPurpose.BANK_CLEARING, "CNY")
    with pytest.raises(ValueError, match="do not balance"), transaction.atomic():
        ledger.journal_post(
            kind=TransactionKind.OVERPAYMENT,
            reference="t-2",
            legs=[(bank, cny("-1.00")), (_buyer_cash(organization), cny("2.00"))],
        )
    assert Posting.objects.count() == 0


def test_an_account_that_may_not_go_negative_refuses(organization):
    bank = ledger.platform_account(AccountPurpose.BANK_CLEARING, "CNY")
    with pytest.raises(ledger.InsufficientFundsError), transaction.atomic():
        ledger.journal_post(
            kind=TransactionKind.OVERPAYMENT,
            reference="t-3",
            legs=[(bank, cny("1.00")), (_buyer_cash(organization), cny("-1.00"))],
        )
    assert JournalTransaction.objects.count() == 0
    assert _buyer_cash(organization).balance_minor == 0


def test_the_platforms_accounts_are_sharded_by_order_and_summed(settings, deal, operator):
    """Releases of orders in different shards credit different fee rows (no shared hot
    row); the platform's fee balance is their sum, and every row stays non-negative."""
    from finance.services import escrow, payments
    from tests.finance.conftest import order_awaiting_payment
    from tests.orders.conftest import make_deal

    settings.FINANCE_PLATFORM_ACCOUNT_SHARDS = 4
    orders = []
    for current in (deal, make_deal(category=deal.category)):
        order = order_awaiting_payment(current)
        payment = payments.payment_create(
            order=order, organization=current.buyer, purpose="full", method="bank_transfer",
            acting_user=current.buyer_user,
        )  # fmt: skip
        payments.bank_transfer_confirm(
            payment=payment, received=payment.amount, acting_user=operator
        )
        escrow.escrow_release_milestone(order=order, milestone=escrow.Milestone.DELIVERY)
        orders.append(order)
    fees = Account.objects.filter(purpose=AccountPurpose.PLATFORM_FEES)
    assert sorted(fees.values_list("shard", flat=True)) == sorted(o.pk % 4 for o in orders)
    assert len({o.pk % 4 for o in orders}) == 2
    total = sum(o.total.rounded_share(300, 10_000).amount_minor for o in orders)
    assert ledger.platform_balance(AccountPurpose.PLATFORM_FEES, "CNY").amount_minor == total
    assert all(account.balance_minor > 0 for account in fees)
    assert ledger.platform_balance(AccountPurpose.BANK_CLEARING, "CNY").amount_minor == -sum(
        o.total.amount_minor for o in orders
    )
    assert Account.objects.filter(purpose=AccountPurpose.BANK_CLEARING).count() == 2
    with pytest.raises(ValueError, match="only the platform"):
        ledger.account_get(
            purpose=AccountPurpose.BUYER_CASH, currency="CNY", organization=deal.buyer, shard=1
        )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE finance_posting SET amount_minor = amount_minor + 1",
        "DELETE FROM finance_posting",
        "UPDATE finance_journaltransaction SET memo = 'changed'",
        "DELETE FROM finance_journaltransaction",
        "DELETE FROM finance_account",
        "UPDATE finance_account SET purpose = 'escrow'",
    ],
)
def test_direct_sql_cannot_rewrite_history(organization, sql):
    _post("t-1", organization)
    before = list(Posting.objects.values_list("pk", "amount_minor").order_by("pk"))
    with (
        pytest.raises(DatabaseError, match="pgtrigger: Cannot"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert list(Posting.objects.values_list("pk", "amount_minor").order_by("pk")) == before
    assert JournalTransaction.objects.get().memo == ""


def _raw_transaction(reference: str, account: Account, amounts: list[int], currency: str):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_journaltransaction (kind, reference, memo, created_at)"
            " VALUES ('fund', %s, '', now()) RETURNING id",
            [reference],
        )
        (transaction_id,) = cursor.fetchone()
        # One statement: the test's immediate constraint mode checks after it, as a commit
        # would after the whole transaction.
        rows = ", ".join(["(%s, %s, %s, %s, now())"] * len(amounts))
        sql = "INSERT INTO finance_posting (transaction_id, account_id, amount_minor, currency,"
        cursor.execute(
            sql + " created_at) VALUES " + rows,
            [
                value
                for amount in amounts
                for value in (transaction_id, account.pk, amount, currency)
            ],
        )


def test_the_database_refuses_an_unbalanced_transaction_by_sql(organization):
    """The deferred trigger is the last word: hand-written SQL that skips the service."""
    _post("t-1", organization)
    account = _buyer_cash(organization)
    with pytest.raises(IntegrityError, match="does not balance"):
        _raw_transaction("sql-1", account, [500, -400], "CNY")
    assert not JournalTransaction.objects.filter(reference="sql-1").exists()


def test_a_lone_posting_is_refused_by_sql(organization):
    account = _buyer_cash(organization)
    with pytest.raises(IntegrityError, match="fewer than two"):
        _raw_transaction("sql-3", account, [500], "CNY")


def test_a_posting_in_another_currency_than_its_account_is_refused(organization):
    account = _buyer_cash(organization)
    with pytest.raises(IntegrityError, match="differs"):
        _raw_transaction("sql-2", account, [500, -500], "USD")


def test_a_posting_added_to_a_checked_transaction_is_checked_again(organization):
    """The trigger checks a journal transaction once for the postings it saw; a posting
    added to it afterwards (here: a later statement, constraints immediate) is not let
    through on the strength of that first check."""
    account = _buyer_cash(organization)
    _raw_transaction("sql-5", account, [500, -500], "CNY")
    entry = JournalTransaction.objects.get(reference="sql-5")
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO finance_posting (transaction_id, account_id, amount_minor,"
            " currency, created_at) VALUES (%s, %s, 1, 'CNY', now())",
            [entry.pk, account.pk],
        )


def test_the_invariant_check_finds_a_cached_balance_that_drifted(organization):
    _post("t-1", organization)
    with transaction.atomic():
        Account.objects.filter(pk=_buyer_cash(organization).pk).update(balance_minor=1)
        problems = ledger.ledger_invariant_problems()
        assert set(problems) == {"cached_balance_differs"}
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_without_the_test_transaction_the_check_runs_at_commit(organization):
    """Deferred for real: the first posting alone is accepted, the commit is refused."""
    account = _buyer_cash(organization)
    with pytest.raises(IntegrityError, match="does not balance"):
        _two_raw_statements(account)
    assert not JournalTransaction.objects.filter(reference="sql-4").exists()


@transaction.atomic
def _two_raw_statements(account: Account) -> None:
    _raw_transaction("sql-4", account, [500], "CNY")
    _raw_transaction_posting_add("sql-4", account, -400)


def _raw_transaction_posting_add(reference: str, account: Account, amount: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_posting (transaction_id, account_id, amount_minor, currency,"
            " created_at) SELECT id, %s, %s, 'CNY', now() FROM finance_journaltransaction"
            " WHERE reference = %s",
            [account.pk, amount, reference],
        )
