"""GET /api/v1/products/ (full-text and trigram search, filters), /products/{id}/ and
/solutions/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog import demo
from catalog.models import Product
from marketplace.models import Organization
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    make_organization(Organization.Kind.FACTORY, name="Ningbo Evergreen Garments")
    Organization.objects.filter(name="Ningbo Evergreen Garments").update(slug="ningbo-evergreen")
    demo.seed()
    return {product.slug: product for product in Product.objects.all()}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_full_text_search_in_english(catalog):
    response = APIClient().get("/api/v1/products/", {"q": "denim jeans"})
    assert _names(response) == ["Selvedge denim jeans"]


def test_trigram_search_forgives_typos(catalog):
    response = APIClient().get("/api/v1/products/", {"q": "compresor"})
    assert _names(response) == ["Screw air compressor 7.5 kW"]


def test_chinese_search_matches_inside_words(catalog):
    assert _names(APIClient().get("/api/v1/products/", {"q": "空调"})) == [
        "Split air conditioner 3.5 kW"
    ]
    assert _names(APIClient().get("/api/v1/products/", {"q": "离心水泵"})) == [
        "Centrifugal water pump"
    ]


def test_category_filter_includes_children_and_factory_filter(catalog):
    apparel = _names(APIClient().get("/api/v1/products/", {"category": "apparel"}))
    assert apparel == ["Bespoke two-piece suit", "Oxford button-down shirt", "Selvedge denim jeans"]
    factory = Organization.objects.get(slug="ningbo-evergreen")
    by_factory = _names(APIClient().get("/api/v1/products/", {"factory": factory.pk}))
    assert by_factory == apparel


def test_bad_filters_are_400_naming_the_field(catalog):
    response = APIClient().get("/api/v1/products/", {"category": "nope", "factory": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"factory"}
    response = APIClient().get("/api/v1/products/", {"category": "nope"})
    assert response.json() == {"errors": {"category": ["Unknown category."]}}
    response = APIClient().get("/api/v1/products/", {"q": "x" * 201})
    assert set(response.json()["errors"]) == {"q"}


def test_list_shows_tier_prices_and_costs_constant_queries(catalog):
    with CaptureQueriesContext(connection) as captured:
        response = APIClient().get("/api/v1/products/")
    rows = response.json()["results"]
    assert response.json()["count"] == 8
    # count, rows, images, tiers: whatever the number of products.
    assert len(captured) == 4
    jeans = next(row for row in rows if row["slug"] == "selvedge-jeans")
    assert jeans["price_tiers"] == [
        {"min_quantity": 50, "unit_price": {"amount": "169.00", "currency": "CNY"}},
        {"min_quantity": 100, "unit_price": {"amount": "160.55", "currency": "CNY"}},
        {"min_quantity": 500, "unit_price": {"amount": "152.10", "currency": "CNY"}},
        {"min_quantity": 2000, "unit_price": {"amount": "143.65", "currency": "CNY"}},
    ]
    assert jeans["thumbnail_url"].endswith(".jpg")


def test_detail_and_missing_product(catalog):
    suit = catalog["bespoke-two-piece-suit"]
    body = APIClient().get(f"/api/v1/products/{suit.pk}/").json()
    assert body["specifications"][0] == {"name": "Lead time", "value": "7 days"}
    assert body["images"][0]["width"] == 640
    assert APIClient().get("/api/v1/products/999999/").status_code == 404
    assert APIClient().get(f"/api/v1/products/{2**70}/").status_code == 404


def test_solutions_list_products_with_roles(catalog):
    body = APIClient().get("/api/v1/solutions/").json()
    assert [row["slug"] for row in body["results"]] == [
        "office-hvac-200",
        "small-garment-workshop",
    ]
    hvac = body["results"][0]
    assert [(item["role"], item["quantity"]) for item in hvac["items"]] == [
        ("Indoor and outdoor units", 6),
        ("Condensate pump", 1),
    ]
    assert hvac["configuration"][0] == {"name": "Cooling load", "value": "35 kW"}
