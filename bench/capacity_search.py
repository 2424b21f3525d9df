"""Benchmark of the capacity search API against a bare-view anchor, in the same run.

    .venv/bin/python bench/capacity_search.py
    .venv/bin/python bench/capacity_search.py --factories 500 --seconds 4   # a quick look

It creates a scratch database (`c2m_bench_search`, dropped at the end), seeds 5,000
factories x 30 days x 3 categories, serves the real app under gunicorn on a free 127.0.0.1
port, and loads it from a separate process (threads + http.client, loopback only) at 8 and
64 concurrent requests. The anchor is a bare view returning
`JsonResponse(list(search_queryset(...).values(...)[:50]))`: the same ranking query with
nothing around it. Targets: throughput >= 60% of the anchor's, p99 <= 2x the anchor's, at
most 3 SQL queries per search request (the category map is cached in Redis), and no
sequential scan of the calendar in EXPLAIN.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "c2m_bench_search"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_THROUGHPUT_RATIO = 0.60
TARGET_P99_RATIO = 2.0
TARGET_QUERIES = 3
CATEGORIES = ("bench-shirts", "bench-jeans", "bench-knitwear")
SEARCH_PATH = "/api/v1/factories/search/"
ANCHOR_PATH = "/bench/anchor/"


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.base",
        "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"),
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": f"{ROOT / 'bench'}{os.pathsep}{ROOT}",
    }


# --- the served app: Django plus the anchor view ------------------------------------------

if os.environ.get("C2M_BENCH_SERVE") == "1":
    import django

    django.setup()
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import include, path

    def anchor(request):
        """The bare view: parse, one category lookup, the ranking query, JSON out."""
        from catalog.selectors import category_by_slug
        from factories.selectors import search_queryset

        category = category_by_slug(slug=request.GET["category"])
        rows = search_queryset(
            category=category,
            quantity=int(request.GET["quantity"]),
            ready_by=datetime.date.fromisoformat(request.GET["ready_by"]),
        ).values("organization_id", "available", "score")[:50]
        return JsonResponse(list(rows), safe=False)

    urlpatterns = [
        path(ANCHOR_PATH.strip("/") + "/", anchor),
        path("", include("marketplace.urls")),
    ]
    settings.ROOT_URLCONF = __name__
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()


# --- database -----------------------------------------------------------------------------


def _admin(sql: str) -> None:
    subprocess.run(
        ["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def _create_database() -> None:
    _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=_environment(),
        check=True,
    )


SEED_SQL = """
INSERT INTO catalog_category (slug, name, name_zh, position)
SELECT slug, initcap(replace(slug, '-', ' ')), '', 0 FROM unnest(%(categories)s::text[]) slug;

INSERT INTO marketplace_organization (name, slug, kind, verified, created_at)
SELECT 'Bench Factory ' || n, 'bench-factory-' || n, 'factory', n %% 10 <> 0, now()
FROM generate_series(1, %(factories)s) n;

INSERT INTO factories_factoryprofile (
    organization_id, description, country, region, city, address, workers_count,
    floor_area_m2, processes, technology, quality_control, min_order_quantity,
    standard_lead_days, free_sampling, price_level, audit_status, auto_roll_calendar,
    calendar_stale, created_at, updated_at)
SELECT o.id, 'Seeded for the benchmark', 'China',
       (ARRAY['Zhejiang','Guangdong','Jiangsu','Fujian','Shandong'])[1 + o.id %% 5],
       'City ' || o.id %% 40, '', 50 + o.id %% 400, 1000, '', '', '',
       (ARRAY[30, 30, 50, 100, 300])[1 + o.id %% 5], 3 + o.id %% 10, o.id %% 3 = 0,
       1 + o.id %% 5, CASE WHEN o.verified THEN 'approved' ELSE 'draft' END, false, false,
       now(), now()
FROM marketplace_organization o WHERE o.slug LIKE 'bench-factory-%%';

INSERT INTO factories_factoryperformance (
    organization_id, on_time_rate, defect_rate, repeat_buyer_rate,
    median_quote_response_hours, rating, rating_count, bookings_count, computed_at)
SELECT o.id, 0.6 + (o.id %% 40) / 100.0, (o.id %% 7) / 100.0, (o.id %% 50) / 100.0,
       1 + o.id %% 48, 2.5 + (o.id %% 25) / 10.0, o.id %% 90, o.id %% 30, now()
FROM marketplace_organization o WHERE o.slug LIKE 'bench-factory-%%';

INSERT INTO factories_factoryprofile_categories (factoryprofile_id, category_id)
SELECT p.id, c.id FROM factories_factoryprofile p CROSS JOIN catalog_category c
WHERE c.slug = ANY(%(categories)s::text[]);

-- 30 days x 3 categories per factory; about one day in ten closed, some units taken.
INSERT INTO factories_capacityday (
    organization_id, category_id, date, units, held, booked, updated_at)
SELECT o.id, c.id, d::date, u.units,
       CASE WHEN u.units > 0 THEN (u.units * ((o.id + c.id) %% 3)) / 10 ELSE 0 END,
       CASE WHEN u.units > 0 THEN (u.units * ((o.id * 7 + (d::date - %(today)s::date)) %% 4)) / 10
            ELSE 0 END,
       now()
FROM marketplace_organization o
CROSS JOIN catalog_category c
CROSS JOIN generate_series(%(today)s::date, %(today)s::date + 29, interval '1 day') d
CROSS JOIN LATERAL (
    SELECT CASE WHEN (o.id * 31 + c.id * 17 + (d::date - %(today)s::date) * 13) %% 10 = 0 THEN 0
                ELSE 20 + (o.id * 13 + c.id * 7 + (d::date - %(today)s::date) * 3) %% 180 END
           AS units
) u
WHERE o.slug LIKE 'bench-factory-%%' AND c.slug = ANY(%(categories)s::text[]);
"""


def _seed(factories: int) -> dict:
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        from django.utils import timezone

        parameters = {
            "categories": list(CATEGORIES),
            "factories": factories,
            "today": timezone.localdate(),
        }
        cursor.execute(SEED_SQL, parameters)
        cursor.execute("SELECT count(*) FROM factories_capacityday")
        cells = cursor.fetchone()[0]
    connection.close()
    # VACUUM sets the visibility map, so the planner may use the covering index-only scan.
    _admin_db("VACUUM ANALYZE")
    return {"cells": cells, "seconds": time.perf_counter() - started}


def _admin_db(sql: str) -> None:
    subprocess.run(
        ["psql", f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def _queries(arguments) -> list[dict]:
    """Search parameters the load cycles through: categories, quantities, dates."""
    from django.utils import timezone

    today = timezone.localdate()
    combinations = []
    for index in range(24):
        combinations.append(
            {
                "category": CATEGORIES[index % 3],
                "quantity": (200, 500, 1000, 2000)[index % 4],
                "ready_by": (today + datetime.timedelta(days=(8, 12, 18, 25, 29)[index % 5])),
            }
        )
    return combinations


def _query_string(params: dict) -> str:
    return (
        f"category={params['category']}&quantity={params['quantity']}"
        f"&ready_by={params['ready_by'].isoformat()}"
    )


def _inspect(arguments) -> dict:
    """In-process: SQL queries per search request, and the ranking query's plan."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.selectors import category_by_slug
    from factories.selectors import search_queryset

    client = Client(HTTP_HOST="127.0.0.1")
    counts, result_counts = [], []
    client.get(SEARCH_PATH + "?" + _query_string(_queries(arguments)[0]))  # warm the cache
    for params in _queries(arguments)[:6]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SEARCH_PATH + "?" + _query_string(params))
        assert response.status_code == 200, response.content[:300]
        result_counts.append(len(response.json()["results"]))
        counts.append(len(captured))
    params = _queries(arguments)[1]
    plan = (
        search_queryset(
            category=category_by_slug(slug=params["category"]),
            quantity=params["quantity"],
            ready_by=params["ready_by"],
        )
        .values("organization_id", "available", "score")[:50]
        .explain(analyze=True)
    )
    connection.close()
    return {
        "queries_per_request": max(counts),
        # Everything the request runs; the category map comes from the cache once warm.
        "search_queries_per_request": max(counts),
        "results": result_counts,
        "plan": plan,
        "calendar_seq_scan": "Seq Scan on factories_capacityday" in plan,
    }


# --- serving and loading ------------------------------------------------------------------


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(port: int, workers: int) -> subprocess.Popen:
    environment = {**_environment(), "C2M_BENCH_SERVE": "1"}
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "capacity_search:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "bench",
        env=environment,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/categories/")
            connection.getresponse().read()
            return process
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def _load(port: int, path: str, concurrency: int, seconds: float, queries: list[str]) -> dict:
    """Run in the load-generator process: `concurrency` threads with keep-alive
    connections, each sending requests back to back until `seconds` pass."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    max_requests = 200_000

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local, errors, index = [], [], offset
        while time.perf_counter() < stop_at and len(local) < max_requests // concurrency:
            url = f"{path}?{queries[index % len(queries)]}"
            index += 1
            started = time.perf_counter()
            try:
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(str(response.status))
            except (OSError, http.client.HTTPException) as error:
                errors.append(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            local.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(local)
            failures.extend(errors)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(fraction: float) -> float:
        return latencies[min(int(len(latencies) * fraction), len(latencies) - 1)] * 1000

    return {
        "requests": len(latencies),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures))[:5],
        "throughput": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": percentile(0.99) if latencies else float("nan"),
    }


def _load_process(port: int, path: str, concurrency: int, seconds: float, queries) -> dict:
    """The load generator is a separate process, so it never shares a GIL with the server."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load-only",
            json.dumps(
                {
                    "port": port,
                    "path": path,
                    "concurrency": concurrency,
                    "seconds": seconds,
                    "queries": queries,
                }
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    return json.loads(output.stdout)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=12.0, help="per endpoint and level")
    parser.add_argument("--levels", default="8,64")
    parser.add_argument("--workers", type=int, default=max(os.cpu_count() or 2, 2))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load_only:
        spec = json.loads(arguments.load_only)
        print(json.dumps(_load(**spec)))
        return 0

    os.environ.update(_environment())
    levels = [int(level) for level in arguments.levels.split(",")]
    print(f"Scratch database {DATABASE}: migrating and seeding {arguments.factories} factories")
    _create_database()
    server = None
    try:
        seeded = _seed(arguments.factories)
        print(f"  {seeded['cells']:,} calendar cells in {seeded['seconds']:.1f} s")
        inspection = _inspect(arguments)
        port = _free_port()
        server = _serve(port, arguments.workers)
        queries = [_query_string(params) for params in _queries(arguments)]
        rows = []
        for level in levels:
            for name, path in (("anchor", ANCHOR_PATH), ("search API", SEARCH_PATH)):
                _load_process(port, path, level, 1.5, queries)  # warm connections and caches
                result = _load_process(port, path, level, arguments.seconds, queries)
                rows.append((level, name, result))
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
        if not arguments.keep:
            _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    print()
    print(
        f"gunicorn {arguments.workers} sync workers on 127.0.0.1; "
        f"load from a separate process; {arguments.seconds:.0f} s per row"
    )
    header = f"{'conc':>5} {'endpoint':<11} {'requests':>9} {'fail':>5} {'req/s':>9} "
    header += f"{'p50 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for level, name, result in rows:
        print(
            f"{level:>5} {name:<11} {result['requests']:>9} {result['failures']:>5} "
            f"{result['throughput']:>9.1f} {result['p50_ms']:>8.1f} {result['p99_ms']:>8.1f}"
        )
    print()
    all_ok = True
    for level in levels:
        anchor = next(r for lv, n, r in rows if lv == level and n == "anchor")
        search = next(r for lv, n, r in rows if lv == level and n == "search API")
        throughput_ratio = search["throughput"] / anchor["throughput"]
        p99_ratio = search["p99_ms"] / anchor["p99_ms"]
        ok = (
            throughput_ratio >= TARGET_THROUGHPUT_RATIO
            and p99_ratio <= TARGET_P99_RATIO
            and not search["failures"]
            and not anchor["failures"]
        )
        all_ok &= ok
        print(
            f"concurrency {level:>2}: throughput {throughput_ratio:.2f}x anchor "
            f"(target >= {TARGET_THROUGHPUT_RATIO:.2f}), p99 {p99_ratio:.2f}x anchor "
            f"(target <= {TARGET_P99_RATIO:.1f})  {_verdict(ok)}"
        )
    queries_ok = inspection["search_queries_per_request"] <= TARGET_QUERIES
    plan_ok = not inspection["calendar_seq_scan"]
    all_ok &= queries_ok and plan_ok
    print(
        f"SQL per search request: {inspection['search_queries_per_request']} "
        f"(target <= {TARGET_QUERIES})  {_verdict(queries_ok)}"
    )
    print(f"results per request: {inspection['results']}")
    print(
        f"sequential scan of the calendar in EXPLAIN: {inspection['calendar_seq_scan']}  "
        f"{_verdict(plan_ok)}"
    )
    print()
    print("EXPLAIN ANALYZE of the ranking query:")
    print("\n".join("  " + line for line in inspection["plan"].splitlines()))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
