import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and idempotency markers live in Redis; tests must not share them.
    cache.clear()
