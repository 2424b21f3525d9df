"""Reads for customization. Other apps use these names (and `customization.services`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customization.massing_sql import BATCH_LINE_COUNTS_SQL, BATCH_LINES_SQL
from customization.models import (
    Campaign,
    CustomizableProduct,
    Design,
    DesignModule,
    LineRange,
    Option,
    OptionGroup,
    OptionPairStat,
    OptionRule,
    OrderModule,
    Pledge,
    PopularConfiguration,
    ProductionBatch,
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


# --- massing -----------------------------------------------------------------------------


def _covering_batch(batches: QuerySet[ProductionBatch] | None = None) -> Coalesce:
    """The batch, among `batches`, whose range covers the outer line (ADR 0007): the
    range the batch was opened for, or one of its `LineRange` rows."""
    opened = ProductionBatch.objects.filter(
        organization_id=OuterRef("organization_id"),
        signature=OuterRef("signature"),
        first_line__lte=OuterRef("pk"),
        last_line__gte=OuterRef("pk"),
        start_from__lte=OuterRef("window_start"),
        start_to__gte=OuterRef("window_start"),
        day__lte=OuterRef("window_end"),
    )
    ranges = LineRange.objects.filter(
        batch__organization_id=OuterRef("organization_id"),
        batch__signature=OuterRef("signature"),
        first_line__lte=OuterRef("pk"),
        last_line__gte=OuterRef("pk"),
        start_from__lte=OuterRef("window_start"),
        start_to__gte=OuterRef("window_start"),
        end_from__lte=OuterRef("window_end"),
        end_to__gte=OuterRef("window_end"),
    )
    if batches is not None:
        opened = opened.filter(pk__in=batches)
        ranges = ranges.filter(batch__in=batches)
    return Coalesce(
        Subquery(opened.values("pk")[:1]),
        Subquery(ranges.values("batch_id")[:1]),
        output_field=BigIntegerField(),
    )


def open_module_lines(*, organization: Organization) -> QuerySet[OrderModule]:
    """The factory's open module lines, each annotated with its batch id (None until
    massing places it)."""
    return (
        OrderModule.objects.for_organization(organization)
        .filter(is_open=True)
        .annotate(batch_id=_covering_batch())
    )


@dataclass
class BatchSheet:
    batch: ProductionBatch
    lines: list[OrderModule]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def name(self) -> str:
        return self.lines[0].name if self.lines else self.batch.signature[:12]

    @property
    def attributes(self) -> dict:
        return self.lines[0].attributes if self.lines else {}


def batch_sheets(*, organization: Organization, day: datetime.date) -> list[BatchSheet]:
    """The day's batches with their open lines (three queries whatever the number of
    lines: the lines are found from the batches' ranges, not range by line); a batch
    whose orders all left production has no sheet."""
    batches = list(
        ProductionBatch.objects.for_organization(organization).filter(day=day).order_by("signature")
    )
    if not batches:
        return []
    with connection.cursor() as cursor:
        cursor.execute(BATCH_LINES_SQL, {"batches": [batch.pk for batch in batches]})
        batch_of: dict[int, int] = dict(cursor.fetchall())
    lines: dict[int, list[OrderModule]] = {batch.pk: [] for batch in batches}
    for line in (
        OrderModule.objects.for_organization(organization)
        .filter(pk__in=list(batch_of))
        .order_by("order_id", "pk")
    ):
        lines[batch_of[line.pk]].append(line)
    sheets = [
        BatchSheet(batch=batch, lines=lines[batch.pk]) for batch in batches if lines[batch.pk]
    ]
    return sorted(sheets, key=lambda sheet: sheet.name)


@dataclass(frozen=True)
class MassingSummary:
    lines: int  # setups without batching: every order's module on its own
    batched_lines: int
    waiting_lines: int  # lines (or the rest of a split line) no day has had room for yet
    batches: int  # setups after batching
    days: list[dict]  # date, lines, batches (for the chart)

    @property
    def unbatched_lines(self) -> int:
        return self.waiting_lines

    @property
    def setups_saved_ratio(self) -> float | None:
        return round(self.lines / self.batches, 2) if self.batches else None


def massing_summary(
    *, organization: Organization, today: datetime.date | None = None
) -> MassingSummary:
    """Setups before (an order's module, however massing split it) and after batching
    (batches with open lines), and the batches per day (three queries), for the lines
    whose window has not ended."""
    today = today or timezone.localdate()
    lines = OrderModule.objects.for_organization(organization).filter(
        is_open=True, window_end__gte=today
    )
    with connection.cursor() as cursor:
        cursor.execute(BATCH_LINE_COUNTS_SQL, {"factory": organization.pk, "today": today})
        counts = cursor.fetchall()
    days: dict[datetime.date, dict] = {}
    for _pk, day, count in counts:
        entry = days.setdefault(day, {"date": day, "lines": 0, "batches": 0})
        entry["lines"] += count
        entry["batches"] += 1
    batched = sum(count for _pk, _day, count in counts)
    return MassingSummary(
        lines=lines.values("order_id", "signature").distinct().count(),
        batched_lines=batched,
        # A line is in one batch at most (ADR 0007): the others wait.
        waiting_lines=lines.count() - batched,
        batches=len(counts),
        days=[days[day] for day in sorted(days)],
    )


# --- campaigns -----------------------------------------------------------------------------


def campaigns_list(*, status: str | None = None) -> QuerySet[Campaign]:
    """Campaigns are public offers: every signed-in organization sees them."""
    queryset = Campaign.objects.select_related(
        "organization", "factory", "design__product__product"
    ).order_by("status", "deadline", "pk")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def factory_get(*, pk: int) -> Organization | None:
    """A factory organization a campaign can name (None when there is no such factory)."""
    if not 0 < pk <= MAX_PK:
        return None
    return Organization.objects.filter(pk=pk, kind=Organization.Kind.FACTORY).first()


def campaign_get(*, pk: int) -> Campaign | None:
    if not 0 < pk <= MAX_PK:
        return None
    return campaigns_list().filter(pk=pk).first()


def pledges_for(*, organization: Organization, campaign: Campaign | None = None):
    queryset = Pledge.objects.for_organization(organization).order_by("-created_at", "-pk")
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    return queryset


@dataclass(frozen=True)
class Suggestion:
    option: Option
    because: Option
    together: int
    support: int

    @property
    def percent(self) -> int:
        return round(100 * self.together / self.support)


def popular_configurations(*, product: CustomizableProduct, limit: int = 3) -> list[dict]:
    """The most saved configurations (enough data only: the task stores no others), with
    their option names resolved from the product's cached structure."""
    names = {
        (group.code, option.code): option.name
        for group in product.groups.all()
        for option in group.options.all()
    }
    rows = PopularConfiguration.objects.filter(product=product).order_by(
        "-designs", "-orders", "configuration_key"
    )[:limit]
    configurations = []
    for row in rows:
        labels = [
            names.get((group_code, str(code)), str(code))
            for group_code, value in row.options.items()
            for code in (value if isinstance(value, list) else [value])
        ]
        configurations.append({"labels": labels, "designs": row.designs, "orders": row.orders})
    return configurations


def option_suggestions(
    *, product: CustomizableProduct, options: dict, limit: int = 5
) -> list[Suggestion]:
    """Buyers who chose X also chose Y, for the options chosen so far (`options` as
    submitted: group code to a code or a list of codes; a partial, not yet valid choice
    counts too): the stored pairs ranked by summed P(Y | X) (`customization.recommend`), one
    query, none for a one-of-n group that already has a choice."""
    by_code = {
        (group.code, option.code): option.pk
        for group in product.groups.all()
        for option in group.options.all()
    }
    chosen_pks = {
        by_code[(group_code, code)]
        for group_code, value in options.items()
        for code in (value if isinstance(value, list) else [value])
        if isinstance(code, str) and (group_code, code) in by_code
    }
    if not chosen_pks:
        return []
    by_pk = {
        option.pk: (group, option)
        for group in product.groups.all()
        for option in group.options.all()
    }
    taken_groups = {by_pk[pk][0].code for pk in chosen_pks if pk in by_pk}
    scores: dict[int, float] = {}
    best: dict[int, OptionPairStat] = {}
    for pair in OptionPairStat.objects.filter(product=product, option_id__in=chosen_pks):
        if pair.also_id in chosen_pks or pair.also_id not in by_pk:
            continue
        group = by_pk[pair.also_id][0]
        if group.kind == OptionGroup.Kind.SINGLE and group.code in taken_groups:
            continue
        scores[pair.also_id] = scores.get(pair.also_id, 0.0) + pair.together / pair.support
        if pair.also_id not in best or pair.together / pair.support > (
            best[pair.also_id].together / best[pair.also_id].support
        ):
            best[pair.also_id] = pair
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))[:limit]
    return [
        Suggestion(
            option=by_pk[pk][1],
            because=by_pk[best[pk].option_id][1],
            together=best[pk].together,
            support=best[pk].support,
        )
        for pk in ranked
    ]
