"""The demo data: ~40 factories with calendars, idempotent, and searchable."""

from __future__ import annotations

import datetime

import pytest

from catalog import demo as catalog_demo
from catalog.models import Category
from factories import demo, selectors
from factories.models import CapacityDay, FactoryPhoto, FactoryProfile, ProductionLine
from marketplace import demo as marketplace_demo
from marketplace.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.date_sensitive]


def counts():
    return (
        FactoryProfile.objects.count(),
        CapacityDay.objects.count(),
        FactoryPhoto.objects.count(),
        ProductionLine.objects.count(),
    )


def test_demo_seed_is_complete_and_idempotent(today):
    marketplace_demo.seed()
    catalog_demo.seed()
    demo.seed()
    first = counts()
    demo.seed()
    assert counts() == first
    assert first[0] == 41
    assert Organization.objects.filter(kind="factory", verified=True).count() >= 37
    evergreen = Organization.objects.get(slug="ningbo-evergreen")
    # Shirts, knitwear and the bespoke suit (apparel), 30 days each.
    assert CapacityDay.objects.filter(organization=evergreen).count() == 90
    assert FactoryPhoto.objects.filter(organization=evergreen).count() == 2
    # Realistic gaps: closed days exist, and stale factories stop after a week.
    assert CapacityDay.objects.filter(units=0).exists()
    stale = Organization.objects.get(slug="demo-factory-11")
    assert CapacityDay.objects.filter(organization=stale).latest(
        "date"
    ).date < today + datetime.timedelta(days=7)
    shirts = Category.objects.get(slug="shirts")
    results = selectors.factory_search(
        category=shirts, quantity=200, ready_by=today + datetime.timedelta(days=14)
    )
    assert evergreen.pk in [result.factory.pk for result in results]
    assert len(results) >= 3
