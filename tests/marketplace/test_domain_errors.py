"""Domain errors raised by services are mapped once per interface: API statuses in the API
error format, and pages' 404/403 or a message and a redirect back."""

import pytest
from django.contrib.messages import get_messages

from tests.helpers import make_organization

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.marketplace.urls_domain_errors")]


@pytest.fixture
def signed_in(client):
    _buyer, owner = make_organization("buyer")
    client.force_login(owner)
    return client


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("not-found", 404, {"detail": "No such thing."}),
        ("forbidden", 403, {"detail": "Not for your role."}),
        ("conflict", 409, {"detail": "Already shipped."}),
        ("invalid", 400, {"errors": {"quantity": ["Too many."]}}),
    ],
)
def test_the_api_maps_each_domain_error(signed_in, kind, status, body):
    response = signed_in.post(f"/api/v1/test-only/raise/{kind}/")
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.parametrize(("kind", "status"), [("not-found", 404), ("forbidden", 403)])
def test_pages_answer_not_found_and_forbidden(signed_in, kind, status):
    assert signed_in.post(f"/test-only/raise/{kind}/").status_code == status


@pytest.mark.parametrize(
    ("kind", "message"), [("conflict", "Already shipped."), ("invalid", "Too many.")]
)
def test_pages_turn_a_conflict_into_a_message_on_the_page_before(signed_in, kind, message):
    response = signed_in.post(f"/test-only/raise/{kind}/", HTTP_REFERER="http://testserver/team/")
    assert response.status_code == 303
    assert response["Location"] == "http://testserver/team/"
    assert [str(item) for item in get_messages(response.wsgi_request)] == [message]


def test_an_off_site_referer_is_not_followed(signed_in):
    response = signed_in.post(
        "/test-only/raise/conflict/", HTTP_REFERER="https://evil.example/phish"
    )
    assert response["Location"] == "/test-only/raise/conflict/"


def test_htmx_requests_are_sent_back_with_hx_redirect(signed_in):
    response = signed_in.post(
        "/test-only/raise/conflict/",
        HTTP_REFERER="http://testserver/team/",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "http://testserver/team/"
