"""The Celery app. Every periodic schedule of the project is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "purge-idempotency-records": {
        "task": "marketplace.tasks.idempotency_records_purge_task",
        "schedule": crontab(minute=17),
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
