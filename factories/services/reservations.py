"""Reserving capacity: holds, bookings, confirmation, release, expiry.

The concurrency rule (see docs/adr/0002 and the race tests): every day is taken with ONE
conditional `UPDATE ... SET held = held + n WHERE ... AND held + booked + n <= units`, in
ascending date order, inside one transaction. A day that does not match raises
`CapacityUnavailable` and the transaction rolls every earlier day back. Nothing is read,
decided in Python and written back. Lock order everywhere: the reservation row first, then
the factory's free-capacity line (`calendar_write`, which also keeps that read model), then
capacity cells by (category, date) ascending, so concurrent writers never deadlock.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category
from factories import texts
from factories.models import CapacityDay, Reservation, ReservationDay, ReservationEvent
from factories.services.capacity_lines import calendar_write
from marketplace.exceptions import ConflictError
from marketplace.models import Organization
from marketplace.texts import Text, choice, stored

logger = logging.getLogger(__name__)


class CapacityUnavailable(ConflictError):  # noqa: N818 - the name is a published interface
    """A day lacks the free units asked for. `day` names it; nothing was changed."""

    def __init__(self, day: datetime.date, requested: int, message: str | None = None) -> None:
        self.day = day
        self.requested = requested
        super().__init__(
            message
            or _("Not enough free capacity on %(day)s for %(units)d units.")
            % {"day": day.isoformat(), "units": requested}
        )


class ReservationReferenceError(ConflictError):
    """Another active reservation already carries this reference."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            _("Another reservation already uses the reference %(reference)s.")
            % {"reference": reference}
        )


def _normalised(allocations: dict[datetime.date, int]) -> list[tuple[datetime.date, int]]:
    if not allocations:
        raise ValueError("allocations must name at least one day")
    days = []
    for day, units in sorted(allocations.items()):
        if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
            raise ValueError(f"allocation day must be a date, got {day!r}")
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"allocation for {day} must be a positive integer, got {units!r}")
        days.append((day, units))
    return days


def _cells(reservation_or_ids: Reservation | tuple[int, int]):
    if isinstance(reservation_or_ids, Reservation):
        organization_id = reservation_or_ids.organization_id
        category_id = reservation_or_ids.category_id
    else:
        organization_id, category_id = reservation_or_ids
    return CapacityDay.objects.filter(organization_id=organization_id, category_id=category_id)


def _take(
    *, organization_id: int, category_id: int, days: list[tuple[datetime.date, int]], column: str
) -> None:
    """Add units to `column` ("held" or "booked") day by day, or raise for the first day
    without room. One conditional UPDATE per day; the caller's transaction rolls back."""
    cells = _cells((organization_id, category_id))
    for day, units in days:
        updated = cells.filter(date=day, units__gte=F("held") + F("booked") + units).update(
            **{column: F(column) + units}
        )
        if updated != 1:
            raise CapacityUnavailable(day, units)


def _give_back(*, reservation: Reservation, column: str) -> None:
    cells = _cells(reservation)
    for day in reservation.days.order_by("date"):
        updated = cells.filter(date=day.date, **{f"{column}__gte": day.units}).update(
            **{column: F(column) - day.units}
        )
        if updated != 1:  # the recorded units are always there unless data was edited by hand
            logger.error("reservation %s: %s on %s was already gone", reservation.pk, column, day)


def _event(reservation: Reservation, action: str, note: Text | None = None) -> None:
    note_key, _plain, note_params = stored(note) if note is not None else ("", "", {})
    ReservationEvent.objects.create(
        reservation=reservation, action=action, note_key=note_key, note_params=note_params
    )


def _same_request(
    existing: Reservation, factory: Organization, category: Category, days: list, status: str
) -> bool:
    return (
        existing.organization_id == factory.pk
        and existing.category_id == category.pk
        and existing.status == status
        and sorted(existing.allocations.items()) == days
    )


def _reserve(
    *,
    factory: Organization,
    category: Category,
    allocations: dict[datetime.date, int],
    reference: str,
    status: str,
    expires_at: datetime.datetime | None,
) -> Reservation:
    days = _normalised(allocations)
    if not reference or len(reference) > 100:
        raise ValueError("reference must be 1..100 characters")
    existing = Reservation.objects.filter(
        reference=reference, status__in=Reservation.ACTIVE_STATUSES
    ).first()
    if existing is not None:
        # A retried call (a task run twice) gets the reservation it already made.
        if _same_request(existing, factory, category, days, status):
            return existing
        raise ReservationReferenceError(reference)
    try:
        with transaction.atomic():
            reservation = Reservation.objects.create(
                organization=factory,
                category=category,
                reference=reference,
                status=status,
                quantity=sum(units for _day, units in days),
                expires_at=expires_at,
                confirmed_at=timezone.now() if status == Reservation.Status.BOOKED else None,
            )
    except IntegrityError as error:
        # A concurrent call with the same reference committed first: same request, same answer.
        winner = Reservation.objects.filter(
            reference=reference, status__in=Reservation.ACTIVE_STATUSES
        ).first()
        if winner is not None and _same_request(winner, factory, category, days, status):
            return winner
        raise ReservationReferenceError(reference) from error
    ReservationDay.objects.bulk_create(
        ReservationDay(reservation=reservation, date=day, units=units) for day, units in days
    )
    _event(reservation, status)
    # The hot calendar rows are taken last, so their row locks are held only for these
    # UPDATEs and the commit; a refusal rolls the rows above back with them.
    with calendar_write(lines=[(factory.pk, category.pk)]):
        _take(organization_id=factory.pk, category_id=category.pk, days=days, column=status)
    return reservation


@transaction.atomic
def capacity_hold(
    *,
    factory: Organization,
    category: Category,
    allocations: dict[datetime.date, int],
    reference: str,
    expires_at: datetime.datetime,
) -> Reservation:
    """Hold units on each day (all or nothing) until `expires_at`; held units are not free."""
    return _reserve(
        factory=factory,
        category=category,
        allocations=allocations,
        reference=reference,
        status=Reservation.Status.HELD,
        expires_at=expires_at,
    )


@transaction.atomic
def capacity_book(
    *,
    factory: Organization,
    category: Category,
    allocations: dict[datetime.date, int],
    reference: str,
) -> Reservation:
    """Book units on each day directly (all or nothing)."""
    return _reserve(
        factory=factory,
        category=category,
        allocations=allocations,
        reference=reference,
        status=Reservation.Status.BOOKED,
        expires_at=None,
    )


def _sync(target: Reservation, source: Reservation) -> Reservation:
    for field in ("status", "expires_at", "confirmed_at", "released_at"):
        setattr(target, field, getattr(source, field))
    return source


@transaction.atomic
def reservation_confirm(*, reservation: Reservation) -> Reservation:
    """Turn a hold into a booking. A hold that expired or was released is re-reserved when
    its days are still free; otherwise CapacityUnavailable and nothing changes."""
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.status == Reservation.Status.BOOKED:
        return _sync(reservation, locked)
    days = [(day.date, day.units) for day in locked.days.order_by("date")]
    with calendar_write(lines=[(locked.organization_id, locked.category_id)]):
        note = _confirm_days(locked, days)
    locked.status = Reservation.Status.BOOKED
    locked.confirmed_at = timezone.now()
    locked.expires_at = None
    locked.released_at = None
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "confirmed_at", "expires_at", "released_at"])
    except IntegrityError as error:  # a new reservation took the reference meanwhile
        raise ReservationReferenceError(locked.reference) from error
    _event(locked, "confirmed", note)
    return _sync(reservation, locked)


@transaction.atomic
def reservation_release(*, reservation: Reservation) -> None:
    """Give back exactly what the reservation took. Safe to call twice."""
    _release(pk=reservation.pk, final_status=Reservation.Status.RELEASED)
    reservation.refresh_from_db(fields=["status", "released_at", "expires_at", "confirmed_at"])


@transaction.atomic
def reservation_reschedule(
    *,
    reservation: Reservation,
    allocations: dict[datetime.date, int],
    expires_at: datetime.datetime,
) -> Reservation:
    """Move an active hold onto other days (all or nothing) and give it a new expiry: its
    units come back first, then each new day is taken with the same conditional UPDATE as
    a new hold. A day without room raises CapacityUnavailable and nothing changes; a
    booking or a lapsed hold is a ConflictError."""
    days = _normalised(allocations)
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.status != Reservation.Status.HELD:
        raise ConflictError(_("Only a current hold can be moved."))
    before = ", ".join(f"{day.date}:{day.units}" for day in locked.days.order_by("date"))
    with calendar_write(lines=[(locked.organization_id, locked.category_id)]):
        _give_back(reservation=locked, column="held")
        _take(
            organization_id=locked.organization_id,
            category_id=locked.category_id,
            days=days,
            column="held",
        )
    locked.days.all().delete()
    ReservationDay.objects.bulk_create(
        ReservationDay(reservation=locked, date=day, units=units) for day, units in days
    )
    locked.quantity = sum(units for _day, units in days)
    locked.expires_at = expires_at
    locked.save(update_fields=["quantity", "expires_at"])
    _event(locked, "rescheduled", texts.NOTE_RESCHEDULED(days=before))
    return _sync(reservation, locked)


def _confirm_days(locked: Reservation, days: list[tuple[datetime.date, int]]) -> Text | None:
    """Move a hold's units to booked, or book a lapsed reservation's days again; returns
    the event note."""
    if locked.status == Reservation.Status.HELD:
        # Still held (even past its expiry, until the expiry task runs): the units are ours.
        cells = _cells(locked)
        for day, units in days:
            updated = cells.filter(date=day, held__gte=units).update(
                held=F("held") - units, booked=F("booked") + units
            )
            if updated != 1:
                raise CapacityUnavailable(day, units)
        return None
    clash = (
        Reservation.objects.filter(
            reference=locked.reference, status__in=Reservation.ACTIVE_STATUSES
        )
        .exclude(pk=locked.pk)
        .exists()
    )
    if clash:
        raise ReservationReferenceError(locked.reference)
    _take(
        organization_id=locked.organization_id,
        category_id=locked.category_id,
        days=days,
        column="booked",
    )
    return texts.NOTE_REBOOKED(status=choice("factories.reservation_status", locked.status))


def _release(*, pk: int, final_status: str, only_expired: bool = False) -> bool:
    query = Reservation.objects.select_for_update().filter(
        pk=pk, status__in=Reservation.ACTIVE_STATUSES
    )
    if only_expired:
        query = query.filter(status=Reservation.Status.HELD, expires_at__lte=timezone.now())
    locked = query.first()
    if locked is None:
        return False
    with calendar_write(lines=[(locked.organization_id, locked.category_id)]):
        _give_back(reservation=locked, column=locked.status)
    locked.status = final_status
    locked.released_at = timezone.now()
    locked.save(update_fields=["status", "released_at"])
    _event(locked, final_status)
    return True


def reservations_expire() -> int:
    """Release every hold past its expiry; returns how many. Idempotent."""
    expired_pks = list(
        Reservation.objects.filter(
            status=Reservation.Status.HELD, expires_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:5000]
    )
    released = 0
    for pk in expired_pks:
        with transaction.atomic():
            if _release(pk=pk, final_status=Reservation.Status.EXPIRED, only_expired=True):
                released += 1
    return released
