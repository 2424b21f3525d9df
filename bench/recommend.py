"""Benchmark: hit rate at 5 of the configurator's recommendations ("buyers who chose X also
chose Y") against "most popular", on demo-scale synthetic designs, in the same run.

    .venv/bin/python bench/recommend.py
    .venv/bin/python bench/recommend.py --designs 10000 --seed 7

In memory, through the same code the nightly task and the configurator use
(`customization.recommend`: `basket_from_selections`, `model_fit`, `recommend`,
`most_popular`) and the demo air conditioner's real option structure (22 functions, choose
6, two one-of-n groups, the requires / excludes rules). Designs come from four buyer
segments with realistic correlations: offices want connectivity and energy figures, homes
want heating and quiet, health-minded buyers want filtration, hot and humid markets want
cooling and drying; the inverter is popular everywhere, and every segment also picks some
functions at random. One design in ten was ordered (it counts twice, as in the task).

80% of the designs fit the model; for each held-out design, each of its 6 functions is hidden
in turn and the other choices (5 functions, colour, refrigerant) ask for 5 suggestions: a
hit when the hidden function is among them. The recommender must beat most-popular; the
script exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")

import django  # noqa: E402

django.setup()

from customization import recommend  # noqa: E402
from customization.demo_products import AIR_CONDITIONER  # noqa: E402

FUNCTIONS = "functions"
SEGMENTS = {
    # name: (share, favourite functions, colour preference)
    "office": (
        0.35,
        ["wifi", "energy-monitor", "timer", "eco-mode", "auto-restart", "voice-control"],
        "white",
    ),
    "home": (
        0.30,
        ["heating", "quiet-mode", "sleep-mode", "child-lock", "anti-mildew", "follow-me"],
        "graphite",
    ),
    "health": (
        0.15,
        ["pm25-filter", "uv-sterilization", "fresh-air", "self-cleaning", "anti-mildew"],
        "white",
    ),
    "tropical": (
        0.20,
        ["turbo-cooling", "dehumidify", "anti-mildew", "low-voltage-start", "airflow-3d"],
        "silver",
    ),
}


def _structure():
    groups = AIR_CONDITIONER["groups"]
    functions = next(group for group in groups if group["code"] == FUNCTIONS)
    codes = [option["code"] for option in functions["options"]]
    singles = {
        group["code"]: [option["code"] for option in group["options"]]
        for group in groups
        if group["kind"] == "single"
    }
    rules = [
        (source.split(".")[1], kind, target.split(".")[1])
        for source, kind, target in AIR_CONDITIONER["rules"]
    ]
    return codes, singles, rules


def _valid(chosen: set[str], rules) -> bool:
    for source, kind, target in rules:
        if source in chosen and (
            (kind == "requires" and target not in chosen)
            or (kind == "excludes" and target in chosen)
        ):
            return False
    return True


def synthetic_designs(count: int, rng: random.Random) -> list[tuple[dict, int]]:
    """(selections as a design stores them, weight) for `count` designs."""
    codes, singles, rules = _structure()
    names = list(SEGMENTS)
    shares = [SEGMENTS[name][0] for name in names]
    designs = []
    while len(designs) < count:
        _share, favourites, colour = SEGMENTS[rng.choices(names, shares)[0]]
        weights = [
            6.0 if code == "inverter" else 7.0 if code in favourites else 1.0 for code in codes
        ]
        chosen: set[str] = set()
        while len(chosen) < 6:
            chosen.add(rng.choices(codes, weights)[0])
        if not _valid(chosen, rules):
            continue
        options: dict = {FUNCTIONS: sorted(chosen)}
        for group_code, choices in singles.items():
            preferred = colour if colour in choices else choices[0]
            options[group_code] = preferred if rng.random() < 0.7 else rng.choice(choices)
        designs.append(({"options": options}, 2 if rng.random() < 0.1 else 1))
    return designs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--designs", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    _codes, singles, _rules = _structure()
    choice_groups = {FUNCTIONS, *singles}
    exclusive = set(singles)

    designs = synthetic_designs(args.designs, rng)
    rng.shuffle(designs)
    split = int(len(designs) * 0.8)
    train = [
        (recommend.basket_from_selections(selections, choice_groups), weight)
        for selections, weight in designs[:split]
    ]
    test = [
        recommend.basket_from_selections(selections, choice_groups)
        for selections, _weight in designs[split:]
    ]
    started = time.perf_counter()
    model = recommend.model_fit(train)
    fit_seconds = time.perf_counter() - started

    queries = hits = popular_hits = 0
    started = time.perf_counter()
    for basket in test:
        for hidden in sorted(key for key in basket if recommend.group_of(key) == FUNCTIONS):
            given = basket - {hidden}
            suggested = [
                key for key, _score in recommend.recommend(model, given, exclusive_groups=exclusive)
            ]
            popular = recommend.most_popular(model, given, exclusive_groups=exclusive)
            queries += 1
            hits += hidden in suggested
            popular_hits += hidden in popular
    query_seconds = time.perf_counter() - started

    rate, popular_rate = hits / queries, popular_hits / queries
    print(f"designs: {len(designs)} ({len(train)} fit, {len(test)} held out), seed {args.seed}")
    print(f"model: {len(model.item_counts)} options, {len(model.pair_counts)} pairs")
    print(f"fit: {fit_seconds * 1000:.1f} ms; {queries} queries: {query_seconds * 1000:.1f} ms")
    print(f"hit rate at 5, recommender ('also chose'): {rate:.3f}")
    print(f"hit rate at 5, most popular:               {popular_rate:.3f}")
    print(f"ratio recommender / most popular: {rate / popular_rate:.2f}x")
    if rate <= popular_rate:
        print("FAIL: the recommender does not beat most-popular")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
