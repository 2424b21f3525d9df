"""The pages' side of tenancy and domain errors, shared by every app's `views.py`.

- `organization_page`: signed in and acting for one organization, resolved by the same rule
  as the API (`marketplace.selectors.membership_resolve`: the switcher's choice, or the
  only membership). A person with several organizations who has not chosen is asked to.
  The view gets the organization as its second argument and `request.membership`.
- `DomainErrorMiddleware`: the one mapping of `marketplace.exceptions` for pages. Views call
  services and let domain errors through; only a view that re-renders a form catches
  `InvalidError`, through `form_service_call`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import exceptions as domain

Result = TypeVar("Result")

SUSPENDED_MESSAGE = gettext_lazy(
    "Your organization is suspended: you can see your work but not change it. "
    "Contact the C2M operators to have it restored."
)


def organization_page(
    view: Callable | None = None,
    *,
    kinds: Iterable[str] = (),
    write_roles: Iterable[str] = (),
    not_found_message: str | None = None,
) -> Callable:
    """Decorate a page view `view(request, organization, *args, **kwargs)`.

    `kinds`: the organization kinds the page is for (any other is a 404, as for a page that
    does not exist). `write_roles`: roles allowed to POST; others get a message and the
    page they came from. `request.can_edit` tells templates whether to offer the writes.
    """
    allowed_kinds = tuple(kinds)
    allowed_write_roles = tuple(write_roles)

    def decorate(function: Callable) -> Callable:
        @login_required
        @wraps(function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = request.membership  # type: ignore[attr-defined]
            if not membership:
                if getattr(request, "all_memberships", None):
                    return _choose_organization(request)
                raise Http404(_("You are not a member of any organization."))
            organization = membership.organization
            if allowed_kinds and organization.kind not in allowed_kinds:
                raise Http404(not_found_message or _("This page is not for your organization."))
            can_edit = not allowed_write_roles or membership.role in allowed_write_roles
            # A support view (marketplace.console.support) only reads: its writes never arrive.
            support_view = getattr(request, "support_view", None)
            request.can_edit = can_edit and not organization.is_suspended and not support_view  # type: ignore[attr-defined]
            if request.method == "POST" and organization.is_suspended:
                return _suspended(request)
            if request.method == "POST" and not can_edit:
                messages.error(request, _("Only an owner or admin can change this."))
                return redirect(_back(request))
            return function(request, organization, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _suspended(request: HttpRequest) -> HttpResponse:
    context = {"message": SUSPENDED_MESSAGE}
    return render(request, "marketplace/errors/403.html", context, status=403)


def _choose_organization(request: HttpRequest) -> HttpResponse:
    memberships = request.all_memberships  # type: ignore[attr-defined]
    context = {"memberships": memberships, "next": request.get_full_path()}
    return render(request, "marketplace/organization_choose.html", context, status=200)


def form_service_call(
    form: BaseForm, service: Callable[..., Result], **kwargs: Any
) -> Result | None:
    """Call `service(**kwargs)`; invalid input lands on the form's fields (or its non-field
    errors) and None is returned, so the view re-renders the form."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        form_add_errors(form, error)
        return None


def form_add_errors(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _back(request: HttpRequest) -> str:
    referer = request.headers.get("referer") or ""
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    if request.method != "GET":
        return request.path
    return "/dashboard/"


class DomainErrorMiddleware:
    """Maps `marketplace.exceptions` for pages (the API maps them in its exception handler):
    not found is the 404 page, forbidden the 403 page, a conflict (or invalid input that no
    form caught) a message on the page the person came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, domain.DomainError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, domain.NotFoundError):
            raise Http404(str(exception) or _("Not found.")) from exception
        if isinstance(exception, domain.ForbiddenError):
            raise PermissionDenied(str(exception)) from exception
        if isinstance(exception, domain.InvalidError):
            text = " ".join(exception.messages)
        else:
            text = str(exception) or _("This change conflicts with the current state.")
        messages.error(request, text)
        target = _back(request)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = target
            return response
        response = HttpResponseRedirect(target)
        response.status_code = 303
        return response
