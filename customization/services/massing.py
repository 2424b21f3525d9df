"""Customization-massing: identical modules of a factory's open orders are made together,
one production batch per signature and day, each module line inside its order's window,
and no batch making modules for more product units than the factory's capacity calendar
offers for its day (ADR 0007).

A run places only the lines that have no batch yet, per signature by the interval-stabbing
greedy (lines sorted by window end): a line joins a batch of its signature inside its
window that still has room (the latest), else opens a batch on the latest day of its
window that has capacity; a line larger than the room left is split, its rest placed the
same way. A line no day of its window has room for stays unbatched (reported) and is
placed by a later run, when capacity is published or freed. A placed line never moves,
and new batches are never in the past. Reading is one query for the lines (in placing
order, grouped into windows here), one for the batches' loads and one for the calendar;
writing is one INSERT of the new batches and one of the placements (a narrow row per
line, never a rewrite of the lines); a split line also costs an INSERT per part and one
UPDATE.
Re-running adds nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customization.models import Design, OrderModule
from factories import selectors as factory_selectors
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

# The factory's open lines without a placement, in placing order: by signature, window end
# and start, then id (grouped into windows in Python: cheaper than array_agg in SQL).
UNBATCHED_LINES_SQL = """
SELECT line.signature, o.category_id, line.window_start, line.window_end, line.id, line.units
FROM customization_ordermodule AS line
JOIN {orders} AS o ON o.id = line.order_id
WHERE line.organization_id = %(factory)s AND line.is_open
  AND NOT EXISTS (SELECT 1 FROM customization_moduleplacement AS p WHERE p.line_id = line.id)
ORDER BY line.signature, line.window_end, line.window_start, o.category_id, line.id
"""


# The factory's batches from today on with the product units of their open lines.
BATCH_LOADS_SQL = """
SELECT batch.id, batch.signature, batch.day,
       coalesce(sum(line.units) FILTER (WHERE line.is_open), 0)
FROM customization_productionbatch AS batch
LEFT JOIN customization_moduleplacement AS p ON p.batch_id = batch.id
LEFT JOIN customization_ordermodule AS line ON line.id = p.line_id
WHERE batch.organization_id = %(factory)s AND batch.day >= %(today)s
GROUP BY batch.id
"""

INSERT_BATCHES_SQL = """
INSERT INTO customization_productionbatch (organization_id, signature, day, created_at)
SELECT %(factory)s, new.signature, new.day, now()
FROM unnest(%(signatures)s::varchar[], %(days)s::date[]) AS new(signature, day)
ON CONFLICT (organization_id, signature, day) DO NOTHING
RETURNING id, signature, day
"""

PLACE_SQL = """
INSERT INTO customization_moduleplacement (line_id, batch_id)
SELECT * FROM unnest(%(lines)s::bigint[], %(batches)s::bigint[])
"""

# A split line keeps `units` (and its modules for them); each rest is a new line.
SHRINK_SQL = """
UPDATE customization_ordermodule AS line
SET units = part.units, quantity = line.quantity / line.units * part.units
FROM unnest(%(lines)s::bigint[], %(units)s::int[]) AS part(id, units)
WHERE line.id = part.id AND line.units > 0
"""

SPLIT_SQL = """
INSERT INTO customization_ordermodule (organization_id, order_id, design_module_id, name,
    attributes, signature, quantity, units, window_start, window_end, is_open)
SELECT line.organization_id, line.order_id, line.design_module_id, line.name,
       line.attributes, line.signature, line.quantity / line.units * %(units)s, %(units)s,
       line.window_start, line.window_end, true
FROM customization_ordermodule AS line WHERE line.id = %(line)s
RETURNING id
"""


@dataclass(frozen=True)
class MassingResult:
    factory_pk: int
    lines_read: int  # open lines without a batch when the run started
    lines_placed: int  # of those, the ones now in a batch (parts of a split line count once)
    lines_split: int  # lines spread over several batches
    batches_created: int
    overdue_lines: int  # windows that ended before today: never batched in the past
    unplaced_lines: int  # no day of the window has room: placed by a later run


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
            units=quantity,
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


@dataclass
class _Batch:
    signature: str
    day: datetime.date
    room: int
    pk: int | None = None  # None until inserted


@dataclass
class _Placement:
    """What a run writes: line -> batch, split parts, new batches."""

    whole: list[tuple[int, _Batch]]
    shrunk: list[tuple[int, int]]  # (line id, units it keeps)
    parts: list[tuple[int, int, _Batch]]  # (line id copied, units, batch)
    new_batches: list[_Batch]
    placed: int = 0
    split: int = 0
    overdue: int = 0
    unplaced: int = 0


def _place_signature(
    groups: list[tuple],
    batches: dict[datetime.date, _Batch],
    capacity: dict[tuple[int, datetime.date], int],
    today: datetime.date,
    out: _Placement,
) -> None:
    """Place one signature's line groups (sorted by window end) on its batches."""
    for signature, category, start, end, ids, units in groups:
        if end < today:
            out.overdue += len(ids)
            continue
        first = max(start, today)
        current: _Batch | None = None
        for line_id, line_units in zip(ids, units, strict=True):
            if current is not None and current.room >= line_units:
                current.room -= line_units
                out.whole.append((line_id, current))
                out.placed += 1
                continue
            remaining, pieces = line_units, []
            while True:
                batch = _batch_with_room(signature, category, first, end, batches, capacity, out)
                if batch is None:
                    break
                take = min(remaining, batch.room)
                batch.room -= take
                pieces.append((take, batch))
                remaining -= take
                current = batch
                if remaining == 0:
                    break
            if not pieces:
                out.unplaced += 1
                continue
            out.placed += 1
            if remaining == 0 and len(pieces) == 1:
                out.whole.append((line_id, pieces[0][1]))
                continue
            # Split: the line keeps its first piece; the rest (and any unplaced units, as a
            # line without a batch for a later run) become new lines.
            out.split += 1
            out.whole.append((line_id, pieces[0][1]))
            out.shrunk.append((line_id, pieces[0][0]))
            out.parts += [(line_id, take, batch) for take, batch in pieces[1:]]
            if remaining:
                out.parts.append((line_id, remaining, _UNPLACED))
                out.unplaced += 1


_UNPLACED = _Batch(signature="", day=datetime.date.min, room=0)


def _batch_with_room(
    signature: str,
    category: int,
    first: datetime.date,
    end: datetime.date,
    batches: dict[datetime.date, _Batch],
    capacity: dict[tuple[int, datetime.date], int],
    out: _Placement,
) -> _Batch | None:
    """The latest batch of the signature in [first, end] with room, else a new one on the
    latest day there with capacity and no batch yet; None when no day has room."""
    day = end
    opening = None
    while day >= first:
        batch = batches.get(day)
        if batch is not None:
            if batch.room > 0:
                return batch
        elif opening is None and capacity.get((category, day), 0) > 0:
            opening = day
        day -= ONE_DAY
    if opening is None:
        return None
    batch = _Batch(signature=signature, day=opening, room=capacity[(category, opening)])
    batches[opening] = batch
    out.new_batches.append(batch)
    return batch


ONE_DAY = datetime.timedelta(days=1)


def _capacity(
    factory: Organization, today: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    """Units the factory's calendar offers per (category, day) from today to `end`."""
    cells = factory_selectors.capacity_calendar(organization=factory, start=today, end=end)
    return {
        (category, day): units
        for category, day, units in cells.values_list("category_id", "date", "units")
    }


def _windows(rows: list[tuple]) -> list[tuple]:
    """(signature, category, start, end, [ids], [units]) per window, rows in order."""
    groups: list[tuple] = []
    for key, lines in groupby(rows, key=itemgetter(0, 1, 2, 3)):
        ids, units = [], []
        for line in lines:
            ids.append(line[4])
            units.append(line[5])
        groups.append((*key, ids, units))
    return groups


@transaction.atomic
def massing_run(*, factory: Organization, today: datetime.date | None = None) -> MassingResult:
    """Put every open module line of the factory without a batch into batches, inside its
    window and within each day's capacity (lines that do not fit wait for a later run)."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )
        cursor.execute(
            UNBATCHED_LINES_SQL.format(orders=Order._meta.db_table), {"factory": factory.pk}
        )
        groups = _windows(cursor.fetchall())
        if not groups:
            return MassingResult(factory.pk, 0, 0, 0, 0, 0, 0)
        last = max(group[3] for group in groups)
        capacity = _capacity(factory, today, last) if last >= today else {}
        cursor.execute(BATCH_LOADS_SQL, {"factory": factory.pk, "today": today})
        loads: dict[str, dict[datetime.date, tuple[int, int]]] = defaultdict(dict)
        for pk, signature, day, load in cursor.fetchall():
            loads[signature][day] = (pk, int(load))
        out = _Placement(whole=[], shrunk=[], parts=[], new_batches=[])
        by_signature: dict[str, list[tuple]] = defaultdict(list)
        for group in groups:
            by_signature[group[0]].append(group)
        for signature, signature_groups in by_signature.items():
            category = signature_groups[0][1]  # a signature is one product's module
            batches = {
                day: _Batch(signature, day, capacity.get((category, day), 0) - load, pk)
                for day, (pk, load) in loads[signature].items()
            }
            _place_signature(signature_groups, batches, capacity, today, out)
        _write(cursor, factory, out)
    return MassingResult(
        factory_pk=factory.pk,
        lines_read=sum(len(group[4]) for group in groups),
        lines_placed=out.placed,
        lines_split=out.split,
        batches_created=len(out.new_batches),
        overdue_lines=out.overdue,
        unplaced_lines=out.unplaced,
    )


def _write(cursor, factory: Organization, out: _Placement) -> None:
    if out.new_batches:
        cursor.execute(
            INSERT_BATCHES_SQL,
            {
                "factory": factory.pk,
                "signatures": [batch.signature for batch in out.new_batches],
                "days": [batch.day for batch in out.new_batches],
            },
        )
        ids = {(signature, day): pk for pk, signature, day in cursor.fetchall()}
        for batch in out.new_batches:
            batch.pk = ids[(batch.signature, batch.day)]
    placements = [(line, batch.pk) for line, batch in out.whole]
    # Split parts (rare: a day's room ran out) are new lines, one statement each.
    for line, units, batch in out.parts:
        cursor.execute(SPLIT_SQL, {"line": line, "units": units})
        if batch.pk is not None:
            placements.append((cursor.fetchone()[0], batch.pk))
    if out.shrunk:
        cursor.execute(
            SHRINK_SQL,
            {
                "lines": [line for line, _units in out.shrunk],
                "units": [units for _line, units in out.shrunk],
            },
        )
    if placements:
        cursor.execute(
            PLACE_SQL,
            {
                "lines": [line for line, _batch in placements],
                "batches": [batch for _line, batch in placements],
            },
        )


def massing_factories_with_open_modules() -> list[int]:
    return list(
        OrderModule.objects.filter(is_open=True)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
