"""Benchmark: customization-massing of 20,000 open orders (about 200,000 module lines)
against a bare SQL GROUP BY of the same module lines, in the same run.

    .venv/bin/python bench/massing.py
    .venv/bin/python bench/massing.py --orders 2000 --rounds 3   # a quick look

A scratch database (`c2m_bench_massing`, dropped at the end) holds one factory with
`--orders` open orders of 30 units and 10 module lines each, and a capacity calendar of
`--capacity` units a day (by default about the orders' total over their windows, so the
most common modules need more than one day). Signatures follow a long-tailed mix (a few
standard panels are in most orders, many are rare), windows start within two weeks and
last 3 to 10 days. Each round times, alternately:

- massing: `customization.services.massing_run` from scratch (before each round, untimed,
  the batches are emptied, split lines restored and the tables vacuumed), the real
  service in its transaction;
- bare GROUP BY: `SELECT signature, count(*), sum(quantity) ... GROUP BY signature` over the
  same open lines (what "make identical modules together" costs the database at least).

It prints the medians, their ratio (target: massing within 5x of the GROUP BY), the setups
before (one per order module) and after (one per batch), the lines split over days, and
checks that every line landed in a batch inside its window and that no batch exceeds its
day's capacity.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, environment  # noqa: E402

DATABASE = "c2m_bench_massing"
LINES_PER_ORDER = 10
SIGNATURE_POOL = 3_000
TARGET_RATIO = 5.0


def _environment() -> dict[str, str]:
    return environment(DATABASE, redis_db=2)


def _seed(order_count: int, today: datetime.date, capacity: int):
    from django.db import connection

    from catalog.models import Category
    from customization.models import OrderModule
    from factories.models import CapacityDay
    from marketplace.models import Organization
    from orders.models import Order, OrderStatus

    category = Category.objects.create(slug="bench-cabinets", name="Bench cabinets")
    factory = Organization.objects.create(
        name="Bench Factory", slug="bench-factory", kind="factory", verified=True
    )
    buyer = Organization.objects.create(name="Bench Buyer", slug="bench-buyer", kind="buyer")
    rng = random.Random(7)
    orders = Order.objects.bulk_create(
        (
            Order(
                buyer=buyer,
                factory=factory,
                category=category,
                title=f"Cabinet order {index}",
                quantity=30,
                unit_price_minor=68_000,
                lead_time_days=7,
                status=OrderStatus.IN_PRODUCTION,
                ready_by=today + datetime.timedelta(days=24),
            )
            for index in range(order_count)
        ),
        batch_size=5000,
    )
    # Long tail: signature k is drawn with weight 1/(k+1).
    weights = [1 / (rank + 1) for rank in range(SIGNATURE_POOL)]
    signatures = [f"{rank:032x}" for rank in range(SIGNATURE_POOL)]

    def lines():
        for order in orders:
            start = today + datetime.timedelta(days=rng.randint(0, 14))
            end = start + datetime.timedelta(days=rng.randint(3, 10))
            for signature in set(rng.choices(signatures, weights, k=LINES_PER_ORDER)):
                yield OrderModule(
                    organization=factory,
                    order=order,
                    name=f"Panel {signature[-6:]}",
                    attributes={"rank": int(signature, 16)},
                    signature=signature,
                    quantity=rng.choice((1, 2, 3)) * 30,
                    units=30,
                    window_start=start,
                    window_end=end,
                )

    OrderModule.objects.bulk_create(lines(), batch_size=10_000)
    CapacityDay.objects.bulk_create(
        CapacityDay(
            organization=factory,
            category=category,
            date=today + datetime.timedelta(days=day),
            units=capacity,
        )
        for day in range(30)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_lines AS SELECT id, units, quantity FROM customization_ordermodule"
        )
    return factory


def _reset(factory_pk: int) -> None:
    """Untimed: back to the seeded lines (no batches, no split parts), vacuumed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM customization_ordermodule WHERE id NOT IN (SELECT id FROM bench_lines)"
        )
        cursor.execute("DELETE FROM customization_linerange")
        cursor.execute(
            "UPDATE customization_ordermodule AS line"
            " SET units = seed.units, quantity = seed.quantity"
            " FROM bench_lines AS seed WHERE seed.id = line.id"
            " AND (line.units, line.quantity) <> (seed.units, seed.quantity)"
        )
        cursor.execute(
            "DELETE FROM customization_productionbatch WHERE organization_id = %s", [factory_pk]
        )
        cursor.execute("VACUUM ANALYZE customization_ordermodule")
        cursor.execute("VACUUM ANALYZE customization_productionbatch")
        cursor.execute("VACUUM ANALYZE customization_linerange")


def _group_by(factory_pk: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT signature, count(*), sum(quantity) FROM customization_ordermodule"
            " WHERE organization_id = %s AND is_open GROUP BY signature",
            [factory_pk],
        )
        cursor.fetchall()
    return time.perf_counter() - started


def _massing(factory, today: datetime.date) -> tuple[float, object]:
    from customization.services import massing_run

    _reset(factory.pk)
    started = time.perf_counter()
    result = massing_run(factory=factory, today=today)
    return time.perf_counter() - started, result


def _check(factory, today: datetime.date, capacity: int) -> bool:
    from customization.models import ProductionBatch
    from customization.selectors import open_module_lines

    days = dict(ProductionBatch.objects.filter(organization=factory).values_list("pk", "day"))
    load: dict[int, int] = {}
    for start, end, batch_id, units in open_module_lines(organization=factory).values_list(
        "window_start", "window_end", "batch_id", "units"
    ):
        if batch_id is None or not (max(start, today) <= days[batch_id] <= end):
            return False
        load[batch_id] = load.get(batch_id, 0) + units
    return all(units <= capacity for units in load.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--capacity", type=int, default=None)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()

    print(f"Scratch database {DATABASE}: migrating")
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=_environment(),
            check=True,
        )
        os.environ.update(_environment())
        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from customization.selectors import massing_summary

        today = timezone.localdate()
        # About the orders' units spread over the days their windows cover (~3 weeks).
        capacity = arguments.capacity or max(30, arguments.orders * 30 // 20)
        print(
            f"Seeding {arguments.orders} orders x ~{LINES_PER_ORDER} module lines,"
            f" {capacity} units a day"
        )
        factory = _seed(arguments.orders, today, capacity)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        _group_by(factory.pk)  # warm the cache alike for both
        samples: dict[str, list[float]] = {"massing": [], "group_by": []}
        result = None
        for _round in range(arguments.rounds):
            elapsed, result = _massing(factory, today)
            samples["massing"].append(elapsed)
            samples["group_by"].append(_group_by(factory.pk))
        summary = massing_summary(organization=factory, today=today)
        consistent = _check(factory, today, capacity)
    finally:
        if not arguments.keep:
            from django.db import connections

            connections.close_all()
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    massing_time = statistics.median(samples["massing"])
    group_by_time = statistics.median(samples["group_by"])
    ratio = massing_time / group_by_time
    print()
    print(f"module lines (setups without batching): {summary.lines}")
    print(f"batches (setups after batching):        {summary.batches}")
    print(f"setups saved: {summary.setups_saved_ratio}x")
    print(
        f"lines read per run: {result.lines_read}, split over days: {result.lines_split},"  # type: ignore[attr-defined]
        f" waiting for capacity: {result.unplaced_lines}"  # type: ignore[attr-defined]
    )
    print(f"median of {arguments.rounds} alternating rounds:")
    print(f"  massing_run (from scratch)  {massing_time * 1000:8.1f} ms")
    print(f"  bare SQL GROUP BY signature {group_by_time * 1000:8.1f} ms")
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"massing = {ratio:.2f}x the bare GROUP BY (target <= {TARGET_RATIO:.0f}x)  {verdict}")
    print(f"every line in one batch, inside its window and the day's capacity: {consistent}")
    return 0 if consistent and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
