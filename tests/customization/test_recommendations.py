"""Recommendations: the nightly task counts saved designs (and the orders made from them)
into popular configurations and option pairs, and the configurator shows "buyers who chose
X also chose Y" and popular configurations only once there is enough data."""

from __future__ import annotations

import pytest
from django.test import Client

from customization import recommend, services
from customization.models import OptionPairStat, PopularConfiguration
from customization.tasks import recommendations_refresh_task
from marketplace.models import Organization
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db

# Office buyers take Wi-Fi with the energy monitor; home buyers take quiet mode and sleep.
OFFICE = ["inverter", "wifi", "energy-monitor", "timer", "eco-mode", "auto-restart"]
HOME = ["inverter", "heating", "quiet-mode", "sleep-mode", "child-lock", "anti-mildew"]


def _save(product, functions, count):
    organization, user = make_organization(Organization.Kind.BUYER)
    for number in range(count):
        services.design_create(
            organization=organization,
            acting_user=user,
            product=product,
            name=f"Design {number}",
            options={"functions": functions, "panel-colour": "white", "refrigerant": "r32"},
            measurements={},
            quantity=30,
        )


def _preview(product, functions):
    return (
        Client()
        .post(
            f"/configure/{product.product_id}/preview/",
            {
                "options.functions": functions,
                "options.panel-colour": "white",
                "options.refrigerant": "r32",
                "quantity": "30",
            },
        )
        .content.decode()
    )


def test_pure_scoring_follows_cooccurrence_not_popularity():
    baskets = [(frozenset({"f:a", "f:b"}), 1)] * 6 + [(frozenset({"f:c", "f:d"}), 1)] * 9
    model = recommend.model_fit(baskets)
    assert recommend.most_popular(model, frozenset({"f:a"}), exclusive_groups=set(), k=1) == ["f:c"]
    assert recommend.recommend(model, frozenset({"f:a"}), exclusive_groups=set(), k=1) == [
        ("f:b", 1.0)
    ]
    # Without evidence the list is topped up with the most popular.
    assert recommend.recommend(model, frozenset({"f:a"}), exclusive_groups=set(), k=2) == [
        ("f:b", 1.0),
        ("f:c", 0.0),
    ]
    # A one-of-n group that already has a choice gets no second suggestion.
    assert recommend.recommend(model, frozenset({"f:a"}), exclusive_groups={"f"}) == []


def test_task_counts_designs_and_the_configurator_suggests_what_goes_together(air_conditioner):
    _save(air_conditioner, OFFICE, 6)
    _save(air_conditioner, HOME, 8)
    assert "Buyers who chose this also chose" not in _preview(air_conditioner, OFFICE[:3])

    assert recommendations_refresh_task() >= 1
    popular = PopularConfiguration.objects.filter(product=air_conditioner)
    assert sorted(popular.values_list("designs", flat=True)) == [6, 8]
    pair = OptionPairStat.objects.get(option__code="wifi", also__code="energy-monitor")
    assert (pair.together, pair.support) == (6, 6)
    rows = sorted(OptionPairStat.objects.values_list("option_id", "also_id", "together"))
    recommendations_refresh_task()  # idempotent: the same rows again
    assert sorted(OptionPairStat.objects.values_list("option_id", "also_id", "together")) == rows

    html = _preview(air_conditioner, ["wifi", "energy-monitor"])
    card = html.split('id="suggestions"')[1].split("</div>")[0]
    suggested = [line.split("<li>")[1].split(":")[0] for line in card.split("\n") if "<li>" in line]
    assert "24 h timer" in suggested  # chosen by every office buyer
    assert "Inverter compressor" not in suggested  # everybody's: no evidence
    assert not set(suggested) & {"Quiet mode (19 dB)", "Heating (heat pump)"}  # never with Wi-Fi
    assert "Wi-Fi control" not in suggested  # already chosen
    assert "of the buyers who chose" in card
    assert 'id="popular"' in html
    assert "8 designs" in html


def test_too_little_data_shows_nothing(air_conditioner):
    _save(air_conditioner, OFFICE, 2)
    recommendations_refresh_task()
    assert not PopularConfiguration.objects.exists()
    assert not OptionPairStat.objects.exists()
    html = _preview(air_conditioner, OFFICE[:2])
    assert 'id="suggestions"' not in html
    assert 'id="popular"' not in html
