"""Content kept in two languages is shown in the reader's: the catalog pages in Chinese."""

from __future__ import annotations

import pytest

from catalog import demo
from catalog.models import Product
from marketplace.models import Organization
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    make_organization(Organization.Kind.FACTORY, name="Ningbo Evergreen Garments")
    Organization.objects.filter(name="Ningbo Evergreen Garments").update(slug="ningbo-evergreen")
    demo.seed()
    return Product.objects.select_related("category").exclude(name_zh="").first()


def test_product_and_category_names_follow_the_readers_language(client, product):
    english = client.get(f"/products/{product.pk}/").content.decode()
    assert f"<h1>{product.name}</h1>" in english
    assert product.category.name in english

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get(f"/products/{product.pk}/").content.decode()
    assert f"<h1>{product.name_zh}</h1>" in chinese
    assert product.category.name_zh in chinese
    assert product.category.name not in chinese


def test_a_row_without_a_chinese_name_falls_back_to_english(client, product):
    product.name_zh = ""
    product.save(update_fields=["name_zh"])
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert f"<h1>{product.name}</h1>" in client.get(f"/products/{product.pk}/").content.decode()
