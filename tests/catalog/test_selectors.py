import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category
from catalog.selectors import category_by_slug

pytestmark = pytest.mark.django_db


def test_category_lookup_is_cached_and_follows_changes():
    shirts = Category.objects.create(slug="shirts", name="Shirts")
    assert category_by_slug(slug="shirts") == shirts
    with CaptureQueriesContext(connection) as captured:
        assert category_by_slug(slug="shirts") == shirts
        assert category_by_slug(slug="missing") is None
    assert len(captured) == 0
    shirts.name = "Dress shirts"
    shirts.save()
    assert category_by_slug(slug="shirts").name == "Dress shirts"
    Category.objects.create(slug="jeans", name="Jeans")
    assert category_by_slug(slug="jeans").name == "Jeans"
    shirts.delete()
    assert category_by_slug(slug="shirts") is None
