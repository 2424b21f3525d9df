"""Benchmark of the platform dashboard against the admin index, in the same run.

    .venv/bin/python bench/dashboard.py                  # a year, 50,000 orders
    .venv/bin/python bench/dashboard.py --orders 5000    # a quick look

It creates a scratch database (`BENCH_DATABASE`, dropped at the end unless `--keep`),
migrates it, generates `--orders` orders over 52 weeks with `manage.py generate_history`
(bulk inserts: orders, inspections, disputes, escrows, RFQ invitations, capacity), then
renders /admin/dashboard/ and /admin/ (the anchor: the index with its work queues) for a
signed-in operator through Django's test client, alternating, `--rounds` times each. It
prints the medians, the dashboard's median as a ratio to the index's, and each page's SQL
query count (the dashboard's is constant: see marketplace/console/dashboard.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, environment  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "c2m_bench_dashboard")


def _environment() -> None:
    """This process runs Django itself: the bench's keys go into os.environ."""
    os.environ.update(
        environment(
            DATABASE,
            inherit=False,
            STAFF_MFA_REQUIRED="false",
            DATABASE_STALL_CHECK="false",
            ALLOWED_HOSTS="testserver",
        )
    )


def _timed(client, path: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    _environment()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from marketplace.models import User

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        call_command("generate_history", orders=options.orders, weeks=52)
        print(f"history generated in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        operator = User.objects.create_superuser(email="bench@c2m.example", password=None)
        client = Client()
        client.force_login(operator)
        for path in ("/admin/", "/admin/dashboard/"):
            _timed(client, path)  # warm caches and connections
        index, dashboard = [], []
        index_queries = dashboard_queries = 0
        for _round in range(options.rounds):
            elapsed, index_queries = _timed(client, "/admin/")
            index.append(elapsed)
            elapsed, dashboard_queries = _timed(client, "/admin/dashboard/")
            dashboard.append(elapsed)
        index_ms = statistics.median(index) * 1000
        dashboard_ms = statistics.median(dashboard) * 1000
        print(f"orders: {options.orders:,}   rounds: {options.rounds}")
        print(f"admin index     median {index_ms:8.1f} ms   {index_queries} queries")
        print(f"dashboard       median {dashboard_ms:8.1f} ms   {dashboard_queries} queries")
        print(f"dashboard / index ratio: {dashboard_ms / index_ms:.2f}")
    finally:
        connection.close()
        if not options.keep:
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
