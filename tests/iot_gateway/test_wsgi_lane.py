"""POST /api/v1/telemetry/ through the WSGI application gunicorn serves (marketplace.wsgi),
whose lean handler runs only LEAN_MIDDLEWARE for it: same answers, errors and language."""

from __future__ import annotations

import io
import json
import wsgiref.util

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from marketplace.wsgi import application
from tests.iot_gateway.conftest import reading, stored_count

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # As Django's test client does: the handler's signals would close the connection that
    # holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def post(path: str, body: bytes, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **headers,
    }
    wsgiref.util.setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(response_headers)

    chunks = application(environ, start_response)
    content = b"".join(chunks)
    chunks.close()
    return answer["status"], answer["headers"], content


def test_a_batch_is_accepted_and_stored(fleet):
    body = json.dumps({"readings": [reading("temperature", 61.5)]}).encode()
    status, headers, content = post(
        "/api/v1/telemetry/", body, HTTP_AUTHORIZATION=f"Device {fleet.token}"
    )
    assert status == "202 Accepted"
    assert headers["Content-Type"] == "application/json"
    assert "Set-Cookie" not in headers
    assert json.loads(content) == {"accepted": 1, "stored": 1}
    assert stored_count(fleet.device) == 1


def test_a_missing_token_is_a_401_in_the_callers_language(fleet):
    body = json.dumps({"readings": [reading("temperature", 61.5)]}).encode()
    status, headers, content = post("/api/v1/telemetry/", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert status.startswith("401")
    assert headers["WWW-Authenticate"] == "Device"
    assert json.loads(content) == {"detail": "请发送设备令牌：Authorization: Device <token>。"}
    assert stored_count() == 0


def test_an_unknown_host_is_refused(fleet):
    body = json.dumps({"readings": [reading("temperature", 61.5)]}).encode()
    status, _headers, _content = post(
        "/api/v1/telemetry/",
        body,
        HTTP_AUTHORIZATION=f"Device {fleet.token}",
        HTTP_HOST="evil.example",
    )
    assert status.startswith("400")
    assert stored_count() == 0


def test_the_lean_lane_keeps_the_sites_order_of_middleware(settings):
    # LEAN_MIDDLEWARE is a choice among MIDDLEWARE, not a second list: each of its entries
    # is in MIDDLEWARE, in the same order, so a reordering of the site's list shows here.
    positions = [settings.MIDDLEWARE.index(name) for name in settings.LEAN_MIDDLEWARE]
    assert positions == sorted(positions)


def test_the_lean_lane_answers_with_the_security_headers(fleet):
    body = json.dumps({"readings": [reading("temperature", 61.5)]}).encode()
    _status, headers, _content = post(
        "/api/v1/telemetry/", body, HTTP_AUTHORIZATION=f"Device {fleet.token}"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
