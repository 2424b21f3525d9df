"""What the order's life cycle means for its money, applied after each transition commits
(`finance.receivers`, on `orders.signals.order_transitioned`):

- sample approved: the sample fee is released to the factory;
- sample skipped (none was made): a sample fee already paid goes back to the buyer;
- a short shipment accepted by the buyer: the goods not shipped go back to the buyer;
- an inspection that counts passed (an independent one, or the factory's self-check once
  the buyer accepts it): FINANCE_RELEASE_INSPECTION_PERCENT of the goods shipped;
- delivery confirmed (by the buyer or automatically) or order completed: the rest is
  released, and the repayment clock of any credit used starts;
- cancelled: everything still held goes back to the buyer.

And the one condition Finance puts on the order's life cycle: production does not start
until the escrow holds the agreed amount (`production_funding_guard`, registered on the
table's `start_production`).

Each step is idempotent (milestone references are unique), so a repeated signal or the
daily sweep (`escrows_settle`) never moves money twice.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import texts
from finance.models import Escrow
from finance.services import credit, escrow
from finance.services.escrow import Milestone
from marketplace.exceptions import ConflictError
from marketplace.money import Money
from orders.models import Inspection, Order, OrderEvent, OrderStatus
from orders.transitions import Action

RELEASE_ON = {
    Action.APPROVE_SAMPLE: Milestone.SAMPLE,
    Action.CONFIRM_DELIVERY: Milestone.DELIVERY,
    Action.COMPLETE: Milestone.DELIVERY,
}
DELIVERED_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def funded_for_order(*, order: Order) -> Money:
    """What the buyer has put into the order's escrow and not had back."""
    state = Escrow.objects.filter(order_id=order.pk).first()
    if state is None:
        return Money.zero(order.currency)
    return state.money(state.funded_minor - state.refunded_minor)


def production_funding_guard(*, order: Order, **kwargs: object) -> None:
    """Guard on `start_production` (run inside the transition, the order locked): the
    factory starts only once the agreed amount is in escrow. Refuses with a 409."""
    funded = funded_for_order(order=order)
    if funded.amount_minor < order.total.amount_minor:
        raise ConflictError(
            _("Production can start once %(total)s is funded in escrow; %(funded)s is so far.")
            % {"total": order.total, "funded": funded}
        )


def order_money_follow(*, order_pk: int, action: str) -> bool:
    """Apply the money consequence of `action` on the order; False when it has none (or
    it was applied before)."""
    if not Escrow.objects.filter(order_id=order_pk).exists():
        return False
    order = Order.objects.get(pk=order_pk)
    if action in (Action.RECORD_INSPECTION, Action.ACCEPT_SELF_CHECK):
        if not Inspection.objects.filter(order_id=order_pk).cleared().exists():
            return False
        return bool(escrow.escrow_release_milestone(order=order, milestone=Milestone.INSPECTION))
    if action == Action.ACCEPT_SHORT_SHIPMENT:
        return bool(_short_shipment_refund(order))
    if action in RELEASE_ON:
        moved = escrow.escrow_release_milestone(order=order, milestone=RELEASE_ON[Action(action)])
        if action == Action.CONFIRM_DELIVERY:
            delivered = order.delivered_at or timezone.now()
            credit.credit_due_dates_set(
                order_pk=order.pk, delivered_on=timezone.localdate(delivered)
            )
        return moved is not None
    if action == Action.SKIP_SAMPLE:
        return bool(escrow.escrow_return_skipped_sample(order=order))
    if action == Action.CANCEL:
        return bool(
            escrow.escrow_refund(
                order=order,
                amount=None,
                reference=f"cancel:{order.pk}",
                reason=texts.MEMO_CANCELLED(number=order.number),
            )
        )
    return False


def _short_shipment_refund(order: Order) -> list:
    """Refund the goods the buyer agreed not to receive, once (by reference)."""
    if order.accepted_quantity is None:
        return []
    shortfall = order.goods_total - order.shipped_goods_total
    return escrow.escrow_refund(
        order=order,
        amount=shortfall,
        reference=f"short:{order.pk}",
        reason=_("%(number)s: short shipment of %(accepted)d of %(quantity)d units accepted")
        % {"number": order.number, "accepted": order.accepted_quantity, "quantity": order.quantity},
    )


def escrows_settle() -> int:
    """Daily sweep: apply every release or refund the order's state calls for that a
    missed signal (a crash between commit and receiver) left behind. A disputed order's
    money waits for the operator's decision."""
    settled = 0
    escrows = (
        Escrow.objects.filter(funded_minor__gt=F("released_minor") + F("refunded_minor"))
        .exclude(order__status=OrderStatus.DISPUTED)
        .select_related("order")
    )
    for item in escrows:
        moved = [
            order_money_follow(order_pk=item.order_id, action=action)
            for action in _steps_due(item.order)
        ]
        settled += any(moved)
    return settled


def _steps_due(order: Order) -> list[Action]:
    if order.status == OrderStatus.CANCELLED:
        return [Action.CANCEL]
    steps = []
    if not order.with_sample:
        # First: a skipped sample's fee goes back before any release could take it.
        steps.append(Action.SKIP_SAMPLE)
    if OrderEvent.objects.filter(order_id=order.pk, action=Action.APPROVE_SAMPLE).exists():
        steps.append(Action.APPROVE_SAMPLE)
    if order.accepted_quantity is not None:
        steps.append(Action.ACCEPT_SHORT_SHIPMENT)
    if Inspection.objects.filter(order_id=order.pk).cleared().exists():
        steps.append(Action.RECORD_INSPECTION)
    if order.status in DELIVERED_STATUSES:
        steps.append(Action.CONFIRM_DELIVERY)
    return steps
