"""The one base every tenant-aware API view uses.

It resolves the organization the caller acts for (`X-Organization`, the session's choice, or
the only membership), checks the organization kind and member role a view requires, and
owns `get_queryset`: the model's `for_organization` scope. Subclasses only narrow it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from marketplace.models import Membership, Organization
from marketplace.pages import SUSPENDED_MESSAGE
from marketplace.selectors import OrganizationChoiceError, membership_resolve
from marketplace.tenancy import get_for_organization_or_404

ORGANIZATION_HEADER = "X-Organization"
SESSION_ORGANIZATION_KEY = "organization_slug"


def _resolve(request: Request) -> Membership | None:
    header_slug = request.headers.get(ORGANIZATION_HEADER) or None
    if header_slug is not None:
        return membership_resolve(user=request.user, slug=header_slug)
    session = getattr(request, "session", None)
    session_slug = session.get(SESSION_ORGANIZATION_KEY) if session is not None else None
    if session_slug:
        # The browser switcher's choice; a stale one (membership since removed) falls back.
        with contextlib.suppress(OrganizationChoiceError):
            return membership_resolve(user=request.user, slug=session_slug)
    return membership_resolve(user=request.user, slug=None)


def request_membership(request: Request) -> Membership:
    """The caller's membership for this request, cached on the request."""
    cached = getattr(request, "_membership", None)
    if cached is not None:
        return cached
    try:
        membership = _resolve(request)
    except OrganizationChoiceError as error:
        if error.args[0] is None:
            raise exceptions.ValidationError(
                {ORGANIZATION_HEADER: [_("You belong to several organizations: name one.")]}
            ) from error
        raise exceptions.NotFound(_("Organization not found.")) from error
    if membership is None:
        raise exceptions.PermissionDenied(_("You are not a member of any organization."))
    request._membership = membership  # type: ignore[attr-defined]
    return membership


class IsOrganizationMember(permissions.BasePermission):
    """Authenticated, acting for one organization of an allowed kind with an allowed role."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        membership = request_membership(request)
        kinds = getattr(view, "allowed_organization_kinds", ())
        if kinds and membership.organization.kind not in kinds:
            raise exceptions.PermissionDenied(
                _("This is not available to your kind of organization.")
            )
        roles = getattr(view, "required_roles", ())
        if roles and membership.role not in roles:
            raise exceptions.PermissionDenied(_("Your role does not allow this."))
        if membership.organization.is_suspended and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(SUSPENDED_MESSAGE)
        return True


class OrganizationAPIView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated, IsOrganizationMember]
    allowed_organization_kinds: tuple[str, ...] = ()
    required_roles: tuple[str, ...] = ()

    @property
    def membership(self) -> Membership:
        return request_membership(self.request)

    @property
    def organization(self) -> Organization:
        return self.membership.organization

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().for_organization(self.organization)
        return self.narrow_queryset(queryset)

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_object(self) -> Any:
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        base = self.narrow_queryset(super().get_queryset())
        instance = get_for_organization_or_404(base, self.organization, **lookup)
        self.check_object_permissions(self.request, instance)
        return instance
