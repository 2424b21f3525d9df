"""A year (or any span) of generated platform history, for the dashboard's benchmark and
for trying the console on realistic volumes: buyers and factories, orders in every status
spread over the weeks with their inspections, disputes and fully released escrows, RFQ
invitations with response times, and the next 30 days of capacity.

Rows go in with `bulk_create` in large batches, not through the services: this is
synthetic history (no notifications, no tasks, no ledger), written in seconds. Escrows are
written fully released, so the ledger's invariants (an escrow's held amount equals its
ledger account) still hold with no postings. Everything it creates is named `history-…`
and can be generated again on top.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from catalog.models import Category
from factories.models import CapacityDay
from finance.models import Escrow
from marketplace.models import Organization, User
from orders.models import RFQ, Dispute, Inspection, Order, OrderStatus, RFQInvitation

BATCH = 5000
CATEGORY_SLUGS = ("history-shirts", "history-jeans", "history-knitwear", "history-bags")
# How a year of orders ends up: mostly done, some running, a few cancelled or disputed.
STATUS_WEIGHTS = {
    OrderStatus.COMPLETED: 70,
    OrderStatus.DELIVERED: 6,
    OrderStatus.SHIPPED: 4,
    OrderStatus.IN_PRODUCTION: 5,
    OrderStatus.PAID: 3,
    OrderStatus.AWAITING_PAYMENT: 3,
    OrderStatus.SAMPLE_REQUESTED: 2,
    OrderStatus.CANCELLED: 5,
    OrderStatus.DISPUTED: 2,
}
DELIVERED_STATUSES = (OrderStatus.COMPLETED, OrderStatus.DELIVERED, OrderStatus.DISPUTED)


@dataclass(frozen=True)
class HistorySummary:
    orders: int
    buyers: int
    factories: int
    inspections: int
    disputes: int
    invitations: int
    capacity_days: int


def _organizations(kind: str, count: int, run: str) -> list[Organization]:
    return Organization.objects.bulk_create(
        Organization(name=f"History {kind} {run}-{n}", slug=f"history-{kind}-{run}-{n}",
                     kind=kind, verified=True)
        for n in range(count)
    )  # fmt: skip


def _categories() -> list[Category]:
    categories = []
    for position, slug in enumerate(CATEGORY_SLUGS):
        name = slug.removeprefix("history-").title()
        category, _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": 100 + position}
        )
        categories.append(category)
    return categories


@transaction.atomic
def history_generate(
    *, orders: int, weeks: int = 52, seed: int = 1, today: datetime.date | None = None
) -> HistorySummary:
    """Generate `orders` orders over the last `weeks` weeks (see the module's docstring)."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    now = timezone.now()
    run = f"{seed}-{now:%H%M%S%f}"
    actor, _created = User.objects.get_or_create(
        email="history@c2m.example", defaults={"full_name": "Generated history", "is_active": False}
    )
    buyers = _organizations(Organization.Kind.BUYER, max(5, orders // 400), run)
    factories = _organizations(Organization.Kind.FACTORY, max(5, orders // 1000), run)
    categories = _categories()
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    span = weeks * 7 * 24 * 3600
    rows = []
    for index in range(orders):
        created = now - datetime.timedelta(seconds=rng.randrange(span))
        status = rng.choices(statuses, weights)[0]
        lead_days = rng.randint(5, 14)
        ready_by = timezone.localdate(created) + datetime.timedelta(days=lead_days + 10)
        delivered = None
        if status in DELIVERED_STATUSES:
            # About nine in ten arrive on or before the promised date.
            late = rng.random() < 0.1
            delivered_on = ready_by + datetime.timedelta(
                days=rng.randint(1, 6) if late else -rng.randint(0, 4)
            )
            delivered = min(
                now,
                created
                + datetime.timedelta(
                    days=max(1, (delivered_on - timezone.localdate(created)).days)
                ),
            )
        rows.append(
            Order(
                buyer=rng.choice(buyers), factory=rng.choice(factories),
                category=rng.choice(categories), title=f"Generated order {run}-{index}",
                quantity=rng.randint(30, 2000), currency="CNY",
                unit_price_minor=rng.randint(800, 9000), lead_time_days=lead_days,
                status=status, ready_by=ready_by, with_sample=False, created_at=created,
                status_changed_at=delivered or created, delivered_at=delivered,
                completed_at=delivered if status == OrderStatus.COMPLETED else None,
            )
        )  # fmt: skip
    created_orders = Order.objects.bulk_create(rows, batch_size=BATCH)
    delivered_orders = [o for o in created_orders if o.delivered_at is not None]
    inspections = Inspection.objects.bulk_create(
        (
            Inspection(
                order=order, inspector=actor, inspector_organization=order.buyer,
                lot_size=order.quantity, sample_size=min(order.quantity, 80),
                acceptance_number=5, defects_found=(found := rng.choice((0, 0, 0, 1, 2, 3, 7))),
                passed=found <= 5, created_at=order.delivered_at or now,
            )
            for order in delivered_orders
        ),
        batch_size=BATCH,
    )  # fmt: skip
    disputes = Dispute.objects.bulk_create(
        Dispute(order=order, opened_by=actor, reason="Generated dispute",
                created_at=order.delivered_at or now,
                status=Dispute.Status.OPEN if order.status == OrderStatus.DISPUTED
                else Dispute.Status.RESOLVED)
        for order in delivered_orders
        if order.status == OrderStatus.DISPUTED or rng.random() < 0.01
    )  # fmt: skip
    Escrow.objects.bulk_create(
        (
            Escrow(
                order=order, organization=order.buyer, factory=order.factory, currency="CNY",
                funded_minor=(total := order.unit_price_minor * order.quantity),
                released_minor=total, commission_bps=300, created_at=order.created_at,
            )
            for order in created_orders
            if order.status == OrderStatus.COMPLETED
        ),
        batch_size=BATCH,
    )  # fmt: skip
    invitations = _invitations(rng, created_orders, factories, actor, now)
    capacity = _capacity(rng, factories, categories, today)
    return HistorySummary(
        orders=len(created_orders), buyers=len(buyers), factories=len(factories),
        inspections=len(inspections), disputes=len(disputes), invitations=invitations,
        capacity_days=capacity,
    )  # fmt: skip


def _invitations(rng, orders, factories, actor, now) -> int:
    """One RFQ per ten orders, three factories invited to each; most answer in hours."""
    quoted, waiting = RFQInvitation.Status.QUOTED, RFQInvitation.Status.INVITED
    rfqs = RFQ.objects.bulk_create(
        (
            RFQ(buyer=order.buyer, created_by=actor, category=order.category,
                title=order.title, quantity=order.quantity, ready_by=order.ready_by,
                status=RFQ.Status.AWARDED,
                created_at=order.created_at)
            for order in orders[::10]
        ),
        batch_size=BATCH,
    )  # fmt: skip
    rows = []
    for rfq in rfqs:
        for rank, factory in enumerate(rng.sample(factories, min(3, len(factories))), start=1):
            invited = rfq.created_at
            answered = rng.random() < 0.85
            responded = min(now, invited + datetime.timedelta(hours=rng.lognormvariate(1.6, 0.8)))
            rows.append(
                RFQInvitation(
                    rfq=rfq, factory=factory, rank=rank, invited_at=invited,
                    status=quoted if answered else waiting,
                    responded_at=responded if answered else None,
                )
            )  # fmt: skip
    RFQInvitation.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _capacity(rng, factories, categories, today: datetime.date) -> int:
    rows = []
    for factory in factories:
        for category in rng.sample(categories, 2):
            for offset in range(30):
                units = rng.choice((0, 200, 400, 600))
                rows.append(
                    CapacityDay(organization=factory, category=category,
                                date=today + datetime.timedelta(days=offset), units=units,
                                booked=rng.randint(0, units))
                )  # fmt: skip
    CapacityDay.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)
