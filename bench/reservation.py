"""Benchmark: reserving capacity with one conditional UPDATE per day versus
`select_for_update` + check in Python + UPDATE, under contention, in the same run.

    .venv/bin/python bench/reservation.py
    .venv/bin/python bench/reservation.py --seconds 3 --levels 8   # a quick look

A scratch database (`c2m_bench_reservation`, dropped at the end) holds one factory whose
calendar has plenty of room on 3 hot days. Worker processes (each with its own Postgres
connection) book 1 unit on each of the 3 days as fast as they can, every booking going
through the real service (`factories.services.capacity_book`: reservation row, days,
event). The only thing that differs between contenders is how a day is taken:

- conditional UPDATE (what the service does):
  `UPDATE ... SET booked = booked + n WHERE ... AND held + booked + n <= units`
- select_for_update: `SELECT ... FOR UPDATE`, compare in Python, then `UPDATE`.

A second pair measures the capacity step alone (one transaction taking the 3 days, no
bookkeeping), where the difference is not diluted by the shared inserts. Each run ends by
checking that booked units equal the recorded reservation days (nothing lost or doubled).
Target: conditional UPDATE >= 2x the select_for_update throughput on the capacity step.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, environment  # noqa: E402

DATABASE = "c2m_bench_reservation"
HOT_DAYS = 3
TARGET_RATIO = 2.0
METHODS = ("conditional_update", "select_for_update")


def _environment() -> dict[str, str]:
    return environment(DATABASE, redis_db=2, CONN_MAX_AGE="600")


def _setup_django() -> None:
    os.environ.update(_environment())
    import django

    django.setup()


def _seed() -> tuple[int, int]:
    _setup_django()
    from django.utils import timezone

    from catalog.models import Category
    from factories import services
    from marketplace.models import Organization

    category = Category.objects.create(slug="bench-shirts", name="Bench shirts")
    factory = Organization.objects.create(
        name="Bench Factory", slug="bench-factory", kind="factory", verified=True
    )
    services.factory_profile_update(
        organization=factory,
        categories=[category],
        description="bench",
        region="Zhejiang",
        city="Ningbo",
    )
    today = timezone.localdate()
    services.capacity_fill_range(
        organization=factory,
        category=category,
        start=today,
        end=today + datetime.timedelta(days=29),
        units=5_000_000,
    )
    return factory.pk, category.pk


def _take_with_row_locks(*, organization_id, category_id, days, column):
    """The contender: lock each day's row, decide in Python, write back."""
    from factories.models import CapacityDay
    from factories.services.reservations import CapacityUnavailable

    for day, units in days:
        cell = (
            CapacityDay.objects.select_for_update()
            .filter(organization_id=organization_id, category_id=category_id, date=day)
            .first()
        )
        if cell is None or cell.held + cell.booked + units > cell.units:
            raise CapacityUnavailable(day, units)
        setattr(cell, column, getattr(cell, column) + units)
        cell.save(update_fields=[column])


def _worker(spec: dict, ready, results) -> None:
    """One process: set up, wait for everyone, book for `seconds`; report bookings made."""
    _setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.models import Category
    from factories.services import reservations
    from marketplace.models import Organization

    if spec["method"] == "select_for_update":
        reservations._take = _take_with_row_locks
    factory = Organization.objects.get(pk=spec["factory_id"])
    category = Category.objects.get(pk=spec["category_id"])
    today = timezone.localdate()
    allocations = {today + datetime.timedelta(days=offset): 1 for offset in range(HOT_DAYS)}
    days = sorted(allocations.items())
    ready.wait()  # every process is set up and connected
    stop_at = time.monotonic() + spec["seconds"]
    done, counter = 0, 0
    while time.monotonic() < stop_at:
        counter += 1
        reference = f"{spec['method']}:{spec['scope']}:{spec['worker']}:{counter}"
        if spec["scope"] == "service":
            reservations.capacity_book(
                factory=factory, category=category, allocations=allocations, reference=reference
            )
        else:
            with transaction.atomic():
                reservations._take(
                    organization_id=factory.pk,
                    category_id=category.pk,
                    days=days,
                    column="booked",
                )
        done += 1
    connection.close()
    results.put(done)


def _check_consistency(factory_id: int, category_id: int, extra_units: int) -> bool:
    from django.db.models import Sum
    from django.utils import timezone

    from factories.models import CapacityDay, ReservationDay

    today = timezone.localdate()
    hot = today + datetime.timedelta(days=HOT_DAYS - 1)
    booked = CapacityDay.objects.filter(
        organization_id=factory_id, category_id=category_id, date__gte=today, date__lte=hot
    ).aggregate(total=Sum("booked"))["total"]
    recorded = ReservationDay.objects.filter(
        reservation__organization_id=factory_id, reservation__status="booked"
    ).aggregate(total=Sum("units"))["total"]
    return booked == (recorded or 0) + extra_units


def _run(method: str, scope: str, workers: int, seconds: float, ids: tuple[int, int]):
    from django.db import connection

    connection.close()  # a forked child must never inherit the parent's open connection
    # fork: the children inherit the loaded project (the parent closed its connection).
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(
                {
                    "method": method,
                    "scope": scope,
                    "worker": number,
                    "factory_id": ids[0],
                    "category_id": ids[1],
                    "seconds": seconds,
                },
                ready,
                results,
            ),
        )
        for number in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=120)
    done = sum(results.get(timeout=seconds + 120) for _process in processes)
    for process in processes:
        process.join(timeout=30)
    return done / seconds, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--levels", default="8,32")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    levels = [int(level) for level in arguments.levels.split(",")]

    print(f"Scratch database {DATABASE}: migrating")
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    rows, consistent = [], True
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=_environment(),
            check=True,
        )
        ids = _seed()
        from django.db import connection

        connection.close()
        bare_units = 0
        for scope in ("capacity step", "service"):
            key = "step" if scope == "capacity step" else "service"
            for level in levels:
                # Rounds alternate the contenders (A B A B ...) and each keeps its median,
                # so load from other processes on the machine hits both alike.
                samples: dict[str, list[float]] = {method: [] for method in METHODS}
                for _round in range(arguments.rounds):
                    for method in METHODS:
                        rate, done = _run(method, key, level, arguments.seconds, ids)
                        if key == "step":
                            bare_units += done * HOT_DAYS  # bare steps leave no reservations
                        samples[method].append(rate)
                        consistent &= _check_consistency(ids[0], ids[1], bare_units)
                for method in METHODS:
                    rows.append((scope, level, method, statistics.median(samples[method])))
    finally:
        if not arguments.keep:
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    print()
    print(
        f"{HOT_DAYS} hot days, 1 unit each per booking; worker processes with their own "
        f"connections; median of {arguments.rounds} alternating rounds of "
        f"{arguments.seconds:.0f} s"
    )
    header = f"{'scope':<14} {'workers':>7} {'method':<19} {'bookings/s':>11}"
    print(header)
    print("-" * len(header))
    for scope, level, method, rate in rows:
        print(f"{scope:<14} {level:>7} {method:<19} {rate:>11.1f}")
    print()
    all_ok = consistent
    for scope in ("capacity step", "service"):
        for level in levels:
            rates = {method: rate for s, lv, method, rate in rows if s == scope and lv == level}
            ratio = rates["conditional_update"] / rates["select_for_update"]
            target = f" (target >= {TARGET_RATIO:.1f})" if scope == "capacity step" else ""
            verdict = ""
            if scope == "capacity step":
                verdict = "  PASS" if ratio >= TARGET_RATIO else "  MISS"
                all_ok &= ratio >= TARGET_RATIO
            print(
                f"{scope:<14} {level:>2} workers: conditional UPDATE = {ratio:.2f}x "
                f"select_for_update{target}{verdict}"
            )
    print(f"booked units == recorded reservation days after every run: {consistent}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
