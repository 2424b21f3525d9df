"""A seeded simulator: thousands of random money operations through the finance services
(fund by bank transfer short/exact/over and by credit, confirm, cancel, milestone releases,
refunds, credit repayments, overdue write-offs, advances asked and decided, dispute
decisions, factory payouts), with failures injected inside the services' transactions at
random points (before or after the ledger posts, half-way through the cached balances,
after the escrow counters moved, after a credit draw settled, while marking the order
paid).

After every step:
- every ledger invariant holds (`ledger_invariant_problems`: each transaction balances,
  postings sum to zero per currency, no account that may not go negative is, cached
  balances equal the sums, escrow counters and credit lines agree with their accounts);
- a step that failed (injected) or was refused (a domain error) changed nothing at all.

`FINANCE_SIMULATION_STEPS` and `FINANCE_SIMULATION_SEEDS` (comma-separated) widen a run;
a failure names the seed and the step, and replays with that seed.
"""

from __future__ import annotations

import datetime
import functools
import os
import random
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from finance.models import (
    Account,
    CreditDraw,
    CreditLine,
    DisputeDecision,
    Escrow,
    FinancingAdvance,
    JournalTransaction,
    Payment,
    PaymentStatus,
    Payout,
    Refund,
)
from finance.services import credit, disputes, escrow, financing, ledger, payments, payouts
from finance.services.escrow import Milestone
from marketplace.exceptions import DomainError
from marketplace.models import Organization, User
from marketplace.money import Money
from orders import services as order_services
from orders.models import Dispute, Order
from tests.finance.conftest import make_operator
from tests.helpers import make_organization
from tests.orders.conftest import (
    details_for,
    make_category,
    make_factory,
    make_quote,
    make_rfq,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

STEPS = int(os.environ.get("FINANCE_SIMULATION_STEPS", "2000"))
SEEDS = [int(seed) for seed in os.environ.get("FINANCE_SIMULATION_SEEDS", "20261130").split(",")]
FAILURE_RATE = 0.08  # per injection point reached


class InjectedError(Exception):
    """Raised by the simulator inside a service's transaction."""


@dataclass
class World:
    rng: random.Random
    operator: User
    factory: Organization
    factory_user: User
    buyers: list[tuple[Organization, User]]
    waiting: list[Order]  # awaiting payment: funding, releases, refunds
    producing: list[Order]  # in production: advances
    disputed: list[Order]
    counter: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def next_ref(self) -> str:
        self.counter += 1
        return f"sim-{self.counter}"

    def money(self, low: int, high: int) -> Money:
        return Money(self.rng.randint(low, high), "CNY")


# --- the world ------------------------------------------------------------------------------


def _act(order: Order, action: str, organization: Organization, user: User, **details) -> Order:
    return order_services.order_transition(
        order=Order.objects.get(pk=order.pk),
        action=action,
        acting_user=user,
        acting_organization=organization,
        note="Simulated.",
        details=details,
    )


def _world(seed: int) -> World:
    rng = random.Random(seed)
    category = make_category()
    factory, factory_user = make_factory(category, units=10_000)
    operator = make_operator()
    buyers = [make_organization(Organization.Kind.BUYER) for _ in range(3)]
    for buyer, _user in buyers:
        credit.credit_limit_set(
            organization=buyer, limit=Money(500_000, "CNY"), reason="Simulated",
            acting_user=operator,
        )  # fmt: skip
    orders: list[tuple[Order, Organization, User]] = []
    for index in range(14):
        buyer, user = buyers[index % len(buyers)]
        rfq = make_rfq(buyer, user, category, quantity=40)
        order_services.rfq_match(rfq_pk=rfq.pk)
        quote = make_quote(rfq, factory, factory_user, unit_price=Money(2_500, "CNY"))
        order = order_services.quote_accept(
            quote=quote, acting_organization=buyer, acting_user=user, with_sample=False
        )
        orders.append((order, buyer, user))
    producing, disputed = [], []
    for order, buyer, user in orders[10:]:
        payments.payment_create(
            order=order, organization=buyer, purpose="full", method="credit", acting_user=user
        )
        _act(order, "start_production", factory, factory_user)
        producing.append(order)
    for order in producing[2:]:
        buyer = Organization.objects.get(pk=order.buyer_id)
        user = buyer.memberships.first().user
        order_services.production_progress_record(
            order=order,
            acting_organization=factory,
            acting_user=factory_user,
            day=timezone.localdate(),
            units=order.quantity,
        )
        # The factory finishes and ships; the buyer inspects.
        for action, who, member in (
            ("finish_production", factory, factory_user),
            ("record_inspection", buyer, user),
            ("ship", factory, factory_user),
        ):
            _act(order, action, who, member, **details_for(action, order))
        _act(order, "open_dispute", buyer, user, **details_for("open_dispute", order))
        disputed.append(order)
    return World(
        rng=rng,
        operator=operator,
        factory=factory,
        factory_user=factory_user,
        buyers=buyers,
        waiting=[order for order, _b, _u in orders[:10]],
        producing=producing[:2],
        disputed=disputed,
    )


# --- operations -----------------------------------------------------------------------------


def op_pay(world: World) -> None:
    order = world.rng.choice(world.waiting)
    buyer = Organization.objects.get(pk=order.buyer_id)
    user = next(user for org, user in world.buyers if org.pk == buyer.pk)
    payments.payment_create(
        order=Order.objects.get(pk=order.pk),
        organization=buyer,
        purpose=world.rng.choice(["sample", "deposit", "balance", "full"]),
        method=world.rng.choice(["bank_transfer", "bank_transfer", "credit"]),
        acting_user=user,
    )


def op_confirm(world: World) -> None:
    pending = list(
        Payment.objects.filter(
            method="bank_transfer", status__in=(PaymentStatus.PENDING, PaymentStatus.PARTIAL)
        ).values_list("pk", flat=True)
    )
    if not pending:
        return
    payment = Payment.objects.get(pk=world.rng.choice(pending))
    outstanding = payment.amount_minor - payment.received_minor
    received = world.rng.choice(
        [outstanding, outstanding, world.rng.randint(1, outstanding), outstanding + 1_000]
    )
    payments.bank_transfer_confirm(
        payment=payment, received=Money(max(received, 1), "CNY"), acting_user=world.operator
    )


def op_cancel(world: World) -> None:
    pending = list(Payment.objects.filter(status=PaymentStatus.PENDING))
    if not pending:
        return
    payment = world.rng.choice(pending)
    payments.payment_cancel(
        payment=payment,
        organization=Organization.objects.get(pk=payment.organization_id),
        acting_user=world.operator,
    )


def op_release(world: World) -> None:
    order = world.rng.choice(world.waiting + world.producing)
    escrow.escrow_release_milestone(
        order=Order.objects.get(pk=order.pk),
        milestone=world.rng.choice([Milestone.SAMPLE, Milestone.INSPECTION, Milestone.DELIVERY]),
    )


def op_refund(world: World) -> None:
    order = world.rng.choice(world.waiting)
    escrow.escrow_refund(
        order=Order.objects.get(pk=order.pk),
        amount=world.money(1, 60_000),
        reference=world.next_ref(),
        reason="Simulated refund",
        acting_user=world.operator,
    )


def op_repay(world: World) -> None:
    buyer, _user = world.rng.choice(world.buyers)
    credit.credit_repay(
        organization=buyer,
        amount=world.money(1, 80_000),
        bank_reference=world.next_ref(),
        acting_user=world.operator,
    )


def op_mature(world: World) -> None:
    """An order's goods arrived long ago: its credit is due, then flagged overdue."""
    draws = list(CreditDraw.objects.filter(status="open").values_list("order_id", flat=True))
    if not draws:
        return
    today = timezone.localdate()
    credit.credit_due_dates_set(order_pk=world.rng.choice(draws), delivered_on=today)
    credit.credit_flag_overdue(today=today + datetime.timedelta(days=400))


def op_write_off(world: World) -> None:
    draws = list(CreditDraw.objects.filter(status="overdue"))
    if draws:
        credit.credit_write_off(draw=world.rng.choice(draws), acting_user=world.operator)


def op_advance(world: World) -> None:
    order = Order.objects.get(pk=world.rng.choice(world.producing).pk)
    limit = financing.advance_limit(order=order).amount_minor
    open_advance = FinancingAdvance.objects.filter(order=order, status="requested").first()
    if open_advance is None:
        financing.advance_request(
            order=order,
            organization=world.factory,
            amount=world.money(1, max(limit + limit // 5, 1)),
            acting_user=world.factory_user,
        )
        return
    financing.advance_decide(
        advance=open_advance, approve=world.rng.random() < 0.8, acting_user=world.operator
    )


def op_dispute(world: World) -> None:
    order = world.rng.choice(world.disputed)
    dispute = Dispute.objects.filter(order_id=order.pk).first()
    outcome = world.rng.choice(["release", "refund", "split", "split", "nonsense"])
    disputes.dispute_decide(
        dispute=dispute,
        outcome=outcome,
        refund=world.money(1, order.total.amount_minor) if outcome == "split" else None,
        note="Simulated decision",
        acting_user=world.operator,
    )


def op_payout(world: World) -> None:
    owed = payouts.payout_available(organization=world.factory, currency="CNY").amount_minor
    payouts.payout_record(
        organization=world.factory,
        amount=world.money(1, max(owed + 5_000, 1)),
        bank_reference=world.next_ref(),
        acting_user=world.operator,
    )


OPERATIONS = [
    (op_pay, 18),
    (op_confirm, 18),
    (op_cancel, 3),
    (op_release, 12),
    (op_refund, 10),
    (op_repay, 10),
    (op_mature, 2),
    (op_write_off, 2),
    (op_advance, 10),
    (op_dispute, 3),
    (op_payout, 8),
]


# --- failure injection and the checks -----------------------------------------------------


INJECTION_POINTS = [
    (ledger, "journal_post"),
    (ledger, "_journal_write"),
    (escrow, "_escrow_move"),
    (payments, "escrow_fund"),
    (payments, "_mark_paid_when_funded"),
    (credit, "credit_draw_settle"),
]


def _inject(monkeypatch, world: World) -> None:
    for module, name in INJECTION_POINTS:
        original = getattr(module, name)

        @functools.wraps(original)
        def failing(*args, __original=original, __name=name, **kwargs):
            if world.rng.random() < FAILURE_RATE:
                raise InjectedError(f"before {__name}")
            result = __original(*args, **kwargs)
            if world.rng.random() < FAILURE_RATE:
                raise InjectedError(f"after {__name}")
            return result

        monkeypatch.setattr(module, name, failing)


def _state() -> dict:
    """Every finance row that a step may change, and the orders' statuses."""
    return {
        "transactions": JournalTransaction.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "balance_minor")),
        "escrows": list(
            Escrow.objects.order_by("pk").values_list(
                "pk", "funded_minor", "released_minor", "refunded_minor"
            )
        ),
        "payments": list(
            Payment.objects.order_by("pk").values_list("pk", "status", "received_minor")
        ),
        "refunds": Refund.objects.count(),
        "lines": list(
            CreditLine.objects.order_by("pk").values_list(
                "pk", "used_minor", "limit_minor", "overdue"
            )
        ),
        "draws": list(
            CreditDraw.objects.order_by("pk").values_list("pk", "repaid_minor", "status", "due_on")
        ),
        "advances": list(
            FinancingAdvance.objects.order_by("pk").values_list("pk", "status", "repaid_minor")
        ),
        "decisions": DisputeDecision.objects.count(),
        "payouts": Payout.objects.count(),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_random_operations_with_injected_failures_keep_the_ledger_sound(seed, monkeypatch):
    world = _world(seed)
    assert ledger.ledger_invariant_problems() == {}
    _inject(monkeypatch, world)
    functions = [function for function, _weight in OPERATIONS]
    weights = [weight for _function, weight in OPERATIONS]
    tally: dict[str, int] = {"applied": 0, "refused": 0, "injected": 0}
    for step in range(STEPS):
        operation = world.rng.choices(functions, weights)[0]
        before = _state()
        try:
            operation(world)
        except InjectedError:
            tally["injected"] += 1
            assert _state() == before, f"seed {seed} step {step}: {operation.__name__} half-wrote"
        except DomainError:
            tally["refused"] += 1
            assert _state() == before, f"seed {seed} step {step}: refused {operation.__name__}"
        else:
            tally["applied"] += 1
        problems = ledger.ledger_invariant_problems()
        assert problems == {}, f"seed {seed} step {step} after {operation.__name__}: {problems}"
    # The run exercised all three paths a great deal, and moved real money.
    assert min(tally.values()) > STEPS // 50, tally
    # A floor, not a target: since production windows follow the quoted lead time, fewer
    # random orders reach the money steps (127 journal transactions for this seed).
    assert JournalTransaction.objects.count() > STEPS // 20
