"""Equipment pages: the owner's devices with health, a device's charts, alarms with
acknowledge, the lead inbox for suppliers and service providers, and a provider's profile.
Same services as the API."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from iot_gateway import selectors, services
from iot_gateway.forms import DeviceRegisterForm, ProviderProfileForm, QuoteForm
from iot_gateway.models import Metric
from iot_gateway.services.prediction import metric_forecasts
from marketplace.models import Membership, Organization
from marketplace.money import Money
from marketplace.pages import form_service_call, organization_page

BUYER = (Organization.Kind.BUYER,)
LEAD_KINDS = (
    Organization.Kind.BUYER,
    Organization.Kind.FACTORY,
    Organization.Kind.SERVICE_PROVIDER,
)
RANGES = {
    "24h": (datetime.timedelta(hours=24), "minute"),
    "7d": (datetime.timedelta(days=7), "hour"),
    "30d": (datetime.timedelta(days=30), "hour"),
}


@organization_page(kinds=BUYER, write_roles=Membership.MANAGING_ROLES)
@require_http_methods(["GET", "POST"])
def device_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = DeviceRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = form_service_call(
            form,
            services.device_register,
            organization=organization,
            acting_user=request.user,
            **form.cleaned_data,
        )
        if result is not None:
            device, issued = result
            # Rendered, not redirected: the token is shown this once and never stored.
            return render(
                request, "iot_gateway/device_token.html", {"device": device, "issued": issued}
            )
    devices = list(selectors.device_list(organization=organization))
    severities = selectors.open_severities_by_device([device.pk for device in devices])
    now = timezone.now()
    rows = [
        (device, selectors.device_health(device, severities[device.pk], now)) for device in devices
    ]
    return render(request, "iot_gateway/device_list.html", {"rows": rows, "form": form})


@organization_page(kinds=BUYER)
def device_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    device = selectors.device_get(organization=organization, pk=pk)
    range_key = request.GET.get("range", "24h")
    if range_key not in RANGES:
        range_key = "24h"
    span, bucket = RANGES[range_key]
    until = timezone.now()
    since = until - span
    charts = []
    forecasts = metric_forecasts(device=device)
    for metric in Metric.objects.order_by("name"):
        points = selectors.telemetry_series(
            device=device, metric=metric, since=since, until=until, bucket=bucket
        )
        if points:
            charts.append(
                {"metric": metric, "points": points, "forecast": forecasts.get(metric.pk)}
            )
    severities = selectors.open_severities_by_device([device.pk])[device.pk]
    context = {
        "device": device,
        "health": selectors.device_health(device, severities, until),
        "charts": charts,
        "range_key": range_key,
        "ranges": list(RANGES),
        "since": since,
        "until": until,
        "alarms": selectors.alarm_list(organization=organization).filter(device=device)[:20],
        "leads": selectors.lead_list(organization=organization).filter(device=device)[:10],
    }
    return render(request, "iot_gateway/device_detail.html", context)


@organization_page(kinds=BUYER, write_roles=Membership.MANAGING_ROLES)
@require_POST
def device_token_rotate(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    device = selectors.device_get(organization=organization, pk=pk)
    issued = services.device_token_rotate(device=device, acting_user=request.user)
    return render(
        request,
        "iot_gateway/device_token.html",
        {"device": device, "issued": issued, "rotated": True},
    )


@organization_page(kinds=BUYER, write_roles=Membership.MANAGING_ROLES)
@require_POST
def device_revoke(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    device = selectors.device_get(organization=organization, pk=pk)
    services.device_revoke(device=device, acting_user=request.user)
    messages.success(request, _("All tokens of %(device)s are revoked.") % {"device": device.name})
    return redirect("iot_gateway:device_detail", pk=pk)


@organization_page(kinds=BUYER)
def alarm_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    status = request.GET.get("status", "open")
    alarms = selectors.alarm_list(organization=organization, status=status or None)[:200]
    return render(request, "iot_gateway/alarm_list.html", {"alarms": alarms, "status": status})


@organization_page(kinds=BUYER)
@require_POST
def alarm_acknowledge(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    alarm = selectors.alarm_get(organization=organization, pk=pk)
    services.alarm_acknowledge(
        alarm=alarm, acting_user=request.user, note=request.POST.get("note", "")
    )
    messages.success(request, _("Alarm acknowledged."))
    return redirect(request.POST.get("next") or "iot_gateway:alarm_list")


@organization_page(kinds=LEAD_KINDS)
def lead_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    leads = selectors.lead_list(organization=organization)[:200]
    return render(request, "iot_gateway/lead_list.html", {"leads": leads})


def _lead_context(organization: Organization, lead, form: QuoteForm | None) -> dict:
    quotes = selectors.lead_quotes_visible(lead=lead, organization=organization)
    routed = any(route.organization_id == organization.pk for route in lead.routes.all())
    points = [
        {"ts": datetime.datetime.fromisoformat(ts), "value": value}
        for ts, value in lead.evidence.get("telemetry", {}).get("points", [])
    ]
    own_quote = next((quote for quote in quotes if quote.organization_id == organization.pk), None)
    return {
        "lead": lead,
        "quotes": [(quote, Money(quote.price_minor, quote.currency)) for quote in quotes],
        "is_owner": lead.organization_id == organization.pk,
        "can_quote": routed and own_quote is None and lead.status == "open",
        "form": form
        or QuoteForm(
            initial={
                "currency": "CNY",
                "valid_until": timezone.localdate() + datetime.timedelta(days=14),
            }
        ),
        "points": points,
        "points_since": points[0]["ts"] if points else None,
        "points_until": points[-1]["ts"] if points else None,
    }


@organization_page(kinds=LEAD_KINDS)
def lead_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    lead = selectors.lead_get(organization=organization, pk=pk)
    return render(request, "iot_gateway/lead_detail.html", _lead_context(organization, lead, None))


@organization_page(kinds=(Organization.Kind.FACTORY, Organization.Kind.SERVICE_PROVIDER))
@require_POST
def lead_quote(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    lead = selectors.lead_get(organization=organization, pk=pk)
    form = QuoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        quote = form_service_call(
            form,
            services.lead_quote_submit,
            lead=lead,
            organization=organization,
            acting_user=request.user,
            price=Money.from_decimal(data["amount"], data["currency"]),
            days_to_service=data["days_to_service"],
            valid_until=data["valid_until"],
            note=data["note"],
        )
        if quote is not None:
            messages.success(request, _("Your quote was sent to the owner."))
            return redirect("iot_gateway:lead_detail", pk=pk)
    return render(
        request, "iot_gateway/lead_detail.html", _lead_context(organization, lead, form), status=400
    )


@organization_page(kinds=BUYER, write_roles=Membership.MANAGING_ROLES)
@require_POST
def lead_quote_accept(
    request: HttpRequest, organization: Organization, pk: int, quote_pk: int
) -> HttpResponse:
    quote = selectors.lead_quote_get(organization=organization, lead_pk=pk, pk=quote_pk)
    accepted = services.lead_quote_accept(
        quote=quote, organization=organization, acting_user=request.user
    )
    messages.success(
        request,
        _("Quote accepted: order %(number)s with %(provider)s is awaiting payment.")
        % {"number": str(accepted.order), "provider": accepted.organization.name},
    )
    return redirect("orders:order_detail", pk=accepted.order_id)


@organization_page(
    kinds=(Organization.Kind.SERVICE_PROVIDER,), write_roles=Membership.MANAGING_ROLES
)
@require_http_methods(["GET", "POST"])
def provider_profile(request: HttpRequest, organization: Organization) -> HttpResponse:
    profile = selectors.provider_profile(organization=organization)
    initial = {}
    if profile is not None:
        initial = {
            "description": profile.description,
            "regions": ", ".join(profile.regions),
            "lead_kinds": profile.lead_kinds,
            "categories": list(profile.categories.all()),
        }
    form = ProviderProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = form_service_call(
            form,
            services.provider_profile_update,
            organization=organization,
            acting_user=request.user,
            description=data["description"],
            regions=data["regions"].split(","),
            lead_kinds=data["lead_kinds"],
            categories=list(data["categories"]),
        )
        if saved is not None:
            messages.success(request, _("Profile saved."))
            return redirect("iot_gateway:provider_profile")
    record = selectors.provider_record(organization=organization)
    return render(
        request,
        "iot_gateway/provider_profile.html",
        {"form": form, "profile": profile, "record": record},
    )
