"""Benchmark: pricing a design through the API under gunicorn, as a ratio to
`GET /api/v1/me/` measured in the same run.

    .venv/bin/python bench/configurator.py
    .venv/bin/python bench/configurator.py --requests 100 --port 18481   # a quick look

A scratch database (`c2m_bench_configurator`, dropped at the end) gets the demo category
tree, the demo air conditioner (22 functions, choose 6; two one-of-n groups; rules; price
tiers) and suit (19 measurements, 5 style groups, a monogram) set up through the services,
and a buyer with an API token. gunicorn serves the project (`marketplace.wsgi`, one sync
worker, loopback, `--port` in 18480-18489) and one client times, in alternating rounds
(a sync worker closes each connection, so every request pays its connect, the anchor too):

- anchor: `GET /api/v1/me/` (token auth and membership lookup);
- `POST /api/v1/customizable-products/{id}/price/` for the air conditioner with all 22
  functions' group in play (6 chosen) and its colour and refrigerant;
- the same for the suit: 19 measurements, 5 styles and a monogram (25 values).

It prints median latencies, each pricing call as a ratio to the anchor (target <= 2x), and
the SQL queries per request (counted in-process through the same stack).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, environment  # noqa: E402

DATABASE = "c2m_bench_configurator"
TARGET = 2.0
PORTS = range(18480, 18490)
AC_OPTIONS = {
    "functions": ["inverter", "heating", "wifi", "self-cleaning", "pm25-filter", "timer"],
    "panel-colour": "silver",
    "refrigerant": "r32",
}
SUIT_OPTIONS = {
    "fabric": "wool-navy",
    "lapel": "notch",
    "buttons": "two",
    "vents": "double",
    "trouser-pleats": "flat",
    "monogram": "BT",
}
SUIT_BODY = {
    "neck": 40, "chest": 100, "waist": 86, "hip": 100, "shoulder": 46, "sleeve": 63,
    "bicep": 32, "wrist": 17, "jacket_length": 76, "back_width": 40, "front_width": 38,
    "armhole": 48, "trouser_waist": 86, "outseam": 104, "inseam": 80, "thigh": 60,
    "knee": 44, "hem": 38, "rise": 27,
}  # fmt: skip


def _environment() -> dict[str, str]:
    return environment(
        DATABASE,
        THROTTLE_USER="100000000/min",
        CONN_MAX_AGE="600",
        EMAIL_URL="dummymail://",
        DEBUG="false",
        ALLOWED_HOSTS="testserver,127.0.0.1",
    )


def _seed() -> dict:
    """In a child process (the scratch database's settings): products, buyer, token."""
    import django

    django.setup()
    from catalog.demo import CATEGORY_TREE, TIERS
    from catalog.selectors import category_by_slug
    from catalog.services import (
        ProductInput,
        category_tree_ensure,
        product_create,
        product_price_tiers_set,
    )
    from customization.demo_products import AIR_CONDITIONER, SUIT
    from customization.services import customizable_product_setup
    from marketplace import services
    from marketplace.models import Membership, Organization, User

    category_tree_ensure(tree=CATEGORY_TREE)
    pks = {}
    for slug, category, price, spec in (
        ("bench-air-conditioner", "air-conditioners", 260_000, AIR_CONDITIONER),
        ("bench-suit", "apparel", 128_000, SUIT),
    ):
        product = product_create(
            factory=None,
            data=ProductInput(
                category=category_by_slug(slug=category),
                slug=slug,
                name=slug.replace("-", " ").title(),
                base_price_minor=price,
                min_order_quantity=30,
            ),
        )
        product_price_tiers_set(product=product, tiers=TIERS)
        customizable_product_setup(
            product=product, recipe=spec["recipe"], groups=spec["groups"], rules=spec["rules"]
        )
        pks[slug] = product.pk
    buyer = Organization.objects.create(
        name="Bench Buyer", slug="bench-buyer", kind=Organization.Kind.BUYER, verified=True
    )
    user = User.objects.create_user(email="bench@c2m.example", password="bench-pass-2026")
    Membership.objects.create(user=user, organization=buyer, role=Membership.Role.OWNER)
    _token, key = services.api_token_create(user=user, name="bench")
    return {"token": key, "organization": buyer.slug, **pks}


def _requests(seeded: dict) -> dict[str, tuple[str, str, dict | None]]:
    return {
        "me (anchor)": ("GET", "/api/v1/me/", None),
        "price air conditioner": (
            "POST",
            f"/api/v1/customizable-products/{seeded['bench-air-conditioner']}/price/",
            {"options": AC_OPTIONS, "quantity": 500},
        ),
        "price suit": (
            "POST",
            f"/api/v1/customizable-products/{seeded['bench-suit']}/price/",
            {"options": SUIT_OPTIONS, "measurements": SUIT_BODY, "quantity": 60},
        ),
    }


def _headers(seeded: dict) -> dict[str, str]:
    return {
        "Authorization": f"Token {seeded['token']}",
        "X-Organization": seeded["organization"],
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
    }


def _count_queries(seeded: dict) -> dict[str, int]:
    """In a child process: SQL queries per request through the same stack, warm."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {
        "HTTP_AUTHORIZATION": f"Token {seeded['token']}",
        "HTTP_X_ORGANIZATION": seeded["organization"],
    }
    counts = {}
    for name, (method, path, body) in _requests(seeded).items():
        for _round in range(2):  # the second one is warm (structure cache)
            with CaptureQueriesContext(connection) as captured:
                if method == "GET":
                    response = client.get(path, **headers)
                else:
                    response = client.post(
                        path, json.dumps(body), content_type="application/json", **headers
                    )
            assert response.status_code == 200, (name, response.content[:300])
        if body is not None:
            assert response.json()["valid"] is True, response.content[:300]
        counts[name] = len(captured)
    return counts


def _child(function: str, argument: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", function, "--argument", argument],
        env=_environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"{function} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class _Connection(http.client.HTTPConnection):
    """No Nagle delay on the client side: a 40 ms delayed-ACK stall would swamp both
    figures and hide the ratio."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _serve(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "marketplace.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.DEVNULL,  # the request log; failures show as a start timeout
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/me/")
            connection.getresponse().read()
            connection.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def _time(port: int, seeded: dict, rounds: int) -> dict[str, list[float]]:
    headers = _headers(seeded)
    requests = _requests(seeded)
    timings: dict[str, list[float]] = {name: [] for name in requests}
    connection = _Connection("127.0.0.1", port, timeout=10)
    for _warm in range(5):
        for method, path, body in requests.values():
            connection.request(method, path, json.dumps(body) if body else None, headers)
            connection.getresponse().read()
    for _round in range(rounds):
        for name, (method, path, body) in requests.items():
            payload = json.dumps(body) if body else None
            started = time.perf_counter()
            connection.request(method, path, payload, headers)
            response = connection.getresponse()
            response.read()
            timings[name].append(time.perf_counter() - started)
            if response.status != 200:
                raise SystemExit(f"{name}: HTTP {response.status}")
    connection.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="timed rounds")
    parser.add_argument("--port", type=int, default=18480)
    parser.add_argument("--child")
    parser.add_argument("--argument", default="{}")
    args = parser.parse_args()
    if args.child:
        function = {"seed": _seed, "count": _count_queries}[args.child]
        argument = json.loads(args.argument)
        print(json.dumps(function(argument) if argument else function()))  # type: ignore[operator]
        return 0
    if args.port not in PORTS:
        raise SystemExit(f"--port must be in {PORTS.start}-{PORTS.stop - 1}")

    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=_environment(),
            check=True,
        )
        seeded = _child("seed", "{}")
        queries = _child("count", json.dumps(seeded))
        server = _serve(args.port)
        timings = _time(args.port, seeded, args.requests)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    anchor = statistics.median(timings["me (anchor)"])
    print(f"gunicorn, 1 sync worker, 127.0.0.1:{args.port}; {args.requests} rounds")
    failed = False
    for name, samples in timings.items():
        median = statistics.median(samples)
        ratio = median / anchor
        line = f"{name:24} median {median * 1000:6.2f} ms  {ratio:4.2f}x  {queries[name]} queries"
        if name != "me (anchor)":
            ok = ratio <= TARGET
            failed |= not ok
            line += f"  (target <= {TARGET:.0f}x: {'ok' if ok else 'MISSED'})"
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
