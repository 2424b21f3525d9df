"""Reading the configurator form: one field per option group, named like the API's error
keys (`options.<group>`, `measurements.<group>`, `images.<group>`), so the service's errors
land next to the right field."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from customization.models import CustomizableProduct, OptionGroup


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
