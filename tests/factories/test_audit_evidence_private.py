"""Audit evidence (business licences) is confidential: never under MEDIA_ROOT, downloadable
only by the factory's own members and by operators; anyone else gets the same 404."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from factories import services
from factories.models import AuditEvidence
from tests.factories.conftest import make_factory
from tests.factories.test_audit import licence
from tests.helpers import PASSWORD, make_organization, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(category) -> AuditEvidence:
    factory, owner = make_factory([category], verified=False)
    submission = services.audit_submit(
        organization=factory,
        acting_user=owner,
        legal_name="Test Garments Co., Ltd.",
        business_registration_number="913302001234",
        evidence=[services.EvidenceInput(kind="business_registration", file=licence())],
    )
    return submission.evidence.get()


def _client_for(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _url(evidence: AuditEvidence) -> str:
    return f"/factory/audit/evidence/{evidence.pk}/"


def test_evidence_is_stored_outside_media_root(evidence):
    stored = Path(evidence.file.path).resolve()
    assert Path(settings.PRIVATE_MEDIA_ROOT).resolve() in stored.parents
    assert Path(settings.MEDIA_ROOT).resolve() not in stored.parents


def test_owner_and_operator_can_download(evidence):
    owner = evidence.organization.memberships.get().user
    operator = make_user("ops-evidence@example.com")
    operator.is_staff = True
    operator.save()
    for user in (owner, operator):
        response = _client_for(user).get(_url(evidence))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_anonymous_is_sent_to_sign_in(evidence):
    response = Client().get(_url(evidence))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_other_organizations_get_404(evidence, category):
    _other_factory, other_owner = make_factory([category])
    _buyer, buyer_owner = make_organization("buyer")
    for user in (other_owner, buyer_owner):
        assert _client_for(user).get(_url(evidence)).status_code == 404


def test_missing_evidence_is_404_for_operator():
    operator = make_user("ops-missing@example.com")
    operator.is_staff = True
    operator.save()
    assert _client_for(operator).get("/factory/audit/evidence/999999/").status_code == 404
