"""Hostile request bodies and paths (issue 14, items 1, 2 and 9): each is a 4xx in the API's
error format, never a 500, never an HTML page, and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from marketplace.api.parsers import JSON_MAX_DEPTH
from marketplace.models import Invitation, Organization, User
from orders.models import Order, OrderStatus
from tests.helpers import api_client, make_organization
from tests.orders.conftest import drive, make_deal

pytestmark = pytest.mark.django_db

NESTED = b"[" * 50_000 + b"]" * 50_000  # about 100 KB, the body that used to be a 500
SURROGATE_MESSAGE = "Text must be valid Unicode (no unpaired surrogate characters)."


def _post_raw(client: APIClient, url: str, body: bytes):
    return client.generic("POST", url, body, content_type="application/json")


def test_deeply_nested_json_is_400_on_signup_without_login():
    users_before = User.objects.count()
    response = _post_raw(APIClient(), "/api/v1/auth/signup/", NESTED)
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": f"The JSON body is nested more than {JSON_MAX_DEPTH} levels deep."
    }
    assert User.objects.count() == users_before


def test_nesting_below_the_recursion_limit_but_over_the_bound_is_400():
    """500 levels parse without RecursionError; the depth bound still refuses them."""
    body = json.dumps({"email": [[[[]]]] * 2, "deep": json.loads("[" * 500 + "]" * 500)})
    response = _post_raw(APIClient(), "/api/v1/auth/signup/", body.encode())
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_nested_json_is_400_on_an_authenticated_endpoint():
    deal = make_deal()
    response = _post_raw(api_client(deal.buyer_user), "/api/v1/rfqs/", NESTED)
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


@override_settings(API_JSON_MAX_BYTES=4096)
def test_oversized_json_body_is_400():
    body = json.dumps({"email": "a@example.com", "password": "x" * 5000}).encode()
    response = _post_raw(APIClient(), "/api/v1/auth/signup/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is larger than 4 KB."}


def test_nan_is_not_json():
    response = _post_raw(APIClient(), "/api/v1/auth/token/", b'{"email": NaN}')
    assert response.status_code == 400
    assert response.json() == {"detail": "The body is not valid JSON."}


def test_lone_surrogate_in_signup_kind_is_400_naming_the_field():
    users_before = User.objects.count()
    body = (
        b'{"email": "new@example.com", "password": "a long passphrase 42",'
        b' "organization_name": "Acme", "organization_kind": "\\ud800"}'
    )
    response = _post_raw(APIClient(), "/api/v1/auth/signup/", body)
    assert response.status_code == 400
    assert response.json() == {"errors": {"organization_kind": [SURROGATE_MESSAGE]}}
    assert User.objects.count() == users_before


def test_lone_surrogate_in_invitation_role_is_400():
    organization, owner = make_organization(Organization.Kind.BUYER)
    body = b'{"email": "colleague@example.com", "role": "\\udfff"}'
    response = _post_raw(api_client(owner, organization), "/api/v1/invitations/", body)
    assert response.status_code == 400
    assert response.json() == {"errors": {"role": [SURROGATE_MESSAGE]}}
    assert not Invitation.objects.filter(organization=organization).exists()


def test_lone_surrogate_in_transition_action_is_400_and_order_unchanged():
    deal = make_deal()
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    body = b'{"action": "\\ud800"}'
    url = f"/api/v1/orders/{order.pk}/transitions/"
    response = _post_raw(api_client(deal.buyer_user), url, body)
    assert response.status_code == 400
    assert response.json() == {"errors": {"action": [SURROGATE_MESSAGE]}}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SAMPLE_REQUESTED


def test_lone_surrogate_in_a_nested_value_names_the_top_level_field():
    body = b'{"email": "a@example.com", "password": ["x", {"y": "\\ud800"}]}'
    response = _post_raw(APIClient(), "/api/v1/auth/token/", body)
    assert response.status_code == 400
    assert response.json() == {"errors": {"password": [SURROGATE_MESSAGE]}}


def test_paired_surrogates_are_ordinary_text():
    """An escaped astral character (a valid pair) is not refused."""
    body = b'{"email": "a@example.com", "password": "\\ud83d\\ude00"}'
    response = _post_raw(APIClient(), "/api/v1/auth/token/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "Email or password is incorrect."}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/nonexistent/"),
        ("post", "/api/v1/nonexistent/"),
        ("get", "/api/v2/"),
        ("get", "/api/"),
    ],
)
def test_unknown_api_path_is_json_404_with_and_without_debug(settings, debug, method, path):
    settings.DEBUG = debug
    response = getattr(APIClient(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
