"""Support view: an operator opens one organization's pages read-only, as it sees them.

Started from the organization's admin page (with a reason, by an operator whose group holds
`staff.START_SUPPORT_VIEW`), it lives in the operator's session until they leave it, sign
out, or `SUPPORT_VIEW_MAX_AGE` passes. While it lasts, `SupportViewMiddleware`:

- makes the pages act for that organization (an unsaved owner membership on
  `request.membership`, `request.can_edit` false), with a banner and a button to leave;
- refuses every unsafe method (POST, PUT, PATCH, DELETE: forms, htmx posts, API writes)
  outside the operator's own admin with 403 before any view runs;
- runs each read inside a transaction that is always rolled back, so not even a page that
  writes as it renders (marking a notification read) changes anything;
- logs every request (operator, organization, method, path, answer, time) in the
  append-only `SupportPageView` table.

The operator acts as themselves, never as a member: API tokens stay per user (the token page
lists the operator's own, and creating one is a refused write) and the API, which resolves
its organization from the caller's memberships, shows them nothing of the organization.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.console.audit import audit_context
from marketplace.console.models import SupportPageView, SupportSession
from marketplace.console.staff import START_SUPPORT_VIEW, permission_require
from marketplace.models import Membership, Organization, User

SESSION_KEY = "console_support_view"
SUPPORT_VIEW_MAX_AGE = datetime.timedelta(hours=2)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Neither logged nor read-only: the operator's own console and the files behind the pages.
PASS_THROUGH_PREFIXES = ("/admin/", "/static/", "/healthz", "/favicon.ico")


def support_view_start(
    *, operator: User, organization: Organization, reason: str
) -> SupportSession:
    """Open a support view (the caller puts it in the operator's session); the audit log
    keeps who started it and why."""
    permission_require(user=operator, permission=START_SUPPORT_VIEW)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for looking at their pages.")]})
    with audit_context(acting_user=operator, reason=reason):
        return SupportSession.objects.create(
            operator=operator, organization=organization, reason=reason.strip()[:255]
        )


def support_view_end(*, session: SupportSession) -> None:
    SupportSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


def support_view_for(request: HttpRequest) -> SupportSession | None:
    """The running support view of this request's operator, or None (an ended, expired or
    foreign one, or one whose operator has since lost the permission, is dropped from the
    session)."""
    pk = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if pk is None:
        return None
    user = request.user
    session = (
        SupportSession.objects.select_related("organization")
        .filter(pk=pk, ended_at__isnull=True)
        .first()
    )
    fresh = session is not None and session.started_at > timezone.now() - SUPPORT_VIEW_MAX_AGE
    if (
        session is None
        or not fresh
        or not user.is_authenticated
        or not user.is_staff
        or session.operator_id != user.pk
        or not user.has_perm(START_SUPPORT_VIEW)
    ):
        if session is not None and not fresh:
            support_view_end(session=session)
        request.session.pop(SESSION_KEY, None)
        return None
    return session


def support_view_end_on_sign_out(*, request: HttpRequest | None, **kwargs) -> None:
    """`user_logged_out` receiver: signing out ends the running support view."""
    if request is None or not hasattr(request, "session"):
        return
    pk = request.session.get(SESSION_KEY)
    if pk is not None:
        SupportSession.objects.filter(pk=pk, ended_at__isnull=True).update(ended_at=timezone.now())


def _passes_through(request: HttpRequest) -> bool:
    if request.path.startswith(PASS_THROUGH_PREFIXES):
        return True
    return request.path in (reverse("account_logout"), reverse("set_language"))


class SupportViewMiddleware:
    """After `CurrentOrganizationMiddleware`: overrides the organization it resolved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.support_view = None  # type: ignore[attr-defined]
        if request.session.get(SESSION_KEY) is None:
            return self.get_response(request)
        session = support_view_for(request)
        if session is None:
            return self.get_response(request)
        request.support_view = session  # type: ignore[attr-defined]
        if _passes_through(request):
            return self.get_response(request)
        membership = Membership(
            user=cast(User, request.user),
            organization=session.organization,
            role=Membership.Role.OWNER,
        )
        request.membership = membership  # type: ignore[attr-defined]
        request.organization = session.organization  # type: ignore[attr-defined]
        request.all_memberships = [membership]  # type: ignore[attr-defined]
        if request.method not in SAFE_METHODS:
            response = _refused(request, session)
        else:
            with transaction.atomic():
                response = self.get_response(request)
                transaction.set_rollback(True)
        SupportPageView.objects.create(
            session=session,
            operator_id=session.operator_id,
            organization_id=session.organization_id,
            method=request.method or "",
            path=request.get_full_path()[:2000],
            status_code=response.status_code,
        )
        return response


def _refused(request: HttpRequest, session: SupportSession) -> HttpResponse:
    message = _("Support view of %(name)s is read only: leave it to act as yourself again.") % {
        "name": session.organization.name
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "marketplace/errors/403.html", {"message": message}, status=403)
