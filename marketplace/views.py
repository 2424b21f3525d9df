"""Browser pages for tenancy: home, dashboard, organization switcher, team, API tokens."""

from __future__ import annotations

import sys

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace import health, outage, selectors, services
from marketplace.api.errors import json_not_found, json_server_error, json_unavailable
from marketplace.forms import (
    ApiTokenForm,
    InvitationForm,
    MemberRoleForm,
    NotificationPreferencesForm,
)
from marketplace.middleware import SESSION_ORGANIZATION_KEY
from marketplace.models import Membership, Organization, User
from marketplace.pages import form_service_call, organization_page
from marketplace.tenancy import get_for_organization_or_404

NOTIFICATIONS_PER_PAGE = 25


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "marketplace/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "marketplace/dashboard.html")


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    """Deliberately org-less: this is where a person chooses the organization to act for."""
    slug = request.POST.get("organization", "")
    membership = selectors.membership_resolve(user=request.user, slug=slug)
    if membership is None:
        raise Http404(_("Organization not found."))
    request.session[SESSION_ORGANIZATION_KEY] = membership.organization.slug
    messages.success(
        request, _("You are now working as %(name)s.") % {"name": membership.organization.name}
    )
    target = request.POST.get("next") or "dashboard"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "dashboard"
    return redirect(target)


@organization_page(write_roles=Membership.MANAGING_ROLES)
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, organization: Organization) -> HttpResponse:
    can_manage = request.can_edit  # type: ignore[attr-defined]
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invited = form_service_call(
            form,
            services.invitation_create,
            organization=organization,
            acting_user=request.user,
            **form.cleaned_data,
        )
        if invited is not None:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("team")
    acting_role = request.membership.role  # type: ignore[attr-defined]
    members = list(selectors.organization_members(organization=organization))
    for membership in members:
        # Owners change anyone; admins everyone but owners (the service holds the same rule).
        membership.changeable = can_manage and (
            acting_role == Membership.Role.OWNER or membership.role != Membership.Role.OWNER
        )
        membership.role_form = MemberRoleForm(
            initial={"role": membership.role}, auto_id=f"id_member_{membership.pk}_%s"
        )
    context = {
        "members": members,
        "pending_invitations": (
            selectors.invitations_pending(organization=organization) if can_manage else []
        ),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "marketplace/team.html", context)


@organization_page(write_roles=Membership.MANAGING_ROLES)
@require_POST
def team_member_role(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    membership = selectors.organization_member_get(organization=organization, pk=pk)
    form = MemberRoleForm(request.POST)
    changed = form.is_valid() and form_service_call(
        form,
        services.membership_role_set,
        membership=membership,
        role=form.cleaned_data["role"],
        acting_user=request.user,
    )
    if changed:
        messages.success(
            request,
            _("%(person)s is now %(role)s.")
            % {"person": membership.user.email, "role": changed.get_role_display()},
        )
    else:
        messages.error(request, _("Please correct: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect("team")


@organization_page  # anyone may leave; removing someone else is the service's to refuse
@require_POST
def team_member_remove(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    membership = selectors.organization_member_get(organization=organization, pk=pk)
    services.membership_remove(membership=membership, acting_user=request.user)
    if membership.user_id == request.user.pk:
        messages.success(request, _("You left %(name)s.") % {"name": organization.name})
        return redirect("home")
    messages.success(
        request,
        _("%(person)s no longer belongs to %(name)s.")
        % {"person": membership.user.email, "name": organization.name},
    )
    return redirect("team")


@organization_page(write_roles=Membership.MANAGING_ROLES)
@require_POST
def invitation_revoke(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    invitation = get_for_organization_or_404(
        selectors.invitations_pending(organization=organization), organization, pk=pk
    )
    services.invitation_revoke(invitation=invitation, acting_user=request.user)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return redirect("team")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_pending_by_token(token=token)
    if invitation is None:
        return render(request, "marketplace/invitation_invalid.html", status=404)
    if request.method == "POST" and request.user.is_authenticated:
        membership = services.invitation_accept(token=token, user=request.user)
        request.session[SESSION_ORGANIZATION_KEY] = membership.organization.slug
        messages.success(
            request, _("Welcome to %(name)s.") % {"name": membership.organization.name}
        )
        return redirect("dashboard")
    return render(request, "marketplace/invitation_accept.html", {"invitation": invitation})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    context = {
        "tokens": selectors.api_tokens_for_user(user=request.user),
        "form": form,
        "new_key": new_key,
    }
    return render(request, "marketplace/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.api_token_revoke(user=request.user, token_pk=pk):
        raise Http404
    messages.success(request, _("The token was revoked."))
    return redirect("api_tokens")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Per person: which topics also come by email, and in which language."""
    user = request.user
    assert isinstance(user, User)
    chosen = services.notification_preferences(user=user)
    initial = {
        "email_topics": [topic for topic, email in chosen.items() if email],
        "language": user.language,
    }
    form = NotificationPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        form_service_call(
            form,
            services.notification_preferences_set,
            user=user,
            email_topics=form.cleaned_data["email_topics"],
            language=form.cleaned_data["language"],
        )
        if not form.errors:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notification_settings")
    return render(request, "marketplace/notification_settings.html", {"form": form})


@organization_page
@require_GET
def notifications(request: HttpRequest, organization: Organization) -> HttpResponse:
    inbox = selectors.notifications_for_user(user=request.user, organization=organization)
    show_unread_only = request.GET.get("show") == "unread"
    if show_unread_only:
        inbox = inbox.filter(read_at__isnull=True)
    page = Paginator(inbox, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "show_unread_only": show_unread_only}
    return render(request, "marketplace/notifications.html", context)


@organization_page
@require_POST
def notification_read(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    notification = get_for_organization_or_404(
        selectors.notifications_for_user(user=request.user, organization=organization),
        organization,
        pk=pk,
    )
    services.notification_mark_read(
        user=request.user, organization=organization, notification_pk=notification.pk
    )
    if request.htmx:  # type: ignore[attr-defined]
        notification.refresh_from_db()
        return render(
            request, "marketplace/includes/notification_row.html", {"notification": notification}
        )
    return redirect("notifications")


@organization_page
@require_POST
def notifications_read_all(request: HttpRequest, organization: Organization) -> HttpResponse:
    marked = services.notification_mark_read(user=request.user, organization=organization)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", marked
        )
        % {"count": marked},
    )
    return redirect("notifications")


@organization_page
@require_GET
def notification_open(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = get_for_organization_or_404(
        selectors.notifications_for_user(user=request.user, organization=organization),
        organization,
        pk=pk,
    )
    services.notification_mark_read(
        user=request.user, organization=organization, notification_pk=notification.pk
    )
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications")
    return redirect(target)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health.report(timeout=1.5)
    healthy = all(checks[name][0] for name in health.REQUIRED)
    complete = all(ok for ok, _detail in checks.values())
    body = {
        "status": ("ok" if complete else "degraded") if healthy else "unavailable",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for every unmatched URL: the API's JSON error format under /api/, a page elsewhere."""
    if _wants_json(request):
        return json_not_found(request, exception)
    content = loader.render_to_string("marketplace/errors/404.html", request=request)
    return HttpResponseNotFound(content)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context here: the database or Redis may be why we are rendering this.
    if outage.is_dependency_failure(sys.exception()):
        return unavailable(request)
    if _wants_json(request):
        return json_server_error(request)
    return HttpResponseServerError(loader.render_to_string("marketplace/errors/500.html"))


def unavailable(request: HttpRequest) -> HttpResponse:
    """A part we depend on failed: 503 with Retry-After, so clients come back shortly."""
    if _wants_json(request):
        return json_unavailable(request)
    content = loader.render_to_string("marketplace/errors/503.html")
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(outage.retry_after_seconds())
    return response


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """django-allauth's rate limits (sign-in, sign-up, password reset) end here."""
    if _wants_json(request):
        return JsonResponse({"detail": _("Too many requests. Try again later.")}, status=429)
    response = render(request, "marketplace/errors/429.html", status=429)
    response["Retry-After"] = "60"
    return response
