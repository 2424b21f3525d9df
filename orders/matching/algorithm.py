"""Batch matching of production demand to factories' free capacity (pure NumPy, no Django).

The problem, the algorithm and its measured quality are written down in
docs/adr/0003-batch-matcher.md. In short: each demand goes to ONE factory line (a factory's
capacity for the demand's category) and may spread over that line's days between its start
and its ready-by day; nothing is ever scheduled after ready-by, so every assigned unit is on
time. The objective is lexicographic: most units on time, then least cost.

1. Greedy. Demands are taken by their latest start (ready-by minus quantity over twice a
   typical line's daily free units: big demands behave as if due earlier), and each takes
   the eligible line on which most of it fits; among those lines, the one
   left with least free capacity (best fit keeps roomy lines for big demands still to come)
   traded against cost by COST_WEIGHT. Days are filled as early as the demand's start allows.
2. Repair by ejection chains: a demand left short moves to one of its lines after demands
   already there move, each whole, to other lines of theirs (augmenting paths of length two
   in the demand/line graph), or to a line where more of it simply fits now.
3. Cost descent: demands move, whole, to cheaper eligible lines where they fit (directly or
   after the same kind of ejection) when the total cost falls; units never decrease here.

`match` runs this from one greedy order, or from seven on small instances, and keeps the most
units, then the least cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COST_WEIGHT = 4.0
EJECTION_LINES = 12
CHEAPEN_EJECTION_LINES = 3


@dataclass(frozen=True, slots=True)
class MatchingProblem:
    """Plain-array input. A *line* is one factory's capacity for one product category.

    capacity[line, day]: free units. Demand j needs demand_quantity[j] units produced on days
    demand_start[j]..demand_ready_by[j] (inclusive) at ONE of its eligible lines
    eligible_line[eligible_ptr[j]:eligible_ptr[j + 1]], costing eligible_cost[...] per unit.
    A line takes no assignment smaller than its line_min_order.
    """

    capacity: np.ndarray
    line_min_order: np.ndarray
    demand_quantity: np.ndarray
    demand_start: np.ndarray
    demand_ready_by: np.ndarray
    eligible_ptr: np.ndarray
    eligible_line: np.ndarray
    eligible_cost: np.ndarray

    @property
    def demand_count(self) -> int:
        return int(self.demand_quantity.size)

    @property
    def days(self) -> int:
        return int(self.capacity.shape[1])


@dataclass(frozen=True, slots=True)
class MatchingResult:
    demand_line: np.ndarray  # (demands,) chosen line, -1 when unmatched
    schedule: np.ndarray  # (demands, days) units produced per day for the demand
    demand_cost: np.ndarray  # (demands,) cost of the demand's assigned units

    @property
    def units(self) -> int:
        return int(self.schedule.sum())

    @property
    def cost(self) -> int:
        return int(self.demand_cost.sum())

    def demand_units(self) -> np.ndarray:
        return self.schedule.sum(axis=1)


# Greedy orders tried, best result kept. The first is the latest start day a demand could
# begin at twice a typical line's pace (ready_by - quantity / (2 x median daily free units)).
# Large instances run it alone: the other orders never won there (measured in the ADR).
GREEDY_ORDERS = ("latest_start_2",)
# Small instances (few demand/line pairs) are cheap to solve and lumpier, so more orders pay.
SMALL_INSTANCE_PAIRS = 100_000
SMALL_INSTANCE_ORDERS = (
    "deadline_then_largest",
    "largest",
    "window_then_largest",
    "latest_start_1",
    "latest_start_4",
    "deadline_then_smallest",
)


def match(
    problem: MatchingProblem,
    *,
    repair: bool = True,
    cost_descent: bool = True,
    orders: tuple[str, ...] | None = None,
) -> MatchingResult:
    """Run the three phases from each greedy order; keep the most units, then least cost."""
    if orders is None:
        orders = GREEDY_ORDERS
        if problem.eligible_line.size <= SMALL_INSTANCE_PAIRS:
            orders += SMALL_INSTANCE_ORDERS
    best: MatchingResult | None = None
    for order in orders:
        state = _State(problem)
        state.greedy(best_fit=True, order=order)
        if repair:
            state.repair()
        if cost_descent:
            state.descend_cost()
        result = state.result()
        if best is None or (result.units, -result.cost) > (best.units, -best.cost):
            best = result
    assert best is not None
    return best


def plain_greedy(problem: MatchingProblem) -> MatchingResult:
    """The baseline: earliest ready-by first, smallest first, line where most of it fits."""
    state = _State(problem)
    state.greedy(best_fit=False)
    return state.result()


@dataclass
class _Evictions:
    freed: int = 0
    log: list[tuple[int, int, np.ndarray]] = field(default_factory=list)

    def undo(self, state: _State) -> None:
        for demand, line, schedule in reversed(self.log):
            state.unplace(demand)
            state.restore(demand, line, schedule)


class _State:
    def __init__(self, problem: MatchingProblem) -> None:
        self.problem = problem
        self.remaining = problem.capacity.astype(np.int64, copy=True)
        self.demand_line = np.full(problem.demand_count, -1, dtype=np.int64)
        self.schedule = np.zeros((problem.demand_count, problem.days), dtype=np.int64)
        self.units = np.zeros(problem.demand_count, dtype=np.int64)
        self.demand_cost = np.zeros(problem.demand_count, dtype=np.int64)
        self.members: list[set[int]] = [set() for _ in range(self.remaining.shape[0])]

    # -- basic moves -------------------------------------------------------------------

    def candidates(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.problem.eligible_ptr[j], self.problem.eligible_ptr[j + 1]
        return self.problem.eligible_line[lo:hi], self.problem.eligible_cost[lo:hi]

    def unit_cost(self, j: int, line: int) -> int:
        lines, cost = self.candidates(j)
        return int(cost[lines == line][0])

    def window(self, j: int) -> slice:
        return slice(int(self.problem.demand_start[j]), int(self.problem.demand_ready_by[j]) + 1)

    def free_in_window(self, j: int, lines: np.ndarray) -> np.ndarray:
        return self.remaining[lines, self.window(j)].sum(axis=1)

    def usable(self, j: int, lines: np.ndarray, free: np.ndarray) -> np.ndarray:
        usable = np.minimum(free, self.problem.demand_quantity[j])
        usable[usable < self.problem.line_min_order[lines]] = 0
        return usable

    def place(self, j: int, line: int, units: int) -> None:
        window = self.window(j)
        row = self.remaining[line, window]
        before = np.cumsum(row) - row
        take = np.minimum(row, np.maximum(0, units - before))
        self.remaining[line, window] -= take
        self.schedule[j, window] = take
        self.demand_line[j] = line
        self.units[j] = take.sum()
        self.demand_cost[j] = self.units[j] * self.unit_cost(j, line)
        self.members[line].add(j)

    def unplace(self, j: int) -> None:
        line = self.demand_line[j]
        self.remaining[line] += self.schedule[j]
        self.schedule[j] = 0
        self.units[j] = 0
        self.demand_cost[j] = 0
        self.demand_line[j] = -1
        self.members[line].discard(j)

    # -- phase 1 -----------------------------------------------------------------------

    def greedy(self, *, best_fit: bool, order: str = "deadline_then_smallest") -> None:
        for j in self.greedy_order(order):
            lines, cost = self.candidates(j)
            if lines.size == 0:
                continue
            usable = self.usable(j, lines, self.free_in_window(j, lines))
            best = usable.max()
            if best == 0:
                continue
            tied = np.flatnonzero(usable == best)
            if best_fit:
                pick = tied[np.argmin(self.fit_score(lines[tied], cost[tied]))]
            else:
                pick = tied[np.argmin(cost[tied])]
            self.place(j, int(lines[pick]), int(best))

    def greedy_order(self, order: str) -> np.ndarray:
        problem = self.problem
        quantity, ready_by = problem.demand_quantity, problem.demand_ready_by
        if order.startswith("latest_start_"):
            daily = problem.capacity.mean(axis=1)
            pace = float(order.removeprefix("latest_start_")) * max(
                1.0, float(np.median(daily[daily > 0])) if (daily > 0).any() else 1.0
            )
            return np.lexsort((-quantity, ready_by - quantity / pace))
        keys = {
            "deadline_then_smallest": (quantity, ready_by),
            "deadline_then_largest": (-quantity, ready_by),
            "window_then_largest": (-quantity, ready_by - problem.demand_start),
            "largest": (ready_by, -quantity),
        }
        return np.lexsort(keys[order])

    def fit_score(self, lines: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Lower is better: little free capacity left on the line, then cheap.

        Both terms are scaled to the candidates' mean; COST_WEIGHT trades units for cost
        (measured in the ADR: 0 maximises units, larger weights lose units fast).
        """
        slack = self.remaining[lines].sum(axis=1)
        return slack / (slack.mean() + 1) + COST_WEIGHT * cost / (cost.mean() + 1)

    # -- phase 2 -----------------------------------------------------------------------

    def repair(self, rounds: int = 3) -> None:
        for _ in range(rounds):
            short = np.flatnonzero(self.units < self.problem.demand_quantity)
            short = short[np.argsort(self.units[short] - self.problem.demand_quantity[short])]
            improved = sum(self.improve(int(j)) for j in short)
            if not improved:
                return

    def improve(self, j: int) -> bool:
        """Move short demand j to a line where it gets more units, ejecting one demand."""
        lines, _ = self.candidates(j)
        if lines.size == 0:
            return False
        old_line, old_units = int(self.demand_line[j]), int(self.units[j])
        if old_line >= 0:
            old_schedule = self.schedule[j].copy()
            self.unplace(j)
        free = self.free_in_window(j, lines)
        usable = self.usable(j, lines, free)
        best = int(usable.max())
        quantity = int(self.problem.demand_quantity[j])
        if best < quantity and self.eject_for(j, lines, free, floor=max(best, old_units)):
            return True
        if best > old_units:
            self.place(j, int(lines[np.argmax(usable)]), best)
            return True
        if old_line >= 0:
            self.restore(j, old_line, old_schedule)
        return False

    def restore(self, j: int, line: int, schedule: np.ndarray) -> None:
        self.remaining[line] -= schedule
        self.schedule[j] = schedule
        self.units[j] = schedule.sum()
        self.demand_cost[j] = self.units[j] * self.unit_cost(j, line)
        self.demand_line[j] = line
        self.members[line].add(j)

    def eject_for(self, j: int, lines: np.ndarray, free: np.ndarray, floor: int) -> bool:
        """Give j more than `floor` units on one of its lines by moving demands already
        there, each whole, to other lines of theirs (an ejection chain)."""
        problem = self.problem
        quantity = int(problem.demand_quantity[j])
        window = self.window(j)
        potential = free + np.array(
            [self.schedule[list(self.members[line]), window].sum() for line in lines.tolist()]
        )
        for position in np.argsort(-potential, kind="stable")[:EJECTION_LINES]:
            if min(int(potential[position]), quantity) <= floor:
                break
            line = int(lines[position])
            moved = self.evict(line, window, need=quantity - int(free[position]))
            units = min(int(free[position]) + moved.freed, quantity)
            if units > floor and units >= problem.line_min_order[line]:
                self.place(j, line, units)
                return True
            moved.undo(self)
        return False

    def evict(self, line: int, window: slice, need: int) -> _Evictions:
        """Move demands off `line`, those using most of `window` first, until `need`
        units of the window are free or nobody else can move."""
        members = list(self.members[line])
        freed = self.schedule[members, window].sum(axis=1)
        evictions = _Evictions()
        for k in np.argsort(-freed, kind="stable"):
            if evictions.freed >= need or freed[k] == 0:
                break
            demand = members[k]
            target = self.relocation(demand, exclude=line)
            if target is None:
                continue
            evictions.log.append((demand, line, self.schedule[demand].copy()))
            units = int(self.units[demand])
            self.unplace(demand)
            self.place(demand, target, units)
            evictions.freed += int(freed[k])
        return evictions

    def relocation(self, demand: int, *, exclude: int) -> int | None:
        lines, cost = self.candidates(demand)
        free = self.free_in_window(demand, lines)
        units = self.units[demand]
        fits = (free >= units) & (self.problem.line_min_order[lines] <= units) & (lines != exclude)
        if not fits.any():
            return None
        options = np.flatnonzero(fits)
        return int(lines[options[np.argmin(cost[options])]])

    # -- phase 3 -----------------------------------------------------------------------

    def descend_cost(self, rounds: int = 2) -> None:
        for _ in range(rounds):
            moved = 0
            for j in np.flatnonzero(self.demand_line >= 0):
                moved += self.cheapen(int(j))
            if not moved:
                return

    def cheapen(self, j: int) -> bool:
        """Move j, whole, to a cheaper line: where it fits, or else where it fits once
        demands there move, whole, to other lines, if the total cost still falls."""
        lines, cost = self.candidates(j)
        current = int(self.demand_line[j])
        current_cost = int(cost[lines == current][0])
        units = int(self.units[j])
        cheaper = np.flatnonzero(
            (cost < current_cost) & (self.problem.line_min_order[lines] <= units)
        )
        if cheaper.size == 0:
            return False
        cheaper = cheaper[np.argsort(cost[cheaper], kind="stable")]
        free = self.free_in_window(j, lines[cheaper])
        fits = np.flatnonzero(free >= units)
        if fits.size:
            self.move(j, int(lines[cheaper[fits[0]]]), units)
            return True
        window = self.window(j)
        for k in range(min(CHEAPEN_EJECTION_LINES, cheaper.size)):
            line = int(lines[cheaper[k]])
            before = self.total_cost()
            evictions = self.evict(line, window, need=units - int(free[k]))
            if evictions.freed + free[k] >= units:
                old_schedule = self.schedule[j].copy()
                self.move(j, line, units)
                if self.total_cost() < before:
                    return True
                self.unplace(j)
                self.restore(j, current, old_schedule)
            evictions.undo(self)
        return False

    def move(self, j: int, line: int, units: int) -> None:
        self.unplace(j)
        self.place(j, line, units)

    def total_cost(self) -> int:
        return int(self.demand_cost.sum())

    def result(self) -> MatchingResult:
        return MatchingResult(
            demand_line=self.demand_line.copy(),
            schedule=self.schedule.copy(),
            demand_cost=self.demand_cost.copy(),
        )


def violations(problem: MatchingProblem, result: MatchingResult) -> list[str]:
    """Every broken hard constraint in `result`, as readable lines (empty when valid)."""
    found: list[str] = []
    lines, days = problem.capacity.shape
    used = np.zeros((lines, days), dtype=np.int64)
    day = np.arange(days)
    for j in range(problem.demand_count):
        line, units = int(result.demand_line[j]), result.schedule[j]
        if line < 0:
            if units.any():
                found.append(f"demand {j}: units scheduled without a line")
            continue
        eligible = problem.eligible_line[problem.eligible_ptr[j] : problem.eligible_ptr[j + 1]]
        if line not in eligible:
            found.append(f"demand {j}: line {line} is not eligible")
        outside = (day < problem.demand_start[j]) | (day > problem.demand_ready_by[j])
        if (units < 0).any() or units[outside].any():
            found.append(f"demand {j}: units outside its window or negative")
        total = int(units.sum())
        if total > problem.demand_quantity[j]:
            found.append(f"demand {j}: {total} units exceed its quantity")
        if total < problem.line_min_order[line]:
            found.append(f"demand {j}: {total} units are below line {line}'s minimum order")
        used[line] += units
    for line, day_index in zip(*np.nonzero(used > problem.capacity), strict=True):
        found.append(f"line {line} day {day_index}: overbooked")
    return found
