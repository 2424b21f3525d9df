"""`Organization.verified` changes through one service: the audit's approval and the
operators' admin action both call it."""

import pytest

from marketplace import services
from marketplace.models import Organization
from tests.helpers import make_organization, make_user

pytestmark = pytest.mark.django_db


def test_verification_set_reports_whether_it_changed():
    organization, owner = make_organization("service_provider", verified=False)
    assert services.organization_verification_set(
        organization=organization, verified=True, acting_user=owner, reason="checked"
    )
    assert Organization.objects.get(pk=organization.pk).verified is True
    assert organization.verified is True
    assert not services.organization_verification_set(
        organization=organization, verified=True, acting_user=owner, reason="again"
    )


def test_the_admin_change_form_cannot_edit_verified(client):
    organization, _owner = make_organization("factory", verified=False)
    operator = make_user("ops@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    url = f"/admin/marketplace/organization/{organization.pk}/change/"
    response = client.post(
        url,
        {
            "name": organization.name,
            "slug": organization.slug,
            "kind": "factory",
            "verified": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=organization.pk).verified is False
