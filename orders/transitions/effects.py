"""What each transition writes besides the status, one function per action.

An effect runs inside the transition service's transaction with the order row locked. It
may validate the caller's details (raising `InvalidError` with field errors, or a
`ConflictError`), change fields of the locked order in memory, and write related rows. It
returns the data recorded on the timeline event. The fields it changes on the order are
declared next to it in the table (`orders.transitions`): only those are saved, and
`tests/orders/test_transition_table.py` proves that the declaration is complete.

Effects live beside the table that names them, not in `orders.services`: the table refers
to them, and only the transition service (which reads the table) runs them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidError
from marketplace.models import Organization, User
from orders import capacity
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.files import IMAGE_EXTENSIONS, validate_upload
from orders.inspection import order_aql_plan, order_checklist
from orders.models import (
    Dispute,
    DisputeEvidence,
    Inspection,
    InspectionPhoto,
    Order,
    ProductionReport,
)

Details = dict[str, Any]


@dataclass(frozen=True)
class EffectContext:
    """Who asked, and what they sent with the action."""

    acting_user: User | None
    acting_organization: Organization | None
    note: str = ""
    details: Details = field(default_factory=dict)


def _person(context: EffectContext) -> User:
    """Inspections and disputes are signed by a person, never by the system."""
    if context.acting_user is None:
        raise WrongPartyError(_("Only a person can do this."))
    return context.acting_user


def _text(details: Details, key: str, *, required: bool, max_length: int = 100) -> str:
    value = str(details.get(key) or "").strip()
    if required and not value:
        raise InvalidError({key: [_("This field is required.")]})
    if len(value) > max_length:
        raise InvalidError({key: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def skip_sample(order: Order, context: EffectContext) -> Details:
    if order.status == Order.Status.SAMPLE_REQUESTED:
        # No sample was made: nothing to pay for it. After a rejected sample the fee stands.
        order.with_sample = False
        order.sample_fee_minor = 0
    return {"sample_fee": order.sample_fee.as_wire()}


def ship_sample(order: Order, context: EffectContext) -> Details:
    order.sample_carrier = _text(context.details, "carrier", required=False)
    order.sample_tracking_number = _text(context.details, "tracking_number", required=False)
    return {"carrier": order.sample_carrier, "tracking_number": order.sample_tracking_number}


def reject_sample(order: Order, context: EffectContext) -> Details:
    if not context.note.strip():
        raise InvalidError({"note": [_("Say what is wrong with the sample.")]})
    return {}


def mark_paid(order: Order, context: EffectContext) -> Details:
    order.paid_at = timezone.now()
    return {"amount": order.total.as_wire()}


def start_production(order: Order, context: EffectContext) -> Details:
    order.production_started_at = timezone.now()
    if not order.reservation_reference:
        # A service order (`order_open_for_service`) never held calendar capacity.
        return {"booked": {}}
    try:
        capacity.confirm(
            factory=order.factory,
            category=order.category,
            allocations=order.plan_allocations,
            reference=order.reservation_reference,
            expires_at=timezone.now() + settings.ORDERS_HOLD_TTL,
        )
    except capacity.CapacityGoneError as error:
        raise OrderConflictError(
            _("The reserved capacity is no longer available: %(reason)s") % {"reason": error}
        ) from error
    order.capacity_booked = True
    order.hold_expires_at = None
    return {"booked": order.production_plan}


def _checklist_results(order: Order, raw: Any) -> list[dict[str, Any]]:
    items = order_checklist(order)
    if raw in (None, ""):
        raise InvalidError({"checklist": [_("Record a result for every checklist item.")]})
    if not isinstance(raw, list):
        raise InvalidError({"checklist": [_("Send a list of {item, passed}.")]})
    given: dict[str, bool] = {}
    for entry in raw:
        if not isinstance(entry, dict) or "item" not in entry or "passed" not in entry:
            raise InvalidError({"checklist": [_("Send a list of {item, passed}.")]})
        given[str(entry["item"])] = entry["passed"] in (True, "true", "True", "1", 1, "on")
    missing = [item for item in items if item not in given]
    if missing:
        raise InvalidError(
            {"checklist": [_("Missing results for: %(items)s") % {"items": "; ".join(missing)}]}
        )
    return [{"item": item, "passed": given[item]} for item in items]


def _defects_found(details: Details) -> int:
    try:
        defects = int(details.get("defects_found"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidError({"defects_found": [_("Enter the number of defects found.")]}) from None
    if defects < 0:
        raise InvalidError({"defects_found": [_("Cannot be negative.")]})
    return defects


def reported_units(order: Order) -> int:
    """The units reported so far: the sum of every progress entry and correction."""
    total = ProductionReport.objects.filter(order=order).aggregate(total=Sum("units"))["total"]
    return int(total or 0)


def _quantity(details: Details, key: str) -> int:
    try:
        return int(details.get(key))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidError({key: [_("Enter a whole number of units.")]}) from None


def accept_short_shipment(order: Order, context: EffectContext) -> Details:
    if order.accepted_quantity is not None:
        raise OrderConflictError(
            _("A short shipment of %(n)d units was already accepted.")
            % {"n": order.accepted_quantity}
        )
    accepted = _quantity(context.details, "quantity")
    if not 1 <= accepted < order.quantity:
        raise InvalidError(
            {
                "quantity": [
                    _("Accept between 1 and %(n)d units (fewer than the %(q)d ordered).")
                    % {"n": order.quantity - 1, "q": order.quantity}
                ]
            }
        )
    order.accepted_quantity = accepted
    return {
        "accepted_quantity": accepted,
        "ordered": order.quantity,
        "reported": reported_units(order),
        "goods_total": order.shipped_goods_total.as_wire(),
    }


def finish_production(order: Order, context: EffectContext) -> Details:
    reported = reported_units(order)
    needed = order.ship_quantity
    if reported < needed:
        if order.accepted_quantity is not None:
            message = _(
                "Only %(reported)d of the %(needed)d units the buyer accepted are reported: "
                "report the rest first."
            )
        else:
            message = _(
                "Only %(reported)d of %(needed)d units are reported: report the rest, or ask "
                "the buyer to accept a short shipment."
            )
        raise OrderConflictError(message % {"reported": reported, "needed": needed})
    return {"reported": reported, "quantity": needed}


def record_inspection(order: Order, context: EffectContext) -> Details:
    details = context.details
    plan = order_aql_plan(order)
    aql = str(details.get("aql") or plan.aql)
    if aql != plan.aql:
        raise InvalidError(
            {"aql": [_("The AQL agreed in the quote is %(aql)s.") % {"aql": plan.aql}]}
        )
    defects = _defects_found(details)
    results = _checklist_results(order, details.get("checklist"))
    photos = list(details.get("photos") or [])
    for photo in photos:
        validate_upload(photo, field="photos", extensions=IMAGE_EXTENSIONS)
    if defects > plan.sample_size:
        raise InvalidError({"defects_found": [_("More defects than units sampled.")]})
    passed = defects <= plan.acceptance_number and all(row["passed"] for row in results)
    organization = context.acting_organization
    # The factory's own record is a self-check; anyone else's (the buyer, the assigned
    # inspector, an operator) is independent.
    self_check = organization is not None and organization.pk == order.factory_id
    inspection = Inspection.objects.create(
        order=order,
        inspector=_person(context),
        inspector_organization=organization,
        lot_size=plan.lot_size,
        aql=aql,
        sample_size=plan.sample_size,
        acceptance_number=plan.acceptance_number,
        defects_found=defects,
        checklist=results,
        passed=passed,
        self_check=self_check,
        note=context.note,
    )
    for photo in photos:
        InspectionPhoto.objects.create(inspection=inspection, image=photo)
    return {
        "inspection": inspection.pk,
        "passed": passed,
        "self_check": self_check,
        "defects_found": defects,
        "sample_size": plan.sample_size,
        "acceptance_number": plan.acceptance_number,
    }


def accept_self_check(order: Order, context: EffectContext) -> Details:
    latest = order.inspections.order_by("-created_at", "-pk").first()
    if latest is None or not latest.self_check:
        raise OrderConflictError(_("There is no factory self-check to accept."))
    if not latest.passed:
        raise OrderConflictError(_("The factory's self-check failed: it cannot be accepted."))
    if latest.accepted_at is not None:
        raise OrderConflictError(_("This self-check was already accepted."))
    latest.accepted_by = _person(context)
    latest.accepted_at = timezone.now()
    latest.save(update_fields=["accepted_by", "accepted_at"])
    return {"inspection": latest.pk}


def _shipped_on(raw: Any) -> datetime.date:
    today = timezone.localdate()
    if not raw:
        return today
    parsed = raw if isinstance(raw, datetime.date) else parse_date(str(raw))
    if parsed is None:
        raise InvalidError({"shipped_on": [_("Enter a date as YYYY-MM-DD.")]})
    if parsed > today:
        raise InvalidError({"shipped_on": [_("The shipping date cannot be in the future.")]})
    return parsed


def ship(order: Order, context: EffectContext) -> Details:
    latest = order.inspections.order_by("-created_at", "-pk").first()
    if latest is None or not latest.passed:
        raise OrderConflictError(
            _("The goods cannot ship before an inspection passes (re-inspect after a failure).")
        )
    if not latest.cleared:
        raise OrderConflictError(
            _(
                "The passing inspection is the factory's own self-check: the goods ship once "
                "the buyer accepts it or an independent inspection passes."
            )
        )
    carrier = _text(context.details, "carrier", required=True)
    tracking = _text(context.details, "tracking_number", required=True)
    shipped_on = _shipped_on(context.details.get("shipped_on"))
    order.carrier, order.tracking_number, order.shipped_on = carrier, tracking, shipped_on
    order.shipped_at = timezone.now()
    return {
        "carrier": carrier,
        "tracking_number": tracking,
        "shipped_on": shipped_on.isoformat(),
        "quantity": order.ship_quantity,
    }


def confirm_delivery(order: Order, context: EffectContext) -> Details:
    order.delivered_at = timezone.now()
    return {}


def complete(order: Order, context: EffectContext) -> Details:
    order.completed_at = timezone.now()
    return {}


def open_dispute(order: Order, context: EffectContext) -> Details:
    reason = str(context.details.get("reason") or context.note).strip()
    if not reason:
        raise InvalidError({"reason": [_("Describe the problem.")]})
    deadline = order.dispute_deadline
    if deadline is not None and timezone.now() > deadline:
        raise OrderConflictError(
            _("The window for disputes closed on %(date)s.") % {"date": deadline.date()}
        )
    evidence = list(context.details.get("evidence") or [])
    for upload in evidence:
        validate_upload(upload, field="evidence")
    dispute = Dispute.objects.create(order=order, opened_by=_person(context), reason=reason)
    for upload in evidence:
        DisputeEvidence.objects.create(
            dispute=dispute, file=upload, original_name=(upload.name or "file")[:255]
        )
    return {"dispute": dispute.pk}


def resolve_dispute(order: Order, context: EffectContext) -> Details:
    if not context.note.strip():
        raise InvalidError({"note": [_("Record the decision.")]})
    now = timezone.now()
    order.disputes.filter(status=Dispute.Status.OPEN).update(
        status=Dispute.Status.RESOLVED, resolution=context.note, resolved_at=now
    )
    order.completed_at = now
    return {}


def cancel(order: Order, context: EffectContext) -> Details:
    if order.reservation_reference:
        capacity.release(reference=order.reservation_reference)
    order.cancelled_at = timezone.now()
    order.capacity_booked = False
    order.hold_expires_at = None
    order.disputes.filter(status=Dispute.Status.OPEN).update(
        status=Dispute.Status.RESOLVED, resolution=context.note, resolved_at=order.cancelled_at
    )
    return {"capacity_released": bool(order.reservation_reference)}
