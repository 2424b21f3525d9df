"""The free-capacity read model (`CapacityLine`, docs/adr/0005): kept in the transaction
that changes the calendar, rebuilt by the daily roll, checked against the calendar.

Every write to `CapacityDay` goes through `calendar_write`:

    with calendar_write(lines=[(organization_pk, category_pk), ...]):
        ...  # the UPDATEs / INSERTs of those capacity cells

It locks those lines (creating missing ones) BEFORE the cells are touched and recomputes
them from the calendar when the block ends, still inside the caller's transaction. Lock
order everywhere: reservation row, then lines by (organization, category), then cells by
(category, date). Because the recompute runs after the line lock is held, under READ
COMMITTED it sees every write committed by whoever held the lock before: two writers of
one line can never leave it stale, whatever their order.
"""

# Every SQL text here is assembled from this module's constants only; values are always
# bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from factories import texts
from factories.models import CAPACITY_WINDOW_DAYS
from marketplace.models import Organization
from marketplace.services import notification_send

logger = logging.getLogger(__name__)

REBUILD_BATCH = 2000

# What a line's search terms and card should be: the factory's organization, profile and
# performance. Also the body of the database triggers (migrations 0006 and 0015).
_TERMS = (
    "verified",
    "min_order_quantity",
    "standard_lead_days",
    "free_sampling",
    "region",
    "merit",
    "card",
    "figures",
    "price_level",
    "on_time_rate",
    "rating",
    "response_hours",
)
_TERMS_SELECT = """
    SELECT o.id AS organization_id,
           (o.verified AND o.kind = 'factory') AS verified,
           p.min_order_quantity, p.standard_lead_days, p.free_sampling, p.region,
           factories_capacity_merit(p.price_level, f.on_time_rate, f.rating,
                                    f.median_quote_response_hours) AS merit,
           factories_capacity_line_card(o.id, o.slug, o.name, o.verified, p.region, p.city,
                                        p.min_order_quantity, p.standard_lead_days,
                                        p.free_sampling, p.price_level, f.on_time_rate,
                                        f.rating) AS card,
           factories_capacity_line_figures(p.price_level, f.on_time_rate, f.rating,
                                           f.median_quote_response_hours) AS figures,
           p.price_level, f.on_time_rate, f.rating,
           f.median_quote_response_hours AS response_hours
    FROM marketplace_organization o
    JOIN factories_factoryprofile p ON p.organization_id = o.id
    LEFT JOIN factories_factoryperformance f ON f.organization_id = o.id
"""


def _arrays_select(*, start: str, where: str) -> str:
    """Free units, cumulative free units and published flags of the lines matching
    `where` over the 30 days from `start` (SQL expressions over the line `l`), recomputed
    from the calendar: one range scan of the calendar's unique index per line."""
    return f"""
    SELECT l.id AS line_id, l.organization_id, days.free, cumulative.cumulative, days.published
    FROM factories_capacityline l
    CROSS JOIN LATERAL (
        SELECT array_agg(COALESCE(cell.free, 0) ORDER BY g.day) AS free,
               array_agg(cell.date IS NOT NULL ORDER BY g.day) AS published
        FROM generate_series(0, {CAPACITY_WINDOW_DAYS - 1}) AS g(day)
        LEFT JOIN (
            SELECT d.date, GREATEST(d.units - d.held - d.booked, 0) AS free
            FROM factories_capacityday d
            WHERE d.organization_id = l.organization_id
              AND d.category_id = l.category_id
              AND d.date >= {start}
              AND d.date < {start} + {CAPACITY_WINDOW_DAYS}
        ) cell ON cell.date = {start} + g.day
    ) days
    CROSS JOIN LATERAL (
        SELECT array_prepend(0, array_agg(running::integer ORDER BY position)) AS cumulative
        FROM (
            SELECT position, sum(free) OVER (ORDER BY position) AS running
            FROM unnest(days.free) WITH ORDINALITY AS u(free, position)
        ) prefix
    ) cumulative
    WHERE {where}
    """


_REFRESH = f"""
UPDATE factories_capacityline l
SET window_start = %(start)s, free = fresh.free, cumulative = fresh.cumulative,
    published = fresh.published
FROM ({_arrays_select(start="%(start)s::date", where="l.id = ANY(%(ids)s::bigint[])")}) fresh
WHERE l.id = fresh.line_id
"""

# Missing lines are created with their terms read under a share lock on the profile: the
# terms triggers lock that row first, so a concurrent profile, performance or verification
# change either lands before this read or waits and then updates the new line too.
_CREATE = f"""
INSERT INTO factories_capacityline
    (organization_id, category_id, window_start, free, cumulative, published,
     {", ".join(_TERMS)})
SELECT terms.organization_id, wanted.category_id, %(start)s,
       array_fill(0, ARRAY[{CAPACITY_WINDOW_DAYS}]),
       array_fill(0, ARRAY[{CAPACITY_WINDOW_DAYS + 1}]),
       array_fill(false, ARRAY[{CAPACITY_WINDOW_DAYS}]),
       {", ".join(f"terms.{name}" for name in _TERMS)}
FROM unnest(%(category_ids)s::bigint[]) AS wanted(category_id)
CROSS JOIN LATERAL (
    {_TERMS_SELECT}
    WHERE o.id = %(organization_id)s
    FOR SHARE OF p
) terms
ORDER BY wanted.category_id
ON CONFLICT (organization_id, category_id) DO NOTHING
"""

_KEYS = "unnest(%(organization_ids)s::bigint[], %(category_ids)s::bigint[])"

_EXISTING = f"""
SELECT l.organization_id, l.category_id FROM factories_capacityline l
JOIN {_KEYS} AS wanted(organization_id, category_id)
  ON wanted.organization_id = l.organization_id AND wanted.category_id = l.category_id
"""

_LOCK = f"""
SELECT l.id FROM factories_capacityline l
JOIN {_KEYS} AS wanted(organization_id, category_id)
  ON wanted.organization_id = l.organization_id AND wanted.category_id = l.category_id
ORDER BY l.organization_id, l.category_id
FOR UPDATE OF l
"""


def _lock_lines(keys: list[tuple[int, int]], *, today: datetime.date) -> list[int]:
    """Create the missing lines (before any line lock is held: creating takes the profile's
    share lock, and the terms triggers take the profile before the lines), then lock all
    of them in (organization, category) order. Returns their ids."""
    parameters = {
        "organization_ids": [key[0] for key in keys],
        "category_ids": [key[1] for key in keys],
    }
    with connection.cursor() as cursor:
        cursor.execute(_EXISTING, parameters)
        missing = set(keys) - set(cursor.fetchall())
        by_organization: dict[int, list[int]] = {}
        for organization_id, category_id in sorted(missing):
            by_organization.setdefault(organization_id, []).append(category_id)
        for organization_id, category_ids in by_organization.items():
            cursor.execute(
                _CREATE,
                {"organization_id": organization_id, "category_ids": category_ids, "start": today},
            )
        cursor.execute(_LOCK, parameters)
        return [row[0] for row in cursor.fetchall()]


def _refresh(*, line_ids: list[int], start: datetime.date) -> None:
    if line_ids:
        with connection.cursor() as cursor:
            cursor.execute(_REFRESH, {"ids": line_ids, "start": start})


@contextlib.contextmanager
def calendar_write(
    *, lines: Iterable[tuple[int, int]], today: datetime.date | None = None
) -> Iterator[None]:
    """The one way to change capacity cells. `lines` are the (organization pk, category
    pk) pairs whose cells the block writes: they are locked (and created when missing)
    first, and recomputed from the calendar when the block ends, all in the caller's
    transaction, which must be open. On an exception nothing is recomputed: the caller's
    transaction rolls the cells back with it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("calendar_write must run inside a transaction")
    today = today or timezone.localdate()
    keys = sorted(set(lines))
    line_ids = _lock_lines(keys, today=today) if keys else []
    yield
    _refresh(line_ids=line_ids, start=today)


# --- whole-table work: the daily re-anchor, the drift check ---------------------------------

_MISSING_LINES = f"""
SELECT DISTINCT d.organization_id, d.category_id
FROM factories_capacityday d
WHERE d.date >= %(start)s AND d.date < %(start)s::date + {CAPACITY_WINDOW_DAYS}
  AND NOT EXISTS (
      SELECT 1 FROM factories_capacityline l
      WHERE l.organization_id = d.organization_id AND l.category_id = d.category_id)
ORDER BY 1, 2
"""

# Lines whose arrays differ from the calendar over their own window, or whose terms differ
# from the factory's. One statement, so one snapshot: a write committed with its line is
# never reported half done.
_DRIFTED = f"""
SELECT l.id
FROM factories_capacityline l
LEFT JOIN ({_arrays_select(start="l.window_start", where="true")}) fresh
       ON fresh.line_id = l.id
LEFT JOIN ({_TERMS_SELECT}) terms ON terms.organization_id = l.organization_id
WHERE fresh.free IS DISTINCT FROM l.free
   OR fresh.cumulative IS DISTINCT FROM l.cumulative
   OR fresh.published IS DISTINCT FROM l.published
   OR COALESCE(terms.verified, false) IS DISTINCT FROM l.verified
   OR (terms.organization_id IS NOT NULL
       AND ({", ".join(f"terms.{name}" for name in _TERMS[1:])})
           IS DISTINCT FROM ({", ".join(f"l.{name}" for name in _TERMS[1:])}))
ORDER BY l.id
"""


# A factory with no profile keeps its lines' other terms (they are not verified).
_KEPT_TERMS = ",\n    ".join(
    f"{name} = CASE WHEN terms.organization_id IS NULL THEN l.{name} ELSE terms.{name} END"
    for name in _TERMS[1:]
)

# The rebuild's write: a line's arrays from the calendar and its terms from the factory in
# one UPDATE, so a rebuilt line leaves one dead version behind, not two (each is a whole
# row with its arrays and five index entries; VACUUM reuses the space but never returns
# it, and a read model three times its size made every search read more pages).
_REBUILD = f"""
UPDATE factories_capacityline l
SET window_start = %(start)s, free = fresh.free, cumulative = fresh.cumulative,
    published = fresh.published,
    verified = COALESCE(terms.verified, false),
    {_KEPT_TERMS}
FROM ({_arrays_select(start="%(start)s::date", where="l.id = ANY(%(ids)s::bigint[])")}) fresh
LEFT JOIN ({_TERMS_SELECT}) terms ON terms.organization_id = fresh.organization_id
WHERE l.id = fresh.line_id
"""


def _rebuild(*, line_ids: list[int], start: datetime.date) -> None:
    if line_ids:
        with connection.cursor() as cursor:
            cursor.execute(_REBUILD, {"ids": line_ids, "start": start})


def _lock_batch(line_ids: list[int]) -> list[int]:
    """Lock these lines in the writers' order (organization, category); returns those that
    still exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id FROM factories_capacityline WHERE id = ANY(%(ids)s::bigint[])
            ORDER BY organization_id, category_id FOR UPDATE
            """,
            {"ids": line_ids},
        )
        return [row[0] for row in cursor.fetchall()]


def _create_missing(*, start: datetime.date) -> set[int]:
    """Lines for calendar cells that have none (cells written before the read model, or
    behind its back): created with their terms, then their arrays from the calendar.
    Returns their ids."""
    with connection.cursor() as cursor:
        cursor.execute(_MISSING_LINES, {"start": start})
        missing = cursor.fetchall()
    created: set[int] = set()
    for offset in range(0, len(missing), REBUILD_BATCH):
        with transaction.atomic():
            line_ids = _lock_lines(missing[offset : offset + REBUILD_BATCH], today=start)
            _refresh(line_ids=line_ids, start=start)
            created.update(line_ids)
    return created


def capacity_lines_rebuild(
    *,
    today: datetime.date | None = None,
    only_stale: bool = False,
    line_ids: list[int] | None = None,
) -> int:
    """Recompute lines from the calendar, anchored at `today`, in batches of
    REBUILD_BATCH lines per transaction (each batch locked in the writers' order, so it
    never deadlocks with them). Creates lines missing for published cells first.
    `only_stale` limits it to lines anchored before today (the daily re-anchor). Returns
    how many lines were rebuilt. Idempotent."""
    today = today or timezone.localdate()
    created = _create_missing(start=today)
    rebuilt = 0
    if line_ids is None:
        if not only_stale:  # they count among every line
            rebuilt = len(created)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM factories_capacityline"
                + (" WHERE window_start <> %(today)s" if only_stale else "")
                + " ORDER BY organization_id, category_id",
                {"today": today},
            )
            # The lines just created were built from the calendar and the terms already.
            line_ids = [row[0] for row in cursor.fetchall() if row[0] not in created]
    for offset in range(0, len(line_ids), REBUILD_BATCH):
        with transaction.atomic():
            locked = _lock_batch(line_ids[offset : offset + REBUILD_BATCH])
            _rebuild(line_ids=locked, start=today)
            rebuilt += len(locked)
    return rebuilt


@dataclass(frozen=True)
class DriftReport:
    drifted: int  # lines that disagreed with the calendar or the factory's terms
    missing: int  # calendar lines with no read-model line
    stale: int  # lines anchored before yesterday: the daily roll has not run
    repaired: int

    @property
    def clean(self) -> bool:
        return not (self.drifted or self.missing or self.stale)


def capacity_lines_drift(*, today: datetime.date | None = None) -> tuple[list[int], int, int]:
    """Read-only: (drifted line ids, missing lines, stale lines) right now."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(_DRIFTED)
        drifted = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM ({_MISSING_LINES}) missing", {"start": today})
        missing = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM factories_capacityline WHERE window_start < %(yesterday)s",
            {"yesterday": today - datetime.timedelta(days=1)},
        )
        stale = cursor.fetchone()[0]
    return drifted, missing, stale


def capacity_lines_check(*, today: datetime.date | None = None) -> DriftReport:
    """Compare the read model with the calendar; repair what differs and tell the platform
    operators when anything did (a difference means a write bypassed `calendar_write`)."""
    today = today or timezone.localdate()
    drifted, missing, stale = capacity_lines_drift(today=today)
    repaired = 0
    if drifted:
        repaired += capacity_lines_rebuild(today=today, line_ids=drifted)
    if missing or stale:
        repaired += capacity_lines_rebuild(today=today, only_stale=True)
    report = DriftReport(drifted=len(drifted), missing=missing, stale=stale, repaired=repaired)
    if not report.clean:
        _alarm(report)
    return report


def _alarm(report: DriftReport) -> None:
    logger.error(
        "capacity read model drift: %d drifted, %d missing, %d stale lines; %d repaired",
        report.drifted,
        report.missing,
        report.stale,
        report.repaired,
    )
    with transaction.atomic():
        for operator in Organization.objects.filter(kind=Organization.Kind.OPERATOR):
            notification_send(
                organization=operator,
                title=texts.CAPACITY_DRIFT(),
                body=texts.CAPACITY_DRIFT_BODY(
                    drifted=report.drifted, missing=report.missing, stale=report.stale
                ),
            )
