from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from catalog.models import Category

# The category tree is small, shared by every tenant and changed only by operators, yet
# looked up on nearly every search and RFQ: it is cached whole in Redis and dropped on any
# change (catalog.apps connects the signals), so hot paths spend no SQL query on it.
CATEGORY_MAP_CACHE_KEY = "catalog:category-map:v1"
CATEGORY_MAP_TTL_SECONDS = 60 * 60


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("parent_id", "position", "name")


def category_leaves() -> QuerySet[Category]:
    return Category.objects.filter(children__isnull=True).order_by("name")


def _category_map() -> dict[str, Category]:
    categories = cache.get(CATEGORY_MAP_CACHE_KEY)
    if categories is None:
        categories = {category.slug: category for category in Category.objects.all()}
        cache.set(CATEGORY_MAP_CACHE_KEY, categories, CATEGORY_MAP_TTL_SECONDS)
    return categories


def category_by_slug(*, slug: str) -> Category | None:
    return _category_map().get(slug)


def category_cache_invalidate(**_signal_arguments) -> None:
    """Drop the cached map once the change is committed: dropped before, a request reading
    in between would cache the old tree again for an hour."""
    transaction.on_commit(partial(cache.delete, CATEGORY_MAP_CACHE_KEY))
