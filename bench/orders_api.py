"""Benchmark of the orders API hot paths against an anchor measured in the same run.

    .venv/bin/python bench/orders_api.py
    .venv/bin/python bench/orders_api.py --orders 60 --seconds 2   # a quick look

Buyers' ERPs and factories' MES poll the order list and order detail and post transitions
and progress. This creates a scratch database (`c2m_bench_orders`, dropped at the end),
builds `--orders` real orders through the services (RFQ, quote, acceptance with a capacity
hold, sample, payment, production with progress, i.e. a full timeline each), then times
in-process requests through the whole Django/DRF stack (token auth, tenancy, serializers):

- anchor: `GET /api/v1/me/` (auth + membership lookup, the cheapest authenticated call)
- `GET /api/v1/orders/` (a page of 50), `GET /api/v1/orders/{id}/` (timeline, progress)
- `POST /api/v1/orders/{id}/progress/` (a write: the order looked up and locked, then
  its entries read, and a new entry with its timeline event, in one round trip; the
  entries are the answer; every write is checked to succeed)

The four calls take turns, one request each per round, for `--seconds` times four in all
(an endpoint timed in its own window one after the other moved by a whole unit of ratio
with the shared machine's load). It prints each one's median latency as a ratio to the
anchor and its SQL query count.
Targets: detail <= 4x the anchor, list and progress write <= 2x (issue 13); queries per
request constant (list 3, detail 6, progress write 3). `C2M_BENCH_PROFILE="order list,progress
write"` prints each one's SQL and profile instead (`C2M_BENCH_SORT=tottime` to sort by own time).
The measured figures and what limits them: docs/adr/0005-capacity-read-model.md ("Order
reads").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import Seeded, admin, environment, person, seed_orders  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "c2m_bench_orders")
TARGETS = {"order list": 2.0, "order detail": 4.0, "progress write": 2.0}
MAX_QUERIES = {"order list": 3, "order detail": 6, "progress write": 3}


def _seed(count: int):
    """`count` orders, each taken through its sample, payment and the start of production."""
    from finance.services import payments
    from marketplace.models import User
    from orders import services

    operator = person("operator@bench.example")
    User.objects.filter(pk=operator.pk).update(is_staff=True)
    operator.is_staff = True

    def advance(seeded: Seeded, order) -> None:
        buyer, factory = seeded.buyer, seeded.factory
        buyer_user, factory_user = seeded.buyer_user, seeded.factory_user
        for action, organization, user in (
            ("ship_sample", factory, factory_user),
            ("approve_sample", buyer, buyer_user),
            ("pay", buyer, buyer_user),
            ("start_production", factory, factory_user),
        ):
            if action == "pay":  # by bank transfer, confirmed by an operator (Finance)
                payment = payments.payment_create(
                    order=order,
                    organization=buyer,
                    purpose="full",
                    method="bank_transfer",
                    acting_user=buyer_user,
                )
                payments.bank_transfer_confirm(
                    payment=payment, received=payment.amount, acting_user=operator
                )
                continue
            services.order_transition(
                order=order, action=action, acting_user=user, acting_organization=organization
            )

    seeded = seed_orders(count, with_sample=True, each=advance)
    return seeded.buyer_user, seeded.factory_user, seeded.orders[-1]


def _count_queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm up
    connection.queries_log.clear()  # each request resets the log at its start anyway
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 201), response.content[:300]
    return len(queries)


def _time(calls: dict, seconds: float) -> dict[str, tuple[float, int]]:
    """Each call's median latency and SQL query count. The calls take turns, one request
    each per round, so a change in the machine's load (shared, noisy) hits the anchor and
    the endpoints alike instead of whichever had its window then."""
    counts = {name: _count_queries(call) for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    deadline = time.perf_counter() + seconds * len(calls)
    while time.perf_counter() < deadline:
        for name, call in calls.items():
            started = time.perf_counter()
            response = call()
            samples[name].append(time.perf_counter() - started)
            # A rejected request is cheaper than the real one: time only successes.
            assert response.status_code in (200, 201), response.content[:300]
    return {name: (statistics.median(samples[name]), counts[name]) for name in calls}


def run(arguments) -> int:
    import django

    django.setup()
    from django.utils import timezone

    from marketplace.celery import app

    app.conf.task_always_eager = True  # matching runs inline; nothing is left on a broker
    from rest_framework.test import APIClient

    from marketplace import services as marketplace_services

    started = time.perf_counter()
    buyer_user, factory_user, order = _seed(arguments.orders)
    print(f"seeded {arguments.orders} orders in {time.perf_counter() - started:.1f} s")

    def client(user) -> APIClient:
        _token, key = marketplace_services.api_token_create(user=user, name="bench")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    buyer, factory = client(buyer_user), client(factory_user)
    today = timezone.localdate().isoformat()
    units = iter(range(1, 10**9))
    calls = {
        "anchor (GET /me/)": lambda: buyer.get("/api/v1/me/"),
        "order list": lambda: buyer.get("/api/v1/orders/"),
        "order detail": lambda: buyer.get(f"/api/v1/orders/{order.pk}/"),
        "progress write": lambda: factory.post(
            f"/api/v1/orders/{order.pk}/progress/",
            # 1 to 149 units a shift; past the quantity the service asks for a note.
            {"day": today, "units": 1 + next(units) % 149, "note": "bench shift"},
            format="json",
        ),
    }
    if os.environ.get("C2M_BENCH_PROFILE"):  # names, comma-separated: their profiles and SQL
        import cProfile
        import pstats

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for name in os.environ["C2M_BENCH_PROFILE"].split(","):
            call = calls[name]
            call()
            with CaptureQueriesContext(connection) as queries:
                call()
            print(f"== {name}: {len(queries)} queries")
            for query in queries.captured_queries:
                print("  ", query["sql"][:220])
            profiler = cProfile.Profile()
            profiler.enable()
            for _index in range(50):
                call()
            profiler.disable()
            pstats.Stats(profiler).sort_stats(
                os.environ.get("C2M_BENCH_SORT", "cumulative")
            ).print_stats(60)
        return 0
    results = _time(calls, arguments.seconds)
    anchor, _queries = results.pop("anchor (GET /me/)")
    print(f"anchor GET /api/v1/me/: median {anchor * 1000:.2f} ms")
    ok = True
    for name, (median, queries) in results.items():
        ratio = median / anchor
        passed = ratio <= TARGETS[name] and queries <= MAX_QUERIES[name]
        ok = ok and passed
        print(
            f"{name:15s} median {median * 1000:7.2f} ms  ratio {ratio:5.2f}x "
            f"(target <= {TARGETS[name]}x)  queries {queries} (<= {MAX_QUERIES[name]})  "
            f"{'OK' if passed else 'MISSED'}"
        )
    return 0 if ok else 1


def main() -> int:
    global DATABASE  # the helpers and the child process read the chosen name
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--database", default=DATABASE, help="the scratch database's name")
    arguments = parser.parse_args()
    DATABASE = arguments.database
    os.environ["BENCH_DATABASE"] = DATABASE
    if os.environ.get("C2M_BENCH_CHILD") == "1":
        return run(arguments)
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    bench_environment = environment(
        DATABASE,
        THROTTLE_USER="100000000/min",
        CONN_MAX_AGE="600",
        EMAIL_URL="dummymail://",
        ALLOWED_HOSTS="testserver,127.0.0.1",
    )
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=bench_environment,
            check=True,
        )
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:]],
            cwd=ROOT,
            env={**bench_environment, "C2M_BENCH_CHILD": "1"},
            check=False,
        )
        return child.returncode
    finally:
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
