"""The one transition service: lock the order, check the table (`orders.transitions`), run
the guards and the effect, save the status with exactly the declared fields, write the
timeline event, notify the other party, announce the fact on commit, and apply the
automatic follow-up step."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import InvalidError, NotFoundError
from marketplace.models import NotificationTopic, Organization, User
from marketplace.texts import Text, words, written
from orders import notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.models import Order, OrderEvent, OrderStatus
from orders.signals import order_transitioned, send_on_commit
from orders.transitions import (
    TRANSITIONS,
    Action,
    EffectContext,
    Party,
    Transition,
    guards_for,
)
from orders.transitions.effects import Details


def order_party(
    *, order: Order, organization: Organization | None, user: User | None = None
) -> Party:
    """The caller's role on this order; NotFoundError when the order is none of its
    business."""
    if organization is None:
        if user is not None and user.is_staff:
            return Party.OPERATOR
        if user is None:
            return Party.SYSTEM
        raise NotFoundError(_("Not found."))
    if organization.pk == order.buyer_id:
        return Party.BUYER
    if organization.pk == order.factory_id:
        return Party.FACTORY
    if organization.pk == order.inspector_id:
        # Assigned to inspect (an operator organization too): inspecting is all it does.
        return Party.INSPECTOR
    if organization.kind == Organization.Kind.OPERATOR:
        return Party.OPERATOR
    raise NotFoundError(_("Not found."))


def action_parse(value: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise InvalidError(
            {"action": [_("Unknown action “%(action)s”.") % {"action": value}]}
        ) from None


def order_transition(
    *,
    order: Order,
    action: Action | str,
    acting_user: User | None,
    acting_organization: Organization | None,
    note: Text | str = "",
    details: Details | None = None,
) -> Order:
    """Apply `action` to `order` for the caller. 404 if not the caller's order, 403 if the
    action belongs to the other party, 409 from the wrong status, 400 for bad details.
    A plain `note` is the caller's own words, shown as written in every language."""
    party = order_party(order=order, organization=acting_organization, user=acting_user)
    return order_transition_apply(
        order_pk=order.pk,
        action=action_parse(action),
        party=party,
        acting_user=acting_user,
        acting_organization=acting_organization,
        note=words(note) if isinstance(note, str) else note,
        details=details or {},
    )


def order_mark_paid(
    *, order: Order, acting_user: User | None = None, note: Text | str = ""
) -> Order:
    """The payment hook: Finance's escrow / credit-voucher capture calls this once the money
    is secured (until then, the buyer's "Record payment" action does the same step)."""
    return order_transition_apply(
        order_pk=order.pk,
        action=Action.MARK_PAID,
        party=Party.SYSTEM,
        acting_user=acting_user,
        acting_organization=None,
        note=note or texts.NOTE_PAYMENT_RECEIVED(),
    )


def _check(transition: Transition, *, party: Party, status: str) -> None:
    if party not in transition.rules:
        raise WrongPartyError(
            _("The %(party)s cannot do “%(action)s” on an order.")
            % {"party": party.value, "action": transition.action.value}
        )
    if status not in transition.allowed_from(party):
        raise OrderConflictError(
            _("“%(action)s” is not possible while the order is %(status)s.")
            % {"action": transition.action.value, "status": OrderStatus(status).label}
        )


@transaction.atomic
def order_transition_apply(
    *,
    order_pk: int,
    action: Action,
    party: Party,
    acting_user: User | None,
    acting_organization: Organization | None,
    note: Text | str = "",
    details: Details | None = None,
) -> Order:
    """Apply `action` as `party` (already established: `order_transition` derives it from
    the caller; operator tools and the system's steps name it)."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("buyer", "factory", "category")
        .get(pk=order_pk)
    )
    transition = TRANSITIONS[action]
    _check(transition, party=party, status=order.status)
    for guard in guards_for(action):
        guard(order=order, party=party)
    context = EffectContext(
        acting_user=acting_user,
        acting_organization=acting_organization,
        # Effects get the note as text for their own rows (an inspector's note, a dispute's
        # resolution): a person's words as written, a system note in the active language.
        note=written(note) or str(note),
        details=details or {},
    )
    data = transition.effect(order, context) if transition.effect else {}
    previous = order.status
    now = timezone.now()
    order.status = transition.target
    order.status_changed_at = now
    order.last_reminded_at = None
    order.save(
        update_fields=[
            *sorted(transition.changes),
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
        **OrderEvent.note_fields(note),
        data=data,
    )
    _notify(order, transition=transition, party=party, note=note, data=data)
    send_on_commit(
        order_transitioned,
        sender=Order,
        order_pk=order.pk,
        buyer_pk=order.buyer_id,
        factory_pk=order.factory_id,
        action=action,
        from_status=previous,
        to_status=transition.target,
        party=party,
    )
    if transition.then is None:
        return order
    return order_transition_apply(
        order_pk=order.pk,
        action=transition.then,
        party=Party.SYSTEM,
        acting_user=None,
        acting_organization=None,
    )


def _notify(
    order: Order, *, transition: Transition, party: Party, note: Text | str, data: Details
) -> None:
    title = notify.order_status(order=order, status=transition.target)
    if transition.action == Action.RECORD_INSPECTION and data.get("self_check"):
        passed = bool(data.get("passed"))
        title = (texts.SELF_CHECK_WAITS if passed else texts.SELF_CHECK_FAILED)(number=order.number)
    elif transition.action == Action.ACCEPT_SHORT_SHIPMENT:
        title = texts.SHORT_SHIPMENT_ACCEPTED(
            number=order.number, units=data.get("accepted_quantity", 0)
        )
    topic = (
        NotificationTopic.PAYMENTS
        if transition.target in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID)
        else NotificationTopic.ORDERS
    )
    # The other party hears of it; the system's and the operator's steps concern both.
    recipients = {
        Party.BUYER: [order.factory],
        Party.FACTORY: [order.buyer],
    }.get(party, [order.buyer, order.factory])
    for organization in recipients:
        notify.order_event(
            order=order, organization=organization, title=title, body=note, topic=topic
        )
