import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Category
from catalog.selectors import CATEGORY_MAP_CACHE_KEY, category_by_slug

pytestmark = pytest.mark.django_db


def test_category_lookup_is_cached_and_follows_changes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        shirts = Category.objects.create(slug="shirts", name="Shirts")
    assert category_by_slug(slug="shirts") == shirts
    with CaptureQueriesContext(connection) as captured:
        assert category_by_slug(slug="shirts") == shirts
        assert category_by_slug(slug="missing") is None
    assert len(captured) == 0
    shirts.name = "Dress shirts"
    with django_capture_on_commit_callbacks(execute=True):
        shirts.save()
    assert category_by_slug(slug="shirts").name == "Dress shirts"
    with django_capture_on_commit_callbacks(execute=True):
        Category.objects.create(slug="jeans", name="Jeans")
    assert category_by_slug(slug="jeans").name == "Jeans"
    with django_capture_on_commit_callbacks(execute=True):
        shirts.delete()
    assert category_by_slug(slug="shirts") is None


@pytest.mark.django_db(transaction=True)
def test_the_cached_map_is_dropped_when_the_change_commits_not_before():
    shirts = Category.objects.create(slug="shirts", name="Shirts")
    assert category_by_slug(slug="shirts").name == "Shirts"
    with transaction.atomic():
        shirts.name = "Dress shirts"
        shirts.save()
        # Still cached: dropped now, a concurrent request would cache the old tree again.
        assert cache.get(CATEGORY_MAP_CACHE_KEY) is not None
    assert cache.get(CATEGORY_MAP_CACHE_KEY) is None
    assert category_by_slug(slug="shirts").name == "Dress shirts"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_keeps_the_cached_map():
    Category.objects.create(slug="shirts", name="Shirts")
    assert category_by_slug(slug="shirts").name == "Shirts"

    def delete_then_fail():
        with transaction.atomic():
            Category.objects.get(slug="shirts").delete()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert cache.get(CATEGORY_MAP_CACHE_KEY) is not None
    assert category_by_slug(slug="shirts").name == "Shirts"
