"""The Redis cache, made safe to clear.

Django's `RedisCache.clear()` runs FLUSHDB, which would also drop Celery's queued messages,
its results and the workers' heartbeats when they share a Redis database (as they do under
`make run` and in tests). This one deletes only keys written by the cache itself.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

_DELETE_BATCH = 500


class PrefixedRedisCache(RedisCache):
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
