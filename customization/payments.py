"""Campaign payments: the one place customization moves money, always through finance's
pledge services (`finance.services.pledges`). A pledge is paid into escrow on the buyer's
credit line when it is made; refunded in full when the campaign misses its target; and
when the campaign completes, the price drop goes back to the pledger and the rest moves
into the production order's escrow. Every call is idempotent (keyed by the pledge)."""

from __future__ import annotations

from collections.abc import Sequence

from customization import texts
from customization.models import Campaign, Pledge
from finance.services import pledges as finance_pledges
from marketplace.models import User
from marketplace.money import Money
from marketplace.texts import Text
from orders.models import Order


def pledge_collect(*, pledge: Pledge, acting_user: User | None) -> None:
    """Pay the pledge into escrow (ConflictError, and the caller's transaction rolls back,
    when the buyer's credit line does not cover it)."""
    finance_pledges.pledge_escrow_fund(
        buyer=pledge.organization,
        amount=pledge.amount,
        reference=f"pledge:{pledge.pk}",
        memo=texts.PLEDGE_MEMO(quantity=pledge.quantity, campaign=pledge.campaign_id),
        acting_user=acting_user,
    )


def pledge_refund(*, pledge: Pledge, amount: Money, reason: Text | str) -> None:
    """Give `amount` of the pledge back to the buyer (once per pledge)."""
    finance_pledges.pledge_escrow_refund(
        buyer=pledge.organization,
        amount=amount,
        reference=f"pledge-refund:{pledge.pk}",
        memo=reason,
        acting_user=None,
    )


def pledges_into_order(*, campaign: Campaign, order: Order, pledges: Sequence[Pledge]) -> None:
    """At the target price: each pledge's drop back to its buyer, the rest into the order."""
    parts = []
    for pledge in pledges:
        charged = campaign.target_unit_price * pledge.quantity
        pledge_refund(
            pledge=pledge,
            amount=pledge.amount - charged,
            reason=texts.TARGET_MET_REFUND(campaign=campaign.pk, price=campaign.target_unit_price),
        )
        parts.append((pledge.organization, charged, f"pledge-order:{pledge.pk}"))
    finance_pledges.pledge_escrows_into_order(order=order, parts=parts)
