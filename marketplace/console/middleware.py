"""Staff reach /admin/ only with a second factor (TOTP) set up.

Signing in with one is django-allauth's job: the admin's login is allauth's form
(`secure_admin_login`), which asks for the code once a TOTP authenticator exists. Until
then a staff member is sent to set one up, and returns to the admin page afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.console.staff import staff_mfa_required


class StaffSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and staff_mfa_required(user=request.user):
            messages.warning(
                request, _("Operators use a second factor: set up an authenticator app first.")
            )
            target = reverse("mfa_activate_totp")
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{target}?{query}")
        return self.get_response(request)
