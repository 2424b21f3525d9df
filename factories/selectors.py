"""Reads for factories: profiles, the calendar, capacity plans, search, reservations.

Search is ranked by the score documented in docs/adr/0002-factory-search-score.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Prefetch,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category
from factories.models import (
    CAPACITY_WINDOW_DAYS,
    AuditEvidence,
    AuditSubmission,
    CapacityDay,
    Certification,
    Equipment,
    FactoryPerformance,
    FactoryPhoto,
    FactoryProfile,
    ProductionLine,
    Reservation,
)
from marketplace.exceptions import NotFoundError
from marketplace.models import Organization, User
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
        profiles = profiles.filter(region__iexact=region)
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


def capacity_plan(
    *,
    factory: Organization,
    category: Category,
    quantity: int,
    start: datetime.date,
    ready_by: datetime.date,
) -> dict[datetime.date, int] | None:
    """Spread `quantity` over the factory's free days in [start, ready_by], earliest first;
    None when the free units there do not add up. It reserves nothing."""
    if quantity <= 0 or ready_by < start:
        return None
    free_days = (
        CapacityDay.objects.filter(
            organization=factory,
            category=category,
            date__gte=start,
            date__lte=ready_by,
            units__gt=F("held") + F("booked"),
        )
        .order_by("date")
        .values_list("date", "units", "held", "booked")
    )
    plan: dict[datetime.date, int] = {}
    remaining = quantity
    for day, units, held, booked in free_days:
        take = min(units - held - booked, remaining)
        plan[day] = take
        remaining -= take
        if remaining == 0:
            return plan
    return None


def free_capacity_matrix(
    *, category_ids: list[int] | None, start: datetime.date, end: datetime.date
) -> dict[tuple[int, int, datetime.date], int]:
    """Free units keyed by (factory_id, category_id, date), verified factories only, days
    with no free units left out. One query."""
    cells = CapacityDay.objects.filter(
        date__gte=start,
        date__lte=end,
        organization__verified=True,
        organization__kind=Organization.Kind.FACTORY,
        units__gt=F("held") + F("booked"),
    )
    if category_ids is not None:
        cells = cells.filter(category_id__in=category_ids)
    return {
        (organization_id, category_id, day): units - held - booked
        for organization_id, category_id, day, units, held, booked in cells.values_list(
            "organization_id", "category_id", "date", "units", "held", "booked"
        )
    }


# --- reservations ------------------------------------------------------------------------


def reservation_by_reference(*, reference: str) -> Reservation | None:
    """The active reservation with this reference, else the most recent one."""
    reservations = Reservation.objects.filter(reference=reference).prefetch_related("days")
    active = reservations.filter(status__in=Reservation.ACTIVE_STATUSES).first()
    return active or reservations.order_by("-created_at", "-pk").first()


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


@dataclass
class SearchResult:
    factory: Organization
    profile: FactoryProfile
    performance: FactoryPerformance | None
    available_units: int
    earliest_completion: datetime.date
    score: float
    series: list[dict]  # the 30-day window: date, free, published

    @property
    def max_free(self) -> int:
        return max((point["free"] for point in self.series), default=0)


def _score_expression(quantity: int):
    """The ADR 0002 score over the per-factory aggregates annotated by search_queryset."""
    fit = Least(
        ExpressionWrapper(F("available") * 1.0 / (2.0 * quantity), output_field=FloatField()),
        Value(1.0),
    )
    price = ExpressionWrapper((5.0 - F("price_level")) / 4.0, output_field=FloatField())
    on_time = Coalesce(F("on_time_rate"), Value(PRIOR_ON_TIME_RATE))
    rating = Coalesce(F("rating"), Value(PRIOR_RATING)) / 5.0
    response_hours = Coalesce(F("response_hours"), Value(PRIOR_RESPONSE_HOURS))
    response = 1.0 / (1.0 + Greatest(response_hours, Value(0.0)) / 24.0)
    weights = SCORE_WEIGHTS
    total = (
        weights["fit"] * fit
        + weights["price"] * price
        + weights["on_time"] * on_time
        + weights["rating"] * rating
        + weights["response"] * response
    )
    return Round(ExpressionWrapper(total, output_field=FloatField()), 4)


def search_queryset(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    region: str | None = None,
    certification: str | None = None,
    free_sampling: bool | None = None,
    today: datetime.date | None = None,
) -> QuerySet:
    """One aggregate over the calendar: verified factories whose free units of `category`
    from today to `ready_by` cover `quantity`, honouring MOQ and lead time, best first.

    Rows are dicts: organization_id, available, score. The benchmark's anchor serves this
    very queryset through a bare view.
    """
    today = today or timezone.localdate()
    window_end = today + datetime.timedelta(days=CAPACITY_WINDOW_DAYS - 1)
    lead_budget = (ready_by - today).days
    cells = CapacityDay.objects.filter(
        category=category,
        date__gte=today,
        date__lte=min(ready_by, window_end),
        organization__verified=True,
        organization__factory_profile__min_order_quantity__lte=quantity,
        organization__factory_profile__standard_lead_days__lte=lead_budget,
    )
    if region:
        cells = cells.filter(organization__factory_profile__region__iexact=region)
    if free_sampling is not None:
        cells = cells.filter(organization__factory_profile__free_sampling=free_sampling)
    if certification:
        holders = Certification.objects.filter(
            name__iexact=certification, expires_on__gte=today
        ).values("organization_id")
        cells = cells.filter(organization_id__in=holders)
    free = Greatest(F("units") - F("held") - F("booked"), Value(0))
    # Grouped by the factory only; its one-per-factory figures ride along as Max() so the
    # hash aggregate keys on a single integer.
    performance = "organization__factory_performance__"
    return (
        cells.values("organization_id")
        .annotate(
            available=Sum(free),
            price_level=Max("organization__factory_profile__price_level"),
            on_time_rate=Max(performance + "on_time_rate"),
            rating=Max(performance + "rating"),
            response_hours=Max(performance + "median_quote_response_hours"),
        )
        .filter(available__gte=quantity)
        .annotate(score=_score_expression(quantity))
        .order_by("-score", "organization_id")
    )


def _series(
    *, factory_ids: list[int], category: Category, today: datetime.date
) -> dict[int, list[dict]]:
    dates = window_dates(today)
    free: dict[tuple[int, datetime.date], int] = {}
    for organization_id, day, units, held, booked in CapacityDay.objects.filter(
        organization_id__in=factory_ids, category=category, date__gte=dates[0], date__lte=dates[-1]
    ).values_list("organization_id", "date", "units", "held", "booked"):
        free[(organization_id, day)] = max(units - held - booked, 0)
    return {
        pk: [
            {"date": day, "free": free.get((pk, day), 0), "published": (pk, day) in free}
            for day in dates
        ]
        for pk in factory_ids
    }


def _earliest_completion(
    series: list[dict], quantity: int, ready_by: datetime.date, earliest_start: datetime.date
) -> datetime.date | None:
    running = 0
    for point in series:
        if point["date"] > ready_by:
            break
        running += point["free"]
        if running >= quantity:
            return max(point["date"], earliest_start)
    return None


def factory_search(
    *,
    category: Category,
    quantity: int,
    ready_by: datetime.date,
    region: str | None = None,
    certification: str | None = None,
    free_sampling: bool | None = None,
    limit: int = 50,
) -> list[SearchResult]:
    """Verified factories able to make `quantity` of `category` by `ready_by`, best first.
    Three queries whatever the number of results: rank, 30-day series, profiles."""
    today = timezone.localdate()
    ranked = list(
        search_queryset(
            category=category,
            quantity=quantity,
            ready_by=ready_by,
            region=region,
            certification=certification,
            free_sampling=free_sampling,
            today=today,
        ).values("organization_id", "available", "score")[:limit]
    )
    if not ranked:
        return []
    factory_ids = [row["organization_id"] for row in ranked]
    series = _series(factory_ids=factory_ids, category=category, today=today)
    profiles = {
        profile.organization_id: profile
        for profile in FactoryProfile.objects.filter(
            organization_id__in=factory_ids
        ).select_related("organization", "organization__factory_performance")
    }
    results = []
    for row in ranked:
        profile = profiles[row["organization_id"]]
        lead_ready = today + datetime.timedelta(days=profile.standard_lead_days)
        completion = _earliest_completion(
            series[row["organization_id"]], quantity, ready_by, lead_ready
        )
        if completion is None:  # capacity taken between the two reads
            continue
        results.append(
            SearchResult(
                factory=profile.organization,
                profile=profile,
                performance=getattr(profile.organization, "factory_performance", None),
                available_units=row["available"],
                earliest_completion=completion,
                score=row["score"],
                series=series[row["organization_id"]],
            )
        )
    return results
