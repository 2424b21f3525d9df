"""Reading the configurator form: one field per option group, named like the API's error
keys (`options.<group>`, `measurements.<group>`, `images.<group>`), so the service's errors
land next to the right field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from customization.models import CustomizableProduct, OptionGroup
from marketplace import limits
from marketplace.widgets import IsoDateInput


def configuration_from_post(
    *, product: CustomizableProduct, data: QueryDict, files: MultiValueDict
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    measurements: dict[str, Any] = {}
    images: dict[str, Any] = {}
    for group in product.groups.all():
        if group.kind == OptionGroup.Kind.MULTI:
            chosen = data.getlist(f"options.{group.code}")
            if chosen:
                options[group.code] = chosen
        elif group.kind == OptionGroup.Kind.MEASUREMENT:
            value = data.get(f"measurements.{group.code}", "").strip()
            if value:
                measurements[group.code] = value
        elif group.kind == OptionGroup.Kind.IMAGE:
            upload = files.get(f"images.{group.code}")
            if upload is not None:
                images[group.code] = upload
        else:
            value = data.get(f"options.{group.code}", "")
            if value:
                options[group.code] = value
    return {
        "options": options,
        "measurements": measurements,
        "images": images,
        "quantity": data.get("quantity", "").strip(),
    }


class PledgeForm(forms.Form):
    quantity = forms.IntegerField(label=_("Units"), **limits.CAMPAIGN_QUANTITY.field)


class CampaignForm(forms.Form):
    """Opening a campaign on one of the caller's designs; `factories` are the verified
    factories with room for it (what the configurator shows)."""

    title = forms.CharField(label=_("Title"), max_length=limits.CAMPAIGN_TITLE, required=False)
    factory = forms.TypedChoiceField(label=_("Factory"), coerce=int, required=False)
    target_quantity = forms.IntegerField(
        label=_("Target quantity"), **limits.CAMPAIGN_QUANTITY.field
    )
    cap_quantity = forms.IntegerField(
        label=_("Cap (optional)"), required=False, **limits.CAMPAIGN_QUANTITY.field
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ready_by = forms.DateField(label=_("Ready by"), widget=IsoDateInput())
    target_unit_price = forms.DecimalField(
        label=_("Unit price once the target is met"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=limits.AMOUNT_MAX,
    )

    def __init__(self, *args, factories: list[tuple[int, str]], is_factory: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if is_factory:
            del self.fields["factory"]
        else:
            self.fields["factory"].choices = [("", "---------"), *factories]  # type: ignore[attr-defined]
