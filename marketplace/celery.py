"""The Celery app. Every periodic schedule of the project is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["orders.matching"])  # orders/matching/tasks.py (the batch matcher)

app.conf.beat_schedule = {
    "purge-idempotency-records": {
        "task": "marketplace.tasks.idempotency_records_purge_task",
        "schedule": crontab(minute=17),
    },
    "notification-emails-sweep": {
        "task": "marketplace.tasks.notification_emails_sweep_task",
        "schedule": crontab(minute="*/10"),
    },
    # Factories: release expired holds; roll the 30-day window and flag stale calendars;
    # flag expired certificates; recompute capacity-derived performance figures.
    "factories-expire-holds": {
        "task": "factories.tasks.reservations_expire_task",
        "schedule": crontab(minute="*/5"),
    },
    "factories-capacity-daily": {
        "task": "factories.tasks.capacity_daily_task",
        "schedule": crontab(hour=0, minute=10),
    },
    # Factories: the free-capacity read model against the calendar (repairs and alarms).
    "factories-capacity-lines-check": {
        "task": "factories.tasks.capacity_lines_check_task",
        "schedule": crontab(minute=43),
    },
    "factories-certifications-expired": {
        "task": "factories.tasks.certifications_flag_expired_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "factories-performance-refresh": {
        "task": "factories.tasks.factory_performance_refresh_all_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # Orders: match RFQs saved while the broker was down (their own task never arrived).
    "orders-match-missed-rfqs": {
        "task": "orders.tasks.rfqs_match_missed_task",
        "schedule": crontab(minute="*/2"),
    },
    # Orders: invite the next factories on RFQs nobody quoted (and expire stale RFQs).
    "orders-reinvite-stale-rfqs": {
        "task": "orders.tasks.rfqs_reinvite_task",
        "schedule": crontab(minute="*/15"),
    },
    # Orders: confirm receipt after ORDERS_AUTO_CONFIRM_DAYS, complete after the dispute window.
    "orders-auto-step": {
        "task": "orders.tasks.orders_auto_step_task",
        "schedule": crontab(minute=7),
    },
    "orders-remind-overdue": {
        "task": "orders.tasks.orders_remind_overdue_task",
        "schedule": crontab(minute=37),
    },
    "orders-performance-push": {
        "task": "orders.tasks.factories_performance_push_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Customization: batch identical modules of open orders (also queued when an order
    # made from a design is placed).
    "customization-massing": {
        "task": "customization.tasks.massing_all_task",
        "schedule": crontab(minute=45),
    },
    # Customization: campaigns past their deadline become an order or refund every pledge.
    "customization-campaigns-close": {
        "task": "customization.tasks.campaigns_close_due_task",
        "schedule": crontab(minute="*/5"),
    },
    # Customization: popular configurations and "buyers who chose X also chose Y".
    "customization-recommendations": {
        "task": "customization.tasks.recommendations_refresh_task",
        "schedule": crontab(hour=2, minute=25),
    },
    # Orders: batch matcher, all open RFQs without a factory against all free capacity.
    "orders-batch-match": {
        "task": "orders.matching.tasks.batch_match_task",
        "schedule": crontab(minute="*/10"),
    },
    # Equipment: partitions ahead/expired, rollups, heartbeat sweep, evaluation catch-up,
    # alarm escalation, predicted failures.
    "iot-partitions-maintain": {
        "task": "iot_gateway.tasks.partitions_maintain_task",
        "schedule": crontab(minute=5),
    },
    "iot-rollups-refresh": {
        "task": "iot_gateway.tasks.rollups_refresh_task",
        "schedule": crontab(minute="*"),
    },
    "iot-heartbeats-sweep": {
        "task": "iot_gateway.tasks.heartbeats_sweep_task",
        "schedule": crontab(minute="*"),
    },
    "iot-rules-catch-up": {
        "task": "iot_gateway.tasks.rules_catch_up_task",
        "schedule": crontab(minute="*"),
    },
    "iot-alarms-escalate": {
        "task": "iot_gateway.tasks.alarms_escalate_task",
        "schedule": crontab(minute="*/5"),
    },
    "iot-leads-missing-sweep": {
        "task": "iot_gateway.tasks.leads_missing_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    "iot-predictions-run": {
        "task": "iot_gateway.tasks.predictions_run_task",
        "schedule": crontab(minute=20),
    },
    # Finance: flag overdue credit (blocks new draws, reminds the buyer); check the ledger's
    # invariants and alert operators on any imbalance.
    "finance-credit-overdue": {
        "task": "finance.tasks.credit_flag_overdue_task",
        "schedule": crontab(hour=1, minute=5),
    },
    "finance-escrows-settle": {
        "task": "finance.tasks.escrows_settle_task",
        "schedule": crontab(minute=47),
    },
    "finance-ledger-invariants": {
        "task": "finance.tasks.ledger_invariants_check_task",
        "schedule": crontab(hour=4, minute=15),
    },
}


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    from marketplace.health import start_worker_heartbeat

    start_worker_heartbeat(getattr(sender, "hostname", None))


@worker_shutdown.connect
def _stop_heartbeat(sender=None, **kwargs):
    from marketplace.health import stop_worker_heartbeat

    stop_worker_heartbeat(getattr(sender, "hostname", None))


@beat_init.connect
def _start_beat_heartbeat(sender=None, **kwargs):
    from marketplace.health import start_beat_heartbeat

    start_beat_heartbeat()
