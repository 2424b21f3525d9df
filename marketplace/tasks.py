"""Celery tasks for marketplace: each takes ids, calls one service, is safe to run twice."""

import logging
import smtplib

from celery import shared_task

from marketplace import services

logger = logging.getLogger(__name__)

# Errors worth retrying: the mail server or the network is down or slow for a while.
_MAIL_RETRY_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(acks_late=True)
def idempotency_records_purge_task() -> int:
    return services.idempotency_records_purge()


@shared_task(acks_late=True)
def ping_task(value: int) -> int:
    """A trivial round trip, used to prove a live worker end to end."""
    return value + 1


@shared_task(
    acks_late=True,
    autoretry_for=_MAIL_RETRY_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def notification_emails_send_task(notification_pks: list[int]) -> int:
    """Email each notification once (a row records that its email went out, so a retry or
    a redelivery sends only what is still unsent). Returns how many this run sent."""
    return sum(services.notification_email_send(notification_pk=pk) for pk in notification_pks)


@shared_task(acks_late=True)
def notification_emails_sweep_task() -> int:
    """Beat: send the notification emails whose task never ran or gave up. One that fails
    again is left for the next sweep."""
    sent = 0
    for pk in services.notification_emails_unsent():
        try:
            sent += services.notification_email_send(notification_pk=pk)
        except _MAIL_RETRY_ERRORS:
            logger.warning("Notification %d: email not sent, next sweep retries", pk, exc_info=True)
    return sent
