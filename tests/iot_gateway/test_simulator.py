"""`manage.py simulate_devices`: the demo devices post over HTTP with their own tokens, and
the developing fault raises its alarm within minutes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from iot_gateway import demo, services
from iot_gateway.models import Alarm, Device
from iot_gateway.simulator import Simulator
from tests.iot_gateway.conftest import ensure_metrics, register, stored_count


def seed_demo_equipment() -> None:
    from catalog import demo as catalog_demo
    from marketplace import demo as marketplace_demo

    ensure_metrics()
    marketplace_demo.seed()
    catalog_demo.seed()
    demo.seed()


@pytest.mark.django_db(transaction=True)
def test_once_posts_a_batch_per_device_over_http(live_server, truncate_readings):
    seed_demo_equipment()
    devices = {device.serial_number: device for device in Device.objects.all()}
    before = {serial: stored_count(device) for serial, device in devices.items()}
    output = io.StringIO()
    call_command("simulate_devices", "--once", "--base-url", live_server.url, stdout=output)
    assert output.getvalue().count(" 202") == len(demo.DEVICES), output.getvalue()
    for spec in demo.DEVICES:
        device = devices[spec.serial]
        assert stored_count(device) == before[spec.serial] + len(spec.levels)
        device.refresh_from_db()
        assert timezone.now() - device.last_seen_at < datetime.timedelta(minutes=1)


@pytest.mark.django_db
def test_without_demo_devices_once_says_so():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate_devices", "--once", "--base-url", "http://127.0.0.1:9")


@pytest.mark.django_db
def test_the_developing_fault_raises_an_alarm_within_minutes(fleet):
    demo._rules(fleet.supplier)
    specs = {spec.behaviour: spec for spec in demo.DEVICES}
    devices = {}
    for behaviour in ("developing", "healthy"):
        spec = specs[behaviour]
        devices[behaviour], _issued = register(
            fleet.owner, fleet.owner_user, fleet.supplier, model=spec.model, name=spec.name
        )
    started_at = timezone.now() - datetime.timedelta(minutes=7)
    simulator = Simulator(
        base_url="http://gateway.invalid",
        devices=[specs["developing"], specs["healthy"]],
        started_at=started_at,
    )
    # What seven minutes of ticks post, ten seconds apart, evaluated after each batch.
    for tick in range(0, 7 * 60 + 1, 10):
        now = started_at + datetime.timedelta(seconds=tick)
        for simulated, behaviour in zip(simulator.devices, ("developing", "healthy"), strict=True):
            batch = simulator.readings(simulated, now)
            if batch:
                services.telemetry_ingest(device=devices[behaviour], readings=batch)
                simulated.last_sent = datetime.datetime.fromisoformat(batch[-1]["ts"])
                services.rules_evaluate(device_pk=devices[behaviour].pk)
    alarm = Alarm.objects.get(device=devices["developing"])
    assert alarm.rule.name == "Discharge overheating"
    assert alarm.status == "active"
    assert alarm.raised_at - started_at < datetime.timedelta(minutes=6)
    assert not Alarm.objects.filter(device=devices["healthy"]).exists()
