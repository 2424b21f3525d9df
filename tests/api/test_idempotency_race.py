"""Two requests with one Idempotency-Key at once, where the first fails.

Seen against the live API under schemathesis (two workers): request B's insert of the key
collided with request A's; A then failed (404) and released the key; B looked the key up,
found nothing, and answered 500 (IdempotencyRecord.DoesNotExist). The interleaving is
reproduced deterministically here: B's insert collides with a record that is gone by the
time B reads it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import IntegrityError

from marketplace.models import IdempotencyRecord, Organization
from tests.helpers import api_client, make_organization

pytestmark = pytest.mark.django_db


def test_key_released_by_a_failed_first_request_is_claimed_by_the_second():
    _organization, owner = make_organization(Organization.Kind.BUYER)
    client = api_client(owner)
    create = IdempotencyRecord.objects.create
    calls = {"n": 0}

    def collide_once(**fields):
        calls["n"] += 1
        if calls["n"] == 1:
            raise IntegrityError('duplicate key value violates unique constraint "unique_key"')
        return create(**fields)

    with mock.patch.object(IdempotencyRecord.objects, "create", side_effect=collide_once):
        response = client.post(
            "/api/v1/invitations/",
            {"email": "colleague@example.com"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="race-1",
        )
    assert response.status_code == 201, response.content[:300]
    record = IdempotencyRecord.objects.get(user=owner, key="race-1")
    assert record.response_status == 201
