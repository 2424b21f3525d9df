"""Service leads: an alarm (or a predicted failure) becomes a job offered to the device's
supplier and to the best verified service providers serving its region; they quote, the
owner accepts one.

Providers are ranked like factories in search (docs/adr/0002): a weighted score of fit,
response speed, rating and win rate, with neutral priors for newcomers. See
`PROVIDER_WEIGHTS` and docs/adr/0008-telemetry-scaling.md.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from iot_gateway import texts
from iot_gateway.models import (
    Alarm,
    Device,
    FaultRule,
    LeadKind,
    LeadQuote,
    LeadRoute,
    LeadStatus,
    ServiceLead,
    ServiceProviderProfile,
)
from iot_gateway.selectors import provider_records
from marketplace import exceptions as domain
from marketplace.models import NotificationTopic, Organization, User
from marketplace.money import Money
from marketplace.services import notification_send
from marketplace.texts import choice
from orders.services import order_open_for_service

PROVIDER_WEIGHTS = {"fit": 0.35, "response": 0.25, "rating": 0.25, "win_rate": 0.15}
PRIOR_RESPONSE_HOURS = 24.0
PRIOR_RATING = 3.0
PRIOR_WIN_RATE = 0.3
SNAPSHOT_WINDOW = datetime.timedelta(hours=2)
SNAPSHOT_POINTS = 240


def provider_score(*, fit: float, record: dict | None, rating: float | None) -> float:
    hours = (record or {}).get("median_seconds")
    hours = PRIOR_RESPONSE_HOURS if hours is None else hours / 3600
    quotes = (record or {}).get("quotes") or 0
    win_rate = record["accepted"] / quotes if record and quotes else PRIOR_WIN_RATE
    terms = {
        "fit": fit,
        "response": 1.0 / (1.0 + max(hours, 0.0) / 24.0),
        "rating": (PRIOR_RATING if rating is None else rating) / 5.0,
        "win_rate": win_rate,
    }
    return round(sum(PROVIDER_WEIGHTS[name] * value for name, value in terms.items()), 4)


def region_canonical(region: str) -> str:
    """One spelling per region ("zhejiang " -> "Zhejiang"), so matching is an array lookup."""
    return " ".join(region.split()).title()


def providers_ranked(*, device: Device, kind: str, limit: int) -> list[tuple[Organization, float]]:
    """Verified service providers serving the device's region and offering `kind` (an
    empty list of services means all), best first. Fit is 1 when they list the device's
    category, 0.6 otherwise. Three queries whatever the number of providers."""
    profiles = list(
        ServiceProviderProfile.objects.filter(
            organization__kind=Organization.Kind.SERVICE_PROVIDER,
            organization__verified=True,
            regions__contains=[region_canonical(device.region)],
        )
        .filter(Q(lead_kinds__contains=[kind]) | Q(lead_kinds=[]))
        .select_related("organization")
        .prefetch_related("categories")
    )
    records = provider_records([profile.organization_id for profile in profiles])
    scored = []
    for profile in profiles:
        knows_category = device.category_id is not None and any(
            category.pk == device.category_id for category in profile.categories.all()
        )
        score = provider_score(
            fit=1.0 if knows_category else 0.6,
            record=records.get(profile.organization_id),
            rating=profile.rating,
        )
        scored.append((profile.organization, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return scored[:limit]


def telemetry_snapshot(*, device: Device, metric_id: int | None, until: datetime.datetime) -> dict:
    """The readings of the metric in the window before `until` (at most SNAPSHOT_POINTS,
    the latest ones): the lead's evidence, kept after the raw partitions are gone."""
    if metric_id is None:
        return {"metric": None, "points": []}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts, value FROM (SELECT ts, value FROM iot_gateway_reading "
            "WHERE device_id = %s AND metric_id = %s AND ts > %s AND ts <= %s "
            "ORDER BY ts DESC LIMIT %s) latest ORDER BY ts",
            [device.pk, metric_id, until - SNAPSHOT_WINDOW, until, SNAPSHOT_POINTS],
        )
        points = [[ts.isoformat(), value] for ts, value in cursor.fetchall()]
    return {"metric_id": metric_id, "points": points}


def _route(lead: ServiceLead) -> list[LeadRoute]:
    device = lead.device
    routes = [
        LeadRoute(
            lead=lead, organization=device.supplier, role=LeadRoute.Role.SUPPLIER, rank=0, score=1.0
        )
    ]
    ranked = providers_ranked(device=device, kind=lead.kind, limit=settings.IOT_LEAD_PROVIDERS)
    for rank, (provider, score) in enumerate(ranked, start=1):
        routes.append(
            LeadRoute(
                lead=lead,
                organization=provider,
                role=LeadRoute.Role.PROVIDER,
                rank=rank,
                score=score,
            )
        )
    LeadRoute.objects.bulk_create(routes)
    link = reverse("iot_gateway:lead_detail", kwargs={"pk": lead.pk})
    for route in routes:
        notification_send(
            organization=route.organization,
            topic=NotificationTopic.SERVICE,
            title=texts.LEAD_NEW(title=lead.title_text),
            body=texts.LEAD_NEW_BODY(device=device.model, region=device.region),
            url=link,
        )
    return routes


@transaction.atomic
def lead_from_alarm(*, alarm_pk: int) -> ServiceLead | None:
    """The alarm's lead, made once (a second call returns the first)."""
    alarm = (
        Alarm.objects.select_for_update()
        .select_related("device", "device__supplier", "rule")
        .filter(pk=alarm_pk)
        .first()
    )
    if alarm is None:
        return None
    existing = ServiceLead.objects.filter(alarm=alarm).first()
    if existing is not None:
        return existing
    rule = alarm.rule
    title = texts.LEAD_FROM_ALARM(
        kind=choice("iot_gateway.lead_kind", rule.lead_kind),
        device=alarm.device.name,
        model=alarm.device.model,
    )
    lead = ServiceLead.objects.create(
        organization_id=alarm.organization_id,
        device=alarm.device,
        alarm=alarm,
        rule=rule,
        source=ServiceLead.Source.ALARM,
        kind=rule.lead_kind,
        title_key=title.key,
        title_params=dict(title.params),
        evidence={
            "alarm": {
                "message": alarm.message,
                "message_key": alarm.message_key,
                "message_params": alarm.message_params,
                "severity": alarm.severity,
                "raised_at": alarm.raised_at.isoformat(),
                "value": alarm.last_value,
            },
            "telemetry": telemetry_snapshot(
                device=alarm.device, metric_id=rule.metric_id, until=alarm.last_triggered_at
            ),
        },
    )
    _route(lead)
    return lead


@transaction.atomic
def lead_from_prediction(
    *, device: Device, rule: FaultRule, failure_on: datetime.date, evidence: dict
) -> ServiceLead | None:
    """A predicted crossing becomes one open lead per device and rule."""
    if ServiceLead.objects.filter(
        device=device, rule=rule, source=ServiceLead.Source.PREDICTION, status=LeadStatus.OPEN
    ).exists():
        return None
    days = max((failure_on - timezone.localdate()).days, 0)
    title = texts.LEAD_FROM_PREDICTION(device=device.name, model=device.model, days=days)
    try:
        with transaction.atomic():
            lead = ServiceLead.objects.create(
                organization_id=device.organization_id,
                device=device,
                rule=rule,
                source=ServiceLead.Source.PREDICTION,
                kind=rule.lead_kind,
                title_key=title.key,
                title_params=dict(title.params),
                predicted_failure_on=failure_on,
                evidence=evidence,
            )
    except IntegrityError:
        return None
    _route(lead)
    return lead


def _routed(lead: ServiceLead, organization: Organization) -> LeadRoute:
    route = LeadRoute.objects.filter(lead=lead, organization=organization).first()
    if route is None:
        raise domain.NotFoundError(_("Not found."))
    return route


@transaction.atomic
def lead_quote_submit(
    *,
    lead: ServiceLead,
    organization: Organization,
    acting_user: User,
    price: Money,
    days_to_service: int,
    valid_until: datetime.date,
    note: str = "",
) -> LeadQuote:
    """The supplier or a routed provider offers to do the job (one quote each)."""
    route = _routed(lead, organization)
    locked = ServiceLead.objects.select_for_update().get(pk=lead.pk)
    if locked.status != LeadStatus.OPEN:
        raise domain.ConflictError(_("This lead is no longer open for quotes."))
    if valid_until < timezone.localdate():
        raise domain.InvalidError({"valid_until": [_("The quote must be valid today or later.")]})
    if price.amount_minor <= 0:
        raise domain.InvalidError({"price": [_("Enter a price above zero.")]})
    if LeadQuote.objects.filter(lead=locked, organization=organization).exists():
        raise domain.ConflictError(_("You have already quoted on this lead."))
    quote = LeadQuote.objects.create(
        lead=locked,
        organization=organization,
        price_minor=price.amount_minor,
        currency=price.currency,
        days_to_service=days_to_service,
        valid_until=valid_until,
        note=note,
        response_seconds=max(int((timezone.now() - route.created_at).total_seconds()), 0),
    )
    notification_send(
        organization=locked.device.organization,
        topic=NotificationTopic.SERVICE,
        title=texts.LEAD_QUOTED(provider=organization.name, title=locked.title_text),
        url=reverse("iot_gateway:lead_detail", kwargs={"pk": locked.pk}),
    )
    return quote


def _service_spec(lead: ServiceLead, quote: LeadQuote) -> str:
    device = lead.device
    lines = [
        _("%(kind)s for %(device)s, serial %(serial)s, model %(model)s.")
        % {
            "kind": LeadKind(lead.kind).label,
            "device": device.name,
            "serial": device.serial_number,
            "model": device.model,
        },
        _("Site: %(location)s, %(region)s.")
        % {"location": device.location or device.name, "region": device.region},
    ]
    alarm = lead.evidence_alarm
    if alarm.get("message"):
        lines.append(_("Alarm: %(message)s") % {"message": alarm["message"]})
    if lead.predicted_failure_on:
        lines.append(
            _("Expected to fail on %(date)s.") % {"date": lead.predicted_failure_on.isoformat()}
        )
    if quote.note:
        lines.append(_("Provider's note: %(note)s") % {"note": quote.note})
    return "\n".join(lines)


@transaction.atomic
def lead_quote_accept(
    *, quote: LeadQuote, organization: Organization, acting_user: User
) -> LeadQuote:
    """The owner picks one quote: the lead closes to the others, and the quote becomes an
    order with its provider (a service order: no sample, no capacity calendar), in the
    same transaction."""
    lead = (
        ServiceLead.objects.select_for_update(of=("self",))
        .select_related("device", "device__category", "organization")
        .get(pk=quote.lead_id)
    )
    if lead.organization_id != organization.pk:
        raise domain.NotFoundError(_("Not found."))
    if lead.status != LeadStatus.OPEN:
        raise domain.ConflictError(_("A quote on this lead has already been accepted."))
    quote = LeadQuote.objects.select_related("organization").get(pk=quote.pk)
    if quote.valid_until < timezone.localdate():
        raise domain.ConflictError(_("This quote has expired."))
    if lead.device.category is None:
        raise domain.ConflictError(
            _("Set the device's equipment category before ordering a service for it.")
        )
    order = order_open_for_service(
        buyer=lead.organization,
        provider=quote.organization,
        acting_user=acting_user,
        category=lead.device.category,
        title=lead.display_title,
        spec=_service_spec(lead, quote),
        price=Money(quote.price_minor, quote.currency),
        days_to_service=quote.days_to_service,
        note=texts.NOTE_LEAD_QUOTE_ACCEPTED(pk=lead.pk),
    )
    LeadQuote.objects.filter(pk=quote.pk).update(status=LeadQuote.Status.ACCEPTED, order=order)
    LeadQuote.objects.filter(lead=lead).exclude(pk=quote.pk).update(
        status=LeadQuote.Status.DECLINED
    )
    lead.status = LeadStatus.ACCEPTED
    lead.save(update_fields=["status"])
    notification_send(
        organization=quote.organization,
        topic=NotificationTopic.SERVICE,
        title=texts.LEAD_QUOTE_ACCEPTED(title=lead.title_text),
        body=texts.LEAD_QUOTE_ACCEPTED_BODY(number=order.number),
        url=reverse("orders:order_detail", kwargs={"pk": order.pk}),
    )
    return LeadQuote.objects.select_related("organization", "order").get(pk=quote.pk)


@transaction.atomic
def provider_profile_update(
    *,
    organization: Organization,
    acting_user: User,
    description: str,
    regions: list[str],
    lead_kinds: list[str],
    categories: list,
) -> ServiceProviderProfile:
    if organization.kind != Organization.Kind.SERVICE_PROVIDER:
        raise domain.ForbiddenError(_("Only a service provider has a service profile."))
    unknown = [kind for kind in lead_kinds if kind not in LeadKind.values]
    if unknown:
        raise domain.InvalidError(
            {"lead_kinds": [_("Unknown service: %(kind)s.") % {"kind": unknown[0]}]}
        )
    cleaned = sorted({region_canonical(region) for region in regions if region.strip()})
    profile, _created = ServiceProviderProfile.objects.update_or_create(
        organization=organization,
        defaults={
            "description": description.strip(),
            "regions": cleaned,
            "lead_kinds": sorted(set(lead_kinds)),
        },
    )
    profile.categories.set(categories)
    return profile
