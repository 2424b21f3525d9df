"""Benchmark of the ledger's write path under concurrency, against a bare insert of the same
rows measured in the same run.

    .venv/bin/python bench/ledger.py
    .venv/bin/python bench/ledger.py --workers 8 --seconds 10

It creates a scratch database (`c2m_bench_ledger`, dropped at the end), builds one order
per worker through the orders services, then runs two phases, each with `--workers`
processes that have their own database connections, for `--seconds`:

- service: one operation = fund the order's escrow from the bank clearing account and
  release it to the factory (commission to the platform's fee account), through
  `finance.services.escrow` under the escrow's lock: 2 journal transactions, 6 postings,
  the cached balances of 5 accounts moved with F(), the escrow counters moved by a
  conditional UPDATE. The platform's bank clearing and fee accounts are sharded by order
  (FINANCE_PLATFORM_ACCOUNT_SHARDS), and so is the factory's payable
  (FINANCE_FACTORY_PAYABLE_SHARDS): all orders go to one factory here, yet workers on
  different orders share no balance row;
- bare: the same 2 transactions and 6 postings per operation inserted with plain SQL, one
  database transaction each, into twins of the ledger's tables (`CREATE TABLE ... (LIKE
  ... INCLUDING ALL)`: same columns, defaults, indexes and CHECKs, no triggers), so that the
  ledger itself holds only what the service layer wrote: no locks, no cached balances.

It prints operations per second for both, their ratio (target >= 25 %), p50 and p99, and
the service phase once more with a single worker: the gap between its p50 and the 8-worker
p50 is the time operations spend queueing on the shared hot rows. Then it runs the ledger
invariant check (`ledger_invariant_problems`) on everything written.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import admin, environment, seed_orders  # noqa: E402

DATABASE = "c2m_bench_ledger"
TARGET_RATIO = 0.25
AMOUNT = 10_000  # CNY 100.00 funded and released per operation


def _seed(workers: int) -> list[int]:
    """One order per worker between one buyer and one factory, through the services."""
    return [order.pk for order in seed_orders(workers, with_sample=False).orders]


# --- the two workloads, each run in a worker process --------------------------------------


def _service_operation(order, number: int, worker: str) -> None:
    from django.db import transaction

    from finance.models import AccountPurpose
    from finance.services import escrow
    from marketplace.money import Money

    amount = Money(AMOUNT, order.currency)
    with transaction.atomic():
        state = escrow.escrow_lock(order=order)
        escrow.escrow_fund(
            escrow=state,
            source_purpose=AccountPurpose.BANK_CLEARING,
            amount=amount,
            reference=f"bench:fund:{worker}:{number}",
            memo="bench fund",
            acting_user=None,
        )
        escrow.escrow_release_amount(
            escrow=state,
            amount=amount,
            reference=f"bench:release:{worker}:{number}",
            memo="bench release",
            acting_user=None,
        )


def _bare_operation(accounts: dict[str, int], order_pk: int, number: int, worker: str) -> None:
    """The same journal rows as a service operation, inserted with plain SQL."""
    from django.db import connection, transaction

    commission = AMOUNT * 300 // 10_000
    rows = [
        (
            "fund",
            f"bare:fund:{worker}:{number}",
            [(accounts["bank"], -AMOUNT), (accounts["escrow"], AMOUNT)],
        ),
        (
            "release",
            f"bare:release:{worker}:{number}",
            [
                (accounts["escrow"], -AMOUNT),
                (accounts["fees"], commission),
                (accounts["payout"], AMOUNT - commission),
            ],
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, reference, legs in rows:
            cursor.execute(
                "INSERT INTO bench_journaltransaction (kind, reference, order_id, memo,"
                " created_at) VALUES (%s, %s, %s, '', now()) RETURNING id",
                [kind, reference, order_pk],
            )
            entry = cursor.fetchone()[0]
            cursor.executemany(
                "INSERT INTO bench_posting (transaction_id, account_id, amount_minor,"
                " currency, created_at) VALUES (%s, %s, %s, 'CNY', now())",
                [(entry, account, amount) for account, amount in legs],
            )


def _worker(phase: str, worker: str, order_pk: int, seconds: float, go, queue) -> None:
    try:
        queue.put(_work(phase, worker, order_pk, seconds, go, queue))
    except Exception as error:  # reported by the parent, which would otherwise wait
        queue.put(f"{phase} worker {worker}: {error!r}")
        raise


def _work(phase: str, worker: str, order_pk: int, seconds: float, go, queue=None) -> list:
    """Warm up, say ready, wait for the start signal, then run for `seconds`."""
    import django

    django.setup()
    from finance.models import AccountPurpose
    from finance.services import escrow, ledger
    from orders.models import Order

    order = Order.objects.select_related("buyer", "factory").get(pk=order_pk)
    if phase == "service":

        def operation(number: int) -> None:
            _service_operation(order, number, worker)
    else:
        state = escrow.escrow_get_or_create(order=order)
        accounts = {
            # The same rows the service layer posts to: the order's shard of each.
            "bank": ledger.platform_account(
                AccountPurpose.BANK_CLEARING, "CNY", shard_key=order.pk
            ).pk,
            "fees": ledger.platform_account(
                AccountPurpose.PLATFORM_FEES, "CNY", shard_key=order.pk
            ).pk,
            "escrow": ledger.escrow_account(
                order_pk=order.pk, buyer=order.buyer, currency=state.currency
            ).pk,
            "payout": ledger.accounts_get(
                ledger.payable_key(order.factory_id, "CNY", shard_key=order.pk)
            )[0].pk,
        }

        def operation(number: int) -> None:
            _bare_operation(accounts, order.pk, number, worker)

    operation(-1)  # warm up (connection, accounts)
    if queue is not None:
        queue.put("ready")
        go.wait()
    latencies = []
    deadline = time.time() + seconds
    number = 0
    while time.time() < deadline:
        started = time.perf_counter()
        operation(number)
        latencies.append(time.perf_counter() - started)
        number += 1
    return latencies


def _phase(
    phase: str, order_pks: list[int], seconds: float, label: str
) -> tuple[float, list[float]]:
    from django.db import connections

    if os.environ.get("C2M_BENCH_INLINE"):  # debugging: one worker, in this process
        latencies = _work(phase, f"{label}0", order_pks[0], seconds, None)
        return len(latencies) / seconds, latencies
    connections.close_all()  # each worker opens its own
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    go = context.Event()
    processes = [
        context.Process(target=_worker, args=(phase, f"{label}{index}", pk, seconds, go, queue))
        for index, pk in enumerate(order_pks)
    ]
    for process in processes:
        process.start()
    ready = 0
    latencies: list[float] = []
    results = 0
    while results < len(processes):
        try:
            result = queue.get(timeout=5)
        except Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"{phase} workers died: exit codes {dead}") from None
            continue
        if result == "ready":
            ready += 1
            if ready == len(processes):
                go.set()  # every worker is connected and warm: start together
            continue
        if isinstance(result, str):
            raise RuntimeError(result)
        latencies.extend(result)
        results += 1
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a {phase} worker failed ({process.exitcode})")
    return len(latencies) / seconds, latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(arguments) -> int:
    import django

    django.setup()
    from django.db import connection

    from finance.services.ledger import ledger_invariant_problems

    started = time.perf_counter()
    order_pks = _seed(arguments.workers)
    with connection.cursor() as cursor:
        for table in ("journaltransaction", "posting"):
            cursor.execute(f"CREATE TABLE bench_{table} (LIKE finance_{table} INCLUDING ALL)")
    print(f"seeded {len(order_pks)} orders in {time.perf_counter() - started:.1f} s")
    bare_rate, bare_latencies = _phase("bare", order_pks, arguments.seconds, "b")
    service_rate, latencies = _phase("service", order_pks, arguments.seconds, "s")
    single_rate, single_latencies = _phase("service", order_pks[:1], arguments.seconds, "one")
    ratio = service_rate / bare_rate
    print(
        f"bare insert:   {bare_rate:8.1f} operations/s ({2 * bare_rate:.1f} journal tx/s)  "
        f"p50 {statistics.median(bare_latencies) * 1000:.1f} ms  "
        f"p99 {_percentile(bare_latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"service layer: {service_rate:8.1f} operations/s ({2 * service_rate:.1f} journal tx/s)  "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms  "
        f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"service, 1 worker: {single_rate:6.1f} operations/s  "
        f"p50 {statistics.median(single_latencies) * 1000:.1f} ms  "
        f"p99 {_percentile(single_latencies, 0.99) * 1000:.1f} ms"
    )
    verdict = "OK" if ratio >= TARGET_RATIO else "MISSED"
    print(f"ratio {ratio:.0%} (target >= {TARGET_RATIO:.0%}) {verdict}")
    problems = ledger_invariant_problems()
    print(f"invariants: {problems or 'all hold'}")
    return 0 if ratio >= TARGET_RATIO and not problems else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    if os.environ.get("C2M_BENCH_CHILD") == "1":
        return run(arguments)
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    bench_environment = environment(DATABASE, EMAIL_URL="dummymail://")
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
