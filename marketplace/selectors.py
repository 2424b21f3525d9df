"""Reads for tenancy: which organizations a user acts for, and which one now."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.exceptions import NotFoundError
from marketplace.models import ApiToken, Invitation, Membership, Notification, Organization, User


class OrganizationChoiceError(NotFoundError):
    """The caller must name an organization (several memberships, `slug` None) or named
    one that is not theirs (`slug` is that name: the same answer as a missing one)."""

    def __init__(self, slug: str | None) -> None:
        self.slug = slug
        super().__init__(slug)

    def __str__(self) -> str:
        if self.slug is None:
            return _("You belong to several organizations: name one.")
        return _("Organization not found.")


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization")


def membership_resolve(
    *, user: User, slug: str | None, memberships: list[Membership] | None = None
) -> Membership | None:
    """The membership a request acts under: the named one, or the only one. This is the one
    rule for the API (`X-Organization`, the session's choice) and the pages (the switcher's
    choice); pass `memberships` when the caller has read them already.

    Returns None for a user with no membership. Raises OrganizationChoiceError when
    `slug` names no organization of the user's, or when several exist and none is named.
    """
    if memberships is None:
        memberships = list(memberships_for_user(user=user))
    if slug:
        for membership in memberships:
            if membership.organization.slug == slug:
                return membership
        raise OrganizationChoiceError(slug)
    if len(memberships) == 1:
        return memberships[0]
    if not memberships:
        return None
    raise OrganizationChoiceError(None)


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def organization_member_get(*, organization: Organization, pk: int) -> Membership:
    """One of the organization's memberships; another organization's is a 404."""
    membership = organization_members(organization=organization).filter(pk=pk).first()
    if membership is None:
        raise NotFoundError(_("Not found."))
    return membership


def invitation_pending_by_token(*, token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def invitations_pending(*, organization: Organization) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_organization(organization)
        .filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
    )


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def _unverified_login_email(*, user_ref: str, email_ref: str) -> Exists:
    return Exists(
        EmailAddress.objects.filter(
            user=OuterRef(user_ref), email__iexact=OuterRef(email_ref), verified=False
        )
    )


def user_email_is_unverified(*, user: User) -> bool:
    """True while the address the user signs in with awaits its confirmation link.

    People created by operators (admin, createsuperuser) have no address record: trusted.
    """
    return (
        User.objects.filter(pk=user.pk)
        .filter(_unverified_login_email(user_ref="pk", email_ref="email"))
        .exists()
    )


@dataclass(frozen=True)
class ApiKeyOwner:
    user: User
    token: ApiToken
    email_verified: bool


def user_by_api_key(*, key: str) -> ApiKeyOwner | None:
    """The active token with this key and its user, in one query (the API's hot path)."""
    token = (
        ApiToken.objects.select_related("user")
        .annotate(
            email_unverified=_unverified_login_email(user_ref="user", email_ref="user__email")
        )
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return ApiKeyOwner(
        user=token.user,
        token=token,
        email_verified=not token.email_unverified,  # type: ignore[attr-defined]
    )


def notifications_for_user(*, user: User, organization: Organization) -> QuerySet[Notification]:
    return Notification.objects.for_organization(organization).filter(recipient=user)


def notifications_unread_count(*, user: User, organization: Organization) -> int:
    return (
        notifications_for_user(user=user, organization=organization)
        .filter(read_at__isnull=True)
        .count()
    )
