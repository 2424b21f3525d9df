"""What every factories API view shares: the factory's own-data base view."""

from __future__ import annotations

import contextlib

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from marketplace.api.base import OrganizationAPIView, request_membership
from marketplace.models import Membership, Organization

FACTORY = (Organization.Kind.FACTORY,)


class FactoryAPIView(OrganizationAPIView):
    """A factory's own data: any member reads, owners and admins write."""

    allowed_organization_kinds = FACTORY
    write_roles = Membership.MANAGING_ROLES

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in SAFE_METHODS and self.membership.role not in self.write_roles:
            raise exceptions.PermissionDenied(_("Only an owner or admin can change this."))


def acting_organization(request: Request) -> Organization | None:
    """For public endpoints that show more to the right organization: the caller's, when
    signed in and acting for exactly one (never an error: the endpoint is public)."""
    if not (request.user and request.user.is_authenticated):
        return None
    with contextlib.suppress(exceptions.APIException):
        return request_membership(request).organization
    return None
