"""Demo equipment: three machines the demo buyer (bright-threads, buyer@c2m.example) owns,
supplied by a demo factory that makes compressors and pumps, with the supplier's fault rules
per model, a week of history, one open alarm and its lead quoted by the demo service
provider (delta-machine-service, service@c2m.example).

Each device's token is derived from SECRET_KEY and its serial number (`demo_token`), and
only its hash is stored, as for any token: `manage.py simulate_devices` derives the same
tokens to post telemetry over HTTP. Idempotent: a device that exists is left as it is
(history, alarm and lead are made once, with the device).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import math
import random
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from catalog.models import Category
from factories.selectors import factory_public_list
from iot_gateway import services
from iot_gateway.models import (
    TOKEN_PREFIX,
    Alarm,
    Device,
    DeviceCredential,
    FaultRule,
    LeadKind,
    LeadQuote,
    Metric,
    Severity,
)
from marketplace.models import Membership, Organization
from marketplace.money import Money

OWNER_SLUG = "bright-threads"
PROVIDER_SLUG = "delta-machine-service"
HISTORY = datetime.timedelta(days=6, hours=12)  # inside IOT_MAX_READING_AGE (7 days)
HISTORY_STEP = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class DemoDevice:
    serial: str
    name: str
    model: str
    category: str
    region: str
    location: str
    installed_days_ago: int
    # metric -> (normal level, daily swing, noise)
    levels: dict[str, tuple[float, float, float]]
    # How the simulator drives it: "healthy", "developing" (a fault builds up within
    # minutes of the simulator's start) or "degraded" (the seeded open alarm's fault).
    behaviour: str


DEVICES = [
    DemoDevice(
        serial="AC30-2024-0117",
        name="Air compressor A1",
        model="AC-30",
        category="compressors",
        region="Zhejiang",
        location="Hangzhou warehouse, bay 3",
        installed_days_ago=420,
        levels={
            "temperature": (72.0, 3.0, 0.6),
            "pressure": (7.5, 0.2, 0.05),
            "current": (42.0, 2.0, 0.5),
            "vibration": (2.4, 0.2, 0.15),
        },
        behaviour="developing",
    ),
    DemoDevice(
        serial="AC30-2024-0342",
        name="Air compressor A2",
        model="AC-30",
        category="compressors",
        region="Zhejiang",
        location="Hangzhou warehouse, bay 7",
        installed_days_ago=300,
        levels={
            "temperature": (70.0, 3.0, 0.6),
            "pressure": (7.4, 0.2, 0.05),
            "current": (40.0, 2.0, 0.5),
            "vibration": (2.1, 0.2, 0.15),
        },
        behaviour="healthy",
    ),
    DemoDevice(
        serial="CP11-2025-0088",
        name="Coolant pump P1",
        model="CP-11",
        category="pumps",
        region="Jiangsu",
        location="Suzhou finishing line",
        installed_days_ago=150,
        levels={
            "pressure": (3.2, 0.1, 0.04),
            "vibration": (1.8, 0.1, 0.1),
            "temperature": (45.0, 2.0, 0.4),
            "current": (12.0, 0.5, 0.2),
        },
        behaviour="degraded",
    ),
]

# model -> (name, kind, metric, operator, threshold, seconds, severity, lead kind)
RULES = {
    "AC-30": [
        ("Discharge overheating", "threshold", "temperature", "gt", 85.0, 120, "major", "repair"),
        ("High vibration", "threshold", "vibration", "gt", 7.1, 60, "major", "repair"),
        ("Controller fault code", "error_code", "error_code", "gt", 0.0, 0, "critical", "repair"),
        ("No data from compressor", "heartbeat", None, "gt", None, 900, "warning", "repair"),
    ],
    "CP-11": [
        ("Low discharge pressure", "threshold", "pressure", "lt", 2.0, 120, "major", "spare_part"),
        ("Bearing vibration", "threshold", "vibration", "gt", 4.5, 60, "major", "repair"),
        ("No data from pump", "heartbeat", None, "gt", None, 900, "warning", "repair"),
    ],
}
DEGRADED_PRESSURE = 1.6  # the worn impeller of the pump (the seeded open alarm)
DEGRADED_MINUTES = 30


def demo_token(serial: str) -> str:
    """The demo device's token: 256 bits derived from SECRET_KEY, never stored."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"iot-demo-token:{serial}".encode(), hashlib.sha256
    ).digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def demo_value(spec: DemoDevice, metric: str, moment: datetime.datetime, rng: random.Random):
    """A normal reading: the level, a daily rhythm (warmer by day) and noise."""
    level, swing, noise = spec.levels[metric]
    hour = moment.hour + moment.minute / 60
    value = level + swing * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.gauss(0, noise)
    return round(value, 3)


def _supplier() -> Organization | None:
    compressors = Category.objects.filter(slug="compressors").first()
    if compressors is not None:
        profile = factory_public_list(category=compressors, verified=True).first()
        if profile is not None:
            return profile.organization
    return Organization.objects.filter(slug="ningbo-evergreen").first()


def _rules(supplier: Organization) -> None:
    metrics = {metric.name: metric for metric in Metric.objects.all()}
    for model_name, rules in RULES.items():
        for name, kind, metric, operator, threshold, seconds, severity, lead_kind in rules:
            FaultRule.objects.get_or_create(
                organization=supplier,
                model_name=model_name,
                name=name,
                defaults={
                    "kind": kind,
                    "metric": metrics.get(metric) if metric else None,
                    "operator": operator,
                    "threshold": threshold,
                    "duration_seconds": seconds,
                    "severity": Severity(severity),
                    "lead_kind": LeadKind(lead_kind),
                },
            )


def _provider_profile(provider: Organization) -> None:
    user = Membership.objects.filter(organization=provider).select_related("user").first()
    if user is None:
        return
    services.provider_profile_update(
        organization=provider,
        acting_user=user.user,
        description="Field service for compressors, pumps and chillers in the Yangtze delta: "
        "repairs within 48 hours, genuine spare parts, installation and commissioning.",
        regions=["Zhejiang", "Jiangsu", "Shanghai"],
        lead_kinds=[LeadKind.REPAIR, LeadKind.SPARE_PART, LeadKind.INSTALLATION],
        categories=list(Category.objects.filter(slug__in=["compressors", "pumps"])),
    )


def _history(device: Device, spec: DemoDevice, now: datetime.datetime) -> None:
    """A week of readings every 10 minutes; the developing fault's temperature creeps up
    (what the prediction sees), the degraded pump's pressure fell half an hour ago."""
    rng = random.Random(spec.serial)
    start = now - HISTORY
    steps = int(HISTORY / HISTORY_STEP)
    readings = []
    for step in range(steps + 1):
        moment = start + step * HISTORY_STEP
        for metric in spec.levels:
            value = demo_value(spec, metric, moment, rng)
            if spec.behaviour == "developing" and metric == "temperature":
                value += 5.0 * step / steps  # +5 °C over the week
            if (
                spec.behaviour == "degraded"
                and metric == "pressure"
                and now - moment <= datetime.timedelta(minutes=DEGRADED_MINUTES)
            ):
                value = round(DEGRADED_PRESSURE + rng.gauss(0, 0.03), 3)
            readings.append({"metric": metric, "ts": moment.isoformat(), "value": value})
    services.telemetry_ingest(device=device, readings=readings)


def _register(spec: DemoDevice, owner: Organization, supplier: Organization) -> Device | None:
    category = Category.objects.filter(slug=spec.category).first()
    membership = Membership.objects.filter(
        organization=owner, role=Membership.Role.OWNER
    ).select_related("user")
    if category is None or not membership.exists():
        return None
    device, issued = services.device_register(
        organization=owner,
        acting_user=membership[0].user,
        name=spec.name,
        serial_number=spec.serial,
        model=spec.model,
        supplier=supplier,
        installed_on=timezone.localdate() - datetime.timedelta(days=spec.installed_days_ago),
        region=spec.region,
        location=spec.location,
        category=category,
        product_reference=f"{spec.model}-STD",
    )
    # The demo's known token replaces the random one (only its hash is kept, as always).
    token = demo_token(spec.serial)
    DeviceCredential.objects.filter(pk=issued.credential.pk).update(
        prefix=token[:10], key_hash=DeviceCredential.hash_token(token)
    )
    return device


def _alarm_and_quoted_lead(device: Device, provider: Organization) -> None:
    services.rules_evaluate(device_pk=device.pk)
    alarm = Alarm.objects.filter(device=device, status=Alarm.Status.ACTIVE).first()
    if alarm is None:
        return
    lead = services.lead_from_alarm(alarm_pk=alarm.pk)
    if lead is None or not lead.routes.filter(organization=provider).exists():
        return
    if LeadQuote.objects.filter(lead=lead, organization=provider).exists():
        return
    user = Membership.objects.filter(organization=provider).select_related("user").first()
    if user is None:
        return
    services.lead_quote_submit(
        lead=lead,
        organization=provider,
        acting_user=user.user,
        price=Money.from_decimal("1850.00", "CNY"),
        days_to_service=2,
        valid_until=timezone.localdate() + datetime.timedelta(days=14),
        note="Worn impeller and wear ring: replaced with genuine parts, pump re-commissioned.",
    )


def seed() -> None:
    owner = Organization.objects.filter(slug=OWNER_SLUG).first()
    provider = Organization.objects.filter(slug=PROVIDER_SLUG).first()
    supplier = _supplier()
    if owner is None or supplier is None:
        return  # marketplace.demo has not run
    services.metrics_ensure_standard()
    _rules(supplier)
    if provider is not None:
        _provider_profile(provider)
    now = timezone.now()
    for spec in DEVICES:
        if Device.objects.filter(organization=owner, serial_number=spec.serial).exists():
            continue
        device = _register(spec, owner, supplier)
        if device is None:
            continue
        _history(device, spec, now)
        if spec.behaviour == "degraded" and provider is not None:
            _alarm_and_quoted_lead(device, provider)
    services.rollups_refresh()
