"""The one place Orders talks to Factories about capacity, search and performance.

Only the agreed `factories.services` / `factories.selectors` functions are used (never
factories' models), and a factory is its `Organization`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from factories import selectors as factory_selectors
from factories import services as factory_services
from factories.references import ReferenceLink
from marketplace.exceptions import ConflictError
from marketplace.models import Organization
from orders.models.orders import order_number


class CapacityGoneError(Exception):
    """The factory no longer has the free capacity this order needs."""


@dataclass(frozen=True)
class FactoryMatch:
    factory: Organization
    score: float
    available_units: int
    earliest_completion: datetime.date | None


RESERVATION_PREFIX = "order"


def reservation_reference(order_pk: int) -> str:
    return f"{RESERVATION_PREFIX}:{order_pk}"


def reservation_link(value: str) -> ReferenceLink | None:
    """The order a reservation serves, for the factory's calendar (no query: the number
    derives from the key)."""
    if not value.isdigit():
        return None
    pk = int(value)
    return ReferenceLink(label=order_number(pk), url=reverse("orders:order_detail", args=[pk]))


def production_plan(
    *,
    factory: Organization,
    category: Any,
    quantity: int,
    start: datetime.date,
    ready_by: datetime.date,
    spread_until: datetime.date | None = None,
) -> dict[datetime.date, int] | None:
    return factory_selectors.capacity_plan(
        factory=factory,
        category=category,
        quantity=quantity,
        start=start,
        ready_by=ready_by,
        spread_until=spread_until,
    )


def hold(
    *,
    factory: Organization,
    category: Any,
    allocations: dict[datetime.date, int],
    reference: str,
    expires_at: datetime.datetime,
) -> None:
    try:
        factory_services.capacity_hold(
            factory=factory,
            category=category,
            allocations=allocations,
            reference=reference,
            expires_at=expires_at,
        )
    except (
        factory_services.CapacityUnavailable,
        factory_services.ReservationReferenceError,
    ) as error:
        raise CapacityGoneError(str(error)) from error


def confirm(
    *,
    factory: Organization,
    category: Any,
    allocations: dict[datetime.date, int],
    reference: str,
    expires_at: datetime.datetime,
) -> None:
    """Turn the hold under `reference` into a booking. A hold that lapsed (expired or was
    released) is re-reserved by Factories when its days are still free; otherwise
    CapacityGoneError, with nothing changed."""
    reservation = factory_selectors.reservation_by_reference(reference=reference)
    try:
        if reservation is None:
            reservation = factory_services.capacity_hold(
                factory=factory,
                category=category,
                allocations=allocations,
                reference=reference,
                expires_at=expires_at,
            )
        factory_services.reservation_confirm(reservation=reservation)
    except (
        factory_services.CapacityUnavailable,
        factory_services.ReservationReferenceError,
    ) as error:
        raise CapacityGoneError(str(error)) from error


def reschedule(
    *, reference: str, allocations: dict[datetime.date, int], expires_at: datetime.datetime
) -> None:
    """Move the current hold under `reference` onto `allocations` with a new expiry (all
    or nothing); CapacityGoneError when a day lacks room or there is no current hold."""
    reservation = factory_selectors.reservation_by_reference(reference=reference)
    if reservation is None:
        raise CapacityGoneError("no hold")
    try:
        factory_services.reservation_reschedule(
            reservation=reservation, allocations=allocations, expires_at=expires_at
        )
    except ConflictError as error:
        raise CapacityGoneError(str(error)) from error


def release(*, reference: str) -> None:
    reservation = factory_selectors.reservation_by_reference(reference=reference)
    if reservation is not None:
        factory_services.reservation_release(reservation=reservation)


def search(
    *, category: Any, quantity: int, ready_by: datetime.date, limit: int
) -> list[FactoryMatch]:
    """Verified factories with free capacity for the job, best first."""
    results = factory_selectors.factory_search(
        category=category, quantity=quantity, ready_by=ready_by, limit=limit
    )
    return [
        FactoryMatch(
            factory=result.factory,
            score=float(result.score),
            available_units=int(result.available_units),
            earliest_completion=result.earliest_completion,
        )
        for result in results
        if factory_selectors.factory_is_verified(factory=result.factory)
    ]


def makes_category(*, factory: Organization, category: Any) -> bool:
    """An audited factory that lists `category` among the categories it makes."""
    return (
        factory_selectors.factory_public_list(category=category, verified=True)
        .filter(organization_id=factory.pk)
        .exists()
    )


def directable_factory(*, pk: int) -> Organization | None:
    """The audited factory `pk` a buyer may send a directed RFQ to, else None."""
    profile = factory_selectors.factory_public_list(verified=True).filter(organization_id=pk)
    found = profile.first()
    return found.organization if found is not None else None


def categories_made(*, factory: Organization) -> list[Any]:
    profile = factory_selectors.factory_profile_for(organization=factory)
    return list(profile.categories.all()) if profile is not None else []


def is_verified(*, factory: Organization) -> bool:
    return factory_selectors.factory_is_verified(factory=factory)


def performance_push(*, factory: Organization, **figures: Any) -> None:
    factory_services.factory_performance_update(factory=factory, **figures)
