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
- `POST /api/v1/orders/{id}/progress/` (a write: lock, the total so far, a new entry, its
  timeline event, then the entries in the answer; every write is checked to succeed)

It prints each one's median latency as a ratio to the anchor and its SQL query count.
Targets: detail <= 4x the anchor, list and progress write <= 2x (issue 13); queries per
request constant (list 4, detail 6, progress write 10). `C2M_BENCH_PROFILE="order list,progress
write"` prints each one's SQL and profile instead (`C2M_BENCH_SORT=tottime` to sort by own time).
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

DATABASE = os.environ.get("BENCH_DATABASE", "c2m_bench_orders")
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
TARGETS = {"order list": 2.0, "order detail": 4.0, "progress write": 2.0}
MAX_QUERIES = {"order list": 4, "order detail": 6, "progress write": 10}


def _environment() -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
        "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        "THROTTLE_USER": "100000000/min",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
    }


def _admin(sql: str) -> None:
    subprocess.run(
        ["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def _seed(count: int):
    import datetime

    from django.utils import timezone

    from catalog.models import Category
    from factories import services as factory_services
    from finance.services import payments
    from marketplace import services as marketplace_services
    from marketplace.models import Organization, User
    from marketplace.money import Money
    from orders import services

    def person(email: str) -> User:
        return User.objects.create_user(email=email, password="bench-password-2026")

    buyer_user, factory_user = person("buyer@bench.example"), person("factory@bench.example")
    operator = person("operator@bench.example")
    User.objects.filter(pk=operator.pk).update(is_staff=True)
    operator.is_staff = True
    buyer = marketplace_services.organization_create(
        name="Bench Buyer", kind=Organization.Kind.BUYER, owner=buyer_user, verified=True
    )
    factory = marketplace_services.organization_create(
        name="Bench Factory", kind=Organization.Kind.FACTORY, owner=factory_user, verified=True
    )
    category = Category.objects.create(slug="bench-shirts", name="Shirts")
    factory_services.factory_profile_update(
        organization=factory, categories=[category], description="Bench", region="Zhejiang"
    )
    today = timezone.localdate()
    factory_services.capacity_fill_range(
        organization=factory,
        category=category,
        start=today,
        end=today + datetime.timedelta(days=29),
        units=100_000,
    )
    orders = []
    for index in range(count):
        rfq = services.rfq_create(
            buyer=buyer,
            acting_user=buyer_user,
            category=category,
            title=f"Bench shirts {index}",
            quantity=200,
            ready_by=today + datetime.timedelta(days=20),
        )
        services.rfq_match(rfq_pk=rfq.pk)
        quote = services.quote_submit(
            rfq=rfq,
            factory=factory,
            acting_user=factory_user,
            unit_price=Money.from_decimal("38.50"),
            lead_time_days=7,
            valid_until=today + datetime.timedelta(days=7),
        )
        order = services.quote_accept(
            quote=quote, acting_organization=buyer, acting_user=buyer_user
        )
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
        orders.append(order)
    return buyer_user, factory_user, orders[-1]


def _time(call, seconds: float) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm up
    connection.queries_log.clear()  # each request resets the log at its start anyway
    with CaptureQueriesContext(connection) as queries:
        response = call()
    query_count = len(queries)  # now: later requests reset the log
    assert response.status_code in (200, 201), response.content[:300]
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - started)
        # A rejected request is cheaper than the real one: time only successes.
        assert response.status_code in (200, 201), response.content[:300]
    return statistics.median(samples), query_count


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
    results = {name: _time(call, arguments.seconds) for name, call in calls.items()}
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
    _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DATABASE}")
    environment = {**os.environ, **_environment()}
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:]],
            cwd=ROOT,
            env={**environment, "C2M_BENCH_CHILD": "1"},
            check=False,
        )
        return child.returncode
    finally:
        _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
