"""Dispute money decisions: an operator releases, refunds, or splits what the escrow still
holds. The decision row is one per dispute and the ledger references are the dispute's, so
the money moves once however often the button is clicked."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from finance import texts
from finance.models import DisputeDecision
from finance.services import escrow as escrow_services
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.models import User
from marketplace.money import Money
from marketplace.texts import choice, words
from orders import services as order_services
from orders.models import Dispute, Order, OrderStatus


@transaction.atomic
def dispute_decide(
    *,
    dispute: Dispute,
    outcome: str,
    acting_user: User,
    refund: Money | None = None,
    note: str = "",
) -> DisputeDecision:
    order = Order.objects.select_for_update(of=("self",)).get(pk=dispute.order_id)
    existing = DisputeDecision.objects.filter(dispute=dispute).first()
    if existing is not None:
        return existing
    if order.status != OrderStatus.DISPUTED:
        raise ConflictError(_("The order is not in dispute."))
    escrow = escrow_services.escrow_lock(order=order)
    held = escrow.money(escrow.held_minor)
    if outcome == DisputeDecision.Outcome.RELEASE:
        refund = escrow.money(0)
    elif outcome == DisputeDecision.Outcome.REFUND:
        refund = held
    elif outcome == DisputeDecision.Outcome.SPLIT:
        if refund is None or refund.currency != escrow.currency:
            raise InvalidError(
                {"refund": [_("Enter the buyer's share in %(c)s.") % {"c": escrow.currency}]}
            )
        if refund.amount_minor <= 0 or refund >= held:
            raise InvalidError(
                {
                    "refund": [
                        _("A split refunds more than zero and less than %(held)s.") % {"held": held}
                    ]
                }
            )
    else:
        raise InvalidError({"outcome": [_("Choose release, refund or split.")]})
    try:
        with transaction.atomic():
            decision = DisputeDecision.objects.create(
                dispute=dispute,
                order=order,
                outcome=outcome,
                refund_minor=refund.amount_minor,
                release_minor=held.amount_minor - refund.amount_minor,
                currency=escrow.currency,
                note=note[:255],
                decided_by=acting_user,
            )
    except IntegrityError as error:
        raise ConflictError(_("This dispute was decided already.")) from error
    if refund:
        escrow_services.escrow_refund(
            order=order,
            amount=refund,
            reference=f"dispute:{dispute.pk}",
            reason=words(note) or texts.MEMO_DISPUTE_REFUND(),
            acting_user=acting_user,
        )
        escrow.refresh_from_db()
    if decision.release_minor:
        escrow_services.escrow_release_amount(
            escrow=escrow,
            amount=escrow.money(decision.release_minor),
            reference=f"release:{order.pk}:dispute-{dispute.pk}",
            memo=texts.MEMO_DISPUTE_RELEASE(number=order.number),
            acting_user=acting_user,
        )
    order_services.order_transition(
        order=order,
        action="resolve_dispute",
        acting_user=acting_user,
        acting_organization=None,
        note=words(note) or choice("finance.dispute_outcome", decision.outcome),
    )
    return decision
