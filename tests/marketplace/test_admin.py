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
        {
            "action": "mark_verified",
            "_selected_action": [unverified.pk],
            "apply": "1",
            "reason": "Documents checked",
        },
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


def test_staff_create_a_person_and_add_them_to_an_organization(client, operator):
    organization, _owner = make_organization("factory", name="Staffed Works")
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/user/add/",
        {
            "email": "New.Hire@Example.com",
            "password1": "a-long-enough-passphrase-77",
            "password2": "a-long-enough-passphrase-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from marketplace.models import Membership, User

    person = User.objects.get(email__iexact="new.hire@example.com")
    response = client.post(
        "/admin/marketplace/membership/add/",
        {"user": person.pk, "organization": organization.pk, "role": "admin", "reason": "Hired"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person).organization == organization


def test_staff_create_an_organization_with_its_owner(client, operator):
    from marketplace.models import Membership

    owner = make_user("owner.of.new@example.com")
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/organization/add/",
        {
            "name": "Operator Made Ltd",
            "slug": "operator-made",
            "kind": "service_provider",
            "verified": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-user": owner.pk,
            "memberships-0-role": "owner",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    organization = Organization.objects.get(slug="operator-made")
    assert (organization.kind, organization.verified) == ("service_provider", True)
    assert Membership.objects.get(organization=organization).user == owner
