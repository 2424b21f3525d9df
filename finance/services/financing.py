"""Order financing: a factory with an order in production asks for an advance of up to
FINANCE_ADVANCE_MAX_PERCENT of the money funded for it; an operator approves and the
advance is paid (financing account to the factory's payable); every escrow release then
repays it first, before the factory's payout (`escrow._release`)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import texts
from finance.models import AccountPurpose, Escrow, FinancingAdvance, TransactionKind
from finance.services import ledger
from marketplace.exceptions import ConflictError, ForbiddenError, InvalidError
from marketplace.models import NotificationTopic, Organization, User
from marketplace.money import Money
from marketplace.services import notification_send
from marketplace.texts import words
from orders.models import Order, OrderStatus


def advance_limit(*, order: Order) -> Money:
    """The most a factory may ask for on this order now."""
    escrow = Escrow.objects.filter(order_id=order.pk).first()
    held = escrow.held_minor if escrow else 0
    return Money(held, order.currency).rounded_share(settings.FINANCE_ADVANCE_MAX_PERCENT, 100)


@transaction.atomic
def advance_request(
    *, order: Order, organization: Organization, amount: Money, acting_user: User, note: str = ""
) -> FinancingAdvance:
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if organization.pk != order.factory_id:
        raise ForbiddenError(_("Only the order's factory can ask for an advance."))
    if order.status != OrderStatus.IN_PRODUCTION:
        raise ConflictError(_("An advance is possible while the order is in production."))
    if amount.currency != order.currency:
        raise InvalidError({"amount": [_("The order is in %(c)s.") % {"c": order.currency}]})
    limit = advance_limit(order=order)
    if amount.amount_minor <= 0 or amount > limit:
        raise InvalidError(
            {"amount": [_("Ask for more than zero and at most %(limit)s.") % {"limit": limit}]}
        )
    try:
        with transaction.atomic():
            return FinancingAdvance.objects.create(
                organization=organization,
                order=order,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                requested_by=acting_user,
                note=note[:255],
            )
    except IntegrityError as error:
        raise ConflictError(_("This order has an advance already.")) from error


@transaction.atomic
def advance_decide(
    *, advance: FinancingAdvance, approve: bool, acting_user: User, reason: str = ""
) -> FinancingAdvance:
    """An operator approves (the advance is paid at once) or rejects; a second decision is
    a conflict and moves nothing. The factory is told, with the operator's `reason`."""
    Order.objects.select_for_update(of=("self",)).filter(pk=advance.order_id).first()
    advance = (
        FinancingAdvance.objects.select_for_update()
        .select_related("organization")
        .get(pk=advance.pk)
    )
    if advance.status != FinancingAdvance.Status.REQUESTED:
        raise ConflictError(_("This advance was decided already."))
    advance.decided_by = acting_user
    advance.decided_at = timezone.now()
    if not approve:
        advance.status = FinancingAdvance.Status.REJECTED
        advance.save(update_fields=["status", "decided_by", "decided_at"])
        _advance_notify(advance, reason=reason)
        return advance
    if advance.amount > advance_limit(order=advance.order):
        raise ConflictError(_("The escrow no longer covers this advance."))
    ledger.journal_post(
        kind=TransactionKind.ADVANCE,
        reference=f"advance:{advance.pk}",
        order_pk=advance.order_id,
        memo=texts.MEMO_ADVANCE(pk=advance.order_id),
        acting_user=acting_user,
        legs=[
            (
                ledger.platform_account(
                    AccountPurpose.FINANCING, advance.currency, shard_key=advance.order_id
                ),
                ledger.negate(advance.amount),
            ),
            (
                ledger.accounts_get(
                    ledger.payable_key(
                        advance.organization_id, advance.currency, shard_key=advance.order_id
                    )
                )[0],
                advance.amount,
            ),
        ],
    )
    advance.status = FinancingAdvance.Status.APPROVED
    advance.save(update_fields=["status", "decided_by", "decided_at"])
    _advance_notify(advance, reason=reason)
    return advance


def _advance_notify(advance: FinancingAdvance, *, reason: str) -> None:
    message = (
        texts.ADVANCE_PAID
        if advance.status == FinancingAdvance.Status.APPROVED
        else texts.ADVANCE_REJECTED
    )
    notification_send(
        organization=advance.organization,
        topic=NotificationTopic.PAYMENTS,
        title=message(pk=advance.order_id, amount=advance.amount),
        body=words(reason.strip()),
    )
