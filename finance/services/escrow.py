"""Escrow per order: funded by the buyer's payments, released to the factory at milestones
minus the platform's commission (and any financing advance, repaid first), refunded to the
buyer on cancellation or by a dispute decision.

Every change locks the order's `Escrow` row first (then ledger accounts in key order), and
moves its counters with one conditional UPDATE, in the statement of the journal that
records the change (`ledger.RowUpdate`), that the row's CHECK bounds: released + refunded
never exceeds funded, whatever runs in parallel. A milestone's release carries a unique
ledger reference, so it happens once however often it is triggered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from finance import texts
from finance.models import (
    AccountPurpose,
    CreditDraw,
    CreditLine,
    Escrow,
    FinancingAdvance,
    JournalTransaction,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    Refund,
    TransactionKind,
)
from finance.services import credit, ledger
from marketplace.exceptions import ConflictError
from marketplace.models import User
from marketplace.money import Money
from marketplace.texts import Text, choice
from orders.models import Order


class Milestone:
    SAMPLE = "sample"
    INSPECTION = "inspection"
    DELIVERY = "delivery"


def escrow_get_or_create(*, order: Order) -> Escrow:
    escrow = Escrow.objects.filter(order_id=order.pk).first()
    if escrow is not None:
        return escrow
    try:
        with transaction.atomic():
            return Escrow.objects.create(
                order=order,
                organization_id=order.buyer_id,
                factory_id=order.factory_id,
                currency=order.currency,
                commission_bps=settings.FINANCE_COMMISSION_BPS,
            )
    except IntegrityError:
        return Escrow.objects.get(order_id=order.pk)


# Plain SQL for the reads every fund, release and refund makes under the escrow's lock:
# building the ORM's queries cost more than running them.
_ESCROW_FIELDS = [field.attname for field in Escrow._meta.concrete_fields]
_ESCROW_LOCK = "SELECT {} FROM finance_escrow WHERE order_id = %s FOR UPDATE".format(  # noqa: S608 - column names
    ", ".join(f'"{name}"' for name in _ESCROW_FIELDS)
)
_ADVANCE_FIELDS = [field.attname for field in FinancingAdvance._meta.concrete_fields]
_ADVANCE_LOCK = (  # noqa: S608 - column names from the model
    "SELECT {} FROM finance_financingadvance WHERE order_id = %s AND status = %s"
    " ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE"
).format(", ".join(f'"{name}"' for name in _ADVANCE_FIELDS))


def _escrow_locked(order_pk: int) -> Escrow | None:
    with connection.cursor() as cursor:
        cursor.execute(_ESCROW_LOCK, [order_pk])
        row = cursor.fetchone()
    return Escrow.from_db(connection.alias, _ESCROW_FIELDS, row) if row else None


def escrow_lock(*, order: Order) -> Escrow:
    """The order's escrow, locked until the caller's transaction ends."""
    locked = _escrow_locked(order.pk)
    if locked is not None:
        return locked
    escrow_get_or_create(order=order)
    locked = _escrow_locked(order.pk)
    if locked is None:
        raise Escrow.DoesNotExist
    return locked


def _advance_locked(order_pk: int) -> FinancingAdvance | None:
    """The order's approved financing advance (the latest, as the ORM's default order
    has it), locked until the caller's transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE_LOCK, [order_pk, FinancingAdvance.Status.APPROVED])
        row = cursor.fetchone()
    return FinancingAdvance.from_db(connection.alias, _ADVANCE_FIELDS, row) if row else None


def _escrow_key(escrow: Escrow) -> ledger.AccountKey:
    return ledger.AccountKey(
        purpose=AccountPurpose.ESCROW,
        currency=escrow.currency,
        organization_id=escrow.organization_id,
        order_id=escrow.order_id,
    )


def _escrow_account(escrow: Escrow):
    return ledger.accounts_get(_escrow_key(escrow))[0]


def _source_key(
    *, purpose: str, currency: str, organization_id: int | None, order_pk: int
) -> ledger.AccountKey:
    """Where money into an order's escrow comes from: the platform's clearing accounts
    (the order's shard of them) or an organization's own account."""
    if organization_id is None:
        return ledger.platform_key(purpose, currency, shard_key=order_pk)
    return ledger.AccountKey(purpose=purpose, currency=currency, organization_id=organization_id)


def escrow_fund(
    *,
    escrow: Escrow,
    source_purpose: str,
    amount: Money,
    reference: str,
    memo: Text | str,
    acting_user: User | None,
    source_organization=None,
    extra_legs: tuple[ledger.Leg, ...] = (),
) -> JournalTransaction:
    """Move `amount` from the source account into the (locked) escrow. `extra_legs` lets
    the caller book what arrived beyond it (an overpayment) in the same transaction."""
    source, escrow_account = ledger.accounts_get(
        _source_key(
            purpose=source_purpose,
            currency=amount.currency,
            organization_id=source_organization.pk if source_organization else None,
            order_pk=escrow.order_id,
        ),
        _escrow_key(escrow),
    )
    received = amount + sum((leg[1] for leg in extra_legs), Money.zero(amount.currency))
    entry = ledger.journal_post(
        kind=TransactionKind.FUND,
        reference=reference,
        order_pk=escrow.order_id,
        memo=memo,
        acting_user=acting_user,
        legs=[
            (source, Money.zero(amount.currency) - received),
            (escrow_account, amount),
            *extra_legs,
        ],
        # The counter moves in the journal's own statement.
        row_update=ledger.RowUpdate(
            update="UPDATE finance_escrow SET funded_minor = funded_minor + %s",
            where="id = %s",
            params=[amount.amount_minor, escrow.pk],
            refused=Escrow.DoesNotExist(),
        ),
    )
    # The row is locked by this transaction: the counter in memory stays exact.
    escrow.funded_minor += amount.amount_minor
    return entry


# --- release ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseSplit:
    gross: Money
    commission: Money
    advance_repaid: Money
    to_factory: Money


def release_split(*, gross: Money, commission_bps: int, advance_outstanding: Money) -> ReleaseSplit:
    """Commission first, then the factory's advance, then the factory's payout."""
    commission = gross.rounded_share(commission_bps, 10_000)
    after_commission = gross - commission
    advance = min(advance_outstanding, after_commission)
    return ReleaseSplit(gross, commission, advance, after_commission - advance)


def _milestone_amount(escrow: Escrow, order: Order, milestone: str) -> int:
    held = escrow.held_minor
    if milestone == Milestone.SAMPLE:
        return min(order.sample_fee_minor if order.with_sample else 0, held)
    if milestone == Milestone.INSPECTION:
        # The goods the order delivers (fewer when the buyer accepted a short shipment).
        share = order.shipped_goods_total.rounded_share(
            settings.FINANCE_RELEASE_INSPECTION_PERCENT, 100
        )
        return min(share.amount_minor, held)
    return held


@transaction.atomic
def escrow_release_milestone(
    *, order: Order, milestone: str, acting_user: User | None = None
) -> JournalTransaction | None:
    """Release the milestone's share of the escrow to the factory, once. None when it was
    released before or nothing is held for it."""
    escrow = escrow_lock(order=order)
    reference = f"release:{order.pk}:{milestone}"
    if JournalTransaction.objects.filter(reference=reference).exists():
        return None
    amount = _milestone_amount(escrow, order, milestone)
    if amount <= 0:
        return None
    return _release(
        escrow=escrow,
        gross=escrow.money(amount),
        reference=reference,
        memo=texts.MEMO_MILESTONE_RELEASE(
            number=order.number, milestone=choice("finance.milestone", milestone)
        ),
        acting_user=acting_user,
    )


def escrow_release_amount(
    *, escrow: Escrow, amount: Money, reference: str, memo: Text | str, acting_user: User | None
) -> JournalTransaction:
    """Release a given amount of the (locked) escrow; used by dispute decisions."""
    if amount.amount_minor > escrow.held_minor:
        raise ConflictError(
            _("Only %(held)s is left in escrow.") % {"held": escrow.money(escrow.held_minor)}
        )
    return _release(
        escrow=escrow, gross=amount, reference=reference, memo=memo, acting_user=acting_user
    )


def _release(
    *, escrow: Escrow, gross: Money, reference: str, memo: Text | str, acting_user: User | None
) -> JournalTransaction:
    advance = _advance_locked(escrow.order_id)
    outstanding = escrow.money(advance.outstanding_minor if advance else 0)
    split = release_split(
        gross=gross, commission_bps=escrow.commission_bps, advance_outstanding=outstanding
    )
    currency = gross.currency
    escrow_account, fees, financing, payable = ledger.accounts_get(
        _escrow_key(escrow),
        ledger.platform_key(AccountPurpose.PLATFORM_FEES, currency, shard_key=escrow.order_id),
        ledger.platform_key(AccountPurpose.FINANCING, currency, shard_key=escrow.order_id),
        ledger.payable_key(escrow.factory_id, currency, shard_key=escrow.order_id),
    )
    entry = ledger.journal_post(
        kind=TransactionKind.RELEASE,
        reference=reference,
        order_pk=escrow.order_id,
        memo=memo,
        acting_user=acting_user,
        legs=[
            (escrow_account, Money.zero(currency) - gross),
            (fees, split.commission),
            (financing, split.advance_repaid),
            (payable, split.to_factory),
        ],
        row_update=_escrow_move(escrow, released=gross.amount_minor),
    )
    _escrow_moved(escrow, released=gross.amount_minor)
    if advance is not None and split.advance_repaid:
        repaid = advance.repaid_minor + split.advance_repaid.amount_minor
        advance.repaid_minor = repaid
        if repaid == advance.amount_minor:
            advance.status = FinancingAdvance.Status.REPAID
        advance.save(update_fields=["repaid_minor", "status"])
    return entry


def _escrow_move(escrow: Escrow, *, released: int = 0, refunded: int = 0) -> ledger.RowUpdate:
    """The conditional UPDATE that can never take more out than was funded, made by
    `journal_post` in the statement of the journal that records it."""
    return ledger.RowUpdate(
        update=(
            "UPDATE finance_escrow SET released_minor = released_minor + %s,"
            " refunded_minor = refunded_minor + %s"
        ),
        where="funded_minor >= released_minor + refunded_minor + %s AND id = %s",
        params=[released, refunded, released + refunded, escrow.pk],
        refused=ConflictError(_("The escrow does not hold that much any more.")),
    )


def _escrow_moved(escrow: Escrow, *, released: int = 0, refunded: int = 0) -> None:
    """The row is locked by this transaction: the counters in memory stay exact."""
    escrow.released_minor += released
    escrow.refunded_minor += refunded


# --- refund -------------------------------------------------------------------------------


@transaction.atomic
def escrow_refund(
    *,
    order: Order,
    amount: Money | None,
    reference: str,
    reason: Text | str,
    acting_user: User | None = None,
    payment_pk: int | None = None,
) -> list[Refund]:
    """Give `amount` (None: everything still held) back to the buyer, once per `reference`:
    credit first (the line is restored), then card payments (refunded through Stripe after
    commit), then bank transfers (kept as the buyer's cash). With `payment_pk`, only that
    payment's money goes back (a sample fee whose sample was skipped)."""
    escrow = escrow_lock(order=order)
    if JournalTransaction.objects.filter(reference=f"refund:{reference}").exists():
        return []
    total = amount.amount_minor if amount is not None else escrow.held_minor
    if total <= 0:
        return []
    if total > escrow.held_minor:
        raise ConflictError(
            _("Only %(held)s is left in escrow.") % {"held": escrow.money(escrow.held_minor)}
        )
    refunds, legs = _refund_allocate(
        escrow=escrow, total=total, reason=reason, payment_pk=payment_pk
    )
    legs.append((_escrow_account(escrow), escrow.money(-total)))
    ledger.journal_post(
        kind=TransactionKind.REFUND,
        reference=f"refund:{reference}",
        order_pk=order.pk,
        memo=reason or texts.MEMO_REFUND(number=order.number),
        acting_user=acting_user,
        legs=legs,
        row_update=_escrow_move(escrow, refunded=total),
    )
    _escrow_moved(escrow, refunded=total)
    stripe_refunds = [refund.pk for refund in refunds if refund.status == Refund.Status.PENDING]
    for refund_pk in stripe_refunds:
        transaction.on_commit(
            partial(
                current_app.send_task, "finance.tasks.stripe_refund_send_task", args=[refund_pk]
            )
        )
    return refunds


@transaction.atomic
def escrow_return_skipped_sample(*, order: Order, acting_user: User | None = None) -> list[Refund]:
    """A sample fee paid for a sample the buyer then skipped (none was made) is not the
    factory's: it goes back the way it came (the credit line restored, the card refunded,
    a bank transfer kept as the buyer's cash), never released with the bulk order. Called
    when the sample is skipped and again when a sample payment arrives afterwards; once
    per amount received (the reference names it)."""
    escrow_lock(order=order)
    order.refresh_from_db(fields=["with_sample"])
    if order.with_sample:
        return []
    refunds: list[Refund] = []
    sample_payments = Payment.objects.filter(
        order_id=order.pk, purpose=PaymentPurpose.SAMPLE, received_minor__gt=0
    ).prefetch_related("refunds")
    for payment in sample_payments:
        part = payment_refundable_minor(payment)
        if part <= 0:
            continue
        refunds += escrow_refund(
            order=order,
            amount=Money(part, payment.currency),
            reference=f"sample-skipped:{payment.pk}:{payment.received_minor}",
            reason=_("%(number)s: the sample was skipped; its fee is returned")
            % {"number": order.number},
            acting_user=acting_user,
            payment_pk=payment.pk,
        )
    return refunds


_REFUND_ORDER = {PaymentMethod.CREDIT: 0, PaymentMethod.STRIPE: 1, PaymentMethod.BANK_TRANSFER: 2}


def payment_refundable_minor(payment: Payment) -> int:
    """What of the payment is in escrow and not refunded yet (anything received beyond its
    amount was kept as the buyer's cash when it arrived). Uses prefetched `refunds`."""
    return min(payment.amount_minor, payment.received_minor) - sum(
        refund.amount_minor for refund in payment.refunds.all()
    )


def _refund_allocate(
    *, escrow: Escrow, total: int, reason: Text | str, payment_pk: int | None = None
) -> tuple[list[Refund], list[ledger.Leg]]:
    candidates = Payment.objects.filter(order_id=escrow.order_id, received_minor__gt=0)
    if payment_pk is not None:
        candidates = candidates.filter(pk=payment_pk)
    payments = sorted(
        candidates.prefetch_related("refunds"),
        key=lambda payment: (_REFUND_ORDER[PaymentMethod(payment.method)], payment.pk),
    )
    remaining = total
    refunds: list[Refund] = []
    legs: list[ledger.Leg] = []
    for payment in payments:
        part = min(payment_refundable_minor(payment), remaining)
        if part <= 0:
            continue
        remaining -= part
        refund, payment_legs = _refund_one(escrow=escrow, payment=payment, part=part, reason=reason)
        refunds.append(refund)
        legs.extend(payment_legs)
        if not remaining:
            break
    if remaining:
        # A campaign order is paid from its pledges: each pledger's credit draw on it.
        for draw in CreditDraw.objects.filter(
            order_id=escrow.order_id, payment=None
        ).prefetch_related("refunds"):
            refundable = draw.amount_minor - sum(
                refund.amount_minor for refund in draw.refunds.all()
            )
            part = min(refundable, remaining)
            if part <= 0:
                continue
            remaining -= part
            legs.extend(_refund_draw(escrow=escrow, draw_pk=draw.pk, part=part))
            refunds.append(
                Refund.objects.create(
                    organization_id=draw.organization_id,
                    order_id=escrow.order_id,
                    credit_draw=draw,
                    amount_minor=part,
                    currency=escrow.currency,
                    reason=str(reason)[:255],
                    status=Refund.Status.SUCCEEDED,
                )
            )
            if not remaining:
                break
    if remaining:
        raise ConflictError(_("The escrow holds money no payment accounts for."))
    return refunds, legs


def _refund_one(
    *, escrow: Escrow, payment: Payment, part: int, reason: Text | str
) -> tuple[Refund, list[ledger.Leg]]:
    money = escrow.money(part)
    status = Refund.Status.SUCCEEDED
    if payment.method == PaymentMethod.CREDIT:
        legs = _refund_credit(escrow=escrow, payment=payment, part=part)
    elif payment.method == PaymentMethod.STRIPE:
        status = Refund.Status.PENDING
        clearing = ledger.platform_account(
            AccountPurpose.STRIPE_CLEARING, money.currency, shard_key=escrow.order_id
        )
        legs = [(clearing, money)]
    else:
        legs = [(_buyer_cash(escrow), money)]
    refund = Refund.objects.create(
        organization_id=escrow.organization_id,
        order_id=escrow.order_id,
        payment=payment,
        amount_minor=part,
        currency=money.currency,
        reason=str(reason)[:255],
        status=status,
    )
    return refund, legs


def _buyer_cash(escrow: Escrow):
    return ledger.account_get(
        purpose=AccountPurpose.BUYER_CASH,
        currency=escrow.currency,
        organization=escrow.organization,
    )


def _refund_credit(*, escrow: Escrow, payment: Payment, part: int) -> list[ledger.Leg]:
    draw_pk = CreditDraw.objects.values_list("pk", flat=True).get(payment=payment)
    return _refund_draw(escrow=escrow, draw_pk=draw_pk, part=part)


def _refund_draw(*, escrow: Escrow, draw_pk: int, part: int) -> list[ledger.Leg]:
    """A credit draw's refund first cancels what its buyer still owes on it (the line is
    freed); what the draw was already settled with goes back where that money came from:
    the buyer's cash if the buyer repaid it, the guarantee fund if it was written off. The
    buyer is the draw's: the order's, or a campaign order's pledger."""
    # The line before its draw, as `credit_repay` locks them: no deadlock between the two.
    line_pk = CreditDraw.objects.values_list("credit_line_id", flat=True).get(pk=draw_pk)
    line = CreditLine.objects.select_for_update().get(pk=line_pk)
    draw = CreditDraw.objects.select_for_update().select_related("organization").get(pk=draw_pk)
    owed = min(draw.outstanding_minor, part)
    legs: list[ledger.Leg] = []
    if owed:
        credit.credit_draw_settle(draw, owed)
        credit.credit_line_settled(line, owed)
        account = ledger.account_get(
            purpose=AccountPurpose.BUYER_CREDIT,
            currency=escrow.currency,
            organization=draw.organization,
        )
        legs.append((account, escrow.money(owed)))
    settled = part - owed
    if settled:
        back_to = (
            ledger.platform_account(
                AccountPurpose.GUARANTEE_FUND, escrow.currency, shard_key=escrow.order_id
            )
            if draw.status == CreditDraw.Status.WRITTEN_OFF
            else ledger.account_get(
                purpose=AccountPurpose.BUYER_CASH,
                currency=escrow.currency,
                organization=draw.organization,
            )
        )
        legs.append((back_to, escrow.money(settled)))
    return legs
