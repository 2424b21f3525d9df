"""After completion: repeat orders and reviews."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from marketplace.texts import words
from orders import notify, texts
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.models import Order, OrderStatus, Review
from orders.services.dates import future_date_errors
from orders.services.open import order_open
from orders.services.transition import order_party
from orders.signals import review_created, send_on_commit
from orders.transitions import Party


@transaction.atomic
def order_repeat(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    quantity: int,
    ready_by: datetime.date,
) -> Order:
    """Re-order a completed order from the same factory at the same unit price, with a new
    quantity and date, skipping the sample; capacity is held as for any new order."""
    original = Order.objects.select_related("buyer", "factory", "category", "quote").get(
        pk=order.pk
    )
    if order_party(order=original, organization=acting_organization) != Party.BUYER:
        raise WrongPartyError(_("Only the buyer can repeat an order."))
    if original.status != OrderStatus.COMPLETED:
        raise OrderConflictError(_("Only a completed order can be repeated."))
    errors: dict[str, list[str]] = {}
    if quantity < 1:
        errors["quantity"] = [_("Order at least one unit.")]
    if date_errors := future_date_errors(ready_by):
        errors["ready_by"] = date_errors
    if errors:
        raise ValidationError(errors)
    unit_price = original.quote.unit_price_for(quantity) if original.quote else original.unit_price
    repeat = order_open(
        buyer=original.buyer,
        factory=original.factory,
        acting_user=acting_user,
        category=original.category,
        title=original.title,
        spec=original.spec,
        quantity=quantity,
        unit_price=unit_price,
        sample_fee=original.sample_fee,
        lead_time_days=original.lead_time_days,
        ready_by=ready_by,
        with_sample=False,
        repeat_of=original,
        design_pk=original.design_id,
        aql=original.aql,
        inspection_checklist=original.inspection_checklist or None,
        note=texts.NOTE_REPEAT_OF(number=original.number),
    )
    notify.order_event(
        order=repeat,
        organization=repeat.factory,
        title=texts.REPEAT_ORDER(number=repeat.number, buyer=repeat.buyer.name),
        body=texts.REPEAT_ORDER_BODY(
            quantity=quantity, date=repeat.ready_by, original=original.number
        ),
    )
    return repeat


def _score(name: str, value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({name: [_("Rate from 1 to 5.")]})
    return value


@transaction.atomic
def review_create(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    quality: int,
    delivery: int,
    communication: int,
    comment: str = "",
) -> Review:
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order_party(order=order, organization=acting_organization) != Party.BUYER:
        raise WrongPartyError(_("Only the buyer reviews the factory."))
    if order.status != OrderStatus.COMPLETED:
        raise OrderConflictError(_("Reviews open when the order is completed."))
    if Review.objects.filter(order=order).exists():
        raise OrderConflictError(_("This order was already reviewed."))
    review = Review.objects.create(
        order=order,
        buyer=order.buyer,
        factory=order.factory,
        author=acting_user,
        quality=_score("quality", quality),
        delivery=_score("delivery", delivery),
        communication=_score("communication", communication),
        comment=comment.strip(),
    )
    notify.order_event(
        order=order,
        organization=order.factory,
        title=texts.REVIEW_RECEIVED(number=order.number, score=review.average),
        body=words(review.comment),
    )
    send_on_commit(
        review_created,
        sender=Review,
        review_pk=review.pk,
        order_pk=order.pk,
        factory_pk=order.factory_id,
    )
    return review


@transaction.atomic
def review_reply(
    *, review: Review, acting_organization: Organization, acting_user: User, reply: str
) -> Review:
    review = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
    if review.factory_id != acting_organization.pk:
        if review.buyer_id == acting_organization.pk:
            raise WrongPartyError(_("Only the factory answers a review."))
        raise Http404(_("Not found."))
    if review.replied_at is not None:
        raise OrderConflictError(_("The factory has already answered this review."))
    if not reply.strip():
        raise ValidationError({"reply": [_("Write an answer.")]})
    review.reply = reply.strip()
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at"])
    return review
