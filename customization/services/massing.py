"""Customization-massing: identical modules of a factory's open orders are made together,
one production batch per signature and day, each module line inside its order's window,
and no batch making modules for more product units than the factory's capacity calendar
offers for its day (ADR 0007).

A run places only the lines that have no batch yet. A signature's new lines (above every
range of it) are placed by their window's start: starting days are taken in order and
grouped while one day lies in every window of the group and has room for all of it (the
latest such day: the greedy that stabs intervals with the fewest points); a group becomes
one range of one batch. Reading that is one aggregate of the new lines per (signature,
window start), from an index; writing, one INSERT of the batches, each carrying the range
it is opened for: no state per line or per window. Where capacity binds (a starting day
alone does not fit, or lines of the signature wait from an earlier run) the signature
takes the slower path: its windows, sorted by end, go to the latest batch in the window
with room, else a new one on the latest day with capacity, a line larger than the room
left is split, its rest placed the same way, and units no day has room for wait for a
later run. A placed line never moves, and new batches are never in the past. Re-running
adds nothing.
"""

from __future__ import annotations

import datetime
import gc
from collections import defaultdict
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter, itemgetter

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customization.massing_sql import (
    ABOVE_TOPS_FILTER,
    ABOVE_TOPS_JOIN,
    BACKLOG_SQL,
    BATCH_IDS_SQL,
    BATCH_LOADS_SQL,
    FOREVER,
    INSERT_BATCHES_SQL,
    NEW_LINES_SQL,
    PLACE_SQL,
    SHRINK_SQL,
    SPLIT_SQL,
    TOPS_SQL,
    UNPLACED_LINES_SQL,
    UNPLACED_WINDOWS_SQL,
)
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


@dataclass(slots=True)
class _Batch:
    signature: str
    day: datetime.date
    room: int
    pk: int | None = None  # None until inserted
    # The range a new batch is opened for: first line id, window starts from and until
    # (days as numbers from today); its last line is the run's last.
    opened_for: tuple[int, int, int] | None = None


_Day = datetime.date

# A window's share of a batch: (batch, units) in placing order.
_Pieces = list[tuple["_Batch", int]]


@dataclass
class _Placement:
    """What a run writes: new batches, ranges of lines -> batch, split parts."""

    today: datetime.date
    last_line: int  # the factory's last line id when the run started
    new_batches: list[_Batch] = field(default_factory=list)
    # New lines grouped by window start: (batch, starts from, until, batch day as numbers
    # from today, first line id); the range ends at `last_line`, the window at any day.
    grouped: list[tuple[_Batch, int, int, int, int]] = field(default_factory=list)
    # Where capacity binds: (batch, window starts from, until, ends from, until, first
    # line id, last line id).
    ranges: list[tuple[_Batch, _Day, _Day, _Day, _Day, int, int]] = field(default_factory=list)
    detailed: list[tuple[tuple, _Pieces]] = field(default_factory=list)  # line by line
    shrunk: list[tuple[int, int]] = field(default_factory=list)  # (line id, units it keeps)
    # (line id copied, units, batch or None: waiting, window start, window end)
    parts: list[tuple[int, int, _Batch | None, _Day, _Day]] = field(default_factory=list)
    lines_read: int = 0
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
            out.ranges.append((pieces[0][0], start, start, end, end, first_id, last_id))
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
                out.ranges.append((current[0], start, start, end, end, current[1], current[2]))
                current = None
            continue
        out.placed += 1
        batch = parts[0][1]
        if not holes and current is not None and current[0] is batch:
            current[2] = line_id
        else:
            if current is not None:
                out.ranges.append((current[0], start, start, end, end, current[1], current[2]))
            current = [batch, line_id, line_id]
        if len(parts) > 1 or need:
            out.split += 1
            out.shrunk.append((line_id, parts[0][0]))
            out.parts += [(line_id, take, part, start, end) for take, part in parts[1:]]
            if need:
                out.parts.append((line_id, need, None, start, end))
                out.unplaced += 1
    if current is not None:
        out.ranges.append((current[0], start, start, end, end, current[1], current[2]))


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


def _place_by_start(
    rows: list[tuple], room: list[int], batch_days: Container[int]
) -> list[tuple[int, int, int, int]] | None:
    """Group one signature's new lines by window start, in order (rows as read by
    `NEW_LINES_SQL`, days as numbers from today; `room[day]` what each day can still
    take): a starting day joins the group while one day lies in every window of it and
    has room for all its units (the latest such day, one with a batch first). Returns the
    groups (day, units, first and last window start) with their units taken from `room`,
    or None when a starting day alone fits no day: capacity binds and the signature takes
    the slower path. Starting days whose windows all ended are in no group, or in the
    span of one: a range never covers a window that ended before its day."""
    groups = []
    index, count = 0, len(rows)
    while index < count:
        _signature, start, _lines, _overdue, load, last, _order = rows[index]
        index += 1
        if last is None:
            continue
        first = max(start, 0)
        day = _day_with_room(first, last, load, room, batch_days)
        if day is None:
            return None
        start_to = start
        while index < count:
            _signature, next_start, _lines, _overdue, units, end, _order = rows[index]
            if end is not None:
                next_first, bound = max(next_start, 0), min(last, end)
                if next_first > bound:
                    break
                next_day = _day_with_room(next_first, bound, load + units, room, batch_days)
                if next_day is None:
                    break
                first, last, load, day = next_first, bound, load + units, next_day
            start_to = next_start
            index += 1
        room[day] -= load
        groups.append((day, load, start, start_to))
    return groups


def _day_with_room(
    first: int, last: int, units: int, room: list[int], batch_days: Container[int]
) -> int | None:
    """The latest day in [first, last] with a batch and room for `units`, else the latest
    with room; None when no day has room."""
    needed = max(units, 1)
    if room[last] >= needed and (not batch_days or last in batch_days):
        return last  # the common case: the window's last day
    if batch_days:
        for day in range(last, first - 1, -1):
            if day in batch_days and room[day] >= needed:
                return day
    for day in range(last, first - 1, -1):
        if room[day] >= needed:
            return day
    return None


def _place_new_lines(
    signature: str,
    rows: list[tuple],
    batches: dict[int, _Batch],
    cells: list[int],
    lines_above: int,
    out: _Placement,
) -> bool:
    """Place a signature's new lines (ids above `lines_above`; rows per window start, days
    as numbers from today) a range per group of starting days (`_place_by_start`) on its
    batches (by day) and the days' capacity (`cells`). False, with nothing placed, when
    capacity binds."""
    room = cells.copy()
    for day, existing in batches.items():
        room[day] = existing.room
    groups = _place_by_start(rows, room, batches)
    if groups is None:
        return False
    for day, units, start_from, start_to in groups:
        batch = batches.get(day)
        if batch is None:  # a new batch carries the range it is opened for
            batch = _Batch(signature, out.today + day * ONE_DAY, cells[day] - units)
            batch.opened_for = (lines_above + 1, start_from, start_to)
            batches[day] = batch
            out.new_batches.append(batch)
        else:
            batch.room -= units
            out.grouped.append((batch, start_from, start_to, day, lines_above + 1))
    for _signature, _start, lines, overdue, _units, _end, _order in rows:
        out.lines_read += lines
        out.placed += lines - overdue
        out.overdue += overdue
    return True


def _capacity(
    factory: Organization, today: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    """Units the factory's calendar offers per (category, day) from today to `end`."""
    if end < today:
        return {}
    cells = factory_selectors.capacity_calendar(organization=factory, start=today, end=end)
    return {
        (category, day): units
        for category, day, units in cells.values_list("category_id", "date", "units")
    }


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A run holds some 100,000 short-lived objects (rows read, groups, batches) with no
    reference cycles; their count would start CPython's full cycle collection of the
    worker's whole heap (60 to 80 ms, a third of the run) for nothing to collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def massing_run(*, factory: Organization, today: datetime.date | None = None) -> MassingResult:
    """Put every open module line of the factory without a batch into batches, inside its
    window and within each day's capacity (lines that do not fit wait for a later run)."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor, _without_cycle_collection():
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )
        # Grouping many lines (slow path, loads): in memory rather than spilled to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(TOPS_SQL, {"factory": factory.pk})
        tops: dict[str, int] = {}
        binding: list[str] = []  # signatures where capacity has bound
        for signature, top, bound in cursor.fetchall():
            tops[signature] = top
            if bound:
                binding.append(signature)
        new_lines, backlog = _read_new_lines(cursor, factory, tops, binding, today)
        if not new_lines and not backlog:
            return MassingResult(factory.pk, 0, 0, 0, 0, 0, 0)
        cursor.execute(
            "SELECT max(id) FROM customization_ordermodule WHERE organization_id = %s",
            [factory.pk],
        )
        out = _Placement(today=today, last_line=cursor.fetchone()[0])
        horizon = max((row[5] for row in new_lines if row[5] is not None), default=0)
        capacity = _capacity(factory, today, today + horizon * ONE_DAY)
        loads = _batch_loads(cursor, factory, today)
        slow = _place_new(cursor, new_lines, set(backlog), tops, loads, capacity, horizon, out)
        if slow:
            _place_slowly(cursor, factory, sorted(slow), tops, loads, capacity, out)
        _write(cursor, factory, out)
    return MassingResult(
        factory_pk=factory.pk,
        lines_read=out.lines_read,
        lines_placed=out.placed,
        lines_split=out.split,
        batches_created=len(out.new_batches),
        overdue_lines=out.overdue,
        unplaced_lines=out.unplaced,
    )


def _place_new(
    cursor,
    new_lines: list[tuple],
    slow: set[str],
    tops: dict[str, int],
    loads: dict[str, dict[datetime.date, tuple[int, int]]],
    capacity: dict[tuple[int, datetime.date], int],
    horizon: int,
    out: _Placement,
) -> set[str]:
    """Place the new lines of every signature not in `slow` by their window start
    (`_place_new_lines`); returns `slow` with the signatures where capacity binds."""
    categories = _categories(cursor, new_lines)
    days = [out.today + offset * ONE_DAY for offset in range(horizon + 1)]
    cells: dict[int, list[int]] = {}
    for signature, group in groupby(new_lines, key=itemgetter(0)):
        if signature in slow:
            continue
        category = categories[signature]
        if category not in cells:
            cells[category] = [capacity.get((category, day), 0) for day in days]
        batches = {}
        if signature in loads:
            batches = {
                (batch.day - out.today).days: batch
                for batch in _batches(signature, loads, capacity, category).values()
                if batch.day <= days[-1]
            }
        above = tops.get(signature, 0)
        if not _place_new_lines(signature, list(group), batches, cells[category], above, out):
            slow.add(signature)
    return slow


def _read_new_lines(
    cursor,
    factory: Organization,
    tops: dict[str, int],
    binding: list[str],
    today: datetime.date,
) -> tuple[list[tuple], list[str]]:
    """The new lines per (signature, window start), and the signatures with lines left
    waiting by an earlier run (only where capacity has bound)."""
    arguments = {
        "factory": factory.pk,
        "today": today,
        "signatures": list(tops),
        "tops": list(tops.values()),
    }
    # The lines are grouped in the order of their covering index, read alone, without
    # hashing or sorting ~200,000 rows: 2 to 3x faster than the plans the default costs
    # prefer (random pages priced as on a disk, though the index is in memory).
    cursor.execute("SET LOCAL enable_hashagg = off")
    cursor.execute("SET LOCAL random_page_cost = 1.1")
    if tops:
        query = NEW_LINES_SQL.format(tops=ABOVE_TOPS_JOIN, above_tops=ABOVE_TOPS_FILTER)
    else:
        query = NEW_LINES_SQL.format(tops="", above_tops="")
    cursor.execute(query, arguments)
    new_lines = cursor.fetchall()
    cursor.execute("SET LOCAL enable_hashagg TO DEFAULT")
    cursor.execute("SET LOCAL random_page_cost TO DEFAULT")
    if not binding:
        return new_lines, []
    cursor.execute(
        BACKLOG_SQL,
        arguments | {"signatures": binding, "tops": [tops[signature] for signature in binding]},
    )
    return new_lines, [signature for (signature,) in cursor.fetchall()]


def _batch_loads(
    cursor, factory: Organization, today: datetime.date
) -> dict[str, dict[datetime.date, tuple[int, int]]]:
    """The factory's batches from today on: signature -> day -> (batch id, units made)."""
    cursor.execute(BATCH_LOADS_SQL, {"factory": factory.pk, "today": today})
    loads: dict[str, dict[datetime.date, tuple[int, int]]] = defaultdict(dict)
    for pk, signature, day, load in cursor.fetchall():
        loads[signature][day] = (pk, int(load))
    return loads


def _categories(cursor, new_lines: list[tuple]) -> dict[str, int]:
    """The category of each signature's product, from one of its orders."""
    orders: dict[str, int] = {}
    for row in new_lines:
        orders.setdefault(row[0], row[6])
    if not orders:
        return {}
    cursor.execute(
        f"SELECT id, category_id FROM {Order._meta.db_table} WHERE id = ANY(%s)",  # noqa: S608
        [list(orders.values())],
    )
    by_order = dict(cursor.fetchall())
    return {signature: by_order[order] for signature, order in orders.items()}


def _batches(
    signature: str,
    loads: dict[str, dict[datetime.date, tuple[int, int]]],
    capacity: dict[tuple[int, datetime.date], int],
    category: int,
) -> dict[datetime.date, _Batch]:
    """The signature's batches from today on, with the room their day has left."""
    return {
        day: _Batch(signature, day, capacity.get((category, day), 0) - load, pk)
        for day, (pk, load) in loads.get(signature, {}).items()
    }


def _place_slowly(
    cursor,
    factory: Organization,
    signatures: list[str],
    tops: dict[str, int],
    loads: dict[str, dict[datetime.date, tuple[int, int]]],
    capacity: dict[tuple[int, datetime.date], int],
    out: _Placement,
) -> None:
    """Where capacity binds: the signatures' unplaced windows by window end, each the
    stream of its lines' units over the batches with room (`_place_signature`). A window
    with lines below a range of its signature is placed line by line, so that no range
    covers a line placed before."""
    cursor.execute(
        UNPLACED_WINDOWS_SQL.format(orders=Order._meta.db_table),
        {"factory": factory.pk, "signatures": signatures},
    )
    windows = [(*row, row[6] <= tops.get(row[0], 0)) for row in cursor.fetchall()]
    out.lines_read += sum(window[4] for window in windows)
    today = out.today
    last = max((window[3] for window in windows), default=today)
    if last > max((day for _category, day in capacity), default=today):
        capacity.update(_capacity(factory, today, last))
    for signature, group in groupby(windows, key=itemgetter(0)):
        signature_windows = list(group)
        category = signature_windows[0][1]
        batches = _batches(signature, loads, capacity, category)
        _place_signature(signature_windows, batches, capacity, today, out)
    if out.detailed:
        _place_detailed(cursor, factory, out)


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
        # Only new batches that `LineRange` rows name need their id here.
        named = {id(batch) for batch, *_bounds in out.grouped + out.ranges}
        named |= {id(part[2]) for part in out.parts if part[2] is not None}
        needing = [batch for batch in out.new_batches if id(batch) in named]
        if needing:
            cursor.execute(BATCH_IDS_SQL, {"count": len(needing)})
            for batch, (pk,) in zip(needing, cursor.fetchall(), strict=True):
                batch.pk = pk
        # Each signature sent once (batches name it by its place in the list).
        signatures: dict[str, str] = {}
        for batch in out.new_batches:
            signatures.setdefault(batch.signature, str(len(signatures) + 1))
        opened = [batch.opened_for or ("", "", "") for batch in out.new_batches]
        first_lines, start_froms, start_tos = zip(*opened, strict=True)
        cursor.execute(
            INSERT_BATCHES_SQL,
            {
                "factory": factory.pk,
                "today": out.today,
                "last_line": out.last_line,
                "signatures": list(signatures),
                "ids": ",".join(["" if b.pk is None else str(b.pk) for b in out.new_batches]),
                "signature_indexes": ",".join([signatures[b.signature] for b in out.new_batches]),
                "days": ",".join([str((batch.day - out.today).days) for batch in out.new_batches]),
                "first_lines": ",".join(map(str, first_lines)),
                "start_froms": ",".join(map(str, start_froms)),
                "start_tos": ",".join(map(str, start_tos)),
            },
        )
    # Days as numbers from today.
    forever = (FOREVER - out.today).days
    ranges: list[tuple[int | None, ...]] = [
        (batch.pk, start_from, start_to, day, forever, first, out.last_line)
        for batch, start_from, start_to, day, first in out.grouped
    ]
    ranges += [
        (batch.pk, *[(day - out.today).days for day in days], first, last)
        for batch, *days, first, last in out.ranges
    ]
    # Split parts (rare: a day's room ran out) are new lines, one statement each; being
    # inserted under the massing lock, each is a range of its own.
    for line, units, part_batch, start, end in out.parts:
        cursor.execute(SPLIT_SQL, {"line": line, "units": units})
        part_id = cursor.fetchone()[0]
        if part_batch is not None:
            start_day, end_day = (start - out.today).days, (end - out.today).days
            ranges.append((part_batch.pk, start_day, start_day, end_day, end_day, part_id, part_id))
    if out.shrunk:
        cursor.execute(
            SHRINK_SQL,
            {
                "lines": [line for line, _units in out.shrunk],
                "units": [units for _line, units in out.shrunk],
            },
        )
    if ranges:
        columns = [",".join(map(str, column)) for column in zip(*ranges, strict=True)]
        cursor.execute(
            PLACE_SQL,
            {"today": out.today}
            | dict(zip(("batches", "start_froms", "start_tos", "end_froms", "end_tos",
                        "firsts", "lasts"), columns, strict=True)),
        )  # fmt: skip


def massing_factories_with_open_modules() -> list[int]:
    return list(
        OrderModule.objects.filter(is_open=True)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )
