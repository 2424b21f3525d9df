"""Reads for orders, always scoped to the organization asking (404 when not theirs)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Extract, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import NotFoundError
from marketplace.models import Organization
from marketplace.money import Money
from marketplace.tenancy import get_for_organization_or_404
from orders.models import (
    RFQ,
    ConversationRead,
    Dispute,
    DisputeEvidence,
    Inspection,
    InspectionPhoto,
    Order,
    OrderEvent,
    OrderMessage,
    OrderMessageAttachment,
    OrderStatus,
    ProductionReport,
    Quote,
    Review,
    RFQAttachment,
    RFQInvitation,
    RFQMessage,
)
from orders.transitions import TERMINAL_STATUSES, Party, statuses_waiting_for


def rfq_list(*, organization: Organization) -> QuerySet[RFQ]:
    """The organization's RFQs. `quote_count` is every quote for the buyer, but only the
    factory's own for an invited factory: it never learns how many competitors quoted."""
    return (
        RFQ.objects.for_organization(organization)
        .select_related("category", "buyer")
        .annotate(
            quote_count=Count(
                "quotes",
                filter=Q(buyer=organization) | Q(quotes__factory=organization),
                distinct=True,
            )
        )
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=RFQInvitation.objects.select_related("factory").order_by("round", "rank"),
            ),
            "attachments",
        )
        .order_by("-created_at", "-pk")
    )


def rfq_get(*, organization: Organization, pk: int) -> RFQ:
    return get_for_organization_or_404(rfq_list(organization=organization), organization, pk=pk)


def rfq_invitations_visible(*, rfq: RFQ, organization: Organization) -> list[RFQInvitation]:
    """The buyer sees every factory invited to its RFQ; a factory only its own invitation,
    never its competitors (`rfq_list` prefetches the invitations)."""
    invitations = list(rfq.invitations.all())
    if rfq.buyer_id == organization.pk:
        return invitations
    return [item for item in invitations if item.factory_id == organization.pk]


def rfq_decline_open(*, rfq: RFQ, invitation: RFQInvitation | None) -> bool:
    """Whether the factory holding `invitation` may still decline to quote: the RFQ is open
    and the invitation not yet answered (the rule `services.rfq_decline` enforces)."""
    return (
        invitation is not None
        and invitation.status == RFQInvitation.Status.INVITED
        and rfq.status == RFQ.Status.OPEN
    )


def rfq_thread_factory(
    *, rfq: RFQ, organization: Organization, slug: str | None
) -> Organization | None:
    """The invited factory whose thread the buyer opened (by slug); None for a factory,
    or when no invited factory has that slug."""
    if not slug or rfq.buyer_id != organization.pk:
        return None
    invitations = rfq_invitations_visible(rfq=rfq, organization=organization)
    return next((item.factory for item in invitations if item.factory.slug == slug), None)


@dataclass(frozen=True)
class QuoteOffer:
    """A quote priced for the RFQ's quantity (the tier price when one applies)."""

    quote: Quote
    unit_price: Money
    total: Money
    tier_applied: bool
    expired: bool


def quote_offer(quote: Quote, *, quantity: int, today: datetime.date | None = None) -> QuoteOffer:
    unit_price = quote.unit_price_for(quantity)
    return QuoteOffer(
        quote=quote,
        unit_price=unit_price,
        total=unit_price * quantity,
        tier_applied=unit_price.amount_minor != quote.unit_price_minor,
        expired=quote.valid_until < (today or timezone.localdate()),
    )


def quote_comparison(*, rfq: RFQ, quotes: list[Quote]) -> list[dict[str, Any]]:
    """The buyer's comparison of quotes: each priced for the RFQ's quantity, with the
    factory's record on the platform (the page's cards and chart)."""
    today = timezone.localdate()
    record = factory_record(factory_ids=[quote.factory_id for quote in quotes])
    rows = []
    for quote in quotes:
        offer = quote_offer(quote, quantity=rfq.quantity, today=today)
        rows.append(
            {
                "quote": quote,
                "label": quote.factory.name,
                "unit_price": offer.unit_price.amount,
                "currency": quote.currency,
                "total": offer.total,
                "lead_time_days": quote.lead_time_days,
                "tier_applied": offer.tier_applied,
                "expired": offer.expired,
                "record": record.get(quote.factory_id, {}),
            }
        )
    return rows


def quotes_for_rfq(*, rfq: RFQ, organization: Organization) -> QuerySet[Quote]:
    """The buyer sees every quote; a factory only its own."""
    quotes = (
        Quote.objects.filter(rfq=rfq).select_related("factory", "rfq").prefetch_related("tiers")
    )
    if rfq.buyer_id != organization.pk:
        quotes = quotes.filter(factory=organization)
    return quotes


def quote_get(*, organization: Organization, pk: int) -> Quote:
    queryset = Quote.objects.select_related("rfq", "rfq__buyer", "rfq__category", "factory")
    return get_for_organization_or_404(queryset, organization, pk=pk)


def rfq_thread(*, rfq: RFQ, organization: Organization, factory: Organization | None = None):
    messages = RFQMessage.objects.filter(rfq=rfq).select_related(
        "author", "author_organization", "factory"
    )
    if rfq.buyer_id != organization.pk:
        return messages.filter(factory=organization)
    return messages.filter(factory=factory) if factory is not None else messages


def order_list(*, organization: Organization, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.for_organization(organization).select_related(
        "buyer", "factory", "category", "inspector"
    )
    return orders.filter(status=status) if status else orders


# The values an order's summary (the API's order list) reads, with its parties' and
# category's: the list does not load the plan, the shipping and quality fields, and reads
# them as plain rows (`.values()`; model instances: 200 of them for a page of 50 orders).
ORDER_SUMMARY_VALUES = (
    *("pk", "status", "title", "quantity", "currency", "unit_price_minor", "sample_fee_minor"),
    *("with_sample", "ready_by", "created_at", "status_changed_at"),
    *("rfq_id", "quote_id", "repeat_of_id", "design_id", "inspector_id"),
    *("buyer_id", "buyer__slug", "buyer__name", "factory_id", "factory__slug", "factory__name"),
    "category__slug",
)

# The order list's page (`order_summary_page`), written out: the ORM took about 1 ms of CPU
# to build this statement, more than PostgreSQL takes to run it.
_ORDER_SUMMARY_PAGE_SQL = """
SELECT o.id, o.status, o.title, o.quantity, o.currency, o.unit_price_minor,
       o.sample_fee_minor, o.with_sample, o.ready_by, o.created_at, o.status_changed_at,
       o.rfq_id, o.quote_id, o.repeat_of_id, o.design_id, o.inspector_id,
       o.buyer_id, b.slug, b.name, o.factory_id, f.slug, f.name, c.slug,
       (SELECT count(*) FROM orders_order u
        WHERE (u.buyer_id = %(organization)s OR u.factory_id = %(organization)s
               OR u.inspector_id = %(organization)s) {status_u}) AS full_count
FROM orders_order o
JOIN marketplace_organization b ON b.id = o.buyer_id
JOIN marketplace_organization f ON f.id = o.factory_id
JOIN catalog_category c ON c.id = o.category_id
WHERE (o.buyer_id = %(organization)s OR o.factory_id = %(organization)s
       OR o.inspector_id = %(organization)s) {status_o}
ORDER BY o.created_at DESC, o.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
_ORDER_SUMMARY_PAGE = {
    filtered: _ORDER_SUMMARY_PAGE_SQL.format(
        status_u="AND u.status = %(status)s" if filtered else "",
        status_o="AND o.status = %(status)s" if filtered else "",
    )
    for filtered in (False, True)
}


def order_summary_page(
    *, organization: Organization, status: str | None, offset: int, limit: int
) -> list[dict[str, Any]]:
    """A page of `order_list(organization=...)` (newest first), only `status` if given, as
    dicts of `ORDER_SUMMARY_VALUES` each with the whole list's count (`full_count`, one
    uncorrelated subquery: one statement, one snapshot)."""
    keys = (*ORDER_SUMMARY_VALUES, "full_count")
    parameters = {"organization": organization.pk, "status": status, "limit": limit}
    parameters["offset"] = offset
    with connection.cursor() as cursor:
        cursor.execute(_ORDER_SUMMARY_PAGE[bool(status)], parameters)
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


ORDER_DETAIL_RELATIONS = (
    "events",
    "production_reports",
    "inspections__photos",
    "inspections__inspector_organization",
)
ORDER_PAGE_RELATIONS = (*ORDER_DETAIL_RELATIONS, "disputes__evidence")


def order_get(
    *,
    organization: Organization,
    pk: int,
    relations: tuple[str, ...] = ORDER_PAGE_RELATIONS,
    parties_only: bool = False,
) -> Order:
    """One order with the related rows its view shows, prefetched (one query each). With
    `parties_only`, the assigned inspector (who sees the order to inspect it) gets the same
    404 as a stranger: for what concerns only the buyer and the factory, such as money."""
    lookups: list = [
        Prefetch(
            "events",
            queryset=OrderEvent.objects.select_related("actor", "actor_organization"),
        )
        if relation == "events"
        else relation
        for relation in relations
    ]
    queryset = order_list(organization=organization).prefetch_related(*lookups)
    order = get_for_organization_or_404(queryset, organization, pk=pk)
    if parties_only and organization.pk not in (order.buyer_id, order.factory_id):
        raise NotFoundError(_("Not found."))
    return order


def order_money_visible(order: Order, organization: Organization) -> bool:
    """Whether `organization` sees the order's prices: the buyer, the factory and operators
    do; an inspector assigned to the order sees what it inspects, not what the deal is worth."""
    return money_visible_to(
        organization,
        buyer_id=order.buyer_id,
        factory_id=order.factory_id,
        inspector_id=order.inspector_id,
    )


def money_visible_to(
    organization: Organization, *, buyer_id: int, factory_id: int, inspector_id: int | None
) -> bool:
    """`order_money_visible` for an order known by its parties' ids (a summary row)."""
    return organization.pk in (buyer_id, factory_id) or organization.pk != inspector_id


def order_row_get(*, organization: Organization, pk: int) -> Order:
    """The order's own row, no related rows (404 when not the caller's): for a write whose
    service locks and re-reads it anyway."""
    return get_for_organization_or_404(Order.objects.all(), organization, pk=pk)


@dataclass(frozen=True)
class ProgressPoint:
    day: datetime.date
    planned: int
    actual: int
    planned_cumulative: int
    actual_cumulative: int


def production_progress(order: Order) -> list[ProgressPoint]:
    """Plan against actual, cumulative, for every day from the day before the first planned
    or reported day (a zero baseline) to the last one: the chart and the API share it."""
    return progress_points(
        order.production_plan,
        ((report.day, report.units) for report in order.production_reports.all()),
    )


# A progress entry's values (`progress_report_rows`), in the order they were recorded.
PROGRESS_REPORT_VALUES = ("pk", "day", "units", "note", "corrects_id", "reported_at")


# Written out: the ORM's values() query cost more CPU to build than to run.
_PROGRESS_REPORT_ROWS_SQL = """
SELECT id, day, units, note, corrects_id, reported_at FROM orders_productionreport
WHERE order_id = %s ORDER BY reported_at, id
"""


def progress_report_rows(order: Order) -> list[dict[str, Any]]:
    """The order's progress entries and corrections as plain rows (`PROGRESS_REPORT_VALUES`),
    oldest first: what the progress answer shows, read without model instances."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_REPORT_ROWS_SQL, [order.pk])
        return [dict(zip(PROGRESS_REPORT_VALUES, row, strict=True)) for row in cursor.fetchall()]


def progress_points(
    plan: dict[str, int], reported: Iterable[tuple[datetime.date, int]]
) -> list[ProgressPoint]:
    """`production_progress` from the plan ({"YYYY-MM-DD": units}) and the (day, units)
    of every entry and correction."""
    planned = {datetime.date.fromisoformat(day): units for day, units in plan.items()}
    actual: dict[datetime.date, int] = {}
    for report_day, units in reported:  # entries and corrections add up
        actual[report_day] = actual.get(report_day, 0) + units
    days = set(planned) | set(actual)
    if not days:
        return []
    day = min(days) - datetime.timedelta(days=1)
    points, planned_total, actual_total = [], 0, 0
    while day <= max(days):
        planned_total += planned.get(day, 0)
        actual_total += actual.get(day, 0)
        points.append(
            ProgressPoint(day, planned.get(day, 0), actual.get(day, 0), planned_total, actual_total)
        )
        day += datetime.timedelta(days=1)
    return points


@dataclass(frozen=True)
class ProgressEntry:
    """A progress entry as it stands: its units, its corrections, and what it now counts."""

    report: ProductionReport
    corrections: list[ProductionReport]

    @property
    def counted(self) -> int:
        return self.report.units + sum(item.units for item in self.corrections)


def production_entries(order: Order) -> list[ProgressEntry]:
    """The order's progress entries, oldest first, each with its corrections (from the
    prefetched `production_reports`: no query of its own)."""
    reports = sorted(order.production_reports.all(), key=lambda item: (item.reported_at, item.pk))
    corrections: dict[int, list[ProductionReport]] = {}
    for report in reports:
        if report.corrects_id is not None:
            corrections.setdefault(report.corrects_id, []).append(report)
    return [
        ProgressEntry(report, corrections.get(report.pk, []))
        for report in reports
        if report.corrects_id is None
    ]


def reported_total(order: Order) -> int:
    """Units reported so far (entries and corrections), from the prefetched reports."""
    return sum(report.units for report in order.production_reports.all())


def inspection_organizations() -> QuerySet[Organization]:
    """Who a buyer may assign to inspect an order: active inspection organizations and
    the platform operator."""
    return Organization.objects.filter(
        kind__in=[Organization.Kind.INSPECTION, Organization.Kind.OPERATOR],
        status=Organization.Status.ACTIVE,
    ).order_by("kind", "name")


def factory_record(*, factory_ids: list[int]) -> dict[int, dict]:
    """Each factory's record on the platform, for comparing quotes: completed orders,
    on-time shipping rate, average review. Two queries whatever the number of factories."""
    shipped = Q(factory_orders__shipped_on__isnull=False)
    on_time = shipped & Q(factory_orders__shipped_on__lte=F("factory_orders__ready_by"))
    orders = (
        Organization.objects.filter(pk__in=factory_ids)
        .annotate(
            completed=Count(
                "factory_orders", filter=Q(factory_orders__status=OrderStatus.COMPLETED)
            ),
            shipped=Count("factory_orders", filter=shipped),
            on_time=Count("factory_orders", filter=on_time),
        )
        .values("pk", "completed", "shipped", "on_time")
    )
    ratings = {
        row["factory_id"]: row
        for row in Review.objects.filter(factory_id__in=factory_ids)
        .values("factory_id")
        .annotate(
            count=Count("pk"),
            quality=Avg("quality"),
            delivery=Avg("delivery"),
            communication=Avg("communication"),
        )
    }
    record = {}
    for row in orders:
        rating = ratings.get(row["pk"])
        record[row["pk"]] = {
            "completed_orders": row["completed"],
            "on_time_rate": row["on_time"] / row["shipped"] if row["shipped"] else None,
            "rating": round(
                (rating["quality"] + rating["delivery"] + rating["communication"]) / 3, 2
            )
            if rating
            else None,
            "rating_count": rating["count"] if rating else 0,
        }
    return record


def order_review(*, order: Order) -> Review | None:
    return Review.objects.filter(order=order).first()


def factory_reviews(*, factory: Organization, limit: int = 20) -> list[Review]:
    """A factory's latest reviews for its public page (one query; buyers stay unnamed)."""
    return list(Review.objects.filter(factory=factory).order_by("-created_at", "-pk")[:limit])


def review_get(*, organization: Organization, pk: int) -> Review:
    return get_for_organization_or_404(Review.objects.all(), organization, pk=pk)


def dashboard_counts(*, organization: Organization) -> dict:
    """Open RFQs, active orders and those waiting for this organization. Two queries."""
    party = Party.BUYER if organization.kind == Organization.Kind.BUYER else Party.FACTORY
    waiting_statuses = statuses_waiting_for(party)
    if organization.kind == Organization.Kind.INSPECTION:
        waiting_statuses = [OrderStatus.INSPECTION]  # the lots it was assigned to inspect
    orders = Order.objects.for_organization(organization).aggregate(
        active=Count("pk", filter=~Q(status__in=sorted(TERMINAL_STATUSES))),
        waiting=Count("pk", filter=Q(status__in=waiting_statuses)),
    )
    open_rfqs = RFQ.objects.for_organization(organization).filter(status=RFQ.Status.OPEN).count()
    return {"open_rfqs": open_rfqs, **orders}


def rfq_attachment_get(*, organization: Organization, rfq_pk: int, pk: int):
    """An attachment of an RFQ the organization may see; 404 otherwise."""
    rfq = rfq_get(organization=organization, pk=rfq_pk)
    attachment = RFQAttachment.objects.filter(rfq=rfq, pk=pk).first()
    if attachment is None:
        raise NotFoundError(_("Not found."))
    return attachment.file, attachment.original_name


def order_file_get(*, organization: Organization, order_pk: int, kind: str, pk: int):
    """An inspection photo, a dispute's evidence or a message's attachment of an order the
    organization is party to; 404 otherwise. Returns the stored file and a download name."""
    order = order_get(organization=organization, pk=order_pk, relations=())
    if kind == "photo":
        photo = InspectionPhoto.objects.filter(inspection__order=order, pk=pk).first()
        if photo is not None:
            return photo.image, (photo.image.name or "photo").rsplit("/", 1)[-1]
    elif kind == "evidence":
        item = DisputeEvidence.objects.filter(dispute__order=order, pk=pk).first()
        if item is not None:
            return item.file, item.original_name
    elif kind == "message":
        attachment = OrderMessageAttachment.objects.filter(message__order=order, pk=pk).first()
        if attachment is not None:
            return attachment.file, attachment.original_name
    raise NotFoundError(_("Not found."))


# --- Platform-wide figures for the operators' dashboard (every organization) -------------


class _Percentile(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=percentile, **extra)


@dataclass(frozen=True)
class PlatformOrderFigures:
    weekly: list[dict]  # {"week": date, "currency": str, "orders": int, "gmv_minor": int}
    by_status: dict[str, int]
    quote_hours_p50: float | None
    quote_hours_p90: float | None
    invitations: int
    answered: int
    delivered: int
    on_time: int
    inspected_units: int
    defects: int
    inspections_failed: int
    inspections: int
    disputes: int


def platform_order_figures(*, since: datetime.datetime) -> PlatformOrderFigures:
    """Orders since `since` across the platform, in six queries whatever the volume:
    weekly count and GMV (goods at the agreed price, cancelled orders left out), orders by
    status, quote response time (median and 90th percentile from invitation to answer),
    delivery on or before the promised date, defects found at inspection, disputes."""
    orders = Order.objects.filter(created_at__gte=since)
    weekly = list(
        orders.exclude(status=OrderStatus.CANCELLED)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "currency")
        .annotate(orders=Count("pk"), gmv_minor=Sum(F("unit_price_minor") * F("quantity")))
        .order_by("week", "currency")
    )
    by_status = dict(
        orders.values("status").annotate(n=Count("pk")).values_list("status", "n").order_by()
    )
    response = ExpressionWrapper(
        Extract(F("responded_at") - F("invited_at"), "epoch") / 3600.0, output_field=FloatField()
    )
    quotes = RFQInvitation.objects.filter(invited_at__gte=since).aggregate(
        invitations=Count("pk"),
        answered=Count("pk", filter=Q(responded_at__isnull=False)),
        p50=_Percentile(response, 0.5, filter=Q(responded_at__isnull=False)),
        p90=_Percentile(response, 0.9, filter=Q(responded_at__isnull=False)),
    )
    delivery = Order.objects.filter(delivered_at__gte=since).aggregate(
        delivered=Count("pk"),
        on_time=Count("pk", filter=Q(delivered_at__date__lte=F("ready_by"))),
    )
    inspections = Inspection.objects.filter(created_at__gte=since).aggregate(
        inspections=Count("pk"),
        failed=Count("pk", filter=Q(passed=False)),
        units=Sum("sample_size"),
        defects=Sum("defects_found"),
    )
    return PlatformOrderFigures(
        weekly=[dict(row) for row in weekly],
        by_status=by_status,
        quote_hours_p50=quotes["p50"],
        quote_hours_p90=quotes["p90"],
        invitations=quotes["invitations"],
        answered=quotes["answered"],
        delivered=delivery["delivered"],
        on_time=delivery["on_time"],
        inspected_units=inspections["units"] or 0,
        defects=inspections["defects"] or 0,
        inspections_failed=inspections["failed"],
        inspections=inspections["inspections"],
        disputes=Dispute.objects.filter(created_at__gte=since).count(),
    )


# --- conversations ---------------------------------------------------------------------------


def order_thread(*, order: Order) -> QuerySet[OrderMessage]:
    """The order's messages, oldest first, with their attachments (two queries)."""
    return (
        OrderMessage.objects.filter(order=order)
        .select_related("author", "author_organization")
        .prefetch_related("attachments")
    )


@dataclass(frozen=True)
class Conversation:
    """One line of the inbox: an order's or an RFQ's messages with the other party."""

    kind: str  # "order" or "rfq"
    pk: int
    label: str
    title: str
    counterpart: str
    last_at: datetime.datetime
    unread: int

    @property
    def url(self) -> str:
        if self.kind == "order":
            return reverse("orders:order_detail", kwargs={"pk": self.pk}) + "#messages"
        return reverse("orders:rfq_detail", kwargs={"pk": self.pk}) + "#thread"


_NEVER = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def conversations(*, user, organization: Organization) -> list[Conversation]:
    """The organization's conversations with messages, latest first, each with how many
    messages from the other party `user` has not read: two queries whatever their number."""
    order_read = ConversationRead.objects.filter(
        user=user, organization=organization, order=OuterRef("pk")
    ).values("read_at")[:1]
    order_unread = Q(messages__created_at__gt=Coalesce(Subquery(order_read), Value(_NEVER))) & ~Q(
        messages__author_organization=organization
    )
    orders = (
        Order.objects.for_organization(organization)
        .filter(messages__isnull=False)
        .annotate(
            last_at=Max("messages__created_at"),
            unread=Count("messages", filter=order_unread),
        )
        .select_related("buyer", "factory")
    )
    rfq_read = ConversationRead.objects.filter(
        user=user, organization=organization, rfq=OuterRef("pk")
    ).values("read_at")[:1]
    # A factory's conversation on an RFQ is its own thread; the buyer's spans every factory.
    own = (
        Q() if organization.kind != Organization.Kind.FACTORY else Q(messages__factory=organization)
    )
    rfq_unread = (
        own
        & Q(messages__created_at__gt=Coalesce(Subquery(rfq_read), Value(_NEVER)))
        & ~Q(messages__author_organization=organization)
    )
    rfqs = (
        RFQ.objects.for_organization(organization)
        .filter(messages__isnull=False)
        .annotate(
            last_at=Max("messages__created_at", filter=own),
            unread=Count("messages", filter=rfq_unread),
        )
        .filter(last_at__isnull=False)
        .select_related("buyer")
    )
    rows = [
        Conversation(
            kind="order",
            pk=order.pk,
            label=order.number,
            title=order.title,
            counterpart=(
                order.factory.name if order.buyer_id == organization.pk else order.buyer.name
            ),
            last_at=order.last_at,
            unread=order.unread,
        )
        for order in orders
    ]
    rows += [
        Conversation(
            kind="rfq",
            pk=rfq.pk,
            label=f"RFQ-{rfq.pk}",
            title=rfq.title,
            counterpart="" if rfq.buyer_id == organization.pk else rfq.buyer.name,
            last_at=rfq.last_at,
            unread=rfq.unread,
        )
        for rfq in rfqs
    ]
    return sorted(rows, key=lambda row: row.last_at, reverse=True)
