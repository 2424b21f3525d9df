"""Item co-occurrence recommendations ("buyers who chose X also chose Y"), pure and in
memory: the refresh service stores what `model_fit` counts, the configurator reads the
stored counts, and `bench/recommend.py` scores held-out designs with the same functions.

An item is "group:option". A basket is the set of items of one saved design, counted once
more for every order made from it. The score of a candidate Y given the chosen items is
the sum over chosen X (with enough support) of P(Y | X) = together(X, Y) / count(X), over
the pairs that say something: Y is likelier with X than without (lift above 1; an option
everybody takes is no evidence). Ties go to the more popular item, and fewer than k
candidates are topped up with the most popular ones. Candidates are never already chosen,
nor a second option of a one-of-n group that already has one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

# "Enough data": an item counts as evidence only when this many baskets hold it, and a pair
# is suggested only when this many baskets hold both.
MIN_SUPPORT = 5
MIN_TOGETHER = 3


@dataclass
class CooccurrenceModel:
    baskets: int = 0
    item_counts: Counter[str] = field(default_factory=Counter)
    pair_counts: Counter[tuple[str, str]] = field(default_factory=Counter)


def item(group_code: str, option_code: str) -> str:
    return f"{group_code}:{option_code}"


def group_of(item_key: str) -> str:
    return item_key.split(":", 1)[0]


def basket_from_selections(selections: dict, choice_groups: set[str]) -> frozenset[str]:
    """The items of a design's stored selections (one-of-n and n-of-m groups only: texts
    and measurements are personal)."""
    items = set()
    for group_code, value in (selections.get("options") or {}).items():
        if group_code not in choice_groups:
            continue
        for code in value if isinstance(value, list) else [value]:
            items.add(item(group_code, str(code)))
    return frozenset(items)


def model_fit(baskets: Iterable[tuple[frozenset[str], int]]) -> CooccurrenceModel:
    """Count items and ordered pairs over (basket, weight) pairs."""
    model = CooccurrenceModel()
    for basket, weight in baskets:
        model.baskets += weight
        for key in basket:
            model.item_counts[key] += weight
        for first, second in combinations(sorted(basket), 2):
            model.pair_counts[(first, second)] += weight
            model.pair_counts[(second, first)] += weight
    return model


def informative(model: CooccurrenceModel, first: str, second: str, together: int) -> bool:
    """Enough data for "who chose `first` also chose `second`", and a lift above 1."""
    return (
        together >= MIN_TOGETHER
        and model.item_counts[first] >= MIN_SUPPORT
        and together * model.baskets > model.item_counts[first] * model.item_counts[second]
    )


def _allowed(candidate: str, chosen: frozenset[str], exclusive_groups: set[str]) -> bool:
    if candidate in chosen:
        return False
    group = group_of(candidate)
    return group not in exclusive_groups or all(group_of(key) != group for key in chosen)


def recommend(
    model: CooccurrenceModel,
    chosen: frozenset[str],
    *,
    exclusive_groups: set[str],
    k: int = 5,
) -> list[tuple[str, float]]:
    """Top `k` (item, score) by summed conditional probability over the chosen items."""
    scores: dict[str, float] = {}
    for (first, second), together in model.pair_counts.items():
        if first in chosen and informative(model, first, second, together):
            scores[second] = scores.get(second, 0.0) + together / model.item_counts[first]
    ranked = sorted(
        (
            (candidate, score)
            for candidate, score in scores.items()
            if _allowed(candidate, chosen, exclusive_groups)
        ),
        key=lambda pair: (-pair[1], -model.item_counts[pair[0]], pair[0]),
    )
    picked = ranked[:k]
    if len(picked) < k:
        taken = chosen | {key for key, _score in picked}
        fill = most_popular(model, taken, exclusive_groups=exclusive_groups, k=k - len(picked))
        picked += [(key, 0.0) for key in fill]
    return picked


def most_popular(
    model: CooccurrenceModel, chosen: frozenset[str], *, exclusive_groups: set[str], k: int = 5
) -> list[str]:
    """The baseline: the `k` most chosen items not yet chosen (and allowed)."""
    ranked = sorted(model.item_counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [key for key, _count in ranked if _allowed(key, chosen, exclusive_groups)][:k]
