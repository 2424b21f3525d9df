"""One failure budget per account for every way of signing in (issue 14, item 3): the
browser form, the admin and `POST /api/v1/auth/token/` count failures together, and a
locked account gets no token even with the right password (429 + Retry-After)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from marketplace.models import ApiToken
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LIMITS = {"login_failed": "10/m/ip,3/5m/key"}
TOKEN_URL = "/api/v1/auth/token/"


def _api_sign_in(email: str, password: str):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json")


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_account_locked_by_the_browser_form_gets_no_api_token(client):
    user = make_user("locked@example.com")
    for _attempt in range(3):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    response = _api_sign_in(user.email, PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many failed login attempts. Try again later."}
    assert 1 <= int(response["Retry-After"]) <= 300
    assert not ApiToken.objects.filter(user=user).exists()


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_api_failures_lock_the_browser_form_too(client):
    user = make_user("guessed@example.com")
    for _attempt in range(3):
        assert _api_sign_in(user.email, "wrong").status_code == 400
    blocked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in blocked.content.decode()
    assert client.get("/dashboard/").status_code == 302


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_api_failures_lock_the_api_and_the_email_is_matched_case_insensitively():
    user = make_user("mixed@example.com")
    for _attempt in range(3):
        _api_sign_in("MIXED@example.com", "wrong")
    locked = _api_sign_in(user.email, PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 200  # the 5-minute window has barely started
    assert not ApiToken.objects.filter(user=user).exists()


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_a_success_gives_back_its_attempt_and_other_accounts_are_unaffected():
    user = make_user("careful@example.com")
    other = make_user("other@example.com")
    for _attempt in range(2):
        _api_sign_in(user.email, "wrong")
    assert _api_sign_in(user.email, PASSWORD).status_code == 200
    assert _api_sign_in(user.email, PASSWORD).status_code == 200
    assert _api_sign_in(other.email, PASSWORD).status_code == 200
    assert ApiToken.objects.filter(user=user).count() == 2


def test_admin_sign_in_goes_through_the_shared_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
