"""The exact optimum the matcher is measured against, by the tests and `bench/matching.py`.

It solves the *splittable* relaxation as one min-cost max-flow: a demand may spread over
several factories. The matcher gives each demand one factory, so this is an upper bound on
what any single-factory assignment can reach (see docs/adr/0003-batch-matcher.md).

Graph: source -> demand (capacity = quantity) -> window node -> day node -> sink (capacity =
free units that day). A demand's time window [start, ready_by] is reached through one arc
per eligible line: for every line and every distinct start day s there is a chain of window
nodes W(s, d), d >= s, with W(s, d) -> W(s, d-1) and W(s, d) -> day d, so entering W(s, r)
reaches exactly the days s..r. That keeps the graph at one arc per (demand, eligible line).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from orders.matching.algorithm import MatchingProblem


@dataclass(frozen=True, slots=True)
class FlowOptimum:
    units: int
    cost: int
    arcs: int
    demand_line_units: dict[tuple[int, int], int]  # (demand, line) -> units, flow > 0 only


def splittable_optimum(problem: MatchingProblem) -> FlowOptimum:
    lines, days = problem.capacity.shape
    demands = problem.demand_quantity.size
    starts = np.unique(problem.demand_start)
    start_index = np.searchsorted(starts, problem.demand_start)
    source, sink = 0, 1
    demand_node = 2 + np.arange(demands)
    day_base = 2 + demands
    window_base = day_base + lines * days

    def day_node(line, day):
        return day_base + line * days + day

    def window_node(line, start_position, day):
        return window_base + (line * starts.size + start_position) * days + day

    tails, heads, capacities, costs = [], [], [], []

    def add(tail, head, capacity, cost):
        tails.append(np.asarray(tail, dtype=np.int64).ravel())
        heads.append(np.asarray(head, dtype=np.int64).ravel())
        capacities.append(
            np.broadcast_to(np.asarray(capacity).ravel(), tails[-1].shape).astype(np.int64)
        )
        costs.append(np.broadcast_to(np.asarray(cost).ravel(), tails[-1].shape).astype(np.int64))

    add(np.full(demands, source), demand_node, problem.demand_quantity, 0)
    line_grid, day_grid = np.meshgrid(np.arange(lines), np.arange(days), indexing="ij")
    add(day_node(line_grid, day_grid), np.full(line_grid.size, sink), problem.capacity, 0)
    unlimited = int(problem.demand_quantity.sum())
    for position, start in enumerate(starts):
        line_part, day_part = line_grid[:, start:], day_grid[:, start:]
        add(window_node(line_part, position, day_part), day_node(line_part, day_part), unlimited, 0)
        line_part, day_part = line_grid[:, start + 1 :], day_grid[:, start + 1 :]
        add(
            window_node(line_part, position, day_part),
            window_node(line_part, position, day_part - 1),
            unlimited,
            0,
        )
    per_demand = np.diff(problem.eligible_ptr)
    demand_of_arc = np.repeat(np.arange(demands), per_demand)
    first_demand_arc = sum(t.size for t in tails)
    add(
        demand_node[demand_of_arc],
        window_node(
            problem.eligible_line,
            start_index[demand_of_arc],
            problem.demand_ready_by[demand_of_arc],
        ),
        problem.demand_quantity[demand_of_arc],
        problem.eligible_cost,
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails),
        np.concatenate(heads),
        np.concatenate(capacities),
        np.concatenate(costs),
    )
    solver.set_node_supply(source, unlimited)
    solver.set_node_supply(sink, -unlimited)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    arc_count = solver.num_arcs()
    demand_arcs = np.arange(first_demand_arc, first_demand_arc + problem.eligible_line.size)
    flows = solver.flows(demand_arcs)
    used = np.flatnonzero(flows)
    return FlowOptimum(
        units=int(solver.maximum_flow()),
        cost=int(solver.optimal_cost()),
        arcs=arc_count,
        demand_line_units={
            (int(demand_of_arc[a]), int(problem.eligible_line[a])): int(flows[a]) for a in used
        },
    )
