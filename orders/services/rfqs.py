"""RFQs: creation with attachments, matching to factories, re-invitation, the message thread."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from marketplace.money import Money
from orders import capacity, notify
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.files import validate_upload
from orders.models import RFQ, Quote, RFQAttachment, RFQInvitation, RFQMessage
from orders.services.dates import future_date_errors
from orders.signals import rfq_created, send_on_commit


def _validate_rfq_fields(*, quantity: int, ready_by: datetime.date, title: str) -> None:
    errors: dict[str, list[str]] = {}
    if quantity < 1:
        errors["quantity"] = [_("Ask for at least one unit.")]
    if date_errors := future_date_errors(ready_by):
        errors["ready_by"] = date_errors
    if not title.strip():
        errors["title"] = [_("This field may not be blank.")]
    if errors:
        raise ValidationError(errors)


def _validate_design(*, design, buyer: Organization, category) -> None:
    if design.organization_id != buyer.pk:
        raise ValidationError({"design": [_("Choose one of your own saved designs.")]})
    if design.product.product.category_id != category.pk:
        raise ValidationError(
            {
                "category": [
                    _("The design is a %(category)s: send the RFQ in that category.")
                    % {"category": design.product.product.category.name}
                ]
            }
        )


def rfq_creator_check(*, organization: Organization) -> None:
    """Only buyers send RFQs (the page asks before showing the form)."""
    if organization.kind != Organization.Kind.BUYER:
        raise WrongPartyError(_("Only buyers can send RFQs."))


@transaction.atomic
def rfq_create(
    *,
    buyer: Organization,
    acting_user: User,
    category,
    title: str,
    quantity: int,
    ready_by: datetime.date,
    spec: str = "",
    attachments: Sequence[UploadedFile] = (),
    design=None,
    factory: Organization | None = None,
) -> RFQ:
    """A buyer's RFQ; matching to factories runs in a Celery task after commit. `design`
    (a `customization.Design`, resolved by the caller) must be the buyer's own and of the
    RFQ's category. With `factory` it is a directed RFQ: that factory (audited, making the
    category) is invited at once and no other, ever; nothing is reserved until a quote is
    accepted, as for any RFQ."""
    rfq_creator_check(organization=buyer)
    _validate_rfq_fields(quantity=quantity, ready_by=ready_by, title=title)
    if factory is not None and not capacity.makes_category(factory=factory, category=category):
        raise ValidationError(
            {
                "category": [
                    _("%(factory)s does not make %(category)s: choose one of its categories.")
                    % {"factory": factory.name, "category": category.name}
                ]
            }
        )
    if design is not None:
        _validate_design(design=design, buyer=buyer, category=category)
    if len(attachments) > settings.ORDERS_ATTACHMENTS_PER_RFQ:
        raise ValidationError(
            {
                "attachments": [
                    _("Attach at most %(count)d files.")
                    % {"count": settings.ORDERS_ATTACHMENTS_PER_RFQ}
                ]
            }
        )
    content_types = [validate_upload(upload, field="attachments") for upload in attachments]
    rfq = RFQ.objects.create(
        buyer=buyer,
        created_by=acting_user,
        category=category,
        title=title.strip(),
        quantity=quantity,
        ready_by=ready_by,
        spec=spec,
        design=design,
        directed_to=factory,
    )
    for upload, content_type in zip(attachments, content_types, strict=True):
        RFQAttachment.objects.create(
            rfq=rfq,
            file=upload,
            original_name=(upload.name or "file")[:255],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=acting_user,
        )
    if factory is not None:
        direct = capacity.FactoryMatch(
            factory=factory, score=0.0, available_units=0, earliest_completion=None
        )
        rfq_invite_factories(rfq=rfq, matches=[direct], source=RFQInvitation.Source.DIRECT)
    send_on_commit(rfq_created, sender=RFQ, rfq_pk=rfq.pk)
    return rfq


def rfq_invite_factories(
    *,
    rfq: RFQ,
    matches: Iterable[capacity.FactoryMatch],
    source: str = RFQInvitation.Source.MATCHER,
) -> list[RFQInvitation]:
    """Invite these factories (skipping any already invited) and notify each one.

    Also the entry point for the batch matcher. Call it inside a transaction holding the
    RFQ's row lock (`rfq_match` does) so that rounds are counted once.
    """
    already = set(rfq.invitations.values_list("factory_id", flat=True))
    round_number = rfq.invite_rounds + 1
    created = []
    for rank, match in enumerate(matches, start=1):
        if match.factory.pk in already or match.factory.pk == rfq.buyer_id:
            continue
        already.add(match.factory.pk)
        invitation = RFQInvitation.objects.create(
            rfq=rfq,
            factory=match.factory,
            round=round_number,
            rank=rank,
            score=match.score,
            available_units=match.available_units,
            earliest_completion=match.earliest_completion,
            source=source,
        )
        notify.rfq_invited(rfq=rfq, factory=match.factory)
        created.append(invitation)
    if created:
        now = timezone.now()
        rfq.invite_rounds = round_number
        rfq.last_invited_at = now
        rfq.matched_at = rfq.matched_at or now
        rfq.save(update_fields=["invite_rounds", "last_invited_at", "matched_at", "updated_at"])
    return created


def _candidates(rfq: RFQ, *, limit: int) -> list[capacity.FactoryMatch]:
    invited = set(rfq.invitations.values_list("factory_id", flat=True))
    found = capacity.search(
        category=rfq.category,
        quantity=rfq.quantity,
        ready_by=rfq.ready_by,
        limit=limit + len(invited),
    )
    fresh = [match for match in found if match.factory.pk not in invited]
    return fresh[:limit]


@transaction.atomic
def rfq_match(*, rfq_pk: int, source: str = RFQInvitation.Source.MATCHER) -> int:
    """First-round matching. Safe to run twice: a matched RFQ is not matched again."""
    rfq = RFQ.objects.select_for_update(of=("self",)).select_related("category").get(pk=rfq_pk)
    if rfq.status != RFQ.Status.OPEN or rfq.matched_at is not None or rfq.directed_to_id:
        return 0
    matches = _candidates(rfq, limit=settings.ORDERS_INVITE_TOP_N)
    invited = rfq_invite_factories(rfq=rfq, matches=matches, source=source)
    if not invited:
        # Nobody fits yet; record the attempt so the re-invite beat tries again later.
        rfq.matched_at = timezone.now()
        rfq.last_invited_at = rfq.matched_at
        rfq.save(update_fields=["matched_at", "last_invited_at", "updated_at"])
    return len(invited)


def rfqs_never_matched(*, now: datetime.datetime | None = None):
    """Open RFQs whose matching task never ran (sent while the broker was down, or lost):
    older than a minute, so that one whose task is on its way is left to it."""
    now = now or timezone.now()
    return RFQ.objects.open().filter(
        directed_to__isnull=True,
        matched_at__isnull=True,
        created_at__lt=now - datetime.timedelta(minutes=1),
    )


def rfqs_needing_reinvite(*, now: datetime.datetime | None = None):
    now = now or timezone.now()
    quoted = Quote.objects.filter(rfq=OuterRef("pk"))
    return (
        RFQ.objects.open()
        .filter(
            directed_to__isnull=True,
            matched_at__isnull=False,
            last_invited_at__lt=now - settings.ORDERS_QUOTE_TIMEOUT,
            invite_rounds__lt=settings.ORDERS_MAX_INVITE_ROUNDS,
            ready_by__gt=now.date(),
        )
        .exclude(Exists(quoted))
    )


@transaction.atomic
def rfq_reinvite(*, rfq_pk: int) -> int:
    """Invite the next factories when nobody quoted in time. Safe to run twice: the
    conditions are re-checked under the row lock, and the timestamp moves forward."""
    rfq = RFQ.objects.select_for_update(of=("self",)).select_related("category").get(pk=rfq_pk)
    if not rfqs_needing_reinvite().filter(pk=rfq.pk).exists():
        return 0
    matches = _candidates(rfq, limit=settings.ORDERS_INVITE_TOP_N)
    invited = rfq_invite_factories(rfq=rfq, matches=matches, source=RFQInvitation.Source.REINVITE)
    if not invited:
        rfq.last_invited_at = timezone.now()
        rfq.invite_rounds += 1
        rfq.save(update_fields=["last_invited_at", "invite_rounds", "updated_at"])
    return len(invited)


@transaction.atomic
def rfqs_expire(*, today: datetime.date | None = None) -> int:
    """Open RFQs whose ready-by date has passed can no longer be met."""
    today = today or timezone.localdate()
    stale = RFQ.objects.open().filter(ready_by__lt=today)
    Quote.objects.filter(rfq__in=stale, status=Quote.Status.ACTIVE).update(
        status=Quote.Status.DECLINED
    )
    return stale.update(status=RFQ.Status.EXPIRED, updated_at=timezone.now())


@transaction.atomic
def rfq_cancel(*, rfq: RFQ, acting_organization: Organization, acting_user: User) -> RFQ:
    rfq = RFQ.objects.select_for_update(of=("self",)).get(pk=rfq.pk)
    if rfq.buyer_id != acting_organization.pk:
        raise WrongPartyError(_("Only the buyer can withdraw its RFQ."))
    if rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("Only an open RFQ can be withdrawn."))
    rfq.status = RFQ.Status.CANCELLED
    rfq.save(update_fields=["status", "updated_at"])
    for quote in rfq.quotes.filter(status=Quote.Status.ACTIVE).select_related("factory", "rfq"):
        quote.status = Quote.Status.DECLINED
        quote.save(update_fields=["status", "updated_at"])
        notify.quote_outcome(quote=quote, accepted=False)
    return rfq


def rfq_factory_for_thread(
    *, rfq: RFQ, acting_organization: Organization, factory: Organization | None
) -> Organization:
    """Which factory's thread a message belongs to: a factory writes in its own; the buyer
    names the factory."""
    if acting_organization.pk == rfq.buyer_id:
        if factory is None or not rfq.invitations.filter(factory=factory).exists():
            raise ValidationError({"factory": [_("Choose a factory invited to this RFQ.")]})
        return factory
    if rfq.invitations.filter(factory=acting_organization).exists():
        return acting_organization
    raise WrongPartyError(_("You are not part of this RFQ."))


@transaction.atomic
def rfq_message_post(
    *,
    rfq: RFQ,
    acting_organization: Organization,
    acting_user: User,
    body: str,
    factory: Organization | None = None,
    proposed_unit_price: Money | None = None,
    proposed_ready_by: datetime.date | None = None,
) -> RFQMessage:
    """A message, or a counter-offer on price and/or date, in a buyer <-> factory thread.
    A counter-offer ends when the factory revises its quote (`quote_revise`)."""
    thread_factory = rfq_factory_for_thread(
        rfq=rfq, acting_organization=acting_organization, factory=factory
    )
    if rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("This RFQ is closed."))
    if not body.strip():
        raise ValidationError({"body": [_("Write a message.")]})
    if proposed_unit_price is not None:
        if proposed_unit_price.currency != rfq.currency:
            raise ValidationError({"proposed_unit_price": [_("Use the RFQ's currency.")]})
        if proposed_unit_price.amount_minor <= 0:
            raise ValidationError({"proposed_unit_price": [_("The price must be positive.")]})
    if proposed_ready_by is not None and (date_errors := future_date_errors(proposed_ready_by)):
        raise ValidationError({"proposed_ready_by": date_errors})
    message = RFQMessage.objects.create(
        rfq=rfq,
        factory=thread_factory,
        author_organization=acting_organization,
        author=acting_user,
        body=body.strip(),
        proposed_unit_price_minor=proposed_unit_price.amount_minor if proposed_unit_price else None,
        proposed_ready_by=proposed_ready_by,
    )
    recipient = rfq.buyer if acting_organization.pk != rfq.buyer_id else thread_factory
    notify.message_posted(message=message, recipient=recipient)
    return message
