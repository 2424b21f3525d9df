"""Managing a team: owners and admins change roles and remove people, anyone may leave, an
organization always keeps an owner (also when two owners act at once), the managers are
told, and an operator removes a member from the admin only with a reason on the audit log."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from marketplace import services
from marketplace.console.models import AuditEvent
from marketplace.exceptions import ConflictError, ForbiddenError
from marketplace.models import Membership, Notification, Organization
from tests.helpers import (
    add_member,
    api_client,
    connect_before_the_race,
    make_operator,
    make_organization,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def membership(organization, user) -> Membership:
    return Membership.objects.get(organization=organization, user=user)


def roles(organization) -> dict[str, str]:
    return dict(
        Membership.objects.filter(organization=organization).values_list("user__email", "role")
    )


def test_an_owner_changes_a_role_and_the_managers_are_told():
    buyer, owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.MEMBER)
    admin = add_member(buyer, Role.ADMIN)
    team = browser(owner).get("/team/").content.decode()
    assert f'action="/team/members/{membership(buyer, clerk).pk}/role/"' in team

    response = browser(owner).post(
        f"/team/members/{membership(buyer, clerk).pk}/role/", {"role": Role.FINANCE}
    )

    assert response.status_code == 302
    assert membership(buyer, clerk).role == Role.FINANCE
    told = Notification.objects.filter(organization=buyer).values_list("recipient", flat=True)
    assert set(told) == {owner.pk, admin.pk}  # the managers, not the clerk
    notice = Notification.objects.get(recipient=admin)
    assert notice.display_title == f"{clerk.email} is now Finance (changed by {owner.email})"


def test_an_admin_manages_members_but_never_an_owner_or_the_owner_role():
    buyer, owner = make_organization(Organization.Kind.BUYER)
    admin = add_member(buyer, Role.ADMIN)
    clerk = add_member(buyer, Role.MEMBER)
    before = roles(buyer)
    page = browser(admin).get("/team/").content.decode()
    assert f'action="/team/members/{membership(buyer, owner).pk}/role/"' not in page

    as_admin = browser(admin)
    promote = as_admin.post(
        f"/team/members/{membership(buyer, clerk).pk}/role/", {"role": Role.OWNER}
    )
    demote = as_admin.post(
        f"/team/members/{membership(buyer, owner).pk}/role/", {"role": Role.MEMBER}
    )
    remove = as_admin.post(f"/team/members/{membership(buyer, owner).pk}/remove/")

    assert [promote.status_code, demote.status_code, remove.status_code] == [403, 403, 403]
    assert roles(buyer) == before
    assert (
        as_admin.post(
            f"/team/members/{membership(buyer, clerk).pk}/role/", {"role": Role.SALES}
        ).status_code
        == 302
    )
    assert membership(buyer, clerk).role == Role.SALES


def test_a_plain_member_changes_nobody():
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.MEMBER)
    other = add_member(buyer, Role.MEMBER)
    before = roles(buyer)
    page = browser(clerk).get("/team/").content.decode()
    assert "/role/" not in page

    as_clerk = browser(clerk)
    role = as_clerk.post(f"/team/members/{membership(buyer, other).pk}/role/", {"role": "admin"})
    remove = as_clerk.post(f"/team/members/{membership(buyer, other).pk}/remove/")

    assert role.status_code == 302  # the page's own write-role check: a message, no change
    assert remove.status_code == 403
    assert roles(buyer) == before


def test_the_last_owner_can_neither_be_demoted_nor_leave():
    buyer, owner = make_organization(Organization.Kind.BUYER)
    own = membership(buyer, owner)
    client = browser(owner)

    demoted = client.post(
        f"/team/members/{own.pk}/role/", {"role": Role.MEMBER}, follow=True, HTTP_REFERER="/team/"
    )
    left = client.post(f"/team/members/{own.pk}/remove/", follow=True, HTTP_REFERER="/team/")

    assert "keeps at least one owner" in demoted.content.decode()
    assert "keeps at least one owner" in left.content.decode()
    assert membership(buyer, owner).role == Role.OWNER

    second = add_member(buyer, Role.MEMBER)
    client.post(f"/team/members/{membership(buyer, second).pk}/role/", {"role": Role.OWNER})
    assert client.post(f"/team/members/{own.pk}/remove/").status_code == 302
    assert roles(buyer) == {second.email: Role.OWNER}


def test_a_removed_member_sees_nothing_of_the_organization_any_more():
    buyer, owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.MEMBER)
    _other, _ = make_organization(Organization.Kind.BUYER)
    assert api_client(clerk).get("/api/v1/rfqs/").status_code == 200

    response = browser(owner).post(f"/team/members/{membership(buyer, clerk).pk}/remove/")

    assert response.status_code == 302
    assert not Membership.objects.filter(organization=buyer, user=clerk).exists()
    me = api_client(clerk).get("/api/v1/me/").json()
    assert me["memberships"] == []
    assert browser(clerk).get("/team/").status_code == 404
    notice = Notification.objects.get(recipient=owner)
    assert notice.display_title == (
        f"{clerk.email} no longer belongs to the organization (removed by {owner.email})"
    )


def test_a_member_leaves_and_the_managers_are_told():
    buyer, owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.PRODUCTION)

    response = browser(clerk).post(f"/team/members/{membership(buyer, clerk).pk}/remove/")

    assert response.status_code == 302
    assert roles(buyer) == {owner.email: Role.OWNER}
    assert Notification.objects.get(recipient=owner).display_title == (
        f"{clerk.email} left the organization"
    )


def test_another_organizations_member_is_a_404():
    _buyer, owner = make_organization(Organization.Kind.BUYER)
    other, stranger = make_organization(Organization.Kind.BUYER)
    theirs = membership(other, stranger)
    client = browser(owner)

    assert client.post(f"/team/members/{theirs.pk}/remove/").status_code == 404
    assert client.post(f"/team/members/{theirs.pk}/role/", {"role": "member"}).status_code == 404
    assert membership(other, stranger).role == Role.OWNER


def test_an_operator_removes_a_member_only_with_a_reason_on_the_audit_log(client):
    operator = make_operator()
    buyer, _owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.MEMBER)
    row = membership(buyer, clerk)
    client.force_login(operator)
    change_page = client.get(f"/admin/marketplace/membership/{row.pk}/change/").content.decode()
    assert f"/admin/marketplace/membership/{row.pk}/delete/" not in change_page

    asked = client.post(
        "/admin/marketplace/membership/", {"action": "remove", "_selected_action": [row.pk]}
    )
    assert asked.status_code == 200
    assert Membership.objects.filter(pk=row.pk).exists()

    done = client.post(
        "/admin/marketplace/membership/",
        {"action": "remove", "_selected_action": [row.pk], "apply": "1", "reason": "Left Acme"},
    )

    assert done.status_code == 302
    assert not Membership.objects.filter(pk=row.pk).exists()
    event = AuditEvent.objects.get(
        pgh_obj_model="marketplace.Membership", pgh_obj_id=str(row.pk), pgh_label="delete"
    )
    assert (event.operator, event.reason) == (operator, "Left Acme")


@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner():
    for _round in range(5):
        buyer, first = make_organization(Organization.Kind.BUYER)
        second = add_member(buyer, Role.OWNER)
        pairs = [(first, membership(buyer, second)), (second, membership(buyer, first))]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def remove(actor, target, barrier=barrier, outcomes=outcomes) -> None:
            try:
                connect_before_the_race(barrier)
                services.membership_remove(membership=target, acting_user=actor)
                outcomes.append("removed")
            except (ConflictError, ForbiddenError):  # the last owner, or no longer an owner
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=remove, args=pair) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(outcomes) == ["refused", "removed"]
        assert list(roles(buyer).values()) == [Role.OWNER]


def test_an_operator_changes_a_role_in_the_admin_through_the_same_rules(client):
    operator = make_operator()
    buyer, owner = make_organization(Organization.Kind.BUYER)
    clerk = add_member(buyer, Role.MEMBER)
    client.force_login(operator)

    def change(user, role, reason="Asked by the owner"):
        row = membership(buyer, user)
        return client.post(
            f"/admin/marketplace/membership/{row.pk}/change/", {"role": role, "reason": reason}
        )

    refused = change(owner, Role.MEMBER)
    assert refused.status_code == 200  # the form again, with the service's refusal
    assert "keeps at least one owner" in refused.content.decode()
    assert membership(buyer, owner).role == Role.OWNER

    assert change(clerk, Role.FINANCE).status_code == 302
    assert membership(buyer, clerk).role == Role.FINANCE
    event = AuditEvent.objects.get(
        pgh_obj_model="marketplace.Membership",
        pgh_obj_id=str(membership(buyer, clerk).pk),
        pgh_label="update",
    )
    assert (event.operator, event.reason) == (operator, "Asked by the owner")
    assert Notification.objects.filter(recipient=owner).count() == 1
