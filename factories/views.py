"""Factory pages: the public virtual factory and directory, the buyer's capacity search,
and a factory's own profile, audit and capacity calendar. Same services as the API."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from factories import selectors, services
from factories.forms import (
    AuditForm,
    CapacityCsvForm,
    CapacityGridForm,
    CertificationForm,
    CloseDaysForm,
    CopyWeekForm,
    DirectoryFilterForm,
    EquipmentForm,
    FactoryProfileForm,
    FillRangeForm,
    LineForm,
    PhotoForm,
    SearchForm,
)
from factories.models import Certification, Equipment, FactoryPhoto, ProductionLine
from factories.references import reference_link
from factories.services.profile import PROFILE_FIELDS
from marketplace.models import Membership, Organization
from marketplace.pages import form_service_call, organization_page
from marketplace.storage import private_file_response
from marketplace.tenancy import get_for_organization_or_404
from orders import selectors as order_selectors


def factory_page(view: Callable) -> Callable:
    """Signed in, acting for a factory. Writes (POST) need an owner or admin."""
    return organization_page(
        view,
        kinds=(Organization.Kind.FACTORY,),
        write_roles=Membership.MANAGING_ROLES,
        not_found_message=_("This page is for factories."),
    )


def _acting_organization(request: HttpRequest) -> Organization | None:
    """For pages open to everyone that show more to the right organization."""
    membership = getattr(request, "membership", None)  # a lazy object: test its truth
    return membership.organization if membership else None


# --- public ------------------------------------------------------------------------------


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    region = form.cleaned_data["region"] if form.is_valid() else ""
    profiles = selectors.factory_public_list(verified=True, region=region)
    page = Paginator(profiles, 24).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "region": region}
    return render(request, "factories/directory.html", context)


def showcase(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _acting_organization(request)
    profile = selectors.factory_visible_get(pk=pk, viewer=viewer)
    context = {
        "profile": profile,
        "showcase": selectors.factory_showcase(profile=profile),
        "reviews": order_selectors.factory_reviews(factory=profile.organization),
        "is_buyer": viewer is not None and viewer.kind == Organization.Kind.BUYER,
        "is_favourite": pk in selectors.favourite_factory_ids(organization=viewer),
    }
    return render(request, "factories/showcase.html", context)


def buyer_page(view: Callable) -> Callable:
    return organization_page(
        view,
        kinds=(Organization.Kind.BUYER,),
        not_found_message=_("This page is for buyers."),
    )


@buyer_page
@require_GET
def favourites(request: HttpRequest, organization: Organization) -> HttpResponse:
    profiles = selectors.favourite_profiles(organization=organization)
    return render(request, "factories/favourites.html", {"profiles": profiles})


@buyer_page
@require_POST
def favourite_toggle(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Add (`add=1`) or remove a factory from the buyer's list; htmx gets the button back."""
    profile = selectors.factory_visible_get(pk=pk, viewer=None)
    if request.POST.get("add") == "1":
        services.favourite_add(
            organization=organization, factory=profile.organization, acting_user=request.user
        )
        done = _("%(name)s is on your favourites.")
    else:
        services.favourite_remove(organization=organization, factory=profile.organization)
        done = _("%(name)s is off your favourites.")
    is_favourite = request.POST.get("add") == "1"
    if request.htmx:  # type: ignore[attr-defined]
        context = {"profile": profile, "is_favourite": is_favourite}
        return render(request, "factories/_favourite_button.html", context)
    messages.success(request, done % {"name": profile.organization.name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("factories:favourites")
    return redirect(target)


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        query = dict(form.cleaned_data)
        query["free_sampling"] = True if query["free_sampling"] else None
        results = selectors.factory_search(**query)
    context = {"form": form, "results": results, "today": timezone.localdate()}
    template = "factories/search_results.html" if request.htmx else "factories/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# --- a factory's profile -----------------------------------------------------------------


@factory_page
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, organization: Organization) -> HttpResponse:
    profile = selectors.factory_profile_get(organization=organization)
    form = FactoryProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        saved = form_service_call(
            form,
            services.factory_profile_update,
            organization=organization,
            categories=list(form.cleaned_data["categories"]),
            **fields,
        )
        if saved is not None:
            messages.success(request, _("Profile saved."))
            return redirect("factories:profile_edit")
    return render(request, "factories/profile_edit.html", _profile_context(organization, form))


def _profile_context(organization: Organization, form: BaseForm | None = None, **forms) -> dict:
    profile = selectors.factory_profile_get(organization=organization)
    categories = profile.categories.all()
    return {
        "profile": profile,
        "form": form or FactoryProfileForm(instance=profile),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "line_form": forms.get("line_form") or LineForm(categories=categories),
        "equipment_form": forms.get("equipment_form") or EquipmentForm(),
        "certification_form": forms.get("certification_form") or CertificationForm(),
        "photos": selectors.profile_items(organization=organization, model=FactoryPhoto),
        "lines": selectors.profile_items(organization=organization, model=ProductionLine),
        "equipment": selectors.profile_items(organization=organization, model=Equipment),
        "certifications": selectors.profile_items(organization=organization, model=Certification),
    }


@factory_page
@require_POST
def photo_add(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        photo = form_service_call(
            form,
            services.factory_photo_add,
            organization=organization,
            upload=form.cleaned_data["image"],
            caption=form.cleaned_data["caption"],
        )
        if photo is not None:
            messages.success(request, _("Photo added."))
            return redirect("factories:profile_edit")
    context = _profile_context(organization, photo_form=form)
    return render(request, "factories/profile_edit.html", context, status=400)


@factory_page
@require_POST
def photo_delete(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    photo = get_for_organization_or_404(FactoryPhoto.objects.all(), organization, pk=pk)
    services.factory_photo_delete(photo=photo)
    messages.success(request, _("Photo removed."))
    return redirect("factories:profile_edit")


ITEM_FORMS: dict[str, tuple[type, type, Callable[..., object], str]] = {
    "line": (ProductionLine, LineForm, services.production_line_save, "line_form"),
    "equipment": (Equipment, EquipmentForm, services.equipment_save, "equipment_form"),
    "certification": (
        Certification,
        CertificationForm,
        services.certification_save,
        "certification_form",
    ),
}


@factory_page
@require_POST
def item_add(request: HttpRequest, organization: Organization, kind: str) -> HttpResponse:
    if kind not in ITEM_FORMS:
        raise Http404
    _model, form_class, save, context_name = ITEM_FORMS[kind]
    extra = {}
    if kind == "line":
        profile = selectors.factory_profile_get(organization=organization)
        extra["categories"] = profile.categories.all()
    form = form_class(request.POST, **extra)
    if form.is_valid():
        saved = form_service_call(form, save, organization=organization, **form.cleaned_data)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("factories:profile_edit")
    context = _profile_context(organization, **{context_name: form})
    return render(request, "factories/profile_edit.html", context, status=400)


@factory_page
@require_POST
def item_delete(request: HttpRequest, organization: Organization, kind: str, pk: int):
    if kind not in ITEM_FORMS:
        raise Http404
    model = ITEM_FORMS[kind][0]
    item = get_for_organization_or_404(model.objects.all(), organization, pk=pk)
    services.profile_item_delete(item=item)
    messages.success(request, _("Removed."))
    return redirect("factories:profile_edit")


# --- audit -------------------------------------------------------------------------------


@factory_page
@require_http_methods(["GET", "POST"])
def audit(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = AuditForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        submitted = form_service_call(
            form,
            services.audit_submit,
            organization=organization,
            acting_user=request.user,
            legal_name=values["legal_name"],
            business_registration_number=values["business_registration_number"],
            note=values["note"],
            evidence=services.audit_evidence_list(
                business_registration=values["business_registration"],
                certificates=values["certificates"],
                photos=values["photos"],
            ),
        )
        if submitted is not None:
            messages.success(request, _("Submitted. An operator will review your evidence."))
            return redirect("factories:audit")
    context = {
        "profile": selectors.factory_profile_get(organization=organization),
        "organization": organization,
        "form": form,
        "history": selectors.audit_history(organization=organization),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "factories/audit.html", context, status=status)


@login_required
@require_GET
def audit_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is confidential: its factory's members and operators only, never MEDIA_URL.
    Signed in but not behind `organization_page`: operators open it without acting for an
    organization."""
    evidence = selectors.audit_evidence_get(
        user=request.user, organization=_acting_organization(request), pk=pk
    )
    return private_file_response(evidence.file)


# --- the capacity calendar ---------------------------------------------------------------


CAPACITY_FORMS: dict[str, type[BaseForm]] = {
    "save": CapacityGridForm,
    "fill": FillRangeForm,
    "copy": CopyWeekForm,
    "close": CloseDaysForm,
    "csv": CapacityCsvForm,
}


def _capacity_service(action: str, values: dict) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The one calendar service an action calls, and its arguments from the form."""
    category = values.get("category")
    if action == "save":
        return services.capacity_cells_set, {"cells": values["cells"]}
    if action == "fill":
        weekdays = set(values["weekdays"]) or None
        period = {"start": values["start"], "end": values["end"]}
        arguments = {**period, "units": values["units"], "weekdays": weekdays}
        return services.capacity_fill, {**arguments, "category": category}
    if action == "copy":
        weeks_back = 1 if values["source"] == "last" else 0
        source_start = timezone.localdate() - datetime.timedelta(weeks=weeks_back)
        return services.capacity_copy_week, {"source_start": source_start, "category": category}
    if action == "close":
        period = {"start": values["start"], "end": values["end"]}
        return services.capacity_close_range, {**period, "category": category}
    return services.capacity_csv_import, {"content": values["file"].read()}


def _error_lines(form: BaseForm) -> list[str]:
    lines: list[str] = []
    for field, problems in form.errors.items():
        text = " ".join(problems)
        lines.append(text if field in ("__all__", "file") else f"{field}: {text}")
    return lines


@factory_page
@require_http_methods(["GET", "POST"])
def capacity(request: HttpRequest, organization: Organization) -> HttpResponse:
    profile = selectors.factory_profile_get(organization=organization)
    categories = profile.categories.all()
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form_class = CAPACITY_FORMS.get(action)
        if form_class is None:
            errors = [_("Unknown action.")]
        else:
            extra = {"categories": categories} if action in ("fill", "copy", "close") else {}
            form = form_class(request.POST, request.FILES, **extra)  # type: ignore[call-arg]
            if form.is_valid():
                service, arguments = _capacity_service(action, form.cleaned_data)
                saved = form_service_call(form, service, organization=organization, **arguments)
                if saved is not None:
                    messages.success(request, _("Calendar saved."))
                    return redirect("factories:capacity")
            errors = _error_lines(form)
    dates, rows = selectors.capacity_grid(organization=organization)
    context = {
        "profile": profile,
        "dates": dates,
        "rows": rows,
        "summary": selectors.capacity_summary(organization=organization),
        "errors": errors,
        "fill_form": FillRangeForm(categories=categories),
        "copy_form": CopyWeekForm(categories=categories),
        "close_form": CloseDaysForm(categories=categories),
        "csv_form": CapacityCsvForm(),
        "reservations": [
            (reservation, reference_link(reservation.reference))
            for reservation in selectors.reservations_active_for_factory(organization=organization)
        ],
    }
    return render(request, "factories/capacity.html", context, status=400 if errors else 200)
