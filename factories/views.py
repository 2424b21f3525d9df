"""Factory pages: the public virtual factory and directory, the buyer's capacity search,
and a factory's own profile, audit and capacity calendar. Same services as the API."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from factories import selectors, services
from factories.forms import (
    AuditForm,
    CapacityCsvForm,
    CertificationForm,
    CloseDaysForm,
    CopyWeekForm,
    EquipmentForm,
    FactoryProfileForm,
    FillRangeForm,
    LineForm,
    PhotoForm,
    SearchForm,
)
from factories.models import (
    AuditEvidence,
    Certification,
    Equipment,
    FactoryPhoto,
    ProductionLine,
)
from factories.services.profile import PROFILE_FIELDS
from marketplace.models import Membership, Organization
from marketplace.pages import organization_page
from marketplace.storage import private_file_response
from marketplace.tenancy import get_for_organization_or_404


def factory_page(view: Callable) -> Callable:
    """Signed in, acting for a factory. Writes (POST) need an owner or admin."""
    return organization_page(
        view,
        kinds=(Organization.Kind.FACTORY,),
        write_roles=Membership.MANAGING_ROLES,
        not_found_message=_("This page is for factories."),
    )


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --- public ------------------------------------------------------------------------------


def directory(request: HttpRequest) -> HttpResponse:
    profiles = selectors.factory_public_list(verified=True)
    page = Paginator(profiles, 24).get_page(request.GET.get("page"))
    return render(request, "factories/directory.html", {"page": page})


def showcase(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.factory_public_get(pk=pk)
    if profile is None:
        raise Http404(_("Not found."))
    membership = getattr(request, "membership", None)  # a lazy object: test its truth
    own_id = membership.organization.pk if membership else None
    if not profile.organization.verified and own_id != profile.organization_id:
        raise Http404(_("Not found."))  # unaudited factories are not shown to the public
    context = {"profile": profile, "showcase": selectors.factory_showcase(profile=profile)}
    return render(request, "factories/showcase.html", context)


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
    profile = services.factory_profile_ensure(organization=organization)
    form = FactoryProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        try:
            services.factory_profile_update(
                organization=organization,
                categories=list(form.cleaned_data["categories"]),
                **fields,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("factories:profile_edit")
    return render(request, "factories/profile_edit.html", _profile_context(organization, form))


def _profile_context(organization: Organization, form=None, **forms) -> dict:
    profile = services.factory_profile_ensure(organization=organization)
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
        try:
            services.factory_photo_add(
                organization=organization,
                upload=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
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
        profile = services.factory_profile_ensure(organization=organization)
        extra["categories"] = profile.categories.all()
    form = form_class(request.POST, **extra)
    if form.is_valid():
        try:
            save(organization=organization, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
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
    profile = services.factory_profile_ensure(organization=organization)
    form = AuditForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            evidence = [
                services.EvidenceInput(
                    kind=AuditEvidence.Kind.BUSINESS_REGISTRATION,
                    file=values["business_registration"],
                )
            ]
            evidence += [
                services.EvidenceInput(kind=AuditEvidence.Kind.CERTIFICATE, file=upload)
                for upload in values["certificates"]
            ]
            evidence += [
                services.EvidenceInput(kind=AuditEvidence.Kind.PHOTO, file=upload)
                for upload in values["photos"]
            ]
            try:
                services.audit_submit(
                    organization=organization,
                    acting_user=request.user,
                    legal_name=values["legal_name"],
                    business_registration_number=values["business_registration_number"],
                    note=values["note"],
                    evidence=evidence,
                )
            except ValidationError as error:
                _form_errors(form, error)
            except services.AuditStateError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Submitted. An operator will review your evidence."))
                return redirect("factories:audit")
        status = 400
    context = {
        "profile": profile,
        "organization": organization,
        "form": form,
        "history": selectors.audit_history(organization=organization),
    }
    return render(request, "factories/audit.html", context, status=status)


@login_required
@require_GET
def audit_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is confidential: its factory's members and operators only, never MEDIA_URL."""
    if request.user.is_staff:
        evidence = selectors.audit_evidence_get_unchecked(pk=pk)
        if evidence is None:
            raise Http404
    else:
        evidence = selectors.audit_evidence_get(organization=request.organization, pk=pk)
    return private_file_response(evidence.file)


# --- the capacity calendar ---------------------------------------------------------------


def _grid_cells(request: HttpRequest) -> list[services.CapacityCell]:
    cells = []
    for name, value in request.POST.items():
        if not name.startswith("cell-") or not value.strip():
            continue
        try:
            _prefix, category_id, iso_day = name.split("-", 2)
            cells.append(
                services.CapacityCell(
                    date=datetime.date.fromisoformat(iso_day),
                    category_id=int(category_id),
                    units=int(value),
                )
            )
        except ValueError as error:
            raise ValidationError(
                _("%(value)s is not a whole number of units.") % {"value": value[:20]}
            ) from error
    return sorted(cells, key=lambda cell: (cell.category_id, cell.date))


def _capacity_action(request: HttpRequest, organization: Organization, categories) -> list:
    """Run the posted calendar action; returns error messages (empty on success)."""
    action = request.POST.get("action", "save")
    try:
        if action == "save":
            cells = _grid_cells(request)
            try:
                services.capacity_cells_set(organization=organization, cells=cells)
            except services.CapacityEditError as error:
                return error.messages(cells)
        elif action in ("fill", "copy", "close"):
            form_class = {"fill": FillRangeForm, "copy": CopyWeekForm, "close": CloseDaysForm}
            form = form_class[action](request.POST, categories=categories)
            if not form.is_valid():
                return [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
            _run_tool(action, organization, form.cleaned_data, categories)
        elif action == "csv":
            form = CapacityCsvForm(request.POST, request.FILES)
            if not form.is_valid():
                return [" ".join(errors) for errors in form.errors.values()]
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            cells = services.capacity_csv_parse(organization=organization, text=text)
            try:
                services.capacity_cells_set(organization=organization, cells=cells)
            except services.CapacityEditError as error:
                return error.messages(cells)
        else:
            return [_("Unknown action.")]
    except services.CapacityEditError as error:
        return error.messages()
    except ValidationError as error:
        return list(error.messages)
    return []


def _run_tool(action: str, organization: Organization, values: dict, categories) -> None:
    chosen = [values["category"]] if values.get("category") else list(categories)
    if action == "fill":
        for category in chosen:
            services.capacity_fill_range(
                organization=organization,
                category=category,
                start=values["start"],
                end=values["end"],
                units=values["units"],
                weekdays=set(values["weekdays"]) or None,
            )
    elif action == "copy":
        offset = 7 if values["source"] == "last" else 0
        services.capacity_copy_week(
            organization=organization,
            source_start=timezone.localdate() - datetime.timedelta(days=offset),
            category=values.get("category"),
        )
    else:
        days = (values["end"] - values["start"]).days + 1
        dates = [values["start"] + datetime.timedelta(days=offset) for offset in range(days)]
        services.capacity_mark_closed(
            organization=organization, dates=dates, category=values.get("category")
        )


@factory_page
@require_http_methods(["GET", "POST"])
def capacity(request: HttpRequest, organization: Organization) -> HttpResponse:
    profile = services.factory_profile_ensure(organization=organization)
    categories = profile.categories.all()
    errors: list[str] = []
    if request.method == "POST":
        errors = _capacity_action(request, organization, categories)
        if not errors:
            messages.success(request, _("Calendar saved."))
            return redirect("factories:capacity")
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
        "reservations": selectors.reservations_for_factory(organization=organization).filter(
            status__in=("held", "booked")
        )[:50],
    }
    return render(request, "factories/capacity.html", context, status=400 if errors else 200)
