"""Finance's Celery tasks: each takes ids, loads fresh rows, calls one service, and is safe
to run twice (`acks_late`)."""

from __future__ import annotations

from celery import shared_task

from finance.services import stripe as stripe_services
from finance.services.credit import credit_flag_overdue
from finance.services.order_money import escrows_settle
from finance.services.reconciliation import ledger_invariants_check


@shared_task(acks_late=True)
def stripe_refund_send_task(refund_pk: int) -> str:
    return stripe_services.stripe_refund_send(refund_pk=refund_pk).status


@shared_task(acks_late=True)
def credit_flag_overdue_task() -> int:
    return credit_flag_overdue()


@shared_task(acks_late=True)
def ledger_invariants_check_task() -> int:
    return ledger_invariants_check()


@shared_task(acks_late=True)
def escrows_settle_task() -> int:
    return escrows_settle()
