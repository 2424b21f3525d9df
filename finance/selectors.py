"""Finance reads: an organization's balances, movements, open escrow and credit; the weekly
money chart; and the operators' reconciliation of the ledger against Stripe and the bank."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from finance.models import (
    Account,
    AccountPurpose,
    CreditDraw,
    CreditLine,
    DisputeDecision,
    Escrow,
    FinancingAdvance,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    Payout,
    Posting,
    Refund,
    TransactionKind,
)
from finance.services.ledger import ledger_invariant_problems
from finance.services.payments import payment_amount_due
from marketplace.exceptions import DomainError
from marketplace.models import Organization
from marketplace.money import DEFAULT_CURRENCY, Money
from orders.models import Dispute, Order


def organization_accounts(*, organization: Organization) -> list[Account]:
    """The organization's accounts with their balances, a sharded account (a factory's
    payable) shown once: its first row, carrying the sum of all of its rows' balances."""
    accounts: dict[tuple, Account] = {}
    for account in (
        Account.objects.for_organization(organization)
        .select_related("order")
        .order_by("purpose", "order_id", "currency", "pk")
    ):
        key = (account.purpose, account.order_id, account.currency)
        if key in accounts:
            accounts[key].balance_minor += account.balance_minor
        else:
            accounts[key] = account
    return list(accounts.values())


def organization_postings(*, organization: Organization) -> QuerySet[Posting]:
    """Every movement on the organization's accounts, newest first, with what explains it."""
    return (
        Posting.objects.filter(account__organization=organization)
        .select_related("account", "transaction", "transaction__order")
        .order_by("-created_at", "-pk")
    )


def organization_escrows(*, organization: Organization) -> QuerySet[Escrow]:
    """Escrows the organization pays into (buyer) or is paid from (factory) that hold money."""
    return (
        Escrow.objects.filter(Q(organization=organization) | Q(factory=organization))
        .select_related("order", "organization", "factory")
        .order_by("-order_id")
    )


@dataclass
class CreditSummary:
    limit: Money
    used: Money
    available: Money
    overdue: Money
    blocked: bool
    repayment_days: int
    draws: list[CreditDraw] = field(default_factory=list)


def credit_summary(*, organization: Organization) -> CreditSummary | None:
    line = CreditLine.objects.filter(organization=organization).first()
    if line is None:
        return None
    draws = list(line.draws.select_related("order").order_by("-created_at")[:50])
    overdue = sum(
        draw.outstanding_minor for draw in draws if draw.status == CreditDraw.Status.OVERDUE
    )
    return CreditSummary(
        limit=line.money(line.limit_minor),
        used=line.money(line.used_minor),
        available=line.money(line.available_minor),
        overdue=line.money(overdue),
        blocked=line.overdue,
        repayment_days=line.repayment_days,
        draws=draws,
    )


# The outcomes an operator chooses between, for interfaces outside finance (the dispute page).
DisputeOutcome = DisputeDecision.Outcome


def order_escrow(*, order_pk: int) -> Escrow | None:
    return Escrow.objects.filter(order_id=order_pk).first()


def dispute_decision_for(*, dispute_pk: int) -> DisputeDecision | None:
    return (
        DisputeDecision.objects.filter(dispute_id=dispute_pk).select_related("decided_by").first()
    )


def open_disputes() -> QuerySet[Dispute]:
    """Disputes waiting for an operator's money decision."""
    return Dispute.objects.filter(status=Dispute.Status.OPEN).select_related("order")


def order_payments(*, order_pk: int) -> QuerySet[Payment]:
    return Payment.objects.filter(order_id=order_pk).order_by("created_at", "pk")


def payment_dues(*, order: Order) -> list[tuple[PaymentPurpose, Money]]:
    """Each payment purpose the buyer may pay on the order now, with its amount; a purpose
    that does not apply (already paid or being paid, no sample fee) is left out."""
    dues = []
    for purpose in PaymentPurpose:
        try:
            dues.append((purpose, payment_amount_due(order=order, purpose=purpose)))
        except DomainError:
            continue
    return dues


def order_advances(*, order_pk: int) -> QuerySet[FinancingAdvance]:
    return FinancingAdvance.objects.filter(order_id=order_pk).order_by("-created_at")


@dataclass
class WeekBar:
    week: datetime.date
    money_in: int
    money_out: int


def weekly_flows(*, organization: Organization, weeks: int = 12) -> list[WeekBar]:
    """Money in and out of the organization's accounts per week (the last `weeks`, oldest
    first, empty weeks included), in the default currency."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    rows = (
        Posting.objects.filter(
            account__organization=organization,
            currency=DEFAULT_CURRENCY,
            created_at__date__gte=start,
        )
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            money_in=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
            money_out=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
        )
    )
    by_week: dict[datetime.date, dict] = {row["week"].date(): dict(row) for row in rows}
    bars = []
    for index in range(weeks):
        week = start + datetime.timedelta(days=7 * index)
        row = by_week.get(week, {})
        bars.append(WeekBar(week, row.get("money_in") or 0, -(row.get("money_out") or 0)))
    return bars


@dataclass
class Settlement:
    """What one order paid a factory: the gross released from escrow, less the platform's
    commission, less the advance repaid, is what reached the factory's payable."""

    escrow: Escrow
    gross: Money
    commission: Money
    advance_repaid: Money
    to_factory: Money


_SETTLEMENT_FIELD: dict[str, str] = {
    AccountPurpose.ESCROW: "gross",
    AccountPurpose.PLATFORM_FEES: "commission",
    AccountPurpose.FINANCING: "advance_repaid",
    AccountPurpose.FACTORY_PAYOUT: "to_factory",
}


def factory_settlements(*, organization: Organization) -> list[Settlement]:
    """Per order the factory was paid for: gross released, commission, advance repaid and
    the factory's share (gross = commission + advance repaid + to the factory)."""
    escrows = {
        escrow.order_id: escrow
        for escrow in Escrow.objects.filter(factory=organization, released_minor__gt=0)
        .select_related("order")
        .order_by("-order_id")
    }
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        Posting.objects.filter(
            transaction__kind=TransactionKind.RELEASE, transaction__order_id__in=list(escrows)
        )
        .values("transaction__order_id", "account__purpose")
        .annotate(total=Sum("amount_minor"))
    ):
        name = _SETTLEMENT_FIELD.get(row["account__purpose"])
        if name:
            totals[row["transaction__order_id"]][name] += abs(row["total"])
    return [
        Settlement(
            escrow=escrow,
            **{name: escrow.money(totals[order_pk][name]) for name in _SETTLEMENT_FIELD.values()},
        )
        for order_pk, escrow in escrows.items()
    ]


# --- reconciliation -----------------------------------------------------------------------


@dataclass
class ReconciliationLine:
    label: str
    ledger: Money
    external: Money

    @property
    def difference(self) -> Money:
        return self.ledger - self.external

    @property
    def matches(self) -> bool:
        return self.ledger == self.external


def _clearing_balance(purpose: str) -> dict[str, int]:
    return {
        row["currency"]: row["total"] or 0
        for row in Account.objects.filter(purpose=purpose)
        .values("currency")
        .annotate(total=Sum("balance_minor"))
    }


def reconciliation_report() -> dict:
    """Money the ledger says the platform's bank and Stripe hold, against our record of
    each bank confirmation and repayment less each factory payout, and of each Stripe
    payment less refunds; plus totals per purpose and the ledger's invariants."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for payment in (
        Payment.objects.filter(received_minor__gt=0)
        .values("method", "currency")
        .annotate(total=Sum("received_minor"))
    ):
        totals[payment["method"]][payment["currency"]] += payment["total"]
    repaid = (
        Posting.objects.filter(
            transaction__kind=TransactionKind.CREDIT_REPAY,
            account__purpose=AccountPurpose.BUYER_CREDIT,
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    for row in repaid:
        totals[PaymentMethod.BANK_TRANSFER][row["currency"]] += row["total"]
    for row in Payout.objects.values("currency").annotate(total=Sum("amount_minor")):
        totals[PaymentMethod.BANK_TRANSFER][row["currency"]] -= row["total"]
    refunded = (
        Refund.objects.filter(payment__method=PaymentMethod.STRIPE)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    for row in refunded:
        totals[PaymentMethod.STRIPE][row["currency"]] -= row["total"]
    lines = []
    for purpose, method in (
        (AccountPurpose.BANK_CLEARING, PaymentMethod.BANK_TRANSFER),
        (AccountPurpose.STRIPE_CLEARING, PaymentMethod.STRIPE),
    ):
        ledger = _clearing_balance(purpose)
        for currency in sorted(set(ledger) | set(totals[method])):
            lines.append(
                ReconciliationLine(
                    label=f"{AccountPurpose(purpose).label} ({currency})",
                    ledger=Money(-ledger.get(currency, 0), currency),
                    external=Money(totals[method].get(currency, 0), currency),
                )
            )
    purposes = (
        Account.objects.values("purpose", "currency")
        .annotate(total=Sum("balance_minor"))
        .order_by("purpose", "currency")
    )
    return {
        "lines": lines,
        "purposes": [
            (AccountPurpose(row["purpose"]).label, Money(row["total"] or 0, row["currency"]))
            for row in purposes
        ],
        "pending_refunds": Refund.objects.exclude(status=Refund.Status.SUCCEEDED).select_related(
            "order"
        ),
        "problems": ledger_invariant_problems(),
    }


@dataclass(frozen=True)
class OperatorQueues:
    bank_transfers: int
    advances_requested: int
    credit_overdue: int
    failed_refunds: int


def operator_queues() -> OperatorQueues:
    """The finance desk's waiting work: one COUNT per table, whatever the data."""
    waiting = (PaymentStatus.PENDING, PaymentStatus.PARTIAL)
    return OperatorQueues(
        bank_transfers=Payment.objects.filter(
            method=PaymentMethod.BANK_TRANSFER, status__in=waiting
        ).count(),
        advances_requested=FinancingAdvance.objects.filter(
            status=FinancingAdvance.Status.REQUESTED
        ).count(),
        credit_overdue=CreditDraw.objects.filter(status=CreditDraw.Status.OVERDUE).count(),
        failed_refunds=Refund.objects.filter(status=Refund.Status.FAILED).count(),
    )


def reconciliation_alarms() -> int:
    """How many reconciliation lines disagree, plus the ledger invariants broken."""
    report = reconciliation_report()
    return sum(not line.matches for line in report["lines"]) + len(report["problems"])


@dataclass(frozen=True)
class PlatformMoney:
    escrow_held: list[Money]
    credit_outstanding: list[Money]
    credit_overdue: list[Money]


def platform_money() -> PlatformMoney:
    """Money the platform holds for others now: escrow held, credit drawn and not repaid,
    and the overdue part of it, per currency. Two grouped queries."""
    escrow = (
        Escrow.objects.values("currency")
        .annotate(held_total=Sum(F("funded_minor") - F("released_minor") - F("refunded_minor")))
        .order_by("currency")
    )
    open_draws = (
        CreditDraw.objects.filter(status__in=(CreditDraw.Status.OPEN, CreditDraw.Status.OVERDUE))
        .values("credit_line__currency")
        .annotate(
            outstanding=Sum(F("amount_minor") - F("repaid_minor")),
            overdue=Sum(
                F("amount_minor") - F("repaid_minor"),
                filter=Q(status=CreditDraw.Status.OVERDUE),
            ),
        )
        .order_by("credit_line__currency")
    )
    draws = list(open_draws)
    return PlatformMoney(
        escrow_held=[Money(row["held_total"] or 0, row["currency"]) for row in escrow],
        credit_outstanding=[
            Money(row["outstanding"] or 0, row["credit_line__currency"]) for row in draws
        ],
        credit_overdue=[Money(row["overdue"] or 0, row["credit_line__currency"]) for row in draws],
    )
