"""`Idempotency-Key` (shared/API.md): the same key and body replays the first response and
does nothing again; another body is 422; a retry while the first still runs is 409."""

import threading

import pytest
from django.core import mail
from django.db import connection

from marketplace.models import IdempotencyRecord, Invitation
from tests.helpers import api_client, make_organization
from tests.marketplace import urls_idempotency

INVITATIONS = "/api/v1/invitations/"


@pytest.mark.django_db
def test_same_key_and_body_replays_and_does_nothing_again(django_capture_on_commit_callbacks):
    organization, owner = make_organization("buyer")
    client = api_client(owner)
    body = {"email": "new.colleague@example.com", "role": "admin"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(INVITATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        second = client.post(INVITATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Invitation.objects.filter(organization=organization).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422_and_does_nothing():
    _organization, owner = make_organization("buyer")
    client = api_client(owner)
    client.post(INVITATIONS, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = client.post(
        INVITATIONS, {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert "detail" in response.json()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["a@example.com"]


@pytest.mark.django_db
def test_keys_are_per_user_and_absent_keys_are_not_recorded():
    _organization, owner = make_organization("buyer")
    _other_organization, other_owner = make_organization("buyer")
    body = {"email": "same@example.com"}
    mine = api_client(owner).post(INVITATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    theirs = api_client(other_owner).post(
        INVITATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    api_client(owner).post(INVITATIONS, {"email": "no-key@example.com"}, format="json")
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db
def test_validation_errors_are_replayed_too():
    _organization, owner = make_organization("buyer")
    client = api_client(owner)
    bad = {"email": "not-an-address"}
    first = client.post(INVITATIONS, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = client.post(INVITATIONS, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json() == {"errors": {"email": ["Enter a valid email address."]}}
    assert Invitation.objects.count() == 0


@pytest.mark.urls("tests.marketplace.urls_idempotency")
@pytest.mark.django_db(transaction=True)
def test_retry_while_the_first_request_runs_is_409_then_replays():
    _organization, owner = make_organization("buyer")
    urls_idempotency.slow_request_started.clear()
    urls_idempotency.slow_request_release.clear()
    url = "/test-only/slow-create/"
    first_response = {}

    def first_request():
        try:
            first_response["value"] = api_client(owner).post(
                url, {"n": 1}, format="json", HTTP_IDEMPOTENCY_KEY="slow"
            )
        finally:
            connection.close()  # this thread's own connection, or the test DB cannot be dropped

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert urls_idempotency.slow_request_started.wait(timeout=20)
        retry = api_client(owner).post(url, {"n": 1}, format="json", HTTP_IDEMPOTENCY_KEY="slow")
        assert retry.status_code == 409
        assert "in progress" in retry.json()["detail"]
    finally:
        urls_idempotency.slow_request_release.set()
        thread.join(timeout=30)
    assert first_response["value"].status_code == 201
    replay = api_client(owner).post(url, {"n": 1}, format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == {"created": True}
    # The refused retry left no record of its own: one key, one record.
    assert IdempotencyRecord.objects.filter(user=owner, key="slow").count() == 1
