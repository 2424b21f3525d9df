"""django-allauth in the browser: sign-up with an organization, mandatory verification,
password reset and the sign-in rate limits."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import override_settings

from marketplace.models import Membership, User
from tests.helpers import PASSWORD, make_organization, make_user

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "founder@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "organization_name": "Cedar Lane Furniture",
    "organization_kind": "factory",
}


def _link(message, path_fragment: str) -> str:
    found = re.search(rf"https?://[^/\s]+({path_fragment}\S*)", message.body)
    assert found, message.body
    return found.group(1)


def test_signup_creates_the_organization_and_requires_verification(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="founder@example.com")
    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.organization.kind, membership.role) == (
        "Cedar Lane Furniture",
        "factory",
        "owner",
    )
    assert not EmailAddress.objects.get(user=user).verified
    assert client.get("/dashboard/").status_code == 302  # not signed in yet

    # Signing in before confirming only resends the link.
    login = client.post("/accounts/login/", {"login": SIGNUP["email"], "password": PASSWORD})
    assert login["Location"] == "/accounts/confirm-email/"
    assert client.get("/dashboard/").status_code == 302

    confirm = _link(mail.outbox[0], "/accounts/confirm-email/")
    confirm_page = client.get(confirm)
    assert confirm_page.status_code == 200
    assert "founder@example.com" in confirm_page.content.decode()
    confirmed = client.post(confirm)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200
    assert "Cedar Lane Furniture" in dashboard.content.decode()


def test_signup_refuses_the_operator_kind_and_writes_nothing(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "organization_kind": "operator"})
    assert response.status_code == 200
    assert "organization_kind" in response.context["form"].errors
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_verified_user_signs_in_with_email(client):
    _organization, owner = make_organization("buyer", name="Sign In Traders")
    response = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert "Sign In Traders" in client.get("/dashboard/").content.decode()


def test_password_reset_by_email(client):
    user = make_user("forgetful@example.com")
    response = client.post("/accounts/password/reset/", {"email": "Forgetful@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.com"]
    link = _link(mail.outbox[0], "/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "a-brand-new-passphrase-2026"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_unknown_email_sends_nothing_revealing(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302  # same answer as for a known address
    assert all("/accounts/password/reset/key/" not in message.body for message in mail.outbox)


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,3/5m/key"})
def test_failed_sign_ins_are_rate_limited_even_with_the_right_password_afterwards(client):
    user = make_user("target@example.com")
    for _attempt in range(3):
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        assert response.status_code == 200
    blocked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert blocked.status_code == 200
    assert "Too many failed login attempts" in blocked.content.decode()
    assert client.get("/dashboard/").status_code == 302


@override_settings(ACCOUNT_RATE_LIMITS={"login": "2/m/ip"})
def test_sign_in_requests_per_ip_are_limited_with_429(client):
    make_user("busy@example.com")
    for _attempt in range(2):
        client.post("/accounts/login/", {"login": "busy@example.com", "password": "wrong"})
    response = client.post("/accounts/login/", {"login": "busy@example.com", "password": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_production_rate_limits_are_configured():
    from django.conf import settings

    from marketplace.settings import base

    assert settings.ACCOUNT_RATE_LIMITS is False  # tests switch them off, except above
    assert base.ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,5/5m/key"
    assert base.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
