"""Conversations: the order's message thread (with images and PDFs), a factory declining
to quote with a reason, and how far each person has read a conversation."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from orders import notify
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.files import validate_upload
from orders.models import (
    RFQ,
    ConversationRead,
    Order,
    OrderMessage,
    OrderMessageAttachment,
    RFQInvitation,
)

# A message carries pictures and documents: images and PDFs, nothing executable or opaque.
MESSAGE_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".webp")
MESSAGE_ATTACHMENTS_MAX = 5
MESSAGE_BODY_MAX = 5000
DECLINE_REASON_MAX = 1000


@transaction.atomic
def order_message_post(
    *,
    order: Order,
    acting_organization: Organization,
    acting_user: User,
    body: str = "",
    attachments: Sequence[UploadedFile] = (),
) -> OrderMessage:
    """A message from one party of the order to the other, with up to five images or PDFs
    (type, size and an image's header dimensions checked before anything is stored). The
    other party's members who handle messages are told."""
    if acting_organization.pk == order.buyer_id:
        recipient_pk = order.factory_id
    elif acting_organization.pk == order.factory_id:
        recipient_pk = order.buyer_id
    else:
        raise WrongPartyError(_("You are not part of this order."))
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not body and not attachments:
        errors["body"] = [_("Write a message or attach a file.")]
    elif len(body) > MESSAGE_BODY_MAX:
        errors["body"] = [
            _("Keep the message under %(count)d characters.") % {"count": MESSAGE_BODY_MAX}
        ]
    if len(attachments) > MESSAGE_ATTACHMENTS_MAX:
        errors["attachments"] = [
            _("Attach at most %(count)d files.") % {"count": MESSAGE_ATTACHMENTS_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    content_types = [
        validate_upload(upload, field="attachments", extensions=MESSAGE_EXTENSIONS)
        for upload in attachments
    ]
    message = OrderMessage.objects.create(
        order=order, author_organization=acting_organization, author=acting_user, body=body
    )
    for upload, content_type in zip(attachments, content_types, strict=True):
        OrderMessageAttachment.objects.create(
            message=message,
            file=upload,
            original_name=(upload.name or "file")[:255],
            content_type=content_type,
            size=upload.size or 0,
        )
    # The writer has read everything up to their own message.
    conversation_mark_read(user=acting_user, organization=acting_organization, order=order)
    recipient = Organization.objects.get(pk=recipient_pk)
    notify.order_message_posted(message=message, recipient=recipient)
    return message


@transaction.atomic
def rfq_decline(
    *, rfq: RFQ, acting_organization: Organization, acting_user: User, reason: str
) -> RFQInvitation:
    """An invited factory declines to quote, saying why; the buyer sees the reason and is
    told. A factory with a live quote withdraws it instead."""
    invitation = (
        RFQInvitation.objects.select_for_update(of=("self",))
        .select_related("rfq__buyer", "factory")
        .filter(rfq=rfq, factory=acting_organization)
        .first()
    )
    if invitation is None:
        raise WrongPartyError(_("Only a factory invited to this RFQ can decline it."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Tell the buyer why you decline.")]})
    if len(reason) > DECLINE_REASON_MAX:
        raise ValidationError(
            {
                "reason": [
                    _("Keep the reason under %(count)d characters.") % {"count": DECLINE_REASON_MAX}
                ]
            }
        )
    if invitation.rfq.status != RFQ.Status.OPEN:
        raise OrderConflictError(_("This RFQ is closed."))
    if invitation.status != RFQInvitation.Status.INVITED:
        raise OrderConflictError(
            _("You already answered this RFQ (withdraw your quote to step back).")
        )
    invitation.status = RFQInvitation.Status.DECLINED
    invitation.decline_reason = reason
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "decline_reason", "responded_at"])
    notify.rfq_declined(invitation=invitation)
    return invitation


def conversation_mark_read(
    *,
    user: User,
    organization: Organization,
    order: Order | None = None,
    rfq: RFQ | None = None,
) -> None:
    """The person has read the order's (or the RFQ's) messages up to now."""
    if (order is None) == (rfq is None):
        raise ValueError("Name an order or an RFQ.")
    ConversationRead.objects.update_or_create(
        user=user,
        organization=organization,
        order=order,
        rfq=rfq,
        defaults={"read_at": timezone.now()},
    )
