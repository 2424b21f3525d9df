"""`make run`: migrate, load demo data, then web + Celery worker + beat until Ctrl-C."""

from __future__ import annotations

import contextlib
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
        # Each child leads its own process group, so stopping one also stops what it spawned
        # (runserver's autoreloader child, Celery's pool processes): no orphans hold the port.
        processes = {
            name: subprocess.Popen(
                command, env=environment, cwd=settings.BASE_DIR, start_new_session=True
            )
            for name, command in commands.items()
        }
        # Ctrl-C and `kill <pid>` stop everything; SIGINT is set explicitly because a shell
        # that starts us in the background leaves it ignored.
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        self._announce(port)
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web, worker and beat…")
        finally:
            _stop_all(processes)
        self.stdout.write("Stopped. The embedded PostgreSQL and Redis keep running for next time")
        self.stdout.write("(`make stop-embedded` stops them); your data stays in .data/.")

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


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop_all(processes: dict[str, subprocess.Popen]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes.values():
        # Celery does a warm shutdown on SIGTERM (running tasks finish, acks_late redelivers
        # what cannot); runserver and its reloader child stop on SIGTERM too.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for process in processes.values():
        # Whatever a child left behind in its group (a reloader child, a pool process).
        _signal_group(process, signal.SIGTERM)
    time.sleep(0.5)
    for process in processes.values():
        _signal_group(process, signal.SIGKILL)
