"""Benchmark: telemetry ingestion through the real HTTP stack against a bare COPY of the same
rows into the same table, in the same run; and the delay from an offending reading to its
alarm under that load.

    .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --seconds 8 --port 18461   # a quick look

A scratch database (`c2m_bench_ingest`, dropped at the end) holds one owner with
`--devices` devices and a threshold rule on their model (every batch is evaluated, as in
production). gunicorn (gunicorn.conf.py, GUNICORN_WORKERS x GUNICORN_THREADS) serves on
127.0.0.1:`--port`; a real Celery worker evaluates rules. For each batch size (1,000 and
100 readings a request):

The two take turns, `--rounds` times per batch size (`--seconds` of HTTP in all), so each
HTTP period has its own baseline measured right after it: the bare COPY's rate moves with
the machine's scheduling from run to run far more than within one.

- HTTP: a separate load process posts batches for its period from one thread per device
  (keep-alive, `Authorization: Device <token>`): authentication, validation, dedup, the
  rule trigger and storage, all of it. Meanwhile a probe device posts one offending reading
  about every second and waits for its alarm to be visible in the database (then a normal
  reading clears it): that wait is the offending-reading-to-alarm delay.
- bare COPY: the table is emptied and the same load process COPYs exactly the same rows
  into it, in the same batches, from one connection per device (psycopg 3, a transaction per
  batch): what the database takes at least.

It prints readings/s and the p99 of a request (or a COPY batch) for both and their ratio in
each round, the median ratio (targets: >= 40% of the bare COPY rate at 1,000 readings a
request, >= 20% at 100) and the alarm delay p99 (target < 5 s).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, database_url, environment  # noqa: E402

DATABASE = "c2m_bench_ingest"
DATABASE_URL = database_url(DATABASE)
METRICS = ("temperature", "pressure", "current", "vibration")
STEP_MS = 5  # readings of one device are 5 ms apart (every one is new: nothing deduplicated)
TARGETS = {1000: 0.40, 100: 0.20}
ALARM_TARGET_SECONDS = 5.0


def _environment(redis_url: str) -> dict[str, str]:
    return environment(
        DATABASE,
        redis_url=redis_url,
        GUNICORN_ACCESS_LOG="",
        IOT_DEVICE_REQUESTS_PER_MINUTE="10000000",
        IOT_ORGANIZATION_READINGS_PER_MINUTE="2000000000",
        PYTHONUNBUFFERED="1",
    )


def _p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


# --- the load process ---------------------------------------------------------------------


def _rows(device: int, batch: int, index: int, base: datetime.datetime) -> list[tuple]:
    """Batch `index` of a device: (metric, ts, value), the same for HTTP and COPY."""
    first = index * batch
    rows = []
    for offset in range(batch):
        number = first + offset
        moment = base + datetime.timedelta(milliseconds=STEP_MS * number)
        rows.append((METRICS[number % len(METRICS)], moment, 40.0 + (number * 7 + device) % 30))
    return rows


def _http_worker(url, token, device, batch, base, deadline, out) -> None:
    """One device posting batches back to back over one keep-alive connection.

    http.client rather than requests: the load process shares the machine's two cores with
    the server and the database, and requests' per-call machinery (sessions, adapters,
    header objects) takes CPU from them that the bare COPY's client does not. A connection
    the server closed (a recycled gunicorn worker) is opened again and the batch sent
    again: a replay is stored once."""
    import http.client
    from urllib.parse import urlsplit

    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    headers = {"Authorization": f"Device {token}", "Content-Type": "application/json"}
    index = 0
    while time.monotonic() < deadline:
        body = json.dumps(
            {
                "readings": [
                    {"metric": metric, "ts": moment.isoformat(), "value": value}
                    for metric, moment, value in _rows(device, batch, index, base)
                ]
            }
        ).encode()
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                connection.request("POST", target.path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                connection.close()
                if attempt == 2:
                    raise
        out["latencies"].append(time.perf_counter() - started)
        if response.status != 202:
            out["errors"].append(f"{response.status} {content[:200]!r}")
            break
        out["stored"] += json.loads(content)["stored"]
        index += 1
    connection.close()
    out["batches"] = index


def _copy_worker(device_pk, device, batch, base, batches, out) -> None:
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=False) as connection:
        metric_ids = dict(connection.execute("SELECT name, id FROM iot_gateway_metric").fetchall())
        for index in range(batches):
            rows = _rows(device, batch, index, base)
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    "COPY iot_gateway_reading (device_id, metric_id, ts, value) FROM STDIN"
                ) as copy,
            ):
                for metric, moment, value in rows:
                    copy.write_row((device_pk, metric_ids[metric], moment, value))
            connection.commit()
            out["latencies"].append(time.perf_counter() - started)
            out["stored"] += len(rows)
        out["batches"] = batches


def _probe(url, token, device_pk, deadline, out) -> None:
    """Offending reading -> wait for its alarm in the database -> normal reading (clears)."""
    import psycopg
    import requests

    session = requests.Session()
    headers = {"Authorization": f"Device {token}"}
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        while time.monotonic() < deadline - 6:
            moment = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
            started = time.monotonic()
            hot = {"readings": [{"metric": "temperature", "ts": moment.isoformat(), "value": 99}]}
            if session.post(url, json=hot, headers=headers, timeout=30).status_code != 202:
                out["errors"].append("probe post refused")
                return
            seen = None
            while time.monotonic() - started < 30:
                seen = connection.execute(
                    "SELECT 1 FROM iot_gateway_alarm WHERE device_id = %s AND raised_at = %s",
                    [device_pk, moment],
                ).fetchone()
                if seen:
                    break
                time.sleep(0.02)
            if not seen:
                out["errors"].append("alarm not raised within 30 s")
                return
            out["delays"].append(time.monotonic() - started)
            cool = moment + datetime.timedelta(milliseconds=500)
            session.post(
                url,
                json={"readings": [{"metric": "temperature", "ts": cool.isoformat(), "value": 20}]},
                headers=headers,
                timeout=30,
            )
            while (
                time.monotonic() - started < 30
                and connection.execute(
                    "SELECT 1 FROM iot_gateway_alarm WHERE device_id = %s AND status <> 'cleared'",
                    [device_pk],
                ).fetchone()
            ):
                time.sleep(0.05)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def client(arguments) -> int:
    plan = json.loads(Path(arguments.plan).read_text())
    base = datetime.datetime.fromisoformat(plan["base"])
    results = {
        device: {"latencies": [], "errors": [], "stored": 0, "batches": 0}
        for device in range(len(plan["devices"]))
    }
    probe = {"delays": [], "errors": []}
    load: list[threading.Thread] = []
    extra: list[threading.Thread] = []
    if arguments.mode == "http":
        deadline = time.monotonic() + arguments.seconds
        url = f"http://127.0.0.1:{arguments.port}/api/v1/telemetry/"
        for device, (_pk, token) in enumerate(plan["devices"]):
            load.append(
                threading.Thread(
                    target=_http_worker,
                    args=(url, token, device, arguments.batch, base, deadline, results[device]),
                )
            )
        probe_pk, probe_token = plan["probe"]
        extra.append(
            threading.Thread(target=_probe, args=(url, probe_token, probe_pk, deadline, probe))
        )
    else:
        counts = json.loads(arguments.batches)
        for device, (pk, _token) in enumerate(plan["devices"]):
            load.append(
                threading.Thread(
                    target=_copy_worker,
                    args=(pk, device, arguments.batch, base, counts[device], results[device]),
                )
            )
    started = time.perf_counter()
    for thread in load + extra:
        thread.start()
    for thread in load:
        thread.join()
    elapsed = time.perf_counter() - started
    for thread in extra:
        thread.join()
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "stored": sum(result["stored"] for result in results.values()),
                "batches": [results[device]["batches"] for device in sorted(results)],
                "latencies": [
                    value for result in results.values() for value in result["latencies"]
                ],
                "errors": [error for result in results.values() for error in result["errors"]]
                + probe["errors"],
                "delays": probe["delays"],
            }
        )
    )
    return 0


# --- the orchestrating process ------------------------------------------------------------


def _setup(device_count: int) -> dict:
    import django

    django.setup()
    from django.utils import timezone

    from catalog.models import Category
    from iot_gateway import services
    from iot_gateway.models import FaultRule, Metric
    from marketplace import services as marketplace_services
    from marketplace.models import Organization, User

    user = User.objects.create_user(email="bench-owner@example.com", password="bench-only-pass-1")
    owner = marketplace_services.organization_create(
        name="Bench Owner", kind=Organization.Kind.BUYER, owner=user, verified=True
    )
    supplier = marketplace_services.organization_create(
        name="Bench Supplier",
        kind=Organization.Kind.FACTORY,
        owner=User.objects.create_user(email="bench-maker@example.com", password="bench-pass-1"),
        verified=True,
    )
    category = Category.objects.create(slug="bench-compressors", name="Compressors")
    FaultRule.objects.create(
        organization=supplier,
        name="Overheating",
        kind=FaultRule.Kind.THRESHOLD,
        model_name="BENCH-1",
        metric=Metric.objects.get(name="temperature"),
        threshold=85.0,
        duration_seconds=0,
        severity="warning",  # an alarm without a service lead: the delay measured is the alarm's
    )
    devices = []
    for number in range(device_count + 1):
        device, issued = services.device_register(
            organization=owner,
            acting_user=user,
            name=f"Bench device {number}",
            serial_number=f"BENCH-{number:03d}",
            model="BENCH-1",
            supplier=supplier,
            installed_on=timezone.localdate(),
            region="Zhejiang",
            category=category,
        )
        devices.append([device.pk, issued.token])
    services.partitions_maintain()
    base = timezone.now() - datetime.timedelta(hours=20)
    return {"devices": devices[1:], "probe": devices[0], "base": base.isoformat()}


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE iot_gateway_reading, iot_gateway_rolluppending")
        cursor.execute("DELETE FROM iot_gateway_alarmevent")
        cursor.execute("DELETE FROM iot_gateway_alarm")
        cursor.execute("DELETE FROM iot_gateway_rulestate")
        cursor.execute("UPDATE iot_gateway_device SET last_reading_at = NULL")
        cursor.execute("VACUUM ANALYZE iot_gateway_reading")


def _wait_http(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/telemetry/", timeout=2)
        except urllib.error.HTTPError:
            return  # 401 without a token: it serves
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (Linux /proc), 0 when unreadable."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_cpu_seconds(int(child)) for child in children)


def _wait_settled(process: subprocess.Popen) -> None:
    """Until gunicorn's workers have all loaded the application: one answering does not
    mean the other is not still importing Django, on the cores the first phase measures."""
    deadline = time.monotonic() + 60
    used = _cpu_seconds(process.pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _cpu_seconds(process.pid)
        if now - used < 0.05:
            return
        used = now


def _run_client(mode: str, plan_path: Path, port: int, batch: int, seconds: float, batches=None):
    command = [
        sys.executable, __file__, "client", "--mode", mode, "--plan", str(plan_path),
        "--port", str(port), "--batch", str(batch), "--seconds", str(seconds),
        "--batches", json.dumps(batches or []),
    ]  # fmt: skip
    output = subprocess.run(
        command, cwd=ROOT, env=os.environ.copy(), check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=18460)
    parser.add_argument("--seconds", type=float, default=24.0, help="HTTP load per batch size")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="HTTP and bare COPY take turns this many times per batch size (median ratio)",
    )
    parser.add_argument("--devices", type=int, default=4, help="load threads, one device each")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    arguments = parser.parse_args()

    print(f"Scratch database {DATABASE}: migrating")
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    environment = _environment(arguments.redis_url)
    processes: list[subprocess.Popen] = []
    results: dict[int, list[dict]] = {}
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
        os.environ.update(environment)
        plan = _setup(arguments.devices)
        plan_path = Path(f"/tmp/c2m-bench-ingest-{os.getpid()}.json")  # noqa: S108
        plan_path.write_text(json.dumps(plan))
        from marketplace.celery import app

        app.control.purge()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "marketplace",
                    "worker",
                    "--concurrency",
                    "2",
                    "-n",
                    f"bench-{os.getpid()}@localhost",
                    "--without-mingle",
                    "--without-gossip",
                    "-l",
                    "warning",
                ],
                cwd=ROOT,
                env=environment,
            )
        )
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "marketplace.wsgi:application",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{arguments.port}",
            ],
            cwd=ROOT,
            env=environment,
        )
        processes.append(web)
        _wait_http(arguments.port, web)
        _wait_settled(web)
        seconds = arguments.seconds / arguments.rounds
        for batch in (1000, 100):
            results[batch] = []
            for round_number in range(1, arguments.rounds + 1):
                _truncate()
                print(
                    f"{batch} readings a request, round {round_number}/{arguments.rounds}:"
                    f" HTTP for {seconds:g}s, then a bare COPY of the same rows …",
                    flush=True,
                )
                http = _run_client("http", plan_path, arguments.port, batch, seconds)
                _truncate()
                copy = _run_client("copy", plan_path, arguments.port, batch, 0, http["batches"])
                results[batch].append({"http": http, "copy": copy})
        plan_path.unlink()
    finally:
        for process in reversed(processes):
            _stop(process)
        from django.db import connections

        connections.close_all()
        if not arguments.keep:
            admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    passed = True
    print()
    print(
        f"{'batch':>6} {'round':>5} {'HTTP readings/s':>16} {'p99 ms':>8}"
        f" {'COPY readings/s':>16} {'p99 ms':>8} {'ratio':>6}"
    )
    for batch, rounds in results.items():
        ratios = []
        for number, pair in enumerate(rounds, 1):
            http, copy = pair["http"], pair["copy"]
            ratio = (http["stored"] / http["elapsed"]) / (copy["stored"] / copy["elapsed"])
            ratios.append(ratio)
            print(
                f"{batch:>6} {number:>5} {http['stored'] / http['elapsed']:>16,.0f}"
                f" {_p99(http['latencies']) * 1000:>8.1f}"
                f" {copy['stored'] / copy['elapsed']:>16,.0f}"
                f" {_p99(copy['latencies']) * 1000:>8.1f} {ratio:>6.0%}"
            )
        errors = [error for pair in rounds for error in pair["http"]["errors"]]
        ratio = statistics.median(ratios)
        ok = ratio >= TARGETS[batch] and not errors
        passed &= ok
        print(
            f"{batch:>6} readings a request: median ratio {ratio:.0%} of the bare COPY"
            f" (rounds {min(ratios):.0%}-{max(ratios):.0%}; target >= {TARGETS[batch]:.0%})"
            f"  {'PASS' if ok else 'MISS'}"
        )
        for error in errors[:3]:
            print(f"       error: {error}")
    delays = [
        delay for rounds in results.values() for pair in rounds for delay in pair["http"]["delays"]
    ]
    delay_ok = bool(delays) and _p99(delays) < ALARM_TARGET_SECONDS
    passed &= delay_ok
    print(
        f"offending reading -> alarm under load: {len(delays)} probes, median "
        f"{statistics.median(delays) if delays else float('nan'):.2f}s, p99 {_p99(delays):.2f}s"
        f" (target < {ALARM_TARGET_SECONDS:g}s)  {'PASS' if delay_ok else 'MISS'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        parser = argparse.ArgumentParser()
        parser.add_argument("client")
        parser.add_argument("--mode", choices=("http", "copy"), required=True)
        parser.add_argument("--plan", required=True)
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--batch", type=int, required=True)
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--batches", default="[]")
        raise SystemExit(client(parser.parse_args()))
    raise SystemExit(main())
