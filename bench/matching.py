"""Benchmark of the batch matcher against the min-cost-flow optimum, in the same run.

    .venv/bin/python bench/matching.py            # 10,000 demands x 1,000 factories x 30 days
    .venv/bin/python bench/matching.py --demands 1000 --factories 100   # a quick look

Each contender runs in its own child process (same seeded instance), so wall time and peak
memory (the child's peak resident set size, which also sees OR-Tools' C++ allocations) are
separate. The optimum is the splittable relaxation solved exactly by OR-Tools
SimpleMinCostFlow: an upper bound for the matcher, which gives each demand ONE factory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_UNIT_RATIO = 0.98
TARGET_TIME_RATIO = 3.0
TARGET_PEAK_BYTES = 2 * 1024**3
CONTENDERS = ("optimum", "matcher", "plain_greedy")


def _instance(arguments):
    from tests.orders.matching_instances import random_problem

    return random_problem(
        seed=arguments.seed,
        demands=arguments.demands,
        factories=arguments.factories,
        days=arguments.days,
        eligible_per_demand=arguments.eligible,
        load=arguments.load,
    )


def _run_contender(arguments) -> dict:
    from orders.matching import algorithm
    from tests.orders.matching_reference import splittable_optimum

    problem = _instance(arguments)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    if arguments.contender == "optimum":
        optimum = splittable_optimum(problem)
        units, cost, broken = optimum.units, optimum.cost, 0
    else:
        solve = algorithm.match if arguments.contender == "matcher" else algorithm.plain_greedy
        result = solve(problem)
        units, cost = result.units, result.cost
        broken = len(algorithm.violations(problem, result))
    wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "instance_bytes": rss_before,
        "units": int(units),
        "cost": int(cost),
        "violations": broken,
        "demanded": int(problem.demand_quantity.sum()),
        "free_capacity": int(problem.capacity.sum()),
        "eligible_per_demand": float(problem.eligible_line.size / problem.demand_count),
    }


def _spawn(contender: str, arguments) -> dict:
    command = [sys.executable, __file__, "--contender", contender]
    for name in ("seed", "demands", "factories", "days", "eligible", "load"):
        command += [f"--{name}", str(getattr(arguments, name))]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout)


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--factories", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--eligible", type=int, default=66)
    parser.add_argument("--load", type=float, default=0.98)
    parser.add_argument("--contender", choices=CONTENDERS)
    arguments = parser.parse_args()
    if arguments.contender:
        print(json.dumps(_run_contender(arguments)))
        return 0

    runs = {name: _spawn(name, arguments) for name in CONTENDERS}
    optimum, matcher, greedy = runs["optimum"], runs["matcher"], runs["plain_greedy"]
    print(
        f"instance: seed={arguments.seed} demands={arguments.demands} "
        f"factories={arguments.factories} days={arguments.days} "
        f"eligible/demand={optimum['eligible_per_demand']:.1f} "
        f"demand/free capacity={optimum['demanded'] / optimum['free_capacity']:.3f}"
    )
    for name, run in runs.items():
        per_unit = run["cost"] / max(run["units"], 1)
        print(
            f"{name:13s} wall={run['wall_seconds']:7.2f}s "
            f"peak_rss={run['peak_bytes'] / 2**20:7.1f} MiB "
            f"(instance {run['instance_bytes'] / 2**20:.1f} MiB) "
            f"units_on_time={run['units']:>9,} ({run['units'] / optimum['units']:.4f} of optimum) "
            f"cost/unit={per_unit:.2f} violations={run['violations']}"
        )
    unit_ratio = matcher["units"] / optimum["units"]
    time_ratio = matcher["wall_seconds"] / optimum["wall_seconds"]
    checks = [
        (f"units {unit_ratio:.4f} of optimum >= {TARGET_UNIT_RATIO}", unit_ratio >= 0.98),
        (f"wall {time_ratio:.2f}x optimum's <= {TARGET_TIME_RATIO}x", time_ratio <= 3.0),
        (
            f"peak {matcher['peak_bytes'] / 2**30:.2f} GiB <= 2 GiB",
            matcher["peak_bytes"] <= TARGET_PEAK_BYTES,
        ),
        ("no overbooking / late / ineligible assignment", matcher["violations"] == 0),
    ]
    print(f"plain greedy reaches {greedy['units'] / optimum['units']:.4f} of optimum")
    for label, passed in checks:
        print(f"{_verdict(passed)} matcher {label}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
