"""POST /api/v1/telemetry/: device auth, signing, all-or-nothing validation, dedup, limits."""

from __future__ import annotations

import datetime
import time
from unittest import mock

import pghistory.runtime
import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from iot_gateway import services
from iot_gateway.models import Device, DeviceCredential, RollupPending
from tests.helpers import api_client
from tests.iot_gateway.conftest import device_client, reading, register, signed_post, stored_count

pytestmark = pytest.mark.django_db


def test_batch_is_stored_and_a_replay_is_stored_once(fleet):
    client = device_client(fleet.token)
    body = {
        "readings": [
            reading("temperature", 70 + index, seconds_ago=60 - index) for index in range(50)
        ]
    }
    first = client.post("/api/v1/telemetry/", body, format="json")
    assert first.status_code == 202, first.content
    assert first.json() == {"accepted": 50, "stored": 50}
    again = client.post("/api/v1/telemetry/", body, format="json")
    assert again.json() == {"accepted": 50, "stored": 0}
    assert stored_count(fleet.device) == 50
    fleet.device.refresh_from_db()
    assert fleet.device.last_seen_at is not None


def test_duplicates_inside_one_batch_are_stored_once(fleet):
    same = reading("vibration", 2.5, seconds_ago=10)
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/", {"readings": [same, same]}, format="json"
    )
    assert response.json() == {"accepted": 2, "stored": 1}


def test_batches_of_two_devices_in_one_transaction_keep_their_own_readings(fleet):
    other, _issued = register(fleet.owner, fleet.owner_user, fleet.supplier, name="Press 2")
    now = timezone.now()
    with transaction.atomic():
        services.telemetry_ingest(
            device=fleet.device, readings=[reading("pressure", 7.5, seconds_ago=5, now=now)]
        )
        services.telemetry_ingest(
            device=other,
            readings=[reading("pressure", 3.2, seconds_ago=5, now=now)],
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT device_id, value FROM iot_gateway_reading ORDER BY device_id", [])
        assert cursor.fetchall() == [(fleet.device.pk, 7.5), (other.pk, 3.2)]


def test_a_batch_with_some_stored_readings_stores_and_marks_only_the_new_ones(fleet):
    client = device_client(fleet.token)
    now = (timezone.now() - datetime.timedelta(hours=2)).replace(minute=30)
    older = [reading("current", 4.0, seconds_ago=3600, now=now)]
    assert client.post("/api/v1/telemetry/", {"readings": older}, format="json").json() == {
        "accepted": 1,
        "stored": 1,
    }
    RollupPending.objects.all().delete()
    newer = reading("current", 4.5, seconds_ago=0, now=now)
    response = client.post("/api/v1/telemetry/", {"readings": [*older, newer]}, format="json")
    assert response.json() == {"accepted": 2, "stored": 1}
    assert stored_count(fleet.device) == 2
    assert list(RollupPending.objects.values_list("hour", flat=True)) == [
        now.replace(minute=0, second=0, microsecond=0)
    ]


def test_rollup_hours_of_a_batch_sent_with_an_offset_are_utc_hours(fleet):
    india = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    # 10:10 at +05:30 is 04:40 UTC: the hour to refresh starts at 04:00 UTC.
    moment = (timezone.now() - datetime.timedelta(hours=1)).astimezone(india)
    moment = moment.replace(minute=10, second=0, microsecond=0)
    body = {"readings": [{"metric": "pressure", "ts": moment.isoformat(), "value": 6.0}]}
    response = device_client(fleet.token).post("/api/v1/telemetry/", body, format="json")
    assert response.json() == {"accepted": 1, "stored": 1}
    utc = moment.astimezone(datetime.UTC)
    assert list(RollupPending.objects.values_list("device_id", "hour")) == [
        (fleet.device.pk, utc.replace(minute=0))
    ]
    fleet.device.refresh_from_db()
    assert fleet.device.last_reading_at == utc


def test_a_batch_is_stored_without_the_audit_context_statements(fleet):
    body = {"readings": [reading("temperature", 50)]}
    inject = mock.patch(
        "pghistory.runtime._inject_history_context",
        side_effect=pghistory.runtime._inject_history_context,
    )
    with inject as injected:
        response = device_client(fleet.token).post("/api/v1/telemetry/", body, format="json")
    assert response.status_code == 202
    assert injected.call_count == 0


def test_timestamps_in_every_accepted_form_are_stored_as_the_same_instants(fleet):
    moment = (timezone.now() - datetime.timedelta(minutes=30)).replace(microsecond=250000)
    forms = [
        moment.isoformat(),  # 2026-05-04T13:20:00.250000+00:00
        moment.replace(microsecond=0).isoformat(),  # without a fraction
        moment.isoformat().replace("+00:00", "Z"),
        moment.isoformat(sep=" "),
        moment.astimezone(datetime.timezone(datetime.timedelta(hours=-3))).isoformat(),
    ]
    readings = [
        {"metric": "vibration", "ts": form, "value": float(index)}
        for index, form in enumerate(forms)
    ]
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/", {"readings": readings}, format="json"
    )
    # The second form is another instant; the other four are one reading, stored once.
    assert response.json() == {"accepted": 5, "stored": 2}
    with connection.cursor() as cursor:
        cursor.execute("SELECT ts, value FROM iot_gateway_reading ORDER BY ts")
        assert cursor.fetchall() == [(moment.replace(microsecond=0), 1.0), (moment, 0.0)]


def test_an_empty_json_body_is_a_400_naming_readings(fleet):
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/", data=b"", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"readings": ["Send a non-empty list of readings."]}}


def test_a_form_encoded_body_is_a_400_in_the_api_format(fleet):
    response = device_client(fleet.token).post("/api/v1/telemetry/", {"readings": "1"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"readings": ["Send a non-empty list of readings."]}}
    assert stored_count() == 0


def test_invalid_json_is_a_400_and_a_missing_token_is_asked_for(fleet):
    bad = device_client(fleet.token).post(
        "/api/v1/telemetry/", data=b"{", content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"detail": "The body is not valid JSON."}
    anonymous = api_client().post("/api/v1/telemetry/", data=b"{", content_type="application/json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Device"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"metric": "warp_drive", "ts": None, "value": 1}, "unknown metric"),
        ({"metric": "temperature", "value": "inf"}, "finite number"),
        ({"metric": "temperature", "value": True}, "finite number"),
        ({"metric": "temperature", "value": 1, "ts": "2026-11-30T10:00:00"}, "UTC offset"),
        ({"metric": "temperature", "value": 1, "seconds_ago": 8 * 86400}, "too old"),
        ({"metric": "temperature", "value": 1, "seconds_ago": -3600}, "future"),
    ],
)
def test_a_bad_reading_refuses_the_whole_batch_naming_its_index(fleet, bad, reason):
    good = [reading("temperature", 60, seconds_ago=30 + index) for index in range(3)]
    faulty = reading("temperature", 1, seconds_ago=bad.pop("seconds_ago", 5))
    faulty.update(bad)
    if faulty.get("ts") is None:
        faulty["ts"] = good[0]["ts"]
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/", {"readings": [*good, faulty]}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["errors"]["readings"][0]
    assert message.startswith("Reading 3:")
    assert reason in message
    assert stored_count() == 0


def test_non_finite_json_number_is_a_400(fleet):
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/",
        data='{"readings": [{"metric": "temperature", "ts": "TS", "value": NaN}]}'.replace(
            "TS", reading("temperature", 1)["ts"]
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert stored_count() == 0


def test_too_many_readings_is_a_400(fleet, settings):
    settings.IOT_MAX_READINGS_PER_REQUEST = 3
    body = {"readings": [reading("temperature", 1, seconds_ago=index) for index in range(4)]}
    response = device_client(fleet.token).post("/api/v1/telemetry/", body, format="json")
    assert response.status_code == 400
    assert stored_count() == 0


@pytest.mark.parametrize("header", ["Device wrong-token", "Device", "Token abc", ""])
def test_wrong_token_is_401_and_nothing_stored(fleet, header):
    client = api_client()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 1)]}, format="json"
    )
    assert response.status_code == 401
    assert stored_count() == 0


def test_a_person_token_cannot_post_telemetry(fleet):
    client = api_client(fleet.owner_user, fleet.owner)
    response = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 1)]}, format="json"
    )
    assert response.status_code == 401
    assert stored_count() == 0


def test_another_devices_token_cannot_write_for_this_device(fleet):
    _other, issued = register(
        fleet.owner, fleet.owner_user, fleet.supplier, serial_number="OTHER-1"
    )
    body = {"device": fleet.device.serial_number, "readings": [reading("temperature", 1)]}
    response = device_client(issued.token).post("/api/v1/telemetry/", body, format="json")
    assert response.status_code == 401
    assert stored_count() == 0


def test_revoked_token_is_401(fleet):
    services.device_revoke(device=fleet.device, acting_user=fleet.owner_user)
    response = device_client(fleet.token).post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 1)]}, format="json"
    )
    assert response.status_code == 401
    assert stored_count() == 0


def test_a_token_the_process_remembers_is_refused_once_revoked(fleet):
    client = device_client(fleet.token)
    first = [reading("temperature", 1, seconds_ago=5)]
    assert client.post("/api/v1/telemetry/", {"readings": first}, format="json").status_code == 202
    with CaptureQueriesContext(connection) as queries:
        again = client.post(
            "/api/v1/telemetry/", {"readings": [reading("temperature", 2)]}, format="json"
        )
    assert again.status_code == 202
    assert not [q for q in queries if q["sql"].startswith("SELECT c.id, c.key_hash")]
    services.device_revoke(device=fleet.device, acting_user=fleet.owner_user)
    new = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 3)]}, format="json"
    )
    # A batch holding a stored reading takes the staged path: refused there too.
    replay = client.post(
        "/api/v1/telemetry/",
        {"readings": [*first, reading("temperature", 4, seconds_ago=1)]},
        format="json",
    )
    assert (new.status_code, replay.status_code) == (401, 401)
    assert new.json()["detail"] == "Invalid or revoked device token."
    assert stored_count() == 2


def test_a_remembered_token_that_now_belongs_to_another_credential_is_read_again(fleet):
    """The process remembered a credential that is gone (the database was reset and the
    demo seeded the same token again): the batch is stored for the token's device now."""
    client = device_client(fleet.token)
    body = {"readings": [reading("temperature", 1, seconds_ago=5)]}
    assert client.post("/api/v1/telemetry/", body, format="json").status_code == 202
    other, _issued = register(fleet.owner, fleet.owner_user, fleet.supplier, name="Press 2")
    old = DeviceCredential.objects.get(key_hash=DeviceCredential.hash_token(fleet.token))
    old.delete()
    DeviceCredential.objects.create(device=other, prefix=old.prefix, key_hash=old.key_hash)
    again = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 2)]}, format="json"
    )
    assert again.status_code == 202
    assert (stored_count(fleet.device), stored_count(other)) == (1, 1)


def test_a_device_that_must_now_sign_is_refused_unsigned_though_remembered(fleet):
    client = device_client(fleet.token)
    body = {"readings": [reading("temperature", 1, seconds_ago=5)]}
    assert client.post("/api/v1/telemetry/", body, format="json").status_code == 202
    Device.objects.filter(pk=fleet.device.pk).update(require_signature=True)  # in the admin
    unsigned = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 2)]}, format="json"
    )
    assert unsigned.status_code == 401
    assert unsigned.json()["detail"] == "This device must sign its requests."
    signed = signed_post(
        client, fleet.signing_secret, {"readings": [reading("temperature", 3, seconds_ago=1)]}
    )
    assert signed.status_code == 202
    assert stored_count() == 2


def test_rotation_keeps_the_old_token_for_the_grace_period_only(fleet, time_machine):
    issued = services.device_token_rotate(device=fleet.device, acting_user=fleet.owner_user)
    assert (
        device_client(fleet.token)
        .post(
            "/api/v1/telemetry/",
            {"readings": [reading("temperature", 1, seconds_ago=2)]},
            format="json",
        )
        .status_code
        == 202
    )
    time_machine.move_to(time.time() + 25 * 3600, tick=False)
    old = device_client(fleet.token).post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 2)]}, format="json"
    )
    new = device_client(issued.token).post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 3)]}, format="json"
    )
    assert (old.status_code, new.status_code) == (401, 202)
    assert stored_count() == 2


def test_tokens_are_stored_hashed(fleet):
    assert not DeviceCredential.objects.filter(key_hash=fleet.token).exists()
    assert (
        DeviceCredential.objects.filter(key_hash=DeviceCredential.hash_token(fleet.token)).count()
        == 1
    )
    assert len(fleet.token) >= 32


def test_signed_request_is_accepted_and_a_bad_signature_is_not(fleet):
    client = device_client(fleet.token)
    body = {"readings": [reading("temperature", 42, seconds_ago=3)]}
    assert signed_post(client, fleet.signing_secret, body).status_code == 202
    forged = signed_post(client, "not-the-secret", {"readings": [reading("temperature", 43)]})
    assert forged.status_code == 401
    assert stored_count() == 1


def test_replayed_signed_request_outside_the_window_is_401(fleet):
    client = device_client(fleet.token)
    body = {"readings": [reading("temperature", 42, seconds_ago=400)]}
    stale = signed_post(client, fleet.signing_secret, body, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    assert stored_count() == 0


def test_device_that_requires_signing_refuses_unsigned_requests(fleet):
    _device, issued = register(
        fleet.owner, fleet.owner_user, fleet.supplier, require_signature=True
    )
    client = device_client(issued.token)
    unsigned = client.post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 1)]}, format="json"
    )
    assert unsigned.status_code == 401
    assert (
        signed_post(
            client, issued.signing_secret, {"readings": [reading("temperature", 1)]}
        ).status_code
        == 202
    )


@override_settings(IOT_DEVICE_REQUESTS_PER_MINUTE=2)
def test_device_rate_limit_is_429_with_retry_after(fleet):
    client = device_client(fleet.token)
    codes = [
        client.post(
            "/api/v1/telemetry/",
            {"readings": [reading("temperature", n, seconds_ago=n)]},
            format="json",
        )
        for n in range(3)
    ]
    assert [response.status_code for response in codes] == [202, 202, 429]
    assert 1 <= int(codes[2]["Retry-After"]) <= 60
    assert stored_count() == 2


@override_settings(IOT_ORGANIZATION_READINGS_PER_MINUTE=5)
def test_organization_reading_budget_is_429(fleet):
    client = device_client(fleet.token)
    body = {"readings": [reading("temperature", n, seconds_ago=n) for n in range(4)]}
    assert client.post("/api/v1/telemetry/", body, format="json").status_code == 202
    more = {"readings": [reading("vibration", n, seconds_ago=n) for n in range(4)]}
    response = client.post("/api/v1/telemetry/", more, format="json")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert stored_count() == 4


def test_device_registration_api_needs_a_category_and_shows_the_token_once(fleet):
    owner = api_client(fleet.owner_user, fleet.owner)
    body = {
        "name": "Compressor 2",
        "serial_number": "C-2",
        "model": "AC-30",
        "supplier": fleet.supplier.slug,
        "installed_on": "2026-01-15",
        "region": "zhejiang",
    }
    before = Device.objects.count()
    missing = owner.post("/api/v1/devices/", body, format="json")
    assert missing.status_code == 400
    assert "category" in missing.json()["errors"]
    assert Device.objects.count() == before
    created = owner.post(
        "/api/v1/devices/", {**body, "category": fleet.device.category.slug}, format="json"
    )
    assert created.status_code == 201, created.content
    token = created.json()["credential"]["token"]
    device = Device.objects.get(serial_number="C-2")
    assert device.category == fleet.device.category
    assert token not in str(list(device.credentials.values()))
    assert (
        device_client(token)
        .post("/api/v1/telemetry/", {"readings": [reading("temperature", 20)]}, format="json")
        .status_code
        == 202
    )
