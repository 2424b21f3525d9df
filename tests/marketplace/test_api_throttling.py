"""API rate limits: anonymous callers by IP at the anon rate, signed-in ones at the user rate."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

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


def test_an_anonymous_request_is_counted_once(rates):
    """One read and one write of the cache: not a second count under the user rate."""
    with (
        mock.patch.object(cache, "get", wraps=cache.get) as reads,
        mock.patch.object(cache, "set", wraps=cache.set) as writes,
    ):
        assert api_client().get(PUBLIC).status_code == 200
    throttle_keys = [call.args[0] for call in reads.call_args_list if "throttle" in call.args[0]]
    assert len(throttle_keys) == 1
    assert len([call for call in writes.call_args_list if "throttle" in call.args[0]]) == 1


def test_a_lower_user_rate_still_holds_anonymous_callers(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "5/min")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/min")
    cache.clear()
    client = api_client()
    statuses = [client.get(PUBLIC).status_code for _attempt in range(3)]
    assert statuses == [200, 200, 429]
