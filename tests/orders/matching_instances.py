"""Seeded synthetic matching instances for the tests and `bench/matching.py`.

Shaped like the marketplace: factories publish a 30-day calendar per product category they
make, part of it already booked; small C2M orders (30 units minimum) each eligible at the
factories of their category near enough to the buyer.
"""

from __future__ import annotations

import numpy as np

from orders.matching.algorithm import MatchingProblem


def random_problem(
    *,
    seed: int,
    demands: int,
    factories: int,
    days: int = 30,
    categories: int | None = None,
    eligible_per_demand: int = 60,
    load: float = 0.98,
    mean_daily_capacity: int = 100,
) -> MatchingProblem:
    """A random instance whose total demanded quantity is `load` x total free capacity."""
    rng = np.random.default_rng(seed)
    categories = categories or max(3, factories // 80)
    # Each factory makes 1-3 categories; its daily capacity is shared between them.
    factory_category_count = np.minimum(
        categories, rng.choice([1, 2, 3], size=factories, p=[0.5, 0.35, 0.15])
    )
    line_factory = np.repeat(np.arange(factories), factory_category_count)
    line_category = np.concatenate(
        [rng.choice(categories, size=count, replace=False) for count in factory_category_count]
    )
    factory_daily = rng.lognormal(np.log(mean_daily_capacity), 0.5, size=factories)
    line_daily = factory_daily[line_factory] / factory_category_count[line_factory]
    # Free capacity: the calendar minus what is already booked, and a few closed days.
    booked_fraction = rng.beta(2, 3, size=(line_factory.size, days))
    open_day = rng.random((line_factory.size, days)) > 0.1
    capacity = np.floor(line_daily[:, None] * (1 - booked_fraction) * open_day).astype(np.int64)

    factory_location = rng.random((factories, 2))
    factory_price = rng.integers(0, 40, size=factories)
    line_min_order = rng.choice([30, 30, 30, 50, 100], size=line_factory.size).astype(np.int64)

    demand_category = rng.integers(0, categories, size=demands)
    demand_location = rng.random((demands, 2))
    demand_start = rng.choice([0, 0, 0, 1, 2, 3], size=demands).astype(np.int64)
    demand_ready_by = np.minimum(days - 1, demand_start + rng.integers(6, days, size=demands))
    raw_quantity = rng.lognormal(0.0, 0.8, size=demands)
    quantity = raw_quantity * (load * capacity.sum() / raw_quantity.sum())
    demand_quantity = np.maximum(30, np.round(quantity)).astype(np.int64)

    lines_by_category = [np.flatnonzero(line_category == c) for c in range(categories)]
    eligible_ptr = [0]
    eligible_line: list[np.ndarray] = []
    eligible_cost: list[np.ndarray] = []
    for j in range(demands):
        lines = lines_by_category[demand_category[j]]
        distance = np.linalg.norm(
            factory_location[line_factory[lines]] - demand_location[j], axis=1
        )
        count = min(lines.size, max(1, int(rng.normal(eligible_per_demand, 10))))
        nearest = np.argsort(distance, kind="stable")[:count]
        nearest = nearest[line_min_order[lines[nearest]] <= demand_quantity[j]]
        chosen = lines[nearest]
        eligible_line.append(chosen)
        eligible_cost.append(
            factory_price[line_factory[chosen]] + np.round(100 * distance[nearest])
        )
        eligible_ptr.append(eligible_ptr[-1] + chosen.size)
    return MatchingProblem(
        capacity=capacity,
        line_min_order=line_min_order,
        demand_quantity=demand_quantity,
        demand_start=demand_start,
        demand_ready_by=demand_ready_by,
        eligible_ptr=np.asarray(eligible_ptr, dtype=np.int64),
        eligible_line=np.concatenate(eligible_line).astype(np.int64),
        eligible_cost=np.concatenate(eligible_cost).astype(np.int64),
    )
