"""Opening an order: the row, and a hold on the factory's capacity for its production
window (all or nothing). A service order (a repair, a spare part, an installation agreed
on an equipment lead) opens without a sample and without the capacity calendar."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidError
from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.texts import Text
from orders import capacity
from orders.exceptions import OrderConflictError
from orders.inspection import DEFAULT_AQL, checklist_for_category
from orders.models import RFQ, Order, OrderEvent, OrderStatus, Quote
from orders.services import holds
from orders.signals import order_opened, send_on_commit
from orders.transitions import Event

if TYPE_CHECKING:
    from catalog.models import Category

HOLD_ATTEMPTS = 5


def order_open(
    *,
    buyer: Organization,
    factory: Organization,
    acting_user: User,
    category: Category,
    title: str,
    spec: str,
    quantity: int,
    unit_price: Money,
    sample_fee: Money,
    lead_time_days: int,
    ready_by: datetime.date,
    with_sample: bool,
    rfq: RFQ | None = None,
    quote: Quote | None = None,
    repeat_of: Order | None = None,
    design_pk: int | None = None,
    aql: str = DEFAULT_AQL,
    inspection_checklist: list[str] | None = None,
    note: Text | str = "",
) -> Order:
    """Create the order and hold the factory's capacity for its production window. Call
    inside a transaction: a failed hold raises OrderConflictError and rolls it all back."""
    if not capacity.is_verified(factory=factory):
        raise OrderConflictError(_("This factory is not verified at the moment."))
    today = timezone.localdate()
    start = holds.production_start(with_sample=with_sample, today=today)
    if ready_by < start:
        raise OrderConflictError(
            _("There is no time left to produce by %(date)s.") % {"date": ready_by}
        )
    last_day = holds.window_end(start=start, lead_time_days=lead_time_days)
    if last_day > ready_by:
        raise OrderConflictError(
            _(
                "The quoted lead time of %(days)d days, after the sample stage, ends on "
                "%(end)s: later than the ready-by date %(date)s. Ask for a revised quote."
            )
            % {"days": lead_time_days, "end": last_day.isoformat(), "date": ready_by.isoformat()}
        )

    def plan_or_conflict() -> dict[datetime.date, int]:
        plan = capacity.production_plan(
            factory=factory,
            category=category,
            quantity=quantity,
            start=start,
            ready_by=ready_by,
            spread_until=last_day,
        )
        if not plan:
            raise OrderConflictError(
                _("%(factory)s no longer has free capacity for %(quantity)d units by %(date)s.")
                % {"factory": factory.name, "quantity": quantity, "date": ready_by}
            )
        return plan

    plan = plan_or_conflict()
    now = timezone.now()
    hold_expires_at = holds.hold_expiry(plan)
    status = OrderStatus.SAMPLE_REQUESTED if with_sample else OrderStatus.AWAITING_PAYMENT
    order = Order.objects.create(
        buyer=buyer,
        factory=factory,
        rfq=rfq,
        quote=quote,
        repeat_of=repeat_of,
        design_id=design_pk,
        category=category,
        title=title,
        spec=spec,
        quantity=quantity,
        currency=unit_price.currency,
        unit_price_minor=unit_price.amount_minor,
        sample_fee_minor=sample_fee.amount_minor if with_sample else 0,
        lead_time_days=lead_time_days,
        status=status,
        with_sample=with_sample,
        production_plan=holds.plan_as_json(plan),
        ready_by=holds.promised_date(plan=plan, window_last_day=last_day),
        hold_expires_at=hold_expires_at,
        status_changed_at=now,
        # The quality terms are fixed here: later changes to the quote or to the
        # category's checklist do not reach the order.
        aql=aql,
        inspection_checklist=list(inspection_checklist or checklist_for_category(category)),
    )
    order.reservation_reference = capacity.reservation_reference(order.pk)
    # Concurrent acceptances plan on the same free days; the loser of a day re-plans on
    # what is left (the hold is all-or-nothing, so a failed attempt leaves nothing behind).
    for attempt in range(HOLD_ATTEMPTS):
        try:
            capacity.hold(
                factory=factory,
                category=category,
                allocations=plan,
                reference=order.reservation_reference,
                expires_at=hold_expires_at,
            )
            break
        except capacity.CapacityGoneError as error:
            if attempt == HOLD_ATTEMPTS - 1:
                raise OrderConflictError(
                    _("The factory's capacity was taken meanwhile: %(reason)s") % {"reason": error}
                ) from error
            plan = plan_or_conflict()
            hold_expires_at = holds.hold_expiry(plan)
    order.production_plan = holds.plan_as_json(plan)
    order.ready_by = holds.promised_date(plan=plan, window_last_day=last_day)
    order.hold_expires_at = hold_expires_at
    order.save(
        update_fields=["reservation_reference", "production_plan", "ready_by", "hold_expires_at"]
    )
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=buyer,
        action=Event.ORDER_CREATED,
        to_status=status,
        **OrderEvent.note_fields(note),
        data={
            "production_plan": order.production_plan,
            "ready_by": order.ready_by.isoformat(),
            "hold_expires_at": hold_expires_at.isoformat(),
        },
    )
    send_on_commit(
        order_opened,
        sender=Order,
        order_pk=order.pk,
        buyer_pk=buyer.pk,
        factory_pk=factory.pk,
        design_pk=design_pk,
    )
    return order


SERVICE_PROVIDER_KINDS = (Organization.Kind.FACTORY, Organization.Kind.SERVICE_PROVIDER)


def order_open_for_service(
    *,
    buyer: Organization,
    provider: Organization,
    acting_user: User,
    category: Category,
    title: str,
    spec: str,
    price: Money,
    days_to_service: int,
    note: Text | str = "",
) -> Order:
    """Open the order for a service job the buyer agreed with `provider` (a service
    provider, or the factory that supplied the equipment): one job at `price`, awaiting
    payment, due `days_to_service` days from today. No sample is made and no capacity is
    held or booked: the order has no production plan and no reservation reference, which
    the start and cancel effects read as "no calendar". Call inside the caller's
    transaction; bad input raises InvalidError before anything is written."""
    if buyer.kind != Organization.Kind.BUYER:
        raise InvalidError({"buyer": [_("Only a buyer organization places an order.")]})
    if provider.kind not in SERVICE_PROVIDER_KINDS or provider.pk == buyer.pk:
        raise InvalidError({"provider": [_("A service order goes to a provider or a factory.")]})
    if price.amount_minor <= 0:
        raise InvalidError({"price": [_("Enter a price above zero.")]})
    if days_to_service < 0:
        raise InvalidError({"days_to_service": [_("Cannot be negative.")]})
    now = timezone.now()
    order = Order.objects.create(
        buyer=buyer,
        factory=provider,
        category=category,
        title=title[:200],
        spec=spec,
        quantity=1,
        currency=price.currency,
        unit_price_minor=price.amount_minor,
        sample_fee_minor=0,
        lead_time_days=days_to_service,
        status=OrderStatus.AWAITING_PAYMENT,
        with_sample=False,
        production_plan={},
        ready_by=timezone.localdate() + datetime.timedelta(days=days_to_service),
        hold_expires_at=None,
        status_changed_at=now,
        inspection_checklist=checklist_for_category(category),
    )
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=buyer,
        action=Event.ORDER_CREATED,
        to_status=order.status,
        **OrderEvent.note_fields(note),
        data={"service": True},
    )
    return order
