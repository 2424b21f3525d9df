"""Customization pages: the htmx configurator (live price, rule violations and which
factories can make it), saving a design, and the organization's designs. The page and the
API call the same services."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.selectors import product_price_table
from customization import selectors, services
from customization.barcodes import code128_svg
from customization.forms import CampaignForm, PledgeForm, configuration_from_post
from customization.models import CustomizableProduct
from customization.services.configurator import Evaluation
from customization.tasks import massing_run_task
from factories.selectors import factory_search
from marketplace.models import Membership, Organization
from marketplace.money import Money
from marketplace.pages import form_service_call, organization_page

AVAILABILITY_HORIZON_DAYS = 29
AVAILABILITY_LIMIT = 5
DESIGNING_KINDS = (Organization.Kind.BUYER, Organization.Kind.FACTORY)


def _product_or_404(pk: int) -> CustomizableProduct:
    product = selectors.customizable_product_get(pk=pk)
    if product is None:
        raise Http404(_("This product cannot be customized."))
    return product


def _availability(product: CustomizableProduct, quantity: int) -> list:
    """Verified factories with free capacity for the quantity within the 30-day window."""
    ready_by = timezone.localdate() + datetime.timedelta(days=AVAILABILITY_HORIZON_DAYS)
    return factory_search(
        category=product.product.category,
        quantity=quantity,
        ready_by=ready_by,
        limit=AVAILABILITY_LIMIT,
    )


def _group_rows(product: CustomizableProduct, evaluation: Evaluation | None, submitted: dict):
    """Each group with what was submitted for it and its errors, for re-rendering."""
    errors = evaluation.errors if evaluation else {}
    rows = []
    for group in product.groups.all():
        section = {"measurement": "measurements", "image": "images"}.get(group.kind, "options")
        value = submitted.get(section, {}).get(group.code, "")
        selected = set(value) if isinstance(value, list) else {value}
        rows.append(
            {
                "group": group,
                "field": f"{section}.{group.code}",
                "value": value if isinstance(value, str) else "",
                "selected": selected,
                "errors": errors.get(f"{section}.{group.code}", []),
            }
        )
    return rows


def _context(product: CustomizableProduct, evaluation: Evaluation | None, submitted: dict) -> dict:
    return {
        "product": product,
        "rows": _group_rows(product, evaluation, submitted),
        "evaluation": evaluation,
        "submitted": submitted,
        "price_table": product_price_table(product=product.product),
        "availability": _availability(product, evaluation.quantity) if evaluation else [],
        "campaigns": selectors.campaigns_list(status="open").filter(design__product=product)[:5],
    }


@require_GET
def configurator(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    return render(request, "customization/configurator.html", _context(product, None, {}))


@require_POST
def configurator_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: price, violations, summary and availability for the form as it stands."""
    product = _product_or_404(pk)
    submitted = configuration_from_post(product=product, data=request.POST, files=request.FILES)
    evaluation = services.design_evaluate(product=product, **submitted)
    return render(request, "customization/_preview.html", _context(product, evaluation, submitted))


@require_http_methods(["POST"])
@organization_page(kinds=DESIGNING_KINDS)
def design_save(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    submitted = configuration_from_post(product=product, data=request.POST, files=request.FILES)
    evaluation = services.design_evaluate(product=product, **submitted)
    if not evaluation.is_valid:
        context = _context(product, evaluation, submitted)
        return render(request, "customization/configurator.html", context, status=400)
    design = services.design_create(
        organization=organization,
        acting_user=request.user,  # type: ignore[arg-type]
        product=product,
        name=request.POST.get("name", ""),
        **submitted,
    )
    return redirect("customization:design_detail", pk=design.pk)


@require_GET
@organization_page(kinds=DESIGNING_KINDS)
def design_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    designs = selectors.designs_for(organization=organization)[:200]
    products = selectors.customizable_products()
    context = {"designs": designs, "products": products}
    return render(request, "customization/design_list.html", context)


@require_GET
@organization_page(kinds=DESIGNING_KINDS)
def design_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    design = selectors.design_get(organization=organization, pk=pk)
    if design is None:
        raise Http404(_("Not found."))
    return render(request, "customization/design_detail.html", {"design": design})


# --- massing (factories) -------------------------------------------------------------------


def factory_page(view):
    return organization_page(
        view,
        kinds=(Organization.Kind.FACTORY,),
        write_roles=Membership.MANAGING_ROLES,
        not_found_message=_("This page is for factories."),
    )


@require_http_methods(["GET", "POST"])
@factory_page
def massing(request: HttpRequest, organization: Organization) -> HttpResponse:
    if request.method == "POST":
        massing_run_task.delay(organization.pk)
        messages.success(request, _("Batching is running; refresh in a moment."))
        return redirect("customization:massing")
    summary = selectors.massing_summary(organization=organization)
    peak = max((day["lines"] for day in summary.days), default=0)
    return render(request, "customization/massing.html", {"summary": summary, "peak": peak or 1})


@require_GET
@factory_page
def batch_sheet(request: HttpRequest, organization: Organization, day: str) -> HttpResponse:
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError as error:
        raise Http404(_("Not a date.")) from error
    sheets = selectors.batch_sheets(organization=organization, day=date)
    for sheet in sheets:
        for line in sheet.lines:
            line.barcode_svg = code128_svg(line.barcode_value)  # type: ignore[attr-defined]
    return render(request, "customization/batch_sheet.html", {"sheets": sheets, "day": date})


# --- campaigns -----------------------------------------------------------------------------


@require_GET
@organization_page
def campaign_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    campaigns = selectors.campaigns_list()[:200]
    return render(request, "customization/campaign_list.html", {"campaigns": campaigns})


def _campaign_or_404(pk: int):
    campaign = selectors.campaign_get(pk=pk)
    if campaign is None:
        raise Http404(_("Not found."))
    return campaign


@require_http_methods(["GET", "POST"])
@organization_page
def campaign_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(pk)
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pledge = form_service_call(
            form,
            services.pledge_create,
            campaign=campaign,
            organization=organization,
            acting_user=request.user,
            quantity=form.cleaned_data["quantity"],
        )
        if pledge is not None:
            messages.success(request, _("Pledged and paid into escrow."))
            return redirect("customization:campaign_detail", pk=pk)
    context = {
        "campaign": campaign,
        "form": form,
        "pledges": selectors.pledges_for(organization=organization, campaign=campaign),
        "can_pledge": organization.kind == Organization.Kind.BUYER,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "customization/campaign_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organization_page(kinds=DESIGNING_KINDS)
def campaign_create(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    design = selectors.design_get(organization=organization, pk=pk)
    if design is None:
        raise Http404(_("Not found."))
    is_factory = organization.kind == Organization.Kind.FACTORY
    factories = [
        (match.factory.pk, match.factory.name)
        for match in _availability(design.product, design.quantity)
    ]
    form = CampaignForm(request.POST or None, factories=factories, is_factory=is_factory)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        factory_pk = values.pop("factory", None)
        deadline = values.pop("deadline")
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline)
        campaign = form_service_call(
            form,
            services.campaign_open,
            organization=organization,
            acting_user=request.user,
            design=design,
            factory=selectors.factory_get(pk=factory_pk) if factory_pk else None,
            deadline=deadline,
            title=values.pop("title"),
            target_quantity=values.pop("target_quantity"),
            cap_quantity=values.pop("cap_quantity"),
            ready_by=values.pop("ready_by"),
            target_unit_price=Money.from_decimal(values.pop("target_unit_price"), design.currency),
        )
        if campaign is not None:
            return redirect("customization:campaign_detail", pk=campaign.pk)
    context = {"design": design, "form": form}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "customization/campaign_form.html", context, status=status)
