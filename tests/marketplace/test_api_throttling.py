"""API rate limits: anonymous callers by IP at the anon rate, signed-in ones at the user rate."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from marketplace.api.throttling import AnonRateThrottle
from tests.helpers import api_client, make_user

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/factories/filters/"


@pytest.fixture
def rates(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "4/min")
    cache.clear()


def test_anonymous_callers_are_held_to_the_anon_rate(rates):
    client = api_client()
    statuses = [client.get(PUBLIC).status_code for _attempt in range(3)]
    assert statuses == [200, 200, 429]


def test_signed_in_callers_are_held_to_the_user_rate_only(rates):
    client = api_client(make_user("steady@example.com"))
    statuses = [client.get(PUBLIC).status_code for _attempt in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def _throttle_keys() -> list[str]:
    """This cache's throttle keys (other test processes share the Redis database)."""
    client = cache._cache.get_client(None)
    return sorted(key.decode() for key in client.scan_iter(match=cache.make_key("throttle_*")))


def test_an_anonymous_request_is_counted_once(rates):
    """One counter, under the anon rate: not a second count under the user rate."""
    assert api_client().get(PUBLIC).status_code == 200
    keys = _throttle_keys()
    assert len(keys) == 1
    assert "throttle_anon_" in keys[0]


@pytest.fixture
def clock(monkeypatch):
    """The throttles' time, set by the test: starts at the beginning of a minute."""
    now = [60.0 * 29_000_000]
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now[0])
    return now


def test_refused_requests_are_not_counted_and_the_window_slides(rates, clock):
    client = api_client()
    statuses = [client.get(PUBLIC).status_code for _attempt in range(4)]
    assert statuses == [200, 200, 429, 429]
    # Half-way through the next minute, half of the last minute's two requests still count:
    # one more fits the limit of two (four would be counted had the refused ones counted).
    clock[0] += 90
    assert client.get(PUBLIC).status_code == 200
    assert client.get(PUBLIC).status_code == 429


def test_a_refused_caller_is_told_when_to_come_back(rates, clock):
    client = api_client()
    for _attempt in range(2):
        assert client.get(PUBLIC).status_code == 200
    refused = client.get(PUBLIC)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "90"
    clock[0] += 89
    assert client.get(PUBLIC).status_code == 429
    clock[0] += 1
    assert client.get(PUBLIC).status_code == 200


def test_requests_arriving_together_are_all_counted(monkeypatch):
    """Twenty threads at once against a limit of ten: exactly ten are let through (reading
    and writing a list of request times, two of them could read the same list)."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "10/min")
    cache.clear()
    request = RequestFactory().get(PUBLIC, REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    barrier = threading.Barrier(20)

    def attempt(_number: int) -> bool:
        throttle = AnonRateThrottle()
        barrier.wait()
        return throttle.allow_request(Request(request), None)

    with ThreadPoolExecutor(max_workers=20) as pool:
        allowed = list(pool.map(attempt, range(20)))
    assert allowed.count(True) == 10


def test_a_lower_user_rate_still_holds_anonymous_callers(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "5/min")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/min")
    cache.clear()
    client = api_client()
    statuses = [client.get(PUBLIC).status_code for _attempt in range(3)]
    assert statuses == [200, 200, 429]
