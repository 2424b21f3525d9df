"""Sending a Celery task after commit without letting a broker outage reach the request.

The row is already committed when the task is sent. If Redis is down or stalled, waiting
for it (the default publish has no socket timeout) hangs the request for the whole outage,
and raising from the on-commit callback turns a saved change into an error page. So the
send gets a short timeout of its own and a failure is logged, not raised: every task sent
this way names the periodic sweep that finds the same work from the database afterwards
(an RFQ never matched, a factory's figures never pushed), so nothing is lost.

The connections with that timeout come from a pool (kombu's process-wide registry, keyed by
the broker URL and the options): a hot path such as telemetry ingestion sends a task after
most requests, and a new broker connection each time (connect, select, ping) cost more
than the rest of the send. A connection that fails is closed and replaced by the pool.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery import Signature, Task
from django.conf import settings
from django.db import transaction
from kombu import pools

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | Signature, *args: Any, swept_by: str) -> None:
    """Send `task(*args)` once the current transaction commits; `swept_by` names the beat
    task that picks the work up if the broker cannot take it now. A service names its own
    app's task by a signature (`app.signature("app.tasks.x_task")`): it never imports tasks."""
    transaction.on_commit(functools.partial(_send, task, args, swept_by))


def _send(task: Task | Signature, args: tuple[Any, ...], swept_by: str) -> None:
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    try:
        # The registry builds the pool from this (unconnected) description once per URL
        # and options, and `pools.reset()` (after fork, or a test changing the URL) drops it.
        described = task.app.connection_for_write(
            connect_timeout=timeout,
            transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
        )
        with pools.connections[described].acquire(block=True, timeout=timeout) as connection:
            # ignore_result: nobody waits for it, and asking for it would subscribe to the
            # result channel in Redis, with the result backend's own (two-minute) timeout.
            task.apply_async(  # type: ignore[call-arg]
                args=args, connection=connection, retry=False, ignore_result=True
            )
    except Exception:
        logger.warning(
            "Broker unavailable: %s%r not sent now; %s will pick it up",
            task.name,
            args,
            swept_by,
            exc_info=True,
        )
