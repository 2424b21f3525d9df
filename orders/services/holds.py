"""The production window and the capacity hold that serves it.

An order's production window starts after the sample stage (ORDERS_SAMPLE_LEAD_DAYS, or
the next day without a sample) and lasts the quoted lead time; the units are spread over
it (`factories.selectors.capacity_plan(spread_until=...)`). The promised ready date is the
window's last day, or the last planned day when free capacity pushed units later. The hold
serves the first planned day: it expires at the end of that day, never later, and while a
sample is under way either party may move the whole plan (and so the promise and the
hold) later by a few days, if the factory has the room.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidError
from marketplace.models import Organization, User
from marketplace.texts import words
from orders import capacity, notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.transition import order_party
from orders.transitions import Event, Party

# While the sample is being made, shipped or judged, production has not started.
SAMPLE_STAGE = frozenset(
    {OrderStatus.SAMPLE_REQUESTED, OrderStatus.SAMPLE_SHIPPED, OrderStatus.SAMPLE_REJECTED}
)


def production_start(*, with_sample: bool, today: datetime.date) -> datetime.date:
    """The first day production can run: after the sample stage, else tomorrow."""
    return today + datetime.timedelta(days=settings.ORDERS_SAMPLE_LEAD_DAYS if with_sample else 1)


def window_end(*, start: datetime.date, lead_time_days: int) -> datetime.date:
    """The last day of a production window of `lead_time_days` days starting on `start`."""
    return start + datetime.timedelta(days=max(lead_time_days, 1) - 1)


def promised_date(*, plan: dict[datetime.date, int], window_last_day: datetime.date):
    """The ready date promised for a plan: never before the quoted lead time is over."""
    return max(max(plan), window_last_day)


def hold_expiry(plan: dict[datetime.date, int]) -> datetime.datetime:
    """The end (local midnight) of the first planned production day: the hold serves that
    day, so it never outlives it."""
    day_after = min(plan) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))


def plan_as_json(plan: dict[datetime.date, int]) -> dict[str, int]:
    return {day.isoformat(): int(units) for day, units in sorted(plan.items()) if units}


def hold_extension_open(*, order: Order, party: Party) -> bool:
    """Whether `party` may move this order's hold later now."""
    return (
        party in (Party.BUYER, Party.FACTORY)
        and order.status in SAMPLE_STAGE
        and bool(order.reservation_reference)
        and not order.capacity_booked
        and order.hold_expires_at is not None
        and order.hold_expires_at > timezone.now()
    )


@transaction.atomic
def order_hold_extend(
    *, order: Order, acting_organization: Organization, acting_user: User, days: int, note: str = ""
) -> Order:
    """Move the order's production plan `days` days later, with its promised date and its
    capacity hold, while the sample is under way. Either party may; the factory's calendar
    must have room on every new day (conditional updates in Factories), otherwise
    OrderConflictError and nothing changes."""
    maximum = settings.ORDERS_HOLD_EXTENSION_MAX_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= maximum:
        raise InvalidError(
            {"days": [_("Enter a number of days from 1 to %(max)d.") % {"max": maximum}]}
        )
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    party = order_party(order=order, organization=acting_organization)
    if party not in (Party.BUYER, Party.FACTORY):
        raise WrongPartyError(_("Only the buyer or the factory can extend the hold."))
    if not hold_extension_open(order=order, party=party):
        raise OrderConflictError(
            _(
                "The capacity hold can be extended only while a sample is under way and "
                "the hold is current."
            )
        )
    shift = datetime.timedelta(days=days)
    old_plan = order.plan_allocations
    new_plan = {day + shift: units for day, units in old_plan.items()}
    horizon = timezone.localdate() + datetime.timedelta(days=settings.ORDERS_PLANNING_HORIZON_DAYS)
    if max(new_plan) > horizon:
        raise InvalidError({"days": [_("That is beyond the planning horizon.")]})
    expires_at = hold_expiry(new_plan)
    try:
        capacity.reschedule(
            reference=order.reservation_reference, allocations=new_plan, expires_at=expires_at
        )
    except capacity.CapacityGoneError as error:
        raise OrderConflictError(
            _("The factory has no free capacity for the later days: %(reason)s") % {"reason": error}
        ) from error
    old_ready_by = order.ready_by
    order.production_plan = plan_as_json(new_plan)
    order.ready_by = old_ready_by + shift
    order.hold_expires_at = expires_at
    order.save(update_fields=["production_plan", "ready_by", "hold_expires_at"])
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=acting_organization,
        action=Event.HOLD_EXTENDED,
        to_status=order.status,
        **OrderEvent.note_fields(words(note)),
        data={
            "days": days,
            "ready_by": {"from": old_ready_by.isoformat(), "to": order.ready_by.isoformat()},
            "production_plan": order.production_plan,
            "hold_expires_at": expires_at.isoformat(),
        },
    )
    other = order.factory if party == Party.BUYER else order.buyer
    notify.order_event(
        order=order,
        organization=other,
        title=texts.HOLD_EXTENDED(number=order.number, days=days),
        body=texts.HOLD_EXTENDED_BODY(old=old_ready_by, new=order.ready_by),
    )
    return order
