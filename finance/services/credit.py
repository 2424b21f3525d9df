"""The credit voucher: operators grant a buyer a limit; paying by credit draws on it (see
`payments._credit_draw`, one conditional UPDATE); repayment is due N days after delivery;
overdue draws are flagged daily, block new draws, remind the buyer, and are covered by the
platform guarantee fund when an operator writes them off.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import texts
from finance.models import (
    AccountPurpose,
    CreditDraw,
    CreditLimitChange,
    CreditLine,
    TransactionKind,
)
from finance.services import ledger
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.models import NotificationTopic, Organization, User
from marketplace.money import Money
from marketplace.services import notification_send
from marketplace.texts import words

OPEN_STATUSES = (CreditDraw.Status.OPEN, CreditDraw.Status.OVERDUE)


@transaction.atomic
def credit_limit_set(
    *, organization: Organization, limit: Money, reason: str, acting_user: User
) -> CreditLine:
    """Grant or change a buyer's credit limit, with the reason on record."""
    if organization.kind != Organization.Kind.BUYER:
        raise InvalidError({"organization": [_("Only buyers get a credit line.")]})
    if not reason.strip():
        raise InvalidError({"reason": [_("Give the reason for this limit.")]})
    if limit.amount_minor < 0:
        raise InvalidError({"limit": [_("The limit cannot be negative.")]})
    line, _created = CreditLine.objects.select_for_update().get_or_create(
        organization=organization,
        defaults={
            "currency": limit.currency,
            "repayment_days": settings.FINANCE_CREDIT_REPAYMENT_DAYS,
        },
    )
    if line.currency != limit.currency:
        raise InvalidError({"limit": [_("This credit line is in %(c)s.") % {"c": line.currency}]})
    if limit.amount_minor < line.used_minor:
        raise InvalidError(
            {
                "limit": [
                    _("%(used)s is in use: the limit cannot go below it.")
                    % {"used": line.money(line.used_minor)}
                ]
            }
        )
    CreditLimitChange.objects.create(
        credit_line=line,
        previous_limit_minor=line.limit_minor,
        limit_minor=limit.amount_minor,
        reason=reason.strip()[:255],
        changed_by=acting_user,
    )
    changed = line.limit_minor != limit.amount_minor
    line.limit_minor = limit.amount_minor
    line.save(update_fields=["limit_minor", "updated_at"])
    if changed:
        notification_send(
            organization=organization,
            topic=NotificationTopic.PAYMENTS,
            title=texts.CREDIT_LIMIT_SET(limit=limit),
            body=words(reason.strip()),
        )
    return line


def credit_due_dates_set(*, order_pk: int, delivered_on: datetime.date) -> int:
    """Start the repayment clock of the order's draws on delivery."""
    updated = 0
    for draw in CreditDraw.objects.filter(order_id=order_pk, due_on__isnull=True).select_related(
        "credit_line"
    ):
        draw.due_on = delivered_on + datetime.timedelta(days=draw.credit_line.repayment_days)
        draw.save(update_fields=["due_on"])
        updated += 1
    return updated


@transaction.atomic
def credit_repay(
    *, organization: Organization, amount: Money, bank_reference: str, acting_user: User
) -> CreditLine:
    """An operator records a repayment received by bank transfer (once per bank reference);
    it settles the draws due first and lifts the block once nothing is overdue."""
    if not bank_reference.strip():
        raise InvalidError({"bank_reference": [_("Enter the bank transfer's reference.")]})
    line = CreditLine.objects.select_for_update().filter(organization=organization).first()
    if line is None:
        raise InvalidError({"organization": [_("This buyer has no credit line.")]})
    if amount.currency != line.currency:
        raise InvalidError({"amount": [_("This credit line is in %(c)s.") % {"c": line.currency}]})
    if amount.amount_minor <= 0:
        raise InvalidError({"amount": [_("Enter an amount above zero.")]})
    if amount.amount_minor > line.used_minor:
        raise InvalidError(
            {"amount": [_("Only %(used)s is owed.") % {"used": line.money(line.used_minor)}]}
        )
    remaining = amount.amount_minor
    for draw in (
        CreditDraw.objects.select_for_update()
        .filter(credit_line=line, status__in=OPEN_STATUSES)
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    ):
        part = min(draw.outstanding_minor, remaining)
        credit_draw_settle(draw, part)
        remaining -= part
        if not remaining:
            break
    ledger.journal_post(
        kind=TransactionKind.CREDIT_REPAY,
        reference=f"credit-repay:{line.pk}:{bank_reference.strip()[:80]}",
        memo=texts.MEMO_CREDIT_REPAID(name=organization.name),
        acting_user=acting_user,
        legs=[
            (
                ledger.platform_account(
                    AccountPurpose.BANK_CLEARING, amount.currency, shard_key=line.pk
                ),
                ledger.negate(amount),
            ),
            (_credit_account(line), amount),
        ],
    )
    line = credit_line_settled(line, amount.amount_minor)
    notification_send(
        organization=organization,
        topic=NotificationTopic.PAYMENTS,
        title=texts.CREDIT_REPAID(amount=amount),
        body=texts.CREDIT_REPAID_BODY(used=line.money(line.used_minor)),
    )
    return line


def _credit_account(line: CreditLine):
    return ledger.account_get(
        purpose=AccountPurpose.BUYER_CREDIT, currency=line.currency, organization=line.organization
    )


def credit_draw_settle(
    draw: CreditDraw, part: int, *, status: str = CreditDraw.Status.REPAID
) -> None:
    """Settle `part` of the (locked) draw; settled in full, it takes `status`."""
    draw.repaid_minor += part
    if draw.repaid_minor == draw.amount_minor:
        draw.status = status
    draw.save(update_fields=["repaid_minor", "status"])


def credit_line_settled(line: CreditLine, settled: int) -> CreditLine:
    """The line's use goes down by `settled`; the block lifts once nothing is overdue."""
    CreditLine.objects.filter(pk=line.pk).update(used_minor=F("used_minor") - settled)
    still_overdue = CreditDraw.objects.filter(
        credit_line=line, status=CreditDraw.Status.OVERDUE
    ).exists()
    if line.overdue and not still_overdue:
        CreditLine.objects.filter(pk=line.pk).update(overdue=False)
    line.refresh_from_db()
    return line


@transaction.atomic
def credit_write_off(*, draw: CreditDraw, acting_user: User, reason: str = "") -> CreditDraw:
    """Cover an overdue draw from the platform guarantee fund. The buyer's line is closed
    for new use (its limit drops to what is still in use); the buyer is told why."""
    line = CreditLine.objects.select_for_update().get(pk=draw.credit_line_id)
    draw = CreditDraw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != CreditDraw.Status.OVERDUE:
        raise ConflictError(_("Only an overdue draw can be written off."))
    part = draw.outstanding_minor
    ledger.journal_post(
        kind=TransactionKind.CREDIT_WRITE_OFF,
        reference=f"credit-write-off:{draw.pk}",
        order_pk=draw.order_id,
        memo=texts.MEMO_CREDIT_WRITTEN_OFF(),
        acting_user=acting_user,
        legs=[
            (
                ledger.platform_account(
                    AccountPurpose.GUARANTEE_FUND, line.currency, shard_key=draw.order_id
                ),
                line.money(-part),
            ),
            (_credit_account(line), line.money(part)),
        ],
    )
    credit_draw_settle(draw, part, status=CreditDraw.Status.WRITTEN_OFF)
    line = credit_line_settled(line, part)
    CreditLimitChange.objects.create(
        credit_line=line,
        previous_limit_minor=line.limit_minor,
        limit_minor=line.used_minor,
        reason=(reason.strip() or _("Closed: a repayment was written off."))[:255],
        changed_by=acting_user,
    )
    CreditLine.objects.filter(pk=line.pk).update(limit_minor=line.used_minor)
    notification_send(
        organization=line.organization,
        topic=NotificationTopic.PAYMENTS,
        title=texts.CREDIT_WRITTEN_OFF(amount=line.money(part)),
        body=words(reason.strip()),
    )
    draw.refresh_from_db()
    return draw


@transaction.atomic
def credit_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Daily: flag draws past their due date, block their lines, remind the buyers (once a
    day). Safe to run twice."""
    today = today or timezone.localdate()
    newly = CreditDraw.objects.filter(status=CreditDraw.Status.OPEN, due_on__lt=today).update(
        status=CreditDraw.Status.OVERDUE
    )
    lines = CreditLine.objects.filter(
        draws__status=CreditDraw.Status.OVERDUE, overdue=False
    ).distinct()
    CreditLine.objects.filter(pk__in=list(lines.values_list("pk", flat=True))).update(overdue=True)
    reminders = (
        CreditDraw.objects.filter(status=CreditDraw.Status.OVERDUE)
        .exclude(last_reminded_on=today)
        .values("organization_id")
        .annotate(total=Sum(F("amount_minor") - F("repaid_minor")))
    )
    for row in reminders:
        organization = Organization.objects.get(pk=row["organization_id"])
        line = CreditLine.objects.get(organization=organization)
        notification_send(
            organization=organization,
            topic=NotificationTopic.PAYMENTS,
            title=texts.CREDIT_OVERDUE(),
            body=texts.CREDIT_OVERDUE_BODY(amount=line.money(row["total"])),
            url="/finance/",
        )
    CreditDraw.objects.filter(status=CreditDraw.Status.OVERDUE).exclude(
        last_reminded_on=today
    ).update(last_reminded_on=today)
    return newly
