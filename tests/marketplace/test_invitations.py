"""Invitations by email: the accept link, for the right person, once, before it expires."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace import services
from marketplace.exceptions import ForbiddenError
from marketplace.models import Invitation, Membership
from tests.helpers import add_member, make_organization, make_user

pytestmark = pytest.mark.django_db


def _invite(organization, owner, email="invitee@example.com", role="member"):
    return services.invitation_create(
        organization=organization, email=email, role=role, acting_user=owner
    )


def test_accepting_creates_the_membership_once():
    organization, owner = make_organization("factory")
    _invitation, token = _invite(organization, owner, role="admin")
    invitee = make_user("invitee@example.com")
    membership = services.invitation_accept(token=token, user=invitee)
    assert (membership.organization, membership.role) == (organization, "admin")
    with pytest.raises(ValidationError, match="invalid or has expired"):
        services.invitation_accept(token=token, user=invitee)
    assert Membership.objects.filter(user=invitee).count() == 1


def test_wrong_email_is_refused_and_nothing_changes():
    organization, owner = make_organization("buyer")
    invitation, token = _invite(organization, owner)
    stranger = make_user("stranger@example.com")
    with pytest.raises(ValidationError, match="another email address"):
        services.invitation_accept(token=token, user=stranger)
    assert not Membership.objects.filter(user=stranger).exists()
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_expired_invitation_is_refused():
    organization, owner = make_organization("buyer")
    invitation, token = _invite(organization, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invitee = make_user("invitee@example.com")
    with pytest.raises(ValidationError, match="invalid or has expired"):
        services.invitation_accept(token=token, user=invitee)
    assert not Membership.objects.filter(user=invitee).exists()


def test_only_owner_or_admin_can_invite_and_never_as_owner():
    organization, owner = make_organization("buyer")
    member = add_member(organization, "member")
    with pytest.raises(ForbiddenError):
        _invite(organization, member)
    with pytest.raises(ValidationError):
        _invite(organization, owner, role="owner")
    with pytest.raises(ValidationError):
        _invite(organization, owner, email=member.email)
    assert Invitation.objects.count() == 0


def test_the_emailed_link_joins_through_the_browser(client, django_capture_on_commit_callbacks):
    organization, owner = make_organization("buyer", name="Harbour Goods")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/team/", {"email": "Invitee@Example.com", "role": "member"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["invitee@example.com"]
    link = re.search(r"https?://\S+(/invitations/\S+/)", mail.outbox[0].body).group(1)

    anonymous = client.__class__()
    page = anonymous.get(link)
    assert page.status_code == 200
    assert "Harbour Goods" in page.content.decode()
    assert "/accounts/login/?next=" in page.content.decode()

    stranger = make_user("stranger@example.com")
    anonymous.force_login(stranger)
    warned = anonymous.get(link).content.decode()
    assert "but you are signed in as stranger@example.com" in warned
    assert "Accept invitation" not in warned
    refused = anonymous.post(link, follow=True)
    assert "another email address" in refused.content.decode()
    assert not Membership.objects.filter(user=stranger).exists()

    invitee = make_user("invitee@example.com")
    invitee_client = client.__class__()
    invitee_client.force_login(invitee)
    assert "Accept invitation" in invitee_client.get(link).content.decode()
    accepted = invitee_client.post(link)
    assert accepted.status_code == 302
    assert accepted["Location"] == "/dashboard/"
    assert Membership.objects.get(user=invitee).organization == organization
    assert invitee_client.get(link).status_code == 404  # used: the link is dead now


def test_team_page_lists_and_withdraws_pending_invitations(client):
    organization, owner = make_organization("buyer")
    invitation, token = _invite(organization, owner, email="later@example.com")
    client.force_login(owner)
    assert "later@example.com" in client.get("/team/").content.decode()
    response = client.post(f"/team/invitations/{invitation.pk}/revoke/", follow=True)
    assert "was withdrawn" in response.content.decode()
    assert client.get(f"/invitations/{token}/").status_code == 404


def test_members_without_the_role_cannot_invite_or_withdraw(client):
    organization, owner = make_organization("buyer")
    invitation, _token = _invite(organization, owner)
    member = add_member(organization, "member")
    client.force_login(member)
    page = client.get("/team/").content.decode()
    assert "Send invitation" not in page
    assert invitation.email not in page
    client.post("/team/", {"email": "sneaky@example.com", "role": "admin"})
    refused = client.post(
        f"/team/invitations/{invitation.pk}/revoke/", HTTP_REFERER="/team/", follow=True
    )
    assert refused.redirect_chain == [("/team/", 302)]
    assert "Only an owner or admin can change this." in refused.content.decode()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["invitee@example.com"]
    assert Invitation.objects.get(pk=invitation.pk).is_pending
