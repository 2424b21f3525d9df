"""Fault rules -> alarms -> service leads -> quotes, through the services and the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from iot_gateway import services
from iot_gateway.models import (
    Alarm,
    AlarmEvent,
    Device,
    FaultRule,
    LeadQuote,
    LeadRoute,
    ServiceLead,
)
from iot_gateway.services.rollups import rollups_refresh
from marketplace.models import Membership, Notification, Organization
from marketplace.money import Money
from orders.models import Order
from tests.helpers import (
    add_member,
    api_client,
    assert_other_organization_gets_404,
    make_organization,
    nothing_changes,
)
from tests.iot_gateway.conftest import metric, reading, threshold_rule
from tests.iot_gateway.conftest import register as register_device

pytestmark = pytest.mark.django_db


def ingest(fleet, readings):
    return services.telemetry_ingest(device=fleet.device, readings=readings)


def hot_series(now, start_seconds_ago=600, values=(80, 86, 88, 90, 91, 92, 93)):
    """Readings a minute apart: above 85 from the second on (for five minutes and more)."""
    return [
        reading("temperature", value, seconds_ago=start_seconds_ago - 60 * index, now=now)
        for index, value in enumerate(values)
    ]


def test_threshold_with_duration_raises_one_alarm_then_clears(fleet):
    rule = threshold_rule(fleet)
    now = timezone.now()
    ingest(fleet, hot_series(now)[:5])  # above 85 for 3 minutes only
    assert services.rules_evaluate(device_pk=fleet.device.pk) == 0
    ingest(fleet, hot_series(now)[5:])  # now for 5 minutes
    assert services.rules_evaluate(device_pk=fleet.device.pk) == 1
    assert services.rules_evaluate(device_pk=fleet.device.pk) == 0  # nothing new: no change
    alarm = Alarm.objects.get(device=fleet.device, rule=rule)
    assert (alarm.status, alarm.occurrences, alarm.last_value) == ("active", 1, 93.0)
    ingest(fleet, [reading("temperature", 70, seconds_ago=0, now=now)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarm.refresh_from_db()
    assert alarm.status == "cleared"
    assert list(alarm.events.values_list("kind", flat=True)) == ["raised", "cleared"]


def test_flapping_inside_a_batch_counts_occurrences_on_one_open_alarm(fleet):
    rule = threshold_rule(fleet, duration_seconds=0)
    now = timezone.now()
    ingest(fleet, [reading("temperature", 90, seconds_ago=200, now=now)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    ingest(fleet, [reading("temperature", 70, seconds_ago=150, now=now)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    flapping = [90, 70, 90, 91]
    ingest(
        fleet,
        [
            reading("temperature", v, seconds_ago=100 - i * 10, now=now)
            for i, v in enumerate(flapping)
        ],
    )
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarms = Alarm.objects.filter(device=fleet.device, rule=rule)
    assert list(alarms.order_by("pk").values_list("status", "occurrences")) == [
        ("cleared", 1),
        ("active", 2),
    ]


def test_error_code_and_rate_of_change_rules(fleet):
    code_rule = FaultRule.objects.create(
        organization=fleet.supplier,
        name="Drive fault",
        kind="error_code",
        metric=metric("error_code"),
        model_name=fleet.device.model,
        severity="critical",
    )
    rate_rule = FaultRule.objects.create(
        organization=fleet.owner,
        name="Pressure drop",
        kind="rate",
        metric=metric("pressure"),
        operator="lt",
        threshold=-1.0,
        device=fleet.device,
        severity="warning",
    )
    now = timezone.now()
    ingest(
        fleet,
        [
            reading("error_code", 0, seconds_ago=120, now=now),
            reading("error_code", 17, seconds_ago=60, now=now),
            reading("pressure", 6.0, seconds_ago=120, now=now),
            reading("pressure", 3.0, seconds_ago=60, now=now),  # -3 bar a minute
        ],
    )
    assert services.rules_evaluate(device_pk=fleet.device.pk) == 2
    assert Alarm.objects.get(rule=code_rule).display_message.endswith("error code 17")
    assert Alarm.objects.get(rule=rate_rule).severity == "warning"


def test_missing_heartbeat_sweep_raises_and_clears(fleet, time_machine):
    rule = FaultRule.objects.create(
        organization=fleet.supplier,
        name="Silent",
        kind="heartbeat",
        model_name=fleet.device.model,
        duration_seconds=600,
        severity="warning",
    )
    ingest(fleet, [reading("temperature", 60)])
    assert services.heartbeats_sweep() == 0
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=11), tick=False)
    assert services.heartbeats_sweep() == 1
    assert services.heartbeats_sweep() == 0
    assert Alarm.objects.get(rule=rule).status == "active"
    ingest(fleet, [reading("temperature", 61)])
    assert services.heartbeats_sweep() == 1
    assert Alarm.objects.get(rule=rule).status == "cleared"


def test_escalation_reminds_until_acknowledged(fleet, time_machine):
    threshold_rule(fleet, duration_seconds=0)
    ingest(fleet, [reading("temperature", 99, seconds_ago=1)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarm = Alarm.objects.get()
    assert services.alarms_escalate() == 0
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=31), tick=False)
    assert services.alarms_escalate() == 1
    assert services.alarms_escalate() == 0
    services.alarm_acknowledge(alarm=alarm, acting_user=fleet.owner_user)
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=61), tick=False)
    assert services.alarms_escalate() == 0
    assert AlarmEvent.objects.filter(alarm=alarm, kind="escalated").count() == 1


def test_alarm_api_list_acknowledge_and_tenancy(fleet):
    threshold_rule(fleet, duration_seconds=0)
    ingest(fleet, [reading("temperature", 99, seconds_ago=1)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarm = Alarm.objects.get()
    other, other_user = make_organization(Organization.Kind.BUYER)
    assert_other_organization_gets_404(
        api_client(other_user, other),
        "post",
        f"/api/v1/alarms/{alarm.pk}/acknowledge/",
        unchanged=lambda: Alarm.objects.get(pk=alarm.pk).status,
    )
    assert api_client(other_user, other).get("/api/v1/alarms/").json()["count"] == 0
    with nothing_changes("iot_gateway"):
        assert api_client().post(f"/api/v1/alarms/{alarm.pk}/acknowledge/").status_code == 401
    member = add_member(fleet.owner, Membership.Role.MEMBER)
    client = api_client(member, fleet.owner)
    listed = client.get("/api/v1/alarms/?status=open").json()
    assert [row["id"] for row in listed["results"]] == [alarm.pk]
    response = client.post(
        f"/api/v1/alarms/{alarm.pk}/acknowledge/", {"note": "on it"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    with nothing_changes("iot_gateway"):
        assert client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge/").status_code == 409


def test_major_alarm_becomes_a_lead_routed_to_supplier_and_regional_provider(fleet):
    far, far_user = make_organization(Organization.Kind.SERVICE_PROVIDER, name="Far Away")
    services.provider_profile_update(
        organization=far,
        acting_user=far_user,
        description="",
        regions=["Sichuan"],
        lead_kinds=[],
        categories=[],
    )
    threshold_rule(fleet, duration_seconds=0)
    ingest(
        fleet, [reading("temperature", v, seconds_ago=30 - i) for i, v in enumerate([80, 90, 95])]
    )
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarm = Alarm.objects.get()
    lead = services.lead_from_alarm(alarm_pk=alarm.pk)
    assert services.lead_from_alarm(alarm_pk=alarm.pk) == lead  # idempotent
    routes = list(LeadRoute.objects.filter(lead=lead).values_list("organization_id", "role"))
    assert routes == [(fleet.supplier.pk, "supplier"), (fleet.provider.pk, "provider")]
    assert lead.kind == "repair"
    assert lead.organization_id == fleet.owner.pk
    assert [point[1] for point in lead.evidence["telemetry"]["points"]] == [80.0, 90.0, 95.0]
    assert Notification.objects.filter(
        organization=fleet.provider, title_key="iot_gateway.lead_new.title"
    ).exists()
    assert api_client(far_user, far).get(f"/api/v1/service-leads/{lead.pk}/").status_code == 404


def test_provider_quotes_and_owner_accepts(fleet):
    threshold_rule(fleet, duration_seconds=0)
    ingest(fleet, [reading("temperature", 99, seconds_ago=1)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    lead = services.lead_from_alarm(alarm_pk=Alarm.objects.get().pk)
    provider = api_client(fleet.provider_user, fleet.provider)
    assert [row["id"] for row in provider.get("/api/v1/service-leads/").json()["results"]] == [
        lead.pk
    ]
    body = {
        "price": {"amount": "1800.00", "currency": "CNY"},
        "days_to_service": 2,
        "valid_until": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "note": "Replace the thermostat.",
    }
    bad = provider.post(
        f"/api/v1/service-leads/{lead.pk}/quote/", {**body, "price": {"amount": "x"}}, format="json"
    )
    assert bad.status_code == 400
    assert "price" in bad.json()["errors"]
    created = provider.post(f"/api/v1/service-leads/{lead.pk}/quote/", body, format="json")
    assert created.status_code == 201, created.content
    assert (
        provider.post(f"/api/v1/service-leads/{lead.pk}/quote/", body, format="json").status_code
        == 409
    )
    supplier = api_client(fleet.supplier_user, fleet.supplier)
    supplier_quote = supplier.post(
        f"/api/v1/service-leads/{lead.pk}/quote/",
        {**body, "price": {"amount": "2500.00", "currency": "CNY"}},
        format="json",
    )
    assert supplier_quote.status_code == 201
    # The supplier sees only its own quote; the owner sees both.
    assert len(supplier.get(f"/api/v1/service-leads/{lead.pk}/").json()["quotes"]) == 1
    owner = api_client(fleet.owner_user, fleet.owner)
    assert len(owner.get(f"/api/v1/service-leads/{lead.pk}/").json()["quotes"]) == 2
    quote_pk = created.json()["id"]
    assert (
        supplier.post(f"/api/v1/service-leads/{lead.pk}/quotes/{quote_pk}/accept/").status_code
        == 403
    )
    assert not Order.objects.exists()
    assert LeadQuote.objects.filter(status="submitted").count() == 2
    accepted = owner.post(f"/api/v1/service-leads/{lead.pk}/quotes/{quote_pk}/accept/")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert ServiceLead.objects.get(pk=lead.pk).status == "accepted"
    assert LeadQuote.objects.get(pk=supplier_quote.json()["id"]).status == "declined"
    # The accepted quote is an order with the provider, awaiting payment, on both sides.
    order = Order.objects.get()
    assert accepted.json()["order"] == order.pk
    assert (order.buyer, order.factory) == (fleet.owner, fleet.provider)
    assert (order.status, order.quantity, order.unit_price_minor, order.currency) == (
        "awaiting_payment",
        1,
        180000,
        "CNY",
    )
    assert (order.category, order.with_sample, order.reservation_reference) == (
        fleet.device.category,
        False,
        "",
    )
    assert "Replace the thermostat." in order.spec
    assert fleet.device.serial_number in order.spec
    for client in (owner, provider):
        listed = client.get("/api/v1/orders/").json()["results"]
        assert [row["id"] for row in listed] == [order.pk]
    assert supplier.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert (
        owner.post(f"/api/v1/service-leads/{lead.pk}/quotes/{quote_pk}/accept/").status_code == 409
    )
    assert Order.objects.count() == 1


def test_accepting_for_a_device_without_category_is_a_409_and_changes_nothing(fleet):
    threshold_rule(fleet, duration_seconds=0)
    ingest(fleet, [reading("temperature", 99, seconds_ago=1)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    lead = services.lead_from_alarm(alarm_pk=Alarm.objects.get().pk)
    quote = services.lead_quote_submit(
        lead=lead,
        organization=fleet.provider,
        acting_user=fleet.provider_user,
        price=Money.from_decimal("900.00", "CNY"),
        days_to_service=1,
        valid_until=timezone.localdate(),
    )
    Device.objects.filter(pk=fleet.device.pk).update(category=None)  # registered before #11
    owner = api_client(fleet.owner_user, fleet.owner)
    response = owner.post(f"/api/v1/service-leads/{lead.pk}/quotes/{quote.pk}/accept/")
    assert response.status_code == 409
    assert "category" in response.json()["detail"]
    assert not Order.objects.exists()
    quote.refresh_from_db()
    lead.refresh_from_db()
    assert (quote.status, quote.order_id, lead.status) == ("submitted", None, "open")


def test_prediction_raises_an_expected_failure_lead_before_the_fault(fleet):
    from iot_gateway.services.prediction import metric_forecasts, predictions_run

    rule = threshold_rule(fleet)
    now = timezone.now()
    # Two days of hourly readings rising 1 degree a day from 75 (10 days from 85), with spikes.
    readings = [
        reading(
            "temperature",
            73 + hours / 24 + (6 if hours % 17 == 0 else 0),
            seconds_ago=hours_ago * 3600,
            now=now,
        )
        for hours_ago in range(48, 0, -1)
        for hours in [48 - hours_ago]
    ]
    ingest(fleet, readings)
    rollups_refresh()
    forecast = metric_forecasts(device=fleet.device)[rule.metric_id]
    assert forecast.slope_per_day == pytest.approx(1.0, abs=0.05)
    assert 9 <= (forecast.crossing_at - now).days <= 11
    assert predictions_run() == 1
    assert predictions_run() == 0
    lead = ServiceLead.objects.get(source="prediction")
    assert "expected to fail in" in lead.display_title
    assert lead.predicted_failure_on is not None


def test_catch_up_finds_devices_whose_rules_never_ran_or_fell_behind(fleet):
    other_owner, other_user = make_organization(Organization.Kind.BUYER)
    threshold_rule(fleet)
    quiet, _issued = register_device(other_owner, other_user, fleet.supplier, model="Other")
    assert services.devices_behind() == []  # no readings yet
    ingest(fleet, [reading("temperature", 70, seconds_ago=60)])
    services.telemetry_ingest(device=quiet, readings=[reading("temperature", 70, seconds_ago=60)])
    # A first evaluation that never committed leaves no state: still found.
    assert services.devices_behind() == [fleet.device.pk]
    services.rules_evaluate(device_pk=fleet.device.pk)
    assert services.devices_behind() == []
    ingest(fleet, [reading("temperature", 71, seconds_ago=30)])
    assert services.devices_behind() == [fleet.device.pk]


def test_sweep_makes_the_lead_a_lost_task_never_made(fleet, time_machine):
    from iot_gateway.tasks import leads_missing_sweep_task

    threshold_rule(fleet, duration_seconds=0)
    warning = threshold_rule(
        fleet, name="Warm", threshold=80.0, severity="warning", duration_seconds=0
    )
    ingest(fleet, [reading("temperature", 99, seconds_ago=1)])
    services.rules_evaluate(device_pk=fleet.device.pk)
    assert Alarm.objects.count() == 2
    assert services.alarms_missing_lead() == []  # the task may still be on its way
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=3), tick=False)
    major = Alarm.objects.exclude(rule=warning).get()
    assert services.alarms_missing_lead() == [major.pk]  # a warning is not worth a lead
    assert leads_missing_sweep_task() == 1
    assert ServiceLead.objects.get().alarm == major
    assert leads_missing_sweep_task() == 0
    assert ServiceLead.objects.count() == 1


def test_alarm_messages_and_lead_titles_are_read_in_the_readers_language(fleet):
    """Stored as keys and parameters (ADR 0019): the same alarm reads in English for one
    request and in Chinese for the next, and so does the lead made from it."""
    threshold_rule(fleet, duration_seconds=0)
    ingest(
        fleet, [reading("temperature", v, seconds_ago=30 - i) for i, v in enumerate([80, 90, 95])]
    )
    services.rules_evaluate(device_pk=fleet.device.pk)
    alarm = Alarm.objects.get()
    assert (alarm.message, alarm.message_key) == ("", "iot_gateway.alarm.threshold")
    lead = services.lead_from_alarm(alarm_pk=alarm.pk)
    assert (lead.title, lead.title_key) == ("", "iot_gateway.lead.from_alarm")

    owner = api_client(fleet.owner_user, fleet.owner)
    (english,) = owner.get("/api/v1/alarms/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    (chinese,) = owner.get("/api/v1/alarms/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert english["message"] == "Overheating: temperature > 85 (last 95)"
    assert chinese["message"] == "Overheating：temperature > 85（最近值 95）"

    provider = api_client(fleet.provider_user, fleet.provider)
    url = f"/api/v1/service-leads/{lead.pk}/"
    shown = provider.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert shown["title"] == f"维修：{fleet.device.name}（{fleet.device.model}）"
    assert shown["evidence"]["alarm"]["message"] == chinese["message"]
    assert "message_key" not in shown["evidence"]["alarm"]
    assert provider.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["title"] == (
        f"Repair: {fleet.device.name} ({fleet.device.model})"
    )
    told = Notification.objects.get(
        organization=fleet.provider, title_key="iot_gateway.lead_new.title"
    )
    with translation.override("zh-hans"):
        assert told.display_title == f"新的服务线索：{shown['title']}"
    page = Client()
    page.force_login(fleet.owner_user)
    page.cookies["django_language"] = "zh-hans"
    assert escape(chinese["message"]) in page.get("/equipment/alarms/").content.decode()
