"""Celery tasks of the batch matcher. Beat runs `batch_match_task`; it plans once and fans
the plan out in chunks of at least MIN_CHUNK_SIZE demands, never one task per demand."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from orders.matching import services

logger = logging.getLogger(__name__)

RUN_LOCK_KEY = "orders:batch-match:running"
RUN_LOCK_SECONDS = 15 * 60


@shared_task(acks_late=True)
def batch_match_task() -> int:
    """Beat: match all open RFQs without a factory and committed campaign demand; returns
    the demands dispatched."""
    if not cache.add(RUN_LOCK_KEY, 1, RUN_LOCK_SECONDS):
        return 0  # a run is still in progress; its plan covers the same demand
    try:
        plan = services.batch_match_plan()
        chunks = services.batch_match_chunks(plan=plan)
        logger.info(
            "batch match: %d open demands (%d units), %d matched (%d units) in %d chunks",
            plan.demands,
            plan.demanded_units,
            len(plan.assignments),
            plan.assigned_units,
            len(chunks),
        )
        for chunk in chunks:
            batch_match_apply_chunk_task.delay([a.as_payload() for a in chunk])
        return sum(len(chunk) for chunk in chunks)
    finally:
        cache.delete(RUN_LOCK_KEY)


@shared_task(acks_late=True)
def batch_match_apply_chunk_task(assignments: list[list]) -> int:
    """Invite the planned factory on each RFQ of the chunk; safe to run twice."""
    return services.batch_match_apply(
        assignments=[services.Assignment.from_payload(row) for row in assignments]
    )
