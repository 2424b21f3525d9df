"""The pages' organization resolver and domain-error mapping (marketplace.pages)."""

import pytest

from marketplace.models import Membership, Organization
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


def test_a_person_in_two_organizations_chooses_before_a_tenant_page(client):
    buyer, person = make_organization(Organization.Kind.BUYER, name="Jade Buyers")
    factory, _owner = make_organization(Organization.Kind.FACTORY, name="Pearl River Works")
    Membership.objects.create(user=person, organization=factory, role=Membership.Role.ADMIN)
    client.force_login(person)

    chooser = client.get("/factory/profile/")
    assert chooser.status_code == 200
    page = chooser.content.decode()
    assert "Which organization are you working for?" in page
    assert f'value="{factory.slug}"' in page
    assert f'value="{buyer.slug}"' in page

    client.post("/organization/switch/", {"organization": factory.slug})
    assert "Which organization" not in client.get("/factory/profile/").content.decode()
    client.post("/organization/switch/", {"organization": buyer.slug})
    assert client.get("/factory/profile/").status_code == 404  # a buyer has no factory pages


def test_the_only_membership_is_used_without_asking(client):
    _factory, owner = make_organization(Organization.Kind.FACTORY)
    client.force_login(owner)
    response = client.get("/factory/profile/")
    assert response.status_code == 200
    assert "Which organization" not in response.content.decode()


def test_a_person_without_organization_gets_404(client, django_user_model):
    loner = django_user_model.objects.create_user(email="loner@example.com", password="x" * 12)
    client.force_login(loner)
    assert client.get("/factory/profile/").status_code == 404
