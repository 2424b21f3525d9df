"""Equipment's reads, scoped to the organization asking (another's object is a 404)."""

from __future__ import annotations

import datetime
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from iot_gateway.models import (
    OPEN_ALARM_STATUSES,
    Alarm,
    Device,
    DeviceCredential,
    LeadQuote,
    LeadRoute,
    Metric,
    ServiceLead,
    ServiceProviderProfile,
    TelemetryRollup,
)
from marketplace import exceptions as domain
from marketplace.models import Organization

# --- device authentication ---------------------------------------------------------------


# Every device request starts here: one indexed lookup, without the ORM's query building
# (which cost more CPU than the rest of authentication).
CREDENTIAL_SQL = (
    "SELECT c.id, c.key_hash, c.expires_at, c.revoked_at,"
    " d.id, d.organization_id, d.serial_number, d.status, d.require_signature"
    " FROM iot_gateway_devicecredential c JOIN iot_gateway_device d ON d.id = c.device_id"
    " WHERE c.key_hash = %s"
)
_CREDENTIAL_FIELDS = ["id", "key_hash", "expires_at", "revoked_at"]
_DEVICE_FIELDS = ["id", "organization_id", "serial_number", "status", "require_signature"]


# Per process: token hash -> (monotonic time read, the lookup's row), for
# IOT_CREDENTIAL_CACHE_SECONDS. Only credentials found valid are kept; every batch stored
# with one checks again, in its own statement, that it still is (ingest.CredentialRefused).
_credential_rows: dict[str, tuple[float, tuple]] = {}
CREDENTIAL_MEMORY = 10_000


def device_credential_by_token(*, token: str, fresh: bool = False) -> DeviceCredential | None:
    """The credential (with its device, other fields loaded on access) a token belongs to,
    if it was valid when read: now, or (unless `fresh`) up to IOT_CREDENTIAL_CACHE_SECONDS
    ago in this process. Telemetry is stored only after a check in the writing statement
    itself (`telemetry_ingest(credential=...)`)."""
    key_hash = DeviceCredential.hash_token(token)
    cached = None if fresh else _credential_rows.get(key_hash)
    if cached is not None and time.monotonic() - cached[0] < settings.IOT_CREDENTIAL_CACHE_SECONDS:
        row = cached[1]
    else:
        with connection.cursor() as cursor:
            cursor.execute(CREDENTIAL_SQL, [key_hash])
            row = cursor.fetchone()
    if row is None:
        _credential_rows.pop(key_hash, None)
        return None
    credential = DeviceCredential.from_db(connection.alias, _CREDENTIAL_FIELDS, row[:4])
    credential.device = Device.from_db(connection.alias, _DEVICE_FIELDS, row[4:])
    if not credential.is_valid_at(timezone.now()) or (
        credential.device.status != Device.Status.ACTIVE
    ):
        _credential_rows.pop(key_hash, None)
        return None
    if cached is None or cached[1] is not row:
        if len(_credential_rows) >= CREDENTIAL_MEMORY:
            _credential_rows.clear()
        _credential_rows[key_hash] = (time.monotonic(), row)
    return credential


def device_credential_forget(*, token: str) -> None:
    """This process reads the token's credential from the database next time."""
    _credential_rows.pop(DeviceCredential.hash_token(token), None)


def signature_valid(
    *, credential: DeviceCredential, timestamp: str, signature: str, body: bytes
) -> bool:
    secret = DeviceCredential.signing_secret_for(credential.key_hash).encode()
    expected = hmac.new(secret, timestamp.encode() + b"." + body, "sha256").hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


# --- devices -----------------------------------------------------------------------------


def device_list(*, organization: Organization) -> QuerySet[Device]:
    """The owner's devices with their open-alarm count and worst severity (health)."""
    return (
        Device.objects.for_organization(organization)
        .select_related("supplier", "category")
        .annotate(open_alarms=Count("alarms", filter=Q(alarms__status__in=OPEN_ALARM_STATUSES)))
        .order_by("name", "pk")
    )


def device_get(*, organization: Organization, pk: int) -> Device:
    device = device_list(organization=organization).filter(pk=pk).first()
    if device is None:
        raise domain.NotFoundError(_("Not found."))
    return device


@dataclass(frozen=True)
class Health:
    code: str
    label: str


def device_health(device: Device, open_severities: set[str], now: datetime.datetime) -> Health:
    if device.status != Device.Status.ACTIVE:
        return Health("revoked", _("Revoked"))
    if device.last_seen_at is None:
        return Health("never", _("No data yet"))
    if open_severities & {"critical", "major"}:
        return Health("fault", _("Fault"))
    if (now - device.last_seen_at) > datetime.timedelta(minutes=15):
        return Health("offline", _("Offline"))
    if open_severities:
        return Health("warning", _("Warning"))
    return Health("ok", _("Healthy"))


def open_severities_by_device(device_ids: list[int]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {pk: set() for pk in device_ids}
    for device_id, severity in Alarm.objects.filter(
        device_id__in=device_ids, status__in=OPEN_ALARM_STATUSES
    ).values_list("device_id", "severity"):
        result[device_id].add(severity)
    return result


# --- telemetry ---------------------------------------------------------------------------

BUCKETS = {"raw": None, "minute": "minute", "hour": "hour", "day": "day"}
MAX_RAW_POINTS = 10_000


def metric_by_name(name: str) -> Metric | None:
    return Metric.objects.filter(name=name).first()


def telemetry_series(
    *,
    device: Device,
    metric: Metric,
    since: datetime.datetime,
    until: datetime.datetime,
    bucket: str,
) -> list[dict]:
    """Raw readings, per-minute aggregates of raw readings, or the hourly/daily rollups."""
    if bucket in (TelemetryRollup.Bucket.HOUR, TelemetryRollup.Bucket.DAY):
        rollups = TelemetryRollup.objects.filter(
            device=device, metric=metric, bucket=bucket, start__gte=since, start__lt=until
        ).order_by("start")
        return [
            {
                "ts": row.start,
                "min": row.minimum,
                "max": row.maximum,
                "avg": row.average,
                "count": row.count,
            }
            for row in rollups
        ]
    with connection.cursor() as cursor:
        if bucket == "minute":
            cursor.execute(
                "SELECT date_trunc('minute', ts) AS start, min(value), max(value), avg(value), "
                "count(*) "
                "FROM iot_gateway_reading WHERE device_id = %s AND metric_id = %s "
                "AND ts >= %s AND ts < %s GROUP BY start ORDER BY start LIMIT %s",
                [device.pk, metric.pk, since, until, MAX_RAW_POINTS],
            )
            return [
                {"ts": start, "min": low, "max": high, "avg": mean, "count": count}
                for start, low, high, mean, count in cursor.fetchall()
            ]
        cursor.execute(
            "SELECT ts, value FROM iot_gateway_reading WHERE device_id = %s AND metric_id = %s "
            "AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            [device.pk, metric.pk, since, until, MAX_RAW_POINTS],
        )
        return [{"ts": ts, "value": value} for ts, value in cursor.fetchall()]


# --- alarms ------------------------------------------------------------------------------


def alarm_list(*, organization: Organization, status: str | None = None) -> QuerySet[Alarm]:
    alarms = Alarm.objects.for_organization(organization).select_related("device", "rule")
    if status == "open":
        alarms = alarms.filter(status__in=OPEN_ALARM_STATUSES)
    elif status:
        alarms = alarms.filter(status=status)
    return alarms


def alarm_get(*, organization: Organization, pk: int) -> Alarm:
    alarm = alarm_list(organization=organization).filter(pk=pk).first()
    if alarm is None:
        raise domain.NotFoundError(_("Not found."))
    return alarm


# --- leads -------------------------------------------------------------------------------


def lead_list(*, organization: Organization) -> QuerySet[ServiceLead]:
    """Leads the organization owns (its devices) or was offered (supplier, provider)."""
    return (
        ServiceLead.objects.filter(
            Q(organization=organization) | Q(routes__organization=organization)
        )
        .distinct()
        .select_related("device", "device__supplier", "alarm", "organization")
        .prefetch_related(
            Prefetch("routes", queryset=LeadRoute.objects.select_related("organization")),
            Prefetch("quotes", queryset=LeadQuote.objects.select_related("organization", "order")),
        )
    )


def lead_get(*, organization: Organization, pk: int) -> ServiceLead:
    lead = lead_list(organization=organization).filter(pk=pk).first()
    if lead is None:
        raise domain.NotFoundError(_("Not found."))
    return lead


def lead_quotes_visible(*, lead: ServiceLead, organization: Organization) -> list[LeadQuote]:
    """The owner sees every quote; a supplier or provider only its own."""
    quotes = list(lead.quotes.all())
    if lead.organization_id == organization.pk:
        return quotes
    return [quote for quote in quotes if quote.organization_id == organization.pk]


def lead_quote_get(*, organization: Organization, lead_pk: int, pk: int) -> LeadQuote:
    quote = (
        LeadQuote.objects.select_related("lead", "organization")
        .filter(pk=pk, lead_id=lead_pk, lead__organization=organization)
        .first()
    )
    if quote is None:
        raise domain.NotFoundError(_("Not found."))
    return quote


def provider_profile(*, organization: Organization) -> ServiceProviderProfile | None:
    return (
        ServiceProviderProfile.objects.filter(organization=organization)
        .prefetch_related("categories")
        .first()
    )


def provider_record(*, organization: Organization) -> dict:
    """Quotes sent, accepted, and the median time to quote: the response record shown on
    the provider's profile and used to rank it."""
    record = provider_records([organization.pk]).get(organization.pk) or {}
    seconds = record.get("median_seconds")
    return {
        "offered": LeadRoute.objects.filter(organization=organization).count(),
        "quotes": record.get("quotes", 0),
        "accepted": record.get("accepted", 0),
        "median_response_hours": round(seconds / 3600, 1) if seconds is not None else None,
    }


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def provider_records(organization_ids: list[int]) -> dict[int, dict]:
    """Each provider's response record: quotes sent, quotes accepted, median hours from
    being offered a lead to quoting. One grouped query."""
    rows = (
        LeadQuote.objects.filter(organization_id__in=organization_ids)
        .values("organization_id")
        .annotate(
            quotes=Count("pk"),
            accepted=Count("pk", filter=Q(status=LeadQuote.Status.ACCEPTED)),
            median_seconds=Median("response_seconds"),
        )
    )
    return {row["organization_id"]: dict(row) for row in rows}


def devices_active_serials(serials: list[str]) -> set[str]:
    """Which of these serial numbers are registered, active devices."""
    return set(
        Device.objects.filter(serial_number__in=serials, status=Device.Status.ACTIVE).values_list(
            "serial_number", flat=True
        )
    )


def alarms_open_without_lead_count() -> int:
    """Open alarms no service lead picked up (the operators' queue; one COUNT)."""
    return Alarm.objects.filter(status__in=OPEN_ALARM_STATUSES, lead__isnull=True).count()


def platform_alarms_and_leads(*, since: datetime.datetime) -> list[dict]:
    """Alarms raised and service leads made per week since `since`, across the platform
    (two grouped queries). Rows: {"week", "alarms", "leads"}, oldest first."""
    alarms = dict(
        Alarm.objects.filter(raised_at__gte=since)
        .annotate(week=TruncWeek("raised_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
        .order_by()
    )
    leads = dict(
        ServiceLead.objects.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
        .order_by()
    )
    weeks = sorted(set(alarms) | set(leads))
    return [
        {"week": week, "alarms": alarms.get(week, 0), "leads": leads.get(week, 0)} for week in weeks
    ]
