"""The equipment simulator behind `manage.py simulate_devices`: the demo devices post their
telemetry over HTTP with their own tokens, as real equipment would, in batches.

Every `sample_seconds` each device samples each of its metrics; every tick it posts what it
sampled since its last accepted batch (a refused or failed post is sent again with the next
one: the gateway stores a replayed reading once). Values follow each device's normal level,
a daily rhythm and noise; on top of that:

- the "developing" device's discharge temperature starts climbing a minute after the
  simulator starts and passes the 85 °C rule within about four minutes, so its alarm (held
  for two minutes) and the service lead appear within minutes of `make run`;
- the "degraded" pump keeps its low discharge pressure, so the seeded alarm stays open.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

from iot_gateway.demo import DEGRADED_PRESSURE, DemoDevice, demo_token, demo_value

FAULT_DELAY = datetime.timedelta(minutes=1)
FAULT_RISE_PER_MINUTE = 6.0  # °C
FAULT_MAX_RISE = 18.0
REQUEST_TIMEOUT = 10.0


def fault_offset(elapsed: datetime.timedelta) -> float:
    """How far above normal the developing fault has pushed the temperature."""
    minutes = (elapsed - FAULT_DELAY).total_seconds() / 60
    return min(max(minutes, 0.0) * FAULT_RISE_PER_MINUTE, FAULT_MAX_RISE)


@dataclass
class SimulatedDevice:
    spec: DemoDevice
    token: str
    last_sent: datetime.datetime
    rng: random.Random = field(default_factory=random.Random)

    def value(self, metric: str, moment: datetime.datetime, elapsed: datetime.timedelta):
        value = demo_value(self.spec, metric, moment, self.rng)
        if self.spec.behaviour == "developing":
            if metric == "temperature":
                value = round(value + 5.0 + fault_offset(elapsed), 3)
            elif metric == "vibration":
                value = round(value + fault_offset(elapsed) / 10, 3)
        elif self.spec.behaviour == "degraded" and metric == "pressure":
            value = round(DEGRADED_PRESSURE + self.rng.gauss(0, 0.03), 3)
        return value


@dataclass
class TickResult:
    serial: str
    readings: int
    status: int | None  # None: the gateway could not be reached
    detail: str = ""


class Simulator:
    def __init__(
        self,
        *,
        base_url: str,
        devices: Iterable[DemoDevice],
        started_at: datetime.datetime,
        sample_seconds: int = 5,
        session: Any = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/telemetry/"
        self.started_at = started_at
        self.sample = datetime.timedelta(seconds=sample_seconds)
        self.session = session or requests.Session()
        self.devices = [
            SimulatedDevice(
                spec=spec,
                token=demo_token(spec.serial),
                last_sent=started_at - self.sample,
                rng=random.Random(f"{spec.serial}:{started_at.isoformat()}"),
            )
            for spec in devices
        ]

    def readings(self, device: SimulatedDevice, until: datetime.datetime) -> list[dict]:
        """Samples after the device's last accepted batch up to `until` (at most the
        gateway's batch limit and age window: a long outage keeps only the latest)."""
        oldest = until - settings.IOT_MAX_READING_AGE + datetime.timedelta(minutes=5)
        moment = max(device.last_sent, oldest) + self.sample
        batch: list[dict] = []
        while moment <= until:
            for metric in device.spec.levels:
                value = device.value(metric, moment, moment - self.started_at)
                batch.append({"metric": metric, "ts": moment.isoformat(), "value": value})
            moment += self.sample
        return batch[-settings.IOT_MAX_READINGS_PER_REQUEST :]

    def tick(self, now: datetime.datetime) -> list[TickResult]:
        results = []
        for device in self.devices:
            batch = self.readings(device, now)
            if not batch:
                continue
            try:
                response = self.session.post(
                    self.url,
                    json={"readings": batch},
                    headers={"Authorization": f"Device {device.token}"},
                    timeout=REQUEST_TIMEOUT,
                )
            except requests.RequestException as error:
                results.append(TickResult(device.spec.serial, len(batch), None, str(error)))
                continue
            if response.status_code == 202:
                device.last_sent = datetime.datetime.fromisoformat(batch[-1]["ts"])
            results.append(
                TickResult(
                    device.spec.serial,
                    len(batch),
                    response.status_code,
                    "" if response.status_code == 202 else response.text[:200],
                )
            )
        return results


def run(
    simulator: Simulator,
    *,
    ticks: int | None,
    interval: float,
    clock: Callable[[], datetime.datetime],
    sleep: Callable[[float], None],
    report: Callable[[list[TickResult]], None],
) -> int:
    """Tick `ticks` times (forever when None), `interval` seconds apart. Returns the number
    of batches the gateway accepted."""
    accepted = 0
    done = 0
    while ticks is None or done < ticks:
        if done:
            sleep(interval)
        results = simulator.tick(clock())
        accepted += sum(result.status == 202 for result in results)
        report(results)
        done += 1
    return accepted
