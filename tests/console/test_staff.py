"""Staff accounts: four groups split the decisions, and operators need a second factor
(TOTP, with recovery codes) before any admin page opens."""

from __future__ import annotations

import time

import pytest
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import Group

from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _current_code(secret: str) -> str:
    """The code of the current period, taken early enough in it that the server checks it
    in the same period (a loaded machine takes seconds between the two): allauth accepts
    no neighbouring period by default."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 6:
        time.sleep(left + 0.05)
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _staff(email: str = "ops@example.com"):
    user = make_user(email)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def test_the_four_staff_groups_split_the_decisions():
    def codenames(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    auditor, arbiter = codenames("auditor"), codenames("arbiter")
    finance, content = codenames("finance"), codenames("content")
    assert "factories.change_auditsubmission" in auditor
    assert "finance.add_disputedecision" in arbiter
    assert {"finance.change_payment", "finance.change_creditline"} <= finance
    assert "catalog.change_category" in content
    assert "finance.add_disputedecision" not in auditor | finance | content
    assert "factories.change_auditsubmission" not in arbiter | finance | content
    assert not any(codename.startswith("finance.") for codename in content)


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, mfa_required):
    client.force_login(_staff())
    response = client.get("/admin/finance/payment/")
    assert response.status_code == 302
    assert (
        response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2Ffinance%2Fpayment%2F"
    )


def test_members_who_are_not_staff_need_no_second_factor(client, mfa_required):
    client.force_login(make_user())
    # The admin's own refusal (sign in as staff), not the second-factor setup.
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_an_operator_sets_up_totp_then_signs_in_with_it_or_a_recovery_code(client, mfa_required):
    operator = _staff()
    signed_in = client.post("/accounts/login/", {"login": operator.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 302

    # Setting up a factor is a sensitive change: allauth asks for the password again.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    activated = client.post("/accounts/2fa/totp/activate/", {"code": _current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=operator, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200

    client.post("/accounts/logout/")
    recovery = RecoveryCodes(
        Authenticator.objects.get(user=operator, type=Authenticator.Type.RECOVERY_CODES)
    )
    first_step = client.post("/accounts/login/", {"login": operator.email, "password": PASSWORD})
    assert first_step["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # not signed in until the second step
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    second_step = client.post(
        "/accounts/2fa/authenticate/", {"code": recovery.get_unused_codes()[0]}
    )
    assert second_step.status_code == 302
    assert client.get("/admin/").status_code == 200
