"""The batch matcher's use cases: plan an assignment of all open unmatched demand to
factories' free capacity (reads only), and apply a chunk of it (invitations).

Planning and applying are separate so that the plan is computed once, on a consistent
snapshot, and applied by many small idempotent Celery tasks.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from catalog.models import Category
from marketplace.models import Organization
from orders import capacity
from orders.matching import algorithm, selectors
from orders.models import RFQ, RFQInvitation
from orders.services import rfq_invite_factories

HORIZON_DAYS = 30  # the factories' rolling capacity calendar
CHUNK_SIZE = 500  # demands per apply task; chunks are balanced, never below MIN_CHUNK_SIZE
MIN_CHUNK_SIZE = 100
PRICE_LEVEL_COST = 100  # cost per unit per price level (1 budget .. 5 luxury)
LATENESS_COST = 100  # cost per unit at 0% on-time; a factory's record lowers it
PRIOR_ON_TIME_RATE = 0.9


@dataclass(frozen=True, slots=True)
class Assignment:
    """One demand's factory: `units` of it fit that factory's free capacity by `completion`.
    An RFQ's (`rfq_pk`) becomes an invitation; committed demand's (`reference`) becomes a
    hold of `allocations` on the factory's calendar, made only when all of it fits."""

    rfq_pk: int | None
    factory_pk: int
    units: int
    completion: datetime.date
    share: float  # units / quantity
    reference: str = ""
    category_pk: int | None = None
    allocations: tuple[tuple[datetime.date, int], ...] = ()
    hold_expires_at: datetime.datetime | None = None

    def as_payload(self) -> list:
        row: list = [self.rfq_pk, self.factory_pk, self.units, self.completion.isoformat()]
        row.append(self.share)
        if self.reference:
            assert self.hold_expires_at is not None
            row.append(
                {
                    "reference": self.reference,
                    "category": self.category_pk,
                    "allocations": [[day.isoformat(), units] for day, units in self.allocations],
                    "expires_at": self.hold_expires_at.isoformat(),
                }
            )
        return row

    @classmethod
    def from_payload(cls, row: list) -> Assignment:
        rfq_pk, factory_pk, units, completion, share, *held = row
        extra: dict = {}
        if held:
            hold = held[0]
            extra = {
                "reference": str(hold["reference"]),
                "category_pk": int(hold["category"]),
                "allocations": tuple(
                    (datetime.date.fromisoformat(day), int(count))
                    for day, count in hold["allocations"]
                ),
                "hold_expires_at": datetime.datetime.fromisoformat(hold["expires_at"]),
            }
        return cls(
            None if rfq_pk is None else int(rfq_pk),
            int(factory_pk),
            int(units),
            datetime.date.fromisoformat(completion),
            float(share),
            **extra,
        )


@dataclass(frozen=True, slots=True)
class BatchPlan:
    demands: int
    demanded_units: int
    assignments: list[Assignment]

    @property
    def assigned_units(self) -> int:
        return sum(assignment.units for assignment in self.assignments)


def batch_match_plan(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> BatchPlan:
    """Assign open RFQs without a factory, and other apps' committed demand (a campaign
    that met its target, at its own factory), to verified factories' free capacity.

    Reads: the open demand (one query), the committed demand (its sources' queries and one
    for the holds), free capacity (one query), factory terms (one query). Writes nothing.
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    end = today + datetime.timedelta(days=HORIZON_DAYS - 1)
    committed = [
        demand
        for demand in selectors.committed_demand(today=today, now=now)
        if demand.start is not None and today <= demand.start <= min(demand.ready_by, end)
    ]
    # Committed demand first: the greedy pass breaks ties by this order.
    demands = committed + selectors.open_unmatched_demand(today=today, now=now)
    if not demands:
        return BatchPlan(demands=0, demanded_units=0, assignments=[])
    free = selectors.free_capacity(
        category_pks=sorted({demand.category_pk for demand in demands}), start=today, end=end
    )
    terms = selectors.factory_terms(factory_pks=sorted({key[0] for key in free}))
    problem, line_factory, lead_days = _problem(demands, free, terms, today)
    result = algorithm.match(problem)
    return BatchPlan(
        demands=len(demands),
        demanded_units=sum(demand.quantity for demand in demands),
        assignments=_assignments(demands, result, line_factory, lead_days, today),
    )


def batch_match_chunks(*, plan: BatchPlan) -> list[list[Assignment]]:
    """Balanced chunks of CHUNK_SIZE or fewer, each of MIN_CHUNK_SIZE or more (unless the
    whole plan is smaller): never one task per demand."""
    count = len(plan.assignments)
    if count == 0:
        return []
    chunks = max(1, min(math.ceil(count / CHUNK_SIZE), count // MIN_CHUNK_SIZE))
    size = math.ceil(count / chunks)
    return [plan.assignments[i : i + size] for i in range(0, count, size)]


def batch_match_apply(*, assignments: list[Assignment]) -> int:
    """Invite each assigned factory to its RFQ, and hold the capacity planned for committed
    demand. Safe to run twice: an RFQ that is no longer open, or already has a factory, and
    a reference already holding capacity are left alone. Returns the invitations and holds
    created."""
    factories = Organization.objects.in_bulk([a.factory_pk for a in assignments])
    return sum(
        _apply_hold(assignment, factories.get(assignment.factory_pk))
        if assignment.reference
        else _apply_one(assignment, factories.get(assignment.factory_pk))
        for assignment in assignments
    )


@transaction.atomic
def _apply_hold(assignment: Assignment, factory: Organization | None) -> int:
    if factory is None or not capacity.is_verified(factory=factory):
        return 0
    if assignment.share < 1 or assignment.hold_expires_at is None or not assignment.category_pk:
        return 0  # committed demand is held whole or not at all; the next run tries again
    if demand_hold_active(reference=assignment.reference):
        return 0
    try:
        capacity.hold(
            factory=factory,
            category=Category.objects.get(pk=assignment.category_pk),
            allocations=dict(assignment.allocations),
            reference=assignment.reference,
            expires_at=assignment.hold_expires_at,
        )
    except capacity.CapacityGoneError:
        return 0  # taken since the plan; the next run plans on what is left
    return 1


def demand_hold_active(*, reference: str) -> bool:
    """Whether committed demand announced under `reference` holds capacity now."""
    return bool(selectors.references_holding(references=[reference]))


def demand_hold_release(*, reference: str) -> None:
    """Give back the capacity held for committed demand (its owner calls this before it
    opens the order that takes the capacity over, or when it gives up). Safe to repeat."""
    capacity.release(reference=reference)


@transaction.atomic
def _apply_one(assignment: Assignment, factory: Organization | None) -> int:
    if assignment.rfq_pk is None:
        return 0
    rfq = RFQ.objects.select_for_update(of=("self",)).filter(pk=assignment.rfq_pk).first()
    if rfq is None or rfq.status != RFQ.Status.OPEN or selectors.rfq_has_factory(rfq=rfq):
        return 0
    if factory is None or not capacity.is_verified(factory=factory):
        return 0
    match = capacity.FactoryMatch(
        factory=factory,
        score=round(assignment.share, 4),
        available_units=assignment.units,
        earliest_completion=assignment.completion,
    )
    invited = rfq_invite_factories(rfq=rfq, matches=[match], source=RFQInvitation.Source.BATCH)
    return len(invited)


# -- adapting the marketplace to the algorithm's plain arrays ---------------------------


def _problem(demands, free, terms, today):
    lines = sorted({(factory, category) for factory, category, _day in free if factory in terms})
    line_index = {line: index for index, line in enumerate(lines)}
    capacity_grid = np.zeros((len(lines), HORIZON_DAYS), dtype=np.int64)
    for (factory, category, day), units in free.items():
        index = line_index.get((factory, category))
        if index is not None:
            capacity_grid[index, (day - today).days] = units
    line_factory = np.array([factory for factory, _category in lines], dtype=np.int64)
    min_order = np.array([terms[f].min_order_quantity for f in line_factory], dtype=np.int64)
    lead_days = np.array([terms[f].standard_lead_days for f in line_factory], dtype=np.int64)
    unit_cost = np.array([_unit_cost(terms[f]) for f in line_factory], dtype=np.int64)
    lines_by_category: dict[int, list[int]] = defaultdict(list)
    for index, (_factory, category) in enumerate(lines):
        lines_by_category[category].append(index)
    # The rules of factory search (ADR 0002): the order is at least the factory's minimum,
    # and the factory's standard lead time ends by the ready-by day.
    # Committed demand names its factory, which agreed to make it: only that factory's line.
    eligible = [
        [
            i
            for i in lines_by_category[d.category_pk]
            if (
                line_factory[i] == d.factory_pk
                if d.factory_pk is not None
                else min_order[i] <= d.quantity and lead_days[i] <= (d.ready_by - today).days
            )
        ]
        for d in demands
    ]
    flat = np.array([i for options in eligible for i in options], dtype=np.int64)
    problem = algorithm.MatchingProblem(
        capacity=capacity_grid,
        line_min_order=min_order,
        demand_quantity=np.array([d.quantity for d in demands], dtype=np.int64),
        demand_start=np.array(
            [0 if d.start is None else (d.start - today).days for d in demands], dtype=np.int64
        ),
        demand_ready_by=np.array(
            [min((d.ready_by - today).days, HORIZON_DAYS - 1) for d in demands], dtype=np.int64
        ),
        eligible_ptr=np.cumsum([0, *map(len, eligible)]).astype(np.int64),
        eligible_line=flat,
        eligible_cost=unit_cost[flat] if flat.size else flat,
    )
    return problem, line_factory, lead_days


def _unit_cost(terms: selectors.FactoryTerms) -> int:
    on_time = PRIOR_ON_TIME_RATE if terms.on_time_rate is None else terms.on_time_rate
    return PRICE_LEVEL_COST * terms.price_level + round(LATENESS_COST * (1 - on_time))


def _assignments(demands, result, line_factory, lead_days, today) -> list[Assignment]:
    """Completion as factory search reports it: the last production day, never before the
    factory's standard lead time has passed."""
    assignments = []
    for j, demand in enumerate(demands):
        line = int(result.demand_line[j])
        if line < 0:
            continue
        days = np.flatnonzero(result.schedule[j])
        last = int(days[-1])
        # An RFQ's factory needs its standard lead time; committed demand is planned as is.
        last_day = last if demand.reference else max(last, int(lead_days[line]))
        assignments.append(
            Assignment(
                rfq_pk=demand.rfq_pk,
                factory_pk=int(line_factory[line]),
                units=int(result.schedule[j].sum()),
                completion=today + datetime.timedelta(days=last_day),
                share=float(result.schedule[j].sum() / demand.quantity),
                reference=demand.reference,
                category_pk=demand.category_pk if demand.reference else None,
                allocations=tuple(
                    (today + datetime.timedelta(days=int(day)), int(result.schedule[j][day]))
                    for day in days
                )
                if demand.reference
                else (),
                hold_expires_at=demand.hold_expires_at,
            )
        )
    return assignments
