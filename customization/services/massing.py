"""Customization-massing: identical modules of a factory's open orders are made together,
one production batch per signature and day, each module line inside its order's window.

Nothing is stored per line (ADR 0007): a line belongs to the earliest batch of its
signature whose day lies in its window. A run only adds batches for windows no batch
covers yet, chosen per signature by the interval-stabbing greedy (sort by window end; a
window not covered gets a batch on its last day), which uses the fewest days. New batches
are never in the past, so a line's batch can only move to an earlier *future* day, never
away from a day already produced. Reading the uncovered windows is one GROUP BY (by
signature and window end, keeping the latest start: the tightest window decides); writing
is one INSERT of the new batches. Re-running adds nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customization.models import Design, OrderModule
from marketplace.exceptions import InvalidError
from marketplace.models import Organization
from orders.models import Order, OrderStatus

# An order in one of these has left production: its lines leave massing.
CLOSED_ORDER_STATUSES = frozenset(
    {
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
        OrderStatus.DISPUTED,
    }
)

ADVISORY_LOCK_NAMESPACE = 7007  # one massing run per factory at a time

# Every open line no batch covers yet, grouped by signature and window end: the latest
# start (the tightest window decides) and the number of lines. Overdue windows (ending
# before today) come back too, only to be counted.
UNCOVERED_WINDOWS_SQL = """
SELECT line.signature, line.window_end, max(line.window_start), count(*)
FROM customization_ordermodule AS line
WHERE line.organization_id = %(factory)s AND line.is_open
  AND NOT EXISTS (
    SELECT 1 FROM customization_productionbatch AS batch
    WHERE batch.organization_id = line.organization_id AND batch.signature = line.signature
      AND batch.day BETWEEN line.window_start AND line.window_end
  )
GROUP BY line.signature, line.window_end
"""

INSERT_BATCHES_SQL = """
INSERT INTO customization_productionbatch (organization_id, signature, day, created_at)
SELECT %(factory)s, new.signature, new.day, now()
FROM unnest(%(signatures)s::varchar[], %(days)s::date[]) AS new(signature, day)
ON CONFLICT (organization_id, signature, day) DO NOTHING
"""


@dataclass(frozen=True)
class MassingResult:
    factory_pk: int
    windows_uncovered: int
    batches_created: int
    overdue_lines: int


def order_modules_attach(
    *,
    factory: Organization,
    order_pk: int,
    design: Design,
    quantity: int,
    window_start: datetime.date,
    window_end: datetime.date,
) -> list[OrderModule]:
    """The order's module lines from the design's bill of modules (called by the orders
    services when an order made from a design is placed)."""
    if window_end < window_start:
        raise InvalidError({"ready_by": [_("The production window ends before it starts.")]})
    return OrderModule.objects.bulk_create(
        OrderModule(
            organization=factory,
            order_id=order_pk,
            design_module=module,
            name=module.name,
            attributes=module.attributes,
            signature=module.signature,
            quantity=module.quantity_per_unit * quantity,
            window_start=window_start,
            window_end=window_end,
        )
        for module in design.modules.all()
    )


@transaction.atomic
def order_modules_open(*, order_pk: int) -> list[OrderModule]:
    """The module lines of an order made from a design, between the first and the last
    day of its production plan. Safe to run twice (an order with lines is left alone);
    called when the order opens (`customization.receivers`) and by the hourly sweep."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("factory")
        .filter(pk=order_pk, design__isnull=False)
        .exclude(status__in=CLOSED_ORDER_STATUSES)
        .first()
    )
    if order is None or order.design_id is None:
        return []
    if OrderModule.objects.filter(order_id=order.pk).exists():
        return []
    design = Design.objects.prefetch_related("modules").get(pk=order.design_id)
    plan = order.plan_allocations
    return order_modules_attach(
        factory=order.factory,
        order_pk=order.pk,
        design=design,
        quantity=order.quantity,
        window_start=min(plan, default=order.ready_by),
        window_end=order.ready_by,
    )


def orders_missing_modules() -> list[int]:
    """Open orders made from a design with no module lines (their opening receiver failed)."""
    lines = OrderModule.objects.filter(order_id=OuterRef("pk"))
    return list(
        Order.objects.filter(design__isnull=False)
        .exclude(status__in=CLOSED_ORDER_STATUSES)
        .exclude(Exists(lines))
        .values_list("pk", flat=True)
        .order_by("pk")
    )


def order_modules_close(*, order_pk: int) -> int:
    """The order left production (shipped, cancelled): its lines leave massing."""
    return OrderModule.objects.filter(order_id=order_pk, is_open=True).update(is_open=False)


def batch_days_place(
    windows: list[tuple[str, datetime.date, datetime.date]], today: datetime.date
) -> list[tuple[str, datetime.date]]:
    """New (signature, day) batches stabbing every (signature, window end, latest start)
    window, fewest days per signature (greedy by window end)."""
    by_signature: dict[str, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for signature, end, start in windows:
        by_signature[signature].append((end, max(start, today)))
    placed = []
    for signature, ends in by_signature.items():
        last_day: datetime.date | None = None
        for end, start in sorted(ends):
            if last_day is None or last_day < start:
                last_day = end
                placed.append((signature, end))
    return placed


@transaction.atomic
def massing_run(*, factory: Organization, today: datetime.date | None = None) -> MassingResult:
    """Open batches so that every open, not overdue module line of the factory has one."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )
        cursor.execute(UNCOVERED_WINDOWS_SQL, {"factory": factory.pk})
        rows = cursor.fetchall()
        windows = [(signature, end, start) for signature, end, start, _n in rows if end >= today]
        overdue = sum(count for _signature, end, _start, count in rows if end < today)
        placed = batch_days_place(windows, today)
        created = 0
        if placed:
            signatures, days = (list(column) for column in zip(*placed, strict=True))
            cursor.execute(
                INSERT_BATCHES_SQL, {"factory": factory.pk, "signatures": signatures, "days": days}
            )
            created = cursor.rowcount
    return MassingResult(
        factory_pk=factory.pk,
        windows_uncovered=len(windows),
        batches_created=created,
        overdue_lines=overdue,
    )


def massing_factories_with_open_modules() -> list[int]:
    return list(
        OrderModule.objects.filter(is_open=True)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
