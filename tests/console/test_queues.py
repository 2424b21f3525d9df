"""The admin index lists the work queues with their counts; each opens the filtered list
that shows exactly the counted rows. The index's query count does not grow with the data."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from factories.models import AuditSubmission, Certification
from marketplace.demo import DEMO_OPERATOR_TOTP_SECRET, demo_operator_recovery_codes
from marketplace.models import Organization
from tests.helpers import make_operator, make_organization

pytestmark = pytest.mark.django_db


def _queue_count(html: str, key: str) -> int:
    match = re.search(rf'class="queue-{key}".*?class="queue-count">(\d+)<', html, re.S)
    assert match, key
    return int(match.group(1))


def _queue_url(html: str, key: str) -> str:
    match = re.search(rf'class="queue-{key}">\s*<th scope="row"><a href="([^"]+)"', html)
    assert match, key
    return match.group(1).replace("&amp;", "&")


def _audits_and_certificates(count: int) -> None:
    today = timezone.localdate()
    for index in range(count):
        factory, owner = make_organization(Organization.Kind.FACTORY, verified=False)
        AuditSubmission.objects.create(
            organization=factory, legal_name=f"Factory {index}",
            business_registration_number=f"91330200MA{index:08d}", submitted_by=owner,
        )  # fmt: skip
        Certification.objects.create(
            organization=factory, name="ISO 9001", issuer="SGS", number=f"C-{index}",
            expires_on=today + datetime.timedelta(days=10 if index % 2 else 200),
        )  # fmt: skip


def test_queues_count_and_link_to_the_filtered_list(client):
    _audits_and_certificates(4)
    client.force_login(make_operator())
    index = client.get("/admin/").content.decode()
    assert _queue_count(index, "audits") == 4
    assert _queue_count(index, "certificates") == 2
    assert _queue_count(index, "disputes") == 0
    certificates = client.get(_queue_url(index, "certificates"))
    assert certificates.status_code == 200
    assert "2 certifications" in certificates.content.decode()
    audits = client.get(_queue_url(index, "audits"))
    assert "4 audit submissions" in audits.content.decode()
    transfers = client.get(_queue_url(index, "bank_transfers"))
    assert transfers.status_code == 200


def test_the_index_runs_the_same_queries_with_more_work_waiting(client):
    client.force_login(make_operator())
    _audits_and_certificates(1)
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/")
    _audits_and_certificates(6)
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_group_sees_only_its_queues(client):
    client.force_login(make_operator(superuser=False, groups=["content"]))
    index = client.get("/admin/").content.decode()
    assert "queue-disputes" not in index
    assert "queue-audits" not in index


def test_the_demo_operator_has_a_known_second_factor():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt
    from django.core.management import call_command

    call_command("seed_demo")
    totp = Authenticator.objects.get(
        user__email="operator@c2m.example", type=Authenticator.Type.TOTP
    )
    assert decrypt(totp.data["secret"]) == DEMO_OPERATOR_TOTP_SECRET
    assert len(demo_operator_recovery_codes()) == 10
