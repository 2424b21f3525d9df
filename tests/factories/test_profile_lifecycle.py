"""A factory's profile exists from the organization's creation, so reading a page or the
API never writes; who may see a virtual factory is one rule for page and API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories.models import FactoryPerformance, FactoryProfile
from marketplace import services as marketplace_services
from marketplace.models import Organization
from tests.factories.conftest import make_factory
from tests.helpers import api_client, make_organization, make_user

pytestmark = pytest.mark.django_db


def test_a_factory_gets_its_profile_when_the_organization_is_created():
    factory, _owner = make_organization(Organization.Kind.FACTORY)
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    assert FactoryProfile.objects.filter(organization=factory).count() == 1
    assert FactoryPerformance.objects.filter(organization=factory).count() == 1
    assert not FactoryProfile.objects.filter(organization=buyer).exists()


def test_sign_up_as_a_factory_creates_the_profile():
    _user, organization = marketplace_services.user_signup(
        email="new.factory@example.com",
        password="a-long-enough-passphrase",
        organization_name="New Works",
        organization_kind=Organization.Kind.FACTORY,
    )
    assert FactoryProfile.objects.filter(organization=organization).exists()


def test_an_operator_made_factory_gets_its_profile(client):
    operator = make_user("ops@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/organization/add/",
        {
            "name": "Operator Works",
            "slug": "operator-works",
            "kind": "factory",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    assert FactoryProfile.objects.filter(organization__slug="operator-works").exists()


@pytest.mark.parametrize("url", ["/factory/profile/", "/factory/capacity/", "/factory/audit/"])
def test_factory_pages_write_nothing_on_get(client, url):
    _factory, owner = make_organization(Organization.Kind.FACTORY)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    writes = [q["sql"] for q in captured if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    # The session is the only row a page may touch.
    assert [sql for sql in writes if "django_session" not in sql] == []


def test_own_profile_api_writes_nothing_on_get():
    factory, owner = make_organization(Organization.Kind.FACTORY)
    client = api_client(owner, factory)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/factory-profile/").status_code == 200
    writes = [q["sql"] for q in captured if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert [sql for sql in writes if "marketplace_apitoken" not in sql] == []


def test_an_unaudited_factory_is_seen_only_by_itself_on_page_and_api(client, category):
    pending, pending_owner = make_factory([category], verified=False)
    _other, other_owner = make_factory([category])
    page, api = f"/factories/{pending.pk}/", f"/api/v1/factories/{pending.pk}/"
    assert client.get(page).status_code == 404
    assert api_client().get(api).status_code == 404
    client.force_login(other_owner)
    assert client.get(page).status_code == 404
    assert api_client(other_owner).get(api).status_code == 404
    client.force_login(pending_owner)
    assert client.get(page).status_code == 200
    own = api_client(pending_owner).get(api)
    assert own.status_code == 200
    assert own.json()["id"] == pending.pk
