"""Buyers' payments into an order's escrow: by credit line, card (Stripe) or bank transfer.

The amount of each purpose is computed here from the order, never taken from the client:
the sample fee; a deposit (FINANCE_DEPOSIT_PERCENT of the goods) and the balance (the rest
of the goods); or the full amount (the goods, plus the sample fee unless paid separately).
Once the escrow holds the order's agreed total, the order is marked paid (as the system),
which lets the factory start production.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import texts
from finance.models import (
    ACTIVE_PAYMENT_STATUSES,
    AccountPurpose,
    CreditDraw,
    CreditLine,
    Escrow,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    TransactionKind,
)
from finance.services import ledger
from finance.services.escrow import (
    escrow_fund,
    escrow_get_or_create,
    escrow_lock,
    escrow_return_skipped_sample,
)
from marketplace.exceptions import ConflictError, ForbiddenError, InvalidError
from marketplace.models import NotificationTopic, Organization, User
from marketplace.money import Money
from marketplace.services import notification_send
from marketplace.texts import choice
from orders import services as order_services
from orders.models import Order, OrderStatus

SAMPLE_STATUSES = frozenset(
    {OrderStatus.SAMPLE_REQUESTED, OrderStatus.SAMPLE_SHIPPED, OrderStatus.SAMPLE_REJECTED}
)
PAYABLE_STATUSES = {
    PaymentPurpose.SAMPLE: SAMPLE_STATUSES | {OrderStatus.AWAITING_PAYMENT},
    PaymentPurpose.DEPOSIT: frozenset({OrderStatus.AWAITING_PAYMENT}),
    PaymentPurpose.BALANCE: frozenset({OrderStatus.AWAITING_PAYMENT}),
    PaymentPurpose.FULL: frozenset({OrderStatus.AWAITING_PAYMENT}),
}


def _active(order: Order) -> dict[str, Payment]:
    return {
        payment.purpose: payment
        for payment in Payment.objects.filter(order=order, status__in=ACTIVE_PAYMENT_STATUSES)
    }


def payment_amount_due(*, order: Order, purpose: str) -> Money:
    """What a payment of `purpose` must be for this order now; InvalidError when that
    purpose does not apply (already covered, or no sample fee)."""
    active = _active(order)
    if purpose in active:
        raise ConflictError(
            _("This order has a %(purpose)s payment already.")
            % {"purpose": PaymentPurpose(purpose).label}
        )
    goods = order.goods_total
    sample = order.sample_fee if order.with_sample else Money.zero(order.currency)
    deposit = goods.rounded_share(settings.FINANCE_DEPOSIT_PERCENT, 100)
    goods_paid = {PaymentPurpose.DEPOSIT, PaymentPurpose.BALANCE, PaymentPurpose.FULL} & set(active)
    if purpose == PaymentPurpose.SAMPLE:
        if not sample or PaymentPurpose.FULL in active:
            raise InvalidError({"purpose": [_("There is no sample fee to pay on this order.")]})
        return sample
    if purpose == PaymentPurpose.DEPOSIT:
        if goods_paid:
            raise InvalidError({"purpose": [_("The goods are already being paid.")]})
        return deposit
    if purpose == PaymentPurpose.BALANCE:
        if PaymentPurpose.DEPOSIT not in active or PaymentPurpose.BALANCE in active:
            raise InvalidError({"purpose": [_("Pay a deposit first, or pay the full amount.")]})
        return goods - active[PaymentPurpose.DEPOSIT].amount
    if purpose == PaymentPurpose.FULL:
        if goods_paid:
            raise InvalidError({"purpose": [_("The goods are already being paid.")]})
        return goods + (Money.zero(order.currency) if PaymentPurpose.SAMPLE in active else sample)
    raise InvalidError({"purpose": [_("Choose sample, deposit, balance or full.")]})


def payment_create(
    *,
    order: Order,
    organization: Organization,
    purpose: str,
    method: str,
    acting_user: User,
    expected_amount: Money | None = None,
) -> Payment:
    """Start (credit: complete) a payment. No Stripe call happens inside a transaction:
    the row is committed first, the PaymentIntent created after, keyed by the row."""
    if purpose not in PaymentPurpose.values:
        raise InvalidError({"purpose": [_("Choose sample, deposit, balance or full.")]})
    if method not in PaymentMethod.values:
        raise InvalidError({"method": [_("Choose credit, stripe or bank_transfer.")]})
    if method == PaymentMethod.STRIPE and not settings.STRIPE_SECRET_KEY:
        raise InvalidError({"method": [_("Card payments are not set up on this platform.")]})
    payment = _payment_insert(
        order=order,
        organization=organization,
        purpose=purpose,
        method=method,
        acting_user=acting_user,
        expected_amount=expected_amount,
    )
    if method == PaymentMethod.STRIPE:
        from finance.services.stripe import stripe_intent_create

        payment = stripe_intent_create(payment=payment)
    return payment


@transaction.atomic
def _payment_insert(
    *,
    order: Order,
    organization: Organization,
    purpose: str,
    method: str,
    acting_user: User,
    expected_amount: Money | None,
) -> Payment:
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if organization.pk != order.buyer_id:
        raise ForbiddenError(_("Only the buyer pays for an order."))
    if order.status not in PAYABLE_STATUSES[PaymentPurpose(purpose)]:
        raise ConflictError(
            _("A %(purpose)s payment is not possible while the order is %(status)s.")
            % {"purpose": PaymentPurpose(purpose).label, "status": order.get_status_display()}
        )
    due = payment_amount_due(order=order, purpose=purpose)
    if expected_amount is not None and expected_amount != due:
        raise InvalidError(
            {"amount": [_("The amount due for this payment is %(due)s.") % {"due": due}]}
        )
    escrow_get_or_create(order=order)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                organization=organization,
                order=order,
                purpose=purpose,
                method=method,
                amount_minor=due.amount_minor,
                currency=due.currency,
                reference=f"C2M{order.pk:06d}{purpose[:1].upper()}{secrets.token_hex(3).upper()}",
                created_by=acting_user,
            )
    except IntegrityError as error:
        raise ConflictError(_("This order has a payment of that kind already.")) from error
    if method == PaymentMethod.CREDIT:
        _credit_draw(payment=payment, acting_user=acting_user)
    return payment


def _credit_draw(*, payment: Payment, acting_user: User | None) -> None:
    amount = payment.amount_minor
    drawn = CreditLine.objects.filter(
        organization_id=payment.organization_id,
        currency=payment.currency,
        overdue=False,
        used_minor__lte=F("limit_minor") - amount,
    ).update(used_minor=F("used_minor") + amount)
    if drawn != 1:
        raise ConflictError(
            _(
                "Your credit line does not cover this payment, or is blocked by an overdue "
                "repayment."
            )
        )
    line = CreditLine.objects.get(organization_id=payment.organization_id)
    CreditDraw.objects.create(
        organization_id=payment.organization_id,
        credit_line=line,
        payment=payment,
        order_id=payment.order_id,
        amount_minor=amount,
        currency=payment.currency,
    )
    payment_receive(
        payment=payment,
        received=payment.amount,
        source_purpose=AccountPurpose.BUYER_CREDIT,
        reference=f"credit:{payment.pk}",
        acting_user=acting_user,
    )


def payment_receive(
    *,
    payment: Payment,
    received: Money,
    source_purpose: str,
    reference: str,
    acting_user: User | None,
) -> Payment:
    """Book money that arrived for `payment` (inside the caller's transaction, with the
    payment row locked): up to what is still due goes into escrow, anything beyond is kept
    as the buyer's cash; the payment is received in full or short. The caller holds the
    order's lock (`payment_lock`)."""
    order = payment.order
    escrow = escrow_lock(order=order)
    outstanding = payment.amount_minor - min(payment.received_minor, payment.amount_minor)
    into_escrow = payment.money_of(min(received.amount_minor, outstanding))
    over = received - into_escrow
    extra: tuple[ledger.Leg, ...] = ()
    if over:
        cash = ledger.account_get(
            purpose=AccountPurpose.BUYER_CASH,
            currency=received.currency,
            organization=payment.organization,
        )
        extra = ((cash, over),)
    source_organization = (
        payment.organization if source_purpose == AccountPurpose.BUYER_CREDIT else None
    )
    if into_escrow:
        escrow_fund(
            escrow=escrow,
            source_purpose=source_purpose,
            source_organization=source_organization,
            amount=into_escrow,
            reference=reference,
            memo=texts.MEMO_RECEIVED(
                number=order.number,
                purpose=choice("finance.payment_purpose", payment.purpose),
                reference=payment.reference,
            ),
            acting_user=acting_user,
            extra_legs=extra,
        )
    else:
        source = ledger.account_get(
            purpose=source_purpose,
            currency=received.currency,
            organization=source_organization,
            shard=ledger.platform_shard(order.pk) if source_organization is None else 0,
        )
        ledger.journal_post(
            kind=TransactionKind.OVERPAYMENT,
            reference=reference,
            order_pk=order.pk,
            memo=texts.MEMO_OVERPAID(reference=payment.reference),
            acting_user=acting_user,
            legs=[(source, Money.zero(received.currency) - over), *extra],
        )
    payment.received_minor += received.amount_minor
    payment.status = (
        PaymentStatus.SUCCEEDED
        if payment.received_minor >= payment.amount_minor
        else PaymentStatus.PARTIAL
    )
    payment.received_at = timezone.now()
    payment.confirmed_by = (
        acting_user if acting_user and acting_user.is_staff else payment.confirmed_by
    )
    payment.save(update_fields=["received_minor", "status", "received_at", "confirmed_by"])
    if payment.purpose == PaymentPurpose.SAMPLE:
        # Arrived after the buyer skipped the sample: it goes straight back.
        escrow_return_skipped_sample(order=order, acting_user=acting_user)
    _mark_paid_when_funded(order=order, escrow=escrow)
    return payment


def _mark_paid_when_funded(*, order: Order, escrow: Escrow) -> None:
    order.refresh_from_db(fields=["status", "with_sample", "sample_fee_minor"])
    escrow.refresh_from_db()
    # What was refunded (a skipped sample's fee) does not pay for the order.
    if (
        order.status == OrderStatus.AWAITING_PAYMENT
        and escrow.funded_minor - escrow.refunded_minor >= order.total.amount_minor
    ):
        order_services.order_mark_paid(
            order=order, acting_user=None, note=texts.NOTE_PAID_INTO_ESCROW()
        )


def payment_lock(*, payment_pk: int) -> Payment:
    """Lock the payment's order, then the payment: the order comes first in every money
    path (order, escrow, payment rows, ledger accounts), so no two of them deadlock."""
    order_pk = Payment.objects.values_list("order_id", flat=True).get(pk=payment_pk)
    Order.objects.select_for_update(of=("self",)).filter(pk=order_pk).first()
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("order", "organization")
        .get(pk=payment_pk)
    )


@transaction.atomic
def bank_transfer_confirm(*, payment: Payment, received: Money, acting_user: User) -> Payment:
    """An operator records money that arrived by bank transfer for `payment`, as received:
    short leaves the payment open for the rest, over is kept as the buyer's cash."""
    payment = payment_lock(payment_pk=payment.pk)
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise ConflictError(_("Only bank transfers are confirmed by hand."))
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.PARTIAL):
        raise ConflictError(_("This transfer was confirmed already."))
    if received.currency != payment.currency:
        raise InvalidError(
            {"amount": [_("The transfer is in %(currency)s.") % {"currency": payment.currency}]}
        )
    if received.amount_minor <= 0:
        raise InvalidError({"amount": [_("Enter the amount that arrived, above zero.")]})
    payment = payment_receive(
        payment=payment,
        received=received,
        source_purpose=AccountPurpose.BANK_CLEARING,
        reference=f"bank:{payment.pk}:{payment.received_minor + received.amount_minor}",
        acting_user=acting_user,
    )
    notification_send(
        organization=payment.organization,
        topic=NotificationTopic.PAYMENTS,
        title=texts.BANK_TRANSFER_ARRIVED(amount=received, reference=payment.reference),
        body=(
            texts.PAYMENT_COMPLETE()
            if payment.status == PaymentStatus.SUCCEEDED
            else texts.PAYMENT_MISSING(
                missing=payment.money_of(payment.amount_minor - payment.received_minor)
            )
        ),
    )
    return payment


def payment_cancel(*, payment: Payment, organization: Organization, acting_user: User) -> Payment:
    """The buyer cancels a payment no money arrived for yet (a bank transfer not confirmed,
    a card payment not completed), to pay another way. A card's PaymentIntent is cancelled
    at Stripe first, outside any transaction: once Stripe has cancelled it, it can never
    succeed, so no charge can arrive for a cancelled payment."""
    if payment.organization_id != organization.pk:
        raise ForbiddenError(_("Only the buyer who started a payment can cancel it."))
    _cancel_check(payment)
    if payment.method == PaymentMethod.STRIPE and payment.stripe_payment_intent:
        from finance.services.stripe import stripe_intent_cancel

        stripe_intent_cancel(payment=payment)
    return _payment_mark_cancelled(payment_pk=payment.pk)


def _cancel_check(payment: Payment) -> None:
    if payment.method == PaymentMethod.CREDIT:
        raise ConflictError(_("A credit payment is complete; it cannot be cancelled."))
    if payment.status != PaymentStatus.PENDING:
        raise ConflictError(
            _("Only a payment still awaiting the money can be cancelled; this one is %(s)s.")
            % {"s": payment.get_status_display()}
        )


@transaction.atomic
def _payment_mark_cancelled(*, payment_pk: int) -> Payment:
    payment = payment_lock(payment_pk=payment_pk)
    _cancel_check(payment)
    payment.status = PaymentStatus.CANCELLED
    payment.save(update_fields=["status"])
    return payment
