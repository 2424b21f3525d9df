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
and new batches are never in the past. Reading is one query for the unplaced lines
grouped per window, one for the batches' loads and one for the calendar (and one for the
lines of windows the capacity splits over days); writing is one INSERT of the new
batches and one of the line ranges (a narrow row per window and batch, never a row per
line nor a rewrite of the lines); a split line also costs an INSERT per part and one
UPDATE.
Re-running adds nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter, itemgetter

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

# The factory's open lines no range covers, a row per window (signature, start, end) in
# placing order (signature, window end, start): lines, units, first and last id, the
# category (a signature is one product's module) and whether an earlier range of the
# window lies past its first line (then the window's lines are placed one by one, so
# that no range covers a line placed before).
UNPLACED_WINDOWS_SQL = """
WITH ranges AS (
    SELECT batch.signature, r.window_start, r.window_end, r.first_line, r.last_line
    FROM customization_linerange AS r
    JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
    WHERE batch.organization_id = %(factory)s
), tops AS (
    SELECT signature, window_start, window_end, max(last_line) AS top
    FROM ranges GROUP BY signature, window_start, window_end
), windows AS (
    SELECT line.signature, line.window_start, line.window_end, count(*) AS lines,
           sum(line.units) AS units, min(line.id) AS first, max(line.id) AS last,
           min(line.order_id) AS an_order
    FROM customization_ordermodule AS line
    WHERE line.organization_id = %(factory)s AND line.is_open AND NOT EXISTS (
        SELECT 1 FROM ranges AS r
        WHERE r.signature = line.signature AND r.window_start = line.window_start
          AND r.window_end = line.window_end AND line.id BETWEEN r.first_line AND r.last_line
    )
    GROUP BY line.signature, line.window_start, line.window_end
)
SELECT w.signature, o.category_id, w.window_start, w.window_end, w.lines, w.units,
       w.first, w.last, w.first <= coalesce(t.top, 0)
FROM windows AS w
JOIN {orders} AS o ON o.id = w.an_order
LEFT JOIN tops AS t ON t.signature = w.signature AND t.window_start = w.window_start
    AND t.window_end = w.window_end
ORDER BY w.signature COLLATE "C", w.window_end, w.window_start
"""

# The unplaced lines of some windows, in id order (windows split over batches).
UNPLACED_LINES_SQL = """
WITH ranges AS (
    SELECT batch.signature, r.window_start, r.window_end, r.first_line, r.last_line
    FROM customization_linerange AS r
    JOIN customization_productionbatch AS batch ON batch.id = r.batch_id
    WHERE batch.organization_id = %(factory)s
)
SELECT line.signature, line.window_start, line.window_end, line.id, line.units
FROM customization_ordermodule AS line
JOIN unnest(%(signatures)s::varchar[], %(starts)s::date[], %(ends)s::date[])
    AS w(signature, window_start, window_end)
    ON w.signature = line.signature AND w.window_start = line.window_start
    AND w.window_end = line.window_end
WHERE line.organization_id = %(factory)s AND line.is_open AND NOT EXISTS (
    SELECT 1 FROM ranges AS r
    WHERE r.signature = line.signature AND r.window_start = line.window_start
      AND r.window_end = line.window_end AND line.id BETWEEN r.first_line AND r.last_line
)
ORDER BY line.signature, line.window_start, line.window_end, line.id
"""

# The factory's batches from today on with the product units of their open lines.
BATCH_LOADS_SQL = """
SELECT batch.id, batch.signature, batch.day,
       coalesce(sum(line.units) FILTER (WHERE line.is_open), 0)
FROM customization_productionbatch AS batch
LEFT JOIN customization_linerange AS r ON r.batch_id = batch.id
LEFT JOIN customization_ordermodule AS line
    ON line.organization_id = batch.organization_id AND line.signature = batch.signature
    AND line.window_start = r.window_start AND line.window_end = r.window_end
    AND line.id BETWEEN r.first_line AND r.last_line
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
INSERT INTO customization_linerange (batch_id, window_start, window_end, first_line, last_line)
SELECT batch, %(base)s::date + start, %(base)s::date + finish, first, last FROM unnest(
    string_to_array(%(batches)s, ',')::bigint[], string_to_array(%(starts)s, ',')::int[],
    string_to_array(%(ends)s, ',')::int[], string_to_array(%(firsts)s, ',')::bigint[],
    string_to_array(%(lasts)s, ',')::bigint[]
) AS new(batch, start, finish, first, last)
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
    with transaction.atomic(), connection.cursor() as cursor:
        # Under the factory's massing lock, so that a factory's line ids follow commit
        # order: a line range written by massing never gains a line later (ADR 0007).
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )
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


# A window's share of a batch: (batch, units) in placing order.
_Pieces = list[tuple["_Batch", int]]


@dataclass
class _Placement:
    """What a run writes: ranges of lines -> batch, split parts, new batches."""

    # (batch, window start, window end, first line id, last line id)
    ranges: list[tuple[_Batch, datetime.date, datetime.date, int, int]]
    detailed: list[tuple[tuple, _Pieces]]  # windows placed line by line, with their pieces
    shrunk: list[tuple[int, int]]  # (line id, units it keeps)
    # (line id copied, units, batch or None: waiting, window start, window end)
    parts: list[tuple[int, int, _Batch | None, datetime.date, datetime.date]]
    new_batches: list[_Batch]
    placed: int = 0
    split: int = 0
    overdue: int = 0
    unplaced: int = 0


def _place_signature(
    windows: list[tuple],
    batches: dict[datetime.date, _Batch],
    capacity: dict[tuple[int, datetime.date], int],
    today: datetime.date,
    out: _Placement,
) -> None:
    """Place one signature's windows (sorted by window end) on its batches. A window's
    lines, in id order, are a stream of units: each batch found (the latest of the window
    with room, else a new one) takes what its room allows, the next takes the rest; units
    no day has room for wait. A window taken whole by one batch is one range; the others
    are placed line by line once their lines are read (`_place_lines`)."""
    latest = max(batches.values(), key=attrgetter("day"), default=None)
    for window in windows:
        signature, category, start, end, lines, units, first_id, last_id, holes = window
        if end < today:
            out.overdue += lines
            continue
        first = max(start, today)
        pieces: _Pieces = []
        remaining = units
        if latest is not None and first <= latest.day <= end and latest.room >= max(units, 1):
            # The signature's latest batch is in the window and has room: it is the batch
            # `_batch_with_room` would find (no later batch exists), without the search.
            latest.room -= units
            pieces.append((latest, units))
            remaining = 0
        while remaining or not pieces:
            batch = _batch_with_room(signature, category, first, end, batches, capacity, out)
            if batch is None:
                break
            take = min(remaining, batch.room)
            batch.room -= take
            pieces.append((batch, take))
            remaining -= take
            if latest is None or batch.day > latest.day:
                latest = batch
        if not pieces:
            out.unplaced += lines
        elif len(pieces) == 1 and remaining == 0 and not holes:
            out.ranges.append((pieces[0][0], start, end, first_id, last_id))
            out.placed += lines
        else:
            out.detailed.append((window, pieces))


def _place_lines(window: tuple, pieces: _Pieces, lines: list[tuple], out: _Placement) -> None:
    """A window's lines (id, units) in id order over its pieces: a line takes units from
    the current piece, a line larger than what is left there is split (it keeps its first
    part, each further part is a new line, the units past the last piece wait in one)."""
    _signature, _category, start, end, _lines, _units, _first, _last, holes = window
    index, left = 0, pieces[0][1]
    current: list | None = None  # the open range [batch, first, last] (windows without holes)
    for line_id, units in lines:
        parts: list[tuple[int, _Batch]] = []
        need = units
        while need > 0 and index < len(pieces):
            if left == 0:
                index += 1
                left = pieces[index][1] if index < len(pieces) else 0
                continue
            take = min(need, left)
            parts.append((take, pieces[index][0]))
            need -= take
            left -= take
        if units == 0:
            parts = [(0, pieces[min(index, len(pieces) - 1)][0])]
        if not parts:
            out.unplaced += 1
            if current is not None:  # a range never covers a waiting line
                out.ranges.append((current[0], start, end, current[1], current[2]))
                current = None
            continue
        out.placed += 1
        batch = parts[0][1]
        if not holes and current is not None and current[0] is batch:
            current[2] = line_id
        else:
            if current is not None:
                out.ranges.append((current[0], start, end, current[1], current[2]))
            current = [batch, line_id, line_id]
        if len(parts) > 1 or need:
            out.split += 1
            out.shrunk.append((line_id, parts[0][0]))
            out.parts += [(line_id, take, part, start, end) for take, part in parts[1:]]
            if need:
                out.parts.append((line_id, need, None, start, end))
                out.unplaced += 1
    if current is not None:
        out.ranges.append((current[0], start, end, current[1], current[2]))


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


@transaction.atomic
def massing_run(*, factory: Organization, today: datetime.date | None = None) -> MassingResult:
    """Put every open module line of the factory without a batch into batches, inside its
    window and within each day's capacity (lines that do not fit wait for a later run)."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )
        # Grouping ~200,000 lines into windows: in memory rather than spilled to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            UNPLACED_WINDOWS_SQL.format(orders=Order._meta.db_table), {"factory": factory.pk}
        )
        windows = cursor.fetchall()
        if not windows:
            return MassingResult(factory.pk, 0, 0, 0, 0, 0, 0)
        last = max(window[3] for window in windows)
        capacity = _capacity(factory, today, last) if last >= today else {}
        cursor.execute(BATCH_LOADS_SQL, {"factory": factory.pk, "today": today})
        loads: dict[str, dict[datetime.date, tuple[int, int]]] = defaultdict(dict)
        for pk, signature, day, load in cursor.fetchall():
            loads[signature][day] = (pk, int(load))
        out = _Placement(ranges=[], detailed=[], shrunk=[], parts=[], new_batches=[])
        for signature, group in groupby(windows, key=itemgetter(0)):
            signature_windows = list(group)
            category = signature_windows[0][1]  # a signature is one product's module
            batches = {
                day: _Batch(signature, day, capacity.get((category, day), 0) - load, pk)
                for day, (pk, load) in loads[signature].items()
            }
            _place_signature(signature_windows, batches, capacity, today, out)
        if out.detailed:
            _place_detailed(cursor, factory, out)
        _write(cursor, factory, out)
    return MassingResult(
        factory_pk=factory.pk,
        lines_read=sum(window[4] for window in windows),
        lines_placed=out.placed,
        lines_split=out.split,
        batches_created=len(out.new_batches),
        overdue_lines=out.overdue,
        unplaced_lines=out.unplaced,
    )


def _place_detailed(cursor, factory: Organization, out: _Placement) -> None:
    """Read the lines of the windows split over batches (one query) and place them."""
    cursor.execute(
        UNPLACED_LINES_SQL,
        {
            "factory": factory.pk,
            "signatures": [window[0] for window, _pieces in out.detailed],
            "starts": [window[2] for window, _pieces in out.detailed],
            "ends": [window[3] for window, _pieces in out.detailed],
        },
    )
    lines: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for signature, start, end, line_id, units in cursor.fetchall():
        lines[(signature, start, end)].append((line_id, units))
    for window, pieces in out.detailed:
        _place_lines(window, pieces, lines[(window[0], window[2], window[3])], out)


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
    ranges = [(batch.pk, start, end, first, last) for batch, start, end, first, last in out.ranges]
    # Split parts (rare: a day's room ran out) are new lines, one statement each; being
    # inserted under the massing lock, each is a range of its own.
    for line, units, part_batch, start, end in out.parts:
        cursor.execute(SPLIT_SQL, {"line": line, "units": units})
        part_id = cursor.fetchone()[0]
        if part_batch is not None:
            ranges.append((part_batch.pk, start, end, part_id, part_id))
    if out.shrunk:
        cursor.execute(
            SHRINK_SQL,
            {
                "lines": [line for line, _units in out.shrunk],
                "units": [units for _line, units in out.shrunk],
            },
        )
    if ranges:
        # Each column as one comma-separated text, days as numbers from the first: quoting
        # arrays of 75,000 values (and formatting dates) costs more than the INSERT.
        batches, starts, ends, firsts, lasts = zip(*ranges, strict=True)
        base = min(starts)
        offsets = {day: str((day - base).days) for day in {*starts, *ends}}
        cursor.execute(
            PLACE_SQL,
            {
                "base": base,
                "batches": ",".join(map(str, batches)),
                "starts": ",".join([offsets[day] for day in starts]),
                "ends": ",".join([offsets[day] for day in ends]),
                "firsts": ",".join(map(str, firsts)),
                "lasts": ",".join(map(str, lasts)),
            },
        )


def massing_factories_with_open_modules() -> list[int]:
    return list(
        OrderModule.objects.filter(is_open=True)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
