"""Quotes: a matched factory quotes (with quantity tiers), revises until acceptance, and the
buyer accepts one, which creates the order and declines the rest."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from marketplace.money import Money
from orders import notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.inspection import DEFAULT_AQL, checklist_for_category
from orders.models import RFQ, Order, Quote, QuoteTier, RFQInvitation, RFQMessage
from orders.services.dates import future_date_errors
from orders.services.open import order_open
from orders.services.quality import quality_terms_errors


def _validate_quote(
    *,
    rfq: RFQ,
    unit_price: Money,
    sample_fee: Money,
    lead_time_days: int,
    valid_until: datetime.date,
    tiers: Sequence[tuple[int, Money]],
    aql: str,
    inspection_checklist: Any,
) -> None:
    errors: dict[str, list[str]] = quality_terms_errors(aql=aql, checklist=inspection_checklist)
    if unit_price.currency != rfq.currency:
        errors["unit_price"] = [_("Quote in the RFQ's currency (%(c)s).") % {"c": rfq.currency}]
    elif unit_price.amount_minor <= 0:
        errors["unit_price"] = [_("The unit price must be positive.")]
    if sample_fee.currency != rfq.currency:
        errors["sample_fee"] = [_("Quote in the RFQ's currency (%(c)s).") % {"c": rfq.currency}]
    elif sample_fee.amount_minor < 0:
        errors["sample_fee"] = [_("The sample fee cannot be negative.")]
    if not 1 <= lead_time_days <= 365:
        errors["lead_time_days"] = [_("Lead time must be between 1 and 365 days.")]
    if date_errors := future_date_errors(valid_until, allow_today=True):
        errors["valid_until"] = date_errors
    seen: set[int] = set()
    for min_quantity, price in tiers:
        if min_quantity < 1 or min_quantity in seen:
            errors["tiers"] = [_("Each tier needs a distinct minimum quantity of at least 1.")]
        elif price.currency != rfq.currency or price.amount_minor <= 0:
            errors["tiers"] = [_("Each tier needs a positive price in the RFQ's currency.")]
        seen.add(min_quantity)
    if errors:
        raise ValidationError(errors)


def _invitation_for(*, rfq: RFQ, factory: Organization) -> RFQInvitation:
    invitation = rfq.invitations.filter(factory=factory).first()
    if invitation is None:
        raise WrongPartyError(_("Only factories matched to this RFQ can quote."))
    return invitation


def _write_tiers(quote: Quote, tiers: Sequence[tuple[int, Money]]) -> None:
    quote.tiers.all().delete()
    QuoteTier.objects.bulk_create(
        QuoteTier(quote=quote, min_quantity=min_quantity, unit_price_minor=price.amount_minor)
        for min_quantity, price in sorted(tiers, key=lambda tier: tier[0])
    )


@transaction.atomic
def quote_submit(
    *,
    rfq: RFQ,
    factory: Organization,
    acting_user: User,
    unit_price: Money,
    lead_time_days: int,
    valid_until: datetime.date,
    sample_fee: Money | None = None,
    note: str = "",
    tiers: Sequence[tuple[int, Money]] = (),
    aql: str = DEFAULT_AQL,
    inspection_checklist: list[str] | None = None,
) -> Quote:
    """The factory's quote, with the quality terms it offers: the AQL of the final
    inspection and its checklist (the category's when none is given)."""
    rfq = RFQ.objects.select_for_update(of=("self",)).select_related("category").get(pk=rfq.pk)
    invitation = _invitation_for(rfq=rfq, factory=factory)
    if rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("This RFQ no longer takes quotes."))
    if Quote.objects.filter(rfq=rfq, factory=factory).exists():
        raise OrderConflictError(_("You already quoted on this RFQ: revise your quote instead."))
    sample_fee = sample_fee if sample_fee is not None else Money.zero(rfq.currency)
    if inspection_checklist is None:
        inspection_checklist = checklist_for_category(rfq.category)
    _validate_quote(
        rfq=rfq,
        unit_price=unit_price,
        sample_fee=sample_fee,
        lead_time_days=lead_time_days,
        valid_until=valid_until,
        tiers=tiers,
        aql=aql,
        inspection_checklist=inspection_checklist,
    )
    quote = Quote.objects.create(
        rfq=rfq,
        factory=factory,
        created_by=acting_user,
        currency=rfq.currency,
        unit_price_minor=unit_price.amount_minor,
        sample_fee_minor=sample_fee.amount_minor,
        lead_time_days=lead_time_days,
        valid_until=valid_until,
        note=note,
        aql=aql,
        inspection_checklist=[item.strip() for item in inspection_checklist],
    )
    _write_tiers(quote, tiers)
    invitation.status = RFQInvitation.Status.QUOTED
    invitation.responded_at = quote.created_at
    invitation.decline_reason = ""  # a factory that declined may change its mind
    invitation.save(update_fields=["status", "responded_at", "decline_reason"])
    notify.quote_received(quote=quote, revised=False)
    return quote


@transaction.atomic
def quote_revise(
    *,
    quote: Quote,
    acting_organization: Organization,
    acting_user: User,
    unit_price: Money | None = None,
    lead_time_days: int | None = None,
    valid_until: datetime.date | None = None,
    sample_fee: Money | None = None,
    note: str | None = None,
    tiers: Sequence[tuple[int, Money]] | None = None,
    aql: str | None = None,
    inspection_checklist: list[str] | None = None,
) -> Quote:
    """The factory changes its quote before acceptance (typically ending a counter-offer
    exchange); the change is written into the RFQ thread."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("rfq").get(pk=quote.pk)
    if quote.factory_id != acting_organization.pk:
        raise WrongPartyError(_("Only the factory that quoted can revise the quote."))
    if quote.status != Quote.Status.ACTIVE or quote.rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("This quote can no longer be revised."))
    new_price = unit_price if unit_price is not None else quote.unit_price
    new_fee = sample_fee if sample_fee is not None else quote.sample_fee
    new_tiers = (
        tiers
        if tiers is not None
        else [
            (tier.min_quantity, Money(tier.unit_price_minor, quote.currency))
            for tier in quote.tiers.all()
        ]
    )
    new_lead = lead_time_days if lead_time_days is not None else quote.lead_time_days
    new_valid = valid_until if valid_until is not None else quote.valid_until
    new_aql = aql if aql is not None else quote.aql
    new_checklist = (
        inspection_checklist if inspection_checklist is not None else quote.inspection_checklist
    )
    _validate_quote(
        rfq=quote.rfq,
        unit_price=new_price,
        sample_fee=new_fee,
        lead_time_days=new_lead,
        valid_until=new_valid,
        tiers=new_tiers,
        aql=new_aql,
        inspection_checklist=new_checklist,
    )
    previous = (quote.unit_price, quote.lead_time_days)
    quote.unit_price_minor = new_price.amount_minor
    quote.sample_fee_minor = new_fee.amount_minor
    quote.lead_time_days = new_lead
    quote.valid_until = new_valid
    quote.aql = new_aql
    quote.inspection_checklist = [item.strip() for item in new_checklist]
    if note is not None:
        quote.note = note
    quote.revision += 1
    quote.save()
    _write_tiers(quote, new_tiers)
    revised = texts.QUOTE_REVISED_MESSAGE(
        rev=quote.revision,
        old_price=previous[0],
        price=quote.unit_price,
        old_days=previous[1],
        days=quote.lead_time_days,
    )
    RFQMessage.objects.create(
        rfq=quote.rfq,
        factory=quote.factory,
        author_organization=acting_organization,
        author=acting_user,
        body_key=revised.key,
        body_params=dict(revised.params),
        proposed_unit_price_minor=quote.unit_price_minor,
    )
    notify.quote_received(quote=quote, revised=True)
    return quote


@transaction.atomic
def quote_save(
    *,
    rfq: RFQ,
    factory: Organization,
    acting_user: User,
    unit_price: Money,
    lead_time_days: int,
    valid_until: datetime.date,
    sample_fee: Money | None = None,
    note: str = "",
    tiers: Sequence[tuple[int, Money]] = (),
    aql: str = DEFAULT_AQL,
    inspection_checklist: list[str] | None = None,
) -> tuple[Quote, bool]:
    """The factory's one quote on the RFQ: submitted the first time, revised afterwards
    (a full revision: every field as given). Returns the quote and whether it is new."""
    RFQ.objects.select_for_update(of=("self",)).get(pk=rfq.pk)  # one decision at a time
    existing = Quote.objects.filter(rfq=rfq, factory=factory).first()
    if existing is None:
        quote = quote_submit(
            rfq=rfq,
            factory=factory,
            acting_user=acting_user,
            unit_price=unit_price,
            lead_time_days=lead_time_days,
            valid_until=valid_until,
            sample_fee=sample_fee,
            note=note,
            tiers=tiers,
            aql=aql,
            inspection_checklist=inspection_checklist,
        )
        return quote, True
    quote = quote_revise(
        quote=existing,
        acting_organization=factory,
        acting_user=acting_user,
        unit_price=unit_price,
        lead_time_days=lead_time_days,
        valid_until=valid_until,
        sample_fee=sample_fee,
        note=note,
        tiers=tiers,
        aql=aql,
        inspection_checklist=inspection_checklist,
    )
    return quote, False


@transaction.atomic
def quote_withdraw(*, quote: Quote, acting_organization: Organization) -> Quote:
    quote = Quote.objects.select_for_update(of=("self",)).get(pk=quote.pk)
    if quote.factory_id != acting_organization.pk:
        raise WrongPartyError(_("Only the factory that quoted can withdraw the quote."))
    if quote.status != Quote.Status.ACTIVE:
        raise OrderConflictError(_("This quote can no longer be withdrawn."))
    quote.status = Quote.Status.WITHDRAWN
    quote.save(update_fields=["status", "updated_at"])
    return quote


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    acting_organization: Organization,
    acting_user: User,
    with_sample: bool = True,
) -> Order:
    """The buyer accepts: the order is created with a capacity hold on the factory's
    calendar for the production window, and every other quote on the RFQ is declined.
    Raises OrderConflictError (nothing changed) when the capacity is no longer free."""
    # Lock the RFQ first (a fixed order: RFQ, then quote) so that two accepts serialize.
    rfq = (
        RFQ.objects.select_for_update(of=("self",)).select_related("category").get(pk=quote.rfq_id)
    )
    quote = Quote.objects.select_for_update(of=("self",)).select_related("factory").get(pk=quote.pk)
    if rfq.buyer_id != acting_organization.pk:
        raise WrongPartyError(_("Only the buyer who sent the RFQ can accept a quote."))
    if rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("A quote on this RFQ was already accepted, or it is closed."))
    if quote.status != Quote.Status.ACTIVE:
        raise OrderConflictError(_("This quote is no longer active."))
    if quote.valid_until < timezone.localdate():
        raise OrderConflictError(_("This quote expired on %(date)s.") % {"date": quote.valid_until})
    order = order_open(
        buyer=rfq.buyer,
        factory=quote.factory,
        acting_user=acting_user,
        category=rfq.category,
        title=rfq.title,
        spec=rfq.spec,
        quantity=rfq.quantity,
        unit_price=quote.unit_price_for(rfq.quantity),
        sample_fee=quote.sample_fee,
        lead_time_days=quote.lead_time_days,
        ready_by=rfq.ready_by,
        with_sample=with_sample,
        rfq=rfq,
        quote=quote,
        design_pk=rfq.design_id,
        aql=quote.aql,
        inspection_checklist=quote.inspection_checklist,
        note=texts.NOTE_QUOTE_ACCEPTED(pk=quote.pk, rev=quote.revision),
    )
    quote.status = Quote.Status.ACCEPTED
    quote.save(update_fields=["status", "updated_at"])
    rfq.status = RFQ.Status.AWARDED
    rfq.save(update_fields=["status", "updated_at"])
    others = rfq.quotes.exclude(pk=quote.pk).filter(status=Quote.Status.ACTIVE)
    for other in others.select_related("factory", "rfq"):
        other.status = Quote.Status.DECLINED
        other.save(update_fields=["status", "updated_at"])
        notify.quote_outcome(quote=other, accepted=False)
    notify.quote_outcome(quote=quote, accepted=True, order=order)
    return order
