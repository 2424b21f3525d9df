from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Category
from iot_gateway.models import LeadKind
from marketplace import limits
from marketplace.models import Organization
from marketplace.money import SUPPORTED_CURRENCIES
from marketplace.widgets import IsoDateInput


class DeviceRegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    serial_number = forms.CharField(label=_("Serial number"), max_length=80)
    model = forms.CharField(label=_("Model"), max_length=120)
    supplier = forms.ModelChoiceField(
        label=_("Supplier factory"),
        queryset=Organization.objects.filter(kind=Organization.Kind.FACTORY).order_by("name"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("name")
    )
    product_reference = forms.CharField(
        label=_("Catalog product reference"), max_length=80, required=False
    )
    installed_on = forms.DateField(label=_("Installed on"), widget=IsoDateInput())
    region = forms.CharField(label=_("Province / region"), max_length=80)
    location = forms.CharField(label=_("Site"), max_length=200, required=False)
    require_signature = forms.BooleanField(label=_("Require signed requests"), required=False)


class QuoteForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Price"),
        min_value=0,
        max_value=limits.LEAD_AMOUNT_MAX,
        max_digits=12,
        decimal_places=2,
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[(code, code) for code in SUPPORTED_CURRENCIES]
    )
    days_to_service = forms.IntegerField(
        label=_("Days until service"), **limits.DAYS_TO_SERVICE.field
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=IsoDateInput())
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.LEAD_NOTE,
    )


class ProviderProfileForm(forms.Form):
    description = forms.CharField(
        label=_("About your service"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.PROFILE_TEXT,
    )
    regions = forms.CharField(
        label=_("Regions served"),
        help_text=_("Comma-separated, e.g. Zhejiang, Jiangsu."),
        max_length=800,
    )
    lead_kinds = forms.MultipleChoiceField(
        label=_("Services offered"),
        choices=LeadKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Equipment you know"), queryset=Category.objects.order_by("name"), required=False
    )
