"""The browser's organization switcher (session) and what pages show for it."""

import pytest

from marketplace.models import Membership
from tests.helpers import make_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_in_two_organizations():
    buyer, person = make_organization("buyer", name="Jade Buyers")
    factory, _ = make_organization("factory", name="Pearl River Works")
    Membership.objects.create(user=person, organization=factory, role="member")
    return person, buyer, factory


def test_switching_changes_the_organization_pages_act_for(client, person_in_two_organizations):
    person, _buyer, factory = person_in_two_organizations
    client.force_login(person)
    dashboard = client.get("/dashboard/").content.decode()
    assert 'id="organization-select"' in dashboard
    # Nobody is picked for a person with several organizations until they choose.
    assert 'id="choose-organization"' in dashboard
    assert "You are working as" not in dashboard

    response = client.post(
        "/organization/switch/", {"organization": factory.slug, "next": "/team/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert "Pearl River Works" in client.get("/team/").content.decode()
    dashboard = client.get("/dashboard/").content.decode()
    assert "You are working as <strong>Pearl River Works</strong>" in dashboard
    assert client.session["organization_slug"] == factory.slug


def test_switching_to_an_organization_you_are_not_in_is_404(client, person_in_two_organizations):
    person, buyer, _factory = person_in_two_organizations
    stranger_organization, _ = make_organization("buyer")
    client.force_login(person)
    client.post("/organization/switch/", {"organization": buyer.slug})
    response = client.post("/organization/switch/", {"organization": stranger_organization.slug})
    assert response.status_code == 404
    assert client.session["organization_slug"] == buyer.slug


def test_switch_refuses_to_redirect_off_site(client, person_in_two_organizations):
    person, _buyer, factory = person_in_two_organizations
    client.force_login(person)
    response = client.post(
        "/organization/switch/", {"organization": factory.slug, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard/"


def test_switch_needs_post_and_sign_in(client, person_in_two_organizations):
    _person, _buyer, factory = person_in_two_organizations
    response = client.post("/organization/switch/", {"organization": factory.slug})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(_person)
    assert client.get("/organization/switch/").status_code == 405


def test_navigation_follows_the_organization_kind(client, person_in_two_organizations):
    person, _buyer, factory = person_in_two_organizations
    client.force_login(person)
    client.post("/organization/switch/", {"organization": factory.slug})
    page = client.get("/dashboard/").content.decode()
    assert "Pearl River Works · Factory" in page


def test_team_page_queries_do_not_grow_with_members(client):
    from tests.helpers import add_member

    organization, owner = make_organization("buyer")
    client.force_login(owner)
    client.get("/team/")  # warm the session
    add_member(organization)

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/team/").status_code == 200
        return len(captured)

    few = count_queries()
    for _member in range(10):
        add_member(organization)
    assert count_queries() == few
