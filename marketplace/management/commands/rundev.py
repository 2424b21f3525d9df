"""`make run`: migrate, load demo data, then web (gunicorn) + Celery worker + beat until
Ctrl-C, restarting any of them that dies (with backoff) while the others keep serving."""

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

from marketplace.demo import (
    DEMO_LOGINS,
    DEMO_OPERATOR_TOTP_SECRET,
    DEMO_PASSWORD,
    demo_operator_recovery_codes,
)

# A crashed process is restarted after 1, 2, 4 ... up to 30 seconds; a run of a minute
# without crashing resets the delay.
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0


class Command(BaseCommand):
    help = "Run the whole product locally: web (gunicorn), Celery worker and Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--skip-seed", action="store_true")
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Serve with Django's autoreloading development server instead of gunicorn.",
        )

    def handle(self, *args, port: int, skip_seed: bool, reload: bool, **options):
        if _port_in_use(port):
            raise CommandError(f"127.0.0.1:{port} is already in use; stop the other server first.")
        call_command("migrate", interactive=False, verbosity=1)
        if not skip_seed:
            call_command("seed_demo")
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        commands = _commands(port, reload=reload)
        supervised = {
            name: Supervised(name, command, environment) for name, command in commands.items()
        }
        # Ctrl-C and `kill <pid>` stop everything; SIGINT is set explicitly because a shell
        # that starts us in the background leaves it ignored.
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        for process in supervised.values():
            process.start()
        self._announce(port)
        try:
            while True:
                for process in supervised.values():
                    message = process.tend()
                    if message:
                        self.stderr.write(message)
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web, worker and beat…")
        finally:
            _stop_all([process.process for process in supervised.values() if process.process])
        self.stdout.write("Stopped. The embedded PostgreSQL and Redis keep running for next time")
        self.stdout.write("(`make stop-embedded` stops them); your data stays in .data/.")

    def _announce(self, port: int) -> None:
        lines = [
            "",
            f"  C2M Marketplace is starting at http://127.0.0.1:{port}/",
            f"  Health: http://127.0.0.1:{port}/healthz   API docs: http://127.0.0.1:{port}/api/docs/",
            f"  Demo logins (password for all: {DEMO_PASSWORD}):",
            *[f"    {email:32} {description}" for email, description in DEMO_LOGINS],
            "  The operator's second factor: TOTP secret "
            f"{DEMO_OPERATOR_TOTP_SECRET} (any authenticator app),",
            f"  or a recovery code (each works once): {' '.join(demo_operator_recovery_codes())}",
            "  Press Ctrl-C to stop web, worker and beat.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def _commands(port: int, *, reload: bool) -> dict[str, list[str]]:
    python = sys.executable
    if reload:
        web = [python, "manage.py", "runserver", f"127.0.0.1:{port}"]
    else:
        # The same server and settings as production (gunicorn.conf.py), on loopback.
        web = [
            python, "-m", "gunicorn", "marketplace.wsgi:application",
            "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        ]  # fmt: skip
    worker = [
        python, "-m", "celery", "-A", "marketplace", "worker",
        "-l", "info", "--concurrency", "2", "-n", "local@%h",
    ]  # fmt: skip
    beat = [
        python, "-m", "celery", "-A", "marketplace", "beat",
        "-l", "info", "-S", "django", "--pidfile=",
    ]  # fmt: skip
    # The demo equipment posting telemetry to the web server (iot_gateway.simulator).
    simulator = [
        python, "manage.py", "simulate_devices", "--base-url", f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    return {"web": web, "worker": worker, "beat": beat, "simulator": simulator}


class Supervised:
    """One child process, restarted with backoff whenever it exits on its own."""

    def __init__(self, name: str, command: list[str], environment: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.environment = environment
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.delay = BACKOFF_START
        self.restart_at: float | None = None

    def start(self) -> None:
        # Each child leads its own process group, so stopping one also stops what it
        # spawned (gunicorn's workers, Celery's pool processes): no orphans hold the port.
        self.process = subprocess.Popen(
            self.command, env=self.environment, cwd=settings.BASE_DIR, start_new_session=True
        )
        self.started_at = time.monotonic()

    def tend(self) -> str | None:
        """Called every half second: notices an exit, restarts when its delay is over."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now < self.restart_at:
                return None
            self.restart_at = None
            self.start()
            return f"{self.name} restarted (pid {self.process.pid})."
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        # Whatever it left behind in its group (a pool process of a killed Celery main).
        _signal_group(self.process, signal.SIGKILL)
        if now - self.started_at > STABLE_AFTER:
            self.delay = BACKOFF_START
        self.restart_at = now + self.delay
        message = f"{self.name} exited with code {code}; restarting in {self.delay:g} s."
        self.delay = min(self.delay * 2, BACKOFF_MAX)
        return message


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop_all(processes: list[subprocess.Popen]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes:
        # Celery does a warm shutdown on SIGTERM (running tasks finish, acks_late redelivers
        # what cannot); runserver and its reloader child stop on SIGTERM too.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for process in processes:
        # Whatever a child left behind in its group (a reloader child, a pool process).
        _signal_group(process, signal.SIGTERM)
    time.sleep(0.5)
    for process in processes:
        _signal_group(process, signal.SIGKILL)
