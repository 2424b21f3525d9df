from __future__ import annotations

import functools
import time

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Greatest

from catalog.models import (
    FULL_PRICE_BASIS_POINTS,
    SEARCH_CONFIG,
    Category,
    PriceTier,
    Product,
    Solution,
    SolutionItem,
)
from marketplace.money import Money

# The category tree is small, shared by every tenant and changed only by operators, yet
# looked up on nearly every search and RFQ: it is cached whole in Redis and dropped on any
# change (catalog.apps connects the signals), so hot paths spend no SQL query on it.
CATEGORY_MAP_CACHE_KEY = "catalog:category-map:v1"
CATEGORY_MAP_TTL_SECONDS = 60 * 60
# Each process also keeps the map it last read for a few seconds: reading it from Redis (a
# round trip, and unpickling every category) cost a public search more CPU than validating
# the rest of its input. The process that changes a category drops its copy when the change
# commits; the others see the change within CATEGORY_MAP_LOCAL_SECONDS, and a slug their copy
# does not know is looked up again at once (a category created meanwhile is found).
CATEGORY_MAP_LOCAL_SECONDS = 10.0
_local_map: tuple[float, dict[str, Category]] | None = None
# A product whose name shares at least this much of its trigrams with a query word is a
# match even without a full-text hit (typos, partial words, Chinese without spaces).
TRIGRAM_THRESHOLD = 0.3


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("parent_id", "position", "name")


def category_leaves() -> QuerySet[Category]:
    return Category.objects.filter(children__isnull=True).order_by("name")


def _category_map(*, again: bool = False) -> dict[str, Category]:
    """The slug -> category map: this process's copy while it is fresh (unless `again`),
    else Redis's, else the database's."""
    global _local_map
    now = time.monotonic()
    held = _local_map
    if held is not None and held[0] > now and not again:
        return held[1]
    categories = cache.get(CATEGORY_MAP_CACHE_KEY)
    if categories is None:
        categories = {category.slug: category for category in Category.objects.all()}
        cache.set(CATEGORY_MAP_CACHE_KEY, categories, CATEGORY_MAP_TTL_SECONDS)
    _local_map = (now + CATEGORY_MAP_LOCAL_SECONDS, categories)
    return categories


def category_map_forget_local() -> None:
    """Drop this process's copy of the map (the next lookup reads Redis)."""
    global _local_map
    _local_map = None


def category_by_slug(*, slug: str) -> Category | None:
    found = _category_map().get(slug)
    if found is None:  # created since this process's copy was read?
        found = _category_map(again=True).get(slug)
    return found


def category_with_descendants(*, category: Category) -> list[int]:
    """The category's pk and every pk below it (the tree is read from the cached map)."""
    children: dict[int | None, list[int]] = {}
    for node in _category_map().values():
        children.setdefault(node.parent_id, []).append(node.pk)
    found, pending = [], [category.pk]
    while pending:
        pk = pending.pop()
        found.append(pk)
        pending.extend(children.get(pk, []))
    return found


def category_cache_invalidate(**_signal_arguments) -> None:
    """Drop the cached map once the change is committed: dropped before, a request reading
    in between would cache the old tree again for an hour."""
    transaction.on_commit(_category_cache_drop)


def _category_cache_drop() -> None:
    category_map_forget_local()
    cache.delete(CATEGORY_MAP_CACHE_KEY)


# --- products ----------------------------------------------------------------------------


def _product_base() -> QuerySet[Product]:
    return (
        Product.objects.published()
        .select_related("category", "factory")
        .prefetch_related("images", "price_tiers")
    )


def product_search(
    *,
    query: str = "",
    category: Category | None = None,
    factory_pk: int | None = None,
    customizable: bool | None = None,
) -> QuerySet[Product]:
    """Published products, best match first when there is a query.

    A product matches when its full-text vector (`simple` config: English, pinyin and any
    spaced words) matches the query, when a query word is close to a word of its English
    name (trigram word similarity: typos and prefixes), or when its Chinese name contains
    the query (the trigram index serves `icontains` for queries of 3+ characters)."""
    products = _product_base()
    if category is not None:
        products = products.filter(category_id__in=category_with_descendants(category=category))
    if factory_pk is not None:
        products = products.filter(factory_id=factory_pk)
    if customizable is not None:
        products = products.filter(is_customizable=customizable)
    query = query.strip()
    if not query:
        return products.order_by("name", "pk")
    text_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    matches = Q(search_vector=text_query) | Q(name_zh__icontains=query) | Q(name__icontains=query)
    products = products.annotate(rank=SearchRank(F("search_vector"), text_query))
    if not trigram_available():
        return products.filter(matches).order_by("-rank", "name", "pk")
    return (
        products.annotate(similarity=TrigramWordSimilarity(query, "name"))
        .filter(matches | Q(similarity__gte=TRIGRAM_THRESHOLD))
        .annotate(relevance=Greatest(F("rank"), F("similarity")))
        .order_by("-relevance", "name", "pk")
    )


@functools.cache
def trigram_available() -> bool:
    """Whether pg_trgm is installed (it is everywhere but in `make run`'s embedded
    PostgreSQL, which ships no contrib extensions; the migration skips it there)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


MAX_PK = 2**63 - 1


def product_get(*, pk: int) -> Product | None:
    if not 0 < pk <= MAX_PK:
        return None
    return _product_base().filter(pk=pk).first()


def product_tier_basis_points(*, product: Product, quantity: int) -> int:
    """The share of the full price paid per unit at `quantity` (prefetched tiers are used
    when present, so listing prices costs no query per product)."""
    best_quantity, best = 0, FULL_PRICE_BASIS_POINTS
    for tier in product.price_tiers.all():
        if best_quantity < tier.min_quantity <= quantity:
            best_quantity, best = tier.min_quantity, tier.basis_points
    return best


def price_at_tier(*, full_unit_price: Money, basis_points: int) -> Money:
    return full_unit_price.rounded_share(basis_points, FULL_PRICE_BASIS_POINTS)


def product_price_table(*, product: Product) -> list[dict]:
    """Unit price of the base configuration at each tier, for listings and detail pages."""
    rows = [{"min_quantity": product.min_order_quantity, "unit_price": product.base_price}]
    tiers: list[PriceTier] = sorted(product.price_tiers.all(), key=lambda tier: tier.min_quantity)
    for tier in tiers:
        price = price_at_tier(full_unit_price=product.base_price, basis_points=tier.basis_points)
        if tier.min_quantity <= product.min_order_quantity:
            rows[0]["unit_price"] = price
        else:
            rows.append({"min_quantity": tier.min_quantity, "unit_price": price})
    return rows


# --- solutions ---------------------------------------------------------------------------


def solution_list() -> QuerySet[Solution]:
    items = SolutionItem.objects.select_related("product", "product__category").order_by(
        "position", "pk"
    )
    return Solution.objects.filter(is_published=True).prefetch_related(
        Prefetch("items", queryset=items)
    )


def solution_get(*, slug: str) -> Solution | None:
    return solution_list().filter(slug=slug).first()
