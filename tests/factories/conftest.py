"""Fixtures for the factories tests: categories, a verified factory with a profile and a
published calendar, all set up through the services."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from catalog.models import Category
from factories import services
from marketplace.models import Organization
from tests.helpers import make_organization

_sequence = itertools.count(1)


def make_category(slug: str | None = None) -> Category:
    slug = slug or f"category-{next(_sequence)}"
    category, _created = Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    return category


def make_factory(
    categories: list[Category],
    *,
    verified: bool = True,
    units: int | None = None,
    days: int = 30,
    **profile_fields,
) -> tuple[Organization, object]:
    """A factory organization with a complete profile; `units` publishes `days` days."""
    organization, owner = make_organization(Organization.Kind.FACTORY, verified=verified)
    profile_fields.setdefault("description", "We sew shirts.")
    if "region" not in profile_fields:
        profile_fields.setdefault("region", "Zhejiang")
        profile_fields.setdefault("city", "Ningbo")
    services.factory_profile_update(
        organization=organization, categories=categories, **profile_fields
    )
    if units is not None:
        today = timezone.localdate()
        for category in categories:
            services.capacity_fill_range(
                organization=organization,
                category=category,
                start=today,
                end=today + datetime.timedelta(days=days - 1),
                units=units,
            )
    return organization, owner


@pytest.fixture
def category():
    return make_category("shirts")


@pytest.fixture
def today():
    return timezone.localdate()
