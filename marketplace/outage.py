"""What a request answers when a part it depends on (PostgreSQL, Redis, the broker) fails.

A failing part is not the client's fault and not a bug of ours: the answer is 503 with
`Retry-After`, so that clients and proxies back off and come back, never a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerError,
    TimeoutError,
    ConnectionError,
)


def is_dependency_failure(error: BaseException | None) -> bool:
    return isinstance(error, DEPENDENCY_ERRORS)


def retry_after_seconds() -> int:
    return settings.SERVICE_UNAVAILABLE_RETRY_AFTER
