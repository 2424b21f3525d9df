import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from marketplace.models import ApiToken, Membership, Organization, User
from tests.helpers import PASSWORD, add_member, api_client, make_organization, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_signup_creates_user_organization_and_token():
    response = api_client().post(
        "/api/v1/auth/signup/",
        {
            "email": "New@Example.com",
            "password": PASSWORD,
            "organization_name": "Acme Sourcing",
            "organization_kind": "buyer",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["organization"]["slug"] == "acme-sourcing"
    assert body["organization"]["kind"] == "buyer"
    membership = Membership.objects.get(user__email="new@example.com")
    assert membership.role == "owner"
    assert not EmailAddress.objects.get(email="new@example.com").verified
    assert len(mail.outbox) == 1
    token_client = api_client()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    # Verification is mandatory: the signup token works once the emailed link is confirmed.
    refused = token_client.get("/api/v1/me/")
    assert refused.status_code == 403
    assert "Confirm your email" in refused.json()["detail"]
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    assert confirm_path is not None, mail.outbox[0].body
    assert Client().post(confirm_path.group(1)).status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    me = token_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["memberships"][0]["organization"]["slug"] == "acme-sourcing"


def test_unverified_user_gets_no_token():
    make_user("pending@example.com", verified=False)
    response = api_client().post(
        "/api/v1/auth/token/", {"email": "pending@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert "Confirm your email" in response.json()["detail"]
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organization_kind": "operator"}, "organization_kind"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "123"}, "password"),
        ({"organization_name": ""}, "organization_name"),
    ],
)
def test_signup_rejects_bad_input_field_by_field_and_writes_nothing(payload, field):
    body = {
        "email": "x@example.com",
        "password": PASSWORD,
        "organization_name": "X",
        "organization_kind": "factory",
        **payload,
    }
    response = api_client().post("/api/v1/auth/signup/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert User.objects.count() == 0
    assert Organization.objects.count() == 0


def test_signup_with_taken_email_is_400():
    make_user("taken@example.com")
    response = api_client().post(
        "/api/v1/auth/signup/",
        {
            "email": "taken@example.com",
            "password": PASSWORD,
            "organization_name": "Y",
            "organization_kind": "buyer",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert Organization.objects.count() == 0


def test_token_obtain_and_hashed_storage_and_revoke():
    user = make_user("tok@example.com")
    response = api_client().post(
        "/api/v1/auth/token/", {"email": "tok@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash != key
    assert key not in stored.key_hash
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listing = client.get("/api/v1/auth/tokens/").json()
    assert listing["count"] == 1
    assert [row["prefix"] for row in listing["results"]] == [key[:8]]
    assert client.delete(f"/api/v1/auth/tokens/{stored.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_token_obtain_wrong_password_is_400():
    make_user("tok@example.com")
    response = api_client().post(
        "/api/v1/auth/token/", {"email": "tok@example.com", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_anonymous_me_is_401():
    assert api_client().get("/api/v1/me/").status_code == 401


def test_several_memberships_need_x_organization_for_scoped_endpoints():
    buyer, owner = make_organization("buyer")
    factory, _ = make_organization("factory")
    Membership.objects.create(user=owner, organization=factory, role="member")
    client = api_client(owner)
    response = client.post("/api/v1/invitations/", {"email": "a@example.com"}, format="json")
    assert response.status_code == 400
    assert "X-Organization" in response.json()["errors"]
    client.defaults["HTTP_X_ORGANIZATION"] = buyer.slug
    response = client.post("/api/v1/invitations/", {"email": "a@example.com"}, format="json")
    assert response.status_code == 201


def test_x_organization_naming_a_foreign_organization_is_404():
    _buyer, owner = make_organization("buyer")
    other, _ = make_organization("buyer")
    client = api_client(owner, other)
    response = client.post("/api/v1/invitations/", {"email": "a@example.com"}, format="json")
    assert response.status_code == 404
    assert other.invitations.count() == 0


def test_invitation_needs_owner_or_admin_role():
    organization, _owner = make_organization("buyer")
    member = add_member(organization, "member")
    response = api_client(member, organization).post(
        "/api/v1/invitations/", {"email": "a@example.com"}, format="json"
    )
    assert response.status_code == 403
    assert organization.invitations.count() == 0
