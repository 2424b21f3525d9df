"""Recommendations for the configurator, recomputed by a task: popular configurations and
option co-occurrence ("buyers who chose X also chose Y") counted over every saved design,
once more for each order made from it (`customization.recommend` scores them). Each run
replaces a product's rows in one transaction, so running it twice leaves the same rows."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from customization import recommend
from customization.models import (
    CustomizableProduct,
    Design,
    OptionGroup,
    OptionPairStat,
    PopularConfiguration,
)
from orders.models import Order

CHOICE_KINDS = (OptionGroup.Kind.SINGLE, OptionGroup.Kind.MULTI)


@transaction.atomic
def recommendations_refresh(*, product_pk: int) -> tuple[int, int]:
    """Rewrite one product's popular configurations and option pairs; returns how many of
    each were stored (only those with enough data)."""
    product = (
        CustomizableProduct.objects.select_for_update()
        .prefetch_related("groups__options")
        .filter(pk=product_pk)
        .first()
    )
    if product is None:
        return (0, 0)
    choice_groups = {group.code for group in product.groups.all() if group.kind in CHOICE_KINDS}
    option_pks = {
        recommend.item(group.code, option.code): option.pk
        for group in product.groups.all()
        for option in group.options.all()
    }
    orders = dict(
        Order.objects.filter(design__product=product)
        .values("design_id")
        .annotate(n=Count("pk"))
        .values_list("design_id", "n")
    )
    baskets = []
    configurations: dict[str, tuple[dict, Counter[str]]] = {}
    for pk, key, selections in Design.objects.filter(product=product).values_list(
        "pk", "configuration_key", "selections"
    ):
        basket = recommend.basket_from_selections(selections, choice_groups)
        baskets.append((basket, 1 + orders.get(pk, 0)))
        options = {
            code: value
            for code, value in (selections.get("options") or {}).items()
            if code in choice_groups
        }
        counts = configurations.setdefault(key, (options, Counter()))[1]
        counts["designs"] += 1
        counts["orders"] += orders.get(pk, 0)
    model = recommend.model_fit(baskets)
    now = timezone.now()
    PopularConfiguration.objects.filter(product=product).delete()
    OptionPairStat.objects.filter(product=product).delete()
    popular = PopularConfiguration.objects.bulk_create(
        PopularConfiguration(
            product=product,
            configuration_key=key,
            options=options,
            designs=counts["designs"],
            orders=counts["orders"],
            computed_at=now,
        )
        for key, (options, counts) in configurations.items()
        if counts["designs"] + counts["orders"] >= recommend.MIN_TOGETHER
    )
    pairs = OptionPairStat.objects.bulk_create(
        OptionPairStat(
            product=product,
            option_id=option_pks[first],
            also_id=option_pks[second],
            together=together,
            support=model.item_counts[first],
            computed_at=now,
        )
        for (first, second), together in model.pair_counts.items()
        if recommend.informative(model, first, second, together)
        and first in option_pks
        and second in option_pks
    )
    return (len(popular), len(pairs))


def recommendation_product_pks() -> list[int]:
    return list(CustomizableProduct.objects.order_by("pk").values_list("pk", flat=True))
