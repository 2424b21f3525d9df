"""`manage.py simulate_devices`: the demo equipment posts telemetry over HTTP (see
`iot_gateway.simulator`). `make run` starts it with the web server, worker and beat."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from iot_gateway import demo, selectors
from iot_gateway.simulator import Simulator, TickResult, run


class Command(BaseCommand):
    help = "Post realistic telemetry for the demo devices over HTTP, with their own tokens."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="Seconds between batches (>= 1)."
        )
        parser.add_argument(
            "--sample-seconds", type=int, default=5, help="Seconds between two samples."
        )
        bounds = parser.add_mutually_exclusive_group()
        bounds.add_argument("--once", action="store_true", help="Post one batch each and stop.")
        bounds.add_argument("--ticks", type=int, help="Post this many rounds of batches.")

    def handle(self, *args, base_url, interval, sample_seconds, once, ticks, **options):
        if interval < 1 or sample_seconds < 1:
            raise CommandError("--interval and --sample-seconds must be at least 1.")
        if ticks is not None and ticks < 1:
            raise CommandError("--ticks must be at least 1.")
        ticks = 1 if once else ticks
        specs = self._wait_for_devices(forever=ticks is None, interval=interval)
        names = ", ".join(spec.name for spec in specs)
        self.stdout.write(f"Simulating {names} -> {base_url} every {interval:g}s")
        simulator = Simulator(
            base_url=base_url,
            devices=specs,
            started_at=timezone.now(),
            sample_seconds=sample_seconds,
        )
        run(
            simulator,
            ticks=ticks,
            interval=interval,
            clock=timezone.now,
            sleep=time.sleep,
            report=self._report,
        )

    def _wait_for_devices(self, *, forever: bool, interval: float) -> list[demo.DemoDevice]:
        """The demo devices that are registered and active. `make run` keeps this process
        alive with the others, so without them it waits for `seed_demo` instead of exiting."""
        told = False
        while True:
            present = selectors.devices_active_serials([spec.serial for spec in demo.DEVICES])
            specs = [spec for spec in demo.DEVICES if spec.serial in present]
            if specs:
                return specs
            if not forever:
                raise CommandError("No demo devices: run `manage.py seed_demo` first.")
            if not told:
                self.stderr.write("No demo devices yet (run `manage.py seed_demo`); waiting.")
                told = True
            time.sleep(max(interval, 30))

    def _report(self, results: list[TickResult]) -> None:
        stamp = timezone.localtime().strftime("%H:%M:%S")
        parts = []
        for result in results:
            status = "unreachable" if result.status is None else str(result.status)
            parts.append(f"{result.serial} {result.readings} readings {status}")
            if result.detail:
                parts[-1] += f" ({result.detail})"
        self.stdout.write(f"{stamp} " + "; ".join(parts))
        self.stdout.flush()
