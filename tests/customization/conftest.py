"""Fixtures: the three demo customizable products, set up through the services."""

from __future__ import annotations

import pytest

from catalog.demo import CATEGORY_TREE, TIERS
from catalog.selectors import category_by_slug
from catalog.services import (
    ProductInput,
    category_tree_ensure,
    product_create,
    product_price_tiers_set,
)
from customization.demo_products import AIR_CONDITIONER, CABINET, SUIT
from customization.selectors import customizable_product_get
from customization.services import customizable_product_setup
from marketplace.models import Organization
from tests.helpers import make_organization


def _customizable(slug: str, category: str, price: int, spec: dict, factory=None):
    category_tree_ensure(tree=CATEGORY_TREE)
    product = product_create(
        factory=factory,
        data=ProductInput(
            category=category_by_slug(slug=category),
            slug=slug,
            name=slug.replace("-", " ").title(),
            base_price_minor=price,
            min_order_quantity=30,
        ),
    )
    product_price_tiers_set(product=product, tiers=TIERS)
    customizable_product_setup(
        product=product, recipe=spec["recipe"], groups=spec["groups"], rules=spec["rules"]
    )
    return customizable_product_get(pk=product.pk)


@pytest.fixture
def air_conditioner(db):
    return _customizable("air-conditioner", "air-conditioners", 260_000, AIR_CONDITIONER)


@pytest.fixture
def suit(db):
    return _customizable("suit", "apparel", 128_000, SUIT)


@pytest.fixture
def cabinet(db):
    return _customizable("cabinet", "cabinets", 68_000, CABINET)


@pytest.fixture
def buyer(db):
    return make_organization(Organization.Kind.BUYER)


SIX_FUNCTIONS = ["inverter", "heating", "wifi", "self-cleaning", "pm25-filter", "timer"]
SUIT_BODY = {
    "neck": 40, "chest": 100, "waist": 86, "hip": 100, "shoulder": 46, "sleeve": 63,
    "bicep": 32, "wrist": 17, "jacket_length": 76, "back_width": 40, "front_width": 38,
    "armhole": 48, "trouser_waist": 86, "outseam": 104, "inseam": 80, "thigh": 60,
    "knee": 44, "hem": 38, "rise": 27,
}  # fmt: skip
SUIT_STYLE = {
    "fabric": "wool-navy", "lapel": "notch", "buttons": "two", "vents": "double",
    "trouser-pleats": "flat",
}  # fmt: skip
AIR_CONDITIONER_OPTIONS = {
    "functions": SIX_FUNCTIONS,
    "panel-colour": "white",
    "refrigerant": "r32",
}
CABINET_OPTIONS = {"material": "oak-veneer", "doors": "2", "shelves": "3", "handles": "steel-bar"}
CABINET_SIZE = {"width": 80, "height": 200, "depth": 45}
