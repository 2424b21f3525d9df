"""Puts the organization a signed-in browser user acts for on `request.membership` and
`request.organization`, by the same rule as the API (`membership_resolve`): the switcher's
choice, or the only membership. A user with several organizations who has not chosen acts
for none until they choose (pages behind `organization_page` ask them to)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from marketplace.selectors import OrganizationChoiceError, membership_resolve, memberships_for_user

SESSION_ORGANIZATION_KEY = "organization_slug"


def _current_membership(request: HttpRequest):
    if not request.user.is_authenticated:
        return None
    memberships = list(memberships_for_user(user=request.user))
    # Kept for the top bar's switcher (context processor): one query per request, not two.
    request.all_memberships = memberships  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_ORGANIZATION_KEY) or None
    if chosen:
        # A stale choice (membership since removed) falls back to the rule without it.
        with contextlib.suppress(OrganizationChoiceError):
            return membership_resolve(user=request.user, slug=chosen, memberships=memberships)
    with contextlib.suppress(OrganizationChoiceError):
        return membership_resolve(user=request.user, slug=None, memberships=memberships)
    return None


class CurrentOrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: _current_membership(request))  # type: ignore[attr-defined]
        request.organization = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: request.membership.organization if request.membership else None  # type: ignore[attr-defined]
        )
        return self.get_response(request)
