"""The order life cycle: opening an order with a capacity hold, the one transition service,
the payment hook, and the system's automatic steps."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.queue import enqueue_on_commit
from orders import capacity, notify
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.files import IMAGE_EXTENSIONS, validate_upload
from orders.inspection import AQL_CHOICES, DEFAULT_AQL, aql_plan, checklist_for_category
from orders.models import (
    Dispute,
    DisputeEvidence,
    Inspection,
    InspectionPhoto,
    Order,
    OrderEvent,
    OrderStatus,
)
from orders.transitions import TRANSITIONS, Party, Transition

Details = dict[str, Any]
HOLD_ATTEMPTS = 5


def _plan_as_json(plan: dict[datetime.date, int]) -> dict[str, int]:
    return {day.isoformat(): int(units) for day, units in sorted(plan.items()) if units}


def plan_allocations(order: Order) -> dict[datetime.date, int]:
    return {datetime.date.fromisoformat(day): units for day, units in order.production_plan.items()}


def order_open(
    *,
    buyer: Organization,
    factory: Organization,
    acting_user: User,
    category,
    title: str,
    spec: str,
    quantity: int,
    unit_price: Money,
    sample_fee: Money,
    lead_time_days: int,
    ready_by: datetime.date,
    with_sample: bool,
    rfq=None,
    quote=None,
    repeat_of: Order | None = None,
    note: str = "",
) -> Order:
    """Create the order and hold the factory's capacity for its production window. Call
    inside a transaction: a failed hold raises OrderConflictError and rolls it all back."""
    if not capacity.is_verified(factory=factory):
        raise OrderConflictError(_("This factory is not verified at the moment."))
    today = timezone.localdate()
    start = today + datetime.timedelta(days=settings.ORDERS_SAMPLE_LEAD_DAYS if with_sample else 1)
    if ready_by < start:
        raise OrderConflictError(
            _("There is no time left to produce by %(date)s.") % {"date": ready_by}
        )

    def plan_or_conflict() -> dict[datetime.date, int]:
        plan = capacity.production_plan(
            factory=factory, category=category, quantity=quantity, start=start, ready_by=ready_by
        )
        if not plan:
            raise OrderConflictError(
                _("%(factory)s no longer has free capacity for %(quantity)d units by %(date)s.")
                % {"factory": factory.name, "quantity": quantity, "date": ready_by}
            )
        return plan

    plan = plan_or_conflict()
    now = timezone.now()
    hold_expires_at = now + settings.ORDERS_HOLD_TTL
    status = OrderStatus.SAMPLE_REQUESTED if with_sample else OrderStatus.AWAITING_PAYMENT
    order = Order.objects.create(
        buyer=buyer,
        factory=factory,
        rfq=rfq,
        quote=quote,
        repeat_of=repeat_of,
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
        production_plan=_plan_as_json(plan),
        ready_by=max(plan),
        hold_expires_at=hold_expires_at,
        status_changed_at=now,
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
    order.production_plan = _plan_as_json(plan)
    order.ready_by = max(plan)
    order.save(update_fields=["reservation_reference", "production_plan", "ready_by"])
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=buyer,
        action="order_created",
        to_status=status,
        note=note,
        data={"production_plan": order.production_plan, "hold_expires_at": now.isoformat()},
    )
    return order


# --- the one transition service ----------------------------------------------------------


def order_party(
    *, order: Order, organization: Organization | None, user: User | None = None
) -> Party:
    """The caller's role on this order; Http404 when the order is none of its business."""
    if organization is None:
        if user is not None and user.is_staff:
            return Party.OPERATOR
        if user is None:
            return Party.SYSTEM
        raise Http404(_("Not found."))
    if organization.pk == order.buyer_id:
        return Party.BUYER
    if organization.pk == order.factory_id:
        return Party.FACTORY
    if organization.kind == Organization.Kind.OPERATOR:
        return Party.OPERATOR
    raise Http404(_("Not found."))


def order_transition(
    *,
    order: Order,
    action: str,
    acting_user: User | None,
    acting_organization: Organization | None,
    note: str = "",
    details: Details | None = None,
) -> Order:
    """Apply `action` to `order` for the caller. 404 if not the caller's order, 403 if the
    action belongs to the other party, 409 from the wrong status, 400 for bad details."""
    party = order_party(order=order, organization=acting_organization, user=acting_user)
    return _transition_apply(
        order_pk=order.pk,
        action=action,
        party=party,
        acting_user=acting_user,
        acting_organization=acting_organization,
        note=note,
        details=details or {},
    )


def order_mark_paid(*, order: Order, acting_user: User | None, note: str = "") -> Order:
    """The payment hook: Finance's escrow / credit-voucher capture will call this once the
    money is secured (until Finance exists, the buyer's "Record payment" action does)."""
    return _transition_apply(
        order_pk=order.pk,
        action="mark_paid",
        party=Party.SYSTEM,
        acting_user=acting_user,
        acting_organization=None,
        note=note or _("Payment received."),
        details={},
    )


def _check(transition: Transition | None, *, action: str, party: Party, status: str) -> Transition:
    if transition is None:
        raise ValidationError({"action": [_("Unknown action “%(action)s”.") % {"action": action}]})
    if party not in transition.rules:
        raise WrongPartyError(
            _("The %(party)s cannot do “%(action)s” on an order.")
            % {"party": party.value, "action": action}
        )
    if status not in transition.allowed_from(party):
        raise OrderConflictError(
            _("“%(action)s” is not possible while the order is %(status)s.")
            % {"action": action, "status": OrderStatus(status).label}
        )
    return transition


@transaction.atomic
def _transition_apply(
    *,
    order_pk: int,
    action: str,
    party: Party,
    acting_user: User | None,
    acting_organization: Organization | None,
    note: str,
    details: Details,
) -> Order:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("buyer", "factory", "category")
        .get(pk=order_pk)
    )
    transition = _check(TRANSITIONS.get(action), action=action, party=party, status=order.status)
    effect = _EFFECTS.get(action)
    data = (
        effect(
            order,
            acting_user=acting_user,
            acting_organization=acting_organization,
            note=note,
            details=details,
        )
        if effect
        else {}
    )
    previous = order.status
    now = timezone.now()
    order.status = transition.target
    order.status_changed_at = now
    order.last_reminded_at = None
    order.save(
        update_fields=[
            *_changed_fields(action),
            "status",
            "status_changed_at",
            "last_reminded_at",
            "updated_at",
        ]
    )
    OrderEvent.objects.create(
        order=order,
        at=now,
        actor=acting_user,
        actor_organization=acting_organization,
        action=action,
        from_status=previous,
        to_status=transition.target,
        note=note,
        data=data or {},
    )
    _notify_transition(order, transition=transition, party=party, note=note)
    if transition.then:
        return _transition_apply(
            order_pk=order.pk,
            action=transition.then,
            party=Party.SYSTEM,
            acting_user=None,
            acting_organization=None,
            note="",
            details={},
        )
    return order


def _notify_transition(order: Order, *, transition: Transition, party: Party, note: str) -> None:
    title = _("%(number)s: %(status)s") % {
        "number": order.number,
        "status": OrderStatus(transition.target).label,
    }
    recipients = {
        Party.BUYER: [order.factory],
        Party.FACTORY: [order.buyer],
    }.get(party, [order.buyer, order.factory])
    for organization in recipients:
        notify.order_event(order=order, organization=organization, title=title, body=note)


# --- effects: what each action writes besides the status ----------------------------------

_CHANGED_FIELDS = {
    "skip_sample": ["with_sample", "sample_fee_minor"],
    "ship_sample": ["sample_carrier", "sample_tracking_number"],
    "mark_paid": ["paid_at"],
    "start_production": ["production_started_at", "capacity_booked", "hold_expires_at"],
    "ship": ["carrier", "tracking_number", "shipped_on", "shipped_at"],
    "confirm_delivery": ["delivered_at"],
    "complete": ["completed_at"],
    "resolve_dispute": ["completed_at"],
    "cancel": ["cancelled_at", "capacity_booked", "hold_expires_at"],
}


def _changed_fields(action: str) -> list[str]:
    return _CHANGED_FIELDS.get(action, [])


def _text(details: Details, key: str, *, required: bool, max_length: int = 100) -> str:
    value = str(details.get(key) or "").strip()
    if required and not value:
        raise ValidationError({key: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationError({key: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _on_skip_sample(order: Order, **_context) -> Details:
    if order.status == OrderStatus.SAMPLE_REQUESTED:
        # No sample was made: nothing to pay for it. After a rejected sample the fee stands.
        order.with_sample = False
        order.sample_fee_minor = 0
    return {"sample_fee": order.sample_fee.as_wire()}


def _on_ship_sample(order: Order, *, details: Details, **_context) -> Details:
    order.sample_carrier = _text(details, "carrier", required=False)
    order.sample_tracking_number = _text(details, "tracking_number", required=False)
    return {"carrier": order.sample_carrier, "tracking_number": order.sample_tracking_number}


def _on_reject_sample(order: Order, *, note: str, **_context) -> Details:
    if not note.strip():
        raise ValidationError({"note": [_("Say what is wrong with the sample.")]})
    return {}


def _on_mark_paid(order: Order, **_context) -> Details:
    order.paid_at = timezone.now()
    return {"amount": order.total.as_wire()}


def _on_start_production(order: Order, **_context) -> Details:
    try:
        capacity.confirm(
            factory=order.factory,
            category=order.category,
            allocations=plan_allocations(order),
            reference=order.reservation_reference,
            expires_at=timezone.now() + settings.ORDERS_HOLD_TTL,
        )
    except capacity.CapacityGoneError as error:
        raise OrderConflictError(
            _("The reserved capacity is no longer available: %(reason)s") % {"reason": error}
        ) from error
    order.production_started_at = timezone.now()
    order.capacity_booked = True
    order.hold_expires_at = None
    return {"booked": order.production_plan}


def _checklist_results(order: Order, raw: Any) -> list[dict[str, Any]]:
    items = checklist_for_category(order.category)
    if raw in (None, ""):
        raise ValidationError({"checklist": [_("Record a result for every checklist item.")]})
    if not isinstance(raw, list):
        raise ValidationError({"checklist": [_("Send a list of {item, passed}.")]})
    given: dict[str, bool] = {}
    for entry in raw:
        if not isinstance(entry, dict) or "item" not in entry or "passed" not in entry:
            raise ValidationError({"checklist": [_("Send a list of {item, passed}.")]})
        given[str(entry["item"])] = entry["passed"] in (True, "true", "True", "1", 1, "on")
    missing = [item for item in items if item not in given]
    if missing:
        raise ValidationError(
            {"checklist": [_("Missing results for: %(items)s") % {"items": "; ".join(missing)}]}
        )
    return [{"item": item, "passed": given[item]} for item in items]


def _on_record_inspection(
    order: Order, *, acting_user, acting_organization, note: str, details: Details
) -> Details:
    aql = str(details.get("aql") or DEFAULT_AQL)
    if aql not in AQL_CHOICES:
        raise ValidationError({"aql": [_("Choose one of %(c)s.") % {"c": ", ".join(AQL_CHOICES)}]})
    try:
        defects = int(details.get("defects_found"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(
            {"defects_found": [_("Enter the number of defects found.")]}
        ) from None
    if defects < 0:
        raise ValidationError({"defects_found": [_("Cannot be negative.")]})
    results = _checklist_results(order, details.get("checklist"))
    photos = list(details.get("photos") or [])
    for photo in photos:
        validate_upload(photo, field="photos", extensions=IMAGE_EXTENSIONS)
    plan = aql_plan(order.quantity, aql)
    if defects > plan.sample_size:
        raise ValidationError({"defects_found": [_("More defects than units sampled.")]})
    passed = defects <= plan.acceptance_number and all(row["passed"] for row in results)
    inspection = Inspection.objects.create(
        order=order,
        inspector=acting_user,
        inspector_organization=acting_organization or order.factory,
        lot_size=order.quantity,
        aql=aql,
        sample_size=plan.sample_size,
        acceptance_number=plan.acceptance_number,
        defects_found=defects,
        checklist=results,
        passed=passed,
        note=note,
    )
    for photo in photos:
        InspectionPhoto.objects.create(inspection=inspection, image=photo)
    return {
        "inspection": inspection.pk,
        "passed": passed,
        "defects_found": defects,
        "sample_size": plan.sample_size,
        "acceptance_number": plan.acceptance_number,
    }


def _on_ship(order: Order, *, details: Details, **_context) -> Details:
    latest = order.inspections.order_by("-created_at", "-pk").first()
    if latest is None or not latest.passed:
        raise OrderConflictError(
            _("The goods cannot ship before an inspection passes (re-inspect after a failure).")
        )
    carrier = _text(details, "carrier", required=True)
    tracking = _text(details, "tracking_number", required=True)
    raw_date = details.get("shipped_on")
    shipped_on = timezone.localdate()
    if raw_date:
        parsed = raw_date if isinstance(raw_date, datetime.date) else parse_date(str(raw_date))
        if parsed is None:
            raise ValidationError({"shipped_on": [_("Enter a date as YYYY-MM-DD.")]})
        if parsed > timezone.localdate():
            raise ValidationError({"shipped_on": [_("The shipping date cannot be in the future.")]})
        shipped_on = parsed
    order.carrier, order.tracking_number, order.shipped_on = carrier, tracking, shipped_on
    order.shipped_at = timezone.now()
    return {"carrier": carrier, "tracking_number": tracking, "shipped_on": shipped_on.isoformat()}


def _on_confirm_delivery(order: Order, **_context) -> Details:
    order.delivered_at = timezone.now()
    return {}


def _on_complete(order: Order, **_context) -> Details:
    order.completed_at = timezone.now()
    _schedule_performance(order)
    return {}


def _schedule_performance(order: Order) -> None:
    from orders.tasks import factory_performance_push_task

    factory_pk = order.factory_id
    enqueue_on_commit(
        factory_performance_push_task, factory_pk, swept_by="factories_performance_push_task"
    )


def dispute_deadline(order: Order) -> datetime.datetime | None:
    if order.delivered_at is None:
        return None
    return order.delivered_at + datetime.timedelta(days=settings.ORDERS_DISPUTE_WINDOW_DAYS)


def _on_open_dispute(order: Order, *, acting_user, note: str, details: Details, **_c) -> Details:
    reason = str(details.get("reason") or note).strip()
    if not reason:
        raise ValidationError({"reason": [_("Describe the problem.")]})
    deadline = dispute_deadline(order)
    if deadline is not None and timezone.now() > deadline:
        raise OrderConflictError(
            _("The window for disputes closed on %(date)s.") % {"date": deadline.date()}
        )
    evidence = list(details.get("evidence") or [])
    for upload in evidence:
        validate_upload(upload, field="evidence")
    dispute = Dispute.objects.create(order=order, opened_by=acting_user, reason=reason)
    for upload in evidence:
        DisputeEvidence.objects.create(
            dispute=dispute, file=upload, original_name=(upload.name or "file")[:255]
        )
    return {"dispute": dispute.pk}


def _on_resolve_dispute(order: Order, *, note: str, **_context) -> Details:
    if not note.strip():
        raise ValidationError({"note": [_("Record the decision.")]})
    now = timezone.now()
    order.disputes.filter(status=Dispute.Status.OPEN).update(
        status=Dispute.Status.RESOLVED, resolution=note, resolved_at=now
    )
    order.completed_at = now
    _schedule_performance(order)
    return {}


def _on_cancel(order: Order, *, note: str, **_context) -> Details:
    if order.reservation_reference:
        capacity.release(reference=order.reservation_reference)
    order.cancelled_at = timezone.now()
    order.capacity_booked = False
    order.hold_expires_at = None
    order.disputes.filter(status=Dispute.Status.OPEN).update(
        status=Dispute.Status.RESOLVED, resolution=note, resolved_at=order.cancelled_at
    )
    return {"capacity_released": bool(order.reservation_reference)}


_EFFECTS: dict[str, Callable[..., Details]] = {
    "skip_sample": _on_skip_sample,
    "ship_sample": _on_ship_sample,
    "reject_sample": _on_reject_sample,
    "mark_paid": _on_mark_paid,
    "start_production": _on_start_production,
    "record_inspection": _on_record_inspection,
    "ship": _on_ship,
    "confirm_delivery": _on_confirm_delivery,
    "complete": _on_complete,
    "open_dispute": _on_open_dispute,
    "resolve_dispute": _on_resolve_dispute,
    "cancel": _on_cancel,
}
