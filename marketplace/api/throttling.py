"""API rate limits: DRF's throttles (anon, user, scoped), counted in Redis in one round trip.

DRF's `SimpleRateThrottle` keeps each caller's request times as a pickled list: a cache GET
and a SET per request, a list as long as the rate (2,000 timestamps for a signed-in
integration at the user rate), and two requests arriving together both read the same list
and one of them goes uncounted. `CountedRateThrottle` keeps two counters per caller
instead, this window's and the last one's, and estimates the requests of the last
`duration` seconds as this window's count plus the last window's weighted by how much of
it still lies inside (the "sliding window counter"). One pipelined round trip increments
this window's counter (atomically: parallel requests are all counted) and reads the last
one's; a refused request takes its count back, as DRF does not count it either.
docs/adr/0005-capacity-read-model.md ("Fourth pass").
"""

from __future__ import annotations

import math

from rest_framework import throttling


class CountedRateThrottle(throttling.SimpleRateThrottle):
    """`SimpleRateThrottle` with the sliding window counter; subclasses say whom to count
    (`get_cache_key`) and at which rate, as DRF's do."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = self.duration
        number = math.floor(self.now / window)
        self._elapsed = self.now - number * window
        current = self.cache.make_and_validate_key(f"{self.key}:{number}")
        previous = self.cache.make_and_validate_key(f"{self.key}:{number - 1}")
        client = self.cache._cache.get_client(current, write=True)  # Django's Redis client
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(current)
        pipeline.expire(current, 2 * window + 1)
        pipeline.get(previous)
        self._count, _expiry, before = pipeline.execute()
        self._before = int(before or 0)
        if self._estimate(self._count, self._elapsed) <= self.num_requests:
            return True
        client.decr(current)
        self._count -= 1
        return False

    def _estimate(self, count: int, elapsed: float) -> float:
        """The requests of the last `duration` seconds, with `count` in this window."""
        return count + self._before * (self.duration - elapsed) / self.duration

    def wait(self) -> float:
        """Seconds until a request would be let through again."""
        window, limit = self.duration, self.num_requests
        room = limit - self._count - 1  # requests of this window still allowed, besides it
        if room >= 0 and self._before:
            # The last window's weight has to fall until the estimate leaves room for one.
            return max(window - self._elapsed - room * window / self._before, 0.0)
        if room >= 0:
            return 0.0
        # This window alone is full: in the next, it is the last window, weighing less as
        # that one goes on.
        after = window - (limit - 1) * window / self._count if self._count else 0.0
        return (window - self._elapsed) + max(after, 0.0)


class AnonRateThrottle(throttling.AnonRateThrottle, CountedRateThrottle):
    """Anonymous callers by address, at the anon rate."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, CountedRateThrottle):
    """A view's own scope (`throttle_scope`), at that scope's rate."""


class UserRateThrottle(throttling.UserRateThrottle, CountedRateThrottle):
    """DRF's per-user rate, which also counts an anonymous request under its IP address,
    beside AnonRateThrottle: another count on every anonymous request (the public capacity
    search's) for a limit the anon rate reaches first. So an anonymous request is left to
    the anon rate whenever that rate is the lower one over the same window (as configured);
    otherwise it is counted here too, as DRF does."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated) and self._anon_rate_binds():
            return None
        return super().get_cache_key(request, view)

    def _anon_rate_binds(self) -> bool:
        anon = self.THROTTLE_RATES.get("anon")
        if not anon or self.num_requests is None:
            return False
        requests, duration = self.parse_rate(anon)
        return duration == self.duration and requests <= self.num_requests
