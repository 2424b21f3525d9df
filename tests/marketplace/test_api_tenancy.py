"""The scoped API base: another organization's row is a 404, roles and kinds are enforced,
and the organization a call acts for comes from X-Organization, the session, or the only
membership."""

import pytest
from django.utils import timezone

from marketplace import services
from marketplace.models import Invitation, Membership, Notification, Organization
from tests.helpers import (
    add_member,
    api_client,
    assert_other_organization_gets_404,
    make_organization,
    make_user,
)

pytestmark = pytest.mark.django_db


def _invite(organization: Organization, owner, email: str = "guest@example.com") -> Invitation:
    invitation, _token = services.invitation_create(
        organization=organization, email=email, role="member", acting_user=owner
    )
    return invitation


def _expires_at(invitation: Invitation):
    return Invitation.objects.get(pk=invitation.pk).expires_at


def test_revoking_another_organizations_invitation_is_404_and_changes_nothing():
    theirs, their_owner = make_organization("factory")
    invitation = _invite(theirs, their_owner)
    _mine, my_owner = make_organization("buyer")
    assert_other_organization_gets_404(
        api_client(my_owner),
        "delete",
        f"/api/v1/invitations/{invitation.pk}/",
        unchanged=lambda: _expires_at(invitation),
    )


def test_missing_and_foreign_ids_get_the_same_answer():
    theirs, their_owner = make_organization("buyer")
    invitation = _invite(theirs, their_owner)
    _mine, my_owner = make_organization("buyer")
    client = api_client(my_owner)
    foreign = client.delete(f"/api/v1/invitations/{invitation.pk}/")
    missing = client.delete(f"/api/v1/invitations/{invitation.pk + 1000}/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


def test_invitation_revoke_with_four_clients():
    organization, owner = make_organization("buyer")
    invitation = _invite(organization, owner)
    member = add_member(organization, Membership.Role.MEMBER)
    admin = add_member(organization, Membership.Role.ADMIN)
    _other, outsider = make_organization("buyer")
    url = f"/api/v1/invitations/{invitation.pk}/"
    before = _expires_at(invitation)

    assert api_client().delete(url).status_code == 401
    assert api_client(outsider).delete(url).status_code == 404
    assert api_client(member).delete(url).status_code == 403
    assert _expires_at(invitation) == before

    assert api_client(admin).delete(url).status_code == 204
    withdrawn_at = _expires_at(invitation)
    assert withdrawn_at <= timezone.now()
    assert api_client(admin).get("/api/v1/invitations/").json()["count"] == 0
    # Withdrawing it again conflicts with its state.
    assert api_client(admin).delete(url).status_code == 409
    assert _expires_at(invitation) == withdrawn_at


def test_invitation_list_is_paginated_and_scoped():
    organization, owner = make_organization("buyer")
    _invite(organization, owner, "a@example.com")
    _invite(organization, owner, "b@example.com")
    other, other_owner = make_organization("buyer")
    _invite(other, other_owner, "c@example.com")
    body = api_client(owner).get("/api/v1/invitations/").json()
    assert body["count"] == 2
    assert set(body) == {"count", "next", "previous", "results"}
    assert {row["email"] for row in body["results"]} == {"a@example.com", "b@example.com"}


def _notify(organization: Organization, title: str) -> None:
    services.notification_send(organization=organization, title=title, email=False)


def test_notifications_follow_x_organization():
    buyer, person = make_organization("buyer", name="Buyer Side")
    factory, _factory_owner = make_organization("factory", name="Factory Side")
    Membership.objects.create(user=person, organization=factory, role="member")
    _notify(buyer, "Quote received")
    _notify(factory, "New RFQ matched")
    _notify(factory, "Capacity almost full")

    assert api_client(person).get("/api/v1/notifications/").status_code == 400
    as_buyer = api_client(person, buyer).get("/api/v1/notifications/").json()
    as_factory = api_client(person, factory).get("/api/v1/notifications/").json()
    assert [row["title"] for row in as_buyer["results"]] == ["Quote received"]
    assert {row["title"] for row in as_factory["results"]} == {
        "New RFQ matched",
        "Capacity almost full",
    }


def test_marking_someone_elses_notification_read_is_404():
    organization, owner = make_organization("buyer")
    colleague = add_member(organization)
    _notify(organization, "Order shipped")
    colleagues_copy = Notification.objects.get(recipient=colleague)
    assert_other_organization_gets_404(
        api_client(owner),
        "post",
        f"/api/v1/notifications/{colleagues_copy.pk}/read/",
        unchanged=lambda: Notification.objects.get(pk=colleagues_copy.pk).read_at,
    )
    other, outsider = make_organization("buyer")
    assert_other_organization_gets_404(
        api_client(outsider, other),
        "post",
        f"/api/v1/notifications/{colleagues_copy.pk}/read/",
        unchanged=lambda: Notification.objects.get(pk=colleagues_copy.pk).read_at,
    )


def test_mark_read_and_read_all():
    organization, owner = make_organization("buyer")
    for title in ("One", "Two", "Three"):
        _notify(organization, title)
    client = api_client(owner)
    first = Notification.objects.filter(recipient=owner).order_by("pk").first()
    response = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0


def test_session_choice_is_used_by_the_api_and_a_stale_one_falls_back(client):
    buyer, person = make_organization("buyer")
    factory, _ = make_organization("factory")
    membership = Membership.objects.create(user=person, organization=factory, role="member")
    _notify(factory, "For the factory")
    client.force_login(person)
    client.post("/organization/switch/", {"organization": factory.slug})
    titles = [row["title"] for row in client.get("/api/v1/notifications/").json()["results"]]
    assert titles == ["For the factory"]
    # Removed from the factory: the session's choice is stale, the only membership remains.
    membership.delete()
    assert client.get("/api/v1/notifications/").json()["count"] == 0
    assert client.get("/api/v1/notifications/").status_code == 200
    assert buyer.memberships.filter(user=person).exists()


def test_member_of_no_organization_is_403_on_scoped_endpoints():
    loner = make_user()
    assert api_client(loner).get("/api/v1/notifications/").status_code == 403


def test_a_scoped_list_costs_four_queries_whatever_its_length(django_assert_num_queries):
    organization, owner = make_organization("buyer")
    client = api_client(owner)
    client.get("/api/v1/notifications/")  # first use of the key records last_used_at
    for title in ("One", "Two", "Three"):
        _notify(organization, title)
    # Token + verified-email check (1), memberships (1), page count (1), page rows (1).
    with django_assert_num_queries(4):
        assert client.get("/api/v1/notifications/").json()["count"] == 3
    for number in range(20):
        _notify(organization, f"More {number}")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/notifications/").json()["count"] == 23
