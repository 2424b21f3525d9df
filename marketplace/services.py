"""Writes for tenancy: sign-up, organizations, members and invitations, API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import texts
from marketplace.celery import app as celery_app
from marketplace.exceptions import ConflictError, ForbiddenError, InvalidError
from marketplace.models import (
    ApiToken,
    IdempotencyRecord,
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    NotificationTopic,
    Organization,
    User,
    roles_for_topic,
)
from marketplace.queue import enqueue_on_commit
from marketplace.signals import organization_created
from marketplace.texts import Text

ORGANIZATION_SUSPENDED = texts.define(
    "marketplace.organization_suspended.title", gettext_lazy("Your organization is suspended")
)
ORGANIZATION_RESTORED = texts.define(
    "marketplace.organization_restored.title", gettext_lazy("Your organization is active again")
)
ORGANIZATION_VERIFIED = texts.define(
    "marketplace.organization_verified.title", gettext_lazy("Your organization is verified")
)
ORGANIZATION_UNVERIFIED = texts.define(
    "marketplace.organization_unverified.title",
    gettext_lazy("Your organization is no longer verified"),
)

MEMBER_ROLE_CHANGED = texts.define(
    "marketplace.member_role_changed.title",
    gettext_lazy("%(person)s is now %(role)s (changed by %(actor)s)"),
)
MEMBER_REMOVED = texts.define(
    "marketplace.member_removed.title",
    gettext_lazy("%(person)s no longer belongs to the organization (removed by %(actor)s)"),
)
MEMBER_LEFT = texts.define(
    "marketplace.member_left.title", gettext_lazy("%(person)s left the organization")
)
texts.define_choices("marketplace.role", Membership.Role)

# Services enqueue tasks by name: tasks import services, never the other way round.
NOTIFICATION_EMAILS_TASK = "marketplace.tasks.notification_emails_send_task"
NOTIFICATION_EMAILS_SWEEP_TASK = "marketplace.tasks.notification_emails_sweep_task"
# The sweep leaves younger ones to the task sent on commit, and gives up on older ones.
NOTIFICATION_EMAIL_SWEEP_AFTER = timedelta(minutes=2)
NOTIFICATION_EMAIL_GIVE_UP_AFTER = timedelta(days=2)


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:60] or "org"
    slug, counter = base, 1
    while Organization.objects.filter(slug=slug).exists():
        counter += 1
        slug = f"{base}-{counter}"
    return slug


@transaction.atomic
def organization_create(
    *, name: str, kind: str, owner: User, slug: str | None = None, verified: bool = False
) -> Organization:
    """A new organization owned by `owner`. Apps set up what an organization of this kind
    needs (a factory's profile) through `organization_created`, in this transaction."""
    if kind not in Organization.Kind.values:
        raise InvalidError({"organization_kind": [_("Unknown organization kind.")]})
    organization = _organization_insert(name=name.strip(), kind=kind, slug=slug, verified=verified)
    Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
    organization_created.send(sender=Organization, organization=organization)
    return organization


@transaction.atomic
def organization_add(*, organization: Organization) -> Organization:
    """Save an organization an operator filled in (the admin's add form), set up like one
    created at sign-up."""
    organization.save()
    organization_created.send(sender=Organization, organization=organization)
    return organization


@transaction.atomic
def organization_verification_set(
    *,
    organization: Organization,
    verified: bool,
    acting_user: User,
    reason: str = "",
    notify: bool = False,
) -> bool:
    """Mark an organization verified (or not). Returns whether it changed. `acting_user`
    and `reason` say who decided and why (an audit approval, an operator's action); with
    `notify`, the members are told, with the reason (an audit approval tells them itself)."""
    changed = (
        Organization.objects.filter(pk=organization.pk)
        .exclude(verified=verified)
        .update(verified=verified)
    )
    organization.verified = verified
    if changed and notify:
        title = ORGANIZATION_VERIFIED() if verified else ORGANIZATION_UNVERIFIED()
        notification_send(organization=organization, title=title, body=texts.words(reason.strip()))
    return changed == 1


@transaction.atomic
def organization_status_set(
    *, organization: Organization, suspended: bool, reason: str, acting_user: User
) -> bool:
    """Suspend an organization (its people still sign in and see their work, but cannot
    quote, order, pay or pledge) or restore it. Returns whether it changed; the members
    are told, with the reason. The audit log keeps who and why (trigger on the row)."""
    if not reason.strip():
        raise InvalidError({"reason": [_("Give the reason: the organization is told.")]})
    status = Organization.Status.SUSPENDED if suspended else Organization.Status.ACTIVE
    now = timezone.now()
    changed = (
        Organization.objects.filter(pk=organization.pk)
        .exclude(status=status)
        .update(status=status, status_reason=reason.strip()[:255], status_changed_at=now)
    )
    organization.refresh_from_db(fields=["status", "status_reason", "status_changed_at"])
    if changed:
        title = ORGANIZATION_SUSPENDED() if suspended else ORGANIZATION_RESTORED()
        notification_send(organization=organization, title=title, body=texts.words(reason.strip()))
    return changed == 1


_SLUG_ATTEMPTS = 5


def _organization_insert(*, name: str, kind: str, slug: str | None, verified: bool) -> Organization:
    # Two sign-ups with the same name can both find the same slug free; the unique index
    # decides, and the losers retry with a random suffix (so they do not collide again).
    for attempt in range(_SLUG_ATTEMPTS):
        candidate = slug or _unique_slug(name)
        if attempt and slug is None:
            candidate = f"{candidate[:70]}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                return Organization.objects.create(
                    name=name, kind=kind, slug=candidate, verified=verified
                )
        except IntegrityError:
            if slug is not None:
                raise InvalidError({"slug": [_("This slug is already taken.")]}) from None
    raise ConflictError(_("Please try again in a moment."))


def user_create(*, email: str, password: str, full_name: str = "") -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidError({"email": [_("A user with this email already exists.")]})
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise InvalidError({"password": list(error.messages)}) from error
    try:
        return User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as error:
        raise InvalidError({"email": [_("A user with this email already exists.")]}) from error


@transaction.atomic
def user_signup(
    *, email: str, password: str, organization_name: str, organization_kind: str
) -> tuple[User, Organization]:
    """A new person and the organization they own. Operators never sign up."""
    if organization_kind not in Organization.SIGNUP_KINDS:
        raise InvalidError({"organization_kind": [_("Choose buyer, factory or service_provider.")]})
    if not organization_name.strip():
        raise InvalidError({"organization_name": [_("This field may not be blank.")]})
    user = user_create(email=email, password=password)
    organization = organization_create(name=organization_name, kind=organization_kind, owner=user)
    _email_address_record(user=user)
    return user, organization


def _email_address_record(*, user: User) -> None:
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": False}
    )


def email_verification_send(*, user: User) -> None:
    """Send allauth's confirmation mail; called after commit, never inside a transaction."""
    address = EmailAddress.objects.filter(user=user, email=user.email).first()
    if address is not None and not address.verified:
        address.send_confirmation(request=None, signup=True)


def api_token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Returns the stored token and the key, which is never stored and shown only now."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user, name=name[:100] or "default", prefix=key[:8], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def api_token_revoke(*, user: User, token_pk: int) -> bool:
    revoked = ApiToken.objects.filter(pk=token_pk, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked == 1


def api_token_touch(*, token: ApiToken) -> None:
    # One write a minute at most per token: the hot path must not write on every request.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def _require_manager(*, organization: Organization, acting_user: User) -> None:
    allowed = Membership.objects.filter(
        organization=organization, user=acting_user, role__in=Membership.MANAGING_ROLES
    ).exists()
    if not allowed:
        raise ForbiddenError(_("Only an owner or admin can do this."))


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, acting_user: User
) -> tuple[Invitation, str]:
    _require_manager(organization=organization, acting_user=acting_user)
    email = User.objects.normalize_email(email).lower()
    if role not in Membership.Role.values:
        raise InvalidError({"role": [_("Unknown role.")]})
    if role == Membership.Role.OWNER:
        raise InvalidError({"role": [_("Ownership cannot be given by invitation.")]})
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise InvalidError({"email": [_("This person is already a member.")]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=acting_user,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})
    transaction.on_commit(
        lambda: send_mail(
            subject=_("You are invited to join %(name)s on C2M Marketplace")
            % {"name": organization.name},
            message=_("%(inviter)s invited you to join %(name)s. Accept: %(link)s")
            % {"inviter": acting_user.email, "name": organization.name, "link": link},
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, token


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise InvalidError({"token": [_("This invitation is invalid or has expired.")]})
    if invitation.email.lower() != user.email.lower():
        raise InvalidError({"token": [_("This invitation was sent to another email address.")]})
    membership, _created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _owners_locked(organization: Organization) -> list[Membership]:
    """The organization's owners, locked in primary-key order: two changes that could each
    leave it without an owner run one after the other, and the second sees the first."""
    return list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Membership.Role.OWNER)
        .order_by("pk")
    )


def _membership_locked(membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise ConflictError(_("This person is no longer a member."))
    return locked


def _may_manage_members(*, organization: Organization, acting_user: User) -> bool:
    """Owners and admins manage their team; platform operators act from the admin."""
    return acting_user.is_staff or (
        Membership.objects.filter(
            organization=organization, user=acting_user, role__in=Membership.MANAGING_ROLES
        ).exists()
    )


def _is_owner(owners: list[Membership], user: User) -> bool:
    return user.is_staff or any(owner.user_id == user.pk for owner in owners)


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str, acting_user: User) -> Membership:
    """An owner or admin changes a member's role. Only an owner gives or takes the owner
    role, and an organization always keeps one owner. The managers are told."""
    organization = membership.organization
    if not _may_manage_members(organization=organization, acting_user=acting_user):
        raise ForbiddenError(_("Only an owner or admin can do this."))
    if role not in Membership.Role.values:
        raise InvalidError({"role": [_("Unknown role.")]})
    owners = _owners_locked(organization)
    locked = _membership_locked(membership)
    if locked.role == role:
        return locked
    owner_role = Membership.Role.OWNER
    if owner_role in (role, locked.role) and not _is_owner(owners, acting_user):
        raise ForbiddenError(_("Only an owner can give or take the owner role."))
    if locked.role == owner_role and len(owners) == 1:
        raise ConflictError(
            _("An organization keeps at least one owner: make someone else owner first.")
        )
    locked.role = role
    locked.save(update_fields=["role"])
    notification_send(
        organization=organization,
        title=MEMBER_ROLE_CHANGED(
            person=locked.user.email,
            role=texts.Text(f"marketplace.role.{role}"),
            actor=acting_user.email,
        ),
        url=reverse("team"),
        roles=Membership.MANAGING_ROLES,
    )
    return locked


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: User) -> None:
    """An owner or admin removes a member, or members leave themselves. Only an owner
    removes an owner, and the last owner stays. The person keeps the account and their
    other organizations; here they see nothing any more. The managers are told."""
    organization = membership.organization
    leaving = membership.user_id == acting_user.pk
    if not leaving and not _may_manage_members(organization=organization, acting_user=acting_user):
        raise ForbiddenError(_("Only an owner or admin can do this."))
    owners = _owners_locked(organization)
    locked = _membership_locked(membership)
    if locked.role == Membership.Role.OWNER:
        if not leaving and not _is_owner(owners, acting_user):
            raise ForbiddenError(_("Only an owner can remove an owner."))
        if len(owners) == 1:
            raise ConflictError(
                _("An organization keeps at least one owner: make someone else owner first.")
            )
    person = locked.user.email
    locked.delete()
    title = (
        MEMBER_LEFT(person=person)
        if leaving
        else MEMBER_REMOVED(person=person, actor=acting_user.email)
    )
    notification_send(
        organization=organization,
        title=title,
        url=reverse("team"),
        roles=Membership.MANAGING_ROLES,
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User) -> None:
    """Withdraw a pending invitation: its link stops working at once (the row is kept)."""
    _require_manager(organization=invitation.organization, acting_user=acting_user)
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).update(expires_at=timezone.now())
    if revoked == 0:
        raise ConflictError(_("This invitation was already accepted or has expired."))


def idempotency_records_purge() -> int:
    cutoff = timezone.now() - settings.IDEMPOTENCY_TTL
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def notification_send(
    *,
    organization: Organization,
    title: Text | str,
    body: Text | str = "",
    url: str = "",
    email: bool = True,
    roles: tuple[str, ...] | None = None,
    topic: str = NotificationTopic.GENERAL,
) -> list[Notification]:
    """Tell the members of `organization` whose role acts on `topic` (or, given `roles`,
    those): an inbox row each, and an email sent by a task after commit to those who did
    not turn that topic's emails off. Call it inside the transaction that made the news: if
    that rolls back, nobody is told. System text is a `marketplace.texts.Text` (stored as
    its key, rendered in the reader's language); a plain string is kept as written."""
    members = Membership.objects.filter(
        organization=organization, role__in=roles or roles_for_topic(topic)
    ).select_related("user")
    recipients = [membership.user for membership in members if membership.user.is_active]
    muted = set(
        NotificationPreference.objects.filter(
            user__in=recipients, topic=topic, email=False
        ).values_list("user_id", flat=True)
    )
    title_key, title_text, title_params = texts.stored(title)
    body_key, body_text, body_params = texts.stored(body)
    notifications = Notification.objects.bulk_create(
        Notification(
            organization=organization,
            recipient=user,
            topic=topic,
            title=title_text[:200],
            title_key=title_key,
            title_params=title_params,
            body=body_text,
            body_key=body_key,
            body_params=body_params,
            url=url,
            email_requested=email and user.pk not in muted,
        )
        for user in recipients
    )
    pks = [notification.pk for notification in notifications if notification.email_requested]
    if pks:
        task = celery_app.signature(NOTIFICATION_EMAILS_TASK)
        enqueue_on_commit(task, pks, swept_by=NOTIFICATION_EMAILS_SWEEP_TASK)
    return notifications


def notification_preferences(*, user: User) -> dict[str, bool]:
    """Whether `user` gets emails on each topic (yes unless turned off)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("topic", "email"))
    return {topic: chosen.get(topic, True) for topic in NotificationTopic.values}


@transaction.atomic
def notification_preferences_set(
    *, user: User, email_topics: list[str] | set[str], language: str
) -> None:
    """Emails on `email_topics` only, written in `language` ("" for the site's default)."""
    unknown = set(email_topics) - set(NotificationTopic.values)
    if unknown:
        raise InvalidError({"email_topics": [_("Unknown topic.")]})
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidError({"language": [_("Unknown language.")]})
    for topic in NotificationTopic.values:
        NotificationPreference.objects.update_or_create(
            user=user, topic=topic, defaults={"email": topic in email_topics}
        )
    User.objects.filter(pk=user.pk).update(language=language)


def notification_emails_unsent(*, now: datetime | None = None) -> list[int]:
    """Notifications whose email the task sent on commit did not deliver (the broker was
    down, the retries ran out): the sweep's work."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            email_requested=True,
            emailed_at__isnull=True,
            created_at__lt=now - NOTIFICATION_EMAIL_SWEEP_AFTER,
            created_at__gte=now - NOTIFICATION_EMAIL_GIVE_UP_AFTER,
        ).values_list("pk", flat=True)
    )


def notification_email_send(*, notification_pk: int) -> bool:
    """Email one notification to its recipient, once: the row is claimed with a conditional
    UPDATE before sending and released if sending fails (so a retry sends it). Returns
    whether this call sent it. Network I/O, so never inside a transaction."""
    claimed = Notification.objects.filter(pk=notification_pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_pk)
    recipient = notification.recipient
    if NotificationPreference.objects.filter(
        user=recipient, topic=notification.topic, email=False
    ).exists():
        # Turned off after the news came: the inbox row stays, no email goes out.
        Notification.objects.filter(pk=notification_pk).update(email_requested=False)
        return False
    url = notification.url
    link = settings.SITE_URL + url if url.startswith("/") else url
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        subject = notification.display_title
        message = "\n\n".join(part for part in (notification.display_body, link) if part)
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=None,
            recipient_list=[recipient.email],
        )
    except BaseException:
        Notification.objects.filter(pk=notification_pk).update(emailed_at=None)
        raise
    return True


def notification_mark_read(
    *, user: User, organization: Organization, notification_pk: int | None = None
) -> int:
    """Mark one notification (or, without a pk, all of them) read; returns how many."""
    unread = Notification.objects.for_organization(organization).filter(
        recipient=user, read_at__isnull=True
    )
    if notification_pk is not None:
        unread = unread.filter(pk=notification_pk)
    return unread.update(read_at=timezone.now())
