"""Finance: a double-entry ledger and the money records built on it.

The ledger (`Account`, `JournalTransaction`, `Posting`) is append-only in the database:
triggers refuse any UPDATE or DELETE of a transaction or posting, and a deferred constraint
trigger refuses, at commit, a transaction whose postings do not sum to zero per currency.
`Account.balance_minor` is a cache of the sum of its postings, moved with `F()` in the same
transaction as the postings; a CHECK keeps accounts that may not go negative from doing so.

Everything else here (escrows, payments, credit lines, advances, refunds, Stripe events,
dispute decisions) records *why* money moved; the ledger records *that* it moved.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import texts
from marketplace.money import DEFAULT_CURRENCY, Money
from marketplace.tenancy import TenantQuerySet

# --- the ledger ---------------------------------------------------------------------------


class AccountPurpose(models.TextChoices):
    BUYER_CASH = "buyer_cash", _("Buyer cash")
    BUYER_CREDIT = "buyer_credit", _("Buyer credit")
    ESCROW = "escrow", _("Order escrow")
    FACTORY_PAYOUT = "factory_payout", _("Payable to the factory")
    PLATFORM_FEES = "platform_fees", _("Platform fees")
    GUARANTEE_FUND = "guarantee_fund", _("Platform guarantee fund")
    FINANCING = "financing", _("Order financing")
    BANK_CLEARING = "bank_clearing", _("Bank transfers")
    STRIPE_CLEARING = "stripe_clearing", _("Card payments (Stripe)")


# Accounts that hold money for someone can never go below zero; the others mirror money
# owed to or by the platform (a credit line in use, an advance outstanding, money that
# arrived from outside) and are negative by nature.
NON_NEGATIVE_PURPOSES = frozenset(
    {
        AccountPurpose.BUYER_CASH,
        AccountPurpose.ESCROW,
        AccountPurpose.FACTORY_PAYOUT,
        AccountPurpose.PLATFORM_FEES,
    }
)
# An organization's accounts that are split into shards like the platform's: a factory's
# payable, which every release to that factory moves.
SHARDED_ORGANIZATION_PURPOSES = frozenset({AccountPurpose.FACTORY_PAYOUT})
PLATFORM_PURPOSES = frozenset(
    {
        AccountPurpose.PLATFORM_FEES,
        AccountPurpose.GUARANTEE_FUND,
        AccountPurpose.FINANCING,
        AccountPurpose.BANK_CLEARING,
        AccountPurpose.STRIPE_CLEARING,
    }
)


class AccountQuerySet(TenantQuerySet["Account"]):
    pass


class Account(models.Model):
    """One ledger account: an organization's (or, with no organization, the platform's)
    money for one purpose in one currency; escrow accounts also name their order."""

    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=AccountPurpose.choices)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    # The platform's accounts and a factory's payable are split into shards (one row
    # each, picked by order) so that unrelated orders never wait on one hot balance row;
    # their balance is the sum. Every other account has the one shard 0.
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    allow_negative = models.BooleanField(default=False)
    balance_minor = models.BigIntegerField(_("balance (minor units)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "purpose", "order_id", "currency", "shard"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "purpose", "order", "currency", "shard"],
                name="finance_account_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance_minor__gte=0),
                name="finance_account_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(shard=0)
                | Q(organization__isnull=True)
                | Q(purpose__in=sorted(SHARDED_ORGANIZATION_PURPOSES)),
                name="finance_account_shards_platform_or_payable",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="account_no_delete", operation=pgtrigger.Delete),
            # Only the cached balance ever changes; what the account *is* never does.
            pgtrigger.Protect(
                name="account_identity_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "organization", "purpose", "order", "currency", "shard", "allow_negative"
                ),
            ),
        ]

    def __str__(self) -> str:
        organization = self.organization if self.organization_id is not None else None
        owner = organization.name if organization is not None else _("Platform")
        label = AccountPurpose(self.purpose).label
        if self.order_id:
            return f"{owner}: {label} PO-{self.order_id:06d} ({self.currency})"
        if self.shard:
            return f"{owner}: {label} ({self.currency}) #{self.shard}"
        return f"{owner}: {label} ({self.currency})"

    @property
    def balance(self) -> Money:
        return Money(self.balance_minor, self.currency)


class TransactionKind(models.TextChoices):
    FUND = "fund", _("Escrow funded")
    RELEASE = "release", _("Escrow released")
    REFUND = "refund", _("Escrow refunded")
    OVERPAYMENT = "overpayment", _("Overpayment kept as buyer cash")
    CREDIT_DRAW = "credit_draw", _("Credit drawn")
    CREDIT_REPAY = "credit_repay", _("Credit repaid")
    CREDIT_WRITE_OFF = "credit_write_off", _("Credit written off")
    ADVANCE = "advance", _("Financing advance")
    PAYOUT = "payout", _("Payout to factory")
    GUARANTEE_TOP_UP = "guarantee_top_up", _("Guarantee fund top-up")


class JournalTransaction(models.Model):
    """One balanced movement of money. `reference` is unique: the same business fact (a
    payment confirmed, a milestone released, a webhook event) can be recorded only once."""

    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    reference = models.CharField(_("reference"), max_length=120, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    # A memo the system writes is a `marketplace.texts` key and parameters (ADR 0018);
    # `memo` keeps words a person typed (a refund reason).
    # Database defaults too: the ledger's invariants are also checked by rows written in SQL.
    memo_key = models.CharField(max_length=100, blank=True, default="", db_default="")
    memo_params = models.JSONField(
        default=dict, blank=True, db_default=models.Value({}, output_field=models.JSONField())
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("journal transaction")
        verbose_name_plural = _("journal transactions")
        triggers = [
            pgtrigger.Protect(
                name="journal_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def display_memo(self) -> str:
        """The memo in the active language."""
        if self.memo_key:
            return texts.render(self.memo_key, self.memo_params, fallback=self.memo)
        return self.memo


# Runs at commit (deferred), once per posting row: by then every posting of the transaction
# is there, so "sums to zero per currency, at least two postings, currency of the account"
# is a statement about the whole transaction. One query checks all three for the whole
# journal transaction; it then notes (for the rest of this database transaction) the
# highest posting id it covered, so the same journal transaction's other rows skip the
# repeat, while a posting added to it later (a higher id) is checked again.
_BALANCE_CHECK = """
checked := current_setting('finance.journal_checked', true);
IF checked IS NOT NULL AND checked <> ''
   AND split_part(checked, ':', 1)::bigint = NEW.transaction_id
   AND NEW.id <= split_part(checked, ':', 2)::bigint THEN
    RETURN NULL;
END IF;
SELECT SUM(t.postings), COALESCE(bool_or(t.foreign_currency), false),
       COALESCE(bool_or(t.total <> 0), false), MAX(t.last_id)
  INTO postings, foreign_currency, unbalanced, last_id
  FROM (SELECT COUNT(*) AS postings, bool_or(a.currency <> p.currency) AS foreign_currency,
               SUM(p.amount_minor) AS total, MAX(p.id) AS last_id
          FROM finance_posting p JOIN finance_account a ON a.id = p.account_id
         WHERE p.transaction_id = NEW.transaction_id
         GROUP BY p.currency) t;
IF foreign_currency THEN
    RAISE EXCEPTION 'journal transaction %: a posting''s currency differs from its account''s',
        NEW.transaction_id USING ERRCODE = 'check_violation';
END IF;
IF postings < 2 THEN
    RAISE EXCEPTION 'journal transaction % has fewer than two postings', NEW.transaction_id
        USING ERRCODE = 'check_violation';
END IF;
IF unbalanced THEN
    RAISE EXCEPTION 'journal transaction % does not balance', NEW.transaction_id
        USING ERRCODE = 'check_violation';
END IF;
PERFORM set_config('finance.journal_checked', NEW.transaction_id || ':' || last_id, true);
RETURN NULL;
"""


class Posting(models.Model):
    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="finance_posting_not_zero"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="posting_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            pgtrigger.Trigger(
                name="posting_transaction_balances",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                declare=[
                    ("checked", "text"),
                    ("postings", "bigint"),
                    ("foreign_currency", "boolean"),
                    ("unbalanced", "boolean"),
                    ("last_id", "bigint"),
                ],
                func=_BALANCE_CHECK,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_minor} {self.currency}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# --- escrow and payments ------------------------------------------------------------------


class Escrow(models.Model):
    """The order's escrow position. `funded >= released + refunded` is a CHECK, and every
    change is one conditional UPDATE under the row's lock: no double release or refund."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    factory = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3)
    funded_minor = models.BigIntegerField(_("funded"), default=0)
    released_minor = models.BigIntegerField(_("released"), default=0)
    refunded_minor = models.BigIntegerField(_("refunded"), default=0)
    commission_bps = models.PositiveIntegerField(_("commission (basis points)"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("escrow")
        verbose_name_plural = _("escrows")
        constraints = [
            models.CheckConstraint(
                condition=Q(funded_minor__gte=0)
                & Q(released_minor__gte=0)
                & Q(refunded_minor__gte=0)
                & Q(funded_minor__gte=F("released_minor") + F("refunded_minor")),
                name="finance_escrow_within_funded",
            ),
        ]

    def __str__(self) -> str:
        return f"Escrow PO-{self.order_id:06d}"

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def held_minor(self) -> int:
        return self.funded_minor - self.released_minor - self.refunded_minor

    @property
    def funded(self) -> Money:
        return self.money(self.funded_minor)

    @property
    def released(self) -> Money:
        return self.money(self.released_minor)

    @property
    def refunded(self) -> Money:
        return self.money(self.refunded_minor)

    @property
    def held(self) -> Money:
        return self.money(self.held_minor)


class PaymentPurpose(models.TextChoices):
    SAMPLE = "sample", _("Sample fee")
    DEPOSIT = "deposit", _("Deposit")
    BALANCE = "balance", _("Balance")
    FULL = "full", _("Full amount")


class PaymentMethod(models.TextChoices):
    CREDIT = "credit", _("Credit line")
    STRIPE = "stripe", _("Card (Stripe)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the money")
    SUCCEEDED = "succeeded", _("Received")
    PARTIAL = "partial", _("Received short")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.PARTIAL)


class Payment(models.Model):
    """A buyer's payment of one purpose into an order's escrow."""

    Purpose = PaymentPurpose
    Method = PaymentMethod
    Status = PaymentStatus

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=10, choices=PaymentPurpose.choices)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    received_minor = models.BigIntegerField(_("received"), default=0)
    reference = models.CharField(_("payment reference"), max_length=40, unique=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    stripe_client_secret = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="finance_payment_positive"
            ),
            # One live payment per purpose: paying twice is a conflict, not a second charge.
            models.UniqueConstraint(
                fields=["order", "purpose"],
                condition=Q(status__in=ACTIVE_PAYMENT_STATUSES),
                name="finance_payment_one_active_per_purpose",
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent"],
                condition=~Q(stripe_payment_intent=""),
                name="finance_payment_unique_intent",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def received(self) -> Money:
        return Money(self.received_minor, self.currency)

    def money_of(self, minor: int) -> Money:
        return Money(minor, self.currency)


class Refund(models.Model):
    """Money given back out of an escrow; a card refund goes to Stripe after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being sent")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed: operator to follow up")

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    # A payment's refund, or (campaign orders, paid from pledges) a refund of a credit draw.
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    credit_draw = models.ForeignKey(
        "CreditDraw", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_refund = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="finance_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of {self.payment_id or self.credit_draw_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class StripeEvent(models.Model):
    """A processed Stripe webhook event, stored in the transaction that applied it."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.event_id


# --- credit voucher -----------------------------------------------------------------------


class CreditLine(models.Model):
    """A buyer's platform-guaranteed credit. `used <= limit` is a CHECK and a draw is one
    conditional UPDATE, so parallel draws can never exceed the limit."""

    organization = models.OneToOneField(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    limit_minor = models.BigIntegerField(_("limit"), default=0)
    used_minor = models.BigIntegerField(_("used"), default=0)
    repayment_days = models.PositiveSmallIntegerField(_("repayment due after delivery (days)"))
    overdue = models.BooleanField(_("overdue"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_minor__gte=0) & Q(used_minor__lte=F("limit_minor")),
                name="finance_credit_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"Credit line of {self.organization}"

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def available_minor(self) -> int:
        return self.limit_minor - self.used_minor


class CreditLimitChange(models.Model):
    credit_line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="changes")
    previous_limit_minor = models.BigIntegerField()
    limit_minor = models.BigIntegerField()
    reason = models.CharField(_("reason"), max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.previous_limit_minor} -> {self.limit_minor}"


class CreditDraw(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        OVERDUE = "overdue", _("Overdue")
        REPAID = "repaid", _("Repaid")
        WRITTEN_OFF = "written_off", _("Written off")

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    credit_line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="draws")
    # None for a campaign pledge's credit that became the campaign order's (no payment).
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_draw"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    repaid_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    due_on = models.DateField(_("repayment due"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    last_reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0)
                & Q(repaid_minor__gte=0)
                & Q(repaid_minor__lte=F("amount_minor")),
                name="finance_draw_repaid_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Credit draw {self.pk}"

    @property
    def outstanding_minor(self) -> int:
        return self.amount_minor - self.repaid_minor


# --- order financing ----------------------------------------------------------------------


class FinancingAdvance(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Paid out")
        REJECTED = "rejected", _("Rejected")
        REPAID = "repaid", _("Repaid")

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField(_("amount"))
    repaid_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0)
                & Q(repaid_minor__gte=0)
                & Q(repaid_minor__lte=F("amount_minor")),
                name="finance_advance_repaid_within_amount",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["requested", "approved"]),
                name="finance_advance_one_open_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Advance {self.pk} on PO-{self.order_id:06d}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def outstanding_minor(self) -> int:
        return self.amount_minor - self.repaid_minor


# --- disputes -----------------------------------------------------------------------------


class DisputeDecision(models.Model):
    """An operator's money decision on a dispute; one per dispute, so it applies once."""

    class Outcome(models.TextChoices):
        RELEASE = "release", _("Release to the factory")
        REFUND = "refund", _("Refund the buyer")
        SPLIT = "split", _("Split")

    dispute = models.OneToOneField("orders.Dispute", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    refund_minor = models.BigIntegerField(default=0)
    release_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on PO-{self.order_id:06d}"


# --- payouts ------------------------------------------------------------------------------


class Payout(models.Model):
    """Money an operator sent from the platform's bank to a factory's bank account: it
    takes the factory's payable down. One row per bank transfer (reference unique per
    factory), so recording it twice is refused."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    bank_reference = models.CharField(_("bank reference"), max_length=80)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="finance_payout_positive"),
            models.UniqueConstraint(
                fields=["organization", "bank_reference"], name="finance_payout_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"Payout {self.bank_reference}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
