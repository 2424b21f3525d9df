"""The metric registry as the hot path sees it: name -> id from memory.

Each process keeps the map for `LOCAL_TTL` seconds; behind it sits the shared cache, dropped
whenever a metric changes (see `apps.py`), behind that one query. An unknown name forces one
refresh (at most every `MISS_REFRESH` seconds) so a metric added in the admin is accepted
at once without letting bad requests query the database each time.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

CACHE_KEY = "iot:metric-registry:v1"
LOCAL_TTL = 60.0
MISS_REFRESH = 5.0

_lock = threading.Lock()
_state: dict[str, object] = {"map": {}, "loaded_at": 0.0, "miss_refresh_at": 0.0}


def _load() -> dict[str, int]:
    from iot_gateway.models import Metric

    mapping = cache.get(CACHE_KEY)
    if mapping is None:
        mapping = dict(Metric.objects.values_list("name", "pk"))
        cache.set(CACHE_KEY, mapping, timeout=3600)
    return mapping


def metric_ids() -> dict[str, int]:
    now = time.monotonic()
    if now - float(_state["loaded_at"]) > LOCAL_TTL:  # type: ignore[arg-type]
        with _lock:
            _state["map"], _state["loaded_at"] = _load(), now
    return _state["map"]  # type: ignore[return-value]


def metric_ids_after_miss() -> dict[str, int]:
    """Called when a name is unknown: refresh once in a while, then answer."""
    now = time.monotonic()
    if now - float(_state["miss_refresh_at"]) > MISS_REFRESH:  # type: ignore[arg-type]
        with _lock:
            _state["map"], _state["loaded_at"], _state["miss_refresh_at"] = _load(), now, now
    return _state["map"]  # type: ignore[return-value]


def registry_changed() -> None:
    cache.delete(CACHE_KEY)
    _state["loaded_at"] = 0.0
