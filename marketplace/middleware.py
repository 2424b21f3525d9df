"""Puts the organization a signed-in browser user acts for on `request.organization`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from marketplace.selectors import memberships_for_user

SESSION_ORGANIZATION_KEY = "organization_slug"


def _current_membership(request: HttpRequest):
    if not request.user.is_authenticated:
        return None
    memberships = list(memberships_for_user(user=request.user))
    # Kept for the top bar's switcher (context processor): one query per request, not two.
    request.all_memberships = memberships  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_ORGANIZATION_KEY)
    for membership in memberships:
        if membership.organization.slug == chosen:
            return membership
    return memberships[0] if memberships else None


class CurrentOrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: _current_membership(request))  # type: ignore[attr-defined]
        request.organization = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: request.membership.organization if request.membership else None  # type: ignore[attr-defined]
        )
        return self.get_response(request)
