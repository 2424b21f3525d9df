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


def test_each_process_keeps_its_copy_a_few_seconds_and_finds_new_slugs_at_once(monkeypatch):
    """Another process's change reaches this one as the dropped Redis key (its commit's
    `category_cache_invalidate`): a slug this process's copy does not know is looked up
    again at once; a changed category shows once the copy is older than
    CATEGORY_MAP_LOCAL_SECONDS."""
    from catalog import selectors

    shirts = Category.objects.create(slug="shirts", name="Shirts")
    assert category_by_slug(slug="shirts") == shirts
    # Elsewhere: a rename and a new category, written without this process's signals.
    Category.objects.filter(pk=shirts.pk).update(name="Dress shirts")
    Category.objects.bulk_create([Category(slug="jeans", name="Jeans")])
    cache.delete(CATEGORY_MAP_CACHE_KEY)
    assert category_by_slug(slug="jeans").name == "Jeans"
    assert category_by_slug(slug="shirts").name == "Dress shirts"  # read again with jeans

    Category.objects.filter(pk=shirts.pk).update(name="Oxford shirts")
    cache.delete(CATEGORY_MAP_CACHE_KEY)
    with CaptureQueriesContext(connection) as captured:
        assert category_by_slug(slug="shirts").name == "Dress shirts"  # this copy, for now
    assert len(captured) == 0
    later = selectors.time.monotonic() + selectors.CATEGORY_MAP_LOCAL_SECONDS + 1
    monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
    assert category_by_slug(slug="shirts").name == "Oxford shirts"
