"""API rate limits."""

from __future__ import annotations

from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user rate, which also counts an anonymous request under its IP address,
    beside AnonRateThrottle: two more cache round trips on every anonymous request (the
    public capacity search's) for a limit the anon rate reaches first. So an anonymous
    request is left to the anon rate whenever that rate is the lower one over the same
    window (as configured); otherwise it is counted here too, as DRF does."""

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
