"""The equipment demo: the buyer's devices, the supplier's rules, a week of history, one
open alarm with its quoted lead; tokens the simulator can derive; idempotent."""

from __future__ import annotations

import pytest

from iot_gateway import demo
from iot_gateway.models import Alarm, Device, FaultRule, LeadQuote, ServiceLead
from marketplace.models import Organization
from tests.iot_gateway.conftest import device_client, ensure_metrics, reading, stored_count

pytestmark = pytest.mark.django_db


def seed_everything() -> None:
    from catalog import demo as catalog_demo
    from factories import demo as factories_demo
    from marketplace import demo as marketplace_demo

    marketplace_demo.seed()
    catalog_demo.seed()
    factories_demo.seed()
    demo.seed()


def test_demo_equipment_is_seeded_once_with_an_alarm_a_quoted_lead_and_known_tokens():
    ensure_metrics()
    seed_everything()
    owner = Organization.objects.get(slug=demo.OWNER_SLUG)
    devices = list(Device.objects.filter(organization=owner).select_related("supplier"))
    assert {device.serial_number for device in devices} == {spec.serial for spec in demo.DEVICES}
    supplier = devices[0].supplier
    assert supplier.kind == Organization.Kind.FACTORY
    assert all(device.category is not None for device in devices)
    assert FaultRule.objects.filter(organization=supplier).count() == sum(
        len(rules) for rules in demo.RULES.values()
    )
    for device in devices:
        assert stored_count(device) > 3000  # a week every 10 minutes, four metrics
    alarm = Alarm.objects.get(status="active")
    assert alarm.device.serial_number == "CP11-2025-0088"
    lead = ServiceLead.objects.get(alarm=alarm)
    provider = Organization.objects.get(slug=demo.PROVIDER_SLUG)
    assert set(lead.routes.values_list("organization_id", flat=True)) == {supplier.pk, provider.pk}
    quote = LeadQuote.objects.get(lead=lead)
    assert (quote.organization, quote.status) == (provider, "submitted")
    assert provider.service_profile.regions == ["Jiangsu", "Shanghai", "Zhejiang"]

    counts = (
        Device.objects.count(),
        FaultRule.objects.count(),
        Alarm.objects.count(),
        ServiceLead.objects.count(),
        LeadQuote.objects.count(),
        stored_count(),
    )
    demo.seed()
    assert counts == (
        Device.objects.count(),
        FaultRule.objects.count(),
        Alarm.objects.count(),
        ServiceLead.objects.count(),
        LeadQuote.objects.count(),
        stored_count(),
    )

    # The simulator derives each device's token; only its hash is stored.
    spec = demo.DEVICES[1]
    token = demo.demo_token(spec.serial)
    device = Device.objects.get(serial_number=spec.serial)
    assert not device.credentials.filter(key_hash=token).exists()
    before = stored_count(device)
    response = device_client(token).post(
        "/api/v1/telemetry/", {"readings": [reading("temperature", 71.5)]}, format="json"
    )
    assert response.status_code == 202, response.content
    assert stored_count(device) == before + 1
