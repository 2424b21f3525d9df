"""Reads for customization. Other apps use these names (and `customization.services`)."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from customization.models import (
    CustomizableProduct,
    Design,
    DesignModule,
    Option,
    OptionGroup,
    OptionRule,
)
from marketplace.models import Organization

MAX_PK = 2**63 - 1
# A product's option structure is read on every keystroke of the configurator and every
# priced design; it changes rarely (customization.apps drops the entry on any change).
STRUCTURE_CACHE_KEY = "customization:product:{pk}:v1"
STRUCTURE_TTL_SECONDS = 10 * 60


def _structure_queryset() -> QuerySet[CustomizableProduct]:
    groups = OptionGroup.objects.order_by("position", "pk").prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("position", "pk"))
    )
    rules = OptionRule.objects.select_related("option__group", "target__group")
    return CustomizableProduct.objects.select_related(
        "product", "product__category", "product__factory"
    ).prefetch_related(
        Prefetch("groups", queryset=groups),
        Prefetch("rules", queryset=rules),
        "product__price_tiers",
        "product__images",
    )


def customizable_product_get(*, pk: int) -> CustomizableProduct | None:
    """A published customizable product with its groups, options, rules and price tiers
    (`pk` is the catalog product's id), from the cache when it can be."""
    if not 0 < pk <= MAX_PK:
        return None
    key = STRUCTURE_CACHE_KEY.format(pk=pk)
    product = cache.get(key)
    if product is None:
        product = _structure_queryset().filter(product_id=pk, product__is_published=True).first()
        if product is None:
            return None
        cache.set(key, product, STRUCTURE_TTL_SECONDS)
    return product


def customizable_product_cache_drop(*, product_pk: int) -> None:
    cache.delete(STRUCTURE_CACHE_KEY.format(pk=product_pk))


def customizable_products() -> QuerySet[CustomizableProduct]:
    return (
        CustomizableProduct.objects.filter(product__is_published=True)
        .select_related("product", "product__category")
        .prefetch_related("product__images")
        .order_by("product__name")
    )


def designs_for(*, organization: Organization) -> QuerySet[Design]:
    return (
        Design.objects.for_organization(organization)
        .select_related("product__product", "created_by")
        .order_by("-created_at", "-pk")
    )


def design_get(*, organization: Organization | None, pk: int) -> Design | None:
    """The organization's design, or None (missing and not yours are the same answer)."""
    if organization is None or not 0 < pk <= MAX_PK:
        return None
    modules = DesignModule.objects.order_by("position", "pk")
    return (
        Design.objects.for_organization(organization)
        .select_related("product__product__category", "created_by")
        .prefetch_related(Prefetch("modules", queryset=modules), "images")
        .filter(pk=pk)
        .first()
    )


def design_get_unchecked(*, pk: int) -> Design | None:
    """Any organization's design: for the factory quoting an RFQ made from it (the caller
    has checked the RFQ's access) and for tasks."""
    if not 0 < pk <= MAX_PK:
        return None
    modules = DesignModule.objects.order_by("position", "pk")
    return (
        Design.objects.select_related("product__product__category", "organization")
        .prefetch_related(Prefetch("modules", queryset=modules), "images")
        .filter(pk=pk)
        .first()
    )
