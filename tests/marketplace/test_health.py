"""/healthz: 200 only when Postgres, Redis and a live Celery worker answer."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.celery_worker
def test_healthy_with_a_live_worker(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    # No beat runs in tests: named, but web, worker and the stores are what 503 depends on.
    assert body["status"] == "degraded"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": True,
        "beat": False,
    }
    assert body["checks"]["beat"]["detail"] == "no beat heartbeat"
    assert response["Cache-Control"].startswith("max-age=0")


def test_unavailable_and_names_the_worker_when_none_beats(client, settings):
    # Look where no worker beats (real workers of this run keep beating elsewhere).
    settings.WORKER_HEARTBEAT_KEY_PREFIX = "c2m:test-no-worker-here:"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"] == {"ok": False, "detail": "no worker heartbeat"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_unavailable_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False
    assert checks["worker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_a_worker_silent_for_three_intervals_counts_as_dead(client, settings):
    import time

    from redis import Redis

    settings.WORKER_HEARTBEAT_KEY_PREFIX = "c2m:test-stale-worker:"
    redis = Redis.from_url(settings.REDIS_URL)
    index = "c2m:test-stale-worker:@index"
    silent_for = settings.WORKER_HEARTBEAT_SECONDS * 3 + 1
    redis.zadd(index, {"gone@host": time.time() - silent_for})
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["worker"]["detail"] == "no worker heartbeat"
    finally:
        redis.delete(index)
