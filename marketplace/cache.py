"""The Redis cache, made safe to clear.

Django's `RedisCache.clear()` runs FLUSHDB, which would also drop Celery's queued messages,
its results and the workers' heartbeats when they share a Redis database (as they do under
`make run` and in tests). This one deletes only keys written by the cache itself.

Django's client also builds a new `redis.Redis` for every operation (around its shared
connection pool); building one fills its table of ~170 response callbacks, which cost more
CPU than the command. A Redis client over a pool is thread-safe, so one per pool is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_DELETE_BATCH = 500


class ReusedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own private helpers (not in its type stubs).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class PrefixedRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        # Keys look like "<KEY_PREFIX>:<version>:<key>" (Django's default key function).
        pattern = f"{self.key_prefix}:[0-9]*" if self.key_prefix else "[0-9]*:*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=_DELETE_BATCH):
            batch.append(key)
            if len(batch) >= _DELETE_BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
