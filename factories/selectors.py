"""Reads for factories: profiles, the calendar, capacity plans, search, reservations.

Search is ranked by the score documented in docs/adr/0002-factory-search-score.md.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Prefetch, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Category
from factories import certifications as schemes
from factories import regions
from factories.models import (
    CAPACITY_LINE_INDEXED_HORIZONS,
    CAPACITY_WINDOW_DAYS,
    AuditEvidence,
    AuditSubmission,
    CapacityDay,
    CapacityLine,
    Certification,
    Equipment,
    FactoryPerformance,
    FactoryPhoto,
    FactoryProfile,
    FavouriteFactory,
    ProductionLine,
    Reservation,
)
from marketplace.exceptions import NotFoundError
from marketplace.models import Organization, User
from marketplace.prepared import fetchall_prepared, fetchone_prepared
from marketplace.tenancy import TenantModel, get_for_organization_or_404

# The search score (ADR 0002). Weights sum to 1; unknown figures take a neutral prior so a
# new factory is neither buried nor favoured.
SCORE_WEIGHTS = {"fit": 0.35, "price": 0.10, "on_time": 0.25, "rating": 0.15, "response": 0.15}
PRIOR_ON_TIME_RATE = 0.7
PRIOR_RATING = 3.0
PRIOR_RESPONSE_HOURS = 24.0


def window_dates(start: datetime.date | None = None) -> list[datetime.date]:
    start = start or timezone.localdate()
    return [start + datetime.timedelta(days=offset) for offset in range(CAPACITY_WINDOW_DAYS)]


# --- profiles ----------------------------------------------------------------------------


def factory_profile_for(*, organization: Organization) -> FactoryProfile | None:
    return (
        FactoryProfile.objects.select_related("organization")
        .prefetch_related("categories")
        .filter(organization=organization)
        .first()
    )


def factory_profile_get(*, organization: Organization) -> FactoryProfile:
    """A factory's own profile (created with the organization); anything else is a 404."""
    profile = factory_profile_for(organization=organization)
    if profile is None or organization.kind != Organization.Kind.FACTORY:
        raise NotFoundError(_("This page is for factories."))
    return profile


def factory_is_verified(*, factory: Organization) -> bool:
    """Only verified factories are matched to RFQs; read fresh from the database."""
    return Organization.objects.filter(
        pk=factory.pk, kind=Organization.Kind.FACTORY, verified=True
    ).exists()


def factory_public_list(
    *, category: Category | None = None, region: str = "", verified: bool | None = None
) -> QuerySet[FactoryProfile]:
    profiles = (
        FactoryProfile.objects.filter(organization__kind=Organization.Kind.FACTORY)
        .select_related("organization", "organization__factory_performance")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("slug")))
        .order_by("-organization__verified", "organization__name")
    )
    if category is not None:
        profiles = profiles.filter(categories=category)
    if region:
        place = regions.place_resolve(region)
        if place is None:
            profiles = profiles.filter(
                models.Q(region__icontains=region.strip())
                | models.Q(city__icontains=region.strip())
            )
        else:
            profiles = profiles.filter(region=place.province.name)
            if place.city is not None and place.city.name != place.province.name:
                profiles = profiles.filter(city=place.city.name)
    if verified is not None:
        profiles = profiles.filter(organization__verified=verified)
    return profiles


def factory_visible_get(*, pk: int, viewer: Organization | None) -> FactoryProfile:
    """The virtual factory `pk` as `viewer` (None: anonymous) may see it, for the page and
    the API alike: audited factories are public; an unaudited one only to itself, so it
    can preview its page. Anything else is the same 404 as a missing one."""
    profile = factory_public_list().filter(organization_id=pk).first()
    if profile is None:
        raise NotFoundError(_("Not found."))
    if not profile.organization.verified and (viewer is None or viewer.pk != pk):
        raise NotFoundError(_("Not found."))
    return profile


# --- favourites --------------------------------------------------------------------------


def favourite_factory_ids(*, organization: Organization | None) -> set[int]:
    """The factories on a buyer's list (empty for anyone else): one query."""
    if organization is None or organization.kind != Organization.Kind.BUYER:
        return set()
    return set(
        FavouriteFactory.objects.for_organization(organization).values_list("factory_id", flat=True)
    )


def favourite_profiles(*, organization: Organization) -> QuerySet[FactoryProfile]:
    """The buyer's favourite factories that are still audited, most recently added first."""
    favourites = FavouriteFactory.objects.for_organization(organization)
    return (
        factory_public_list(verified=True)
        .filter(organization__in=favourites.values("factory"))
        .order_by("organization__name")
    )


@dataclass
class FactoryShowcase:
    """Everything the public "virtual factory" page and detail API show."""

    profile: FactoryProfile
    photos: list[FactoryPhoto]
    lines: list[ProductionLine]
    equipment: list[Equipment]
    certifications: list[Certification]
    performance: FactoryPerformance | None
    capacity: list[dict] = field(default_factory=list)


def factory_showcase(*, profile: FactoryProfile) -> FactoryShowcase:
    organization = profile.organization
    return FactoryShowcase(
        profile=profile,
        photos=list(FactoryPhoto.objects.for_organization(organization)),
        lines=list(
            ProductionLine.objects.for_organization(organization).select_related("category")
        ),
        equipment=list(Equipment.objects.for_organization(organization)),
        certifications=list(Certification.objects.for_organization(organization)),
        performance=FactoryPerformance.objects.filter(organization=organization).first(),
        capacity=capacity_summary(organization=organization),
    )


def profile_items(*, organization: Organization, model: type[TenantModel]) -> QuerySet:
    items = model.objects.for_organization(organization)  # type: ignore[attr-defined]
    if model is ProductionLine:
        items = items.select_related("category")  # type: ignore[misc]
    return items


def audit_history(*, organization: Organization) -> QuerySet[AuditSubmission]:
    return (
        AuditSubmission.objects.for_organization(organization)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related("evidence")
    )


def audit_submission_get(*, organization: Organization, pk: int) -> AuditSubmission:
    return get_for_organization_or_404(
        AuditSubmission.objects.prefetch_related("evidence"), organization, pk=pk
    )


def audit_evidence_get(*, user: User, organization: Organization | None, pk: int) -> AuditEvidence:
    """An evidence file as `user`, acting for `organization` (or for none), may open it:
    operators (staff) reviewing audits open any; a factory's members their own; anyone
    else gets the same 404 as for a missing one."""
    if user.is_staff:
        evidence = AuditEvidence.objects.filter(pk=pk).first()
        if evidence is None:
            raise NotFoundError(_("Not found."))
        return evidence
    return get_for_organization_or_404(AuditEvidence.objects.all(), organization, pk=pk)


# --- calendar ----------------------------------------------------------------------------


def capacity_calendar(
    *,
    organization: Organization,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    category: Category | None = None,
) -> QuerySet[CapacityDay]:
    dates = window_dates()
    cells = CapacityDay.objects.for_organization(organization).filter(
        date__gte=start or dates[0], date__lte=end or dates[-1]
    )
    if category is not None:
        cells = cells.filter(category=category)
    return cells.select_related("category").order_by("date", "category__slug")


@dataclass
class CalendarRow:
    category: Category
    cells: list[dict]


def capacity_grid(*, organization: Organization) -> tuple[list[datetime.date], list[CalendarRow]]:
    """The window as rows (one per category made) of cells with units/held/booked/free."""
    dates = window_dates()
    profile = factory_profile_for(organization=organization)
    categories = list(profile.categories.all()) if profile else []
    found = {
        (cell.category_id, cell.date): cell for cell in capacity_calendar(organization=organization)
    }
    rows = []
    for category in sorted(categories, key=lambda item: item.name):
        cells = []
        for day in dates:
            cell = found.get((category.pk, day))
            cells.append(
                {
                    "date": day,
                    "published": cell is not None,
                    "units": cell.units if cell else None,
                    "held": cell.held if cell else 0,
                    "booked": cell.booked if cell else 0,
                    "free": cell.free if cell else 0,
                    "closed": cell is not None and cell.units == 0,
                }
            )
        rows.append(CalendarRow(category=category, cells=cells))
    return dates, rows


def capacity_summary(*, organization: Organization) -> list[dict]:
    """Per day over the window, summed over categories: units, held, booked, free."""
    dates = window_dates()
    totals = {day: {"date": day, "units": 0, "held": 0, "booked": 0, "free": 0} for day in dates}
    rows = (
        CapacityDay.objects.for_organization(organization)
        .filter(date__gte=dates[0], date__lte=dates[-1])
        .values("date")
        .annotate(units=Sum("units"), held=Sum("held"), booked=Sum("booked"))
    )
    for row in rows:
        total = totals[row["date"]]
        total.update(units=row["units"], held=row["held"], booked=row["booked"])
        total["free"] = max(row["units"] - row["held"] - row["booked"], 0)
    return list(totals.values())


def _line_free(
    line_start: datetime.date, free: list[int], start: datetime.date, end: datetime.date
) -> Iterator[tuple[datetime.date, int]]:
    """(day, free units) of a read-model line for the days from start to end it covers."""
    first = max((start - line_start).days, 0)
    last = min((end - line_start).days, len(free) - 1)
    for offset in range(first, last + 1):
        yield line_start + datetime.timedelta(days=offset), free[offset]


def capacity_plan(
    *,
    factory: Organization,
    category: Category,
    quantity: int,
    start: datetime.date,
    ready_by: datetime.date,
    spread_until: datetime.date | None = None,
) -> dict[datetime.date, int] | None:
    """Spread `quantity` over the factory's free days in [start, ready_by]; None when the
    free units there do not add up. It reserves nothing. Read from the same free-capacity
    lines as search and the batch matcher, so all three agree.

    Without `spread_until` the days are filled earliest first. With it, the units are
    spread evenly over [start, spread_until] (a quoted lead time: each day takes its share
    of what is left, a day short of free units pushes the rest later) and whatever does
    not fit there goes on the following free days, earliest first, up to `ready_by`; when
    that leaves units over, the free days are filled earliest first instead."""
    if quantity <= 0 or ready_by < start:
        return None
    line = (
        CapacityLine.objects.filter(organization=factory, category=category)
        .values_list("window_start", "free")
        .first()
    )
    if line is None:
        return None
    plan: dict[datetime.date, int] = {}
    remaining = quantity
    spread_end = min(spread_until, ready_by) if spread_until is not None else None
    for day, free in _line_free(line[0], line[1], start, ready_by):
        if free <= 0:
            continue
        share = remaining
        if spread_end is not None and day <= spread_end:
            days_left = (spread_end - day).days + 1
            share = -(-remaining // days_left)  # ceiling
        take = min(free, share)
        plan[day] = take
        remaining -= take
        if remaining == 0:
            return plan
    if spread_end is not None:
        # The even spread left units stranded on days the calendar does not offer: the
        # days that are free still fit the quantity when filled earliest first.
        return capacity_plan(
            factory=factory, category=category, quantity=quantity, start=start, ready_by=ready_by
        )
    return None


def free_capacity_matrix(
    *, category_ids: list[int] | None, start: datetime.date, end: datetime.date
) -> dict[tuple[int, int, datetime.date], int]:
    """Free units keyed by (factory_id, category_id, date), verified factories only, days
    with no free units left out. One query, over the free-capacity lines."""
    lines = CapacityLine.objects.filter(verified=True)
    if category_ids is not None:
        lines = lines.filter(category_id__in=category_ids)
    matrix: dict[tuple[int, int, datetime.date], int] = {}
    for organization_id, category_id, line_start, free in lines.values_list(
        "organization_id", "category_id", "window_start", "free"
    ):
        for day, units in _line_free(line_start, free, start, end):
            if units > 0:
                matrix[(organization_id, category_id, day)] = units
    return matrix


# --- reservations ------------------------------------------------------------------------


def reservation_by_reference(*, reference: str) -> Reservation | None:
    """The active reservation with this reference, else the most recent one."""
    reservations = Reservation.objects.filter(reference=reference).prefetch_related("days")
    active = reservations.filter(status__in=Reservation.ACTIVE_STATUSES).first()
    return active or reservations.order_by("-created_at", "-pk").first()


def reservation_references_active(*, references: list[str]) -> set[str]:
    """Those of `references` that hold or book capacity now (one query)."""
    if not references:
        return set()
    return set(
        Reservation.objects.filter(
            reference__in=references, status__in=Reservation.ACTIVE_STATUSES
        ).values_list("reference", flat=True)
    )


def reservations_for_factory(*, organization: Organization) -> QuerySet[Reservation]:
    return (
        Reservation.objects.for_organization(organization)
        .select_related("category")
        .prefetch_related("days")
    )


def reservations_active_for_factory(
    *, organization: Organization, limit: int = 50
) -> list[Reservation]:
    """What currently holds or books the factory's days (the calendar page's list)."""
    active = (Reservation.Status.HELD, Reservation.Status.BOOKED)
    return list(
        reservations_for_factory(organization=organization).filter(status__in=active)[:limit]
    )


# --- search ------------------------------------------------------------------------------


@dataclass(slots=True)
class ScoreComponent:
    """One term of a result's score (ADR 0002): `points = weight * value`, and the points
    of a result's components add up to its score (to the 4 decimals it is rounded to)."""

    key: str  # fit, price, on_time, rating, response
    label: str
    weight: float
    value: float  # 0..1
    points: float
    estimated: bool  # no history yet: the neutral prior stands in
    detail: str


@dataclass
class SearchResult:
    factory: Organization
    profile: FactoryProfile
    performance: FactoryPerformance | None
    available_units: int
    earliest_completion: datetime.date
    score: float
    series: list[dict]  # the 30-day window: date, free, published
    components: list[ScoreComponent] = field(default_factory=list)

    @property
    def max_free(self) -> int:
        return max((point["free"] for point in self.series), default=0)


def score_texts() -> dict[str, str]:
    """The labels and sentences of `score_components`, translated once per search."""
    return {
        "fit": _("Capacity fit"),
        "fit_detail": _("%(free)d units free for %(quantity)d ordered"),
        "price": _("Price level"),
        "on_time": _("On-time delivery"),
        "on_time_detail": _("%(percent)d%% of orders on time"),
        "rating": _("Buyer rating"),
        "rating_detail": _("%(rating)s of 5"),
        "response": _("Quote response"),
        "response_detail": _("median %(hours)s hours to quote"),
        "estimated": " (" + _("no history yet: a neutral value") + ")",
        **{f"price_{value}": str(label) for value, label in FactoryProfile.PriceLevel.choices},
    }


def score_components(
    *,
    quantity: int,
    available_units: int,
    price_level: int,
    on_time_rate: float | None,
    rating: float | None,
    response_hours: float | None,
    texts: dict[str, str] | None = None,
) -> list[ScoreComponent]:
    """The labelled terms of the ADR 0002 score for one result, in the reader's language
    (`texts`: `score_texts()`, passed in when explaining many results)."""
    texts = texts or score_texts()
    weights = SCORE_WEIGHTS
    on_time = PRIOR_ON_TIME_RATE if on_time_rate is None else on_time_rate
    stars = PRIOR_RATING if rating is None else rating
    hours = PRIOR_RESPONSE_HOURS if response_hours is None else max(response_hours, 0.0)
    terms = (
        (
            "fit",
            min(available_units / (2 * quantity), 1.0) if quantity > 0 else 0.0,
            False,
            texts["fit_detail"] % {"free": available_units, "quantity": quantity},
        ),
        (
            "price",
            (5.0 - price_level) / 4.0,
            False,
            texts.get(f"price_{price_level}", str(price_level)),
        ),
        (
            "on_time",
            on_time,
            on_time_rate is None,
            texts["on_time_detail"] % {"percent": round(100 * on_time)},
        ),
        (
            "rating",
            stars / 5.0,
            rating is None,
            texts["rating_detail"] % {"rating": f"{stars:.1f}"},
        ),
        (
            "response",
            1.0 / (1.0 + hours / 24.0),
            response_hours is None,
            texts["response_detail"] % {"hours": f"{hours:.1f}"},
        ),
    )
    return [
        ScoreComponent(
            key=key,
            label=texts[key],
            weight=weights[key],
            value=round(value, 4),
            points=round(weights[key] * value, 4),
            estimated=estimated,
            detail=detail + texts["estimated"] if estimated else detail,
        )
        for key, value, estimated, detail in terms
    ]


def merit(
    *,
    price_level: int,
    on_time_rate: float | None,
    rating: float | None,
    response_hours: float | None,
) -> float:
    """The part of the ADR 0002 score that does not depend on the search. The database
    function `factories_capacity_merit` (migration 0006) computes the same for the lines."""
    weights = SCORE_WEIGHTS
    return (
        weights["price"] * ((5.0 - price_level) / 4.0)
        + weights["on_time"] * (PRIOR_ON_TIME_RATE if on_time_rate is None else on_time_rate)
        + weights["rating"] * ((PRIOR_RATING if rating is None else rating) / 5.0)
        + weights["response"]
        * (
            1.0
            / (
                1.0
                + max(PRIOR_RESPONSE_HOURS if response_hours is None else response_hours, 0.0)
                / 24.0
            )
        )
    )


# Free units of a line from the production start to the ready-by day (both inside its own
# window; `cumulative[i]` holds days window_start .. window_start + i - 1).
_AVAILABLE = f"""(
    l.cumulative[LEAST(%(ready_by)s::date - l.window_start, {CAPACITY_WINDOW_DAYS - 1}) + 2]
    - l.cumulative[GREATEST(%(start)s::date - l.window_start, 0) + 1]
)"""
# The score in ten-thousandths (ADR 0002 rounds to 4 decimals), in float arithmetic: numeric
# rounding cost more than everything else a candidate row costs.
_SCORE = f"""round((l.merit + %(fit_weight)s::float8
    * LEAST({_AVAILABLE}::float8 / (2 * %(quantity)s), 1.0::float8)) * 10000)"""
_TERMS = """l.min_order_quantity <= %(quantity)s AND l.standard_lead_days <= %(lead_budget)s"""
_SEARCH = f"""
SELECT l.organization_id, l.merit, {_AVAILABLE} AS available, {_SCORE} AS score,
       l.ctid AS line
FROM factories_capacityline l
WHERE l.category_id = %(category)s AND l.verified AND {_TERMS}
  AND l.cumulative[%(pruning_index)s] >= %(quantity)s
  AND {_AVAILABLE} >= %(quantity)s
  {{filters}}
"""  # noqa: S608 - constants only; values are bound parameters
# A candidate's fit lies in [0.5, 1]: the ranking walks lines best merit first (HEAD) and
# then, only when the walk has not settled the top `limit`, the band of merit from which a
# later line could still score into it (BAND). See docs/adr/0005.
#
# The head decides from the pruning index first: PRUNED reads at most `head` lines that
# could make the quantity at all, in the pruning index's own order (so the planner cannot
# swap it for a walk of the whole category). Fewer than `head` of them means they are every
# candidate: rank those. Otherwise walk by merit. One-time filters on the count gate the
# two branches, so a search nobody can satisfy reads no line at all.
_HEAD = f"""
WITH pruned AS MATERIALIZED (
  SELECT l.organization_id, l.merit, l.min_order_quantity, l.standard_lead_days, l.region,
         l.free_sampling, {_AVAILABLE} AS available, {_SCORE} AS score, l.ctid AS line
  FROM factories_capacityline l
  WHERE l.category_id = %(category)s AND l.verified
    AND l.cumulative[%(pruning_index)s] >= %(quantity)s
  ORDER BY l.cumulative[%(pruning_index)s] DESC
  LIMIT %(head)s
)
SELECT l.organization_id, l.merit, l.available, l.score, l.line
FROM pruned l
WHERE (SELECT count(*) FROM pruned) < %(head)s
  AND {_TERMS} AND l.available >= %(quantity)s
  {{filters}}
UNION ALL
SELECT walk.* FROM (
{_SEARCH}
ORDER BY l.merit DESC, l.organization_id LIMIT %(head)s
) walk
WHERE (SELECT count(*) FROM pruned) >= %(head)s
"""  # noqa: S608 - constants only; values are bound parameters
# The band, in merit slices from the walk's end down to the floor: a line of merit m can
# score into the top only with fit >= (L - m) / 0.35, i.e. enough free units, and the lower
# the slice the more it needs. Each slice reads its merit range through the band index
# (category, merit, free units), which checks the slice's minimum free units before a line
# is read. The slices run best first and each takes its minimum from the top so far: the
# head's best `limit` scores and every slice before it, so a slice that raised the bar
# spares the ones below (ADR 0005, "Fifth pass"); a slice that needs more free units than
# any line has (`ceiling`) reads nothing. The band runs only when the walk has not settled
# the top (`bounds` has its row); one plan fits every slice (the band index), whatever the
# bounds.
_BAND_SLICES = 3
_SLICES = range(_BAND_SLICES)
_SCORE_ROUNDING = 0.0001
# The head's best `limit` lines.
_TOP = """top AS MATERIALIZED (
  SELECT * FROM head ORDER BY score DESC, organization_id LIMIT %(limit)s
)"""
# The most free units any verified line of the category has up to the pruning horizon: no
# line's free units in the search's window exceed it, so no line's fit exceeds
# min(ceiling / 2q, 1). One read of the pruning index's far end.
_CEILING = """ceiling AS MATERIALIZED (
  SELECT l.cumulative[%(pruning_index)s] AS units
  FROM factories_capacityline l
  WHERE l.category_id = %(category)s AND l.verified
  ORDER BY l.cumulative[%(pruning_index)s] DESC LIMIT 1
)"""
# The band's merit bounds `b`, best first, `b[n + 1]` and `b[n + 2]` those of slice n (the
# last is the floor: top[-1]'s score - the highest fit any line can have (`ceiling`) x the
# fit weight - rounding, below which no line can score into the top), and the walk's end
# (its lowest merit, then highest pk), when the band has to run: the head is a full walk
# and its end lies above the floor. No row otherwise, and then every slice is empty
# without reading a line.
_BOUNDS = f"""bounds AS MATERIALIZED (
  SELECT walk_end.merit AS last_merit, walk_end.organization_id AS last_pk,
         ARRAY[{", ".join(f"walk_end.merit - {n}::float8 * width.merit" for n in _SLICES)},
               bar.floor] AS b
  FROM (SELECT h.merit, h.organization_id FROM head h
        ORDER BY h.merit, h.organization_id DESC LIMIT 1) walk_end
  CROSS JOIN (SELECT min(t.score) / 10000::float8 - {SCORE_WEIGHTS["fit"]!r}::float8
                     * LEAST((SELECT c.units FROM ceiling c)::float8
                             / (2 * %(quantity)s::bigint)::float8, 1::float8)
                     - {_SCORE_ROUNDING!r}::float8 AS floor
              FROM top t) bar
  CROSS JOIN LATERAL (SELECT (walk_end.merit - bar.floor) / {_BAND_SLICES}::float8 AS merit) width
  WHERE (SELECT count(*) FROM head) = %(head)s AND walk_end.merit >= bar.floor
)"""  # noqa: S608 - constants only
_BAND_SLICE = (
    _SEARCH  # noqa: S608 - constants only
    + f"""  AND l.cumulative[%(pruning_index)s] >= (SELECT units FROM units_{{n}})
  AND {_AVAILABLE} >= (SELECT units FROM units_{{n}})
  AND (SELECT units FROM units_{{n}}) <= 2 * %(quantity)s::bigint
  AND (SELECT units FROM units_{{n}}) <= (SELECT c.units FROM ceiling c)
  AND l.merit >= (SELECT b[{{low}}] FROM bounds) AND {{upper}}
ORDER BY score DESC, l.organization_id LIMIT %(limit)s"""  # noqa: S608 - constants only
)
_BAND_TOP = (
    "(l.merit < (SELECT last_merit FROM bounds)"
    " OR (l.merit = (SELECT last_merit FROM bounds)"
    " AND l.organization_id > (SELECT last_pk FROM bounds)))"
)
# A slice's minimum free units: available >= 2q * fit, and fit >= (L - rounding - m) / w for
# every merit m below the slice's top, L the `limit`-th best score so far (in 1/10,000ths).
_BAND_UNITS = f"""units_{{n}} AS MATERIALIZED (
  SELECT GREATEST(%(quantity)s::bigint, floor(2 * %(quantity)s::float8
           * (bar.score / 10000::float8 - {_SCORE_ROUNDING!r}::float8
              - (SELECT b[{{high}}] FROM bounds)) / {SCORE_WEIGHTS["fit"]!r}::float8)::bigint - 1)
         AS units
  FROM (SELECT so_far.score FROM ({{so_far}}) so_far(score)
        ORDER BY so_far.score DESC OFFSET %(limit)s - 1 LIMIT 1) bar
  WHERE (SELECT true FROM bounds)
)"""  # noqa: S608 - constants only
# The top `limit` of the head's and the band's lines, ranked.
_RANKED = f"""ranked AS MATERIALIZED (
  SELECT r.organization_id, r.merit, r.available, r.score, r.line,
         row_number() OVER (ORDER BY r.score DESC, r.organization_id) AS rank
  FROM (SELECT * FROM top
        {" ".join(f"UNION ALL SELECT * FROM slice_{n}" for n in _SLICES)}) r
  ORDER BY r.score DESC, r.organization_id LIMIT %(limit)s
)"""  # noqa: S608 - constants only


_RANKED_ROWS = "SELECT organization_id, merit, available, score FROM ranked ORDER BY rank"


def _ranking(filters: str) -> str:
    """The ranking as the common table expressions of one statement, ending with `ranked`
    (organization, merit, available, score in 1/10,000ths, rank): the head, its top, the
    band's bounds and its slices (one `_BAND_UNITS` and `_BAND_SLICE` each), best merit
    first, each taking its minimum free units from the top so far."""
    so_far = ["SELECT t.score FROM top t"]
    parts = [
        "head AS MATERIALIZED (" + _HEAD.format(filters=filters) + ")",
        _TOP,
        _CEILING,
        _BOUNDS,
    ]
    for n in _SLICES:
        upper = _BAND_TOP if n == 0 else f"l.merit < (SELECT b[{n + 1}] FROM bounds)"  # noqa: S608
        units = _BAND_UNITS.format(n=n, high=n + 1, so_far=" UNION ALL ".join(so_far))
        band_slice = _BAND_SLICE.format(filters=filters, n=n, low=n + 2, upper=upper)
        parts += [units, f"slice_{n} AS MATERIALIZED ({band_slice})"]
        so_far.append(f"SELECT score FROM slice_{n}")  # noqa: S608 - constants only
    return "WITH " + ",\n".join([*parts, _RANKED]) + "\n"


class _Ranked(NamedTuple):
    """A ranked line (a tuple: a search makes a hundred or more of them)."""

    organization_id: int
    merit: float
    available: int
    score: float


def _pruning_index(lead_budget: int) -> int:
    """The 1-based `cumulative` element of the first indexed horizon covering the search:
    a line anchored yesterday (before the daily roll) needs one day more."""
    needed = min(lead_budget + 2, CAPACITY_WINDOW_DAYS)
    horizon = next(days for days in CAPACITY_LINE_INDEXED_HORIZONS if days >= needed)
    return horizon + 1


@functools.lru_cache(maxsize=64)
def _statement(filters: str, pruning_index: int, tail: str) -> str:
    """The ranking's CTEs for `filters` (`_ranking`) followed by `tail` (`_RANKED_ROWS` or
    the page), ready to prepare (`fetchall_prepared`, on its generic plan, which does not
    depend on the values): the pruning index's subscript is written into it, as the
    expression indexes match only a constant subscript, and a prepared statement's values
    are not constants. Built once per process and filter set: the same text object every
    search, so it is not formatted, searched and hashed again on the hot path."""
    return (_ranking(filters) + tail).replace("%(pruning_index)s", str(pruning_index))


def _like_pattern(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def normalized_sql(text_sql: str) -> str:
    """`factories.certifications.normalize` of the SQL text expression `text_sql`: lower case
    without spaces and punctuation, the pattern written into the statement. Migration 0013
    indexes the place and certificate keys (`PLACE_KEY_SQL`, `CERTIFICATION_KEY_SQL`) by
    their trigrams, and PostgreSQL uses such an index only for the very same expression."""
    pattern = schemes.NOISE_PATTERN.replace("'", "''").replace("%", "%%")
    return f"regexp_replace(lower({text_sql}), '{pattern}', '', 'g')"


PLACE_KEY_SQL = normalized_sql("p.region || ' ' || p.city")
CERTIFICATION_KEY_SQL = normalized_sql("c.name")
# A lenient match compares the keys with the text's own (`normalize`), by LIKE: the trigram
# indexes find the few rows that contain it instead of every profile's being normalized.
_PLACE_TEXT_FILTER = f"""AND l.organization_id IN (SELECT p.organization_id
    FROM factories_factoryprofile p
    WHERE {PLACE_KEY_SQL} LIKE %(place_pattern)s)"""  # noqa: S608 - constants only
_CERTIFICATION_FILTER = f"""AND l.organization_id IN (SELECT c.organization_id
    FROM factories_certification c
    WHERE c.expires_on >= %(today)s
      AND (c.scheme = %(certification_scheme)s
           OR {CERTIFICATION_KEY_SQL} LIKE %(certification_pattern)s))"""  # noqa: S608


def _place_filters(region: str | None, parameters: dict) -> list[str]:
    """`region` read leniently (ADR 0017): a province or city of the list, in English or
    Chinese, or a code from the page's choice; other text matches factories whose region
    or city contains it, ignoring case, spaces and punctuation."""
    if not region:
        return []
    place = regions.place_resolve(region)
    if place is None:
        key = schemes.normalize(region)
        if not key:
            return []
        parameters["place_pattern"] = _like_pattern(key)
        return [_PLACE_TEXT_FILTER]
    parameters["region"] = place.province.name
    filters = ["AND l.region = %(region)s"]
    if place.city is not None and place.city.name != place.province.name:
        parameters["city"] = place.city.name
        filters.append(
            "AND l.organization_id IN (SELECT p.organization_id FROM factories_factoryprofile p"
            " WHERE p.city = %(city)s)"
        )
    return filters


def _certification_filter(certification: str, parameters: dict, *, today: datetime.date) -> str:
    """A non-expired certificate of the scheme `certification` names, or whose name
    contains it ignoring case, spaces and punctuation ("OEKO-TEX" finds "OEKO-TEX
    Standard 100")."""
    scheme = schemes.scheme_resolve(certification)
    key = schemes.normalize(certification) or certification.strip().lower()
    parameters.update(
        today=today,
        certification_scheme=scheme.code if scheme else None,
        certification_pattern=_like_pattern(key),
    )
    return _CERTIFICATION_FILTER


class _Search(NamedTuple):
    """A search's filters (the SQL `_ranking` takes) and the parameters of its statement."""

    filters: str
    parameters: dict

    def statement(self, tail: str) -> str:
        """The ranking followed by `tail` (`_statement`)."""
        return _statement(self.filters, self.parameters["pruning_index"], tail)

    def ranked(self) -> list[_Ranked]:
        """The top `limit` lines by score (then factory pk): one query."""
        return [
            _Ranked(pk, merit, available, score / 10000)
            for pk, merit, available, score in fetchall_prepared(
                self.statement(_RANKED_ROWS), self.parameters
            )
        ]


def _search(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    start: datetime.date,
    today: datetime.date,
    region: str | None,
    certification: str | None,
    free_sampling: bool | None,
    limit: int,
) -> _Search:
    """The ranking's common table expressions for these filters, and their parameters."""
    filters = []
    parameters: dict = {
        "category": category.pk,
        "quantity": quantity,
        "ready_by": ready_by,
        "start": start,
        "today": today,
        "lead_budget": (ready_by - start).days,
        "pruning_index": _pruning_index((ready_by - today).days),
        "fit_weight": SCORE_WEIGHTS["fit"],
        "head": max(2 * limit, 100),
        "limit": limit,
    }
    filters.extend(_place_filters(region, parameters))
    if free_sampling is not None:
        filters.append("AND l.free_sampling = %(free_sampling)s")
        parameters["free_sampling"] = free_sampling
    if certification:
        filters.append(_certification_filter(certification, parameters, today=today))
    return _Search("\n  ".join(filters), parameters)


def search_rank(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    start: datetime.date,
    today: datetime.date,
    region: str | None = None,
    certification: str | None = None,
    free_sampling: bool | None = None,
    limit: int = 50,
) -> list[_Ranked]:
    """The top `limit` lines by score (then factory pk) that can make `quantity` from
    `start` to `ready_by`, read from the free-capacity lines: one query."""
    return _search(
        category=category,
        quantity=quantity,
        ready_by=ready_by,
        start=start,
        today=today,
        region=region,
        certification=certification,
        free_sampling=free_sampling,
        limit=limit,
    ).ranked()


def production_start(*, today: datetime.date, with_sample: bool = False) -> datetime.date:
    """The first day production can use: today, or after the sample lead days when the
    buyer wants a sample approved first (the orders setting ORDERS_SAMPLE_LEAD_DAYS)."""
    if not with_sample:
        return today
    return today + datetime.timedelta(days=settings.ORDERS_SAMPLE_LEAD_DAYS)


def _search_series(
    window_start: datetime.date, free: list[int], published: list[bool], today: datetime.date
) -> list[dict]:
    series = []
    for day in window_dates(today):
        offset = (day - window_start).days
        inside = 0 <= offset < len(free)
        series.append(
            {
                "date": day,
                "free": free[offset] if inside else 0,
                "published": bool(published[offset]) if inside else False,
            }
        )
    return series


@dataclass(frozen=True)
class _Card:
    """What a search result shows of a factory, with its line's arrays."""

    factory: Organization
    profile: FactoryProfile
    performance: FactoryPerformance | None
    window_start: datetime.date
    free: list[int]
    published: list[bool]


def _card_fields(model: type[models.Model], wanted: set[str]) -> tuple[str, ...]:
    # Model.from_db takes the values in the model's own field order.
    return tuple(field.attname for field in model._meta.concrete_fields if field.attname in wanted)


_CARD_ORGANIZATION = _card_fields(Organization, {"id", "name", "slug", "kind", "verified"})
_CARD_PROFILE = _card_fields(
    FactoryProfile,
    {
        "id",
        "organization_id",
        "region",
        "city",
        "free_sampling",
        "min_order_quantity",
        "standard_lead_days",
        "price_level",
    },
)
_CARD_PERFORMANCE = _card_fields(
    FactoryPerformance,
    {"id", "organization_id", "on_time_rate", "rating", "median_quote_response_hours"},
)
_CARDS = f"""
SELECT l.window_start, l.free, l.published,
       {", ".join("o." + name for name in _CARD_ORGANIZATION)},
       {", ".join("p." + name for name in _CARD_PROFILE)},
       {", ".join("f." + name for name in _CARD_PERFORMANCE)}
FROM factories_capacityline l
JOIN marketplace_organization o ON o.id = l.organization_id
JOIN factories_factoryprofile p ON p.organization_id = l.organization_id
LEFT JOIN factories_factoryperformance f ON f.organization_id = l.organization_id
WHERE l.category_id = %(category)s AND l.organization_id = ANY(%(organization_ids)s)
"""  # noqa: S608 - constants only


def _search_cards(*, category: Category, organization_ids: list[int]) -> dict[int, _Card]:
    """The results' factories in one query, as model instances holding only the fields a
    result shows (building full ORM rows cost more than the whole ranking)."""
    sizes = (len(_CARD_ORGANIZATION), len(_CARD_PROFILE), len(_CARD_PERFORMANCE))
    cards = {}
    with connection.cursor() as cursor:
        cursor.execute(_CARDS, {"category": category.pk, "organization_ids": organization_ids})
        for row in cursor.fetchall():
            window_start, free, published = row[:3]
            values = row[3:]
            organization = Organization.from_db("default", _CARD_ORGANIZATION, values[: sizes[0]])
            profile = FactoryProfile.from_db(
                "default", _CARD_PROFILE, values[sizes[0] : sizes[0] + sizes[1]]
            )
            profile.organization = organization
            performance_values = values[sizes[0] + sizes[1] :]
            performance = None
            if performance_values[0] is not None:
                performance = FactoryPerformance.from_db(
                    "default", _CARD_PERFORMANCE, performance_values
                )
            cards[organization.pk] = _Card(
                organization, profile, performance, window_start, free, published
            )
    return cards


def _completion(
    units: list[int],
    *,
    today: datetime.date,
    quantity: int,
    start: datetime.date,
    earliest: datetime.date,
) -> datetime.date | None:
    """The day the free `units` (one a day from `today`) counted from `start` first cover
    `quantity`, but not before `earliest` (the standard lead time); None if they never do."""
    running = 0
    for offset in range(max((start - today).days, 0), len(units)):
        running += units[offset]
        if running >= quantity:
            return max(today + datetime.timedelta(days=offset), earliest)
    return None


def _search_today(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    region: str | None,
    certification: str | None,
    free_sampling: bool | None,
    with_sample: bool,
    limit: int,
) -> tuple[datetime.date, datetime.date, _Search | None]:
    """Today, the production start and the search from them (`_search`); None when
    `ready_by` comes before the start: nobody can make anything by then."""
    today = timezone.localdate()
    start = production_start(today=today, with_sample=with_sample)
    if ready_by < start:
        return today, start, None
    search = _search(
        category=category,
        quantity=quantity,
        ready_by=ready_by,
        start=start,
        today=today,
        region=region,
        certification=certification,
        free_sampling=free_sampling,
        limit=limit,
    )
    return today, start, search


def _search_ranked(**criteria: Any) -> tuple[datetime.date, datetime.date, list[_Ranked]]:
    """Today, the production start and the ranked lines of a search (`_search_today`'s
    criteria)."""
    today, start, search = _search_today(**criteria)
    return today, start, search.ranked() if search is not None else []


def factory_search(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    region: str | None = None,
    certification: str | None = None,
    free_sampling: bool | None = None,
    with_sample: bool = False,
    limit: int = 50,
) -> list[SearchResult]:
    """Verified factories able to make `quantity` of `category` by `ready_by`, best first:
    free units from the production start (`production_start`) to `ready_by` cover the
    quantity, the minimum order allows it and the standard lead time, counted from the
    production start, ends by `ready_by`. Read from the free-capacity lines, never the
    calendar: two queries whatever the number of factories."""
    today, start, ranked = _search_ranked(
        category=category,
        quantity=quantity,
        ready_by=ready_by,
        region=region,
        certification=certification,
        free_sampling=free_sampling,
        with_sample=with_sample,
        limit=limit,
    )
    if not ranked:
        return []
    cards = _search_cards(category=category, organization_ids=[r.organization_id for r in ranked])
    texts = score_texts()
    results = []
    for row in ranked:
        card = cards[row.organization_id]
        profile, performance = card.profile, card.performance
        series = _search_series(card.window_start, card.free, card.published, today)
        completion = _completion(
            [point["free"] for point in series],
            today=today,
            quantity=quantity,
            start=start,
            earliest=start + datetime.timedelta(days=profile.standard_lead_days),
        )
        if completion is None:  # capacity taken between the two reads
            continue
        results.append(
            SearchResult(
                factory=card.factory,
                profile=profile,
                performance=performance,
                available_units=row.available,
                earliest_completion=completion,
                score=row.score,
                series=series,
                components=score_components(
                    quantity=quantity,
                    available_units=row.available,
                    price_level=profile.price_level,
                    on_time_rate=performance.on_time_rate if performance else None,
                    rating=performance.rating if performance else None,
                    response_hours=(
                        performance.median_quote_response_hours if performance else None
                    ),
                    texts=texts,
                ),
            )
        )
    return results


# --- the API's page, built by the database --------------------------------------------------
#
# `factory_search_page` answers what `factory_search` finds, as the API's JSON text built by
# PostgreSQL (ADR 0005, "The API's page from the database"): the 30-day units from today,
# the completion day (`_completion`), the factory's fields and the score components
# (`score_components`) with Python's rounding and number formatting, their labels and
# sentences (`score_texts`, the request's language) bound as parameters. A test holds the
# page equal to one built from `factory_search`, field by field, over many searches.

_TEMPLATE_FIELD = re.compile(r"%(?:\((?P<name>[^)]*)\)[dis]|(?P<percent>%))")


def template_pieces(template: str) -> tuple[list[str], list[str]]:
    """A %-template with named fields ("%(free)d units free for %(quantity)d ordered") as
    its literal pieces and the names between them: `pieces[0] + str(value of names[0]) +
    pieces[1] + ... + pieces[-1]` is `template % values` for integer and text values. `%%`
    is a literal percent; a translation may put the fields in any order. Other uses of `%`
    (widths, flags, positional fields) are refused: SQL could not format them the same."""
    pieces: list[str] = []
    names: list[str] = []
    literal: list[str] = []
    position = 0
    for match in _TEMPLATE_FIELD.finditer(template):
        between = template[position : match.start()]
        if "%" in between:
            raise ValueError(f"unsupported % field in {template!r}")
        literal.append(between)
        if match["percent"]:
            literal.append("%")
        else:
            pieces.append("".join(literal))
            literal = []
            names.append(match["name"])
        position = match.end()
    rest = template[position:]
    if "%" in rest:
        raise ValueError(f"unsupported % field in {template!r}")
    literal.append(rest)
    pieces.append("".join(literal))
    return pieces, names


def _rounded_sql(value: str) -> str:
    """`round(value, 4)` as text: the float nearest the decimal, in float8's shortest form
    (the form json and Python's repr print). `factories_python_round` (migration 0015)
    rounds the exact binary value half to even, as Python does."""
    return f"(factories_python_round({value}, 10000::float8) / 10000::float8)::text"


def _one_decimal_sql(value: str) -> str:
    """`f"{value:.1f}"` for a float8 `value` >= 0 (Python rounds the exact binary value half
    to even: 4.25 -> "4.2"): `factories_one_decimal`, migration 0015."""
    return f"factories_one_decimal({value})"


# The line's prefix sums in today's days: `sums[k + 1]` is the free units of the k days from
# today (0 outside the line's window; the line's own `cumulative` when it starts today).
_SUMS_FROM_TODAY = f"""CASE WHEN l.window_start = %(today)s::date THEN l.cumulative
  ELSE ARRAY(SELECT l.cumulative[LEAST(GREATEST(%(today)s::date - l.window_start + k, 0),
                                       {CAPACITY_WINDOW_DAYS}) + 1]
             FROM generate_series(0, {CAPACITY_WINDOW_DAYS}) k ORDER BY k) END"""  # noqa: S608

# After the ranking (`_ranking`, in the same statement): the results' lines, which carry
# their factory's card and figures (migration 0015: no other table is read), and
# `score_components`' values before rounding; then each result as JSON text
# (`{result}`, built by `_result_sql`), in rank order.
_PAGE = f"""
SELECT count(*), coalesce('[' || string_agg({{result}}, ',' ORDER BY c.rank) || ']', '[]')
FROM (
  SELECT r.rank, r.available, r.score, l.card, l.figures, l.price_level, l.on_time_rate,
         l.rating, l.response_hours AS hours,
         CASE WHEN l.window_start = %(today)s::date
                   AND cardinality(l.free) = {CAPACITY_WINDOW_DAYS} THEN l.free
              ELSE ARRAY(SELECT coalesce(l.free[%(today)s::date - l.window_start + d + 1], 0)
                         FROM generate_series(0, {CAPACITY_WINDOW_DAYS - 1}) d ORDER BY d)
         END AS units,
         -- `_completion`: the free units from the production start (`first_offset` days
         -- from today) first cover the quantity on the day after the `covered` days whose
         -- sums fall short (the sums never decrease: width_bucket's binary search).
         CASE WHEN covered.days < {CAPACITY_WINDOW_DAYS} - %(first_offset)s
              THEN GREATEST(%(today)s::date + (%(first_offset)s + covered.days),
                            %(start)s::date + l.standard_lead_days) END AS completion,
         s.fit_value, {SCORE_WEIGHTS["fit"]!r}::float8 * s.fit_value AS fit_points
  FROM (SELECT ranked.rank, ranked.line, ranked.available,
               ranked.score / 10000::float8 AS score
        FROM ranked) r
  -- The ranked line's own row version, read by its address: the ranking read it in this
  -- statement's snapshot, which keeps that version where it was (one page, no index).
  JOIN factories_capacityline l ON l.ctid = r.line
  CROSS JOIN LATERAL (SELECT {_SUMS_FROM_TODAY} AS sums) line
  CROSS JOIN LATERAL (
    SELECT width_bucket(%(quantity)s::int + line.sums[%(first_offset)s + 1] - 1,
                        line.sums[%(first_offset)s + 2 : {CAPACITY_WINDOW_DAYS + 1}]) AS days
  ) covered
  CROSS JOIN LATERAL (
    SELECT LEAST(r.available::float8 / (2 * %(quantity)s::bigint)::float8, 1::float8)
             AS fit_value
  ) s
  OFFSET 0  -- a fence: each figure is computed once per result, not inlined where used
) c
WHERE c.completion IS NOT NULL
"""  # noqa: S608 - constants only; values and texts are bound parameters


def _json_string(text: str) -> str:
    """`text` escaped for the inside of a JSON string (json's rules: what json.loads reads)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class _Concatenation:
    """A text expression: constant pieces of the statement (consecutive ones merged into one
    SQL literal) and SQL expressions of type text (never NULL), joined by `||`."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.literal: list[str] = []

    def text(self, literal: str) -> _Concatenation:
        self.literal.append(literal)
        return self

    def sql(self, expression: str) -> _Concatenation:
        self._flush()
        self.parts.append(expression)
        return self

    def _flush(self) -> None:
        if self.literal:
            literal = "".join(self.literal).replace("'", "''").replace("%", "%%")
            self.parts.append(f"'{literal}'")
            self.literal = []

    def render(self) -> str:
        """The parts joined as a balanced tree of `||`: a left-deep chain copies the text
        built so far at every step."""
        self._flush()

        def tree(parts: list[str]) -> str:
            if len(parts) == 1:
                return parts[0]
            middle = len(parts) // 2
            return f"({tree(parts[:middle])} || {tree(parts[middle:])})"

        return tree(self.parts)


# Each sentence of `score_texts()` with the field that varies by result (the SQL of its
# text) and the fields that do not (their parameter): `_sentence_pieces` splits a
# translation at the former, so SQL joins the pieces with the result's figure.
# The line's `figures` (migration 0015) hold the other components' members and figures.
_SENTENCES = {
    "fit": ("fit_detail", "free", "c.available::text", {"quantity"}),
    "on_time": ("on_time_detail", "percent", "c.figures[5]", set()),
    "rating": ("rating_detail", "rating", "c.figures[6]", set()),
    "response": ("response_detail", "hours", "c.figures[7]", set()),
}
# `figures[n]`: the component's `"value":..,"points":..,"estimated":..` members.
_FIGURES = {"price": 1, "on_time": 2, "rating": 3, "response": 4}
_ESTIMATED = {"on_time": "c.on_time_rate", "rating": "c.rating", "response": "c.hours"}


def _sentence_pieces(template: str, field: str, constants: dict[str, str]) -> list[str]:
    """`template` (a sentence of `score_texts()`) with `constants` filled in, cut where
    `field` goes, each piece escaped for a JSON string: `field`'s text joins them."""
    pieces, names = template_pieces(template)
    cut = [""]
    for piece, name in itertools.zip_longest(pieces, names):
        cut[-1] += piece
        if name == field:
            cut.append("")
        elif name is not None:
            cut[-1] += constants[name]  # an unknown field: KeyError, as `%` raises
    return [_json_string(piece) for piece in cut]


def _result_sql() -> str:
    """One result (`c`, a row of `found`) as JSON text: `SearchResultSerializer`'s shape. The
    request's texts are parameters: `label_<key>` (JSON strings), `<key>_detail` (pieces),
    `price_labels` (by level) and `estimated`."""
    out = _Concatenation()
    out.text('{"factory":').sql("c.card")  # kept on the line (migration 0015)
    out.text(',"available_units":').sql("c.available::text")
    out.text(',"earliest_completion":"').sql("to_char(c.completion, 'YYYY-MM-DD')").text('"')
    out.text(',"score":').sql("c.score::text")
    out.text(',"score_components":[')
    for index, (key, weight) in enumerate(SCORE_WEIGHTS.items()):
        out.text(f'{"," if index else ""}{{"key":"{key}","label":').sql(f"%(label_{key})s::text")
        out.text(f',"weight":{weight!r},')
        if key in _FIGURES:
            out.sql(f"c.figures[{_FIGURES[key]}]")
        else:
            out.text('"value":').sql(_rounded_sql(f"c.{key}_value"))
            out.text(',"points":').sql(_rounded_sql(f"c.{key}_points"))
            out.text(',"estimated":false')
        out.text(',"detail":"')
        if key == "price":
            out.sql("coalesce((%(price_labels)s::text[])[c.price_level], c.price_level::text)")
        else:
            _detail, _field, field_sql, _constants = _SENTENCES[key]
            out.sql(f"array_to_string(%({key}_detail)s::text[], {field_sql})")
        if key in _ESTIMATED:
            out.sql(f"CASE WHEN {_ESTIMATED[key]} IS NULL THEN %(estimated)s::text ELSE '' END")
        out.text('"}')
    out.text('],"free_capacity":{"start":"').sql("%(today)s::date::text").text('","units":[')
    out.sql("array_to_string(c.units, ',')").text("]}}")
    return out.render()


_PAGE_SQL = _PAGE.format(result=_result_sql())


def _page_texts(quantity: int) -> dict[str, Any]:
    """The parameters of `_PAGE_SQL` that come from `score_texts()` (the active language);
    shared, not to be changed."""
    return _page_quantity_texts(translation.get_language(), quantity)


@functools.lru_cache(maxsize=1024)
def _page_quantity_texts(language: str | None, quantity: int) -> dict[str, Any]:
    """`_page_texts` for a language and a quantity, worked out once per process."""
    texts, fixed_parameters = _page_language_texts(language)
    parameters = dict(fixed_parameters)  # the cached ones stay as they are
    constants = {"quantity": str(quantity)}
    for key, (detail, varying, _sql, fixed) in _SENTENCES.items():
        if fixed:
            parameters[f"{key}_detail"] = _text_array(
                _sentence_pieces(texts[detail], varying, {name: constants[name] for name in fixed})
            )
    return parameters


def _page_texts_cache_clear() -> None:
    """Forget the page's texts (when the translations change: in tests)."""
    _page_language_texts.cache_clear()
    _page_quantity_texts.cache_clear()


def _text_array(items: Sequence[str | None]) -> str:
    """`items` as a PostgreSQL text[] literal: sent as one string, the statement casts it
    (psycopg would otherwise dump the list anew at every search)."""

    def element(item: str | None) -> str:
        if item is None:
            return "NULL"
        return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(element(item) for item in items) + "}"


@functools.lru_cache(maxsize=16)
def _page_language_texts(language: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """`score_texts()` in `language` (the active one) and the page's parameters that do not
    depend on the search, worked out once per process and language: translations change
    only with a deployment."""
    texts = score_texts()
    levels = FactoryProfile.PriceLevel.values
    parameters: dict[str, Any] = {
        "estimated": _json_string(texts["estimated"]),
        "price_labels": _text_array(
            [
                _json_string(texts[f"price_{level}"]) if f"price_{level}" in texts else None
                for level in range(1, max(levels) + 1)
            ]
        ),
    }
    for key in SCORE_WEIGHTS:
        parameters[f"label_{key}"] = json.dumps(texts[key], ensure_ascii=False)
    for key, (detail, varying, _sql, fixed) in _SENTENCES.items():
        if not fixed:
            parameters[f"{key}_detail"] = _text_array(_sentence_pieces(texts[detail], varying, {}))
    return texts, parameters


def factory_search_page(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    region: str | None = None,
    certification: str | None = None,
    free_sampling: bool | None = None,
    with_sample: bool = False,
    limit: int = 50,
) -> tuple[int, str]:
    """The API's page of `factory_search`: the number of results and their JSON array
    (the shape `SearchResultSerializer` documents), ranked and built by PostgreSQL in one
    prepared statement, in the active language."""
    today, start, search = _search_today(
        category=category,
        quantity=quantity,
        ready_by=ready_by,
        region=region,
        certification=certification,
        free_sampling=free_sampling,
        with_sample=with_sample,
        limit=limit,
    )
    if search is None:
        return 0, "[]"
    parameters = {
        **search.parameters,
        "first_offset": max((start - today).days, 0),
        **_page_texts(quantity),
    }
    count, results = fetchone_prepared(search.statement(_PAGE_SQL), parameters)
    return count, results


def operator_queues(*, today: datetime.date, expiring_within_days: int = 30) -> dict[str, int]:
    """The auditors' waiting work, one COUNT each: audits to review, and certificates that
    have expired or expire within `expiring_within_days` (the admin index's queues)."""
    horizon = today + datetime.timedelta(days=expiring_within_days)
    return {
        "audits_pending": AuditSubmission.objects.filter(
            status=AuditSubmission.Status.PENDING
        ).count(),
        "certificates_expiring": Certification.objects.filter(expires_on__lte=horizon).count(),
    }


def platform_capacity(*, today: datetime.date, days: int = 30) -> list[dict]:
    """Units published and booked (and held) per category over the next `days` days, across
    every factory: one grouped query. Rows: {"category_name", "published", "booked", "held"}."""
    rows = (
        CapacityDay.objects.filter(date__gte=today, date__lt=today + datetime.timedelta(days=days))
        .values(category_name=F("category__name"))
        .annotate(published=Sum("units"), booked=Sum("booked"), held=Sum("held"))
        .order_by("category_name")
    )
    return [dict(row) for row in rows]
