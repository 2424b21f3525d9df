"""Group / pre-sale campaigns: opened on a design, pledged by buyer organizations (paid into
escrow through `customization.payments`), closed at the deadline (or when the cap is full)
into one production order at the target price, or refunded.

The cap holds under any concurrency: a pledge moves `pledged_quantity` with one conditional
UPDATE (the row lock serializes pledges, each re-checks the cap), and a CHECK constraint is
the database's last word. Closing locks the campaign row and is idempotent: a closed
campaign is left alone, and every money movement is keyed by its pledge.
"""

from __future__ import annotations

import datetime
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customization import payments, texts
from customization.models import Campaign, CampaignStatus, Design, Pledge
from marketplace import limits
from marketplace.exceptions import ConflictError, ForbiddenError, InvalidError
from marketplace.models import Organization, User
from marketplace.money import Money
from marketplace.texts import Text, stored
from orders import services as order_services
from orders.matching import services as matching_services
from orders.matching.selectors import OpenDemand
from orders.services.holds import production_start

TITLE_MAX_LENGTH = 200
MAX_QUANTITY = limits.CAMPAIGN_QUANTITY.max
MAX_CAMPAIGN_DAYS = 90
CLOSE_TASK = "customization.tasks.campaign_close_task"
# The capacity the batch matcher holds for a campaign that met its target outlives the
# deadline by this much: the close beat (every 5 minutes) turns it into the order's.
CAPACITY_HOLD_MARGIN = datetime.timedelta(days=1)


def campaign_capacity_reference(pk: int) -> str:
    return f"campaign:{pk}"


def _title(title: str, design: Design) -> str:
    title = title.strip()
    if any(ord(character) < 32 for character in title):
        raise InvalidError({"title": [_("The title must not contain control characters.")]})
    if len(title) > TITLE_MAX_LENGTH:
        message = _("The title is at most %(max)d characters.") % {"max": TITLE_MAX_LENGTH}
        raise InvalidError({"title": [message]})
    return title or design.name


def _validate(
    *,
    target_quantity: int,
    cap_quantity: int | None,
    deadline: datetime.datetime,
    ready_by: datetime.date,
    unit_price: Money,
    target_unit_price: Money,
    now: datetime.datetime,
) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= target_quantity <= MAX_QUANTITY:
        errors["target_quantity"] = [
            _("The target is between 1 and %(max)d units.") % {"max": MAX_QUANTITY}
        ]
    elif cap_quantity is not None and not target_quantity <= cap_quantity <= MAX_QUANTITY:
        errors["cap_quantity"] = [_("The cap is at least the target.")]
    if deadline <= now:
        errors["deadline"] = [_("The deadline must be in the future.")]
    elif deadline > now + datetime.timedelta(days=MAX_CAMPAIGN_DAYS):
        errors["deadline"] = [
            _("A campaign runs at most %(days)d days.") % {"days": MAX_CAMPAIGN_DAYS}
        ]
    elif ready_by <= timezone.localdate(deadline):
        errors["ready_by"] = [_("Production is ready after the deadline, not before.")]
    if target_unit_price.currency != unit_price.currency:
        errors["target_unit_price"] = [
            _("Use the design's currency (%(c)s).") % {"c": unit_price.currency}
        ]
    elif not 0 < target_unit_price.amount_minor <= unit_price.amount_minor:
        errors["target_unit_price"] = [
            _("The price at the target is positive and at most %(price)s.") % {"price": unit_price}
        ]
    if errors:
        raise InvalidError(errors)


@transaction.atomic
def campaign_open(
    *,
    organization: Organization,
    acting_user: User,
    design: Design,
    factory: Organization | None,
    title: str,
    target_quantity: int,
    cap_quantity: int | None,
    deadline: datetime.datetime,
    ready_by: datetime.date,
    target_unit_price: Money,
    now: datetime.datetime | None = None,
) -> Campaign:
    """A buyer (naming the factory) or a factory (itself) opens a campaign on its own
    design; pledges pay the design's unit price, which drops to `target_unit_price` for
    everyone once the target is met."""
    now = now or timezone.now()
    if organization.kind == Organization.Kind.FACTORY:
        factory = organization
    elif organization.kind != Organization.Kind.BUYER:
        raise ForbiddenError(_("Only buyers and factories open campaigns."))
    if design.organization_id != organization.pk:
        raise InvalidError({"design": [_("Choose one of your own saved designs.")]})
    if factory is None or factory.kind != Organization.Kind.FACTORY:
        raise InvalidError({"factory": [_("Choose the factory that will make it.")]})
    _validate(
        target_quantity=target_quantity,
        cap_quantity=cap_quantity,
        deadline=deadline,
        ready_by=ready_by,
        unit_price=design.unit_price,
        target_unit_price=target_unit_price,
        now=now,
    )
    return Campaign.objects.create(
        organization=organization,
        created_by=acting_user,
        design=design,
        factory=factory,
        title=_title(title, design),
        target_quantity=target_quantity,
        cap_quantity=cap_quantity,
        deadline=deadline,
        ready_by=ready_by,
        currency=design.currency,
        unit_price_minor=design.unit_price_minor,
        target_unit_price_minor=target_unit_price.amount_minor,
        created_at=now,
    )


@transaction.atomic
def pledge_create(
    *,
    campaign: Campaign,
    organization: Organization,
    acting_user: User,
    quantity: int,
    now: datetime.datetime | None = None,
) -> Pledge:
    """A buyer organization pledges `quantity` and pays it into escrow. After the deadline
    or above the cap it is a 400 naming the field; without credit to cover it a 409; in
    every refusal nothing is saved."""
    now = now or timezone.now()
    if organization.kind != Organization.Kind.BUYER:
        raise ForbiddenError(_("Only buyers pledge to campaigns."))
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidError({"quantity": [_("Pledge at least one unit.")]})
    open_ = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN, deadline__gt=now)
    within_cap = Q(cap_quantity__isnull=True) | Q(
        cap_quantity__gte=F("pledged_quantity") + quantity
    )
    if open_.filter(within_cap).update(pledged_quantity=F("pledged_quantity") + quantity) != 1:
        current = Campaign.objects.get(pk=campaign.pk)
        if current.status != CampaignStatus.OPEN or current.deadline <= now:
            raise InvalidError({"deadline": [_("This campaign closed to pledges.")]})
        raise InvalidError(
            {
                "quantity": [
                    _("Only %(left)d units are left under the campaign's cap.")
                    % {"left": current.remaining_quantity}
                ]
            }
        )
    current = Campaign.objects.get(pk=campaign.pk)
    pledge = Pledge.objects.create(
        organization=organization,
        campaign=current,
        created_by=acting_user,
        quantity=quantity,
        currency=current.currency,
        amount_minor=current.unit_price_minor * quantity,
        created_at=now,
    )
    payments.pledge_collect(pledge=pledge, acting_user=acting_user)
    if current.remaining_quantity == 0:
        # Full: no need to wait for the deadline. Sent by name: services never import tasks.
        transaction.on_commit(partial(current_app.send_task, CLOSE_TASK, args=[current.pk]))
    return pledge


def campaign_exists(*, pk: int) -> bool:
    return Campaign.objects.filter(pk=pk).exists()


def campaigns_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Open campaigns whose deadline has passed."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=CampaignStatus.OPEN, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )


def campaigns_committed_demand(*, today: datetime.date, now: datetime.datetime) -> list[OpenDemand]:
    """The batch matcher's view of campaigns (`orders.signals.matching_demand_collect`):
    every open campaign that met its target before its deadline is committed demand for
    its factory, from the day after the deadline (when it becomes an order) to its
    ready-by day. The matcher plans it with the open RFQs and holds the factory's capacity
    for it, so that the order it becomes at the deadline finds its days free (one query)."""
    rows = (
        Campaign.objects.filter(
            status=CampaignStatus.OPEN,
            deadline__gt=now,
            pledged_quantity__gte=F("target_quantity"),
        )
        .order_by("deadline", "pk")
        .values_list(
            "pk",
            "factory_id",
            "design__product__product__category_id",
            "pledged_quantity",
            "deadline",
            "ready_by",
        )
    )
    return [
        OpenDemand(
            rfq_pk=None,
            category_pk=category_pk,
            quantity=quantity,
            ready_by=ready_by,
            start=production_start(with_sample=False, today=timezone.localdate(deadline)),
            factory_pk=factory_pk,
            reference=campaign_capacity_reference(pk),
            hold_expires_at=deadline + CAPACITY_HOLD_MARGIN,
        )
        for pk, factory_pk, category_pk, quantity, deadline, ready_by in rows
    ]


def _order_buyer(campaign: Campaign, pledges: list[Pledge]) -> Organization:
    """The organizer when it is a buyer, else the largest (then earliest) pledger."""
    if campaign.organization.kind == Organization.Kind.BUYER:
        return campaign.organization
    return max(pledges, key=lambda pledge: (pledge.quantity, -pledge.pk)).organization


def _refund_all(campaign: Campaign, pledges: list[Pledge], reason: Text) -> None:
    for pledge in pledges:
        payments.pledge_refund(pledge=pledge, amount=pledge.amount, reason=reason)
    Pledge.objects.filter(pk__in=[pledge.pk for pledge in pledges]).update(
        status=Pledge.Status.REFUNDED, refunded_minor=F("amount_minor")
    )
    campaign.status = CampaignStatus.FAILED
    campaign.outcome_key, campaign.outcome, campaign.outcome_params = stored(reason)


def _complete(campaign: Campaign, pledges: list[Pledge], now: datetime.datetime) -> None:
    design = campaign.design
    category = design.product.product.category
    lead_days = max(1, min(365, (campaign.ready_by - timezone.localdate(now)).days))
    order = order_services.order_open(
        buyer=_order_buyer(campaign, pledges),
        factory=campaign.factory,
        acting_user=campaign.created_by,
        category=category,
        title=campaign.title,
        spec=_("Group campaign %(pk)d: %(count)d pledges.")
        % {"pk": campaign.pk, "count": len(pledges)},
        quantity=campaign.pledged_quantity,
        unit_price=campaign.target_unit_price,
        sample_fee=Money.zero(campaign.currency),
        lead_time_days=lead_days,
        ready_by=campaign.ready_by,
        with_sample=False,
        design_pk=design.pk,
        note=texts.NOTE_TARGET_MET(pk=campaign.pk),
    )
    payments.pledges_into_order(campaign=campaign, order=order, pledges=pledges)
    for pledge in pledges:
        drop = pledge.amount - campaign.target_unit_price * pledge.quantity
        Pledge.objects.filter(pk=pledge.pk).update(
            status=Pledge.Status.CONVERTED, refunded_minor=drop.amount_minor
        )
    campaign.status = CampaignStatus.COMPLETED
    campaign.order = order
    campaign.outcome_key, campaign.outcome, campaign.outcome_params = stored(
        texts.OUTCOME_ORDERED(number=order.number, price=campaign.target_unit_price)
    )


@transaction.atomic
def campaign_close(*, campaign_pk: int, now: datetime.datetime | None = None) -> Campaign:
    """At the deadline (or once full): the target met becomes one production order with
    the factory's capacity held for it, paid from the pledges; otherwise (or when the
    factory can no longer make it) every pledge is refunded. Safe to run twice."""
    now = now or timezone.now()
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("organization", "factory", "created_by", "design__product__product")
        .get(pk=campaign_pk)
    )
    full = campaign.remaining_quantity == 0
    if campaign.status != CampaignStatus.OPEN or not (full or campaign.deadline <= now):
        return campaign
    pledges = list(
        campaign.pledges.filter(status=Pledge.Status.HELD).select_related("organization")
    )
    reference = campaign_capacity_reference(campaign.pk)
    if campaign.pledged_quantity >= campaign.target_quantity:
        try:
            with transaction.atomic():
                # The days the matcher held for the campaign become the order's hold.
                matching_services.demand_hold_release(reference=reference)
                _complete(campaign, pledges, now)
        except ConflictError as error:
            matching_services.demand_hold_release(reference=reference)
            _refund_all(
                campaign,
                pledges,
                texts.OUTCOME_ORDER_FAILED(reason=str(error)),
            )
    else:
        _refund_all(
            campaign,
            pledges,
            texts.OUTCOME_SHORT(pledged=campaign.pledged_quantity, target=campaign.target_quantity),
        )
    campaign.closed_at = now
    campaign.save(
        update_fields=["status", "order", "outcome", "outcome_key", "outcome_params", "closed_at"]
    )
    return campaign
