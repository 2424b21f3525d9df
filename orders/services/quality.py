"""Independent inspection: the buyer assigns an inspection organization (or a platform
operator) to inspect the finished lot; the quality terms a quote offers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidError
from marketplace.models import Organization, User
from orders import notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.inspection import AQL_CHOICES
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.transition import order_party
from orders.transitions import Event, Party

INSPECTOR_KINDS = (Organization.Kind.INSPECTION, Organization.Kind.OPERATOR)
# Until the lot ships, the buyer may assign (or change) the inspector.
ASSIGNABLE_STATUSES = frozenset(
    {
        OrderStatus.SAMPLE_REQUESTED,
        OrderStatus.SAMPLE_SHIPPED,
        OrderStatus.SAMPLE_APPROVED,
        OrderStatus.SAMPLE_REJECTED,
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.INSPECTION,
    }
)
CHECKLIST_MAX_ITEMS = 30
CHECKLIST_ITEM_MAX_LENGTH = 200


def inspector_assign_open(*, order: Order, party: Party) -> bool:
    return party == Party.BUYER and order.status in ASSIGNABLE_STATUSES


@transaction.atomic
def order_inspector_assign(
    *, order: Order, acting_organization: Organization, acting_user: User, inspector: Organization
) -> Order:
    """The buyer assigns the organization that inspects the lot (an inspection organization
    or the platform operator); it sees the order and records the inspection."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order_party(order=order, organization=acting_organization) != Party.BUYER:
        raise WrongPartyError(_("Only the buyer assigns the inspector."))
    if order.status not in ASSIGNABLE_STATUSES:
        raise OrderConflictError(_("The inspector can be assigned only until the goods ship."))
    if inspector.kind not in INSPECTOR_KINDS or inspector.status != Organization.Status.ACTIVE:
        raise InvalidError(
            {"inspector": [_("Choose an active inspection organization or the platform.")]}
        )
    if order.inspector_id == inspector.pk:
        raise OrderConflictError(_("%(name)s already inspects this order.") % {"name": inspector})
    order.inspector = inspector
    order.save(update_fields=["inspector", "updated_at"])
    OrderEvent.objects.create(
        order=order,
        actor=acting_user,
        actor_organization=acting_organization,
        action=Event.INSPECTOR_ASSIGNED,
        from_status=order.status,
        to_status=order.status,
        data={"inspector": inspector.slug},
    )
    notify.order_event(
        order=order,
        organization=inspector,
        title=texts.INSPECTOR_ASSIGNED(number=order.number, buyer=order.buyer.name),
        body=texts.INSPECTOR_ASSIGNED_BODY(
            quantity=order.ship_quantity, title=order.title, aql=order.aql
        ),
    )
    return order


def quality_terms_errors(*, aql: str, checklist: Any) -> dict[str, list[str]]:
    """Field errors of a quote's quality terms (an AQL of the table, a checklist of distinct
    non-empty lines)."""
    errors: dict[str, list[str]] = {}
    if aql not in AQL_CHOICES:
        errors["aql"] = [_("Choose one of %(c)s.") % {"c": ", ".join(AQL_CHOICES)}]
    if not isinstance(checklist, list) or not all(isinstance(item, str) for item in checklist):
        errors["inspection_checklist"] = [_("Send the checklist as a list of lines.")]
        return errors
    items = [item.strip() for item in checklist]
    if not items or len(items) > CHECKLIST_MAX_ITEMS:
        errors["inspection_checklist"] = [
            _("Agree on 1 to %(n)d checklist items.") % {"n": CHECKLIST_MAX_ITEMS}
        ]
    elif any(not item or len(item) > CHECKLIST_ITEM_MAX_LENGTH for item in items):
        errors["inspection_checklist"] = [
            _("Each checklist item needs 1 to %(n)d characters.") % {"n": CHECKLIST_ITEM_MAX_LENGTH}
        ]
    elif len(set(items)) != len(items):
        errors["inspection_checklist"] = [_("Each checklist item once.")]
    return errors
