"""Puts the organization a signed-in browser user acts for on `request.membership` and
`request.organization`, by the same rule as the API (`membership_resolve`): the switcher's
choice, or the only membership. A user with several organizations who has not chosen acts
for none until they choose (pages behind `organization_page` ask them to)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from pghistory.middleware import HistoryMiddleware

from marketplace import outage
from marketplace.selectors import OrganizationChoiceError, membership_resolve, memberships_for_user

logger = logging.getLogger(__name__)

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


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's: the signed-in user and the URL on the audit events of every write
    request, except on AUDIT_CONTEXT_EXEMPT_PATHS. Those carry no user and change no
    audited model (device telemetry); there the context would only prefix each of their
    SQL statements with two `set_config` calls, a sixth of the CPU of a batch of 100."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.exempt_paths = frozenset(settings.AUDIT_CONTEXT_EXEMPT_PATHS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in self.exempt_paths:
            return self.get_response(request)
        return super().__call__(request)


class ApiErrorFormatMiddleware:
    """Everything under /api/ answers in the API's JSON error format, DEBUG pages included.

    Outside DEBUG the 404/500 handlers already answer JSON there; with DEBUG on, Django
    renders its HTML technical pages instead, which API clients (and fuzzers) cannot read.
    A dependency failure raised by a view outside DRF is a 503 with Retry-After.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _is_api(request) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("text/html"):
            from marketplace.api.errors import json_not_found, json_server_error

            if response.status_code == 404:
                return json_not_found(request)
            if response.status_code == 500:
                return json_server_error(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if _is_api(request) and outage.is_dependency_failure(exception):
            from marketplace.api.errors import json_unavailable

            logger.warning("A dependency failed during an API request", exc_info=exception)
            return json_unavailable(request)
        return None


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class DatabaseStallMiddleware:
    """While PostgreSQL does not answer, requests fail at once (503 + Retry-After) instead
    of each holding a thread and a connection until it comes back.

    The verdict comes from a background probe (marketplace.health), refreshed at most once a
    second; a request never waits for it. /healthz is exempt: it reports the stall itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        from marketplace import health

        checked = settings.DATABASE_STALL_CHECK and request.path != "/healthz"
        if checked and health.database_stalled():
            return _unavailable(request)
        return self.get_response(request)


def _unavailable(request: HttpRequest) -> HttpResponse:
    from marketplace.views import unavailable

    return unavailable(request)
