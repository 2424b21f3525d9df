"""Per-device request and per-organization reading budgets, one Redis round trip a request.

Fixed one-minute windows: INCRBY both counters and set their expiry in one pipeline. Over
budget is a 429 whose Retry-After is the time left in the window.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled

WINDOW = 60


def _client():
    return cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]


def telemetry_budget_take(*, device_pk: int, organization_pk: int, readings: int) -> None:
    now = time.time()
    window = int(now // WINDOW)
    retry_after = max(int((window + 1) * WINDOW - now), 1)
    # Keys made like the cache's own, so clearing the cache clears them too.
    device_key = cache.make_key(f"iot:rate:device:{device_pk}:{window}")
    organization_key = cache.make_key(f"iot:rate:org:{organization_pk}:{window}")
    pipe = _client().pipeline(transaction=False)
    pipe.incr(device_key)
    pipe.expire(device_key, WINDOW + 5)
    pipe.incrby(organization_key, readings)
    pipe.expire(organization_key, WINDOW + 5)
    requests, _expiry, organization_readings, _expiry2 = pipe.execute()
    if requests > settings.IOT_DEVICE_REQUESTS_PER_MINUTE:
        raise Throttled(
            wait=retry_after, detail=_("Too many requests from this device; slow down.")
        )
    if organization_readings > settings.IOT_ORGANIZATION_READINGS_PER_MINUTE:
        raise Throttled(
            wait=retry_after,
            detail=_("Your organization's telemetry budget for this minute is used up."),
        )
