"""Equipment fixtures: an owner (buyer), the supplier factory, a verified service provider
serving the device's region, a registered device with its token, and a signed-post helper."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from importlib import import_module

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Category
from iot_gateway import metrics, services
from iot_gateway.models import Device, FaultRule, Metric
from iot_gateway.services import partitions
from marketplace.models import Organization, User
from tests.helpers import make_organization


@pytest.fixture(autouse=True)
def _fresh_partition_memory():
    # Partitions made inside a rolled-back test transaction are gone: forget them.
    partitions.partitions_forget()
    yield
    partitions.partitions_forget()


@dataclass
class Fleet:
    owner: Organization
    owner_user: User
    supplier: Organization
    supplier_user: User
    provider: Organization
    provider_user: User
    device: Device
    token: str
    signing_secret: str


def equipment_category(slug: str = "compressors") -> Category:
    parent, _created = Category.objects.get_or_create(
        slug="industrial", defaults={"name": "Industrial equipment"}
    )
    category, _created = Category.objects.get_or_create(
        slug=slug, defaults={"name": slug.title(), "parent": parent}
    )
    return category


def register(owner: Organization, user: User, supplier: Organization, **fields):
    fields.setdefault("name", "Press line 1")
    fields.setdefault("serial_number", f"SN-{time.monotonic_ns()}")
    fields.setdefault("model", "HX-200")
    fields.setdefault("installed_on", timezone.localdate() - datetime.timedelta(days=90))
    fields.setdefault("region", "Zhejiang")
    fields.setdefault("category", equipment_category())
    return services.device_register(
        organization=owner, acting_user=user, supplier=supplier, **fields
    )


def ensure_metrics() -> None:
    """The registry comes from a data migration; a transactional test's flush empties it."""
    migration = import_module("iot_gateway.migrations.0002_reading_partitioned_table")
    for name, label, unit in migration.METRICS:
        Metric.objects.get_or_create(name=name, defaults={"label": label, "unit": unit})
    metrics.registry_changed()


@pytest.fixture
def fleet(db) -> Fleet:
    ensure_metrics()
    owner, owner_user = make_organization(Organization.Kind.BUYER, name="Owner Co")
    supplier, supplier_user = make_organization(Organization.Kind.FACTORY, name="Maker Works")
    provider, provider_user = make_organization(
        Organization.Kind.SERVICE_PROVIDER, name="Fix Fast", verified=True
    )
    services.provider_profile_update(
        organization=provider,
        acting_user=provider_user,
        description="",
        regions=["zhejiang"],
        lead_kinds=["repair"],
        categories=[],
    )
    device, issued = register(owner, owner_user, supplier)
    return Fleet(
        owner,
        owner_user,
        supplier,
        supplier_user,
        provider,
        provider_user,
        device,
        issued.token,
        issued.signing_secret,
    )


def metric(name: str) -> Metric:
    return Metric.objects.get(name=name)


def threshold_rule(fleet: Fleet, **fields) -> FaultRule:
    fields.setdefault("name", "Overheating")
    fields.setdefault("kind", FaultRule.Kind.THRESHOLD)
    fields.setdefault("metric", metric("temperature"))
    fields.setdefault("threshold", 85.0)
    fields.setdefault("duration_seconds", 300)
    fields.setdefault("severity", "major")
    fields.setdefault("model_name", fleet.device.model)
    return FaultRule.objects.create(organization=fleet.supplier, **fields)


def reading(metric_name: str, value, seconds_ago: float = 0, now=None) -> dict:
    moment = (now or timezone.now()) - datetime.timedelta(seconds=seconds_ago)
    return {"metric": metric_name, "ts": moment.isoformat(), "value": value}


def device_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def signed_post(client: APIClient, secret: str, body: dict, timestamp: int | None = None):
    raw = json.dumps(body).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/telemetry/",
        data=raw,
        content_type="application/json",
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=signature,
    )


def stored_count(device: Device | None = None) -> int:
    with connection.cursor() as cursor:
        if device is None:
            cursor.execute("SELECT count(*) FROM iot_gateway_reading")
        else:
            cursor.execute(
                "SELECT count(*) FROM iot_gateway_reading WHERE device_id = %s", [device.pk]
            )
        return cursor.fetchone()[0]


@pytest.fixture
def truncate_readings():
    """Transactional tests commit readings, and Django's flush does not know the raw table
    (it is not a model): empty it afterwards so later tests start clean."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE iot_gateway_reading")
