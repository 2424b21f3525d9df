"""The audit: submit evidence, an operator approves or rejects in Django admin."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from factories import services
from factories.models import AuditSubmission, FactoryProfile
from marketplace.models import Notification, Organization
from tests.factories.conftest import make_factory
from tests.helpers import make_user

pytestmark = pytest.mark.django_db


def licence() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, format="PNG")
    return SimpleUploadedFile("licence.png", buffer.getvalue())


def submit(organization, user) -> AuditSubmission:
    return services.audit_submit(
        organization=organization,
        acting_user=user,
        legal_name="Test Garments Co., Ltd.",
        business_registration_number="913302001234",
        evidence=[services.EvidenceInput(kind="business_registration", file=licence())],
    )


def admin_post(client, url, **decision):
    """Post the change form the way a browser does: its hidden inputs plus the decision."""
    page = client.get(url).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields.pop("csrfmiddlewaretoken", None)
    return client.post(url, {**fields, **decision})


@pytest.fixture
def operator_client(client):
    operator = make_user("ops@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    return client


def test_submission_requires_a_complete_profile_and_registration(category):
    factory, owner = make_factory([category], verified=False, description="")
    with pytest.raises(Exception, match="description"):
        submit(factory, owner)
    services.factory_profile_update(organization=factory, description="We sew")
    with pytest.raises(Exception, match="business registration"):
        services.audit_submit(
            organization=factory,
            acting_user=owner,
            legal_name="x",
            business_registration_number="1",
            evidence=[services.EvidenceInput(kind="photo", file=licence())],
        )
    assert not AuditSubmission.objects.exists()
    submit(factory, owner)
    assert FactoryProfile.objects.get(organization=factory).audit_status == "submitted"
    with pytest.raises(services.AuditStateError):
        submit(factory, owner)


def test_operator_approves_in_admin(category, operator_client):
    factory, owner = make_factory([category], verified=False)
    submission = submit(factory, owner)
    url = f"/admin/factories/auditsubmission/{submission.pk}/change/"
    assert operator_client.get(url).status_code == 200
    unexplained = admin_post(operator_client, url, decision="approve", decision_reason=" ")
    assert unexplained.status_code == 200  # every decision asks for a reason
    assert "Give the reason for this decision." in unexplained.content.decode()
    assert Organization.objects.get(pk=factory.pk).verified is False
    response = admin_post(
        operator_client, url, decision="approve", decision_reason="Licence checks out"
    )
    assert response.status_code == 302
    factory.refresh_from_db()
    submission.refresh_from_db()
    assert factory.verified is True
    assert submission.status == "approved"
    assert submission.reviewed_by.email == "ops@example.com"
    assert submission.decision_reason == "Licence checks out"
    assert Notification.objects.filter(organization=factory, recipient=owner).count() == 1


def test_operator_rejects_with_a_reason_and_history_is_kept(category, operator_client):
    factory, owner = make_factory([category], verified=False)
    submission = submit(factory, owner)
    url = f"/admin/factories/auditsubmission/{submission.pk}/change/"
    response = admin_post(operator_client, url, decision="reject", decision_reason="")
    assert response.status_code == 200  # the form asks for a reason
    submission.refresh_from_db()
    assert submission.status == "pending"
    admin_post(operator_client, url, decision="reject", decision_reason="Licence is blurred")
    submission.refresh_from_db()
    factory.refresh_from_db()
    assert submission.status == "rejected"
    assert submission.decision_reason == "Licence is blurred"
    assert factory.verified is False
    notice = Notification.objects.get(organization=factory)
    assert "Licence is blurred" in notice.display_body
    second = submit(factory, owner)
    assert AuditSubmission.objects.filter(organization=factory).count() == 2
    with pytest.raises(services.AuditStateError):
        services.audit_approve(submission=submission, reviewer=owner)
    services.audit_approve(submission=second, reviewer=owner)
    assert Organization.objects.get(pk=factory.pk).verified


def test_a_submission_decided_meanwhile_is_refused_on_the_form(category, operator_client):
    factory, owner = make_factory([category], verified=False)
    submission = submit(factory, owner)
    url = f"/admin/factories/auditsubmission/{submission.pk}/change/"
    operator_client.get(url)  # the form is open; someone else rejects meanwhile
    services.audit_reject(submission=submission, reviewer=owner, reason="Blurred licence")

    late = admin_post(operator_client, url, decision="approve", decision_reason="Looks fine")

    assert late.status_code == 200  # the form again, with the service's refusal on it
    assert "errornote" in late.content.decode()
    submission.refresh_from_db()
    assert submission.status == "rejected"
    assert Organization.objects.get(pk=factory.pk).verified is False


def test_non_staff_cannot_reach_the_audit_admin(category, client):
    factory, owner = make_factory([category], verified=False)
    submission = submit(factory, owner)
    client.force_login(owner)
    url = f"/admin/factories/auditsubmission/{submission.pk}/change/"
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    factory.refresh_from_db()
    assert factory.verified is False
