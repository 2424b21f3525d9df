"""API keys from the browser: shown once, stored hashed, listed by prefix, revocable; and
the auth endpoints' throttle answers 429 with Retry-After."""

import re

import pytest
from rest_framework.throttling import SimpleRateThrottle

from marketplace.models import ApiToken
from tests.helpers import PASSWORD, api_client, make_organization, make_user

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_works_and_can_be_revoked(client):
    _organization, owner = make_organization("buyer")
    client.force_login(owner)
    page = client.post("/account/tokens/", {"name": "ERP sync"}).content.decode()
    key = re.search(r'<code id="new-key">([0-9a-f]{40})</code>', page).group(1)
    token = ApiToken.objects.get(user=owner, name="ERP sync")
    assert token.key_hash == ApiToken.hash_key(key)
    listing = client.get("/account/tokens/").content.decode()
    assert key not in listing
    assert f"{key[:8]}…" in listing

    program = api_client()
    program.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert program.get("/api/v1/me/").json()["email"] == owner.email

    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert program.get("/api/v1/me/").status_code == 401


def test_nobody_revokes_someone_elses_key(client):
    owner = make_user()
    token = ApiToken.objects.create(user=owner, name="x", prefix="abcdefgh", key_hash="h" * 64)
    intruder = make_user()
    client.force_login(intruder)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert api_client(intruder).delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_auth_endpoints_are_throttled_with_retry_after(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "3/min")
    make_user("throttled@example.com")
    client = api_client()
    body = {"email": "throttled@example.com", "password": "wrong"}
    statuses = [client.post("/api/v1/auth/token/", body).status_code for _attempt in range(3)]
    assert statuses == [400, 400, 400]
    limited = client.post("/api/v1/auth/token/", {**body, "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "detail" in limited.json()
    assert ApiToken.objects.count() == 0
