"""Customization-massing: identical modules of a factory's open orders are produced
together, one production batch per signature and day, each line inside its order's window.

Batches are assigned per *window*, not per module row (ADR 0007): every open module line
with the same (signature, window_start, window_end) goes to the same batch, so a run reads
the distinct keys not yet assigned with one GROUP BY, places them greedily in Python and
writes a few hundred rows however many modules there are. Placement per signature is the
classic interval-stabbing greedy (sort by window end; reuse the earliest batch day inside
the window, else open a batch on the window's last day), which uses the fewest days.
Re-running changes nothing: assigned keys are skipped, and batch days are unique.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customization.models import BatchAssignment, Design, OrderModule, ProductionBatch
from marketplace.exceptions import InvalidError
from marketplace.models import Organization

ADVISORY_LOCK_NAMESPACE = 7007  # one massing run per factory at a time


@dataclass(frozen=True)
class MassingResult:
    factory_pk: int
    windows_assigned: int
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


def order_modules_close(*, order_pk: int) -> int:
    """The order left production (shipped, cancelled): its lines leave massing."""
    return OrderModule.objects.filter(order_id=order_pk, is_open=True).update(is_open=False)


def _assigned(factory: Organization):
    return BatchAssignment.objects.filter(
        organization=factory,
        signature=OuterRef("signature"),
        window_start=OuterRef("window_start"),
        window_end=OuterRef("window_end"),
    )


def _unassigned_keys(factory: Organization, today: datetime.date) -> list[tuple]:
    return list(
        OrderModule.objects.filter(organization=factory, is_open=True, window_end__gte=today)
        .filter(~Exists(_assigned(factory)))
        .values_list("signature", "window_start", "window_end")
        .distinct()
        .order_by()
    )


def _place(
    keys: list[tuple], existing: dict[str, list[datetime.date]], today: datetime.date
) -> tuple[list[tuple[str, datetime.date, datetime.date, datetime.date]], set]:
    """(signature, start, end, day) for every key, and the (signature, day) pairs to open."""
    by_signature: dict[str, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for signature, start, end in keys:
        by_signature[signature].append((start, end))
    placed, new_days = [], set()
    for signature, windows in by_signature.items():
        days = existing.get(signature, [])
        for start, end in sorted(windows, key=lambda window: (window[1], window[0])):
            earliest = max(start, today)
            index = bisect.bisect_left(days, earliest)
            if index < len(days) and days[index] <= end:
                day = days[index]
            else:
                day = end
                bisect.insort(days, day)
                new_days.add((signature, day))
            placed.append((signature, start, end, day))
    return placed, new_days


def _lock(factory: Organization) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, factory.pk]
        )


@transaction.atomic
def massing_run(*, factory: Organization, today: datetime.date | None = None) -> MassingResult:
    """Assign every open, not yet batched module line of the factory to a batch."""
    today = today or timezone.localdate()
    _lock(factory)
    keys = _unassigned_keys(factory, today)
    existing: dict[str, list[datetime.date]] = defaultdict(list)
    signatures = {signature for signature, _start, _end in keys}
    for signature, day in (
        ProductionBatch.objects.filter(
            organization=factory, signature__in=signatures, day__gte=today
        )
        .order_by("day")
        .values_list("signature", "day")
    ):
        existing[signature].append(day)
    placed, new_days = _place(keys, existing, today)
    samples = {
        row["signature"]: row
        for row in OrderModule.objects.filter(
            organization=factory, signature__in={signature for signature, _day in new_days}
        )
        .order_by("signature", "pk")
        .distinct("signature")
        .values("signature", "name", "attributes")
    }
    ProductionBatch.objects.bulk_create(
        (
            ProductionBatch(
                organization=factory,
                signature=signature,
                day=day,
                name=samples[signature]["name"],
                attributes=samples[signature]["attributes"],
            )
            for signature, day in new_days
        ),
        ignore_conflicts=True,
    )
    batch_ids = {
        (signature, day): pk
        for signature, day, pk in ProductionBatch.objects.filter(
            organization=factory, signature__in=signatures, day__gte=today
        ).values_list("signature", "day", "pk")
    }
    BatchAssignment.objects.bulk_create(
        (
            BatchAssignment(
                organization=factory,
                signature=signature,
                window_start=start,
                window_end=end,
                batch_id=batch_ids[(signature, day)],
            )
            for signature, start, end, day in placed
        ),
        ignore_conflicts=True,
        batch_size=5000,
    )
    overdue = (
        OrderModule.objects.filter(organization=factory, is_open=True, window_end__lt=today)
        .filter(~Exists(_assigned(factory)))
        .count()
    )
    return MassingResult(
        factory_pk=factory.pk,
        windows_assigned=len(placed),
        batches_created=len(new_days),
        overdue_lines=overdue,
    )


def massing_factories_with_open_modules() -> list[int]:
    return list(
        OrderModule.objects.filter(is_open=True)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by()
    )


__all__ = [
    "MassingResult",
    "massing_factories_with_open_modules",
    "massing_run",
    "order_modules_attach",
    "order_modules_close",
]
