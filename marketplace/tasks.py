from celery import shared_task

from marketplace import services


@shared_task(acks_late=True)
def idempotency_records_purge_task() -> int:
    return services.idempotency_records_purge()


@shared_task(acks_late=True)
def ping_task(value: int) -> int:
    """A trivial round trip, used to prove a live worker end to end."""
    return value + 1
