"""Operators run the platform from Django admin; nobody else gets in."""

import pytest

from marketplace.models import Invitation, Organization
from tests.helpers import make_organization, make_user

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/marketplace/user/",
    "/admin/marketplace/organization/",
    "/admin/marketplace/membership/",
    "/admin/marketplace/invitation/",
    "/admin/marketplace/apitoken/",
    "/admin/marketplace/notification/",
]


@pytest.fixture
def operator():
    user = make_user("ops@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.mark.parametrize("url", CHANGELISTS)
def test_staff_see_the_changelists(client, operator, url):
    make_organization("factory", name="Listed Factory")
    client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 200
    assert "C2M Marketplace operations" in response.content.decode()


def test_staff_open_an_organization_with_its_members(client, operator):
    organization, owner = make_organization("factory", name="Inline Works")
    client.force_login(operator)
    page = client.get(f"/admin/marketplace/organization/{organization.pk}/change/")
    assert page.status_code == 200
    assert owner.email in page.content.decode()
    assert client.get("/admin/marketplace/organization/?q=Inline").status_code == 200
    assert client.get("/admin/marketplace/user/add/").status_code == 200


def test_staff_verify_organizations_in_bulk(client, operator):
    unverified, _ = make_organization("factory", verified=False)
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/organization/",
        {"action": "mark_verified", "_selected_action": [unverified.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Organization.objects.get(pk=unverified.pk).verified is True


@pytest.mark.parametrize("url", CHANGELISTS)
def test_non_staff_are_sent_to_the_admin_login(client, url):
    _organization, owner = make_organization("buyer")
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_never_shows_invitation_secrets(client, operator):
    from marketplace import services

    organization, owner = make_organization("buyer")
    invitation, token = services.invitation_create(
        organization=organization, email="x@example.com", role="member", acting_user=owner
    )
    client.force_login(operator)
    page = client.get(f"/admin/marketplace/invitation/{invitation.pk}/change/").content.decode()
    assert token not in page
    assert Invitation.objects.get(pk=invitation.pk).token_hash != token
