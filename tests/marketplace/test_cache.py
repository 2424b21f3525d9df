from django.conf import settings
from django.core.cache import cache
from redis import Redis


def test_clearing_the_cache_keeps_broker_and_heartbeat_keys():
    redis = Redis.from_url(settings.REDIS_URL)
    foreign = ["c2m:worker-heartbeat:test-cache-clear", "celery-task-meta-test-cache-clear"]
    for key in foreign:
        redis.set(key, "1", ex=60)
    cache.set("throttle-counter", 5)
    try:
        cache.clear()
        assert cache.get("throttle-counter") is None
        assert all(redis.exists(key) for key in foreign)
    finally:
        redis.delete(*foreign)
