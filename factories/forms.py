"""Forms for the factory pages. They parse input only; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Category
from factories import certifications, regions
from factories.models import CAPACITY_WINDOW_DAYS, FactoryProfile
from factories.services.calendar import CapacityCell
from factories.services.profile import PROFILE_FIELDS
from marketplace import limits
from marketplace.widgets import IsoDateInput

DATE_INPUT = IsoDateInput()
WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


# The profile's bounds, shared with the API's OwnProfileApi.
PROFILE_BOUNDS: dict[str, limits.Bound | int] = {
    "description": limits.PROFILE_TEXT,
    "processes": limits.PROFILE_PROCESSES,
    "technology": limits.PROFILE_TEXT,
    "quality_control": limits.PROFILE_TEXT,
    "established_year": limits.ESTABLISHED_YEAR,
    "workers_count": limits.WORKERS,
    "floor_area_m2": limits.FLOOR_AREA_M2,
    "min_order_quantity": limits.MIN_ORDER_QUANTITY,
    "standard_lead_days": limits.STANDARD_LEAD_DAYS,
}


class FactoryProfileForm(forms.ModelForm):
    """The profile; province and city are one choice from `factories.regions` (`place`),
    handed on as `region` and `city`."""

    place = forms.ChoiceField(label=_("Province / city"), required=False)

    class Meta:
        model = FactoryProfile
        fields = [
            *(name for name in PROFILE_FIELDS if name not in ("region", "city")),
            "categories",
        ]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "processes": forms.Textarea(attrs={"rows": 3}),
            "technology": forms.Textarea(attrs={"rows": 3}),
            "quality_control": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.filter(children__isnull=True)
        self.fields["categories"].required = True
        limits.bound_form_fields(self.fields, PROFILE_BOUNDS)
        self.fields["place"].choices = [("", _("Choose…")), *regions.place_choices()]
        self.order_fields(["description", "country", "place"])
        if self.instance.pk and not self.is_bound:
            place = regions.place_resolve(
                f"{self.instance.region}/{self.instance.city}"
                if self.instance.city
                else self.instance.region
            )
            self.initial["place"] = place.code if place else ""

    def clean(self):
        cleaned = super().clean()
        place = regions.place_resolve(cleaned.get("place") or "")
        cleaned["region"] = place.province.name if place else ""
        cleaned["city"] = place.city.name if place and place.city else ""
        return cleaned


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("Photo"), help_text=_("JPEG, PNG or WebP, up to 8 MB."))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class LineForm(forms.Form):
    name = forms.CharField(label=_("Line name"), max_length=120)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    daily_output = forms.IntegerField(label=_("Daily output (units)"), **limits.DAILY_OUTPUT.field)
    workers = forms.IntegerField(label=_("Workers"), initial=0, **limits.WORKERS.field)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories or Category.objects.none()


class EquipmentForm(forms.Form):
    name = forms.CharField(label=_("Equipment"), max_length=120)
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=120, required=False)
    model_number = forms.CharField(label=_("Model"), max_length=120, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), initial=1, **limits.EQUIPMENT_QUANTITY.field)
    year = forms.IntegerField(label=_("Year"), required=False, **limits.EQUIPMENT_YEAR.field)


class CertificationForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Certificate"), required=False)
    name = forms.CharField(
        label=_("Name on the certificate"),
        max_length=120,
        required=False,
        help_text=_("Needed for a certificate not on the list."),
    )
    issuer = forms.CharField(label=_("Issuer"), max_length=120, required=False)
    number = forms.CharField(label=_("Number"), max_length=120, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DATE_INPUT)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = certifications.scheme_choices()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("scheme") and not cleaned.get("name"):
            self.add_error("name", _("Choose a certification from the list or type its name."))
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class AuditForm(forms.Form):
    legal_name = forms.CharField(label=_("Registered legal name"), max_length=200)
    business_registration_number = forms.CharField(
        label=_("Business registration number"), max_length=60
    )
    business_registration = forms.FileField(
        label=_("Business registration (PDF or image)"),
    )
    certificates = MultipleFileField(label=_("Certificates"))
    photos = MultipleFileField(label=_("Workshop photos"))
    note = forms.CharField(
        label=_("Note to the reviewer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.AUDIT_NOTE,
    )


def _window_bounds():
    today = timezone.localdate()
    return today, today + datetime.timedelta(days=CAPACITY_WINDOW_DAYS - 1)


class _CategoryChoiceForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories or Category.objects.none()
        self.fields["category"].empty_label = _("All my categories")


class FillRangeForm(_CategoryChoiceForm):
    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), widget=DATE_INPUT)
    units = forms.IntegerField(label=_("Units per day"), **limits.DAILY_UNITS.field)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Only on"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = _window_bounds()
        self.fields["start"].initial = start
        self.fields["end"].initial = end

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end must not be before the start."))
        return cleaned


class CopyWeekForm(_CategoryChoiceForm):
    source = forms.ChoiceField(
        label=_("Copy"),
        choices=[
            ("last", _("last week onto every week ahead")),
            ("this", _("this week onto the following weeks")),
        ],
    )


class CloseDaysForm(_CategoryChoiceForm):
    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end must not be before the start."))
        return cleaned


class CapacityCsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Rows: date,category,units"))


class CapacityGridForm(forms.Form):
    """The calendar grid: one input per cell, named `cell-<category pk>-<YYYY-MM-DD>`;
    blank cells are left as they are. `cleaned_data["cells"]` holds the filled ones."""

    def clean(self):
        cells = []
        for name, value in self.data.items():
            if not name.startswith("cell-") or not value.strip():
                continue
            try:
                _prefix, category_pk, iso_day = name.split("-", 2)
                units, category_id = int(value), int(category_pk)
                if not 0 < category_id <= limits.INT32_MAX:
                    raise ValueError(category_pk)
                cells.append(
                    CapacityCell(
                        date=datetime.date.fromisoformat(iso_day),
                        category_id=category_id,
                        units=units,
                    )
                )
            except ValueError as error:
                raise forms.ValidationError(
                    _("%(value)s is not a whole number of units."),
                    params={"value": value[:20]},
                ) from error
            if not limits.DAILY_UNITS.min <= units <= limits.DAILY_UNITS.max:
                raise forms.ValidationError(
                    _("Enter between %(min)d and %(max)d units a day."),
                    params={"min": limits.DAILY_UNITS.min, "max": limits.DAILY_UNITS.max},
                )
        return {"cells": sorted(cells, key=lambda cell: (cell.category_id, cell.date))}


class SearchForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(children__isnull=True).order_by("name"),
        to_field_name="slug",
    )
    quantity = forms.IntegerField(label=_("Quantity"), **limits.QUANTITY.field)
    ready_by = forms.DateField(label=_("Ready by"), widget=DATE_INPUT)
    region = forms.CharField(label=_("Province / city"), max_length=80, required=False)
    certification = forms.CharField(label=_("Certification"), max_length=120, required=False)
    free_sampling = forms.BooleanField(label=_("Free sampling only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered as choices; typed values (links, old bookmarks) are read leniently.
        self.fields["region"].widget = forms.Select(
            choices=[("", _("Anywhere")), *regions.place_choices()]
        )
        self.fields["certification"].widget = forms.Select(
            choices=[("", _("Any")), *((s.code, s.name) for s in certifications.SCHEMES)]
        )

    def clean_ready_by(self):
        ready_by = self.cleaned_data["ready_by"]
        if ready_by <= timezone.localdate():
            raise forms.ValidationError(_("Choose a date after today."))
        return ready_by


class DirectoryFilterForm(forms.Form):
    """The directory's place filter: offered as choices, typed values read leniently."""

    region = forms.CharField(label=_("Province / city"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = forms.Select(
            choices=[("", _("Anywhere")), *regions.place_choices()]
        )
