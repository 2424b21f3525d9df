"""A web process (no Celery autodiscovery) can resolve every task services enqueue by name:
`notification_send` raised NotRegistered outside a worker."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tasks_enqueued_by_name_are_registered_in_a_fresh_web_process():
    script = (
        "import django; django.setup();"
        "import marketplace.urls;"
        "from marketplace import services; from marketplace.celery import app;"
        "names = [services.NOTIFICATION_EMAILS_TASK, services.NOTIFICATION_EMAILS_SWEEP_TASK];"
        "print(all(name in app.tasks for name in names))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "marketplace.settings.test", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr[-2000:]
