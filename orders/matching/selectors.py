"""Reads for the batch matcher: the open demand that has no factory yet, and what the
factories offer. Factories are read only through `factories.selectors`."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from factories import selectors as factory_selectors
from orders.models import RFQ, RFQInvitation
from orders.signals import matching_demand_collect

logger = logging.getLogger(__name__)

# A brand-new RFQ is first matched on commit by `orders.tasks.rfq_match_task`; the batch
# matcher leaves it that long so the two never race for the same RFQ.
ON_SUBMISSION_GRACE = datetime.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class OpenDemand:
    """Production demand without capacity yet: an open RFQ (`rfq_pk`), or another app's
    committed demand (`reference`, e.g. a group campaign that met its target) announced on
    `orders.signals.matching_demand_collect`. The latter names its `factory_pk`, starts on
    `start` and, once planned in full, holds that factory's capacity under `reference`
    until `hold_expires_at`."""

    rfq_pk: int | None
    category_pk: int
    quantity: int
    ready_by: datetime.date
    start: datetime.date | None = None
    factory_pk: int | None = None
    reference: str = ""
    hold_expires_at: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class FactoryTerms:
    factory_pk: int
    min_order_quantity: int
    standard_lead_days: int
    price_level: int
    on_time_rate: float | None


def open_unmatched_demand(*, today: datetime.date, now: datetime.datetime | None = None):
    """Open RFQs not yet due that no factory has been invited to (one query)."""
    now = now or timezone.now()
    invited = RFQInvitation.objects.filter(rfq=OuterRef("pk"))
    rows = (
        RFQ.objects.open()
        .filter(
            ready_by__gte=today,
            created_at__lte=now - ON_SUBMISSION_GRACE,
            directed_to__isnull=True,
        )
        .exclude(Exists(invited))
        .order_by("ready_by", "pk")
        .values_list("pk", "category_id", "quantity", "ready_by")
    )
    return [OpenDemand(*row) for row in rows]


def committed_demand(*, today: datetime.date, now: datetime.datetime) -> list[OpenDemand]:
    """Other apps' committed demand (receivers of `matching_demand_collect`) that holds no
    capacity yet and can start within the horizon (one query for the holds)."""
    demands: list[OpenDemand] = []
    for receiver, response in matching_demand_collect.send_robust(
        sender=OpenDemand, today=today, now=now
    ):
        if isinstance(response, Exception):
            logger.error("Demand source %r failed", receiver, exc_info=response)
            continue
        demands.extend(response)
    held = references_holding(references=[demand.reference for demand in demands])
    return [demand for demand in demands if demand.reference not in held]


def references_holding(*, references: list[str]) -> set[str]:
    """Those of `references` that hold or book capacity now (one query)."""
    return factory_selectors.reservation_references_active(references=references)


def rfq_has_factory(*, rfq: RFQ) -> bool:
    return rfq.invitations.exists()


def factory_terms(*, factory_pks: list[int]) -> dict[int, FactoryTerms]:
    """Minimum order, lead time, price level and on-time record of verified factories
    (one query)."""
    profiles = (
        factory_selectors.factory_public_list(verified=True)
        .filter(organization_id__in=factory_pks)
        .prefetch_related(None)
    )
    return {
        profile.organization_id: FactoryTerms(
            factory_pk=profile.organization_id,
            min_order_quantity=profile.min_order_quantity,
            standard_lead_days=profile.standard_lead_days,
            price_level=profile.price_level,
            on_time_rate=_on_time_rate(profile),
        )
        for profile in profiles
    }


def _on_time_rate(profile) -> float | None:
    performance = getattr(profile.organization, "factory_performance", None)
    return None if performance is None else performance.on_time_rate


def free_capacity(
    *, category_pks: list[int], start: datetime.date, end: datetime.date
) -> dict[tuple[int, int, datetime.date], int]:
    """Free units per (factory, category, day), verified factories only (one query)."""
    return factory_selectors.free_capacity_matrix(category_ids=category_pks, start=start, end=end)
