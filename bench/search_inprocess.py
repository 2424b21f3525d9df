"""The capacity search's cost in one process, against the trivial view in the same run.

    .venv/bin/python bench/search_inprocess.py        # seeds 5,000 factories, then drops them
    .venv/bin/python bench/search_inprocess.py --database c2m_bench_search2 --reuse

No HTTP, no load generator, no second process: the app of `bench/capacity_search.py` (the
real URLs and middleware, plus its trivial JSON view) is called as a WSGI application in
this process, the 24 searches of that benchmark a few times per turn and the trivial view
between them, for `--turns` turns. It prints the milliseconds of one search (Python and
PostgreSQL together, one at a time) and of one trivial request, and their ratio, each the
median of the turns. It is the figure to compare two versions of the code on a machine
whose speed drifts: run it at each version, taking turns (docs/adr/0005, "Fourth pass").
With `--reuse` it uses a scratch database `capacity_search.py --keep` left (100,000
factories take minutes to seed). It checks no target of its own: `capacity_search.py`
checks issue 13's, under load.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument("--database", default="c2m_bench_search_inprocess")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--passes", type=int, default=4, help="of the 24 searches per turn")
    arguments = parser.parse_args()

    os.environ["BENCH_DATABASE"] = arguments.database
    import capacity_search

    os.environ.update(capacity_search._environment())
    created = not (arguments.reuse and capacity_search._database_exists())
    if created:
        print(f"Scratch database {arguments.database}: seeding {arguments.factories} factories")
        capacity_search._create_database()
        capacity_search._seed(arguments.factories)
    os.environ["C2M_BENCH_SERVE"] = "1"
    served = importlib.reload(capacity_search)  # now with the app and its trivial view
    try:
        searches, trivials = _measure(served, arguments)
    finally:
        from django.db import connection

        connection.close()
        if created:
            capacity_search.admin(f"DROP DATABASE IF EXISTS {arguments.database} WITH (FORCE)")
    search, trivial = statistics.median(searches), statistics.median(trivials)
    ratios = [one / other for one, other in zip(searches, trivials, strict=True)]
    print(
        f"one search {search:.2f} ms (turns {min(searches):.2f}-{max(searches):.2f}); "
        f"one trivial request {trivial:.3f} ms; search / trivial {statistics.median(ratios):.1f} "
        f"(turns {min(ratios):.1f}-{max(ratios):.1f})"
    )
    return 0


def _measure(served, arguments) -> tuple[list[float], list[float]]:
    queries = [served._query_string(params) for params in served._queries(arguments)]

    def call(path: str, query: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        statuses: list[str] = []
        response = served.application(environ, lambda status, _headers: statuses.append(status))
        body = b"".join(response)
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{path}?{query}: {statuses[0]} {body[:300]!r}")

    def per_request(path: str, passes: int) -> float:
        started = time.perf_counter()
        for _pass in range(passes):
            for query in queries:
                call(path, query)
        return (time.perf_counter() - started) * 1000 / (passes * len(queries))

    per_request(served.SEARCH_PATH, 2)  # connections, prepared statements, caches
    per_request(served.ANCHOR_PATH, 2)
    searches, trivials = [], []
    for _turn in range(arguments.turns):
        searches.append(per_request(served.SEARCH_PATH, arguments.passes))
        trivials.append(per_request(served.ANCHOR_PATH, 5 * arguments.passes))
    return searches, trivials


if __name__ == "__main__":
    sys.exit(main())
