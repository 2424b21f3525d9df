"""Benchmark of the capacity search API against a trivial view, in the same gunicorn run.

    .venv/bin/python bench/capacity_search.py --factories 100000
    .venv/bin/python bench/capacity_search.py --factories 5000 --seconds 4   # a quick look
    .venv/bin/python bench/capacity_search.py --factories 100000 --keep          # seed once,
    .venv/bin/python bench/capacity_search.py --factories 100000 --keep --reuse  # then reuse

It creates a scratch database (`--database`, dropped at the end unless `--keep`), seeds
`--factories` verified factories x 30 days x 3 categories with COPY, builds the
free-capacity read model with the production rebuild service, serves the real app under
gunicorn on a free 127.0.0.1 port and loads it from a separate process (threads +
http.client, loopback only) at 8 and 64 concurrent requests. At each level the trivial
view and the search take turns (`--rounds`, 3 by default); the throughput ratio is the
median of the rounds' ratios, p50 and p99 are over every request of the level. It serves
with sync workers (`--workers`, one per core); `--threads 8` serves as `gunicorn.conf.py`
serves the product instead: gthread workers, a pool of as many connections.

The anchor is a trivial JSON view with no database access served by the same gunicorn in
the same run: the cost of the framework alone. Targets (issue 13): search throughput >= 25%
of the anchor's at every level, search p99 <= 50 ms at 8 concurrent, at most 3 SQL queries
per search request (the category map is cached in Redis), no sequential scan in the search
queries' EXPLAIN ANALYZE, and the read model's drift check finds zero differences after
the run.
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

from bench._support import admin, database_url, environment  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "c2m_bench_search")
TARGET_THROUGHPUT_RATIO = 0.25
TARGET_P99_MS = 50.0
TARGET_P99_LEVEL = 8
TARGET_QUERIES = 3
CATEGORIES = ("bench-shirts", "bench-jeans", "bench-knitwear")
SEARCH_PATH = "/api/v1/factories/search/"
ANCHOR_PATH = "/bench/trivial/"


def _environment() -> dict[str, str]:
    return environment(
        DATABASE,
        redis_db=2,
        THROTTLE_ANON="100000000/min",
        THROTTLE_USER="100000000/min",
        CONN_MAX_AGE="600",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=f"{ROOT / 'bench'}{os.pathsep}{ROOT}",
    )


# --- the served app: Django plus the anchor view ------------------------------------------

if os.environ.get("C2M_BENCH_SERVE") == "1":
    import django

    django.setup()
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import include, path

    def trivial(request):
        """The framework alone: middleware, URL resolution, a JSON body; no database."""
        return JsonResponse({"category": request.GET.get("category"), "results": []})

    urlpatterns = [
        path(ANCHOR_PATH.strip("/") + "/", trivial),
        path("", include("marketplace.urls")),
    ]
    settings.ROOT_URLCONF = __name__
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()


# --- database -----------------------------------------------------------------------------


def _database_exists() -> bool:
    reached = subprocess.run(
        ["psql", database_url(DATABASE), "-q", "-c", "SELECT 1"], capture_output=True, check=False
    )
    return reached.returncode == 0


def _create_database() -> None:
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    _migrate()


def _migrate() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=_environment(),
        check=True,
    )


SEED_SQL = """
INSERT INTO catalog_category (slug, name, name_zh, position)
SELECT slug, initcap(replace(slug, '-', ' ')), '', 0 FROM unnest(%(categories)s::text[]) slug;

INSERT INTO factories_factoryprofile (
    organization_id, description, country, region, city, address, workers_count,
    floor_area_m2, processes, technology, quality_control, min_order_quantity,
    standard_lead_days, free_sampling, price_level, audit_status, auto_roll_calendar,
    calendar_stale, created_at, updated_at)
SELECT o.id, 'Seeded for the benchmark', 'China',
       (ARRAY['Zhejiang','Guangdong','Jiangsu','Fujian','Shandong'])[1 + o.id %% 5],
       'City ' || o.id %% 40, '', 50 + o.id %% 400, 1000, '', '', '',
       (ARRAY[30, 30, 50, 100, 300])[1 + o.id %% 5], 3 + o.id %% 10, o.id %% 3 = 0,
       1 + o.id %% 5, 'approved', false, false, now(), now()
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
"""

_CELL_COLUMNS = "organization_id, category_id, date, units, held, booked, updated_at"


def _cell_rows(organization_ids: list[int], category_ids: list[int], today: datetime.date):
    """COPY text for 30 days x the categories per factory: about one day in ten closed,
    some units held and booked (the same pattern the benchmark has always used)."""
    dates = [(today + datetime.timedelta(days=offset)).isoformat() for offset in range(30)]
    stamp = datetime.datetime.now(datetime.UTC).isoformat()
    lines = []
    for organization_id in organization_ids:
        for category_id in category_ids:
            for offset, day in enumerate(dates):
                if (organization_id * 31 + category_id * 17 + offset * 13) % 10 == 0:
                    units = held = booked = 0
                else:
                    units = 20 + (organization_id * 13 + category_id * 7 + offset * 3) % 180
                    held = units * ((organization_id + category_id) % 3) // 10
                    booked = units * ((organization_id * 7 + offset) % 4) // 10
                lines.append(
                    f"{organization_id}\t{category_id}\t{day}\t{units}\t{held}\t{booked}\t{stamp}\n"
                )
        if len(lines) >= 90_000:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _seed(factories: int) -> dict:
    """Organizations and calendar cells by COPY, the rest set-based from them, then the
    read model through the production rebuild service."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from factories.services import capacity_lines_rebuild

    started = time.perf_counter()
    today = timezone.localdate()
    stamp = datetime.datetime.now(datetime.UTC).isoformat()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY marketplace_organization"
            " (name, slug, kind, verified, status, status_reason, created_at) FROM STDIN"
        ) as copy:
            for n in range(1, factories + 1):
                copy.write(f"Bench Factory {n}\tbench-factory-{n}\tfactory\tt\tactive\t\t{stamp}\n")
        cursor.execute(SEED_SQL, {"categories": list(CATEGORIES)})
        cursor.execute(
            "SELECT id FROM marketplace_organization WHERE slug LIKE 'bench-factory-%%' ORDER BY id"
        )
        organization_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT id FROM catalog_category WHERE slug = ANY(%s) ORDER BY id", [list(CATEGORIES)]
        )
        category_ids = [row[0] for row in cursor.fetchall()]
        with raw.copy(f"COPY factories_capacityday ({_CELL_COLUMNS}) FROM STDIN") as copy:
            for block in _cell_rows(organization_ids, category_ids, today):
                copy.write(block)
        cursor.execute("SELECT count(*) FROM factories_capacityday")
        cells = cursor.fetchone()[0]
    seeded = time.perf_counter() - started
    _admin_db("VACUUM ANALYZE")
    started = time.perf_counter()
    lines = capacity_lines_rebuild(today=today)
    built = time.perf_counter() - started
    _admin_db("VACUUM ANALYZE")
    connection.close()
    return {"cells": cells, "seconds": seeded, "lines": lines, "rebuild_seconds": built}


def _admin_db(sql: str) -> None:
    subprocess.run(
        ["psql", database_url(DATABASE), "-q", "-c", sql],
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
    """In-process: SQL queries per search request, and EXPLAIN ANALYZE of every query a
    search runs, for every parameter combination the load uses."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts, result_counts, plans = [], [], []
    client.get(SEARCH_PATH + "?" + _query_string(_queries(arguments)[0]))  # warm the cache
    for params in _queries(arguments):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SEARCH_PATH + "?" + _query_string(params))
        assert response.status_code == 200, response.content[:300]
        result_counts.append(len(response.json()["results"]))
        counts.append(len(captured))
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                # django-pghistory prefixes a statement that does not start with SELECT (the
                # head's WITH) with its context's set_config: EXPLAIN the statement itself.
                sql = query["sql"]
                if sql.startswith("SELECT set_config('pghistory."):
                    sql = sql.split("; ", 1)[1]
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                plans.append((_query_string(params), plan))
    connection.close()

    def execution_ms(plan: str) -> float:
        line = next(line for line in plan.splitlines() if "Execution Time" in line)
        return float(line.split(":")[1].split()[0])

    slowest = max(plans, key=lambda item: execution_ms(item[1]))
    return {
        "search_queries_per_request": max(counts),
        "results": result_counts,
        "plan": f"{slowest[0]}\n{slowest[1]}",
        "slowest_ms": execution_ms(slowest[1]),
        "total_ms_per_request": sum(execution_ms(plan) for _q, plan in plans) / len(counts),
        "seq_scan": any(
            f"Seq Scan on {table}" in plan
            for _q, plan in plans
            for table in ("factories_capacityday", "factories_capacityline")
        ),
    }


def _drift() -> dict:
    import django

    django.setup()
    from django.db import connection

    from factories.services import capacity_lines_drift

    started = time.perf_counter()
    drifted, missing, stale = capacity_lines_drift()
    seconds = time.perf_counter() - started
    connection.close()
    return {"drifted": len(drifted), "missing": missing, "stale": stale, "seconds": seconds}


# --- serving and loading ------------------------------------------------------------------


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(port: int, workers: int, threads: int) -> subprocess.Popen:
    environment = {**_environment(), "C2M_BENCH_SERVE": "1"}
    threading = []
    if threads > 1:  # as gunicorn.conf.py serves: gthread, one pooled connection a thread
        threading = ["--worker-class", "gthread", "--threads", str(threads)]
        environment.update(DATABASE_POOL_MAX_SIZE=str(threads), CONN_MAX_AGE="0")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "capacity_search:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *threading,
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
    latencies_ms = sorted(round(latency * 1000, 3) for latency in latencies)
    return {
        "requests": len(latencies),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures))[:5],
        "throughput": len(latencies) / elapsed,
        **_percentiles(latencies_ms),
        "latencies_ms": latencies_ms,
    }


def _percentiles(latencies_ms: list[float]) -> dict:
    """p50 and p99 of sorted latencies (NaN when there are none)."""
    if not latencies_ms:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    p99 = latencies_ms[min(int(len(latencies_ms) * 0.99), len(latencies_ms) - 1)]
    return {"p50_ms": statistics.median(latencies_ms), "p99_ms": p99}


def _pooled(results: list[dict]) -> dict:
    """The rounds of one endpoint at one level as one: requests, failures, throughput (all
    requests over all rounds' seconds), p50 and p99 of every request's latency."""
    latencies = sorted(latency for result in results for latency in result["latencies_ms"])
    seconds = sum(
        result["requests"] / result["throughput"] for result in results if result["throughput"]
    )
    return {
        "requests": len(latencies),
        "failures": sum(result["failures"] for result in results),
        "throughput": len(latencies) / seconds if seconds else 0.0,
        **_percentiles(latencies),
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
    global DATABASE  # every helper and the served app read the chosen name
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="per endpoint and level, over all rounds"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the trivial view and the search take turns this many times per level",
    )
    parser.add_argument("--levels", default="8,64")
    parser.add_argument("--workers", type=int, default=max(os.cpu_count() or 2, 2))
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="per worker: 1 serves with sync workers, more with gthread workers and a pool of"
        " as many connections, as gunicorn.conf.py serves (8 threads by default)",
    )
    parser.add_argument("--database", default=DATABASE, help="the scratch database's name")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="a kept scratch database seeded the same day: migrate it, do not seed again",
    )
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load_only:
        spec = json.loads(arguments.load_only)
        print(json.dumps(_load(**spec)))
        return 0

    DATABASE = arguments.database
    os.environ["BENCH_DATABASE"] = DATABASE
    os.environ.update(_environment())
    levels = [int(level) for level in arguments.levels.split(",")]
    reuse = arguments.reuse and _database_exists()
    server = None
    if reuse:
        print(f"Scratch database {DATABASE}: reused (migrated, not seeded again)")
        _migrate()
    else:
        print(f"Scratch database {DATABASE}: migrating and seeding {arguments.factories} factories")
        _create_database()
    try:
        if not reuse:
            seeded = _seed(arguments.factories)
            print(
                f"  {seeded['cells']:,} calendar cells by COPY in {seeded['seconds']:.1f} s; "
                f"{seeded['lines']:,} read-model lines rebuilt in "
                f"{seeded['rebuild_seconds']:.1f} s"
            )
        inspection = _inspect(arguments)
        port = _free_port()
        server = _serve(port, arguments.workers, arguments.threads)
        queries = [_query_string(params) for params in _queries(arguments)]
        # The trivial view and the search take turns, `--rounds` times per level: a shared
        # machine's speed drifts by tens of percent within minutes, and a ratio of two
        # figures measured side by side is what the target is about.
        rounds: dict[int, list[dict]] = {}
        for level in levels:
            for path in (ANCHOR_PATH, SEARCH_PATH):
                _load_process(port, path, level, 1.5, queries)  # warm connections and caches
            rounds[level] = [
                {
                    name: _load_process(
                        port, path, level, arguments.seconds / arguments.rounds, queries
                    )
                    for name, path in (("trivial", ANCHOR_PATH), ("search API", SEARCH_PATH))
                }
                for _round in range(arguments.rounds)
            ]
        drift = _drift()
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
        if not arguments.keep:
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    print()
    print(
        f"{arguments.factories:,} factories; gunicorn {arguments.workers} "
        + (
            f"gthread workers x {arguments.threads} threads"
            if arguments.threads > 1
            else "sync workers"
        )
        + " on "
        f"127.0.0.1; load from a separate process; per level, {arguments.rounds} rounds of "
        f"{arguments.seconds / arguments.rounds:.0f} s per endpoint, taking turns"
    )
    header = f"{'conc':>5} {'round':>5} {'endpoint':<11} {'requests':>9} {'fail':>5} "
    header += f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for level in levels:
        for number, pair in enumerate(rounds[level], 1):
            ratio = pair["search API"]["throughput"] / pair["trivial"]["throughput"]
            for name, result in pair.items():
                print(
                    f"{level:>5} {number:>5} {name:<11} {result['requests']:>9} "
                    f"{result['failures']:>5} {result['throughput']:>9.1f} "
                    f"{result['p50_ms']:>8.1f} {result['p99_ms']:>8.1f}"
                    + (f" {ratio:>6.2f}" if name == "search API" else "")
                )
    print()
    all_ok = True
    for level in levels:
        ratios = [
            pair["search API"]["throughput"] / pair["trivial"]["throughput"]
            for pair in rounds[level]
        ]
        ratio = statistics.median(ratios)
        anchor = _pooled([pair["trivial"] for pair in rounds[level]])
        search = _pooled([pair["search API"] for pair in rounds[level]])
        ok = ratio >= TARGET_THROUGHPUT_RATIO and not search["failures"] and not anchor["failures"]
        line = (
            f"concurrency {level:>2}: search throughput {ratio:.2f}x the trivial view's, median"
            f" of the rounds ({min(ratios):.2f}-{max(ratios):.2f}; target >="
            f" {TARGET_THROUGHPUT_RATIO:.2f}); {search['throughput']:.1f} vs"
            f" {anchor['throughput']:.1f} req/s; p50 {search['p50_ms']:.1f} ms,"
            f" p99 {search['p99_ms']:.1f} ms"
        )
        if level == TARGET_P99_LEVEL:
            ok &= search["p99_ms"] <= TARGET_P99_MS
            line += f" (target <= {TARGET_P99_MS:.0f} ms)"
        all_ok &= ok
        print(f"{line}  {_verdict(ok)}")
    queries_ok = inspection["search_queries_per_request"] <= TARGET_QUERIES
    plan_ok = not inspection["seq_scan"]
    drift_ok = not (drift["drifted"] or drift["missing"] or drift["stale"])
    all_ok &= queries_ok and plan_ok and drift_ok
    print(
        f"SQL per search request: {inspection['search_queries_per_request']} "
        f"(target <= {TARGET_QUERIES})  {_verdict(queries_ok)}"
    )
    print(f"results per request: {inspection['results']}")
    print(
        f"database time per search (EXPLAIN ANALYZE, mean of {len(inspection['results'])} "
        f"searches): {inspection['total_ms_per_request']:.2f} ms; slowest query "
        f"{inspection['slowest_ms']:.2f} ms"
    )
    print(
        f"sequential scan in any search query's plan: {inspection['seq_scan']}  {_verdict(plan_ok)}"
    )
    print(
        f"drift check after the run: {drift['drifted']} drifted, {drift['missing']} missing, "
        f"{drift['stale']} stale lines ({drift['seconds']:.1f} s)  {_verdict(drift_ok)}"
    )
    print()
    print("EXPLAIN ANALYZE of the slowest search query:")
    print("\n".join("  " + line for line in inspection["plan"].splitlines()))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
