"""Discovery (issue 8, item 5): a visitor's way to the directory and search, the showcase's
actions and reviews, linked factory names, directed RFQs and a buyer's favourites."""

from __future__ import annotations

import pytest
from django.test import Client

from factories.models import FavouriteFactory
from factories.selectors import capacity_summary
from factories.services import favourite_add
from marketplace.models import Organization
from orders import services as order_services
from orders.models import RFQ, OrderStatus, RFQInvitation
from tests.helpers import api_client, make_organization, nothing_changes
from tests.orders.conftest import drive, in_days, make_category, make_deal, make_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return make_category()


@pytest.fixture
def factory(category):
    organization, _owner = make_factory(category, units=100, name="Ningbo Evergreen Garments")
    return organization


@pytest.fixture
def buyer():
    return make_organization(Organization.Kind.BUYER)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_visitor_finds_the_directory_and_search_from_the_home_page():
    html = Client().get("/").content.decode()
    assert 'href="/factories/"' in html
    assert 'href="/factories/search/"' in html


def test_the_showcase_offers_a_quote_request_and_contact(factory):
    html = Client().get(f"/factories/{factory.pk}/").content.decode()
    assert f'id="request-quote" href="/rfqs/new/?factory={factory.pk}"' in html
    assert f'href="/rfqs/new/?factory={factory.pk}&amp;contact=1"' in html
    assert "No reviews yet" in html
    assert 'id="favourite-form"' not in html  # only a signed-in buyer keeps favourites


def test_a_visitor_asking_for_a_quote_signs_in_first(factory):
    response = Client().get(f"/rfqs/new/?factory={factory.pk}")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert f"factory%3D{factory.pk}" in response["Location"]


def test_the_showcase_lists_buyers_reviews(category):
    deal = make_deal(category=category)
    order = drive(deal, OrderStatus.COMPLETED)
    order_services.review_create(
        order=order,
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
        quality=5,
        delivery=4,
        communication=3,
        comment="Seams were perfect.",
    )
    html = Client().get(f"/factories/{deal.factory.pk}/").content.decode()
    assert "Seams were perfect." in html
    assert "4.0 / 5" in html
    assert deal.buyer.name not in html  # buyers stay unnamed


def test_a_directed_rfq_invites_only_the_chosen_factory_and_reserves_nothing(
    category, factory, buyer
):
    other, _owner = make_factory(category, units=100)
    organization, user = buyer
    before = capacity_summary(organization=factory)
    client = signed_in(user)
    page = client.get(f"/rfqs/new/?factory={factory.pk}")
    assert "Only Ningbo Evergreen Garments receives this request" in page.content.decode()
    response = client.post(
        f"/rfqs/new/?factory={factory.pk}",
        {
            "category": category.pk,
            "title": "Oxford shirts",
            "quantity": 300,
            "ready_by": in_days(20).isoformat(),
        },
    )
    assert response.status_code == 302
    rfq = RFQ.objects.get(buyer=organization)
    assert rfq.directed_to == factory
    invitations = list(rfq.invitations.values_list("factory_id", "source"))
    assert invitations == [(factory.pk, RFQInvitation.Source.DIRECT)]
    # The matcher and the re-invite sweep leave it alone; no capacity is held.
    assert order_services.rfq_match(rfq_pk=rfq.pk) == 0
    assert not order_services.rfqs_needing_reinvite(now=rfq.created_at.replace(year=2099)).filter(
        pk=rfq.pk
    )
    assert capacity_summary(organization=factory) == before
    assert other.pk not in rfq.invitations.values_list("factory_id", flat=True)


def test_a_directed_rfq_must_be_in_a_category_the_factory_makes(factory, buyer):
    organization, user = buyer
    jeans = make_category("jeans")
    response = api_client(user, organization).post(
        "/api/v1/rfqs/",
        {
            "category": jeans.slug,
            "title": "Jeans",
            "quantity": 100,
            "ready_by": in_days(20).isoformat(),
            "factory": factory.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "category" in response.json()["errors"]
    assert not RFQ.objects.exists()


def test_the_api_sends_a_directed_rfq(category, factory, buyer):
    organization, user = buyer
    client = api_client(user, organization)
    unaudited, _owner = make_factory(category, verified=False)
    body = {"category": category.slug, "title": "Shirts", "quantity": 100}
    body["ready_by"] = in_days(20).isoformat()
    refused = client.post("/api/v1/rfqs/", {**body, "factory": unaudited.pk}, format="json")
    assert refused.status_code == 400
    assert "factory" in refused.json()["errors"]
    created = client.post("/api/v1/rfqs/", {**body, "factory": factory.pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["directed_to"] == factory.pk
    assert [item["factory"]["id"] for item in created.json()["matched_factories"]] == [factory.pk]


def test_a_buyer_keeps_favourites_with_htmx(factory, buyer):
    organization, user = buyer
    client = signed_in(user)
    showcase = client.get(f"/factories/{factory.pk}/").content.decode()
    assert "Add to favourites" in showcase
    added = client.post(f"/factories/{factory.pk}/favourite/", {"add": "1"}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert "In your favourites" in added.content.decode()
    row = FavouriteFactory.objects.get()
    assert (row.organization, row.factory) == (organization, factory)
    listing = client.get("/favourites/").content.decode()
    assert f'href="/factories/{factory.pk}/"' in listing
    assert "Ningbo Evergreen Garments" in listing
    removed = client.post(f"/factories/{factory.pk}/favourite/", {"add": "0"})
    assert removed.status_code == 302
    assert not FavouriteFactory.objects.exists()
    assert "No favourites yet" in client.get("/favourites/").content.decode()


def test_favourites_belong_to_the_buyer_organization(factory, buyer, django_assert_max_num_queries):
    organization, user = buyer
    other_buyer, _other_user = make_organization(Organization.Kind.BUYER)
    favourite_add(organization=other_buyer, factory=factory)
    assert "No favourites yet" in signed_in(user).get("/favourites/").content.decode()
    _factory_org, factory_user = make_factory(make_category("jeans"))
    assert signed_in(factory_user).get("/favourites/").status_code == 404
    for _index in range(3):
        extra, _owner = make_factory(make_category("shirts"))
        favourite_add(organization=organization, factory=extra)
    client = signed_in(user)
    with django_assert_max_num_queries(12):
        assert client.get("/favourites/").status_code == 200


def test_the_favourites_api(category, factory, buyer):
    organization, user = buyer
    client = api_client(user, organization)
    with nothing_changes(FavouriteFactory):
        assert client.post("/api/v1/favourite-factories/", {"factory": 999999}).status_code == 400
    added = client.post("/api/v1/favourite-factories/", {"factory": factory.pk}, format="json")
    assert added.status_code == 201
    assert added.json()["id"] == factory.pk
    again = client.post("/api/v1/favourite-factories/", {"factory": factory.pk}, format="json")
    assert again.status_code == 201
    listing = client.get("/api/v1/favourite-factories/").json()
    assert listing["count"] == 1
    assert listing["results"][0]["name"] == "Ningbo Evergreen Garments"
    other_buyer, other_user = make_organization(Organization.Kind.BUYER)
    other = api_client(other_user, other_buyer)
    assert other.get("/api/v1/favourite-factories/").json()["count"] == 0
    with nothing_changes(FavouriteFactory):
        assert other.delete(f"/api/v1/favourite-factories/{factory.pk}/").status_code == 404
    assert client.delete(f"/api/v1/favourite-factories/{factory.pk}/").status_code == 204
    with nothing_changes(FavouriteFactory):
        assert client.delete(f"/api/v1/favourite-factories/{factory.pk}/").status_code == 404


def test_the_rfq_page_links_invited_factories_to_their_showcases(category, factory, buyer):
    organization, user = buyer
    rfq = order_services.rfq_create(
        buyer=organization,
        acting_user=user,
        category=category,
        title="Shirts",
        quantity=100,
        ready_by=in_days(20),
        factory=factory,
    )
    html = signed_in(user).get(f"/rfqs/{rfq.pk}/").content.decode()
    assert f'<a href="/factories/{factory.pk}/">Ningbo Evergreen Garments</a>' in html
    assert "Chosen by you: only this factory is asked" in html
