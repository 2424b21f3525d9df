"""Equipment pages: devices with health, charts, alarms, lead inbox, provider profile."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from iot_gateway import services
from iot_gateway.models import Alarm, Device, LeadQuote, ServiceProviderProfile
from iot_gateway.services.rollups import rollups_refresh
from marketplace.models import Organization
from tests.helpers import PASSWORD, make_organization
from tests.iot_gateway.conftest import equipment_category, reading, threshold_rule

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def faulty(fleet):
    threshold_rule(fleet, duration_seconds=0)
    now = timezone.now()
    services.telemetry_ingest(
        device=fleet.device,
        readings=[
            reading("temperature", 70 + i, seconds_ago=3600 - i * 120, now=now) for i in range(25)
        ],
    )
    services.rules_evaluate(device_pk=fleet.device.pk)
    rollups_refresh()
    return Alarm.objects.get()


def test_device_list_shows_health_and_registration_shows_the_token_once(fleet):
    faulty(fleet)
    client = signed_in(fleet.owner_user)
    page = client.get("/equipment/")
    assert page.status_code == 200
    assert "Press line 1" in page.text
    assert "health-fault" in page.text
    response = client.post(
        "/equipment/",
        {
            "name": "Lathe",
            "serial_number": "L-77",
            "model": "LT-9",
            "supplier": fleet.supplier.pk,
            "category": equipment_category("cnc-machines").pk,
            "installed_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
            "region": "jiangsu",
        },
    )
    assert response.status_code == 200
    device = Device.objects.get(serial_number="L-77")
    assert device.region == "Jiangsu"
    assert 'id="device-token">dev_' in response.text
    assert "dev_" not in client.get("/equipment/").text


def test_device_page_charts_for_each_range_and_not_for_others(fleet):
    faulty(fleet)
    client = signed_in(fleet.owner_user)
    for range_key in ("24h", "7d", "30d"):
        page = client.get(f"/equipment/{fleet.device.pk}/?range={range_key}")
        assert page.status_code == 200
        assert "telemetry-chart" in page.text
    _other, other_user = make_organization(Organization.Kind.BUYER)
    assert signed_in(other_user).get(f"/equipment/{fleet.device.pk}/").status_code == 404
    assert signed_in(fleet.supplier_user).get("/equipment/").status_code == 404


def test_acknowledge_from_the_alarm_page(fleet):
    alarm = faulty(fleet)
    client = signed_in(fleet.owner_user)
    assert "Overheating: temperature &gt; 85 (last 94)" in client.get("/equipment/alarms/").text
    response = client.post(f"/equipment/alarms/{alarm.pk}/acknowledge/")
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"


def test_provider_inbox_quote_and_owner_accept(fleet):
    lead = services.lead_from_alarm(alarm_pk=faulty(fleet).pk)
    provider = signed_in(fleet.provider_user)
    assert lead.display_title in provider.get("/service-leads/").text
    detail = provider.get(f"/service-leads/{lead.pk}/")
    assert "Send a quote" in detail.text
    form = {
        "amount": "950.00",
        "currency": "CNY",
        "days_to_service": 1,
        "valid_until": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
        "note": "Tomorrow morning",
    }
    past = {**form, "valid_until": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()}
    assert provider.post(f"/service-leads/{lead.pk}/quote/", past).status_code == 400
    assert LeadQuote.objects.count() == 0
    assert provider.post(f"/service-leads/{lead.pk}/quote/", form).status_code == 302
    quote = LeadQuote.objects.get()
    owner = signed_in(fleet.owner_user)
    assert "950.00" in owner.get(f"/service-leads/{lead.pk}/").text
    response = owner.post(f"/service-leads/{lead.pk}/quotes/{quote.pk}/accept/", follow=True)
    quote.refresh_from_db()
    assert quote.status == "accepted"
    order = quote.order
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    assert order.number in response.text
    assert "awaiting payment" in response.text.lower()
    assert order.number in owner.get("/orders/").text
    assert order.number in provider.get("/orders/").text
    assert f'href="/orders/{order.pk}/"' in provider.get(f"/service-leads/{lead.pk}/").text


def test_provider_profile_saves_regions_and_shows_the_record(fleet):
    client = signed_in(fleet.provider_user)
    page = client.get("/service-profile/")
    assert "median time to quote" in page.text
    response = client.post(
        "/service-profile/",
        {
            "description": "Presses",
            "regions": "zhejiang, shanghai ",
            "lead_kinds": ["repair", "spare_part"],
        },
    )
    assert response.status_code == 302
    profile = ServiceProviderProfile.objects.get(organization=fleet.provider)
    assert profile.regions == ["Shanghai", "Zhejiang"]
    assert signed_in(fleet.owner_user).get("/service-profile/").status_code == 404
