"""`make run`: migrate, load demo data, then web + Celery worker + beat until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from marketplace.demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Run the whole product locally: web, Celery worker and Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--skip-seed", action="store_true")

    def handle(self, *args, port: int, skip_seed: bool, **options):
        if _port_in_use(port):
            raise CommandError(f"127.0.0.1:{port} is already in use; stop the other server first.")
        call_command("migrate", interactive=False, verbosity=1)
        if not skip_seed:
            call_command("seed_demo")
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-n",
                "local@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "beat",
                "-l",
                "info",
                "-S",
                "django",
                "--pidfile=",
            ],
        }
        processes = {
            name: subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR)
            for name, command in commands.items()
        }
        self._announce(port)
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web, worker and beat…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _announce(self, port: int) -> None:
        lines = [
            "",
            f"  C2M Marketplace is starting at http://127.0.0.1:{port}/",
            f"  Health: http://127.0.0.1:{port}/healthz   API docs: http://127.0.0.1:{port}/api/docs/",
            f"  Demo logins (password for all: {DEMO_PASSWORD}):",
            *[f"    {email:32} {description}" for email, description in DEMO_LOGINS],
            "  Press Ctrl-C to stop web, worker and beat.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
